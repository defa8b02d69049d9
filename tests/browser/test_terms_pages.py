"""Terms pages in a real browser: readable without sign-in, comparison, re-consent; axe-clean."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.auth import login_browser
from tests.factories import OfficeFactory, UserFactory
from tests.terms.factories import ConsentFactory, TermsDocumentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _terms():
    office = OfficeFactory(code="gosho", name="五所川原公共職業安定所")
    document = TermsDocumentFactory(office=office, service="booth", title="相談ブース利用規約")
    v1 = TermsVersionFactory(
        document=document,
        number=1,
        text="## 予約\n\nキャンセルは電話で連絡します。",
        effective_from=timezone.now() - timedelta(days=30),
    )
    v2 = TermsVersionFactory(
        document=document,
        number=2,
        text="## 予約\n\nキャンセルはサイトからもできます。",
        summary="キャンセル方法を追加しました。",
        effective_from=timezone.now() - timedelta(hours=1),
    )
    return office, v1, v2


def test_public_terms_pages_are_readable_and_accessible(live_server, page):
    # REQ TRM-1, NFR-2
    _terms()
    page.goto(live_server.url + "/terms/")
    assert_accessible(page)
    page.get_by_role("link", name="相談ブース: 相談ブース利用規約").click()
    expect(page.get_by_text("キャンセルはサイトからもできます。")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="この利用規約の過去の版").click()
    assert_accessible(page)
    page.get_by_role("link", name="第1版から第2版への変更点").click()
    expect(page.locator("del", has_text="キャンセルは電話で連絡します。")).to_be_visible()
    expect(page.locator("ins", has_text="キャンセルはサイトからもできます。")).to_be_visible()
    assert_accessible(page)


def test_reconsent_and_decline_pages_are_accessible(live_server, page):
    # REQ TRM-4, NFR-2
    office, v1, _ = _terms()
    user = UserFactory(office=office)
    ConsentFactory(user=user, version=v1)
    login_browser(page, live_server.url, user)
    page.goto(live_server.url + "/terms/accept/booth/?next=/")
    expect(page.get_by_role("heading", level=1)).to_have_text("利用規約が変わりました")
    assert_accessible(page)
    page.get_by_role("button", name="同意して続ける").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="同意しない").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新しい利用規約に同意していません")
    expect(page.locator("main").get_by_text(office.phone)).to_be_visible()
    assert_accessible(page)
