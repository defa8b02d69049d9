from django.db import migrations

from bookings import activity_sql

# REQ REG-6: a booking made, confirmed by phone or attended is a use of the account; the
# dormancy purge reads it from the person's last activity (bookings/activity_sql.py).


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0012_job_and_cap_indexes"),
        ("accounts", "0011_office_gate_version"),
    ]

    operations = [activity_sql.operations("consultations_consultation")]
