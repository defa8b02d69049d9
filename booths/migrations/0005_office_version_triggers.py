from django.db import migrations

from accounts.versions import OFFICE, PERSON
from core import versioning

WATCHED = [
    versioning.Watched(
        table="booths_reservation",
        columns=("booth_id",),
        ids="SELECT office_id FROM booths_booth WHERE id IN (SELECT booth_id FROM {rows})",
        target=OFFICE,
    ),
    versioning.Watched(
        table="booths_reservation",
        columns=("user_id",),
        ids="SELECT user_id FROM {rows}",
        target=PERSON,
    ),
    versioning.Watched(
        table="booths_booth",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=OFFICE,
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_office_availability_version"),
        ("booths", "0004_shared_booking_life"),
    ]

    operations = [versioning.operations(WATCHED)]
