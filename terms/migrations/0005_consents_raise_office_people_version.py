from django.db import migrations

from accounts.versions import PEOPLE
from core import versioning

# A consent recorded, changed or removed raises the people version of the office whose terms
# it accepts: the day sheet marks who has not accepted the terms in effect (REQ TRM-4, STF-1)
# and keeps that under it (workplace.kept, REQ NFR-4).
WATCHED = [
    versioning.Watched(
        table="terms_consent",
        columns=("version_id",),
        ids=(
            "SELECT d.office_id FROM {rows} AS c"
            " JOIN terms_termsversion AS v ON v.id = c.version_id"
            " JOIN terms_termsdocument AS d ON d.id = v.document_id"
        ),
        target=PEOPLE,
    )
]


class Migration(migrations.Migration):
    dependencies = [
        ("terms", "0004_terms_raise_office_gate_version"),
        ("accounts", "0018_office_people_version"),
    ]

    operations = [versioning.operations(WATCHED)]
