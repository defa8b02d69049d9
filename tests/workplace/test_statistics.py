"""Anonymised monthly statistics in the admin (REQ STA-1, NFR-4)."""

import csv
import datetime
import io
import itertools
from unittest import mock

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Office, UserType
from accounts.services import account_delete
from bookings.calendar import SLOT, TOKYO
from bookings.models import OfficeClosure
from booths.models import CancelledVia, Purpose, Reservation, Source, Status
from core.versioning import forget_kept
from tests.auth import login_client, staff_with_mfa
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.consultations.factories import ConsultationFactory
from tests.factories import EmployerFactory, OfficeFactory, UserFactory
from tests.workplace.test_suppression import recoverable_by_rank
from workplace.statistics import (
    NATIONAL,
    month_relations,
    month_statistics,
    offered_slots,
    scope_cells,
)
from workplace.suppression import suppress

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 18:00 in Tokyo: the whole month is over.
NOW = datetime.datetime(2026, 11, 30, 18, 0, tzinfo=TOKYO)
PAGE = reverse("admin:workplace_statistics")


def tokyo(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TOKYO)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def office(db):
    return OfficeFactory(code="goshogawara", name="ハローワーク五所川原")


@pytest.fixture
def booth(office):
    return BoothFactory(office=office, name="ブースA")


def counselor(office):
    # Named unlike the people who book: the header greets the counselor by name.
    user = staff_with_mfa(office=office, last_name="統計", first_name="担当")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="booths"))
    return user


def _slots():
    """Distinct November slots, in order: 2, 4, 5, 6, 9 … at 9:00 to 16:30."""
    days = [d for d in range(2, 28) if datetime.date(2026, 11, d).weekday() < 5]
    for day, hour in itertools.product(days, range(9, 17)):
        yield tokyo(2026, 11, day, hour, 0)


def _completed(**fields):
    at = fields.pop("starts_at")
    return ReservationFactory(
        starts_at=at,
        status=Status.COMPLETED,
        phoned_at=at - datetime.timedelta(days=1),
        confirmed_at=at - datetime.timedelta(days=1),
        checked_in_at=at,
        actual_started_at=at,
        actual_ended_at=at + SLOT,
        completed_at=at + SLOT,
        **fields,
    )


@pytest.fixture
def dataset(frozen, office, booth):
    """A small month with every kind of figure; the other office's rows must never count."""
    slots = _slots()
    seeker = UserFactory(office=office, user_type=UserType.JOB_SEEKER)
    employer = EmployerFactory(office=office)
    for _n in range(7):
        _completed(booth=booth, user=seeker, starts_at=next(slots))
    for _n in range(6):
        at = next(slots)
        ReservationFactory(
            booth=booth,
            user=seeker,
            starts_at=at,
            purpose=Purpose.JOB_REFERRAL,
            status=Status.CANCELLED,
            cancelled_at=at - datetime.timedelta(days=2),
            cancelled_via=CancelledVia.ONLINE,
        )
    for _n in range(2):
        at = next(slots)
        ReservationFactory(
            booth=booth,
            user=employer,
            starts_at=at,
            purpose=Purpose.INTERVIEW,
            status=Status.CANCELLED,
            cancelled_at=at - datetime.timedelta(days=1),
            cancelled_via=CancelledVia.PHONE,
        )
    # One no-contact cancellation the job recorded, one overdue it has not recorded yet.
    at = next(slots)
    ReservationFactory(booth=booth, user=seeker, starts_at=at, status=Status.NO_SHOW, no_show_at=at)
    ReservationFactory(booth=booth, user=seeker, starts_at=next(slots), confirmed=True)
    for _n in range(5):
        at = next(slots)
        ReservationFactory(
            booth=booth,
            user=seeker,
            starts_at=at,
            source=Source.ADHOC,
            status=Status.COMPLETED,
            checked_in_at=at,
            actual_started_at=at,
            actual_ended_at=at + SLOT,
            completed_at=at + SLOT,
        )
    # Booked by staff for callers without an account: no user type recorded.
    for _n in range(6):
        _completed(booth=booth, user=None, user_type="", source=Source.STAFF, starts_at=next(slots))
    # An employer who used a booth, then deleted the account: the anonymised row still counts.
    leaver = EmployerFactory(office=office)
    kept = _completed(booth=booth, user=leaver, purpose=Purpose.SELECTION, starts_at=next(slots))
    account_delete(user=leaver)
    kept.refresh_from_db()
    leaver.refresh_from_db()
    assert leaver.deleted_at is not None
    assert kept.status == Status.COMPLETED and kept.user_type == UserType.EMPLOYER
    for day in range(2, 8):
        ConsultationFactory(
            office=office,
            user=seeker,
            starts_at=tokyo(2026, 11, 2 + day, 10, 0) if day < 5 else tokyo(2026, 11, 16, day, 0),
            status=Status.COMPLETED,
            completed_at=NOW,
        )
    # A closure on Friday the 20th; another office's data and December's never count.
    OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 20))
    other = BoothFactory(office=OfficeFactory(code="honjo"))
    for hour in range(10, 15):
        _completed(booth=other, user=seeker, starts_at=tokyo(2026, 11, 18, hour, 0))
    _completed(booth=booth, user=seeker, starts_at=tokyo(2026, 12, 1, 10, 0))
    return office


def _displays(row):
    return [cell.display for cell in row.cells]


def test_figures_of_a_small_month(dataset):
    # REQ STA-1: requests, confirmed, completed, cancelled online / by phone, no-contact
    # (recorded or overdue), ad-hoc, online consultations held, by user type and by purpose
    stats = month_statistics(office=dataset, year=2026, month=11)
    assert [name for name, _label in stats.figures] == [
        "requests",
        "confirmed",
        "completed",
        "cancelled_online",
        "cancelled_phone",
        "no_contact",
        "adhoc",
        "online_held",
    ]
    values = [cell.value for cell in stats.totals.cells]
    assert values == [24, 15, 19, 6, 2, 2, 5, 6]
    by_type = {row.key: [cell.value for cell in row.cells] for row in stats.by_user_type.rows}
    assert by_type == {
        "job_seeker": [15, 8, 12, 6, 0, 2, 5, 6],
        # the deleted employer's booking is in here (REQ REG-5)
        "employer": [3, 1, 1, 0, 2, 0, 0, 0],
        "other": [6, 6, 6, 0, 0, 0, 0, 0],
    }
    by_purpose = {row.key: [cell.value for cell in row.cells] for row in stats.by_purpose.rows}
    assert by_purpose["job_consultation"] == [15, 14, 18, 0, 0, 2, 5, 6]
    assert by_purpose["selection"] == [1, 1, 1, 0, 0, 0, 0, 0]
    # Booked slots: completed (7 + 5 ad-hoc + 6 + 1); cancellations and no-shows are free.
    assert stats.booked_slots.value == 19
    # November 2026: 19 business days (3rd and 23rd are holidays), minus the closure, 16 slots.
    assert stats.offered_slots == 18 * 16
    assert stats.utilisation_percent == "6.6"


def test_requests_never_confirmed_count_in_no_cancellation_figure_nor_as_booked(office, booth):
    # REQ STA-1, BTH-6: before and after the job closes them; a confirmed one left unattended
    # is a no-contact cancellation (so the test can fail)
    seeker = UserFactory(office=office, user_type=UserType.JOB_SEEKER)
    ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, 9, 10))
    ReservationFactory(
        booth=booth,
        user=seeker,
        starts_at=tokyo(2026, 11, 10, 10),
        status=Status.CANCELLED,
        cancelled_at=tokyo(2026, 11, 10, 10),
        cancelled_via=CancelledVia.NOT_CONFIRMED,
    )
    ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, 11, 10), confirmed=True)
    stats = month_statistics(office=office, year=2026, month=11, now=NOW)
    figures = dict(zip([name for name, _label in stats.figures], stats.totals.cells, strict=True))
    assert figures["requests"].value == 3
    assert figures["confirmed"].value == 1
    assert figures["no_contact"].value == 1
    assert figures["cancelled_online"].value == figures["cancelled_phone"].value == 0
    assert stats.booked_slots.value == 0


def test_counts_under_five_and_derivable_counts_are_hidden(dataset):
    # REQ STA-1: "<5" for 1 to 4, "0" stays 0, and the complementary cells so no hidden count
    # can be worked out
    stats = month_statistics(office=dataset, year=2026, month=11)
    # 24 requests + 5 ad-hoc - 6 cancelled online - 19 booked = cancelled by phone (2) +
    # no-contacts (2): hidden together they would still be 1 to 3 each, so the ad-hoc uses go
    # too
    assert _displays(stats.totals) == ["24", "15", "19", "6", "<5", "<5", "<5", "6"]
    rows = {row.key: _displays(row) for row in stats.by_user_type.rows}
    # requests: only the employers' 3 is under 5, so the next smallest (the 6 bookings
    # without a user type) is hidden as well; the same in the confirmed and completed columns
    assert rows["job_seeker"] == ["15", "8", "12", "6", "0", "<5", "<5", "6"]
    assert rows["employer"] == ["<5", "<5", "<5", "0", "<5", "0", "0", "0"]
    assert rows["other"] == ["<5", "<5", "<5", "0", "0", "0", "0", "0"]


def _shown_and_hidden(scopes: dict) -> tuple[dict, set]:
    """What the pages of every scope show, keyed like `month_relations`."""
    shown, hidden = {}, set()
    for scope, stats in scopes.items():
        cells = {("booked",): stats.booked_slots}
        for breakdown, kind in zip(stats.breakdowns, ["user_type", "purpose"], strict=True):
            for row in breakdown.rows:
                for (name, _label), cell in zip(stats.figures, row.cells, strict=True):
                    cells[(kind, row.key, name)] = cell
        for (name, _label), cell in zip(stats.figures, stats.totals.cells, strict=True):
            cells[("total", name)] = cell
        for key, cell in cells.items():
            if cell.hidden:
                hidden.add((scope, *key))
            else:
                shown[(scope, *key)] = cell.value
    return shown, hidden


def test_no_hidden_count_can_be_worked_out_from_every_page_and_the_national_view(dataset):
    # REQ STA-1: the office pages (and their CSVs) and the national view together: the
    # national figure minus the other office's figure gives nothing away
    other = Office.objects.get(code="honjo")
    scopes = {
        dataset.pk: month_statistics(office=dataset, year=2026, month=11),
        other.pk: month_statistics(office=other, year=2026, month=11),
        NATIONAL: month_statistics(office=None, year=2026, month=11),
    }
    shown, hidden = _shown_and_hidden(scopes)
    assert (dataset.pk, "user_type", "employer", "requests") in hidden
    # honjo's employers made no request ("0" shown): the national figure is the hidden 3
    assert shown[(other.pk, "user_type", "employer", "requests")] == 0
    assert (NATIONAL, "user_type", "employer", "requests") in hidden
    assert len(shown) + len(hidden) == 3 * len(scope_cells())
    assert recoverable_by_rank(month_relations([dataset.pk, other.pk]), hidden) == set()


def test_utilisation_is_hidden_with_a_small_booked_count(frozen, office, booth):
    # REQ STA-1: the percentage would give the hidden count away
    _completed(booth=booth, starts_at=tokyo(2026, 11, 18, 10, 0))
    stats = month_statistics(office=office, year=2026, month=11)
    assert stats.booked_slots.display == "<5"
    assert stats.utilisation_percent is None


def test_offered_slots_count_business_days_booths_and_slots():
    # REQ STA-1: utilisation's denominator follows the office calendar (OFF-2)
    args = {"year": 2026, "month": 11, "opens_at": datetime.time(9), "closes_at": datetime.time(17)}
    assert offered_slots(booths=2, **args) == 19 * 2 * 16
    assert offered_slots(booths=1, closures=[datetime.date(2026, 11, 20)], **args) == 18 * 16
    # a closure on a Saturday changes nothing
    assert offered_slots(booths=1, closures=[datetime.date(2026, 11, 21)], **args) == 19 * 16


def test_national_view_adds_up_every_office(dataset):
    # REQ STA-1: superusers' national view
    stats = month_statistics(office=None, year=2026, month=11)
    assert stats.totals.cells[0].value == 24 + 5
    assert stats.offered_slots == 18 * 16 + 19 * 16


def test_page_shows_the_chart_and_the_same_numbers_as_a_table(dataset, client):
    # REQ STA-1: an accessible chart (SVG with title and desc) and the text table
    login_client(client, counselor(dataset))
    response = client.get(PAGE, {"month": "2026-11"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg class="stats-chart" role="img"' in html
    assert '<title id="chart-title">' in html
    assert '<desc id="chart-desc">' in html
    assert "<script" not in html.split('<div id="content"')[-1]
    assert html.count("&lt;5") >= 10
    assert "<td>24</td>" in html
    # Japanese first: the utilisation row's label too (its template msgid escapes the "%")
    assert '<th scope="row">ブース利用率（%）</th>' in html
    assert "Booth utilisation" not in html
    # no personal data: the users' names, phones and the booth's requester names
    for personal in ["山田", "0184-00-1234", "0173-12-3456", "株式会社試験"]:
        assert personal not in html


def test_csv_has_a_bom_the_figures_and_no_personal_data(dataset, client):
    # REQ STA-1, LOG-2
    login_client(client, counselor(dataset))
    response = client.get(PAGE, {"month": "2026-11", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "statistics-goshogawara-2026-11.csv" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["ハローワーク", "ハローワーク五所川原"]
    total_rows = [row for row in rows if len(row) == 10 and row[2] == "24"]
    assert total_rows and total_rows[0][2:] == ["24", "15", "19", "6", "<5", "<5", "<5", "6"]
    for personal in ["山田", "0184-00-1234", "0173-12-3456", "株式会社試験", "example.jp"]:
        assert personal not in text


def test_counselor_of_another_office_gets_404(dataset, client):
    # REQ STA-1, STF-2
    login_client(client, counselor(OfficeFactory(code="noshiro")))
    assert client.get(PAGE, {"office": "goshogawara", "month": "2026-11"}).status_code == 404
    assert client.get(PAGE, {"office": "national", "month": "2026-11"}).status_code == 404
    assert client.get(PAGE, {"month": "2026-11"}).status_code == 200


def test_staff_without_the_booth_permission_are_refused(dataset, client):
    # REQ STA-1
    login_client(client, staff_with_mfa(office=dataset))
    assert client.get(PAGE).status_code == 403


def test_superuser_sees_any_office_and_the_national_view(dataset, client):
    # REQ STA-1
    login_client(client, staff_with_mfa(office=None, is_superuser=True))
    html = client.get(PAGE, {"office": "goshogawara", "month": "2026-11"}).content.decode()
    assert "<td>24</td>" in html
    html = client.get(PAGE, {"office": "national", "month": "2026-11"}).content.decode()
    assert "<td>29</td>" in html
    assert client.get(PAGE, {"office": "nowhere"}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"month": "2026-13"},
        {"month": "99999-1"},
        {"month": "x" * 5000},
        {"office": "x" * 5000},
        {"month": "2026-11\x00"},
    ],
)
def test_malformed_parameters_never_answer_5xx(dataset, client, query):
    # REQ NFR-3
    login_client(client, counselor(dataset))
    assert client.get(PAGE, query).status_code in (200, 404)


def _add_reservations(booth, count, start):
    Reservation.objects.bulk_create(
        Reservation(
            booth=booth,
            starts_at=start + n * SLOT,
            ends_at=start + (n + 1) * SLOT,
            user_type=UserType.JOB_SEEKER,
            purpose=Purpose.JOB_CONSULTATION,
            requester_name="-",
            phone="-",
            status=Status.CANCELLED,
            cancelled_at=start,
            cancelled_via=CancelledVia.ONLINE,
        )
        for n in range(count)
    )


def test_query_count_does_not_grow_with_the_data(frozen, office, booth, client):
    # REQ STA-1, NFR-4: a fixed number of aggregate queries per page
    login_client(client, counselor(office))
    client.get(PAGE, {"month": "2026-11"})  # session and permission caches warm

    def page_queries():
        forget_kept()  # the month read afresh each time
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE, {"month": "2026-11"}).status_code == 200
        return len(queries)

    small = page_queries()
    _add_reservations(booth, 300, tokyo(2026, 11, 2, 0, 0))
    for _extra in range(3):
        _add_reservations(BoothFactory(office=office), 50, tokyo(2026, 11, 9, 0, 0))
    OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 24))
    assert page_queries() == small
    # the offices' versions, two counts, offered slots (two); the versions alone once cached
    forget_kept()
    with CaptureQueriesContext(connection) as queries:
        month_statistics(office=office, year=2026, month=11)
    assert len(queries) == 5
    with CaptureQueriesContext(connection) as queries:
        month_statistics(office=office, year=2026, month=11)
    assert len(queries) == 3


def test_a_change_elsewhere_reads_the_month_again_but_does_not_suppress_it_again(dataset):
    # REQ STA-1, NFR-4: the suppression is kept under the month's counts
    with mock.patch("workplace.statistics.suppress", wraps=suppress) as suppressing:
        month_statistics(office=dataset, year=2026, month=11)
        _completed(booth=BoothFactory(office=dataset), starts_at=tokyo(2026, 12, 2, 10, 0))
        with CaptureQueriesContext(connection) as queries:
            month_statistics(office=None, year=2026, month=11)
        assert len(queries) == 5 and suppressing.call_count == 1
        _completed(booth=BoothFactory(office=dataset), starts_at=tokyo(2026, 11, 25, 10, 0))
        stats = month_statistics(office=dataset, year=2026, month=11)
        assert suppressing.call_count == 2
        assert stats.totals.cells[0].value == 25


def test_a_change_anywhere_is_seen_at_once_despite_the_cache(dataset):
    # REQ STA-1, NFR-4: any office's booking changes the month's suppression, so the cache
    # key follows every office's data version
    before = month_statistics(office=dataset, year=2026, month=11)
    other_booth = BoothFactory(office=Office.objects.get(code="honjo"))
    _completed(booth=other_booth, starts_at=tokyo(2026, 11, 19, 10, 0))
    national = month_statistics(office=None, year=2026, month=11)
    assert national.totals.cells[0].value == before.totals.cells[0].value + 5 + 1
    Reservation.objects.filter(booth__office=dataset, status=Status.NO_SHOW).update(
        status=Status.CANCELLED, cancelled_at=NOW, cancelled_via=CancelledVia.PHONE
    )
    after = month_statistics(office=dataset, year=2026, month=11)
    assert after.totals.cells[4].value == before.totals.cells[4].value + 1
