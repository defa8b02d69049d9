"""No-shows the person caused, and only those (REQ BTH-6, BTH-7, CON-5), the job that records
them and the requests the office never confirmed, and the reminder job (REQ NTF-1)."""

import importlib
import threading

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.urls import reverse

from bookings import rules
from bookings import services as bookings
from bookings.models import CancelledVia, CounselorHold, State, q_holds, state_rules
from bookings.tasks import bookings_record_no_shows, bookings_send_reminders
from booths import services as booth_services
from booths.models import Reservation, Status
from consultations.models import Consultation
from core.outbox import outbox_deliver_due
from tests.booths.conftest import tokyo
from tests.booths.factories import ReservationFactory
from tests.consultations.factories import ConsultationFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _run(task, at):
    """Run a periodic task as a worker would at `at`."""
    with time_machine.travel(at, tick=False):
        return task()


START = tokyo(2026, 11, 18, 10, 0)


def _state(booking, now):
    return type(booking).objects.with_state(now).get(pk=booking.pk).state


def _loaded_state(booking, now):
    """The state worked out on a booking loaded without the annotation."""
    return type(booking).objects.get(pk=booking.pk).current_state(now)


def _consultation(zoom, counselor, **fields):
    fields.setdefault("starts_at", START)
    return ConsultationFactory(office=zoom.office, video_tool=zoom, counselor=counselor, **fields)


def _unapproved(zoom, counselor, **fields):
    """An online request made after repeated no-contact cancellations, never approved."""
    return _consultation(
        zoom, counselor, status=Status.REQUESTED, needs_approval=True, confirmed_at=None, **fields
    )


def _bodies():
    outbox_deliver_due()
    return [(message.subject, message.body) for message in mail.outbox]


# --- Confirmed bookings: the 10-minute rule ---------------------------------------------------


def test_a_confirmed_booking_flips_at_ten_minutes_not_at_nine_fifty_nine(booth):
    # REQ BTH-6: the same rule in SQL (with_state) and on a loaded booking (current_state)
    reservation = ReservationFactory(booth=booth, starts_at=START, confirmed=True)
    before, at = tokyo(2026, 11, 18, 10, 9, 59), tokyo(2026, 11, 18, 10, 10)
    assert _state(reservation, before) == _loaded_state(reservation, before) == Status.CONFIRMED
    assert _state(reservation, at) == _loaded_state(reservation, at) == Status.NO_SHOW


def test_recorded_contact_stops_the_rule(booth, staff):
    # REQ BTH-6: "the user phoned, will be late"
    reservation = ReservationFactory(booth=booth, starts_at=START, confirmed=True)
    bookings.booking_record_late_contact(
        booking=reservation, staff=staff, now=tokyo(2026, 11, 18, 10, 5)
    )
    assert _state(reservation, tokyo(2026, 11, 18, 10, 20)) == Status.CONFIRMED


def test_checked_in_bookings_are_never_no_shows(booth, staff):
    # REQ BTH-6: "a booking someone ... checked in is never a no-show"
    reservation = ReservationFactory(booth=booth, starts_at=START, confirmed=True)
    bookings.booking_start(booking=reservation, staff=staff, now=tokyo(2026, 11, 18, 10, 5))
    assert _state(reservation, tokyo(2026, 11, 18, 10, 20)) == Status.CHECKED_IN
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 20)) == "recorded=0"


def test_a_joined_consultation_is_never_a_no_show(zoom, counselor):
    # REQ CON-5, BTH-6: nobody joined is part of the rule
    joined = _consultation(zoom, counselor, joined_at=tokyo(2026, 11, 18, 10, 2))
    nobody = _consultation(zoom, counselor, starts_at=tokyo(2026, 11, 18, 11))
    assert _state(joined, tokyo(2026, 11, 18, 10, 20)) == Status.CONFIRMED
    assert _loaded_state(joined, tokyo(2026, 11, 18, 10, 20)) == Status.CONFIRMED
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 11, 10)) == "recorded=1"
    joined.refresh_from_db()
    nobody.refresh_from_db()
    assert joined.status == Status.CONFIRMED and nobody.status == Status.NO_SHOW


def test_an_overdue_booking_stops_holding_the_slot_before_the_job(booth):
    # REQ BTH-6: every query shows the true state
    reservation = ReservationFactory(booth=booth, starts_at=START, confirmed=True)
    holding = Reservation.objects.holding_slot
    assert holding(tokyo(2026, 11, 18, 10, 9, 59)).filter(pk=reservation.pk).exists()
    assert not holding(tokyo(2026, 11, 18, 10, 10)).filter(pk=reservation.pk).exists()


def test_the_job_records_a_no_show_frees_the_slot_and_mails_once_when_run_twice(booth):
    # REQ BTH-6, NTF-1
    reservation = ReservationFactory(booth=booth, starts_at=START, confirmed=True)
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 9, 59)) == "recorded=0"
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 10)) == "recorded=1"
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 11)) == "recorded=0"
    reservation.refresh_from_db()
    assert reservation.status == Status.NO_SHOW
    # The unique constraint no longer counts it: the slot can be held again.
    ReservationFactory(booth=booth, starts_at=START, status=Status.CHECKED_IN)
    [(subject, _body)] = _bodies()
    assert "連絡" in subject


def test_the_job_leaves_contact_recorded_bookings_alone(booth):
    # REQ BTH-6
    reservation = ReservationFactory(
        booth=booth, starts_at=START, confirmed=True, late_contact_at=START
    )
    _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 30))
    reservation.refresh_from_db()
    assert reservation.status == Status.CONFIRMED


# --- Requests the office never confirmed ------------------------------------------------------


def test_an_unconfirmed_booth_request_is_not_confirmed_from_its_start_never_a_no_show(booth):
    # REQ BTH-6: the slot is free at the start, before the job has run
    reservation = ReservationFactory(booth=booth, starts_at=START)
    before = tokyo(2026, 11, 18, 9, 59, 59)
    assert _state(reservation, before) == _loaded_state(reservation, before) == Status.REQUESTED
    for moment in (START, tokyo(2026, 11, 18, 10, 10), tokyo(2026, 11, 18, 12)):
        assert _state(reservation, moment) == State.NOT_CONFIRMED
        assert _loaded_state(reservation, moment) == State.NOT_CONFIRMED
    assert Reservation.objects.holding_slot(before).filter(pk=reservation.pk).exists()
    assert not Reservation.objects.holding_slot(START).filter(pk=reservation.pk).exists()
    assert not Reservation.objects.awaiting_phone_call(START).filter(pk=reservation.pk).exists()
    assert not Reservation.objects.overdue(tokyo(2026, 11, 18, 10, 10)).exists()


def test_an_unapproved_online_request_is_not_confirmed_from_its_start(zoom, counselor):
    # REQ BTH-6, CON-5: an approval never given
    request = _unapproved(zoom, counselor)
    assert Consultation.objects.awaiting_approval(tokyo(2026, 11, 18, 9, 59)).exists()
    assert _state(request, START) == _loaded_state(request, START) == State.NOT_CONFIRMED
    assert not Consultation.objects.awaiting_approval(START).exists()
    assert not Consultation.objects.holding_slot(START).exists()


def test_the_job_closes_unconfirmed_requests_once_and_mails_once_when_run_twice(
    booth, zoom, counselor
):
    # REQ BTH-6, NTF-1, NTF-3: "not confirmed by the office", where to book, no join text
    reservation = ReservationFactory(booth=booth, starts_at=START)
    request = _unapproved(zoom, counselor)
    hold_id = request.counselor_hold_id
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 9, 59, 59)) == "recorded=0"
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 0, 30)) == "recorded=2"
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 11)) == "recorded=0"
    for booking in (reservation, request):
        booking.refresh_from_db()
        assert booking.status == Status.CANCELLED
        assert booking.cancelled_via == CancelledVia.NOT_CONFIRMED
        assert booking.cancelled_at == tokyo(2026, 11, 18, 10, 0, 30)
        assert booking.no_show_at is None
        assert _state(booking, tokyo(2026, 11, 19)) == State.NOT_CONFIRMED
    # The counselor is free again (CON-7) and the booth slot can be held again (BTH-2).
    assert request.counselor_hold_id is None
    assert not CounselorHold.objects.filter(pk=hold_id).exists()
    ReservationFactory(booth=booth, starts_at=START, status=Status.CHECKED_IN)
    mails = _bodies()
    assert len(mails) == 2
    for subject, body in mails:
        assert "確定されませんでした" in subject and "連絡なし" not in subject
        assert "ご連絡もなかった" not in body  # the no-contact sentence
        assert "お電話ください" in body and booth.office.phone in body
    booth_body = next(body for subject, body in mails if "ブース" in subject)
    online_body = next(body for subject, body in mails if "オンライン" in subject)
    assert reverse("booths:index") in booth_body
    assert reverse("consultations:index") in online_body
    assert "参加の前に" not in online_body  # the join instructions (NTF-3)


def test_not_confirmed_requests_never_count_toward_the_refusal_rule(booth, seeker):
    # REQ BTH-7: neither before the job records them nor after; confirmed no-shows do
    for day in (2, 3, 4):
        ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, day, 10))
    now = tokyo(2026, 11, 9, 9)
    assert rules.no_contact_cancellations(seeker, booth.office, now=now) == 0
    assert rules.no_contact_facts(seeker, booth.office, now=now) == (0, None)
    _run(bookings_record_no_shows, now)
    assert rules.no_contact_cancellations(seeker, booth.office, now=now) == 0
    assert rules.noshow_approval_reason(seeker, booth.office, now=now) is None
    assert not any("連絡" in subject for subject, _body in _bodies())
    with time_machine.travel(now, tick=False):
        made = booth_services.reservation_request(
            user=seeker,
            booth=booth,
            starts_at=tokyo(2026, 11, 18, 10),
            purpose="job_consultation",
            requester_name="山田 太郎",
            phone="0173-11-2222",
        )
    assert made.needs_approval is False
    # The same person's confirmed bookings left unattended do count (the test can fail).
    for day in (5, 6):
        ReservationFactory(
            booth=booth, user=seeker, starts_at=tokyo(2026, 11, day, 10), confirmed=True
        )
    assert rules.no_contact_cancellations(seeker, booth.office, now=now) == 2
    assert rules.noshow_approval_reason(seeker, booth.office, now=now) is not None


def test_an_ad_hoc_use_takes_the_slot_of_a_request_never_confirmed_at_its_start(booth, seeker):
    # REQ BTH-6, BTH-8: the slot is free at the start; the request is closed, not a no-show
    request = ReservationFactory(booth=booth, starts_at=START)
    with time_machine.travel(tokyo(2026, 11, 18, 10, 1), tick=False):
        use = booth_services.reservation_start_adhoc(user=seeker, booth=booth)
    request.refresh_from_db()
    assert use.starts_at == START and use.status == Status.CHECKED_IN
    assert request.status == Status.CANCELLED
    assert request.cancelled_via == CancelledVia.NOT_CONFIRMED


def test_a_request_cannot_be_confirmed_or_checked_in_after_its_start(booth, staff):
    # REQ BTH-6: pages show it closed from the start, so nothing may revive it
    reservation = ReservationFactory(booth=booth, starts_at=START)
    later = tokyo(2026, 11, 18, 10, 1)
    with pytest.raises(ValidationError):
        bookings.booking_confirm(booking=reservation, staff=staff, phoned_at=later, now=later)
    with pytest.raises(ValidationError):
        bookings.booking_start(booking=reservation, staff=staff, now=later)
    reservation.refresh_from_db()
    assert reservation.status == Status.REQUESTED


# --- Staff marking a no-show ------------------------------------------------------------------


def test_staff_can_not_mark_a_no_show_on_a_consultation_someone_joined(zoom, counselor):
    # REQ CON-5, BTH-6
    joined = _consultation(zoom, counselor, joined_at=tokyo(2026, 11, 18, 10, 2))
    with pytest.raises(ValidationError) as refused:
        bookings.booking_mark_no_show(
            booking=joined, staff=counselor, now=tokyo(2026, 11, 18, 10, 5)
        )
    assert refused.value.code == "joined"
    joined.refresh_from_db()
    assert joined.status == Status.CONFIRMED and joined.no_show_at is None


def test_a_join_a_moment_before_the_staff_no_show_wins(zoom, counselor):
    # REQ CON-5: the page was loaded before the join; the UPDATE checks again
    consultation = _consultation(zoom, counselor)
    stale = Consultation.objects.get(pk=consultation.pk)
    Consultation.objects.filter(pk=consultation.pk).update(joined_at=tokyo(2026, 11, 18, 10, 4))
    with pytest.raises(ValidationError):
        bookings.booking_mark_no_show(
            booking=stale, staff=counselor, now=tokyo(2026, 11, 18, 10, 5)
        )
    consultation.refresh_from_db()
    assert consultation.status == Status.CONFIRMED
    assert _bodies() == []


def test_staff_can_not_mark_a_no_show_on_a_checked_in_or_unconfirmed_booking(booth, staff):
    # REQ BTH-6
    started = ReservationFactory(booth=booth, starts_at=START, confirmed=True)
    bookings.booking_start(booking=started, staff=staff, now=tokyo(2026, 11, 18, 10, 1))
    unconfirmed = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 11))
    with pytest.raises(ValidationError) as refused_started:
        bookings.booking_mark_no_show(booking=started, staff=staff, now=tokyo(2026, 11, 18, 10, 5))
    with pytest.raises(ValidationError) as refused_unconfirmed:
        bookings.booking_mark_no_show(
            booking=unconfirmed, staff=staff, now=tokyo(2026, 11, 18, 11, 5)
        )
    assert refused_started.value.code == "started"
    assert refused_unconfirmed.value.code == "not_confirmed"


def test_staff_mark_a_confirmed_booking_nobody_came_to_as_a_no_show(booth, staff):
    # REQ BTH-6: before the 10 minutes too (a late call that came to nothing)
    reservation = ReservationFactory(booth=booth, starts_at=START, confirmed=True)
    bookings.booking_mark_no_show(booking=reservation, staff=staff, now=tokyo(2026, 11, 18, 10, 5))
    reservation.refresh_from_db()
    assert reservation.status == Status.NO_SHOW


# --- One statement of each rule ---------------------------------------------------------------


def test_the_rules_give_the_same_state_in_sql_and_on_a_loaded_booking(booth, zoom, counselor):
    # REQ BTH-6: q_holds applies the very Q the database applies, for every kind of row
    def confirmed(**fields):
        return ReservationFactory(booth=booth, confirmed=True, **fields)

    rows = [
        ReservationFactory(booth=booth, starts_at=START),
        ReservationFactory(
            booth=booth, starts_at=tokyo(2026, 11, 18, 10, 30), late_contact_at=START
        ),
        confirmed(starts_at=tokyo(2026, 11, 18, 11)),
        confirmed(starts_at=tokyo(2026, 11, 18, 11, 30), late_contact_at=START),
        confirmed(starts_at=tokyo(2026, 11, 18, 12), reinstated_at=START),
        ReservationFactory(
            booth=booth,
            starts_at=tokyo(2026, 11, 18, 12, 30),
            status=Status.CANCELLED,
            cancelled_at=START,
            cancelled_via=CancelledVia.NOT_CONFIRMED,
        ),
        ReservationFactory(
            booth=booth,
            starts_at=tokyo(2026, 11, 18, 13),
            status=Status.CANCELLED,
            cancelled_at=START,
            cancelled_via=CancelledVia.PHONE,
        ),
        ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 13, 30), status="no_show"),
        ReservationFactory(
            booth=booth, starts_at=tokyo(2026, 11, 18, 14), status=Status.CHECKED_IN
        ),
        ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 9), status=Status.COMPLETED),
        _consultation(zoom, counselor, joined_at=START),
        _unapproved(zoom, counselor, starts_at=tokyo(2026, 11, 18, 14, 30)),
    ]
    seen = set()
    for hour, minute in [(9, 0), (10, 0), (10, 10), (11, 9), (11, 10), (12, 10), (15, 0)]:
        now = tokyo(2026, 11, 18, hour, minute)
        for row in rows:
            sql = _state(row, now)
            assert _loaded_state(row, now) == sql, (row.pk, now)
            seen.add(sql)
    assert seen >= {s.value for s in State}


def test_q_holds_refuses_what_it_cannot_judge():
    # REQ BTH-6: a rule it can't evaluate fails loudly instead of drifting from SQL
    from django.db.models import F, Q

    with pytest.raises(ValueError):
        q_holds(Q(starts_at__date=START.date()), Reservation(starts_at=START))
    with pytest.raises(ValueError):
        q_holds(Q(ends_at__gt=F("starts_at")), Reservation(starts_at=START, ends_at=START))
    assert [state for state, _q in state_rules(START)] == [State.NO_SHOW, State.NOT_CONFIRMED]


# --- Two workers ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_job_skips_a_booking_another_worker_holds_and_never_waits(booth):
    # REQ BTH-6, NFR-6: FOR UPDATE SKIP LOCKED; the other worker's row is left to it
    held = ReservationFactory(booth=booth, starts_at=START)
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 9, 30), confirmed=True)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Reservation.objects.select_for_update(of=("self",)).filter(pk=held.pk).first()
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 10)) == "recorded=1"
    finally:
        release.set()
        thread.join(timeout=30)
    assert Reservation.objects.get(pk=held.pk).status == Status.REQUESTED
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 11)) == "recorded=1"
    assert Reservation.objects.get(pk=held.pk).cancelled_via == CancelledVia.NOT_CONFIRMED
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = 0")
    connections.close_all()


# --- Reminders (NTF-1) ------------------------------------------------------------------------


def test_reminder_goes_the_day_before_once(booth):
    # REQ NTF-1
    tomorrow = ReservationFactory(booth=booth, starts_at=START)
    ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 19, 10, 0))
    assert _run(bookings_send_reminders, tokyo(2026, 11, 17, 8, 0)) == "queued=1"
    assert _run(bookings_send_reminders, tokyo(2026, 11, 17, 9, 0)) == "queued=0"
    outbox_deliver_due()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [tomorrow.user.email]
    assert "明日" in mail.outbox[0].subject


def test_cancelled_reservations_get_no_reminder(booth):
    # REQ NTF-1
    ReservationFactory(
        booth=booth, starts_at=START, status=Status.CANCELLED, cancelled_at=tokyo(2026, 11, 1)
    )
    assert _run(bookings_send_reminders, tokyo(2026, 11, 17, 8, 0)) == "queued=0"


# --- Past no-shows the person did not cause ---------------------------------------------------


MIGRATIONS = {
    "booth": "booths.migrations.0012_cancelled_not_confirmed_by_office",
    "online": "consultations.migrations.0010_cancelled_not_confirmed_by_office",
}


@pytest.mark.parametrize("kind", ["booth", "online"])
def test_the_migration_forgives_past_no_shows_on_requests_never_confirmed(
    kind, booth, zoom, counselor
):
    # REQ BTH-6, BTH-7: recorded under the old rule; only those the office had confirmed stay
    forgive = importlib.import_module(MIGRATIONS[kind]).FORGIVE_UNCONFIRMED_NO_SHOWS
    seeker = UserFactory(office=booth.office)

    def no_show(day, **fields):
        fields.update(user=seeker, starts_at=tokyo(2026, 11, day, 10), status=Status.NO_SHOW)
        if kind == "booth":
            return ReservationFactory(booth=booth, **fields)
        fields.setdefault("confirmed_at", None)
        return _consultation(zoom, counselor, **fields)

    never = no_show(2, no_show_at=tokyo(2026, 11, 2, 10, 10))
    kept = no_show(4, phoned_at=tokyo(2026, 11, 1, 10), confirmed_at=tokyo(2026, 11, 1, 10))
    now = tokyo(2026, 11, 9, 9)
    assert rules.no_contact_cancellations(seeker, booth.office, now=now) == 2
    with connection.cursor() as cursor:
        cursor.execute(forgive)
    never.refresh_from_db()
    kept.refresh_from_db()
    assert never.status == Status.CANCELLED
    assert never.cancelled_via == CancelledVia.NOT_CONFIRMED
    assert never.cancelled_at == tokyo(2026, 11, 2, 10, 10)
    assert kept.status == Status.NO_SHOW
    assert rules.no_contact_cancellations(seeker, booth.office, now=now) == 1
