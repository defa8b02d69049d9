from django.db import migrations

from core import versioning

WATCHED = [
    versioning.Watched(
        table="consultations_officeclosure",
        columns=("office_id",),
        offices="SELECT office_id FROM {rows}",
    ),
    # The consultation's office and the person's (their no-contact count).
    versioning.Watched(
        table="consultations_consultation",
        columns=("office_id", "user_id"),
        offices=(
            "SELECT office_id FROM {rows} "
            "UNION SELECT office_id FROM accounts_user WHERE id IN (SELECT user_id FROM {rows})"
        ),
    ),
]


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_office_availability_version"),
        ("consultations", "0002_online_consultations"),
    ]

    operations = [versioning.operations(WATCHED)]
