"""The booking pages on a 360 px phone: nothing wider than the screen, no table scrolling inside
its own box, a header that leaves the screen to the page (REQ NFR-1, NFR-2)."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from bookings.calendar import TOKYO
from booths.models import Status
from tests.a11y import PHONE, assert_accessible
from tests.auth import login_browser
from tests.booths.conftest import NOW
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Elements sticking out of the viewport, and tables (or their wrappers) that scroll sideways.
# Visually hidden text (1 px boxes) and the skip link parked off-screen are meant to be there.
_OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || element.closest(".skip-link")) continue;
    if (!element.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      wide.push(element.tagName.toLowerCase() + "." + element.className + " " +
                Math.round(box.left) + ".." + Math.round(box.right));
    }
  }
  const scrolling = [];
  for (const table of document.querySelectorAll("table")) {
    for (let node = table; node && node !== document.body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if (["auto", "scroll", "hidden", "clip"].includes(overflow) && node.scrollWidth > node.clientWidth + 1) {
        scrolling.push(node.tagName.toLowerCase() + "." + node.className + " " +
                       node.scrollWidth + ">" + node.clientWidth);
      }
    }
  }
  return {
    page: document.documentElement.scrollWidth,
    width: width,
    wide: wide.slice(0, 10),
    scrolling: scrolling,
  };
}
"""


def assert_fits_phone(page) -> None:
    result = page.evaluate(_OVERFLOW_JS)
    assert result["page"] <= PHONE["width"], f"{page.url} scrolls sideways: {result}"
    assert not result["wide"], f"{page.url}: elements wider than the screen: {result['wide']}"
    assert not result["scrolling"], f"{page.url}: tables scroll inside a box: {result['scrolling']}"


def _each_language(page, check) -> None:
    for language in ("ja", "en"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
        response = page.reload()
        assert response.status == 200, page.url
        check(page)


@pytest.fixture
def booking():
    office = OfficeFactory(name="五所川原公共職業安定所", phone="0173-34-2141")
    booth = BoothFactory(office=office, name="ブースA")
    seeker = UserFactory(office=office, phone="0173-11-2222", last_name="山田", first_name="花子")
    reservation = ReservationFactory(
        booth=booth,
        user=seeker,
        starts_at=datetime.datetime(2026, 11, 19, 14, 0, tzinfo=TOKYO),
        requester_name="山田 花子",
    )
    ReservationFactory(
        booth=booth,
        user=seeker,
        starts_at=datetime.datetime(2026, 11, 20, 9, 0, tzinfo=TOKYO),
        status=Status.CANCELLED,
        cancelled_at=NOW,
    )
    return booth, seeker, reservation


def test_booking_pages_fit_a_360px_phone_in_both_languages(live_server, page, booking):
    # REQ NFR-1: top, booths, month, day, request, check, reservation, my reservations.
    booth, seeker, reservation = booking
    page.set_viewport_size(PHONE)
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, seeker)
        for path in (
            "/",
            "/booths/",
            f"/booths/{booth.pk}/2026/11/",
            f"/booths/{booth.pk}/2026-11-18/",
            f"/booths/{booth.pk}/2026-11-18/1000/request/",
            f"/booths/reservations/{reservation.pk}/",
            "/booths/reservations/",
        ):
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            _each_language(page, assert_fits_phone)
        # "Check your answers": the request form's POST answers with it; with every answer
        # known (the purpose with the slot) the slot link opens it, which a reload can repeat.
        page.goto(f"{live_server.url}/booths/{booth.pk}/2026-11-18/1000/request/")
        page.locator("input[name=purpose]").first.check()
        page.locator("main button[type=submit]").click()
        expect(page.locator("main input[name=answers]")).to_have_count(1)
        page.goto(
            f"{live_server.url}/booths/{booth.pk}/2026-11-18/1000/request/?purpose=job_consultation"
        )
        expect(page.locator("main input[name=answers]")).to_have_count(1)
        _each_language(page, assert_fits_phone)


def test_the_month_shows_every_weekday_on_a_phone_in_english(live_server, page, booking):
    # REQ NFR-1: Sunday is there and every day reads as its own line, not "ClosedClosed".
    booth, seeker, _ = booking
    page.set_viewport_size(PHONE)
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, seeker)
        page.context.add_cookies(
            [{"name": "django_language", "value": "en", "url": live_server.url}]
        )
        page.goto(f"{live_server.url}/booths/{booth.pk}/2026/11/")
        sunday = page.locator("td[data-label=Sun]", has_text="22")
        expect(sunday).to_be_visible()
        expect(sunday).to_contain_text("Closed")
        saturday_box = page.locator("td[data-label=Sat]", has_text="21").bounding_box()
        sunday_box = sunday.bounding_box()
        assert sunday_box["y"] >= saturday_box["y"] + saturday_box["height"] - 1
        assert_fits_phone(page)
        assert_accessible(page)


def test_the_header_is_compact_on_a_phone_and_its_menu_opens_without_javascript(
    browser, live_server, booking
):
    # REQ NFR-1, NFR-2: at most 64 px of header; the menu is a <details> that needs no script.
    _, seeker, _ = booking
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="ja-JP")
    page = context.new_page()
    try:
        login_browser(page, live_server.url, seeker)
        page.goto(live_server.url + "/")
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= 64, header
        menu_link = page.get_by_role("link", name="予約の確認")
        expect(menu_link).to_be_hidden()
        page.get_by_text("メニュー").click()
        expect(menu_link).to_be_visible()
        expect(page.get_by_role("button", name="English")).to_be_visible()
        expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    finally:
        context.close()


def test_the_header_menu_opens_by_keyboard_with_a_visible_focus(live_server, page, booking):
    # REQ NFR-2
    _, seeker, _ = booking
    page.set_viewport_size(PHONE)
    login_browser(page, live_server.url, seeker)
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # site name
    page.keyboard.press("Tab")  # menu
    expect(page.locator("summary.header-menu-button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("details.header-menu")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="予約の確認")).to_be_focused()
    assert_accessible(page)


def test_the_online_month_keeps_its_weekdays_and_no_empty_rows_on_a_phone(
    live_server, page, booking
):
    # REQ NFR-1: each day says its weekday; the days of the months around are not blank rows
    _, seeker, _ = booking
    page.set_viewport_size(PHONE)
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, seeker)
        page.goto(f"{live_server.url}/consultations/any/2026/12/")
        cells = page.locator("table.month-calendar td:visible")
        expect(cells).to_have_count(31)
        labels = cells.evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        assert labels[0] == '"火"' and labels[5] == '"日"', labels[:7]
        assert_fits_phone(page)
