from django.db import migrations, models

from core import versioning

# A notice raises the gate version of the offices whose people it reaches: its own office's,
# or every office's for a national one (REQ OPS-2, NFR-4). Terms versions raise it from
# terms/migrations (terms sits above accounts).
EVERY_OFFICE_FOR_A_NATIONAL_ONE = (
    "SELECT office_id FROM {rows} WHERE office_id IS NOT NULL"
    " UNION SELECT id FROM accounts_office"
    " WHERE EXISTS (SELECT 1 FROM {rows} WHERE office_id IS NULL)"
)
WATCHED = [
    versioning.Watched(
        table="core_notice",
        columns=("office_id",),
        ids=EVERY_OFFICE_FOR_A_NATIONAL_ONE,
        target=versioning.GATE,
    )
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_version_triggers_by_index"),
        ("core", "0006_outbox_topic_and_dropped"),
    ]

    operations = [
        migrations.AddField(
            model_name="office",
            name="gate_version",
            field=models.PositiveBigIntegerField(
                default=0, editable=False, verbose_name="terms and notices version"
            ),
        ),
        versioning.operations(WATCHED, guards=(versioning.GATE,)),
    ]
