"""Online consultations in a real browser, checked by axe in Japanese and English at desktop
width and 360 px (tests.a11y checks all four on every page).

A job seeker books an online consultation from the top page: month → day → slot → request → check → booked; on
the page of a consultation whose join window is open they see the checklist and the join
button, and joining is recorded and hands over to the video tool; a counselor then starts and
completes it in the admin (REQ CON-1, CON-3, CON-4, CON-5, CON-8, BTH-10, NFR-1, NFR-2).

The live server runs in another thread, so time-machine cannot move its clock: the data is
made relative to the real clock instead (a free slot found at test time, a consultation
starting in 5 minutes).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from bookings import calendar
from bookings.models import Status
from consultations import availability
from consultations.models import (
    AvailabilityPattern,
    Consultation,
    ConsultationJoin,
    VideoTool,
    VideoToolKind,
)
from terms.models import TermsService
from tests.a11y import assert_accessible
from tests.auth import login_browser, staff_with_mfa
from tests.consultations.conftest import checklist
from tests.consultations.factories import ConsultationFactory
from tests.factories import OfficeFactory, UserFactory
from tests.terms.factories import ConsentFactory, TermsDocumentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_expect():
    """Shared test machines are often busy: wait longer than Playwright's 5 s for a page."""
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


JOIN_URL = "https://zoom.us/j/5550001111"


@dataclass
class Online:
    office: object
    counselor: object
    zoom: VideoTool
    seeker: object


@pytest.fixture
def online():
    """An office taking online consultations: a counselor on the office grid (9:00–17:00) on
    every business day, Zoom, online terms in effect and a job seeker who accepted them."""
    office = OfficeFactory(
        code="honjo-browser", name="ハローワーク本荘（試験）", phone="0184-22-4111"
    )
    counselor = staff_with_mfa(office=office, last_name="相談", first_name="一郎")
    counselor.user_permissions.set(
        Permission.objects.filter(content_type__app_label="consultations")
    )
    today = calendar.local(timezone.now()).date()
    for weekday in range(5):
        AvailabilityPattern.objects.create(
            counselor=counselor,
            office=office,
            weekday=weekday,
            starts_at=datetime.time(9),
            ends_at=datetime.time(17),
            valid_from=today - datetime.timedelta(days=7),
        )
    zoom = VideoTool.objects.create(
        office=office,
        kind=VideoToolKind.ZOOM,
        name="Zoom",
        allowed_hosts="zoom.us",
        terms_url="https://zoom.us/terms",
    )
    seeker = UserFactory(
        office=office, username="seeker-online", last_name="山田", first_name="花子"
    )
    version = TermsVersionFactory(
        document=TermsDocumentFactory(
            office=office, service=TermsService.ONLINE, title="オンライン職業相談 利用規約"
        )
    )
    ConsentFactory(version=version, user=seeker)
    return Online(office=office, counselor=counselor, zoom=zoom, seeker=seeker)


def open_consultation(online: Online, starts_at: datetime.datetime | None = None) -> Consultation:
    """The seeker's consultation, by default starting in 5 minutes: its join window is open."""
    if starts_at is None:
        now = timezone.now().replace(second=0, microsecond=0)
        starts_at = now + datetime.timedelta(minutes=5)
    return ConsultationFactory(
        office=online.office,
        counselor=online.counselor,
        video_tool=online.zoom,
        user=online.seeker,
        starts_at=starts_at,
        confirmed_at=timezone.now(),
        join_url=JOIN_URL,
        join_url_set_at=timezone.now(),
        companions=["family"],
    )


def ja(message: str) -> str:
    with translation.override("ja"):
        return _(message)


def first_free_slot(online: Online) -> tuple[datetime.datetime, str, str]:
    """The office's earliest free slot now: its start, its day (ISO) and its time (HHMM)."""
    slot = availability.free_slots_from(online.office, limit=1)[0].starts_at
    local = calendar.local(slot)
    return slot, local.date().isoformat(), f"{local:%H%M}"


def test_a_job_seeker_finds_a_free_slot_from_the_top_page(live_server, page, online):
    # REQ CON-1, NFR-1, NFR-2: top page → index → month → day → slot, axe on each
    slot, day, hhmm = first_free_slot(online)
    local = calendar.local(slot)
    today = calendar.local(timezone.now()).date()
    login_browser(page, live_server.url, online.seeker)

    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert_accessible(page)
    page.locator('main a[href="/consultations/"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ja("Online consultations from home"))
    assert_accessible(page)
    page.locator(f'a[href="/consultations/any/{today.year}/{today.month}/"]').click()
    if (local.year, local.month) != (today.year, today.month):
        # The first free slot is in the next month (the end of a month): its navigation link.
        page.locator(f'a[href="/consultations/any/{local.year}/{local.month}/"]').click()
    expect(page.locator(f'a[href="/consultations/any/{day}/"]')).to_be_visible()
    assert_accessible(page)
    page.locator(f'a[href="/consultations/any/{day}/"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{local.month}月{local.day}日")
    assert_accessible(page)
    page.locator(f'a[href="/consultations/any/{day}/{hhmm}/request/"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ja("Book an online consultation"))
    assert_accessible(page)


def test_a_job_seeker_requests_checks_the_answers_and_is_booked(live_server, page, online):
    # REQ CON-1, CON-8, NFR-1, NFR-2: request → check your answers → booked → my reservations,
    # axe on each
    slot, day, hhmm = first_free_slot(online)
    login_browser(page, live_server.url, online.seeker)
    page.goto(f"{live_server.url}/consultations/any/{day}/{hhmm}/request/")
    expect(page.get_by_role("heading", level=1)).to_have_text(ja("Book an online consultation"))

    # Sent empty first: the errors are announced and the page stays accessible.
    page.get_by_role("button", name=ja("Continue")).click()
    expect(page.locator(".error-summary, [role=alert]").first).to_be_visible()
    assert_accessible(page)
    page.locator('input[name="purpose"][value="application_support"]').check()
    page.locator(f'input[name="video_tool"][value="{online.zoom.pk}"]').check()
    page.locator('input[name="companions"][value="interpreter"]').check()
    page.locator('input[name="companions"][value="supporter"]').check()
    page.get_by_role("button", name=ja("Continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        ja("Check your answers before booking")
    )
    expect(page.get_by_text("Zoom", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=ja("Book the consultation")).click()

    expect(page.get_by_text(ja("Your online consultation is booked."))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(ja("Your online consultation"))
    expect(page.get_by_text(online.office.phone).first).to_be_visible()
    assert_accessible(page)
    consultation = Consultation.objects.get(user=online.seeker)
    assert page.url == live_server.url + consultation.get_absolute_url()
    assert consultation.starts_at == slot and consultation.counselor == online.counselor
    assert consultation.status == Status.CONFIRMED
    assert consultation.purpose == "application_support"
    assert sorted(consultation.companions) == ["interpreter", "supporter"]
    assert consultation.video_tool == online.zoom

    # "My reservations" lists it with booth reservations, and leads back to its page.
    page.goto(live_server.url + "/booths/reservations/")
    link = page.locator(f'a[href="{consultation.get_absolute_url()}"]')
    expect(link).to_be_visible()
    assert_accessible(page)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ja("Your online consultation"))


def test_the_seeker_sees_the_checklist_and_joins_through_the_application(live_server, page, online):
    # REQ CON-3, CON-4, NFR-2: in the window the checklist and the join button; the join is
    # recorded (time, IP, browser) and the browser lands on the video tool's page
    consultation = open_consultation(online)
    page.route("https://zoom.us/**", lambda route: route.fulfill(status=200, body="video"))
    login_browser(page, live_server.url, online.seeker)

    page.goto(live_server.url + consultation.get_absolute_url())
    checklist = page.get_by_role("region", name=ja("Before you join"))
    expect(checklist).to_be_visible()
    expect(checklist.get_by_role("checkbox")).to_have_count(4)
    private_room = checklist.get_by_role(
        "checkbox", name=ja("I am in a private room; only the companions I declared are with me.")
    )
    expect(private_room).to_be_visible()
    # REQ CON-4: the video tool's own terms, by name, with a link
    terms = checklist.get_by_role("link", name=ja("Terms of use of %(tool)s") % {"tool": "Zoom"})
    expect(terms).to_have_attribute("href", "https://zoom.us/terms")
    join = checklist.get_by_role("button", name=ja("Join with %(tool)s") % {"tool": "Zoom"})
    expect(join).to_be_visible()
    assert JOIN_URL not in page.content()
    assert_accessible(page)

    # Nothing ticked: the browser keeps the person on the page, nothing is recorded.
    join.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ja("Your online consultation"))
    assert not ConsultationJoin.objects.exists()
    for box in checklist.get_by_role("checkbox").all():
        box.check()

    user_agent = page.evaluate("navigator.userAgent")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    join.click()
    try:
        page.wait_for_url(JOIN_URL, timeout=20_000)
    except PlaywrightTimeoutError:
        pytest.fail(f"the join button did not reach the video tool; browser said: {console}")
    expect(page.locator("body")).to_have_text("video")
    record = ConsultationJoin.objects.get(consultation=consultation)
    assert record.user == online.seeker
    assert record.ip_address == "127.0.0.1"
    assert record.user_agent == user_agent
    assert abs(record.at - timezone.now()) < datetime.timedelta(minutes=2)
    assert record.private_room and record.no_recording and record.app_ready
    assert record.tool_terms_accepted and record.tool_name == "Zoom"
    assert record.tool_terms_url == "https://zoom.us/terms"


def test_a_counselor_starts_and_completes_an_online_consultation_in_the_admin(
    live_server, page, online
):
    # REQ CON-5, BTH-10, STF-1, NFR-2: the one-click actions record the actual start and end
    consultation = open_consultation(online)
    ConsultationJoin.objects.create(
        consultation=consultation,
        user=online.seeker,
        ip_address="127.0.0.1",
        user_agent="x",
        **checklist(consultation.video_tool),
    )
    login_browser(page, live_server.url, online.counselor)
    for action, status in (("start", Status.CHECKED_IN), ("complete", Status.COMPLETED)):
        page.goto(f"{live_server.url}/admin/consultations/consultation/")
        page.locator(f'input[name="_selected_action"][value="{consultation.pk}"]').check()
        page.locator('select[name="action"]').select_option(action)
        with page.expect_navigation():
            page.locator('button[name="index"]').click()
        expect(page.locator(".messagelist .success")).to_have_count(1)
        expect(page.locator(".messagelist .error")).to_have_count(0)
        assert_accessible(page)
        consultation.refresh_from_db()
        assert consultation.status == status
    assert consultation.actual_started_at <= consultation.actual_ended_at
    assert consultation.completed_at == consultation.actual_ended_at

    page.goto(f"{live_server.url}/admin/consultations/consultation/{consultation.pk}/change/")
    expect(page.locator("#content")).to_contain_text("127.0.0.1")
    assert_accessible(page)
