from django.db import migrations

from accounts.versions import OFFICE, PERSON
from core import versioning

WATCHED = [
    versioning.Watched(
        table="consultations_officeclosure",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=OFFICE,
    ),
    versioning.Watched(
        table="consultations_consultation",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=OFFICE,
    ),
    versioning.Watched(
        table="consultations_consultation",
        columns=("user_id",),
        ids="SELECT user_id FROM {rows}",
        target=PERSON,
    ),
]


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_office_availability_version"),
        ("consultations", "0002_online_consultations"),
    ]

    operations = [versioning.operations(WATCHED)]
