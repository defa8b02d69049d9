"""The sequences both services share (bookings.flows): staff booking into unavailable time
(CON-9) and the terms on staff paths (TRM-4), through a booth and an online consultation."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from bookings import services as bookings
from bookings.models import OfficeClosure, Status
from booths import services as booth_services
from consultations import services as online_services
from consultations.models import AvailabilityPattern
from terms.models import ConsentMethod, TermsService
from terms.services import consent_record
from tests.booths.conftest import SLOT_AT, tokyo
from tests.booths.factories import ReservationFactory
from tests.factories import StaffFactory, UserFactory
from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db

WEDNESDAY_NOON = tokyo(2026, 11, 18, 12, 0)


@pytest.fixture
def lunch_break(counselor):
    """The counselor publishes Wednesdays 9-12 and 13-17: 12:00-13:00 is not offered."""
    AvailabilityPattern.objects.filter(counselor=counselor, weekday=2).update(
        ends_at=datetime.time(12)
    )
    AvailabilityPattern.objects.create(
        counselor=counselor,
        office=counselor.office,
        weekday=2,
        starts_at=datetime.time(13),
        ends_at=datetime.time(17),
        valid_from=datetime.date(2026, 1, 1),
    )


def book_online(user, counselor, zoom, starts_at, **extra):
    return online_services.consultation_book_for_caller(
        user=user,
        staff=counselor,
        counselor=counselor,
        starts_at=starts_at,
        purpose="job_consultation",
        video_tool=zoom,
        **extra,
    )


def test_staff_booking_into_a_withdrawn_slot_is_refused_next_to_the_time_unless_overridden(
    frozen, seeker, counselor, zoom
):
    # REQ CON-9
    online_services.availability_withdraw_slot(
        counselor=counselor, starts_at=SLOT_AT, staff=counselor
    )
    with pytest.raises(ValidationError) as refused:
        book_online(seeker, counselor, zoom, SLOT_AT)
    assert list(refused.value.error_dict) == ["time"]
    assert not online_services.Consultation.objects.exists()
    consultation = book_online(seeker, counselor, zoom, SLOT_AT, override=True)
    assert consultation.status == Status.CONFIRMED and consultation.outside_availability


def test_staff_moving_into_lunch_outside_the_published_hours_is_refused_unless_overridden(
    frozen, seeker, counselor, zoom, lunch_break
):
    # REQ CON-9
    consultation = book_online(seeker, counselor, zoom, SLOT_AT)
    assert not consultation.outside_availability
    with pytest.raises(ValidationError) as refused:
        online_services.consultation_move_by_staff(
            consultation=consultation,
            staff=counselor,
            starts_at=WEDNESDAY_NOON,
            counselor=counselor,
        )
    assert list(refused.value.error_dict) == ["time"]
    consultation.refresh_from_db()
    assert consultation.starts_at == SLOT_AT
    moved = online_services.consultation_move_by_staff(
        consultation=consultation,
        staff=counselor,
        starts_at=WEDNESDAY_NOON,
        counselor=counselor,
        override=True,
    )
    assert moved.starts_at == WEDNESDAY_NOON and moved.outside_availability


def test_a_booking_made_with_the_override_never_blocks_unrelated_availability_changes(
    frozen, seeker, counselor, zoom, lunch_break
):
    # REQ CON-9: the old bug refused every later withdrawal and pattern change
    book_online(seeker, counselor, zoom, WEDNESDAY_NOON, override=True)
    assert online_services.availability_unbooked_problem(counselor=counselor) is None
    other_day = tokyo(2026, 11, 19, 10, 0)
    withdrawn = online_services.availability_withdraw_slot(
        counselor=counselor, starts_at=other_day, staff=counselor
    )
    assert withdrawn.pk is not None


def test_a_covered_booking_still_holds_a_pattern_change_up(frozen, seeker, counselor, zoom):
    # REQ CON-1, CON-9: only the overridden booking is left out of the check
    book_online(seeker, counselor, zoom, SLOT_AT)
    AvailabilityPattern.objects.filter(counselor=counselor, weekday=2).update(
        starts_at=datetime.time(13)
    )
    assert online_services.availability_unbooked_problem(counselor=counselor) is not None


def test_staff_booking_a_booth_on_a_closed_day_is_refused_next_to_the_date_unless_overridden(
    frozen, seeker, booth, staff
):
    # REQ CON-9, OFF-2
    OfficeClosure.objects.create(office=booth.office, date=SLOT_AT.date(), reason="点検")
    book = booth_services.reservation_book_for_caller
    with pytest.raises(ValidationError) as refused:
        book(user=seeker, booth=booth, staff=staff, starts_at=SLOT_AT, purpose="job_consultation")
    assert list(refused.value.error_dict) == ["date"]
    reservation = book(
        user=seeker,
        booth=booth,
        staff=staff,
        starts_at=SLOT_AT,
        purpose="job_consultation",
        override=True,
    )
    assert reservation.outside_availability


def test_the_override_never_lifts_the_slot_grid_or_the_past(frozen, seeker, booth, staff):
    # REQ CON-9, CON-7: a booking is always one slot of the office's grid, ahead of now
    for starts_at in (tokyo(2026, 11, 18, 10, 10), tokyo(2026, 11, 16, 9, 0)):
        with pytest.raises(ValidationError) as refused:
            booth_services.reservation_book_for_caller(
                user=seeker,
                booth=booth,
                staff=staff,
                starts_at=starts_at,
                purpose="job_consultation",
                override=True,
            )
        assert list(refused.value.error_dict) == ["time"]


def test_a_person_booked_by_staff_without_the_current_terms_cannot_be_started_until_they_accept(
    frozen, seeker, booth, staff
):
    # REQ TRM-4, TRM-2: the booking may be made; starting it waits for the consent
    version = TermsVersionFactory(
        document=TermsDocumentFactory(office=booth.office, service=TermsService.BOOTH), number=1
    )
    reservation = booth_services.reservation_book_for_caller(
        user=seeker, booth=booth, staff=staff, starts_at=SLOT_AT, purpose="job_consultation"
    )
    assert bookings.consent_missing(reservation, now=SLOT_AT)
    frozen.move_to(SLOT_AT)
    with pytest.raises(ValidationError) as refused:
        bookings.booking_start(booking=reservation, staff=staff)
    assert refused.value.code == "consent_needed"
    reservation.refresh_from_db()
    assert reservation.status == Status.CONFIRMED
    consent_record(user=seeker, version=version, method=ConsentMethod.STAFF, recorded_by=staff)
    assert bookings.booking_start(booking=reservation, staff=staff).status == Status.CHECKED_IN


def test_the_next_online_consultation_waits_for_the_online_terms_too(frozen, counselor, zoom):
    # REQ TRM-4, BTH-9, CON-5: booked during a session, not started without the consent
    person = UserFactory(office=counselor.office)
    TermsVersionFactory(
        document=TermsDocumentFactory(office=counselor.office, service=TermsService.ONLINE),
        number=1,
    )
    current = book_online(person, counselor, zoom, SLOT_AT)
    frozen.move_to(SLOT_AT)
    online_services.Consultation.objects.filter(pk=current.pk).update(status=Status.CHECKED_IN)
    current.refresh_from_db()
    following = online_services.consultation_book_next(
        consultation=current, staff=counselor, starts_at=tokyo(2026, 11, 25, 10, 0)
    )
    assert following.status == Status.CONFIRMED
    frozen.move_to(tokyo(2026, 11, 25, 10, 0))
    with pytest.raises(ValidationError) as refused:
        bookings.booking_start(booking=following, staff=StaffFactory(office=counselor.office))
    assert refused.value.code == "consent_needed"


def test_a_booth_person_with_the_current_terms_is_started_as_before(frozen, seeker, booth, staff):
    # REQ TRM-4: the check refuses only what it must
    reservation = ReservationFactory(
        booth=booth, user=seeker, starts_at=SLOT_AT, status="confirmed", phoned_at=SLOT_AT
    )
    frozen.move_to(SLOT_AT)
    assert bookings.booking_start(booking=reservation, staff=staff).status == Status.CHECKED_IN
