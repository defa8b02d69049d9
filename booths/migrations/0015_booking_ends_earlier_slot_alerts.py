"""A booking made or moved into the range of its person's earlier-slot alert ends the alert
and marks the alert mail of that slot as filled (REQ ALR-1): triggers on this app's booking
table calling the function of bookings' migration, whatever path writes the row."""

from django.db import migrations

from bookings.alerts_sql import DROP_ENDED_BY_BOOKING, ENDED_BY_BOOKING

TABLE = "booths_reservation"


class Migration(migrations.Migration):
    dependencies = [
        ("booths", "0014_job_and_cap_indexes"),
        ("bookings", "0003_earlier_slot_alerts"),
    ]

    operations = [
        migrations.RunSQL(
            ENDED_BY_BOOKING.format(table=TABLE, service="booth"),
            DROP_ENDED_BY_BOOKING.format(table=TABLE),
        ),
    ]
