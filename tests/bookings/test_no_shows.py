"""The 10-minute rule (REQ BTH-6), its job, and the reminder job (REQ NTF-1)."""

import pytest
import time_machine
from django.core import mail

from bookings import services as bookings
from bookings.tasks import bookings_record_no_shows, bookings_send_reminders
from booths.models import Reservation, Status
from core.outbox import outbox_deliver_due
from tests.booths.conftest import tokyo
from tests.booths.factories import ReservationFactory

pytestmark = pytest.mark.django_db


def _run(task, at):
    """Run a periodic task as a worker would at `at`."""
    with time_machine.travel(at, tick=False):
        return task()


START = tokyo(2026, 11, 18, 10, 0)


def _state(reservation, now):
    return Reservation.objects.with_state(now).get(pk=reservation.pk).state


def test_rule_flips_at_ten_minutes_not_at_nine_fifty_nine(booth):
    # REQ BTH-6
    reservation = ReservationFactory(booth=booth, starts_at=START)
    assert _state(reservation, tokyo(2026, 11, 18, 10, 9, 59)) == Status.REQUESTED
    assert _state(reservation, tokyo(2026, 11, 18, 10, 10, 0)) == Status.NO_SHOW
    assert reservation.current_state(tokyo(2026, 11, 18, 10, 9, 59)) == Status.REQUESTED
    assert reservation.current_state(tokyo(2026, 11, 18, 10, 10)) == Status.NO_SHOW


def test_recorded_contact_stops_the_rule(booth, staff):
    # REQ BTH-6: "the user phoned, will be late"
    reservation = ReservationFactory(booth=booth, starts_at=START)
    bookings.booking_record_late_contact(
        booking=reservation, staff=staff, now=tokyo(2026, 11, 18, 10, 5)
    )
    assert _state(reservation, tokyo(2026, 11, 18, 10, 20)) == Status.REQUESTED


def test_checked_in_reservations_are_never_no_shows(booth, staff):
    reservation = ReservationFactory(booth=booth, starts_at=START)
    bookings.booking_start(booking=reservation, staff=staff, now=tokyo(2026, 11, 18, 10, 5))
    assert _state(reservation, tokyo(2026, 11, 18, 10, 20)) == Status.CHECKED_IN


def test_overdue_reservation_stops_holding_the_slot_before_the_job(booth):
    # REQ BTH-6: every query shows the true state
    reservation = ReservationFactory(booth=booth, starts_at=START)
    holding = Reservation.objects.holding_slot
    assert holding(tokyo(2026, 11, 18, 10, 9, 59)).filter(pk=reservation.pk).exists()
    assert not holding(tokyo(2026, 11, 18, 10, 10)).filter(pk=reservation.pk).exists()


def test_job_records_frees_the_slot_and_mails_once_when_run_twice(booth):
    # REQ BTH-6, NTF-1
    reservation = ReservationFactory(booth=booth, starts_at=START)
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 9, 59)) == "recorded=0"
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 10)) == "recorded=1"
    assert _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 11)) == "recorded=0"
    reservation.refresh_from_db()
    assert reservation.status == Status.NO_SHOW
    # The unique constraint no longer counts it: the slot can be held again.
    ReservationFactory(booth=booth, starts_at=START, status=Status.CHECKED_IN)
    outbox_deliver_due()
    assert len(mail.outbox) == 1
    assert "連絡" in mail.outbox[0].subject


def test_job_leaves_contact_recorded_reservations_alone(booth, staff):
    reservation = ReservationFactory(booth=booth, starts_at=START, late_contact_at=START)
    _run(bookings_record_no_shows, tokyo(2026, 11, 18, 10, 30))
    reservation.refresh_from_db()
    assert reservation.status == Status.REQUESTED


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
    ReservationFactory(
        booth=booth, starts_at=START, status=Status.CANCELLED, cancelled_at=tokyo(2026, 11, 1)
    )
    assert _run(bookings_send_reminders, tokyo(2026, 11, 17, 8, 0)) == "queued=0"
