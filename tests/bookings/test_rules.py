"""Rule defects found in review, each proven here (REQ BTH-5, BTH-6, BTH-7, BTH-10, REG-5,
NFR-3, NTF-1)."""

import datetime
import threading
import uuid

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import reverse
from icalendar import Calendar

from accounts.services import account_delete
from bookings import calendar, rules
from bookings import services as bookings
from bookings.models import CancelledVia
from bookings.registry import booking_kinds
from booths import services
from booths.models import Reservation, Status
from core import statements
from core.outbox import outbox_deliver_due
from tests.auth import login_client
from tests.booths.conftest import NOW, SLOT_AT, tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.checkpage import fill_and_check

pytestmark = pytest.mark.django_db


def _request(user, booth, starts_at=SLOT_AT):
    return services.reservation_request(
        user=user,
        booth=booth,
        starts_at=starts_at,
        purpose="job_consultation",
        requester_name="山田 太郎",
        phone="0173-11-2222",
    )


def test_late_contact_after_the_ten_minutes_does_not_revive_a_no_show(frozen, booth, staff):
    # REQ BTH-6: the outcome is the same before and after the job records it
    reservation = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 9, 30), confirmed=True
    )
    frozen.move_to(tokyo(2026, 11, 16, 9, 41))
    with pytest.raises(ValidationError):
        bookings.booking_record_late_contact(booking=reservation, staff=staff)
    with pytest.raises(ValidationError):
        bookings.booking_cancel_by_phone(booking=reservation, staff=staff)
    assert Reservation.objects.with_state().get().state == Status.NO_SHOW
    bookings.record_overdue_no_shows()
    assert Reservation.objects.with_state().get().state == Status.NO_SHOW


def test_late_contact_within_the_ten_minutes_keeps_the_reservation(frozen, booth, staff):
    # REQ BTH-6
    reservation = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 9, 55), confirmed=True
    )
    frozen.move_to(tokyo(2026, 11, 16, 10, 4))
    bookings.booking_record_late_contact(booking=reservation, staff=staff)
    frozen.move_to(tokyo(2026, 11, 16, 10, 20))
    assert Reservation.objects.with_state().get().state == Status.CONFIRMED


def test_staff_may_explicitly_reinstate_a_no_show_before_or_after_the_job(frozen, booth, staff):
    # REQ BTH-6: the one way back, recorded on the reservation
    first = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 9, 30), confirmed=True)
    second = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 9, 30), status="cancelled", cancelled_at=NOW
    )
    frozen.move_to(tokyo(2026, 11, 16, 9, 45))
    bookings.booking_reinstate(booking=first, staff=staff)
    assert Reservation.objects.with_state().get(pk=first.pk).state == Status.CONFIRMED
    bookings.booking_mark_no_show(booking=first, staff=staff)
    first.refresh_from_db()
    reinstated = bookings.booking_reinstate(booking=first, staff=staff)
    assert reinstated.status == Status.CONFIRMED and reinstated.reinstated_at is not None
    with pytest.raises(ValidationError):
        bookings.booking_reinstate(booking=second, staff=staff)


def test_the_awaiting_approval_list_leaves_out_overdue_requests(frozen, booth):
    # REQ BTH-6, BTH-7
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 9, 30), needs_approval=True)
    waiting = ReservationFactory(booth=booth, starts_at=SLOT_AT, needs_approval=True)
    assert list(Reservation.objects.awaiting_approval()) == [waiting]


def test_check_in_is_only_possible_around_the_slot(frozen, booth, staff):
    # REQ BTH-10: not days early, not after the end
    reservation = ReservationFactory(booth=booth, starts_at=SLOT_AT)
    with pytest.raises(ValidationError):
        bookings.booking_start(booking=reservation, staff=staff)
    frozen.move_to(SLOT_AT - datetime.timedelta(minutes=30))
    assert bookings.booking_start(booking=reservation, staff=staff).status == Status.CHECKED_IN


def test_account_deletion_cancels_every_active_state_tells_the_person_and_records_why(
    frozen, seeker, booth, staff
):
    # REQ REG-5, NTF-1: even a reservation in progress; the mail reaches the person
    ReservationFactory(booth=booth, user=seeker, starts_at=SLOT_AT)
    soon = ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, 16, 10, 30))
    frozen.move_to(tokyo(2026, 11, 16, 10, 15))
    bookings.booking_start(booking=soon, staff=staff)
    address = seeker.email
    account_delete(user=seeker)
    assert set(Reservation.objects.values_list("status", "cancelled_via")) == {
        (Status.CANCELLED, CancelledVia.ACCOUNT_DELETED)
    }
    outbox_deliver_due()
    assert [m.to for m in mail.outbox] == [[address], [address]]


def test_a_dormancy_purge_is_recorded_as_such(frozen, seeker, booth):
    # REQ REG-6, STA-1: not as an online cancellation by the user
    ReservationFactory(booth=booth, user=seeker, starts_at=SLOT_AT)
    account_delete(user=seeker, reason="dormant")
    assert Reservation.objects.get().cancelled_via == CancelledVia.DORMANT


@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_never_lose_a_calendar_sequence(booth, staff):
    # REQ NTF-1: SEQUENCE grows in the database, so every change reaches calendars
    reservation = ReservationFactory(booth=booth, starts_at=tokyo(2030, 11, 18, 10))
    stale = [Reservation.objects.get(pk=reservation.pk) for _ in range(2)]
    bookings.booking_move(booking=stale[0], by=staff, starts_at=tokyo(2030, 11, 19, 10))
    bookings.booking_cancel_by_phone(booking=stale[1], staff=staff)
    reservation.refresh_from_db()
    assert reservation.sequence == 2
    connections.close_all()


def test_every_ics_is_valid_in_tokyo_tentative_until_confirmed_and_cancel_keeps_the_uid(
    frozen, seeker, booth, staff
):
    # REQ NTF-1, OFF-3: TZID Asia/Tokyo with its VTIMEZONE, TENTATIVE, CANCEL, same UID
    # Each mail is delivered before the next change: a change drops waiting mails that no
    # longer fit (NTF-3).
    reservation = _request(seeker, booth)
    outbox_deliver_due()
    bookings.booking_confirm(booking=reservation, staff=staff, phoned_at=NOW)
    outbox_deliver_due()
    bookings.booking_cancel_by_phone(booking=reservation, staff=staff)
    outbox_deliver_due()
    events = []
    for message in mail.outbox:
        _name, content, _mime = message.attachments[0]
        cal = Calendar.from_ical(content)
        assert cal.walk("VTIMEZONE") and str(cal.walk("VTIMEZONE")[0]["TZID"]) == "Asia/Tokyo"
        event = cal.walk("VEVENT")[0]
        assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
        assert event.decoded("DTSTART").astimezone(calendar.TOKYO) == SLOT_AT
        events.append(
            (str(cal["METHOD"]), str(event["STATUS"]), str(event["UID"]), event["SEQUENCE"])
        )
    assert [e[:2] for e in events] == [
        ("PUBLISH", "TENTATIVE"),
        ("PUBLISH", "CONFIRMED"),
        ("CANCEL", "CANCELLED"),
    ]
    assert len({e[2] for e in events}) == 1
    assert events[2][3] > events[1][3]


def test_the_no_contact_window_counts_months_in_tokyo(seeker, booth):
    # REQ BTH-7: 1 Dec 00:30 Tokyo is still 30 Nov in UTC; six months back is 1 June, Tokyo
    now = tokyo(2026, 12, 1, 0, 30)
    ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 6, 1, 10), status="no_show")
    ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 5, 31, 10), status="no_show")
    assert rules.no_contact_cancellations(seeker, booth.office, now=now) == 1


def test_book_next_checks_the_person_may_still_book(frozen, seeker, booth, staff):
    # REQ BTH-9, REG-7: the same eligibility as booking for a caller
    current = ReservationFactory(
        booth=booth, user=seeker, starts_at=tokyo(2026, 11, 16, 10), confirmed=True
    )
    bookings.booking_start(booking=current, staff=staff)
    seeker.suspended_at, seeker.suspension_reason = NOW, "threats"
    seeker.save()
    with pytest.raises(ValidationError):
        services.reservation_book_next(
            reservation=current, staff=staff, booth=booth, starts_at=tokyo(2026, 11, 30, 10)
        )


def test_a_counselor_conflict_is_named_as_such(frozen, seeker, booth, staff):
    # REQ CON-7: not "this slot was just taken"
    other_booth = BoothFactory(office=booth.office, name="ブースZ")
    ReservationFactory(booth=other_booth, starts_at=tokyo(2026, 11, 30, 10), counselor=staff)
    current = ReservationFactory(
        booth=booth, user=seeker, starts_at=tokyo(2026, 11, 16, 10), counselor=staff, confirmed=True
    )
    bookings.booking_start(booking=current, staff=staff)
    with pytest.raises(bookings.CounselorBusyError):
        services.reservation_book_next(
            reservation=current, staff=staff, booth=booth, starts_at=tokyo(2026, 11, 30, 10)
        )


def test_a_person_holds_at_most_two_future_booth_reservations(frozen, seeker, booth, staff):
    # REQ NFR-3: the office's cap; staff booking for a caller may exceed it
    _request(seeker, booth, starts_at=SLOT_AT)
    _request(seeker, booth, starts_at=tokyo(2026, 11, 18, 10, 30))
    with pytest.raises(ValidationError) as capped:
        _request(seeker, booth, starts_at=tokyo(2026, 11, 18, 11))
    assert capped.value.code == "cap"
    services.reservation_book_for_caller(
        user=seeker,
        booth=booth,
        staff=staff,
        starts_at=tokyo(2026, 11, 18, 11),
        purpose="job_consultation",
    )


@pytest.mark.django_db(transaction=True)
def test_two_racing_requests_cannot_both_pass_the_cap(seeker, booth):
    # REQ NFR-3: the cap is checked under a lock on the person, inside the transaction
    import time_machine

    services_request = _request
    starts = [tokyo(2026, 11, 18, 10), tokyo(2026, 11, 18, 10, 30), tokyo(2026, 11, 18, 11)]
    barrier = threading.Barrier(len(starts))
    outcomes = []

    def race(starts_at):
        try:
            barrier.wait(timeout=30)
            services_request(seeker, booth, starts_at=starts_at)
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=race, args=(s,)) for s in starts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(outcomes) == ["cap", "ok", "ok"]
    assert Reservation.objects.count() == 2


def test_booking_posts_are_rate_limited_with_a_clear_message(
    frozen, client, seeker, booth, settings
):
    # REQ NFR-3
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "booking": "1/h/user"}
    login_client(client, seeker)
    data = {"purpose": "job_consultation", "requester_name": "山田", "phone": "0173-11-2222"}
    checks = []
    for hhmm, expected in (("1000", 302), ("1030", 429)):
        url = reverse("booths:request", args=[booth.pk, "2026-11-18", hhmm])
        checks.append(fill_and_check(client, url, data))
        response = checks[-1].send(client)
        assert response.status_code == expected
    assert "短い時間に予約の操作が多すぎます" in response.content.decode()
    assert Reservation.objects.count() == 1
    # A double submit of the booking already made still finds it, past the limit (BTH-2).
    assert checks[0].send(client)["Location"] == Reservation.objects.get().get_absolute_url()


def _one_held_one_no_show(booth, person):
    """An active booking ahead and a no-show three days ago: facts that count."""
    ReservationFactory(booth=booth, user=person, starts_at=SLOT_AT)
    ReservationFactory(
        booth=booth,
        user=person,
        starts_at=NOW - datetime.timedelta(days=3),
        status=Status.NO_SHOW,
        no_show_at=NOW - datetime.timedelta(days=3),
    )


@pytest.mark.parametrize("with_token", [True, False], ids=["token", "no_token"])
def test_the_kept_facts_statement_is_the_orms_for_every_person_and_moment(
    frozen, seeker, employer, booth, with_token
):
    # REQ NFR-4, BTH-7, NFR-3: the statement built once a process, filled with another
    # person's values at another moment, is the one the ORM builds for them, for both kinds,
    # and counts what it should
    from consultations.models import Consultation

    _one_held_one_no_show(booth, seeker)
    office = booth.office
    statements.forget()
    for model in (Reservation, Consultation):
        for user, now in ((employer, NOW - datetime.timedelta(days=40)), (seeker, NOW)):
            token = uuid.uuid4() if with_token else None
            kept = rules._kept_facts_statement(user, model, office, now=now, form_token=token)
            assert kept == rules._facts_sql(user, model, office, now=now, form_token=token)
            key = ("bookings.rules.locked_facts", model._meta.label, token is None)
            assert statements.kept(key) is not None
    facts = rules.locked_facts(seeker, Reservation, office, now=NOW, form_token=None)
    assert (facts.held, facts.no_contact, facts.twin) == (1, 1, None)


def test_the_kept_booking_facts_statement_is_the_orms_for_every_person_and_window(
    frozen, seeker, employer, booth
):
    # REQ NFR-4, BTH-7, NFR-3: the person's facts read by the statement built once a process,
    # filled with another person's values and window, are those the ORM's union reads
    _one_held_one_no_show(booth, seeker)
    office = booth.office
    kinds = booking_kinds()
    statements.forget()
    for user, since in ((employer, NOW - datetime.timedelta(days=40)), (seeker, NOW)):
        sql, params = rules._kept_rows_statement(kinds, user.pk, since)
        built_sql, built = rules._rows_sql(kinds, user.pk, since)
        assert (sql, tuple(params)) == (built_sql, built)
    key = ("bookings.rules.booking_facts", tuple(kind.model._meta.label for kind in kinds))
    assert statements.kept(key) is not None
    facts = rules.booking_facts(seeker, office, now=NOW)
    assert (facts.no_contact, facts.held) == (1, {"booth": 1, "online": 0})
    assert rules.booking_facts(employer, office, now=NOW).held == {"booth": 0, "online": 0}
