"""The booth month and day pages come from HTML kept once a process (core.kept_pages), the
same bytes as the whole template's render, and every input they show changes them
(REQ NFR-4, BTH-1, BTH-7, OFF-3)."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from booths import views
from core import kept_pages
from core.templatetags.jp_datetime import jp_time
from tests.booths.conftest import SLOT_AT
from tests.booths.factories import ReservationFactory
from tests.factories import StaffFactory, UserFactory
from tests.kept_pages import kept_page, leave_message

pytestmark = pytest.mark.django_db


def _month_url(booth):
    return reverse("booths:month", args=[booth.pk, 2026, 11])


def _day_url(booth):
    return reverse("booths:day", args=[booth.pk, "2026-11-18"])


def test_the_kept_month_and_day_pages_are_the_whole_render(
    frozen, client, seeker, booth, monkeypatch
):
    # REQ NFR-4: byte for byte, the CSRF tokens aside (each masked afresh, each valid)
    client.force_login(seeker)
    for url in (_month_url(booth), _day_url(booth), _day_url(booth) + "?purpose=job_consultation"):
        html = kept_page(client, url, monkeypatch, views)
        assert "山田 太郎" in html
    day = kept_page(client, _day_url(booth) + "?purpose=job_consultation&x=<b>", monkeypatch, views)
    # The language form sends the person back to this very page, escaped.
    assert f'value="{_day_url(booth)}?purpose=job_consultation&amp;x=%3Cb%3E"' in day
    assert (
        "?purpose=job_consultation" in day.split("booth-day")[1]
    )  # the slot links keep the answer


def test_every_input_of_the_month_page_changes_it(
    frozen, client, seeker, booth, office, monkeypatch
):
    # REQ NFR-4, BTH-1, BTH-7, OFF-3: what each person, banner, language, booking and office
    # setting makes the page show is there on the next load, and still the whole render
    url = _month_url(booth)
    client.force_login(seeker)
    pages = [kept_page(client, url, monkeypatch, views)]

    def changed(page_client=client, **extra) -> str:
        html = kept_page(page_client, url, monkeypatch, views, **extra)
        assert html != pages[-1]
        pages.append(html)
        return html

    # Another person: their own name, from the same kept page.
    count = len(kept_pages._PAGES)
    other = Client()
    other.force_login(UserFactory(office=office, last_name="佐藤", first_name="<b>花子</b>"))
    html = changed(other)
    assert "佐藤 &lt;b&gt;花子&lt;/b&gt;" in html and "山田 太郎" not in html
    assert len(kept_pages._PAGES) == count
    # A banner: the person's e-mail address is no longer verified.
    seeker.emailaddress_set.update(verified=False)
    assert "メールアドレスの確認が済んでいません" in changed()
    seeker.emailaddress_set.update(verified=True)
    assert "メールアドレスの確認が済んでいません" not in changed()
    # A booking changes the grid.
    ReservationFactory(booth=booth, starts_at=SLOT_AT)
    assert "空き15" in changed()
    # The office's cut-off time and its name (the footer's contact).
    office.booking_cutoff_time = datetime.time(15, 30)
    office.save()
    assert jp_time(datetime.time(15, 30)) in changed()
    office.name = "ハローワーク新名"
    office.save()
    assert "ハローワーク新名" in changed()
    # The booth's name.
    booth.name = "ブースZ"
    booth.save()
    assert "ブースZ" in changed()
    # The language.
    client.cookies["django_language"] = "en"
    assert "Signed in as" in changed(HTTP_ACCEPT_LANGUAGE="en")
    del client.cookies["django_language"]
    # A staff member of the office sees the staff link in the header.
    staff = Client()
    staff.force_login(StaffFactory(office=office))
    assert reverse("admin:index") in changed(staff)


def test_the_day_page_follows_the_banners_and_the_bookings(
    frozen, client, seeker, booth, monkeypatch
):
    # REQ NFR-4, BTH-2, NFR-3: the cap takes the request links away, a booking a slot
    url = _day_url(booth)
    request_10 = reverse("booths:request", args=[booth.pk, "2026-11-18", "1000"])
    client.force_login(seeker)
    assert request_10 in kept_page(client, url, monkeypatch, views)
    ReservationFactory(booth=booth, starts_at=SLOT_AT)
    html = kept_page(client, url, monkeypatch, views)
    assert request_10 not in html and "1030/request/" in html
    for hour in (11, 12):  # the person now holds as many bookings as they may
        ReservationFactory(booth=booth, user=seeker, starts_at=SLOT_AT.replace(hour=hour))
    html = kept_page(client, url, monkeypatch, views)
    assert 'class="notice-banner"' in html and "/request/" not in html.split("booth-day")[1]


def test_a_waiting_message_is_shown_once_then_the_page_is_kept_again(frozen, client, seeker, booth):
    # REQ NFR-4: messages are the request's own; the page with one is rendered whole
    client.force_login(seeker)
    client.get(_month_url(booth))
    count = len(kept_pages._PAGES)
    leave_message(client, "キャンセルしました。")
    assert "キャンセルしました。" in client.get(_month_url(booth)).content.decode()
    assert len(kept_pages._PAGES) == count
    assert "キャンセルしました。" not in client.get(_month_url(booth)).content.decode()


def test_the_kept_pages_are_bounded(frozen, client, seeker, booth, monkeypatch):
    # REQ NFR-4: the least recently used page goes first past the bound
    monkeypatch.setattr(kept_pages, "_PAGES_KEPT", 2)
    client.force_login(seeker)
    urls = [reverse("booths:month", args=[booth.pk, 2026, month]) for month in (11, 12)]
    days = [reverse("booths:day", args=[booth.pk, day]) for day in ("2026-11-18", "2026-11-19")]
    for url in (*urls, urls[0], days[0]):
        client.get(url)
    assert len(kept_pages._PAGES) == 2
    kept = {key[0] for key in kept_pages._PAGES}
    assert kept == {"booths/month.html", "booths/day.html"}  # month 12 went, month 11 stayed
    client.get(days[1])
    assert len(kept_pages._PAGES) == 2
