from django.db import migrations

from accounts.versions import GATE
from core import versioning

# A terms version (published, or its draft) raises its office's gate version: the consent gate
# keeps the office's published versions by it (terms.gate, REQ TRM-4, NFR-4).
WATCHED = [
    versioning.Watched(
        table="terms_termsversion",
        columns=("document_id",),
        ids=(
            "SELECT d.office_id FROM {rows} AS v"
            " JOIN terms_termsdocument AS d ON d.id = v.document_id"
        ),
        target=GATE,
    )
]


class Migration(migrations.Migration):
    dependencies = [
        ("terms", "0003_audit_trail_by_triggers"),
        ("accounts", "0011_office_gate_version"),
    ]

    operations = [versioning.operations(WATCHED)]
