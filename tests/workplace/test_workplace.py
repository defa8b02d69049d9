"""The counselor's workplace: day sheet, week view, call list, admin index (REQ STF-1, STF-2,
BTH-6, NFR-3)."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from playwright.sync_api import expect

from bookings.calendar import format_slot
from booths.models import Reservation, Status
from consultations.models import Consultation, ConsultationJoin
from core.versioning import forget_kept
from tests.a11y import assert_accessible
from tests.auth import (
    login_client,
    sign_in_browser_with_second_factor,
    staff_with_mfa,
)
from tests.booths.conftest import NOW, tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.consultations.conftest import checklist, weekly
from tests.consultations.factories import ConsultationFactory, VideoToolFactory
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.workplace.conftest import counselor
from workplace import call_list

pytestmark = pytest.mark.django_db

DAY = reverse("admin:workplace_day")
WEEK = reverse("admin:workplace_week")
CALLS = reverse("admin:workplace_calls")
ACTION = reverse("admin:workplace_action")
INDEX = reverse("admin:index")


def consultation(office, counselor_user, zoom, **fields):
    return ConsultationFactory(office=office, counselor=counselor_user, video_tool=zoom, **fields)


def entries_in(response, kind):
    """{(column label, "HH:MM"): [entry, ...]} from the sheet's context."""
    columns = response.context["columns"]
    found = {}
    for moment, cells in response.context["rows"]:
        for column, cell in zip(columns, cells, strict=True):
            if column.kind == kind and cell.entries:
                found[(column.label, f"{moment:%H:%M}")] = cell.entries
    return found


def act(client, booking, action, **extra):
    kind = "booth" if isinstance(booking, Reservation) else "online"
    return client.post(ACTION, {"kind": kind, "pk": booking.pk, "action": action, **extra})


def test_day_sheet_shows_both_services_in_their_cells_with_the_true_state(
    frozen, staff_client, office, booth, me, zoom
):
    # REQ STF-1, BTH-6
    weekly(me, datetime.time(9), datetime.time(17))
    frozen.move_to(tokyo(2026, 11, 16, 10, 15))
    late = ReservationFactory(
        booth=booth,
        starts_at=tokyo(2026, 11, 16, 10, 0),
        status=Status.CONFIRMED,
        phoned_at=tokyo(2026, 11, 13, 10, 0),
        requester_name="遅刻 太郎",
        companions=["interpreter"],
    )
    online = consultation(
        office, me, zoom, starts_at=tokyo(2026, 11, 16, 11, 0), requester_name="画面 花子"
    )
    response = staff_client.get(DAY, {"date": "2026-11-16"})
    assert response.status_code == 200
    booths = entries_in(response, "booth")
    online_cells = entries_in(response, "online")
    [entry] = booths[("ブースA", "10:00")]
    assert entry.booking.pk == late.pk
    # The job has not run: the row still says confirmed, the sheet already says no-show.
    assert Reservation.objects.get(pk=late.pk).status == Status.CONFIRMED
    assert entry.state == Status.NO_SHOW
    assert "reinstate" in dict(entry.actions) and "start" not in dict(entry.actions)
    assert entry.companions == ["通訳者"] or entry.companions == ["Interpreter"]
    [online_entry] = online_cells[("相談 一郎", "11:00")]
    assert online_entry.booking.pk == online.pk and online_entry.state == Status.CONFIRMED
    html = response.content.decode()
    assert "遅刻 太郎" in html and "画面 花子" in html
    # A published, free slot of the counselor offers booking for a caller.
    free = [c for m, cells in response.context["rows"] if f"{m:%H:%M}" == "15:00" for c in cells]
    assert any(cell.offered and cell.links for cell in free)


def test_day_sheet_offers_the_actions_that_apply_now(frozen, staff_client, booth):
    # REQ STF-1, BTH-10
    now_slot = ReservationFactory(
        booth=booth,
        starts_at=tokyo(2026, 11, 16, 10, 0),
        status=Status.CONFIRMED,
        phoned_at=tokyo(2026, 11, 13, 10, 0),
    )
    later = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 14, 0))
    response = staff_client.get(DAY, {"date": "2026-11-16"})
    cells = entries_in(response, "booth")
    current = dict(cells[("ブースA", "10:00")][0].actions)
    future = dict(cells[("ブースA", "14:00")][0].actions)
    assert {"start", "no_show", "cancel_phone"} <= set(current)
    assert "confirm_now" in future and "start" not in future and "no_show" not in future
    links = [link.url for link in cells[("ブースA", "14:00")][0].links]
    assert reverse("admin:booths_reservation_confirm", args=[later.pk]) in links
    assert reverse("admin:booths_reservation_move", args=[later.pk]) in links
    assert now_slot.pk != later.pk


def test_one_click_actions_call_the_service_and_return_to_the_sheet(
    frozen, staff_client, booth, office, me, zoom
):
    # REQ STF-1, BTH-5, BTH-10
    reservation = ReservationFactory(
        booth=booth,
        starts_at=tokyo(2026, 11, 16, 10, 0),
        status=Status.CONFIRMED,
        phoned_at=tokyo(2026, 11, 13, 10, 0),
    )
    response = act(staff_client, reservation, "start", back="day", date="2026-11-16")
    assert response.status_code == 302
    assert response["Location"] == f"{DAY}?date=2026-11-16"
    reservation.refresh_from_db()
    assert reservation.status == Status.CHECKED_IN and reservation.actual_started_at == NOW
    act(staff_client, reservation, "complete", back="day")
    reservation.refresh_from_db()
    assert reservation.status == Status.COMPLETED
    online = consultation(office, me, zoom, starts_at=tokyo(2026, 11, 18, 10, 0))
    response = act(staff_client, online, "cancel_phone", back="day")
    assert response["Location"] == f"{DAY}?date=2026-11-18"
    online.refresh_from_db()
    assert online.status == Status.CANCELLED and online.cancelled_by == me
    # A refused transition is a message on the sheet, not an error page.
    response = act(staff_client, online, "start", back="day")
    assert response.status_code == 302
    page = staff_client.get(response["Location"])
    assert [m.level_tag for m in page.context["messages"]][-1] == "error"
    online.refresh_from_db()
    assert online.status == Status.CANCELLED


def test_day_sheet_shows_a_join_and_refuses_a_no_show_after_it(
    frozen, staff_client, office, booth, me, zoom
):
    # REQ CON-5, BTH-6, STF-1: the counselor sees the join; no no-show on someone who joined
    weekly(me, datetime.time(9), datetime.time(17))
    frozen.move_to(tokyo(2026, 11, 16, 10, 5))
    joined = consultation(
        office,
        me,
        zoom,
        starts_at=tokyo(2026, 11, 16, 10, 0),
        joined_at=tokyo(2026, 11, 16, 10, 2),
        requester_name="参加 花子",
    )
    absent = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0), confirmed=True, requester_name="不在"
    )
    response = staff_client.get(DAY, {"date": "2026-11-16"})
    [online_entry] = entries_in(response, "online")[("相談 一郎", "10:00")]
    [booth_entry] = entries_in(response, "booth")[("ブースA", "10:00")]
    assert online_entry.booking.pk == joined.pk and booth_entry.booking.pk == absent.pk
    assert "no_show" not in dict(online_entry.actions)
    assert "no_show" in dict(booth_entry.actions)
    html = response.content.decode()
    assert '<span class="wp-joined">10:02 参加</span>' in html
    assert html.count('class="wp-joined"') == 1
    # REQ CON-4: the checklist the person confirmed with that join is on the card
    assert "wp-checklist" not in html
    ConsultationJoin.objects.create(
        consultation=joined,
        user=joined.user,
        at=tokyo(2026, 11, 16, 10, 2),
        **checklist(zoom),
    )
    html = staff_client.get(DAY, {"date": "2026-11-16"}).content.decode()
    assert '<span class="wp-checklist">確認事項に同意 10:02</span>' in html
    # A stale page's POST is refused with the reason, shown on the sheet.
    response = act(staff_client, joined, "no_show", back="day", date="2026-11-16")
    page = staff_client.get(response["Location"])
    [message] = [str(m) for m in page.context["messages"]]
    assert "参加の記録" in message
    joined.refresh_from_db()
    assert joined.status == Status.CONFIRMED and joined.no_show_at is None


def test_day_sheet_card_says_when_the_person_has_yet_to_accept_the_terms(
    frozen, staff_client, office, booth, me
):
    # REQ TRM-4: booked by staff, the person must accept the booth terms before the start;
    # the card says so and offers recording the consent instead of "start"
    from terms.models import ConsentMethod, TermsService
    from terms.services import consent_record
    from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory

    version = TermsVersionFactory(
        document=TermsDocumentFactory(office=office, service=TermsService.BOOTH), number=1
    )
    frozen.move_to(tokyo(2026, 11, 16, 9, 50))
    pending = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0), confirmed=True, requester_name="未同意"
    )
    response = staff_client.get(DAY, {"date": "2026-11-16"})
    [entry] = entries_in(response, "booth")[("ブースA", "10:00")]
    assert entry.terms_missing and "start" not in dict(entry.actions)
    assert any("terms/consent/add" in link.url for link in entry.links)
    assert "利用規約に未同意" in response.content.decode()
    consent_record(user=pending.user, version=version, method=ConsentMethod.STAFF, recorded_by=me)
    response = staff_client.get(DAY, {"date": "2026-11-16"})
    [entry] = entries_in(response, "booth")[("ブースA", "10:00")]
    assert not entry.terms_missing and "start" in dict(entry.actions)


def test_day_sheet_shows_a_request_never_confirmed_as_closed_and_its_slot_free(
    frozen, staff_client, booth
):
    # REQ BTH-6, STF-1: from the start, before the job runs; no no-show action
    frozen.move_to(tokyo(2026, 11, 16, 10, 5))
    request = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0))
    response = staff_client.get(DAY, {"date": "2026-11-16"})
    [entry] = entries_in(response, "booth")[("ブースA", "10:00")]
    assert entry.booking.pk == request.pk and entry.state == "not_confirmed"
    assert entry.actions == [] and not entry.is_active
    assert "未確定のまま終了" in response.content.decode()
    cell = next(
        cells[0] for moment, cells in response.context["rows"] if f"{moment:%H:%M}" == "10:00"
    )
    assert reverse("admin:booths_booth_adhoc", args=[booth.pk]) in [link.url for link in cell.links]


def test_actions_are_post_only(frozen, staff_client, booth):
    # REQ NFR-3: nothing changes on a GET
    reservation = ReservationFactory(booth=booth)
    response = staff_client.get(
        ACTION, {"kind": "booth", "pk": reservation.pk, "action": "confirm_now"}
    )
    assert response.status_code == 405
    reservation.refresh_from_db()
    assert reservation.status == Status.REQUESTED


def test_staff_of_another_office_can_neither_see_nor_act_on_this_offices_rows(
    frozen, client, office, booth, other_office
):
    # REQ STF-2
    mine = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 14, 0), requester_name="自所 太郎"
    )
    stranger = login_client(client, counselor(other_office))
    response = stranger.get(DAY, {"date": "2026-11-16"})
    assert response.status_code == 200 and "自所 太郎" not in response.content.decode()
    assert stranger.get(CALLS).content.decode().count("自所 太郎") == 0
    for url in (DAY, WEEK, CALLS):
        assert stranger.get(url, {"office": office.pk}).status_code == 404
    for action in ("confirm_now", "cancel_phone", "start"):
        assert act(stranger, mine, action).status_code == 404
    mine.refresh_from_db()
    assert mine.status == Status.REQUESTED


def test_staff_without_the_booking_permissions_are_refused(frozen, client, office, booth):
    # REQ STF-2
    reservation = ReservationFactory(booth=booth)
    viewer = staff_with_mfa(office=office)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    login_client(client, viewer)
    assert client.get(DAY).status_code == 200
    assert act(client, reservation, "confirm_now").status_code == 403
    nobody = staff_with_mfa(office=office)
    login_client(client, nobody)
    assert client.get(DAY).status_code == 403


def test_superusers_choose_the_office_and_a_wrong_one_is_404(frozen, client, office, booth):
    # REQ STF-1, NFR-3
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 14, 0), requester_name="本所 一")
    other = BoothFactory(name="他ブース")
    admin_user = staff_with_mfa(office=other.office, is_superuser=True)
    login_client(client, admin_user)
    assert "本所 一" not in client.get(DAY, {"date": "2026-11-16"}).content.decode()
    page = client.get(DAY, {"date": "2026-11-16", "office": office.pk})
    assert "本所 一" in page.content.decode()
    assert client.get(DAY, {"office": 2**31 - 2}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"date": "junk"},
        {"date": "2026-02-30"},
        {"date": "99999-01-01"},
        {"date": "9999-12-31"},
        {"date": "0001-01-01"},
        {"date": "2026-11-16" * 2000},
        {"date": "2026-11-16\x00"},
        {"office": "abc"},
        {"office": "99999999999999999999999"},
        {"office": "-1"},
        {"page": "0"},
        {"page": "-3"},
        {"page": "x"},
        {"page": "99999999999999999999999"},
        {"page": "1" * 5000},
    ],
)
def test_malformed_dates_and_offices_answer_400_never_500(frozen, staff_client, query):
    # REQ NFR-3
    for url in (DAY, WEEK, CALLS):
        assert staff_client.get(url, query).status_code == 400
    assert staff_client.get(INDEX, query).status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "booth", "pk": "x", "action": "start"},
        {"kind": "booth", "pk": "99999999999999999999", "action": "start"},
        {"kind": "nope", "pk": "1", "action": "start"},
        {"kind": "booth", "pk": "1", "action": "delete"},
        {"kind": "booth", "pk": "1", "action": "start", "date": "2026-13-01"},
        {"kind": "booth", "pk": "1", "action": "start", "back": "https://evil.example"},
    ],
)
def test_malformed_actions_answer_400(frozen, staff_client, data):
    # REQ NFR-3
    assert staff_client.post(ACTION, data).status_code == 400


def test_day_sheet_walks_business_days_and_knows_closures(frozen, staff_client, office):
    # REQ STF-1, OFF-2
    from bookings.models import OfficeClosure

    OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 24))
    response = staff_client.get(DAY, {"date": "2026-11-20"})
    # Monday the 23rd is a national holiday and the 24th is closed: next is Wednesday the 25th.
    assert response.context["next_url"] == f"{DAY}?date=2026-11-25"
    assert response.context["previous_url"] == f"{DAY}?date=2026-11-19"
    closed = staff_client.get(DAY, {"date": "2026-11-23"})
    assert closed.status_code == 200 and closed.context["closed_reason"]


def test_week_view_counts_per_booth_and_counselor_and_links_the_day(
    frozen, staff_client, office, booth, me, zoom
):
    # REQ STF-1
    weekly(me, datetime.time(9), datetime.time(17))
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 17, 10, 0))
    ReservationFactory(
        booth=booth,
        starts_at=tokyo(2026, 11, 17, 11, 0),
        status=Status.CONFIRMED,
        phoned_at=tokyo(2026, 11, 16, 9, 0),
        counselor=me,
    )
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 9, 0), confirmed=True)  # ended
    # REQ BTH-6: a request never confirmed closed at its start, counted nowhere
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 9, 30))
    consultation(office, me, zoom, starts_at=tokyo(2026, 11, 18, 10, 0))
    response = staff_client.get(WEEK, {"date": "2026-11-18"})
    assert response.status_code == 200
    [(label, cells)] = response.context["booth_rows"]
    assert label == "ブースA"
    monday, tuesday = cells[0][0], cells[1][0]
    assert monday["ended"] == 1 and sum(monday.values()) == 1
    assert tuesday["requested"] == 1 and tuesday["confirmed"] == 1
    [(name, counselor_cells)] = response.context["counselor_rows"]
    assert name == "相談 一郎"
    assert counselor_cells[1][0]["confirmed"] == 1 and counselor_cells[2][0]["confirmed"] == 1
    assert cells[2][1] == f"{DAY}?date=2026-11-18"


def test_call_list_is_oldest_first_and_confirms_in_one_click(
    frozen, staff_client, office, booth, me, zoom
):
    # REQ STF-1, BTH-5, BTH-7
    newest = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 18, 10, 0), created_at=tokyo(2026, 11, 16, 9, 0)
    )
    oldest = consultation(
        office,
        me,
        zoom,
        starts_at=tokyo(2026, 11, 19, 10, 0),
        status=Status.REQUESTED,
        confirmed_at=None,
        created_at=tokyo(2026, 11, 12, 9, 0),
        needs_approval=True,
        phone="0184-99-0000",
    )
    middle = ReservationFactory(
        booth=booth,
        starts_at=tokyo(2026, 11, 18, 11, 0),
        created_at=tokyo(2026, 11, 14, 9, 0),
        companions=["caregiver"],
    )
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 9, 0))  # overdue: not to call
    response = staff_client.get(CALLS)
    assert [e.booking.pk for e in response.context["waiting"]] == [oldest.pk, middle.pk, newest.pk]
    assert response.context["total"] == 3
    html = response.content.decode()
    assert "0184-99-0000" in html
    response = act(staff_client, middle, "confirm_now", back="calls")
    assert response.status_code == 302 and response["Location"] == CALLS
    middle.refresh_from_db()
    assert middle.status == Status.CONFIRMED and middle.phoned_at == NOW
    assert middle.confirmed_by == me
    assert [e.booking.pk for e in staff_client.get(CALLS).context["waiting"]] == [
        oldest.pk,
        newest.pk,
    ]


def waiting_requests(office, booth, counselor_user, zoom, *, count: int, online_day: int):
    """`count` requests to phone, one a minute from 10 Nov 09:00, booth and online by turns
    (the odd ones online, on `online_day` of November)."""
    waiting = []
    for n in range(count):
        created = tokyo(2026, 11, 10, 9, n)
        if n % 2:
            waiting.append(
                consultation(
                    office,
                    counselor_user,
                    zoom,
                    starts_at=tokyo(2026, 11, online_day, 9 + n // 2, 0),
                    status=Status.REQUESTED,
                    confirmed_at=None,
                    created_at=created,
                )
            )
        else:
            waiting.append(
                ReservationFactory(
                    booth=booth, starts_at=tokyo(2026, 11, 18, 9 + n, 0), created_at=created
                )
            )
    return waiting


def test_the_call_list_is_read_a_page_at_a_time_oldest_first_across_both_services(
    frozen, staff_client, office, booth, me, zoom, monkeypatch, django_assert_max_num_queries
):
    # REQ STF-1, NFR-4: pages of a fixed size, both services in one order, a page past the
    # last shows the last, and a page costs the same queries however many requests wait
    monkeypatch.setattr(call_list, "CALL_LIST_PAGE_SIZE", 3)
    monkeypatch.setitem(call_list.call_list.__kwdefaults__, "size", 3)
    waiting = waiting_requests(office, booth, me, zoom, count=7, online_day=19)
    pages = []
    staff_client.get(CALLS)  # warm-up: session activity
    for number in (1, 2, 3):
        forget_kept()  # each page built, not kept (workplace.kept)
        with django_assert_max_num_queries(40) as queries:
            response = staff_client.get(CALLS, {"page": number})
        pages.append([e.booking.pk for e in response.context["waiting"]])
        assert response.context["total"] == 7
        html = response.content.decode()
        assert f"{number}ページ目" in html
        assert (f"page={number + 1}" in html) == (number < 3)
        assert (f"page={number - 1}" in html) == (number > 1)
        if number == 1:
            first_page_queries = len(queries.captured_queries)
        else:  # the last page holds one service's rows only: one query fewer
            assert len(queries.captured_queries) <= first_page_queries
    assert pages == [[b.pk for b in waiting[i : i + 3]] for i in (0, 3, 6)]
    last = staff_client.get(CALLS, {"page": 50})
    assert [e.booking.pk for e in last.context["waiting"]] == pages[-1]


def test_call_list_shows_today_and_tomorrow_not_yet_confirmed(frozen, staff_client, booth):
    # REQ STF-1
    today = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 15, 0))
    tomorrow = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 17, 9, 0))
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 9, 0))
    ReservationFactory(
        booth=booth,
        starts_at=tokyo(2026, 11, 17, 10, 0),
        status=Status.CONFIRMED,
        phoned_at=tokyo(2026, 11, 16, 9, 0),
    )
    soon = staff_client.get(CALLS).context["soon"]
    assert [e.booking.pk for e in soon] == [today.pk, tomorrow.pk]


def test_index_opens_on_the_counselors_office(frozen, staff_client, office, booth, me, zoom):
    # REQ STF-1, CON-2
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 10, 0))
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 11, 0))
    no_link = consultation(office, me, zoom, starts_at=tokyo(2026, 11, 17, 10, 0))
    consultation(
        office, me, zoom, starts_at=tokyo(2026, 11, 17, 11, 0), join_url="https://zoom.us/j/1"
    )
    consultation(office, me, zoom, starts_at=tokyo(2026, 11, 25, 10, 0))  # not within 2 days
    response = staff_client.get(INDEX)
    assert response.status_code == 200
    summary = response.context["workplace"]
    assert summary["office"] == office
    assert summary["calls_count"] == 2
    assert [c.pk for c, _url in summary["missing_links"]] == [no_link.pk]
    html = response.content.decode()
    assert DAY in html and CALLS in html and WEEK in html
    assert reverse("admin:consultations_consultation_link", args=[no_link.pk]) in html


def test_confirm_page_shows_name_phone_and_slot_once(frozen, staff_client, booth):
    # REQ BTH-5 (issue 12: the confirm page)
    reservation = ReservationFactory(booth=booth, requester_name="確認 太郎", phone="0173-55-6666")
    html = staff_client.get(
        reverse("admin:booths_reservation_confirm", args=[reservation.pk])
    ).content.decode()
    html = html[html.index("<body") :]  # the window title is not on the page
    assert html.count("確認 太郎") == 1
    assert html.count("0173-55-6666") == 2  # the number and its tel: link, one entry
    assert html.count(format_slot(reservation.starts_at, reservation.ends_at)) == 1


def populate(office, *, booths: int, counselors: int, per_booth: int, first: int = 0):
    """An office with booths, counselors (with weekly availability) and bookings today and
    this week, of both services and every state."""
    tool = VideoToolFactory(office=office)
    staff = []
    for n in range(counselors):
        person = counselor(office, last_name=f"相談{first + n}")
        weekly(person, datetime.time(9), datetime.time(17))
        staff.append(person)
    for b in range(booths):
        booth = BoothFactory(office=office, name=f"ブース{first + b:02}")
        for n in range(per_booth):
            starts_at = tokyo(2026, 11, 16 + n % 3, 9, 0) + datetime.timedelta(minutes=30 * n)
            ReservationFactory(
                booth=booth,
                starts_at=starts_at,
                user=UserFactory(office=office),
                counselor=staff[(b + n) % len(staff)] if n % 2 else None,
            )
    for i, person in enumerate(staff):
        for n in range(per_booth):
            starts_at = tokyo(2026, 11, 16 + n % 3, 13, 0) + datetime.timedelta(minutes=30 * n)
            ConsultationFactory(
                office=office,
                counselor=person,
                video_tool=tool,
                starts_at=starts_at,
                user=UserFactory(office=office),
                status=Status.REQUESTED if (i + n) % 2 else Status.CONFIRMED,
                phoned_at=None if (i + n) % 2 else NOW,
            )


def query_counts(client) -> dict[str, int]:
    counts = {}
    for name, url, query in [
        ("day", DAY, {"date": "2026-11-16"}),
        ("week", WEEK, {"date": "2026-11-16"}),
        ("calls", CALLS, {}),
        ("index", INDEX, {}),
    ]:
        client.get(url, query)  # warm-up: session activity, per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, query).status_code == 200
        counts[name] = len(queries)
    return counts


def test_each_page_costs_a_fixed_number_of_queries_whatever_the_office_size(
    frozen, staff_client, office
):
    # REQ STF-1, NFR-4
    populate(office, booths=2, counselors=2, per_booth=3)
    small = query_counts(staff_client)
    populate(office, booths=4, counselors=8, per_booth=6, first=10)
    assert Reservation.objects.count() > 25 and Consultation.objects.count() > 50
    large = query_counts(staff_client)
    assert large == small, (small, large)


@pytest.mark.django_db(transaction=True)
def test_counselor_works_the_call_list_and_sheet_by_keyboard_and_prints_the_sheet(
    live_server, page, office
):
    # REQ STF-1, NFR-2 (issue 12: the call list at 1,280 px keeps each date on one line)
    with time_machine.travel(tokyo(2026, 11, 16, 9, 50), tick=True):
        booth = BoothFactory(office=office, name="ブースA")
        me = counselor(office, last_name="相談", first_name="一郎")
        waiting = ReservationFactory(
            booth=booth,
            starts_at=tokyo(2026, 11, 16, 10, 0),
            requester_name="電話 待子",
            phone="0173-77-8888",
            companions=["interpreter"],
            needs_approval=True,
        )
        # REQ REG-8: signed in as counselors do, with the authenticator app's code.
        sign_in_browser_with_second_factor(page, live_server.url, me, DEFAULT_PASSWORD)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(live_server.url + CALLS)
        expect(page.get_by_role("heading", level=1)).to_have_text("電話確認リスト")
        lines = page.eval_on_selector_all(
            "table.wp-calls td.wp-date-cell",
            """cells => cells.map(cell => {
                const range = document.createRange();
                range.selectNodeContents(cell);
                return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
            })""",
        )
        assert lines and max(lines) == 1, lines
        assert_accessible(page)
        oldest_first = page.get_by_role("region", name="申込みの古い順")
        oldest_first.get_by_role("button", name="確定：今電話した 電話 待子").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".messagelist")).to_contain_text("電話 待子")
        waiting.refresh_from_db()
        assert waiting.status == Status.CONFIRMED and waiting.phoned_at is not None

        page.goto(live_server.url + DAY)
        assert_accessible(page)
        page.get_by_role("button", name="受付 電話 待子 10:00").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".messagelist")).to_contain_text("「実施中」になりました")
        waiting.refresh_from_db()
        assert waiting.status == Status.CHECKED_IN

        # The check-in's page may still be loading its style sheets after its message shows.
        page.wait_for_load_state("load")
        page.emulate_media(media="print")
        expect(page.locator(".wp-actions").first).to_be_hidden()
        expect(page.locator("#header")).to_be_hidden()
        fits = page.eval_on_selector(
            "table.wp-sheet", "t => t.getBoundingClientRect().right <= window.innerWidth"
        )
        assert fits


def test_the_day_sheet_and_call_list_record_whose_data_staff_saw(frozen, office, staff_client):
    # REQ LOG-1: the pages showing people's names and phones leave access records: one a
    # page load, naming everyone it showed, found by looking up any of them
    from accounts.access import AccessKind, AccessRecord

    booth = BoothFactory(office=office)
    reservations = [
        ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, hour)) for hour in (10, 11)
    ]
    people = {r.user_id for r in reservations}
    staff_client.get(DAY, {"date": "2026-11-18"})
    staff_client.get(CALLS)
    records = {r.kind: r for r in AccessRecord.objects.filter(subject=None, subjects__isnull=False)}
    assert set(records) == {AccessKind.DAY_SHEET, AccessKind.CALL_LIST}
    assert all(set(r.subjects) == people and r.office_id == office.pk for r in records.values())
    for person in people:
        kinds = set(AccessRecord.objects.about(person).values_list("kind", flat=True))
        assert {AccessKind.DAY_SHEET, AccessKind.CALL_LIST} <= kinds


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/booths/workplace/day/", DAY),
        ("/admin/booths/workplace/week/", WEEK),
        ("/admin/booths/workplace/calls/", CALLS),
        ("/admin/booths/statistics/", reverse("admin:workplace_statistics")),
    ],
)
def test_the_pages_old_admin_paths_still_lead_to_them(staff_client, old, new):
    # REQ STF-1: staff bookmarks from before the workplace app keep working, query included
    response = staff_client.get(old, {"date": "2026-11-16"})
    assert response.status_code == 301
    assert response["Location"] == f"{new}?date=2026-11-16"


def test_the_day_sheets_book_links_fill_in_the_phone_booking_form(
    frozen, staff_client, office, booth, zoom
):
    # REQ STF-1: the counselor's (or booth's) free cell opens the form with place, day and time
    adviser = counselor(office, last_name="佐藤", first_name="次郎")
    weekly(adviser, datetime.time(9), datetime.time(17))
    response = staff_client.get(DAY, {"date": "2026-11-18"})
    columns = response.context["columns"]
    links = {}
    for moment, cells in response.context["rows"]:
        for column, cell in zip(columns, cells, strict=True):
            for link in cell.links:
                links[(column.kind, column.label, f"{moment:%H:%M}")] = link.url
    online = links[("online", "佐藤 次郎", "14:30")]
    form = staff_client.get(online).context["form"]
    assert form["counselor"].value() == adviser.pk
    assert str(form["date"].value()) == "2026-11-18"
    assert f"{form['time'].value():%H:%M}" == "14:30"
    booth_link = links[("booth", "ブースA", "11:00")]
    form = staff_client.get(booth_link).context["form"]
    assert (form["booth"].value(), str(form["date"].value())) == (booth.pk, "2026-11-18")
    assert f"{form['time'].value():%H:%M}" == "11:00"
    # What does not parse is left empty, never an error.
    form = staff_client.get(online.replace("14%3A30", "25%3A99")).context["form"]
    assert form["time"].value() is None and not form.is_bound
