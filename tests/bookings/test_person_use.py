"""A person's use of the service is more than signing in (REQ REG-6): a booking made for them
by phone, confirmed by phone or attended keeps the account from the dormancy purge."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts import tasks
from accounts.models import User
from bookings import activity_sql
from bookings import services as bookings
from booths import services as booth_services
from core.audit import audit_events_of
from tests.booths.conftest import NOW, SLOT_AT
from tests.booths.factories import ReservationFactory
from tests.consultations.factories import ConsultationFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
# Last signed in eleven and a half months before NOW, and warned of the purge since.
SIGNED_IN = NOW - 350 * DAY
WARNED = NOW - 10 * DAY


def _idle(office, **fields):
    return UserFactory(
        office=office, last_activity_at=SIGNED_IN, dormancy_warned_at=WARNED, **fields
    )


def _dormancy_at(moment) -> str:
    with time_machine.travel(moment, tick=False):
        return tasks.dormancy()


def test_a_person_who_books_by_phone_and_attends_is_not_purged(office, booth, staff):
    # REQ REG-6: made by phone, confirmed by that call, attended; never signed in again
    caller, idle = _idle(office, username="caller1"), _idle(office, username="idle1")
    with time_machine.travel(NOW, tick=False):
        reservation = booth_services.reservation_book_for_caller(
            user=caller, booth=booth, staff=staff, starts_at=SLOT_AT, purpose="job_consultation"
        )
        caller.refresh_from_db()
        assert caller.last_activity_at == NOW and caller.dormancy_warned_at is None
    with time_machine.travel(SLOT_AT, tick=False):
        bookings.booking_start(booking=reservation, staff=staff)
        bookings.booking_complete(booking=reservation, staff=staff)
    caller.refresh_from_db()
    assert caller.last_activity_at == SLOT_AT
    # Bookkeeping, as a sign-in's: no audited change of the person (REQ STF-2).
    assert [event.pgh_label for event in audit_events_of(caller)] == ["insert"]

    # A month after the idle person's warning, a year after both last signed in.
    assert _dormancy_at(NOW + 31 * DAY) == "warned=0 purged=1"
    assert User.objects.get(pk=idle.pk).deleted_at is not None
    assert User.objects.get(pk=caller.pk).deleted_at is None
    # Warned again at eleven months after the use, purged at twelve, as anyone.
    assert _dormancy_at(SLOT_AT + 336 * DAY) == "warned=1 purged=0"
    assert _dormancy_at(SLOT_AT + 367 * DAY) == "warned=0 purged=1"
    assert User.objects.get(pk=caller.pk).deleted_at is not None


def test_a_request_confirmed_by_phone_is_a_use(office, booth, staff):
    # REQ REG-6: requested online a year ago, the office's confirming call comes now
    person = _idle(office)
    with time_machine.travel(SIGNED_IN, tick=False):
        reservation = ReservationFactory(booth=booth, user=person, starts_at=SLOT_AT)
    person.refresh_from_db()
    assert person.last_activity_at == SIGNED_IN  # the request is as old as the sign-in
    with time_machine.travel(NOW, tick=False):
        bookings.booking_confirm(booking=reservation, staff=staff, phoned_at=NOW - DAY)
    person.refresh_from_db()
    assert person.last_activity_at == NOW - DAY and person.dormancy_warned_at is None
    assert _dormancy_at(NOW + 31 * DAY) == "warned=0 purged=0"


def test_an_attended_online_consultation_is_a_use(office):
    # REQ REG-6: the other service's table holds the same rule
    person = _idle(office)
    with time_machine.travel(NOW, tick=False):
        consultation = ConsultationFactory(office=office, user=person, starts_at=SLOT_AT)
    person.refresh_from_db()
    assert person.last_activity_at == NOW and person.dormancy_warned_at is None  # made: a use
    person.last_activity_at, person.dormancy_warned_at = SIGNED_IN, WARNED
    person.save(update_fields=["last_activity_at", "dormancy_warned_at"])
    type(consultation).objects.filter(pk=consultation.pk).update(
        status="checked_in", checked_in_at=SLOT_AT, actual_started_at=SLOT_AT
    )
    person.refresh_from_db()
    assert person.last_activity_at == SLOT_AT and person.dormancy_warned_at is None


def test_a_change_that_is_no_use_leaves_the_last_activity(office, booth, staff):
    # REQ REG-6: a cancellation by the office or a no-show is not the person's use, and an
    # older moment never moves the last activity back
    person = UserFactory(office=office, last_activity_at=NOW)
    with time_machine.travel(SIGNED_IN, tick=False):
        reservation = ReservationFactory(booth=booth, user=person, starts_at=SLOT_AT)
    person.refresh_from_db()
    assert person.last_activity_at == NOW
    with time_machine.travel(NOW + DAY, tick=False):
        reservation.status, reservation.cancelled_at = "cancelled", timezone.now()
        reservation.person_hold = None
        reservation.save()
    person.refresh_from_db()
    assert person.last_activity_at == NOW


def test_bookings_stored_before_the_rule_count_once_it_is_installed(office, booth, staff):
    # REQ REG-6: the migration carries the bookings already made into the last activity
    person = _idle(office)
    table = "booths_reservation"
    with connection.cursor() as cursor:
        for statement in activity_sql.drop_sql(table):
            cursor.execute(statement)
        with time_machine.travel(NOW - 2 * DAY, tick=False):
            ReservationFactory(booth=booth, user=person, starts_at=SLOT_AT, phoned_at=NOW)
        assert User.objects.get(pk=person.pk).last_activity_at == SIGNED_IN  # no trigger
        cursor.execute(activity_sql.backfill_sql(table))
        for statement in activity_sql.create_sql(table):
            cursor.execute(statement)
    person.refresh_from_db()
    assert person.last_activity_at == NOW and person.dormancy_warned_at is None
