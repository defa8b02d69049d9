"""The office's closures and the counselors' holds move to the bookings app (issue 20).

Their rows, and the audit trail of them, stay: the tables are renamed, not copied. The audit
triggers (django-pgtrigger names them after the model's app) and the office version's triggers
are dropped here and installed again on the renamed tables by `bookings.0001_initial`, which
takes the models over in Django's state; `consultations.0007` lets them go from this app's.
"""

from django.db import migrations

from accounts.versions import OFFICE
from core import versioning

MOVED_TABLES = {
    "consultations_officeclosure": "bookings_officeclosure",
    "consultations_officeclosureevent": "bookings_officeclosureevent",
    "consultations_counselorhold": "bookings_counselorhold",
    "consultations_counselorholdevent": "bookings_counselorholdevent",
}

DROP_AUDIT_TRIGGERS = """
DO $$
DECLARE t record;
BEGIN
  FOR t IN
    SELECT tg.tgname, c.relname FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
    WHERE c.relname = ANY (%s) AND tg.tgname LIKE 'pgtrigger_%%' AND NOT tg.tgisinternal
  LOOP
    EXECUTE format('DROP TRIGGER %%I ON %%I', t.tgname, t.relname);
    EXECUTE format('DROP FUNCTION IF EXISTS %%I()', t.tgname);
  END LOOP;
END $$;
""" % ("ARRAY[%s]" % ", ".join(f"'{old}'" for old in MOVED_TABLES))

OLD_CLOSURE_VERSION = [
    versioning.Watched(
        table="consultations_officeclosure",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=OFFICE,
    )
]


class Migration(migrations.Migration):
    # After every migration of booths that still names the old tables.
    dependencies = [
        ("consultations", "0005_version_triggers_by_index"),
        ("booths", "0007_version_triggers_by_index"),
    ]

    operations = [
        migrations.RunSQL(DROP_AUDIT_TRIGGERS),
        migrations.RunSQL(versioning.drop_sql(OLD_CLOSURE_VERSION)),
        migrations.RunSQL(
            [f"ALTER TABLE {old} RENAME TO {new}" for old, new in MOVED_TABLES.items()]
            + [
                "ALTER TABLE bookings_officeclosure RENAME CONSTRAINT "
                "consultations_officeclosure_one_per_day TO bookings_officeclosure_one_per_day",
                "ALTER TABLE bookings_counselorhold RENAME CONSTRAINT "
                "consultations_counselorhold_once_per_slot TO bookings_counselorhold_once_per_slot",
            ]
        ),
    ]
