"""The online month and day pages come from HTML kept once a process (the month's grid too:
bookings.gridcache; core.kept_pages), the same bytes as the whole template's render, and
every input they show changes them (REQ NFR-4, CON-1, NFR-3)."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from consultations import views
from consultations.models import AvailabilityException, ExceptionKind
from core import kept_pages
from core.templatetags.jp_datetime import jp_time
from tests.consultations.conftest import SLOT_AT, tokyo
from tests.consultations.factories import ConsultationFactory
from tests.factories import UserFactory
from tests.kept_pages import kept_page, leave_message

pytestmark = pytest.mark.django_db


def _urls(who):
    return (
        reverse("consultations:month", args=[who, 2026, 11]),
        reverse("consultations:day", args=[who, "2026-11-18"]),
    )


def test_the_kept_online_pages_are_the_whole_render(
    frozen, client, seeker, counselor, zoom, monkeypatch
):
    # REQ NFR-4, CON-1: byte for byte, the CSRF tokens aside, for any counselor and a named one
    client.force_login(seeker)
    for who in ("any", str(counselor.pk)):
        month, day = _urls(who)
        assert reverse("consultations:day", args=[who, "2026-11-18"]) in kept_page(
            client, month, monkeypatch, views
        )
        html = kept_page(client, day + f"?video_tool={zoom.pk}", monkeypatch, views)
        assert f"1000/request/?video_tool={zoom.pk}" in html and 'name="purpose"' in html
    assert "相談 一郎" in kept_page(client, _urls(counselor.pk)[1], monkeypatch, views)


def test_every_input_of_the_online_pages_changes_them(
    frozen, client, seeker, counselor, zoom, office, monkeypatch
):
    # REQ NFR-4, CON-1, NFR-3, OFF-3: people, bookings, published times, banners, the office's
    # settings and the counselor's name show on the next load, and still as the whole render
    client.force_login(seeker)
    other = Client()
    other.force_login(UserFactory(office=office, last_name="佐藤", first_name="花子"))
    request_10 = reverse("consultations:request", args=["any", "2026-11-18", "1000"])
    for url in (*_urls("any"), *_urls(counselor.pk)):
        mine = kept_page(client, url, monkeypatch, views)
        assert "山田 太郎" in mine.split("</header>")[0]
        count = len(kept_pages._PAGES)
        html = kept_page(other, url, monkeypatch, views)
        assert "佐藤 花子" in html and "山田 太郎" not in html.split("</header>")[0]
        assert len(kept_pages._PAGES) == count  # the same kept page, another name in it
    month, day = _urls("any")
    pages = {url: kept_page(client, url, monkeypatch, views) for url in (month, day)}

    def changed(url, page_client=client, **extra) -> str:
        html = kept_page(page_client, url, monkeypatch, views, **extra)
        assert html != pages[url]
        pages[url] = html
        return html

    assert request_10 in pages[day]
    # A booking takes the counselor's 10:00: one free time fewer that day.
    ConsultationFactory(office=office, counselor=counselor, video_tool=zoom, starts_at=SLOT_AT)
    assert request_10 not in changed(day)
    changed(month)
    # Published times: the counselor withdraws 11:00.
    AvailabilityException.objects.create(
        counselor=counselor,
        office=office,
        starts_at=tokyo(2026, 11, 18, 11),
        kind=ExceptionKind.WITHDRAWN,
    )
    assert "1100/request/" not in changed(day)
    # The office's cut-off and name.
    office.booking_cutoff_time = datetime.time(15, 30)
    office.save()
    assert jp_time(datetime.time(15, 30)) in changed(month)
    office.name = "ハローワーク新名"
    office.save()
    assert "ハローワーク新名" in changed(day)
    # A banner: the cap (two bookings held) takes the form and the links away.
    for when in (19, 20):
        ConsultationFactory(
            office=office,
            user=seeker,
            counselor=counselor,
            video_tool=zoom,
            starts_at=tokyo(2026, 11, when, 10),
        )
    html = changed(day)
    assert "これ以上予約できません" in html and "/request/" not in html
    assert "これ以上予約できません" in changed(month)
    # The language.
    client.cookies["django_language"] = "en"
    assert "Signed in as" in changed(day, HTTP_ACCEPT_LANGUAGE="en")
    # The counselor's name, on their own pages.
    named = _urls(counselor.pk)[0]
    before = kept_page(client, named, monkeypatch, views)
    counselor.last_name = "改名"
    counselor.save()
    html = kept_page(client, named, monkeypatch, views)
    assert html != before and "改名" in html


def test_a_waiting_message_shows_on_the_online_day_page(frozen, client, seeker, counselor):
    # REQ NFR-4: the page with a message is rendered whole, once
    client.force_login(seeker)
    day = _urls("any")[1]
    client.get(day)
    leave_message(client, "取り消しました。")
    assert "取り消しました。" in client.get(day).content.decode()
    assert "取り消しました。" not in client.get(day).content.decode()
