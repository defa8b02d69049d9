"""The facts the freeing job's choice reads from each live alert (REQ ALR-1, NFR-4): kept by
triggers whatever writes the rows, judged as of the job's moment; and the recovery of rounds
whose store job is gone."""

import datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.db.models import Q
from procrastinate.contrib.django.models import ProcrastinateJob

from bookings import alerts
from bookings import services as bookings
from bookings.alert_models import AlertRound, EarlierSlotAlert
from bookings.models import ACTIVE_STATUSES, Status
from booths.models import Reservation
from consultations.models import Consultation
from tests.booths.conftest import NOW, SLOT_AT, tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.consultations.factories import ConsultationFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = SLOT_AT.date()
# Bookings the tests write fall outside the alerts' range (DAY only): one inside would end it.
LATER = tokyo(2026, 11, 27, 10, 0)


def _alert(user, *, service="booth", first=DAY):
    return EarlierSlotAlert.objects.create(
        user=user,
        office_id=user.office_id,
        service=service,
        first_day=first,
        last_day=first,
    )


def _may_turn_no_contact(model, user):
    return list(
        model.objects.filter(user=user)
        .filter(
            Q(status=Status.NO_SHOW)
            | Q(
                status=Status.CONFIRMED,
                checked_in_at__isnull=True,
                late_contact_at__isnull=True,
                joined_at__isnull=True,
                reinstated_at__isnull=True,
            )
        )
        .order_by("starts_at")
        .values_list("starts_at", "status")
    )


def _expected(user) -> tuple:
    """The facts as the tables say them now."""
    held = sorted(
        Reservation.objects.filter(user=user, status__in=ACTIVE_STATUSES).values_list(
            "starts_at", flat=True
        )
    )
    no_contact = {
        service: [
            [start.timestamp(), status == Status.NO_SHOW]
            for start, status in _may_turn_no_contact(model, user)
        ]
        for model, service in ((Reservation, "booth"), (Consultation, "online"))
    }
    verified = EmailAddress.objects.filter(user=user, verified=True).exists()
    return held, no_contact, verified


def _kept(alert) -> tuple:
    alert.refresh_from_db()
    no_contact = {"booth": [], "online": []}
    for start, recorded, service in zip(
        alert.no_contact_starts,
        alert.no_contact_recorded,
        alert.no_contact_services,
        strict=True,
    ):
        no_contact[service].append([start.timestamp(), recorded])
    return sorted(alert.held_starts), no_contact, alert.address_verified


def test_a_new_alert_carries_its_persons_facts(frozen, office, booth, seeker):
    # REQ ALR-1, NFR-4: made after the bookings, it reads them from the tables.
    ReservationFactory(booth=booth, user=seeker, starts_at=LATER, confirmed=True)
    ReservationFactory(
        booth=booth, user=seeker, starts_at=tokyo(2026, 11, 2, 10, 0), status=Status.NO_SHOW
    )
    alert = _alert(seeker)
    held, no_contact, verified = _kept(alert)
    assert held == [LATER]
    assert len(no_contact["booth"]) == 2 and no_contact["online"] == []
    assert verified
    assert _kept(alert) == _expected(seeker)


def test_the_kept_facts_follow_every_write_of_a_booking(frozen, office, booth, seeker, staff):
    # REQ ALR-1, NFR-4: insert, confirm, move, check-in, cancel, no-show, another person's,
    # delete: after each, the alert's facts are the tables'.
    alert = _alert(seeker)
    other = UserFactory(office=office, username="other")
    other_alert = _alert(other)
    assert _kept(alert) == _expected(seeker)

    booking = ReservationFactory(booth=booth, user=seeker, starts_at=LATER, confirmed=True)
    assert _kept(alert)[0] == [LATER]
    assert _kept(alert) == _expected(seeker)

    moved = LATER + datetime.timedelta(hours=2)
    booking = bookings.booking_move(booking=booking, by=staff, starts_at=moved, now=NOW)
    assert _kept(alert)[0] == [moved]
    assert _kept(alert) == _expected(seeker)

    Reservation.objects.filter(pk=booking.pk).update(checked_in_at=NOW)
    assert _kept(alert)[1]["booth"] == []
    assert _kept(alert) == _expected(seeker)

    second = ReservationFactory(booth=booth, user=seeker, starts_at=LATER, confirmed=True)
    bookings.booking_cancel_online(booking=second, user=seeker, now=NOW)
    assert _kept(alert) == _expected(seeker)

    Reservation.objects.filter(pk=booking.pk).update(
        status=Status.NO_SHOW, checked_in_at=None, person_hold=None
    )
    assert _kept(alert)[0] == [] and _kept(alert)[1]["booth"] == [[moved.timestamp(), True]]
    assert _kept(alert) == _expected(seeker)

    Reservation.objects.filter(pk=booking.pk).update(user=other)
    assert _kept(alert) == _expected(seeker)
    assert _kept(other_alert) == _expected(other)
    assert _kept(other_alert)[1]["booth"] == [[moved.timestamp(), True]]

    Reservation.objects.filter(pk=booking.pk).delete()
    assert _kept(other_alert) == _expected(other)
    assert _kept(other_alert)[1]["booth"] == []


def test_the_kept_facts_follow_the_other_services_bookings(frozen, office, seeker, counselor):
    # REQ ALR-1, BTH-7: an online no-show counts against a booth alert too; the online
    # bookings never count against the booth's cap.
    alert = _alert(seeker)
    consultation = ConsultationFactory(
        office=office, counselor=counselor, user=seeker, starts_at=LATER
    )
    held, no_contact, _verified = _kept(alert)
    assert held == []
    assert no_contact["online"] == [[LATER.timestamp(), False]]
    Consultation.objects.filter(pk=consultation.pk).update(joined_at=NOW)
    assert _kept(alert)[1]["online"] == []
    assert _kept(alert) == _expected(seeker)


def test_the_kept_address_follows_its_verification(frozen, office, seeker):
    # REQ ALR-1, REG-2: unverified, verified, deleted, added.
    alert = _alert(seeker)
    assert _kept(alert)[2]
    EmailAddress.objects.filter(user=seeker).update(verified=False)
    assert not _kept(alert)[2]
    EmailAddress.objects.filter(user=seeker).update(verified=True)
    assert _kept(alert)[2]
    EmailAddress.objects.filter(user=seeker).delete()
    assert not _kept(alert)[2]
    EmailAddress.objects.create(user=seeker, email="new@example.com", verified=True)
    assert _kept(alert)[2]


def test_an_ended_alert_keeps_no_facts_and_costs_the_writes_nothing(frozen, office, booth, seeker):
    # REQ ALR-1: only live alerts are kept (the choice reads no other).
    alert = _alert(seeker)
    alerts.alert_cancel(user=seeker, alert_id=alert.pk, now=NOW)
    ReservationFactory(booth=booth, user=seeker, starts_at=LATER, confirmed=True)
    assert _kept(alert)[0] == []


def _waiting(booth, *, now) -> set[int]:
    office = booth.office
    office.refresh_from_db()
    slot = alerts.FreedSlot("booth", office.pk, booth.pk, SLOT_AT)
    sql, params = alerts.waiting_people(alerts.kind_for("booth"), office, slot, now=now)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {user_id for _alert_id, user_id in cursor.fetchall()}


def test_a_booking_whose_start_has_passed_no_longer_counts_to_the_cap(frozen, office, booth):
    # REQ ALR-1, BTH-3: judged as of the job's moment, with no write in between.
    person = UserFactory(office=office, username="capped")
    _alert(person)
    other_booth = BoothFactory(office=office)
    soon = tokyo(2026, 11, 16, 12, 0)
    for starts_at in (soon, LATER):
        ReservationFactory(booth=other_booth, user=person, starts_at=starts_at)  # requested
    assert _waiting(booth, now=NOW) == set()
    assert _waiting(booth, now=soon + datetime.timedelta(minutes=1)) == {person.pk}


@pytest.mark.parametrize(("minutes", "waits"), [(5, True), (10, False)])
def test_a_confirmed_booking_without_contact_turns_no_contact_ten_minutes_past_its_start(
    frozen, office, booth, minutes, waits
):
    # REQ ALR-1, BTH-6, BTH-7: one recorded no-show and one not yet recorded make two: the
    # person needs the office's approval, and is not mailed.
    person = UserFactory(office=office, username="lapsing")
    _alert(person)
    ReservationFactory(
        booth=booth, user=person, starts_at=tokyo(2026, 11, 2, 10, 0), status=Status.NO_SHOW
    )
    started = tokyo(2026, 11, 16, 12, 0)
    ReservationFactory(booth=booth, user=person, starts_at=started, confirmed=True)
    now = started + datetime.timedelta(minutes=minutes)
    assert (person.pk in _waiting(booth, now=now)) is waits


def test_a_no_show_older_than_the_window_no_longer_counts(frozen, office, booth):
    # REQ ALR-1, BTH-7: the window (6 months) slides with the job's moment.
    person = UserFactory(office=office, username="old_no_shows")
    _alert(person)
    for starts_at in (tokyo(2026, 5, 16, 12, 0), tokyo(2026, 5, 17, 10, 0)):
        ReservationFactory(booth=booth, user=person, starts_at=starts_at, status=Status.NO_SHOW)
    assert office.noshow_window_months == 6
    assert _waiting(booth, now=NOW) == set()
    assert _waiting(booth, now=tokyo(2026, 11, 17, 11, 0)) == {person.pk}


# --- Rounds whose store job is gone (REQ ALR-1) ----------------------------------------------


def _round(office, booth, *, sent_at, starts_at=SLOT_AT, people=()):
    return AlertRound.objects.create(
        office=office,
        service="booth",
        place_id=booth.pk,
        starts_at=starts_at,
        sent_at=sent_at,
        sent_on=sent_at.date(),
        alert_ids=[a.pk for a in people],
        user_ids=[a.user_id for a in people],
    )


def _store_jobs(round_id, status="todo"):
    return ProcrastinateJob.objects.filter(
        task_name="alerts_store_round", status=status, args__round_id=round_id
    )


def test_a_round_whose_store_job_failed_is_queued_again_once(frozen, office, booth, seeker):
    # REQ ALR-1: its people are mailed after all; a second run queues nothing more.
    chosen = _round(
        office, booth, sent_at=NOW - datetime.timedelta(minutes=6), people=[_alert(seeker)]
    )
    assert alerts.recover_rounds(now=NOW) == (1, 0)
    assert alerts.recover_rounds(now=NOW) == (0, 0)
    (job,) = _store_jobs(chosen.pk)
    assert alerts.store_round(**job.args) == 1
    assert not AlertRound.objects.exists()


def test_a_round_with_its_job_waiting_or_just_kept_is_left_alone(frozen, office, booth):
    # REQ ALR-1: the store job will come; nothing is queued twice.
    alerts.recover_rounds(now=NOW)
    fresh = _round(office, booth, sent_at=NOW - datetime.timedelta(minutes=1))
    waiting = _round(office, booth, sent_at=NOW - datetime.timedelta(minutes=30))
    from bookings.tasks import alerts_store_round

    alerts_store_round.defer(round_id=waiting.pk)
    assert alerts.recover_rounds(now=NOW) == (0, 0)
    assert not _store_jobs(fresh.pk).exists()
    assert _store_jobs(waiting.pk).count() == 1


def test_a_stale_round_or_one_whose_slot_started_is_dropped(frozen, office, booth, seeker):
    # REQ ALR-1: its people stop counting as mailed for the slot and the day.
    _alert(seeker)
    _round(office, booth, sent_at=NOW - datetime.timedelta(hours=7))
    _round(
        office,
        booth,
        sent_at=NOW - datetime.timedelta(minutes=10),
        starts_at=NOW - datetime.timedelta(minutes=1),
    )
    assert alerts.recover_rounds(now=NOW) == (0, 2)
    assert not AlertRound.objects.exists()
    assert not ProcrastinateJob.objects.filter(task_name="alerts_store_round").exists()


def test_the_recovery_runs_every_five_minutes_one_at_a_time(office, booth, seeker):
    # REQ ALR-1: on a schedule, with the periodic jobs' lock, as a worker runs it.
    from procrastinate.contrib.django import app

    from bookings.tasks import alerts_recover_rounds

    assert alerts_recover_rounds.lock == "alerts_recover_rounds"
    crons = {
        periodic.cron
        for periodic in app.periodic_registry.periodic_tasks.values()
        if periodic.task.name == "alerts_recover_rounds"
    }
    assert crons == {"*/5 * * * *"}
    _round(office, booth, sent_at=NOW - datetime.timedelta(minutes=6), people=[_alert(seeker)])
    with time_machine.travel(NOW, tick=False):
        assert alerts_recover_rounds() == "queued=1 dropped=0"
