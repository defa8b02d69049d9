"""The office's weekly booking funnel (REQ STA-2, suppressed as REQ STA-1)."""

import datetime
import itertools

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.calendar import SLOT, TOKYO
from booths.models import CancelledVia, Source, Status
from tests.auth import login_client, staff_with_mfa
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.consultations.factories import ConsultationFactory
from tests.factories import OfficeFactory
from tests.workplace.test_suppression import recoverable_by_rank
from workplace.funnel import WEEKS, funnel_relations, funnel_weeks, weekly_funnel

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 18:00 in Tokyo: the funnel's weeks start 14 September.
NOW = datetime.datetime(2026, 11, 30, 18, 0, tzinfo=TOKYO)
PAGE = reverse("admin:workplace_funnel")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def office(db):
    return OfficeFactory(code="goshogawara", name="ハローワーク五所川原")


def counselor(office):
    user = staff_with_mfa(office=office)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="booths"))
    return user


def _hours(day: datetime.date):
    for hour, minute in itertools.product(range(9, 17), (0, 30)):
        yield datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TOKYO)


def _held(booth, at, **fields):
    return ReservationFactory(
        booth=booth,
        starts_at=at,
        status=Status.COMPLETED,
        confirmed_at=at - datetime.timedelta(days=1),
        phoned_at=at - datetime.timedelta(days=1),
        checked_in_at=at,
        actual_started_at=at,
        actual_ended_at=at + SLOT,
        completed_at=at + SLOT,
        **fields,
    )


def _cancelled(booth, at, via):
    return ReservationFactory(
        booth=booth, starts_at=at, status=Status.CANCELLED, cancelled_at=at, cancelled_via=via
    )


@pytest.fixture
def weeks(frozen, office):
    """Week of 2 November: 9 requests (7 held, 2 cancelled, 1 more closed unconfirmed, not a
    cancellation), ad-hoc uses that are no request; week of 16 November: 6 online
    consultations, 5 joined or completed, 1 left unattended (a no-contact)."""
    booth = BoothFactory(office=office)
    slots = _hours(datetime.date(2026, 11, 4))
    for _n in range(6):
        _held(booth, next(slots))
    _held(booth, next(slots), source=Source.STAFF)
    _cancelled(booth, next(slots), CancelledVia.ONLINE)
    _cancelled(booth, next(slots), CancelledVia.PHONE)
    _cancelled(booth, next(slots), CancelledVia.NOT_CONFIRMED)
    for _n in range(3):
        _held(booth, next(slots), source=Source.ADHOC)
    for day in range(16, 22):
        at = datetime.datetime(2026, 11, day, 10, 0, tzinfo=TOKYO)
        if day == 21:  # Saturday's was never joined: overdue under the 10-minute rule
            ConsultationFactory(office=office, starts_at=at)
        else:
            ConsultationFactory(office=office, starts_at=at, status=Status.COMPLETED)
    # Before the 12 weeks, and another office: never counted.
    _held(booth, datetime.datetime(2026, 9, 11, 10, 0, tzinfo=TOKYO))
    _held(BoothFactory(office=OfficeFactory(code="honjo")), NOW - datetime.timedelta(days=20))
    return office


def _row(funnel, monday):
    week = next(week for week in funnel.weeks if week.monday == monday)
    return [cell.value for cell in week.cells], [cell.display for cell in week.cells]


def test_twelve_weeks_this_week_last():
    # REQ STA-2
    mondays = funnel_weeks(datetime.date(2026, 11, 30))
    assert len(mondays) == WEEKS == 12
    assert mondays[0] == datetime.date(2026, 9, 14)
    assert mondays[-1] == datetime.date(2026, 11, 30)
    assert funnel_weeks(datetime.date(2026, 12, 6))[-1] == datetime.date(2026, 11, 30)


def test_requests_confirmed_held_no_contact_and_cancelled_per_week(weeks):
    # REQ STA-2: both services, advance bookings only, by the week of the slot
    funnel = weekly_funnel(office=weeks)
    assert [name for name, _label in funnel.stages] == [
        "requests",
        "confirmed",
        "held",
        "no_contact",
        "cancelled",
    ]
    values, _displays = _row(funnel, datetime.date(2026, 11, 2))
    assert values == [10, 7, 7, 0, 2]
    values, _displays = _row(funnel, datetime.date(2026, 11, 16))
    assert values == [6, 6, 5, 1, 0]
    quiet = [week for week in funnel.weeks if week.monday not in {datetime.date(2026, 11, 2)}]
    assert sum(cell.value for week in quiet for cell in week.cells) == 6 + 6 + 5 + 1


def test_small_counts_hidden_and_not_recoverable_from_the_week(weeks):
    # REQ STA-2, STA-1: 10 requests = 7 held + 0 no-contact + 2 cancelled + 1 unconfirmed;
    # with the cancellations hidden, the held count must not give them away
    funnel = weekly_funnel(office=weeks)
    _values, displays = _row(funnel, datetime.date(2026, 11, 2))
    assert displays[4] == "<5"
    assert displays[3] == "0"  # a zero stays shown
    assert sum(display == "<5" for display in displays) >= 2
    _values, displays = _row(funnel, datetime.date(2026, 11, 16))
    assert displays[3] == "<5"
    hidden = {
        (week.monday, name)
        for week in funnel.weeks
        for (name, _label), cell in zip(funnel.stages, week.cells, strict=True)
        if cell.hidden
    }
    relations = funnel_relations([week.monday for week in funnel.weeks])
    assert recoverable_by_rank(relations, hidden) == set()


def test_page_shows_an_accessible_chart_and_the_same_figures_as_a_table(weeks, client):
    # REQ STA-2: server-rendered SVG with title and desc, no script, and the table
    login_client(client, counselor(weeks))
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg class="stats-chart funnel-chart" role="img"' in html
    assert 'aria-labelledby="funnel-title funnel-desc"' in html
    assert '<title id="funnel-title">' in html
    desc = html.split('<desc id="funnel-desc">')[1].split("</desc>")[0]
    assert desc.count("2026年") == WEEKS and "&lt;5" in desc
    assert "<script" not in html.split('<div id="content"')[-1]
    assert (
        '<time datetime="2026-11-02">2026年11月2日（月）</time></th><td>10</td><td>7</td><td>&lt;5</td><td>0</td><td>&lt;5</td>'
        in html
    )
    assert html.count('<tr><th scope="row"><time') == WEEKS
    # Japanese first
    assert "週ごとの予約の流れ" in html
    # No personal data in the page's content (the header greets the signed-in counselor).
    content = html.split('<div id="content"')[-1]
    for personal in ["山田", "0184-12-3456", "0173-12-3456"]:
        assert personal not in content


def test_statistics_page_links_to_the_funnel(weeks, client):
    # REQ STA-2
    login_client(client, counselor(weeks))
    html = client.get(reverse("admin:workplace_statistics"), {"month": "2026-11"}).content.decode()
    assert f'href="{PAGE}?office=goshogawara"' in html


def test_counselor_sees_only_their_office(weeks, client):
    # REQ STA-2, STF-2
    login_client(client, counselor(OfficeFactory(code="noshiro")))
    assert client.get(PAGE, {"office": "goshogawara"}).status_code == 404
    assert client.get(PAGE, {"office": "national"}).status_code == 200
    assert "ハローワーク五所川原" not in client.get(PAGE).content.decode()


def test_staff_without_the_booth_permission_are_refused(weeks, client):
    # REQ STA-2
    login_client(client, staff_with_mfa(office=weeks))
    assert client.get(PAGE).status_code == 403


def test_superuser_chooses_an_office(weeks, client):
    # REQ STA-2
    login_client(client, staff_with_mfa(office=None, is_superuser=True))
    html = client.get(PAGE).content.decode()
    assert "funnel-chart" not in html
    html = client.get(PAGE, {"office": "goshogawara"}).content.decode()
    assert "<td>10</td>" in html
    assert client.get(PAGE, {"office": "nowhere"}).status_code == 404
    assert client.get(PAGE, {"office": "x" * 5000}).status_code == 404


def test_query_count_does_not_grow_with_the_data(frozen, office):
    # REQ STA-2, NFR-4
    with CaptureQueriesContext(connection) as queries:
        weekly_funnel(office=office)
    booth = BoothFactory(office=office)
    for at in _hours(datetime.date(2026, 11, 25)):
        _held(booth, at)
    with CaptureQueriesContext(connection) as more:
        funnel = weekly_funnel(office=office)
    assert len(queries) == len(more) == 2
    assert funnel.weeks[-2].cells[0].value == 16
