"""The facts the earlier-slot alerts' freeing job reads, kept on each live alert by triggers
(REQ ALR-1, NFR-4): the functions each booking model's app calls, and the address's part."""

import django.contrib.postgres.fields
from django.db import migrations, models

from bookings.alerts_sql import (
    ADDRESS_FACTS,
    BOOKING_FACTS_FUNCTIONS,
    DROP_ADDRESS_FACTS,
    DROP_BOOKING_FACTS_FUNCTIONS,
)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0005_alert_rounds"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="earlierslotalert",
            name="address_verified",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="earlierslotalert",
            name="held_starts",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.DateTimeField(), default=list, editable=False, size=None
            ),
        ),
        migrations.AddField(
            model_name="earlierslotalert",
            name="no_contact_starts",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.DateTimeField(), default=list, editable=False, size=None
            ),
        ),
        migrations.AddField(
            model_name="earlierslotalert",
            name="no_contact_recorded",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BooleanField(), default=list, editable=False, size=None
            ),
        ),
        migrations.AddField(
            model_name="earlierslotalert",
            name="no_contact_services",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=10), default=list, editable=False, size=None
            ),
        ),
        migrations.RunSQL(BOOKING_FACTS_FUNCTIONS, DROP_BOOKING_FACTS_FUNCTIONS),
        migrations.RunSQL(ADDRESS_FACTS, DROP_ADDRESS_FACTS),
    ]
