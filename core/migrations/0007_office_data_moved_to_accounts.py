"""The notices and the access records now live in the accounts app, with the offices and
people they belong to (issue 20): they leave this app's state. accounts.0008 renamed their
tables and took them over; core keeps infrastructure only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_outbox_topic_and_dropped"),
        ("accounts", "0008_notices_and_access_records"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AccessRecord"),
                migrations.DeleteModel(name="Notice"),
            ],
        ),
    ]
