"""The transitions every booking shares (bookings.services): confirm, cancel, check in,
complete, move, the counselor, account deletion (REQ BTH-5, BTH-10, NTF-1, CON-7, REG-5),
driven through booth reservations, the simplest bookings."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from bookings import services as bookings
from booths import services
from booths.models import Reservation, Status
from core.outbox import outbox_deliver_due
from tests.booths.conftest import NOW, SLOT_AT, tokyo
from tests.booths.factories import BoothFactory, ReservationFactory

pytestmark = pytest.mark.django_db


def _request(user, booth, starts_at=SLOT_AT, **overrides):
    data = {
        "purpose": "interview" if user.user_type == "employer" else "job_consultation",
        "requester_name": "山田 太郎",
        "phone": "0173-11-2222",
    }
    data.update(overrides)
    return services.reservation_request(user=user, booth=booth, starts_at=starts_at, **data)


def test_user_cancels_online_and_frees_the_slot(frozen, seeker, employer, booth):
    # REQ BTH-5
    reservation = _request(seeker, booth)
    bookings.booking_cancel_online(booking=reservation, user=seeker)
    reservation.refresh_from_db()
    assert reservation.status == Status.CANCELLED
    assert reservation.cancelled_via == "online"
    assert _request(employer, booth).status == Status.REQUESTED


def test_someone_else_cannot_cancel(frozen, seeker, employer, booth):
    # REQ BTH-5, NFR-3
    reservation = _request(seeker, booth)
    with pytest.raises(ValidationError):
        bookings.booking_cancel_online(booking=reservation, user=employer)


def test_confirm_records_the_phone_call(frozen, seeker, booth, staff):
    # REQ BTH-5
    reservation = _request(seeker, booth)
    phoned = tokyo(2026, 11, 16, 9, 45)
    bookings.booking_confirm(booking=reservation, staff=staff, phoned_at=phoned)
    reservation.refresh_from_db()
    assert reservation.status == Status.CONFIRMED
    assert reservation.phoned_at == phoned
    assert reservation.confirmed_by == staff


def test_transitions_check_where_they_come_from(frozen, seeker, booth, staff):
    # REQ BTH-5: named transitions only
    reservation = _request(seeker, booth)
    with pytest.raises(ValidationError):
        bookings.booking_complete(booking=reservation, staff=staff)
    bookings.booking_cancel_by_phone(booking=reservation, staff=staff)
    with pytest.raises(ValidationError):
        bookings.booking_confirm(booking=reservation, staff=staff, phoned_at=NOW)
    with pytest.raises(ValidationError):
        bookings.booking_start(booking=reservation, staff=staff)


def test_check_in_and_complete_record_actual_times(frozen, seeker, booth, staff):
    # REQ BTH-10
    reservation = _request(seeker, booth)
    bookings.booking_confirm(booking=reservation, staff=staff, phoned_at=NOW)
    frozen.move_to(tokyo(2026, 11, 18, 10, 3))
    bookings.booking_start(booking=reservation, staff=staff)
    frozen.move_to(tokyo(2026, 11, 18, 10, 27))
    bookings.booking_complete(booking=reservation, staff=staff)
    reservation.refresh_from_db()
    assert reservation.status == Status.COMPLETED
    assert reservation.actual_started_at == tokyo(2026, 11, 18, 10, 3)
    assert reservation.actual_ended_at == tokyo(2026, 11, 18, 10, 27)


def test_move_changes_the_slot_and_tells_the_user(frozen, seeker, booth, staff):
    # REQ BTH-5, NTF-1
    reservation = _request(seeker, booth)
    target = tokyo(2026, 11, 19, 14, 0)
    services.reservation_move(reservation=reservation, staff=staff, booth=booth, starts_at=target)
    reservation.refresh_from_db()
    assert reservation.starts_at == target
    assert reservation.moved_at == NOW
    outbox_deliver_due()
    assert "変更" in mail.outbox[-1].subject
    assert "2026年11月19日（木）14:00〜14:30" in mail.outbox[-1].body


def test_move_onto_a_taken_slot_is_just_taken(frozen, seeker, employer, booth, staff):
    # REQ BTH-2
    reservation = _request(seeker, booth)
    _request(employer, booth, starts_at=tokyo(2026, 11, 19, 14, 0))
    with pytest.raises(services.SlotTakenError):
        services.reservation_move(
            reservation=reservation, staff=staff, booth=booth, starts_at=tokyo(2026, 11, 19, 14)
        )
    reservation.refresh_from_db()
    assert reservation.starts_at == SLOT_AT


def test_move_resets_what_was_recorded_for_the_old_slot(frozen, seeker, booth, staff):
    # REQ BTH-6: a late call for the old slot must not exempt the new one from the 10-minute rule
    reservation = ReservationFactory(
        booth=booth,
        user=seeker,
        starts_at=tokyo(2026, 11, 16, 10, 0),
        late_contact_at=NOW,
        confirmed=True,
    )
    Reservation.objects.filter(pk=reservation.pk).update(reminder_sent_at=NOW)
    frozen.move_to(tokyo(2026, 11, 16, 10, 20))
    target = tokyo(2026, 11, 17, 10, 0)
    services.reservation_move(reservation=reservation, staff=staff, booth=booth, starts_at=target)
    reservation.refresh_from_db()
    assert reservation.late_contact_at is None
    assert reservation.reminder_sent_at is None
    frozen.move_to(tokyo(2026, 11, 17, 10, 10))
    assert list(Reservation.objects.overdue()) == [reservation]
    assert bookings.record_overdue_no_shows() == 1


def test_counselor_assignment_twice_in_one_slot_is_a_field_error(frozen, office, booth, staff):
    # REQ BTH-2: one counselor, one booth per slot; an error next to the field, not a 500
    ReservationFactory(booth=booth, counselor=staff)
    other = ReservationFactory(booth=BoothFactory(office=office))
    with pytest.raises(ValidationError) as busy:
        bookings.booking_set_counselor(booking=other, staff=staff, counselor=staff)
    assert "counselor" in busy.value.message_dict
    other.refresh_from_db()
    assert other.counselor is None


def test_counselor_assignment_race_becomes_a_validation_error(
    frozen, office, booth, staff, monkeypatch
):
    # REQ BTH-2: the check passed, then the database refused (someone was quicker)
    ReservationFactory(booth=booth, counselor=staff)
    other = ReservationFactory(booth=BoothFactory(office=office))
    monkeypatch.setattr(
        services.Reservation.objects.__class__,
        "counselor_busy",
        lambda self, *a, **k: Reservation.objects.none(),
    )
    with pytest.raises(ValidationError) as busy:
        bookings.booking_set_counselor(booking=other, staff=staff, counselor=staff)
    assert "counselor" in busy.value.message_dict


def test_account_deletion_cancels_future_and_erases_personal_data(frozen, seeker, booth):
    # REQ REG-5
    past = ReservationFactory(
        booth=booth, user=seeker, starts_at=tokyo(2026, 11, 2, 10), status=Status.COMPLETED
    )
    future = _request(seeker, booth)
    assert bookings.bookings_release_for_deleted_user(user=seeker, now=NOW, reason="self") == 1
    future.refresh_from_db()
    past.refresh_from_db()
    assert future.status == Status.CANCELLED
    assert past.requester_name == "" and past.phone == ""
    assert past.user_type == "job_seeker"
