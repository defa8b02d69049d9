"""The statistics CSV never hands a spreadsheet a formula (REQ LOG-2)."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.auth import login_client, staff_with_mfa
from tests.factories import OfficeFactory
from workplace.stats_admin import csv_safe_cell

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_cells_starting_like_a_formula_get_an_apostrophe(start):
    # REQ LOG-2
    assert csv_safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_safe_cell("ハローワーク") == "ハローワーク"
    assert csv_safe_cell(12) == 12


def test_an_office_name_typed_as_a_formula_reaches_the_csv_as_text(client):
    # REQ LOG-2: the office form accepts any name; the export neutralises it.
    office = OfficeFactory(code="evil", name='=HYPERLINK("http://example.com","x")')
    staff = staff_with_mfa(office=office)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="booths"))
    login_client(client, staff)
    response = client.get(
        reverse("admin:workplace_statistics"), {"month": "2026-11", "format": "csv"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][1] == "'" + office.name
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
