"""The person's own page `/me/` in a real browser (REQ NFR-1, NFR-2)."""

import pytest
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.auth import login_browser
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The list markers of the buttons' items, as the browser draws them.
MARKERS_JS = """() => Array.from(document.querySelectorAll("main .button-row li")).map(
  li => getComputedStyle(li).listStyleType)"""


def test_my_page_draws_its_buttons_without_list_bullets(live_server, page):
    # REQ NFR-1: a row of buttons, not a bulleted list, at 1280 px and 360 px
    login_browser(page, live_server.url, UserFactory())
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(live_server.url + "/me/")
        expect(page.locator("main .button-row a.button").first).to_be_visible()
        markers = page.evaluate(MARKERS_JS)
        assert markers and set(markers) == {"none"}, markers
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
