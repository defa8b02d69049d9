"""A booth's change raises its office's places version (core.versioning), so that the booth's
row kept for the booking pages outlives the bookings made meanwhile (REQ NFR-4)."""

from django.db import migrations

from accounts.versions import PLACES
from core import versioning

WATCHED = [
    versioning.Watched(
        table="booths_booth",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=PLACES,
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0015_office_places_version"),
        ("booths", "0015_booking_ends_earlier_slot_alerts"),
    ]

    operations = [versioning.operations(WATCHED)]
