"""An office's counselors' published times (weekly patterns, extra and withdrawn slots), its
video tools and the counselors' default links for them raise its places version
(core.versioning), which bookings never raise: what a booking reads of them is kept under it
(`consultations.availability._published_day`, the send's video tool and default link) and
outlives the bookings made meanwhile (REQ NFR-4)."""

from django.db import migrations

from accounts.versions import PLACES
from core import versioning

WATCHED = [
    versioning.Watched(
        table="consultations_availabilitypattern",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=PLACES,
    ),
    versioning.Watched(
        table="consultations_availabilityexception",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=PLACES,
    ),
    versioning.Watched(
        table="consultations_videotool",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=PLACES,
    ),
    versioning.Watched(
        table="consultations_counselorvideodefault",
        columns=("video_tool_id",),
        ids=(
            "SELECT office_id FROM consultations_videotool"
            " WHERE id IN (SELECT video_tool_id FROM {rows})"
        ),
        target=PLACES,
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0015_office_places_version"),
        ("consultations", "0016_video_tools_raise_office_version"),
    ]

    operations = [versioning.operations(WATCHED)]
