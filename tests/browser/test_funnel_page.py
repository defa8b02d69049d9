"""The weekly funnel: accessible, readable on a 360 px phone, reached from the statistics
page with the keyboard alone (REQ STA-2, NFR-2)."""

import datetime

import pytest
import time_machine

from tests.a11y import PHONE, assert_accessible
from tests.auth import login_browser
from tests.browser.test_statistics_page import NOW, counselor_of_an_office_with_cancellations

pytestmark = pytest.mark.django_db(transaction=True)

# The chart's box, and the smallest rendered height of its text, in CSS pixels.
_CHART_JS = """
() => {
  const svg = document.querySelector("svg.funnel-chart");
  const box = svg.getBoundingClientRect();
  const heights = [...svg.querySelectorAll("text")].map(t => t.getBoundingClientRect().height);
  return {left: box.left, right: box.right, smallest: Math.min(...heights),
          page: document.documentElement.scrollWidth};
}
"""


def test_counselor_reaches_the_funnel_by_keyboard_and_reads_it_on_a_phone(live_server, page):
    # REQ STA-2, NFR-2
    counselor = counselor_of_an_office_with_cancellations(datetime.date(2026, 11, 25))
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, counselor)
        page.goto(live_server.url + "/admin/workplace/statistics/?month=2026-11")
        link = page.get_by_role("link", name="週ごとの予約の流れ（直近12週）")
        for _n in range(60):
            page.keyboard.press("Tab")
            if link.evaluate("element => element === document.activeElement"):
                break
        else:
            raise AssertionError("the funnel link is not reachable with Tab")
        page.keyboard.press("Enter")
        page.wait_for_url("**/statistics/funnel/?office=goshogawara")
        chart = page.get_by_role("img", name="五所川原公共職業安定所")
        assert chart.count() == 1
        row = page.locator("table.stats-table tbody tr").nth(10)  # the week of 23 November
        assert row.locator("td").all_inner_texts() == ["7", "0", "0", "0", "7"]
        assert_accessible(page)
        page.set_viewport_size(PHONE)
        measured = page.evaluate(_CHART_JS)
        assert measured["left"] >= 0 and measured["right"] <= PHONE["width"], measured
        assert measured["smallest"] >= 9, measured
