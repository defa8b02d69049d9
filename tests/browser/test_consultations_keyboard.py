"""Booking an online consultation by keyboard alone (REQ NFR-2, CON-1, CON-8).

Only Tab, Shift+Tab, Enter and Space: from the top page through the online consultations index
to the booked page, and every element that takes the focus on the way shows a focus indicator
(an outline or a box shadow, WCAG 2.4.7). On a desktop in Japanese, and on a 360 px phone after switching the
language to English with the header's language form (behind the "Menu" button there).
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings import calendar
from bookings.models import Status
from consultations import availability
from consultations.models import Consultation, ConsultationJoin
from tests.a11y import assert_accessible
from tests.auth import login_browser
from tests.browser.keyboard import Keyboard
from tests.browser.test_consultations_booking import (  # noqa: F401  (fixture)
    online,
    open_consultation,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_expect():
    """Shared test machines are often busy: wait longer than Playwright's 5 s for a page."""
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.mark.parametrize(
    ("width", "language"), [(1280, "ja"), (360, "en")], ids=["desktop-ja", "phone-en"]
)
def test_the_whole_booking_flow_works_by_keyboard_alone(
    live_server,
    page,
    online,  # noqa: F811
    width,
    language,
):
    # REQ NFR-2, NFR-1, CON-1, CON-8
    page.set_viewport_size({"width": width, "height": 800})
    slot = availability.free_slots_from(online.office, limit=1)[0].starts_at
    local = calendar.local(slot)
    day, hhmm = local.date().isoformat(), f"{local:%H%M}"
    today = calendar.local(timezone.now()).date()
    login_browser(page, live_server.url, online.seeker)
    keys = Keyboard(page)

    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    if language == "en":
        # On a phone the header's links, and the language form, are behind the Menu button.
        keys.tab_to(lambda here: here["tag"] == "summary")
        page.keyboard.press("Enter")
        keys.tab_to(lambda here: here["name"] == "language" and here["value"] == "en")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.url == live_server.url + "/"

    keys.follow("/consultations/")
    keys.follow(f"/consultations/any/{today.year}/{today.month}/")
    if (local.year, local.month) != (today.year, today.month):
        keys.follow(f"/consultations/any/{local.year}/{local.month}/")
    keys.follow(f"/consultations/any/{day}/")
    keys.follow(f"/consultations/any/{day}/{hhmm}/request/")

    keys.tick("purpose", "job_consultation")
    keys.tick("video_tool", str(online.zoom.pk))
    keys.tick("companions", "caregiver")
    keys.tab_to(lambda here: here["in_main"] and here["type"] == "submit")
    # Back up to the companions with Shift+Tab to declare one more.
    keys.tick("companions", "family", backwards=True)
    keys.submit_main_form()
    # The form's POST answers with "check your answers" itself (REQ NFR-4: three requests).
    expect(page.locator("main input[name=answers]")).to_have_count(1)

    keys.submit_main_form()
    consultation = Consultation.objects.get(user=online.seeker)
    assert page.url == live_server.url + consultation.get_absolute_url()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".message-success")).to_be_visible()
    assert consultation.status == Status.CONFIRMED and consultation.starts_at == slot
    assert sorted(consultation.companions) == ["caregiver", "family"]
    assert consultation.purpose == "job_consultation"
    assert keys.stops >= 10


@pytest.mark.parametrize(
    ("width", "language"), [(1280, "ja"), (360, "en")], ids=["desktop-ja", "phone-en"]
)
def test_the_checklist_before_joining_works_by_keyboard_alone(
    live_server,
    page,
    online,  # noqa: F811
    width,
    language,
):
    # REQ CON-4, NFR-2: each point ticked with Space, the tool's terms link reachable, the
    # join button pressed with Enter; the ticks are recorded with the join
    page.set_viewport_size({"width": width, "height": 800})
    consultation = open_consultation(online)
    # The video tool's stand-in is a page of this site: Playwright's routes do not catch a
    # navigation a key press starts, and the join's hand-over to the tool is tested with the
    # mouse in test_consultations_booking.
    landing = live_server.url + "/"
    Consultation.objects.filter(pk=consultation.pk).update(join_url=landing)
    login_browser(page, live_server.url, online.seeker)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(live_server.url + consultation.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", language)
    keys = Keyboard(page)

    for point in ("private_room", "no_recording", "app_ready", "tool_terms_accepted"):
        keys.tick(point, "on")
    keys.tab_to(lambda here: here["href"] == online.zoom.terms_url)
    keys.tab_to(lambda here: here["in_main"] and here["type"] == "submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == landing
    record = ConsultationJoin.objects.get(consultation=consultation)
    assert record.user == online.seeker
    assert (record.private_room, record.no_recording, record.app_ready) == (True, True, True)
    assert record.tool_terms_accepted and record.tool_name == "Zoom"
    assert keys.stops >= 5


def test_moving_a_consultation_works_by_keyboard_alone(live_server, page, online):  # noqa: F811
    # REQ CON-5, NFR-2: the month and day pickers of moving, by Tab, Enter and Space
    free = availability.free_slots_from(online.office, limit=40, days=60)
    booked_at, target = free[-1].starts_at, free[0].starts_at
    consultation = open_consultation(online, booked_at)
    login_browser(page, live_server.url, online.seeker)
    page.goto(live_server.url + consultation.get_absolute_url())
    keys = Keyboard(page)

    move = f"/consultations/{consultation.pk}/move/"
    keys.tab_to(lambda here: here["href"] == move)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    shown = calendar.local(booked_at)
    local = calendar.local(target)
    assert page.url.endswith(f"{move}{shown.year}/{shown.month}/")
    if (local.year, local.month) != (shown.year, shown.month):
        keys.follow(f"{move}{local.year}/{local.month}/")
    keys.follow(f"{move}{local.date().isoformat()}/")
    assert_accessible(page)
    keys.tick("slot", f"{local:%H%M}")
    keys.submit_main_form()
    assert page.url == live_server.url + consultation.get_absolute_url()
    consultation.refresh_from_db()
    assert consultation.starts_at == target
