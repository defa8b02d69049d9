from django.db import migrations, models

from accounts.versions import OFFICE, PERSON
from core import versioning

# A person's e-mail addresses decide whether they may book (REQ REG-1).
WATCHED = [
    versioning.Watched(
        table="account_emailaddress",
        columns=("user_id",),
        ids="SELECT user_id FROM {rows}",
        target=PERSON,
    )
]


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_office_booking_caps"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="office",
            name="availability_version",
            field=models.PositiveBigIntegerField(
                default=0, editable=False, verbose_name="availability data version"
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="booking_facts_version",
            field=models.PositiveBigIntegerField(
                default=0, editable=False, verbose_name="booking facts version"
            ),
        ),
        versioning.operations(WATCHED, guards=(OFFICE, PERSON)),
    ]
