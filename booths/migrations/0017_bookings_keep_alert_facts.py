"""Each write of this app's bookings keeps its person's earlier-slot alert facts (REQ ALR-1,
NFR-4): triggers on this table and on the alerts' table calling bookings' functions, whatever
path writes the row; the live alerts made before get this table's facts at once."""

from django.db import migrations

from bookings.alerts_sql import drop_facts_from_bookings, facts_from_bookings

TABLE = "booths_reservation"


class Migration(migrations.Migration):
    dependencies = [
        ("booths", "0016_booths_raise_places_version"),
        ("bookings", "0006_alert_facts"),
    ]

    operations = [
        migrations.RunSQL(
            facts_from_bookings(TABLE, "booth"),
            drop_facts_from_bookings(TABLE),
        ),
    ]
