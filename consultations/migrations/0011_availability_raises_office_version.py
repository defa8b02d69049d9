"""Counselors' weekly patterns and single-slot exceptions raise their office's availability
version (core.versioning), so what is derived from them can be kept under it: the slot read
that picks a counselor for an online booking (consultations.availability.counselors_at,
REQ NFR-4)."""

from django.db import migrations

from accounts.versions import OFFICE
from core import versioning

WATCHED = [
    versioning.Watched(
        table="consultations_availabilitypattern",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=OFFICE,
    ),
    versioning.Watched(
        table="consultations_availabilityexception",
        columns=("office_id",),
        ids="SELECT office_id FROM {rows}",
        target=OFFICE,
    ),
]


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0011_office_gate_version"),
        ("consultations", "0010_cancelled_not_confirmed_by_office"),
    ]

    operations = [versioning.operations(WATCHED)]
