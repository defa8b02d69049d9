"""The top page in a real browser: Japanese first, switchable to English, accessible."""

import pytest
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_top_page_in_japanese_switches_to_english_and_passes_axe(live_server, page):
    # REQ NFR-1, NFR-2
    OfficeFactory(name="ハローワーク本荘", phone="0184-22-4031")
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "オンライン職業相談と相談ブースの予約"
    )
    expect(page.get_by_text("0184-22-4031")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Job consultations online and at the office"
    )
    assert_accessible(page)


def test_top_page_fits_a_360px_phone_without_sideways_scrolling(live_server, page):
    # REQ NFR-1
    OfficeFactory()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="本文へスキップ")).to_be_focused()
