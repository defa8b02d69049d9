"""Booking a booth in a real browser, by keyboard-friendly links and forms, checked by axe.

A job seeker books a slot, finds it in "my reservations" and cancels it; an employer books
an interview slot; a counselor confirms it in the admin (REQ BTH-1 … BTH-5, NFR-2, OFF-3).
"""

import pytest
import time_machine
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from accounts.models import UserType
from booths.models import Reservation, Status
from tests.a11y import assert_accessible
from tests.auth import login_browser, staff_with_mfa
from tests.booths.conftest import NOW
from tests.booths.factories import BoothFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def office_with_booth():
    office = OfficeFactory(name="五所川原公共職業安定所", phone="0173-34-2141")
    booth = BoothFactory(office=office, name="ブースA")
    return office, booth


def _book(page, live_server, booth, *, time, purpose):
    page.goto(live_server.url + "/booths/")
    assert_accessible(page)
    page.get_by_role("link", name=f"{booth.name}の空き枠を見る").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026年11月")
    assert_accessible(page)
    page.locator(f'a[href$="/booths/{booth.pk}/2026-11-18/"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026年11月18日（水）")
    assert_accessible(page)
    page.get_by_role("link", name=f"{time}を申し込む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ブースの予約申込み")
    assert_accessible(page)
    page.get_by_label(purpose).check()
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "申込み前に入力内容を確認してください"
    )
    assert_accessible(page)
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_role("heading", name="このあとの流れ")).to_be_visible()
    assert_accessible(page)


def test_seeker_books_and_cancels_employer_books_counselor_confirms(
    live_server, page, office_with_booth
):
    # REQ BTH-1, BTH-3, BTH-5, OFF-3, NFR-2
    office, booth = office_with_booth
    seeker = UserFactory(office=office, phone="0173-11-2222", last_name="山田", first_name="花子")
    employer = UserFactory(
        office=office,
        user_type=UserType.EMPLOYER,
        establishment_name="株式会社デモ製作所",
        phone="0173-33-4444",
    )
    counselor = staff_with_mfa(office=office)
    counselor.user_permissions.set(Permission.objects.filter(content_type__app_label="booths"))

    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, seeker)
        _book(page, live_server, booth, time="10:00", purpose="職業相談")
        expect(page.get_by_text("2026年11月18日（水）10:00〜10:30")).to_be_visible()

        page.goto(live_server.url + "/booths/reservations/")
        assert_accessible(page)
        page.get_by_role("link", name="2026年11月18日（水）10:00〜10:30").click()
        page.get_by_role("link", name="この予約を取り消す").click()
        assert_accessible(page)
        page.get_by_role("button", name="取り消す").click()
        expect(page.get_by_text("予約を取り消しました。")).to_be_visible()
        expect(page.get_by_role("cell", name="取消", exact=True)).to_be_visible()
        assert_accessible(page)

        page.context.clear_cookies()
        login_browser(page, live_server.url, employer)
        _book(page, live_server, booth, time="11:00", purpose="面接")
        interview = Reservation.objects.get(user=employer)
        assert interview.purpose == "interview"
        assert interview.requester_name == "株式会社デモ製作所"

        page.context.clear_cookies()
        login_browser(page, live_server.url, counselor)
        page.goto(f"{live_server.url}/admin/booths/reservation/{interview.pk}/confirm/")
        assert_accessible(page)
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".messagelist")).to_contain_text("利用者にメールで知らせました")

    interview.refresh_from_db()
    assert interview.status == Status.CONFIRMED
    assert Reservation.objects.get(user=seeker).status == Status.CANCELLED


def test_month_view_fits_a_360px_phone(live_server, page, office_with_booth):
    # REQ NFR-1
    office, booth = office_with_booth
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, UserFactory(office=office))
        page.set_viewport_size({"width": 360, "height": 740})
        page.goto(f"{live_server.url}/booths/{booth.pk}/2026/11/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
