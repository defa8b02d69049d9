from django.db import migrations, models

from core import versioning


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_office_booking_caps"),
    ]

    operations = [
        migrations.AddField(
            model_name="office",
            name="availability_version",
            field=models.PositiveBigIntegerField(
                default=0, editable=False, verbose_name="availability data version"
            ),
        ),
        versioning.operations([], guard=True),
    ]
