"""The top page, the language switch, error pages and the base design."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notice

pytestmark = pytest.mark.django_db


def test_top_page_is_japanese_by_default(client, office):
    # REQ NFR-1
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ja">' in html
    assert "ハローワーク オンライン相談" in html
    assert "お知らせ" in html


def test_language_switch_turns_the_site_english(client, office):
    # REQ NFR-1
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Job consultations online and at the office" in html


def test_footer_shows_the_office_contacts(client, office):
    # REQ OPS-3
    html = client.get("/").content.decode()
    assert office.name in html
    assert office.phone in html


def test_news_area_lists_current_notices_and_maintenance_windows(client, office):
    # REQ OPS-1
    now = timezone.now()
    Notice.objects.create(title="年末年始の休業について", published_at=now - timedelta(days=1))
    Notice.objects.create(
        title="システムメンテナンスのお知らせ",
        published_at=now - timedelta(hours=1),
        maintenance_starts_at=now + timedelta(days=2),
        maintenance_ends_at=now + timedelta(days=2, hours=3),
    )
    Notice.objects.create(title="未来の告知", published_at=now + timedelta(days=1))
    Notice.objects.create(
        title="掲載終了", published_at=now - timedelta(days=9), hidden_after=now - timedelta(days=1)
    )
    html = client.get("/").content.decode()
    assert "年末年始の休業について" in html
    assert "システムメンテナンスのお知らせ" in html
    assert "メンテナンスを行います" in html
    assert "未来の告知" not in html
    assert "掲載終了" not in html


@override_settings(DEBUG=False)
def test_missing_page_shows_a_japanese_404(client, office):
    # REQ NFR-1
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


def test_500_page_is_self_contained_and_japanese():
    # REQ NFR-1
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "システムエラー" in html
    assert "{%" not in html


def test_pages_send_a_content_security_policy(client, office):
    # REQ NFR-3
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_expired_form_gets_a_japanese_page(office):
    # A shared terminal's session timed out: the CSRF failure is explained, in Japanese.
    # REQ NFR-1
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "en"})
    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="ja">' in html
    assert "フォームの有効期限が切れました" in html
