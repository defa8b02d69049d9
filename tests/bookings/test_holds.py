"""The holds the database keeps (REQ CON-7, CON-10): whatever writes the rows, one counselor and
one person are held at most once at a time, each hold belongs to its own booking's counselor or
person and start, each booking is one 30-minute slot; the services take, move and release the
holds and turn a clash into an error worded for whoever made it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from bookings import services as bookings
from bookings.models import CounselorHold, PersonHold, Status
from booths import availability as booth_availability
from booths import services as booth_services
from booths.models import Reservation
from consultations import services as online_services
from consultations.models import Consultation
from tests.booths.conftest import NOW, SLOT_AT, tokyo
from tests.booths.factories import ReservationFactory
from tests.consultations.factories import ConsultationFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LATER = SLOT_AT + datetime.timedelta(hours=1)


def _reservation(booth, *, user=None, counselor=None, starts_at=SLOT_AT, **fields):
    """A reservation written straight to the table, past every service."""
    values = {
        "booth": booth,
        "user": user,
        "counselor": counselor,
        "starts_at": starts_at,
        "ends_at": starts_at + datetime.timedelta(minutes=30),
        "purpose": "job_consultation",
        "requester_name": "山田 太郎",
        "phone": "0173-11-2222",
        "status": Status.CONFIRMED,
        "phoned_at": NOW,
        "confirmed_at": NOW,
    }
    return Reservation.objects.create(**{**values, **fields})


def _consultation(counselor, zoom, *, user=None, starts_at=SLOT_AT, **fields):
    """An online consultation written straight to the table, past every service."""
    values = {
        "office": counselor.office,
        "counselor": counselor,
        "video_tool": zoom,
        "user": user,
        "starts_at": starts_at,
        "ends_at": starts_at + datetime.timedelta(minutes=30),
        "purpose": "job_consultation",
        "requester_name": "山田 太郎",
        "phone": "0173-11-2222",
        "status": Status.CONFIRMED,
        "confirmed_at": NOW,
    }
    return Consultation.objects.create(**{**values, **fields})


def _refused():
    """The database refuses the write; the test goes on after it (a savepoint)."""
    return pytest.raises(IntegrityError)


# --- CON-7: the counselor, by the database ---------------------------------------------------


def test_direct_inserts_cannot_hold_a_counselor_twice_in_one_slot(booth, counselor, zoom):
    # REQ CON-7: issue 20 gave one counselor three active bookings in one slot by direct inserts
    consultation = ConsultationFactory(
        office=counselor.office, counselor=counselor, video_tool=zoom, starts_at=SLOT_AT
    )
    hold = consultation.counselor_hold
    with _refused(), transaction.atomic():  # a second hold of the same slot
        CounselorHold.objects.create(
            counselor=counselor, starts_at=SLOT_AT, holder="booths.reservation"
        )
    with _refused(), transaction.atomic():  # the consultation's own hold, from a booth session
        _reservation(booth, counselor=counselor, counselor_hold=hold)
    with _refused(), transaction.atomic():  # a second consultation on the same hold
        _consultation(counselor, zoom, counselor_hold=hold)
    with _refused(), transaction.atomic():  # no hold at all
        _reservation(booth, counselor=counselor)
    assert Reservation.objects.count() == 0
    assert Consultation.objects.count() == 1


def test_a_booking_cannot_point_to_another_counselors_hold_or_time(booth, counselor, staff):
    # REQ CON-7: the hold is its own booking's counselor and start
    others = CounselorHold.objects.create(
        counselor=staff, starts_at=SLOT_AT, holder="booths.reservation"
    )
    with _refused(), transaction.atomic():
        _reservation(booth, counselor=counselor, counselor_hold=others)
    mine_later = CounselorHold.objects.create(
        counselor=counselor, starts_at=LATER, holder="booths.reservation"
    )
    with _refused(), transaction.atomic():
        _reservation(booth, counselor=counselor, counselor_hold=mine_later)
    mine = CounselorHold.objects.create(
        counselor=counselor, starts_at=SLOT_AT, holder="booths.reservation"
    )
    reservation = _reservation(booth, counselor=counselor, counselor_hold=mine)
    rows = Reservation.objects.filter(pk=reservation.pk)
    with _refused(), transaction.atomic():  # another counselor, the hold left behind
        rows.update(counselor=staff)
    with _refused(), transaction.atomic():  # another counselor's hold
        rows.update(counselor_hold=others)
    assert rows.get().counselor_id == counselor.pk


def test_update_of_a_start_alone_is_refused_on_the_booking_and_on_the_hold(booth, counselor):
    # REQ CON-7: issue 20 moved bookings with `update(starts_at=…)`, leaving the hold behind
    reservation = ReservationFactory(booth=booth, counselor=counselor, starts_at=SLOT_AT)
    later = {"starts_at": LATER, "ends_at": LATER + datetime.timedelta(minutes=30)}
    with _refused(), transaction.atomic():
        Reservation.objects.filter(pk=reservation.pk).update(**later)
    with _refused(), transaction.atomic():
        CounselorHold.objects.filter(pk=reservation.counselor_hold_id).update(starts_at=LATER)
    with _refused(), transaction.atomic():
        PersonHold.objects.filter(pk=reservation.person_hold_id).update(starts_at=LATER)
    reservation.refresh_from_db()
    assert reservation.starts_at == SLOT_AT
    assert reservation.counselor_hold.starts_at == SLOT_AT
    assert reservation.person_hold.starts_at == SLOT_AT


def test_a_booking_is_exactly_one_thirty_minute_slot(booth, counselor, zoom):
    # REQ CON-7: issue 20 stretched a booking with `ends_at = start + 2 h`
    reservation = ReservationFactory(booth=booth, starts_at=SLOT_AT)
    consultation = ConsultationFactory(
        office=counselor.office, counselor=counselor, video_tool=zoom, starts_at=LATER
    )
    with _refused(), transaction.atomic():
        Reservation.objects.filter(pk=reservation.pk).update(
            ends_at=SLOT_AT + datetime.timedelta(hours=2)
        )
    with _refused(), transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(
            ends_at=LATER + datetime.timedelta(minutes=15)
        )
    with _refused(), transaction.atomic():
        _reservation(
            booth,
            starts_at=tokyo(2026, 11, 18, 14, 0),
            status=Status.CANCELLED,
            cancelled_at=NOW,
            ends_at=tokyo(2026, 11, 18, 16, 0),
        )
    reservation.refresh_from_db()
    assert reservation.ends_at == SLOT_AT + datetime.timedelta(minutes=30)


def test_holds_of_one_counselor_never_overlap_even_off_the_grid(counselor):
    # REQ CON-7: offices may open at other times, so a 10:15 slot overlaps the 10:00 one
    CounselorHold.objects.create(counselor=counselor, starts_at=SLOT_AT, holder="x")
    with _refused(), transaction.atomic():
        CounselorHold.objects.create(
            counselor=counselor, starts_at=SLOT_AT + datetime.timedelta(minutes=15), holder="x"
        )
    CounselorHold.objects.create(
        counselor=counselor, starts_at=SLOT_AT + datetime.timedelta(minutes=30), holder="x"
    )
    assert CounselorHold.objects.count() == 2


# --- CON-10: the person, by the database -----------------------------------------------------


def test_direct_inserts_cannot_book_one_person_at_one_time_across_services(
    booth, seeker, counselor, zoom
):
    # REQ CON-10: issue 20, "one person in two places at once"
    reservation = ReservationFactory(booth=booth, user=seeker, starts_at=SLOT_AT)
    with _refused(), transaction.atomic():  # a second hold of the person then
        PersonHold.objects.create(
            user=seeker, starts_at=SLOT_AT, holder="consultations.consultation"
        )
    with _refused(), transaction.atomic():  # the reservation's hold, from a consultation
        _consultation(
            counselor,
            zoom,
            user=seeker,
            person_hold=reservation.person_hold,
            counselor_hold=CounselorHold.objects.create(
                counselor=counselor, starts_at=SLOT_AT, holder="consultations.consultation"
            ),
        )
    with _refused(), transaction.atomic():  # active with a user and no hold
        _reservation(booth, user=seeker, starts_at=LATER)
    with _refused(), transaction.atomic():  # the person's hold on someone else's booking
        _reservation(booth, user=None, starts_at=LATER, person_hold=reservation.person_hold)
    assert Consultation.objects.count() == 0
    assert Reservation.objects.count() == 1


def test_update_cannot_move_a_booking_onto_another_persons_hold(booth, seeker, employer):
    # REQ CON-10: the hold is its own booking's person
    mine = ReservationFactory(booth=booth, user=seeker, starts_at=SLOT_AT)
    theirs = ReservationFactory(booth=booth, user=employer, starts_at=LATER)
    rows = Reservation.objects.filter(pk=theirs.pk)
    with _refused(), transaction.atomic():
        rows.update(user=seeker)
    with _refused(), transaction.atomic():
        rows.update(status=Status.CANCELLED, cancelled_at=NOW)  # ended, still holding
    with _refused(), transaction.atomic():
        Reservation.objects.filter(pk=mine.pk).update(person_hold=None)
    assert rows.get().user_id == employer.pk


def test_holds_of_one_person_never_overlap_even_off_the_grid(seeker):
    # REQ CON-10: "overlapping times", whatever grid the offices use
    PersonHold.objects.create(user=seeker, starts_at=SLOT_AT, holder="x")
    with _refused(), transaction.atomic():
        PersonHold.objects.create(
            user=seeker, starts_at=SLOT_AT - datetime.timedelta(minutes=20), holder="x"
        )
    PersonHold.objects.create(
        user=seeker, starts_at=SLOT_AT - datetime.timedelta(minutes=30), holder="x"
    )
    assert PersonHold.objects.filter(user=seeker).count() == 2


# --- CON-10: the services ---------------------------------------------------------------------


def _online_request(user, zoom, counselor, starts_at=SLOT_AT):
    return online_services.consultation_request(
        user=user,
        starts_at=starts_at,
        counselor=counselor,
        video_tool=zoom,
        purpose="job_consultation",
        requester_name="山田 太郎",
        phone="0173-11-2222",
        now=NOW,
    )


def _booth_request(user, booth, starts_at=SLOT_AT):
    return booth_services.reservation_request(
        user=user,
        booth=booth,
        starts_at=starts_at,
        purpose="job_consultation",
        requester_name="山田 太郎",
        phone="0173-11-2222",
        now=NOW,
    )


def test_a_person_requesting_online_at_the_time_of_their_booth_reservation_is_told(
    frozen, booth, seeker, counselor, zoom
):
    # REQ CON-10: the person is told plainly, not "just taken", and nothing private is named
    _booth_request(seeker, booth)
    with pytest.raises(ValidationError) as refused:
        _online_request(seeker, zoom, counselor)
    assert not isinstance(refused.value, bookings.SlotTakenError)
    assert refused.value.code == "person_busy"
    # Japanese first (the site's language): "you already have a booking at this time".
    assert refused.value.messages == ["この時間帯には、すでにあなたの予約があります。"]
    assert Consultation.objects.count() == 0
    assert not CounselorHold.objects.exists()  # the counselor is not left held


def test_staff_booking_a_booth_for_a_caller_are_told_which_booking_clashes(
    frozen, booth, seeker, staff, counselor, zoom
):
    # REQ CON-10: "staff are told why", next to the time field
    _online_request(seeker, zoom, counselor)
    with pytest.raises(ValidationError) as refused:
        booth_services.reservation_book_for_caller(
            user=seeker, booth=booth, staff=staff, starts_at=SLOT_AT, purpose="job_consultation"
        )
    message = refused.value.message_dict["time"][0]
    # "This person already has a booking at this time: Online (Zoom) <date> 10:00-10:30."
    assert message == (
        "この方はこの時間帯にすでに予約があります：オンライン（Zoom） 2026年11月18日（水）10:00〜10:30。"
    )
    assert Reservation.objects.count() == 0


def test_staff_booking_online_for_a_caller_are_told_of_the_booth(
    frozen, booth, seeker, staff, counselor, zoom
):
    # REQ CON-10
    _booth_request(seeker, booth)
    with pytest.raises(ValidationError) as refused:
        online_services.consultation_book_for_caller(
            user=seeker,
            staff=staff,
            counselor=counselor,
            starts_at=SLOT_AT,
            purpose="job_consultation",
            video_tool=zoom,
        )
    assert refused.value.message_dict["time"][0].startswith(
        "この方はこの時間帯にすでに予約があります：ブースA 2026年11月18日（水）10:00"
    )
    assert Consultation.objects.count() == 0


def test_a_move_into_the_persons_other_booking_is_refused_and_changes_nothing(
    frozen, booth, seeker, staff, counselor, zoom
):
    # REQ CON-10: moving, as booking, can't put one person in two places
    reservation = _booth_request(seeker, booth, starts_at=LATER)
    _online_request(seeker, zoom, counselor)
    with pytest.raises(ValidationError) as refused:
        booth_services.reservation_move(
            reservation=reservation, staff=staff, booth=booth, starts_at=SLOT_AT
        )
    assert "time" in refused.value.message_dict
    reservation.refresh_from_db()
    assert reservation.starts_at == LATER and reservation.person_hold.starts_at == LATER
    assert PersonHold.objects.filter(user=seeker).count() == 2


def test_a_move_takes_the_holds_along_and_frees_the_old_time(
    frozen, booth, seeker, staff, counselor, zoom
):
    # REQ CON-7, CON-10
    consultation = _online_request(seeker, zoom, counselor)
    online_services.consultation_move_by_staff(
        consultation=consultation, staff=staff, starts_at=LATER, counselor=counselor
    )
    consultation.refresh_from_db()
    assert consultation.person_hold.starts_at == LATER
    assert consultation.counselor_hold.starts_at == LATER
    assert set(PersonHold.objects.values_list("starts_at", flat=True)) == {LATER}
    assert set(CounselorHold.objects.values_list("starts_at", flat=True)) == {LATER}
    # The old time is free for the person and for the counselor.
    assert _booth_request(seeker, booth).starts_at == SLOT_AT
    other = ReservationFactory(booth__office=booth.office, starts_at=tokyo(2026, 11, 19, 10))
    bookings.booking_set_counselor(booking=other, staff=staff, counselor=counselor)


def test_cancelling_frees_the_person_and_the_counselor(frozen, booth, seeker, counselor, zoom):
    # REQ CON-7, CON-10
    consultation = _online_request(seeker, zoom, counselor)
    bookings.booking_cancel_online(booking=consultation, user=seeker, now=NOW)
    consultation.refresh_from_db()
    assert consultation.person_hold is None and consultation.counselor_hold is None
    assert not PersonHold.objects.exists() and not CounselorHold.objects.exists()
    assert _booth_request(seeker, booth).status == Status.REQUESTED
    # The counselor is free again: another person takes the slot online.
    other = UserFactory(office=seeker.office)
    assert _online_request(other, zoom, counselor).counselor_id == counselor.pk


def test_a_recorded_no_show_frees_the_person(booth, seeker):
    # REQ CON-10, BTH-6: the job releases the hold with the slot
    reservation = ReservationFactory(booth=booth, user=seeker, starts_at=SLOT_AT, confirmed=True)
    assert bookings.booking_record_no_show(
        reservation, now=SLOT_AT + datetime.timedelta(minutes=10)
    )
    reservation.refresh_from_db()
    assert reservation.status == Status.NO_SHOW and reservation.person_hold is None
    assert not PersonHold.objects.exists()


def test_an_adhoc_use_holds_the_person_for_both_its_slots_and_completing_frees_them(
    frozen, booth, seeker, staff
):
    # REQ CON-10, BTH-8: the use's second half-hour is its own one-slot row, held like any
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    first = booth_services.reservation_start_adhoc(user=seeker, booth=booth, staff=staff)
    second = Reservation.objects.get(continues=first)
    assert first.person_hold.starts_at == tokyo(2026, 11, 16, 10, 0)
    assert second.person_hold.starts_at == tokyo(2026, 11, 16, 10, 30)
    bookings.booking_complete(booking=first, staff=staff)
    assert not PersonHold.objects.exists()


def test_an_adhoc_use_ends_with_the_slot_when_the_person_was_just_booked_in_the_next(
    frozen, booth, seeker, staff, counselor, zoom, monkeypatch
):
    # REQ CON-10, BTH-8: booked at 10:30 elsewhere after the page looked (the page's own check
    # is bypassed): the person's hold refuses the second half-hour, the use keeps its slot
    monkeypatch.setattr(booth_availability, "person_busy_at", lambda *args: False)
    frozen.move_to(tokyo(2026, 11, 16, 10, 25))
    ConsultationFactory(
        office=booth.office,
        counselor=counselor,
        video_tool=zoom,
        user=seeker,
        starts_at=tokyo(2026, 11, 16, 10, 30),
    )
    first = booth_services.reservation_start_adhoc(user=seeker, booth=booth, staff=staff)
    assert not Reservation.objects.filter(continues=first).exists()
    assert PersonHold.objects.filter(user=seeker).count() == 2
