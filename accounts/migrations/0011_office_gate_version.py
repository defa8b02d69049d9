from django.db import migrations, models

from accounts.versions import GATE
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
        table="accounts_notice",
        columns=("office_id",),
        ids=EVERY_OFFICE_FOR_A_NATIONAL_ONE,
        target=GATE,
    )
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_one_jobseeker_number_staff_erasure"),
    ]

    operations = [
        migrations.AddField(
            model_name="office",
            name="gate_version",
            field=models.PositiveBigIntegerField(
                default=0, editable=False, verbose_name="terms and notices version"
            ),
        ),
        versioning.operations(WATCHED, guards=(GATE,)),
    ]
