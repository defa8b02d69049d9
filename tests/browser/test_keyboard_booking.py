"""A job seeker books a booth from the top page with the keyboard alone: Tab, Shift+Tab, Enter
and Space, with a visible focus indicator on every element the focus lands on (REQ NFR-2)."""

import pytest
import time_machine
from playwright.sync_api import expect

from booths.models import Reservation, Status
from tests.auth import login_browser
from tests.booths.conftest import NOW
from tests.booths.factories import BoothFactory
from tests.browser.keyboard import Keyboard
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_job_seeker_books_a_booth_with_the_keyboard_alone(live_server, page):
    # REQ NFR-2, BTH-1
    office = OfficeFactory(name="五所川原公共職業安定所", offers_booths=True)
    booth = BoothFactory(office=office, name="ブースA")
    seeker = UserFactory(office=office, phone="0173-11-2222", last_name="山田", first_name="花子")
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, seeker)
        keys = Keyboard(page)
        page.goto(live_server.url + "/")

        keys.tab_to("main a[href='/booths/']")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("相談ブースの予約")

        keys.tab_to(f"main a[href$='/booths/{booth.pk}/2026/11/']")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_contain_text("2026年11月")

        keys.tab_to(f"main a[href$='/booths/{booth.pk}/2026-11-18/']")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_contain_text("2026年11月18日（水）")

        # Past the 10:00 slot to 10:30, then back with Shift+Tab.
        keys.tab_to("main a[href$='/2026-11-18/1030/request/']")
        keys.tab_to("main a[href$='/2026-11-18/1000/request/']", backwards=True)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("ブースの予約申込み")

        keys.tab_to("input[name=purpose][value=job_consultation]")
        page.keyboard.press("Space")
        expect(page.locator("input[name=purpose][value=job_consultation]")).to_be_checked()
        keys.tab_to("main form button[type=submit]")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "申込み前に入力内容を確認してください"
        )

        keys.tab_to("main form button[type=submit]")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="このあとの流れ")).to_be_visible()

    reservation = Reservation.objects.get(user=seeker)
    assert reservation.status == Status.REQUESTED
    assert reservation.purpose == "job_consultation"
