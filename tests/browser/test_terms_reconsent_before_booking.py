"""A user who accepted version 1 tries to book after version 2 took effect (REQ TRM-4, BTH-8)."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from booths.models import Reservation
from terms.models import Consent
from tests.a11y import assert_accessible
from tests.auth import login_browser
from tests.booths.conftest import NOW
from tests.booths.factories import BoothFactory
from tests.factories import OfficeFactory, UserFactory
from tests.terms.factories import ConsentFactory, TermsDocumentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setting():
    office = OfficeFactory(name="五所川原公共職業安定所", phone="0173-34-2141")
    booth = BoothFactory(office=office, name="ブースA")
    document = TermsDocumentFactory(office=office, service="booth")
    v1 = TermsVersionFactory(
        document=document,
        number=1,
        text="## キャンセル\n\nキャンセルは電話で連絡します。",
        effective_from=NOW - datetime.timedelta(days=60),
    )
    v2 = TermsVersionFactory(
        document=document,
        number=2,
        text="## キャンセル\n\nキャンセルはサイトからもできます。",
        summary="キャンセルの方法を追加しました。",
        effective_from=NOW - datetime.timedelta(days=1),
    )
    user = UserFactory(office=office, phone="0173-11-2222")
    ConsentFactory(user=user, version=v1)
    return booth, user, v2


def _open_booking_form(page, live_server, booth):
    page.goto(f"{live_server.url}/booths/{booth.pk}/2026-11-18/")
    page.get_by_role("link", name="10:00を申し込む").click()


def test_new_terms_are_shown_with_the_changes_and_accepting_returns_to_the_booking(
    live_server, page, setting
):
    # REQ TRM-4
    booth, user, v2 = setting
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, user)
        _open_booking_form(page, live_server, booth)
        expect(page.get_by_role("heading", level=1)).to_have_text("利用規約が変わりました")
        expect(page.locator("del", has_text="キャンセルは電話で連絡します。")).to_be_visible()
        expect(page.locator("ins", has_text="キャンセルはサイトからもできます。")).to_be_visible()
        expect(page.get_by_text("キャンセルの方法を追加しました。")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("新しい利用規約を読み、同意します").check()
        page.get_by_role("button", name="同意して続ける").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("ブースの予約申込み")
        assert page.url.endswith(f"/booths/{booth.pk}/2026-11-18/1000/request/")
    assert Consent.objects.filter(user=user, version=v2, method="online").exists()


def test_declining_blocks_booking_with_an_explanation(live_server, page, setting):
    # REQ TRM-4
    booth, user, v2 = setting
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, user)
        _open_booking_form(page, live_server, booth)
        page.get_by_role("button", name="同意しない").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "新しい利用規約に同意していません"
        )
        expect(page.locator("main").get_by_text("0173-34-2141")).to_be_visible()
        assert_accessible(page)
        # Still blocked: the booking form is never reached without consent.
        _open_booking_form(page, live_server, booth)
        expect(page.get_by_role("heading", level=1)).to_have_text("利用規約が変わりました")
    assert not Consent.objects.filter(user=user, version=v2).exists()
    assert not Reservation.objects.filter(user=user).exists()
