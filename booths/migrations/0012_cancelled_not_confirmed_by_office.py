from django.db import migrations, models

# REQ BTH-6, BTH-7: no-shows recorded under the old rule on requests the office never confirmed
# (no confirming call, no confirmation) were never the person's doing. They become what the rule
# now records at the start, "not confirmed by the office", and stop counting toward the refusal
# rule. Nothing is lost: the audit trail keeps the row as it was.
FORGIVE_UNCONFIRMED_NO_SHOWS = """
UPDATE booths_reservation
   SET status = 'cancelled',
       cancelled_via = 'not_confirmed',
       cancelled_at = COALESCE(no_show_at, starts_at)
 WHERE status = 'no_show' AND phoned_at IS NULL AND confirmed_at IS NULL
"""


class Migration(migrations.Migration):

    dependencies = [
        ('booths', '0011_holds_kept_by_the_database'),
    ]

    operations = [
        migrations.AlterField(
            model_name='reservation',
            name='cancelled_via',
            field=models.CharField(blank=True, choices=[('online', 'By the user online'), ('phone', 'By phone, recorded by staff'), ('office', 'By the office'), ('account_deleted', 'The user deleted their account'), ('dormant', 'The account was purged after a year unused'), ('not_confirmed', 'Not confirmed by the office before the start')], max_length=20, verbose_name='cancelled'),
        ),
        migrations.AlterField(
            model_name='reservationevent',
            name='cancelled_via',
            field=models.CharField(blank=True, choices=[('online', 'By the user online'), ('phone', 'By phone, recorded by staff'), ('office', 'By the office'), ('account_deleted', 'The user deleted their account'), ('dormant', 'The account was purged after a year unused'), ('not_confirmed', 'Not confirmed by the office before the start')], max_length=20, verbose_name='cancelled'),
        ),
        migrations.RunSQL(FORGIVE_UNCONFIRMED_NO_SHOWS, reverse_sql=migrations.RunSQL.noop),
    ]
