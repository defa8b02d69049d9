"""An office's video tools and the joins of its consultations raise its availability version
(core.versioning), so the call list that shows a booking's tool by name and the day sheet that
shows the checklist confirmed with a join can be kept under it (workplace.kept, REQ STF-1,
NFR-4). A join is usually recorded with the consultation's `joined_at` (which raises it
already), but not always: a counselor's join, or a participant's later one."""

from django.db import migrations

from accounts.versions import OFFICE
from core import versioning

WATCHED = [
    versioning.Watched(
        table="consultations_videotool",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=OFFICE,
    ),
    versioning.Watched(
        table="consultations_consultationjoin",
        columns=("consultation_id",),
        ids=(
            "SELECT office_id FROM consultations_consultation"
            " WHERE id IN (SELECT consultation_id FROM {rows})"
        ),
        target=OFFICE,
    ),
]


class Migration(migrations.Migration):

    dependencies = [
        ("consultations", "0015_join_checklist_append_only"),
    ]

    operations = [versioning.operations(WATCHED)]
