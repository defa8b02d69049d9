"""The day sheet and call list at their cost (issue 21, REQ STF-1, NFR-4): entries made once
a page, the office's data kept by its version, the call list a page at a time; the pages show
the same and see every change at once."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.models import OfficeClosure
from booths.models import Reservation, Status
from consultations.models import AvailabilityException, Consultation, ExceptionKind
from terms.models import ConsentMethod, TermsService
from terms.services import consent_record
from tests.booths.conftest import tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.consultations.conftest import weekly
from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory
from workplace import call_list
from workplace import entries as entries_module
from workplace.entries import PageEntries

from .test_workplace import CALLS, DAY, consultation, entries_in, populate, waiting_requests

pytestmark = pytest.mark.django_db

KINDS = {Reservation: "booth", Consultation: "online"}

# What a later load of a page costs in the test settings, whatever the office holds: the
# session, the user with the office (their permissions and second factor kept under its rights
# version, accounts.rights), the page's own reads and the access records. Before issue 21 the
# day sheet took 19 here; the earlier-slot alerts (ALR-1) add one: how many people wait for
# the day. Session 9: 11 and 9 before the rights and the people shown were versioned.
# Session 10: 4 → 3 for the call list, its keys kept with its rows under the office's version.
DAY_SHEET_QUERIES = 4
CALL_LIST_QUERIES = 3


def count_queries(client, url, query) -> int:
    client.get(url, query)  # warm-up: session activity
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, query).status_code == 200
    return len(queries)


def test_the_day_sheet_and_call_list_keep_within_their_query_budget(frozen, staff_client, office):
    # REQ NFR-4, STF-1: the office's closures, booths, patterns and exceptions are kept under
    # its data version; the terms in effect come from the kept gate and one query reads both
    # services' consents; no entry makes a query.
    populate(office, booths=3, counselors=3, per_booth=6)
    for service in (TermsService.BOOTH, TermsService.ONLINE):
        TermsVersionFactory(document=TermsDocumentFactory(office=office, service=service))
    assert count_queries(staff_client, DAY, {"date": "2026-11-16"}) <= DAY_SHEET_QUERIES
    assert count_queries(staff_client, CALLS, {}) <= CALL_LIST_QUERIES


def test_the_day_sheet_shows_a_new_booth_closure_and_extra_slot_at_once(
    frozen, staff_client, office, booth, me
):
    # REQ STF-1, NFR-4: what the sheet keeps of the office is kept under the office's data
    # version, which the database raises with each of these writes
    weekly(me, datetime.time(9), datetime.time(12))
    first = staff_client.get(DAY, {"date": "2026-11-16"})
    assert [c.label for c in first.context["booth_columns"]] == [booth.name]
    assert not any(
        cell.offered
        for moment, cells in first.context["rows"]
        if f"{moment:%H:%M}" == "15:00"
        for cell in cells
    )
    BoothFactory(office=office, name="ブースZ")
    AvailabilityException.objects.create(
        counselor=me, office=office, starts_at=tokyo(2026, 11, 16, 15, 0), kind=ExceptionKind.EXTRA
    )
    second = staff_client.get(DAY, {"date": "2026-11-16"})
    assert [c.label for c in second.context["booth_columns"]] == [booth.name, "ブースZ"]
    assert any(
        cell.offered
        for moment, cells in second.context["rows"]
        if f"{moment:%H:%M}" == "15:00"
        for cell in cells
    )
    assert second.context["closed_reason"] is None
    OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 16), reason="点検")
    third = staff_client.get(DAY, {"date": "2026-11-16"})
    assert third.context["closed_reason"]


def test_the_day_sheet_names_who_lacks_consent_for_each_service_in_one_read(
    frozen, staff_client, office, booth, me, zoom
):
    # REQ TRM-4: booth and online terms each in effect; each card says whether its person
    # accepted its own service's terms, and a consent shows on the next load
    booth_terms = TermsVersionFactory(
        document=TermsDocumentFactory(office=office, service=TermsService.BOOTH), number=1
    )
    TermsVersionFactory(
        document=TermsDocumentFactory(office=office, service=TermsService.ONLINE), number=1
    )
    frozen.move_to(tokyo(2026, 11, 16, 9, 50))
    at_booth = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0), confirmed=True)
    online = consultation(office, me, zoom, starts_at=tokyo(2026, 11, 16, 10, 0))
    # The online person accepted the booth terms only: still missing the online ones.
    consent_record(
        user=online.user, version=booth_terms, method=ConsentMethod.STAFF, recorded_by=me
    )
    response = staff_client.get(DAY, {"date": "2026-11-16"})
    [booth_entry] = entries_in(response, "booth")[(booth.name, "10:00")]
    [online_entry] = entries_in(response, "online")[("相談 一郎", "10:00")]
    assert booth_entry.terms_missing and online_entry.terms_missing
    consent_record(
        user=at_booth.user, version=booth_terms, method=ConsentMethod.STAFF, recorded_by=me
    )
    response = staff_client.get(DAY, {"date": "2026-11-16"})
    [booth_entry] = entries_in(response, "booth")[(booth.name, "10:00")]
    [online_entry] = entries_in(response, "online")[("相談 一郎", "10:00")]
    assert not booth_entry.terms_missing and online_entry.terms_missing


def test_a_pages_entries_link_to_each_bookings_own_admin_pages(
    frozen, office, booth, me, zoom, monkeypatch
):
    # REQ STF-1: each URL name is reversed once a page and every booking gets its own pk
    bookings = [
        ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 9 + n, 0)) for n in range(3)
    ] + [consultation(office, me, zoom, starts_at=tokyo(2026, 11, 18, 13 + n, 0)) for n in range(3)]
    reversed_names = []

    def counted_reverse(name, *args, **kwargs):
        reversed_names.append(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr(entries_module, "reverse", counted_reverse)
    entries = PageEntries(tokyo(2026, 11, 16, 9, 0))
    for booking in bookings:
        kind = KINDS[type(booking)]
        entry = entries.entry(booking, kind)
        prefix = f"admin:{booking._meta.app_label}_{booking._meta.model_name}_"
        assert entry.change_url == reverse(prefix + "change", args=[booking.pk])
        expected = {reverse(prefix + "move", args=[booking.pk])}
        if kind == "online":
            expected.add(reverse(prefix + "link", args=[booking.pk]))
        assert expected <= {link.url for link in entry.links}
    # Once a name: booth change, confirm and move; online change, move and meeting link.
    assert sorted(reversed_names) == sorted(set(reversed_names)) and len(reversed_names) == 6


def test_the_call_list_pages_show_every_request_once_and_the_same_soon_list(
    frozen, staff_client, office, booth, me, zoom, monkeypatch
):
    # REQ STF-1, NFR-4: across the pages every waiting request appears exactly once, oldest
    # first; every page counts them all and lists the same requests starting soon
    monkeypatch.setattr(call_list, "CALL_LIST_PAGE_SIZE", 2)
    # Tomorrow (17 Nov) the online ones: the list of requests starting soon holds them.
    waiting = waiting_requests(office, booth, me, zoom, count=5, online_day=17)
    ReservationFactory(  # confirmed: not to call
        booth=booth,
        starts_at=tokyo(2026, 11, 17, 15, 0),
        status=Status.CONFIRMED,
        phoned_at=tokyo(2026, 11, 12, 9, 0),
    )
    seen, soon_lists = [], []
    for number in (1, 2, 3):
        response = staff_client.get(CALLS, {"page": number})
        assert response.context["total"] == 5
        assert "電話確認待ちの申込み 5件" in response.content.decode()
        seen += [(e.kind, e.booking.pk) for e in response.context["waiting"]]
        soon_lists.append([(e.kind, e.booking.pk) for e in response.context["soon"]])
    assert seen == [(KINDS[type(b)], b.pk) for b in waiting]
    assert len(set(seen)) == len(seen)
    # Tomorrow's two online requests, by start time, on every page.
    assert soon_lists == [[("online", waiting[1].pk), ("online", waiting[3].pk)]] * 3


def test_the_call_list_offers_one_form_a_request_with_a_button_per_action(
    frozen, staff_client, booth
):
    # REQ STF-1, BTH-5: the confirm and cancel buttons of a request share one form, each
    # button naming its action; the chosen one is done
    requests = [
        ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 9 + n, 0)) for n in range(3)
    ]
    html = staff_client.get(CALLS).content.decode()
    table = html[html.index('id="wp-calls"') : html.index('id="wp-soon"')]
    forms = re.findall(r"<form .*?</form>", table, flags=re.S)
    assert len(forms) == len(requests)
    for form in forms:
        assert 'name="action" value="confirm_now"' in form
        assert 'name="action" value="cancel_phone"' in form
    response = staff_client.post(
        reverse("admin:workplace_action"),
        {"kind": "booth", "pk": requests[1].pk, "back": "calls", "action": "cancel_phone"},
    )
    assert response.status_code == 302
    requests[1].refresh_from_db()
    assert requests[1].status == Status.CANCELLED


def test_the_call_lists_statement_compiled_once_is_the_orms_for_each_office_and_moment(
    frozen, office, other_office
):
    # REQ NFR-4, STF-1: the kept text with the request's office and moment put in is what the
    # ORM writes for them
    for place, moment in (
        (office, tokyo(2026, 11, 18, 9, 0)),
        (other_office, tokyo(2027, 1, 4, 17, 30)),
    ):
        expected = call_list._waiting_keys(place, moment).query.sql_with_params()
        assert call_list._waiting_keys_sql(place, moment) == (expected[0], list(expected[1]))
