"""The person's list of all their bookings, over both services (REQ BTH-6, NFR-4)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booths.models import Status
from tests.booths.conftest import SLOT_AT, tokyo
from tests.booths.factories import ReservationFactory

pytestmark = pytest.mark.django_db


def test_my_reservations_reads_a_bounded_past(frozen, client, seeker, booth):
    # REQ NFR-4: upcoming, and only the last 50 past reservations are read
    for week in range(55):
        ReservationFactory(
            booth=booth,
            user=seeker,
            starts_at=tokyo(2025, 11, 17, 10) - datetime.timedelta(days=7 * week),
            status=Status.COMPLETED,
        )
    client.force_login(seeker)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("workplace:my_reservations"))
    assert len(response.context["past"]) == 50
    reads = [q["sql"] for q in queries if 'FROM "booths_reservation"' in q["sql"]]
    assert reads and all("LIMIT" in sql or 'ends_at" >' in sql for sql in reads), reads


def test_my_reservations_lists_only_my_own_with_the_true_state(frozen, client, seeker, booth):
    # REQ BTH-6
    mine = ReservationFactory(booth=booth, user=seeker, starts_at=SLOT_AT)
    overdue = ReservationFactory(
        booth=booth, user=seeker, starts_at=tokyo(2026, 11, 16, 9, 30), confirmed=True
    )
    unconfirmed = ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, 16, 9))
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 19, 10), requester_name="他人 花子")
    client.force_login(seeker)
    html = client.get(reverse("workplace:my_reservations")).content.decode()
    assert mine.get_absolute_url() in html
    assert overdue.get_absolute_url() in html
    assert unconfirmed.get_absolute_url() in html
    # REQ BTH-6: a request the office never confirmed is not "no contact", before the job too
    assert html.count("連絡なしの取消") == 1
    assert "終了：ハローワークが確定しませんでした" in html
    assert "他人" not in html


def test_the_lists_old_path_still_leads_to_it(client, seeker):
    # REQ BTH-6: the path before the workplace app, linked from mails already sent, redirects
    client.force_login(seeker)
    response = client.get("/booths/reservations/")
    assert response.status_code == 301
    assert response["Location"] == reverse("workplace:my_reservations")
    assert client.get(response["Location"]).status_code == 200
