from django.db import migrations, models

from core import versioning

# A person's e-mail addresses decide whether they may book (REQ REG-1): their office's pages
# keep that answer under the office's version.
WATCHED = [
    versioning.Watched(
        table="account_emailaddress",
        columns=("user_id",),
        offices="SELECT office_id FROM accounts_user WHERE id IN (SELECT user_id FROM {rows})",
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
        versioning.operations(WATCHED, guard=True),
    ]
