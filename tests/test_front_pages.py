"""What people read on the public pages: next steps on the top page, required and optional
fields, one date format per language, Japanese data marked in English, the month view's words
(issue 12; REQ NFR-1, NFR-2, OFF-3, BTH-4)."""

import datetime
import re

import pytest
import time_machine
from django.utils import translation

from bookings.calendar import TOKYO
from booths.models import Status
from tests.auth import login_client
from tests.booths.conftest import NOW
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.factories import OfficeFactory, UserFactory
from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db


def _english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def seeker_with_booth():
    office = OfficeFactory(name="五所川原公共職業安定所", offers_booths=True)
    booth = BoothFactory(office=office, name="ブースA")
    return booth, UserFactory(office=office)


def test_signed_in_top_page_offers_booth_and_consultation_booking_and_the_next_reservation(
    client, seeker_with_booth
):
    # REQ NFR-1 (issue 12): what the user can do next.
    booth, seeker = seeker_with_booth
    later = ReservationFactory(
        booth=booth, user=seeker, starts_at=datetime.datetime(2026, 11, 20, 9, 0, tzinfo=TOKYO)
    )
    ReservationFactory(
        booth=booth,
        user=seeker,
        starts_at=datetime.datetime(2026, 11, 18, 9, 0, tzinfo=TOKYO),
        status=Status.CANCELLED,
        cancelled_at=NOW,
    )
    with time_machine.travel(NOW):
        html = login_client(client, seeker).get("/").content.decode()
    assert 'href="/booths/"' in html
    assert 'href="/consultations/"' in html
    assert "次の予約" in html
    # The cancelled one on the 18th is not "next"; the active one on the 20th is.
    assert f'href="{later.get_absolute_url()}">2026年11月20日（金）09:00〜09:30' in html
    assert "11月18日" not in html


def test_top_page_offers_only_what_the_office_offers(client):
    # REQ NFR-1
    office = OfficeFactory(offers_booths=False, offers_online_consultations=False)
    html = login_client(client, UserFactory(office=office)).get("/").content.decode()
    assert 'href="/booths/"' not in html
    assert 'href="/consultations/"' not in html
    assert "まだオンラインでの予約を受け付けていません" in html


def test_every_field_says_whether_it_is_required_or_optional_in_words(client):
    # REQ NFR-2 (WCAG 3.3.2): not by colour or an asterisk alone.
    OfficeFactory()
    html = client.get("/accounts/signup/").content.decode()
    labels = re.findall(r"<(?:label|legend)[^>]*>(.*?)</(?:label|legend)>", html, re.S)
    field_labels = [label for label in labels if "field-marker" in label]
    assert len(field_labels) >= 8
    assert any("必須" in label for label in field_labels)
    assert any("任意" in label for label in field_labels)
    html_en = _english(client).get("/accounts/signup/").content.decode()
    assert '<span class="field-marker field-marker-required">required</span>' in html_en
    assert '<span class="field-marker">optional</span>' in html_en


def test_dates_read_the_same_way_in_each_language(settings):
    # REQ OFF-3, NFR-1: "Tue 24 Nov 2026, 10:00" in English, 2026年11月24日（火）in Japanese.
    from django.template import Context, Template

    template = Template('{{ d|date:"DATE_FORMAT" }}|{{ d|date:"DATETIME_FORMAT" }}')
    moment = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
    with translation.override("en"):
        assert template.render(Context({"d": moment})) == "Tue 24 Nov 2026|Tue 24 Nov 2026, 10:00"
    with translation.override("ja"):
        assert (
            template.render(Context({"d": moment}))
            == "2026年11月24日（火）|2026年11月24日（火）10:00"
        )


def test_english_terms_page_marks_the_japanese_text_and_says_it_is_binding(client):
    # REQ TRM-1, NFR-1
    office = OfficeFactory(code="gosho", name="五所川原公共職業安定所")
    document = TermsDocumentFactory(office=office, service="booth", title="相談ブース利用規約")
    TermsVersionFactory(
        document=document,
        number=1,
        text="## 予約\n\nキャンセルは電話で連絡します。",
        effective_from=datetime.datetime(2026, 1, 1, tzinfo=TOKYO),
    )
    html = _english(client).get("/terms/gosho/booth/").content.decode()
    assert '<h1 lang="ja">相談ブース利用規約</h1>' in html
    assert '<article class="terms-text" lang="ja">' in html
    assert "The Japanese text below is the binding one." in html
    assert "Thu 1 Jan 2026" in html
    japanese = client.get("/terms/gosho/booth/", HTTP_COOKIE="django_language=ja")
    assert "binding" not in japanese.content.decode()


def test_month_says_closed_for_requests_for_a_day_only_past_the_cut_off(client, seeker_with_booth):
    # REQ BTH-4: today (Mon 16 Nov, 10:00) still has slots, but its requests closed on Friday.
    booth, seeker = seeker_with_booth
    with time_machine.travel(NOW):
        login_client(client, seeker)
        html = client.get(f"/booths/{booth.pk}/2026/11/").content.decode()
        html_en = _english(client).get(f"/booths/{booth.pk}/2026/11/").content.decode()
    today = re.search(
        r'<td data-label="月"[^>]*>\s*<span class="day-number">16</span>(.*?)</td>', html, re.S
    )
    assert today and "受付終了" in today.group(1) and "空きなし" not in today.group(1)
    sunday = re.search(
        r'<td data-label="Sun"[^>]*>\s*<span class="day-number">22</span>(.*?)</td>', html_en, re.S
    )
    assert sunday and "Closed" in sunday.group(1)
    assert "Closed for requests" in html_en


def test_the_top_page_shows_national_news_and_only_the_users_own_offices(client, db):
    # REQ OPS-1: an office's notice is for that office's people; national ones for everyone
    from accounts.models import Notice
    from tests.factories import OfficeFactory, UserFactory

    mine, other = OfficeFactory(), OfficeFactory()
    Notice.objects.create(title="全国のお知らせ")
    Notice.objects.create(title="自所のお知らせ", office_id=mine.pk)
    Notice.objects.create(title="他所のお知らせ", office_id=other.pk)
    anonymous = client.get("/").content.decode()
    assert "全国のお知らせ" in anonymous and "自所のお知らせ" not in anonymous
    client.force_login(UserFactory(office=mine))
    page = client.get("/").content.decode()
    assert "全国のお知らせ" in page and "自所のお知らせ" in page and "他所のお知らせ" not in page
