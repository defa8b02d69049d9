"""A new earlier-slot alert and a write of the same person's bookings at once, in two
transactions (REQ ALR-1): whichever comes first, the alert's kept facts end up as the tables
say. The person's row orders them (bookings/alerts_sql.py): each waits for the other's commit.
The writes here are the ones that take no lock of their own on the person first: a booking
made without the booking service (a factory's insert) and a status changed by staff's
queryset."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from bookings.alert_models import EarlierSlotAlert
from bookings.models import CancelledVia, Status
from booths.models import Reservation
from tests.bookings.test_alerts import _alert
from tests.booths.conftest import SLOT_AT, tokyo
from tests.booths.factories import ReservationFactory

pytestmark = pytest.mark.django_db(transaction=True)

LATER = tokyo(2026, 11, 27, 10, 0)  # outside the alert's range: it would end the alert


def _new_alert(user):
    return _alert(user, last=SLOT_AT.date())


def _book(booth, user):
    return ReservationFactory(booth=booth, user=user, starts_at=LATER, confirmed=True)


def _cancel(booking):
    Reservation.objects.filter(pk=booking.pk).update(
        status=Status.CANCELLED,
        cancelled_via=CancelledVia.OFFICE,
        cancelled_at=timezone.now(),
        person_hold=None,
    )


def _waiting_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def _first_holds_the_second_waits(first, second):
    """Runs `first()` in a transaction left open, then `second()` in another; returns whether
    `second` waited for `first`'s commit (seen waiting on a lock), once both are done."""
    opened, close = threading.Event(), threading.Event()
    pids: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(name, work, hold):
        try:
            with transaction.atomic():
                pids[name] = connection.connection.info.backend_pid
                work()
                if hold:
                    opened.set()
                    close.wait(timeout=30)
        except BaseException as exc:  # reported below
            errors.append(exc)
            opened.set()
        finally:
            connections.close_all()

    holder = threading.Thread(target=run, args=("first", first, True))
    holder.start()
    assert opened.wait(timeout=30)
    waiter = threading.Thread(target=run, args=("second", second, False))
    waiter.start()
    waited = False
    for _ in range(200):  # up to 10 s for the second to reach the lock
        if "second" in pids and _waiting_for_a_lock(pids["second"]):
            waited = True
            break
        if not waiter.is_alive():
            break
        threading.Event().wait(0.05)
    close.set()
    holder.join(timeout=30)
    waiter.join(timeout=30)
    assert not errors, errors
    return waited


def test_a_booking_written_while_a_new_alert_is_uncommitted_reaches_the_alert(
    frozen, office, booth, seeker
):
    # REQ ALR-1: the alert first, the booking's refresh waits for it, then updates it.
    assert _first_holds_the_second_waits(lambda: _new_alert(seeker), lambda: _book(booth, seeker))
    alert = EarlierSlotAlert.objects.get(user=seeker)
    assert alert.held_starts == [LATER]
    assert alert.no_contact_starts == [LATER]  # confirmed, no contact yet: turns later


def test_a_new_alert_written_while_a_booking_is_uncommitted_reads_the_booking(
    frozen, office, booth, seeker
):
    # REQ ALR-1: the booking first, the alert waits for its commit, then reads it.
    assert _first_holds_the_second_waits(lambda: _book(booth, seeker), lambda: _new_alert(seeker))
    alert = EarlierSlotAlert.objects.get(user=seeker)
    assert alert.held_starts == [LATER]


def test_a_cancellation_written_while_a_new_alert_is_uncommitted_reaches_the_alert(
    frozen, office, booth, seeker
):
    # REQ ALR-1: the alert read the booking as held; the cancellation waits for the alert's
    # commit and then takes the booking out of its facts.
    booking = _book(booth, seeker)
    assert _first_holds_the_second_waits(lambda: _new_alert(seeker), lambda: _cancel(booking))
    alert = EarlierSlotAlert.objects.get(user=seeker)
    assert alert.held_starts == []
    assert alert.no_contact_starts == []


def test_a_new_alert_written_while_a_cancellation_is_uncommitted_reads_it(
    frozen, office, booth, seeker
):
    # REQ ALR-1
    booking = _book(booth, seeker)
    assert _first_holds_the_second_waits(lambda: _cancel(booking), lambda: _new_alert(seeker))
    alert = EarlierSlotAlert.objects.get(user=seeker)
    assert alert.held_starts == []
