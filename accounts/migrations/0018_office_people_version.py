from django.db import migrations, models

from accounts.versions import PEOPLE
from core import versioning

# A person's name or standing changed raises the version of their office (and of the one they
# left): the day sheet names its counselors (REQ STF-1, NFR-4). Row by row, and only when one
# of those columns changes: a user row is written on many requests (activity, the facts
# version) and those must not count. Consents raise it from terms/migrations (terms sits above
# accounts).
NAMED = (
    "first_name",
    "last_name",
    "name_kana",
    "username",
    "is_active",
    "is_staff",
    "is_superuser",
    "office_id",
)
CHANGED = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in NAMED)
CREATE = [
    "CREATE OR REPLACE FUNCTION accounts_user_people_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN UPDATE accounts_office SET people_version = people_version + 1"
    " WHERE id = OLD.office_id OR id = NEW.office_id; RETURN NULL; END $$",
    "CREATE TRIGGER accounts_user_people_version AFTER UPDATE ON accounts_user FOR EACH ROW"
    f" WHEN ({CHANGED}) EXECUTE FUNCTION accounts_user_people_version()",
]
DROP = [
    "DROP TRIGGER IF EXISTS accounts_user_people_version ON accounts_user",
    "DROP FUNCTION IF EXISTS accounts_user_people_version()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0017_access_record_subject_index_once"),
    ]

    operations = [
        migrations.AddField(
            model_name="office",
            name="people_version",
            field=models.PositiveBigIntegerField(
                default=0, editable=False, verbose_name="consents and staff names version"
            ),
        ),
        versioning.operations([], guards=(PEOPLE,)),
        migrations.RunSQL(CREATE, DROP),
    ]
