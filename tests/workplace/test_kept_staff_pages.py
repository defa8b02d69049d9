"""The day sheet's and call list's rows kept between requests (issue 21, REQ STF-1, NFR-4,
LOG-1): a later load reads less, and still shows every change and every moment's actions at
once; each page still records whose data it showed; each form carries the request's own CSRF
token. The pages' HTML is checked, not their context (which rebuilds the sheet when read)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessKind, AccessRecord
from bookings.models import Status
from terms.models import ConsentMethod, TermsService
from terms.services import consent_record
from tests.auth import login_client
from tests.booths.conftest import tokyo
from tests.booths.factories import ReservationFactory
from tests.consultations.conftest import weekly
from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory
from workplace.kept import CSRF_PLACEHOLDER

from .conftest import counselor
from .test_workplace import CALLS, DAY, act, consultation

pytestmark = pytest.mark.django_db

SHEET = {"date": "2026-11-16"}


def load(client, url, query=None) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query or {})
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def card(html: str, name: str) -> str:
    """The day sheet's card of the booking of `name`."""
    found = re.search(
        rf'<div class="wp-booking[^"]*">\s*<a [^>]*>{name}</a>.*?\n</div>', html, re.S
    )
    assert found, name
    return found.group(0)


def test_a_kept_day_sheet_reads_less_and_shows_a_confirmation_at_once(
    frozen, staff_client, office, booth
):
    # REQ STF-1, NFR-4: the second load takes the rows from the cache; the confirmation raises
    # the office's version in its own transaction, so the next load shows it
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 14, 0), requester_name="甲")
    requested = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 15, 0), requester_name="乙"
    )
    staff_client.get(CALLS)  # warm-up: session activity
    first, built = load(staff_client, DAY, SHEET)
    again, kept = load(staff_client, DAY, SHEET)
    assert _per_request_parts_out(again) == _per_request_parts_out(first)
    assert kept < built
    assert "wp-state-requested" in card(again, "乙")
    act(staff_client, requested, "confirm_now", back="day", date="2026-11-16")
    after, _ = load(staff_client, DAY, SHEET)
    assert "wp-state-confirmed" in card(after, "乙")
    assert "wp-state-requested" in card(after, "甲")


def test_a_kept_day_sheet_offers_start_and_no_show_when_their_moment_comes(
    frozen, staff_client, office, booth
):
    # REQ BTH-6, STF-1: nothing is written between the loads; time alone changes the card
    ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 10, 30), confirmed=True, requester_name="丙"
    )
    before, _ = load(staff_client, DAY, SHEET)
    assert 'value="start"' in card(before, "丙")  # the start opens 30 minutes before
    assert 'value="no_show"' not in card(before, "丙")
    frozen.move_to(tokyo(2026, 11, 16, 10, 29))
    waiting, _ = load(staff_client, DAY, SHEET)
    assert 'value="no_show"' not in card(waiting, "丙")
    assert "10:00 <span" in waiting  # the current slot
    frozen.move_to(tokyo(2026, 11, 16, 10, 30))
    started, _ = load(staff_client, DAY, SHEET)
    assert 'value="no_show"' in card(started, "丙")
    assert "10:30 <span" in started and "10:00 <span" not in started


def test_a_kept_day_sheet_shows_a_consent_and_a_counselors_new_name_at_once(
    frozen, staff_client, office, booth, me, zoom
):
    # REQ TRM-4, STF-1: both raise the office's people version, which keys the kept sheet
    terms = TermsVersionFactory(
        document=TermsDocumentFactory(office=office, service=TermsService.BOOTH), number=1
    )
    weekly(me, datetime.time(9), datetime.time(17))
    person = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 14, 0), confirmed=True, requester_name="丁"
    ).user
    first, _ = load(staff_client, DAY, SHEET)
    assert "wp-terms" in card(first, "丁")
    assert "相談 一郎" in first
    consent_record(user=person, version=terms, method=ConsentMethod.STAFF, recorded_by=me)
    me.last_name = "窓口"
    me.save(update_fields=["last_name"])
    after, _ = load(staff_client, DAY, SHEET)
    assert "wp-terms" not in card(after, "丁")
    assert "窓口 一郎" in after and "相談 一郎" not in after


def test_a_kept_day_sheet_reads_no_consent_and_marks_terms_that_take_effect_later_in_time(
    frozen, staff_client, office, booth, me
):
    # REQ TRM-4, NFR-4: the consents are versioned, so a later load reads none; a version that
    # takes effect by time alone (published before, no write at that moment) is marked from
    # that moment
    document = TermsDocumentFactory(office=office, service=TermsService.BOOTH)
    first_terms = TermsVersionFactory(document=document, number=1)
    TermsVersionFactory(document=document, number=2, effective_from=tokyo(2026, 11, 16, 10, 20))
    person = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 14, 0), confirmed=True, requester_name="丁"
    ).user
    consent_record(user=person, version=first_terms, method=ConsentMethod.STAFF, recorded_by=me)
    load(staff_client, DAY, SHEET)
    with CaptureQueriesContext(connection) as queries:
        kept, _ = load(staff_client, DAY, SHEET)
    assert "wp-terms" not in card(kept, "丁")
    assert not [q for q in queries.captured_queries if "terms_consent" in q["sql"]]
    frozen.move_to(tokyo(2026, 11, 16, 10, 20))
    later, _ = load(staff_client, DAY, SHEET)
    assert "wp-terms" in card(later, "丁")


def test_a_counselor_of_another_office_booked_here_is_named_anew_at_once(
    frozen, staff_client, office, other_office, me, zoom
):
    # REQ STF-1: their name raises their own office's people version, not this office's, so
    # the kept sheet reads them again while one is shown
    visiting = counselor(other_office, last_name="応援", first_name="花子")
    consultation(office, visiting, zoom, starts_at=tokyo(2026, 11, 16, 14, 0))
    first, _ = load(staff_client, DAY, SHEET)
    assert "応援 花子" in first
    visiting.last_name = "出張"
    visiting.save(update_fields=["last_name"])
    after, _ = load(staff_client, DAY, SHEET)
    assert "出張 花子" in after and "応援 花子" not in after


def test_a_kept_call_list_shows_a_call_made_and_a_renamed_video_tool_at_once(
    frozen, staff_client, office, booth, me, zoom
):
    # REQ STF-1, NFR-4: a confirmation and a video tool's name both raise the office's version
    waiting = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 10, 0))
    consultation(
        office,
        me,
        zoom,
        starts_at=tokyo(2026, 11, 18, 11, 0),
        status=Status.REQUESTED,
        confirmed_at=None,
    )
    staff_client.get(DAY)  # warm-up: session activity
    _first, built = load(staff_client, CALLS)
    again, kept = load(staff_client, CALLS)
    assert kept < built
    assert f'name="pk" value="{waiting.pk}"' in again
    assert f">{zoom.name}</td>" in again
    act(staff_client, waiting, "confirm_now", back="calls")
    zoom.name = "Teams 会議"
    zoom.save(update_fields=["name"])
    after, _ = load(staff_client, CALLS)
    assert f'name="pk" value="{waiting.pk}"' not in after
    assert ">Teams 会議</td>" in after


def _reads_the_keys(client, query=None) -> tuple[str, bool]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CALLS, query or {})
    assert response.status_code == 200
    return response.content.decode(), any("COUNT(*) OVER ()" in q["sql"] for q in queries)


def test_a_kept_call_list_reads_no_keys_until_a_booking_or_a_start_changes_them(
    frozen, staff_client, office, booth
):
    # REQ STF-1, NFR-4: the page's keys are kept with its rows under the office's data
    # version; a new request (another page's, by time order) and one whose start comes
    # change the list on the next load, nothing to invalidate
    first = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 25, 10, 0))
    later = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 10, 30))
    staff_client.get(DAY)  # warm-up: session activity
    html, read = _reads_the_keys(staff_client)
    assert read and f'value="{first.pk}"' in html and f'value="{later.pk}"' in html
    html, read = _reads_the_keys(staff_client)
    assert not read and f'value="{first.pk}"' in html
    added = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 26, 10, 0))
    html, read = _reads_the_keys(staff_client)
    assert read and f'value="{added.pk}"' in html
    assert not _reads_the_keys(staff_client, {"page": "1"})[1]  # the same page
    assert _reads_the_keys(staff_client, {"page": "2"})[1]  # another page: its own keys
    frozen.move_to(tokyo(2026, 11, 16, 10, 15))
    html, _read = _reads_the_keys(staff_client)  # within the idle timeout
    assert f'value="{later.pk}"' in html
    frozen.move_to(tokyo(2026, 11, 16, 10, 30))
    html, read = _reads_the_keys(staff_client)
    assert read and f'value="{later.pk}"' not in html and f'value="{first.pk}"' in html


def test_a_kept_call_list_page_past_the_last_shows_the_last(frozen, staff_client, office, booth):
    # REQ STF-1: the page asked for is the key; the page shown is the last there is
    waiting = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 25, 10, 0))
    for _load in range(2):
        response = staff_client.get(CALLS, {"page": "7"})
        assert response.context["calls"].page == 1
        assert f'value="{waiting.pk}"' in response.content.decode()


def test_a_kept_page_still_records_whose_data_it_showed_each_time(
    frozen, staff_client, office, booth, me
):
    # REQ LOG-1: one record per page shown naming everyone on it, on every load, kept rows or not
    people = [
        ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 9 + n, 0)).user
        for n in range(3)
    ]
    for _load in range(2):
        staff_client.get(CALLS)
    records = AccessRecord.objects.filter(kind=AccessKind.CALL_LIST)
    assert [sorted(r.subjects) for r in records] == [sorted(p.pk for p in people)] * 2
    assert {(r.actor_id, r.subject_id, r.office_id, r.path) for r in records} == {
        (me.pk, None, office.pk, CALLS)
    }


def test_a_kept_pages_forms_carry_each_requests_own_csrf_token(frozen, office, booth, me):
    # REQ STF-1: the kept rows hold no token; each request's is put in, and it is accepted
    requested = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 10, 0))
    client = login_client(Client(enforce_csrf_checks=True), me)
    client.get(CALLS)
    html, _ = load(client, CALLS)
    assert CSRF_PLACEHOLDER not in html
    token = _csrf(html)
    response = client.post(
        reverse("admin:workplace_action"),
        {
            "csrfmiddlewaretoken": token,
            "kind": "booth",
            "pk": requested.pk,
            "action": "confirm_now",
            "back": "calls",
        },
    )
    assert response.status_code == 302
    requested.refresh_from_db()
    assert requested.status == Status.CONFIRMED


def test_the_kept_admin_sidebar_is_the_one_the_admin_renders(staff_client, me):
    # REQ NFR-4, STF-2: the same models as the admin's own sidebar; a permission taken away
    # shows on the next load
    def sidebar(html: str) -> str:
        return re.search(r'<nav class="sticky" id="nav-sidebar".*?</nav>', html, re.S).group(0)

    ours, _ = load(staff_client, DAY)
    admins = staff_client.get("/admin/booths/reservation/").content.decode()
    # The same apps and models; only the current app's mark follows the path.
    assert _models(sidebar(ours)) == _models(sidebar(admins))
    assert "model-videotool" in sidebar(ours)
    me.user_permissions.remove(*me.user_permissions.filter(codename__endswith="_videotool"))
    after, _ = load(staff_client, DAY)
    assert "model-videotool" not in sidebar(after)
    assert "model-reservation" in sidebar(after)


def _models(sidebar: str) -> list[str]:
    return re.findall(r'<tr class="(model-[a-z]+)', sidebar)


def _per_request_parts_out(html: str) -> str:
    """The page without what differs on each request: CSRF tokens and CSP nonces."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_what_people_typed_is_shown_as_text_on_both_pages(frozen, staff_client, office, booth):
    # REQ STF-1, NFR-3: the rows are written in Python (workplace.rows); a name, a phone or a
    # note with markup in it is escaped like a template would, never run
    markup = '<script>alert("x")</script>'
    ReservationFactory(
        booth=booth,
        starts_at=tokyo(2026, 11, 16, 14, 0),
        status=Status.REQUESTED,
        requester_name=f"山田{markup}",
        phone='0173"><b>1',
    )
    for url, query in ((DAY, SHEET), (CALLS, None)):
        html, _queries = load(staff_client, url, query)
        assert markup not in html and '"><b>1' not in html, url
        assert "山田&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, url
