"""A booth request through the shared sequence, and the booth's own writes: the rules of a
booking as booths meet them (REQ BTH-1 … BTH-9, NTF-1). The transitions every booking shares
are tested in tests/bookings/test_services.py."""

import datetime
import uuid

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from bookings import rules
from bookings import services as bookings
from bookings.models import OfficeClosure, PersonHold
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


def test_request_creates_a_requested_reservation_of_one_slot(frozen, seeker, booth):
    # REQ BTH-1, BTH-3
    reservation = _request(seeker, booth, companions=["interpreter", "family"])
    assert reservation.status == Status.REQUESTED
    assert reservation.ends_at - reservation.starts_at == datetime.timedelta(minutes=30)
    assert reservation.companions == ["interpreter", "family"]
    assert reservation.user_type == "job_seeker"


@pytest.mark.parametrize(
    ("starts_at", "words"),
    [
        (tokyo(2026, 11, 21, 10, 0), "土曜"),  # Saturday
        (tokyo(2026, 11, 23, 10, 0), "勤労感謝の日"),  # national holiday
        (tokyo(2026, 12, 30, 10, 0), "年末年始"),  # year-end closure
        (tokyo(2026, 11, 18, 17, 0), "受付時間"),  # the end of business hours is no slot
        (tokyo(2026, 11, 18, 10, 15), "30分"),  # off the grid
        (tokyo(2026, 11, 16, 9, 30), "開始"),  # in the past
    ],
)
def test_slots_outside_the_calendar_or_after_the_deadline_are_refused_with_a_reason(
    frozen, seeker, booth, starts_at, words
):
    # REQ OFF-2, OFF-3, BTH-4
    with pytest.raises(ValidationError) as refused:
        _request(seeker, booth, starts_at=starts_at)
    assert words in refused.value.messages[0]
    assert not Reservation.objects.exists()


def test_office_closure_refuses_the_day(frozen, seeker, booth):
    # REQ OFF-2
    OfficeClosure.objects.create(office=booth.office, date=datetime.date(2026, 11, 18))
    with pytest.raises(ValidationError, match="休業"):
        _request(seeker, booth)


def test_deadline_is_the_cutoff_on_the_previous_business_day(seeker, booth, frozen):
    # REQ BTH-4: a Wednesday slot closes on Tuesday at 17:00 sharp
    frozen.move_to(tokyo(2026, 11, 17, 16, 59))
    _request(seeker, booth)
    frozen.move_to(tokyo(2026, 11, 17, 17, 0))
    with pytest.raises(ValidationError, match="締め切り"):
        _request(seeker, booth, starts_at=tokyo(2026, 11, 18, 11, 0))


def test_office_cutoff_setting_is_used(seeker, booth, frozen):
    # REQ BTH-4: configurable per office
    booth.office.booking_cutoff_time = datetime.time(12, 0)
    booth.office.save()
    frozen.move_to(tokyo(2026, 11, 17, 12, 0))
    with pytest.raises(ValidationError, match="12:00"):
        _request(seeker, booth)


def test_the_database_refuses_a_second_active_reservation_of_a_slot(frozen, booth):
    # REQ BTH-2
    ReservationFactory(booth=booth, starts_at=SLOT_AT)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationFactory(booth=booth, starts_at=SLOT_AT)


def test_a_cancelled_reservation_no_longer_holds_its_slot(frozen, booth):
    # REQ BTH-2
    ReservationFactory(booth=booth, starts_at=SLOT_AT, status=Status.CANCELLED, cancelled_at=NOW)
    ReservationFactory(booth=booth, starts_at=SLOT_AT)
    assert Reservation.objects.count() == 2


def test_the_database_refuses_a_counselor_twice_in_one_slot(frozen, office, staff):
    # REQ BTH-2 (counselor)
    ReservationFactory(booth=BoothFactory(office=office), starts_at=SLOT_AT, counselor=staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationFactory(booth=BoothFactory(office=office), starts_at=SLOT_AT, counselor=staff)


def test_a_lost_race_says_just_taken_and_offers_free_slots(frozen, seeker, employer, booth):
    # REQ BTH-2
    _request(employer, booth)
    with pytest.raises(services.SlotTakenError) as taken:
        _request(seeker, booth)
    assert "たった今" in taken.value.messages[0]
    assert taken.value.free_slots
    assert SLOT_AT not in [slot.starts_at for slot in taken.value.free_slots]
    assert Reservation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_lost_race_takes_no_savepoint_and_leaves_no_hold_behind(frozen, seeker, employer, booth):
    # REQ BTH-2, CON-10, NFR-4: in real transactions, the row refused by the slot's constraint
    # (ON CONFLICT DO NOTHING: no error, no savepoint), and the person's hold taken just before
    # released again; the person can book another slot at once
    _request(employer, booth)
    with CaptureQueriesContext(connection) as sent, pytest.raises(services.SlotTakenError):
        _request(seeker, booth)
    assert not [q["sql"] for q in sent.captured_queries if "SAVEPOINT" in q["sql"]]
    assert not PersonHold.objects.filter(user=seeker).exists()
    later = _request(seeker, booth, starts_at=SLOT_AT + datetime.timedelta(hours=1))
    assert later.person_hold.user_id == seeker.pk
    assert Reservation.objects.count() == 2


def test_double_submit_of_one_form_makes_one_reservation(frozen, seeker, booth):
    # REQ BTH-2
    token = uuid.uuid4()
    first = _request(seeker, booth, form_token=token)
    second = _request(seeker, booth, form_token=token)
    assert first.pk == second.pk
    assert Reservation.objects.count() == 1
    outbox_deliver_due()
    assert len(mail.outbox) == 1


def test_purpose_must_fit_the_user_type(frozen, seeker, employer, booth):
    # REQ BTH-3: job seekers consult or get referrals; employers interview or select
    with pytest.raises(ValidationError):
        _request(seeker, booth, purpose="interview")
    reservation = _request(employer, booth, purpose="selection")
    assert reservation.purpose == "selection"


def test_booking_block_reason_from_accounts_is_enforced(frozen, seeker, booth):
    # REQ REG-3, REG-7: the accounts check runs before every booking
    seeker.is_active = False
    seeker.save()
    with pytest.raises(ValidationError):
        _request(seeker, booth)


def _stay_until(user, until: datetime.date) -> None:
    user.is_foreign_national = True
    user.residence_status = "技能"
    user.period_of_stay_until = until
    user.save()


def test_the_period_of_stay_is_compared_with_the_bookings_date_not_today(frozen, seeker, booth):
    # REQ REG-3: still valid today (16 Nov) but ending on 17 Nov, before the slot on 18 Nov
    _stay_until(seeker, datetime.date(2026, 11, 17))
    with pytest.raises(ValidationError) as refused:
        _request(seeker, booth)
    assert "2026年11月17日" in refused.value.messages[0]
    assert not Reservation.objects.exists()
    # The last day of the period of stay is still bookable.
    _stay_until(seeker, datetime.date(2026, 11, 18))
    assert _request(seeker, booth).starts_at == SLOT_AT


def test_staff_booking_for_a_caller_checks_the_period_of_stay_on_the_bookings_date(
    frozen, seeker, booth, staff
):
    # REQ REG-3: the same rule on the staff path
    _stay_until(seeker, datetime.date(2026, 11, 17))
    with pytest.raises(ValidationError):
        services.reservation_book_for_caller(
            user=seeker, staff=staff, booth=booth, starts_at=SLOT_AT, purpose="job_consultation"
        )


def _no_shows(seeker, booth, days=(2, 9)):
    for day in days:
        ReservationFactory(
            booth=booth, user=seeker, starts_at=tokyo(2026, 11, day, 10), status=Status.NO_SHOW
        )


def test_after_n_no_shows_in_m_months_a_request_is_taken_but_needs_approval(frozen, seeker, booth):
    # REQ BTH-7: default 2 in 6 months; the request holds its slot until staff approve it
    _no_shows(seeker, booth)
    reason = rules.noshow_approval_reason(seeker, booth.office)
    assert booth.office.phone in reason
    reservation = _request(seeker, booth)
    assert reservation.status == Status.REQUESTED
    assert reservation.needs_approval
    assert list(Reservation.objects.awaiting_approval()) == [reservation]
    outbox_deliver_due()
    assert "承認" in mail.outbox[-1].body


def test_a_request_that_needs_approval_holds_its_slot(frozen, seeker, employer, booth):
    # REQ BTH-7, BTH-2
    _no_shows(seeker, booth)
    _request(seeker, booth)
    with pytest.raises(services.SlotTakenError):
        _request(employer, booth)


def test_confirming_a_request_that_needs_approval_approves_it(frozen, seeker, booth, staff):
    # REQ BTH-7, BTH-5
    _no_shows(seeker, booth)
    reservation = _request(seeker, booth)
    bookings.booking_confirm(booking=reservation, staff=staff, phoned_at=NOW)
    assert reservation.status == Status.CONFIRMED
    assert reservation.confirmed_by == staff
    assert not Reservation.objects.awaiting_approval().exists()


def test_no_shows_older_than_the_window_do_not_count(frozen, seeker, booth):
    # REQ BTH-7
    ReservationFactory(
        booth=booth, user=seeker, starts_at=tokyo(2026, 5, 11, 10, 0), status=Status.NO_SHOW
    )
    ReservationFactory(
        booth=booth, user=seeker, starts_at=tokyo(2026, 11, 9, 10, 0), status=Status.NO_SHOW
    )
    assert not _request(seeker, booth).needs_approval


def test_overdue_reservations_count_as_no_shows_before_the_job_runs(frozen, seeker, booth):
    # REQ BTH-6, BTH-7: the count uses the rule, not only what the job recorded
    ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, 9, 10), confirmed=True)
    ReservationFactory(
        booth=booth, user=seeker, starts_at=tokyo(2026, 11, 16, 9, 30), confirmed=True
    )
    assert _request(seeker, booth).needs_approval


def test_no_contact_count_uses_the_callers_now(seeker, booth):
    # REQ BTH-6, BTH-7: a reservation 9:30 is overdue at 9:40 of the caller's `now`, not the clock
    ReservationFactory(
        booth=booth, user=seeker, starts_at=tokyo(2026, 11, 16, 9, 30), confirmed=True
    )
    since = tokyo(2026, 5, 16, 0, 0)
    with time_machine.travel(tokyo(2026, 11, 16, 9, 35), tick=False):
        mine = Reservation.objects.for_user(seeker)
        assert mine.no_contact_cancellations_since(since, tokyo(2026, 11, 16, 9, 40)).count() == 1
        assert mine.no_contact_cancellations_since(since).count() == 0


def test_office_noshow_limit_setting_is_used(frozen, seeker, booth):
    # REQ BTH-7
    booth.office.noshow_limit = 3
    booth.office.save()
    _no_shows(seeker, booth)
    assert not _request(seeker, booth).needs_approval


def test_online_ad_hoc_use_needs_approval_after_repeated_no_shows(frozen, seeker, booth, staff):
    # REQ BTH-7, BTH-8: online it is refused with whom to call; at the counter staff approve it
    _no_shows(seeker, booth)
    with pytest.raises(ValidationError) as refused:
        services.reservation_start_adhoc(user=seeker, booth=booth)
    assert booth.office.phone in refused.value.messages[0]
    assert services.reservation_start_adhoc(user=seeker, booth=booth, staff=staff).source == (
        "counter"
    )


def test_far_future_slots_are_refused_by_the_horizon(frozen, seeker, booth):
    # REQ BTH-3: requests are taken for this month and the next three, not for 2099
    for starts_at in (tokyo(2099, 11, 18, 10, 0), tokyo(2027, 3, 1, 10, 0)):
        with pytest.raises(ValidationError) as refused:
            _request(seeker, booth, starts_at=starts_at)
        assert "2027年2月28日" in refused.value.messages[0]
    assert _request(seeker, booth, starts_at=tokyo(2027, 2, 26, 10, 0)).status == "requested"


def test_staff_book_for_a_caller_past_the_online_cutoff(frozen, seeker, booth, staff):
    # REQ STF-1, BTH-4, BTH-7: staff are not bound by the cut-off and their booking approves
    _no_shows(seeker, booth)
    tomorrow = tokyo(2026, 11, 17, 10, 0)
    frozen.move_to(tokyo(2026, 11, 16, 18, 0))
    with pytest.raises(ValidationError):
        _request(seeker, booth, starts_at=tomorrow)
    reservation = services.reservation_book_for_caller(
        user=seeker, booth=booth, staff=staff, starts_at=tomorrow, purpose="job_consultation"
    )
    assert reservation.status == Status.CONFIRMED
    assert reservation.source == "staff" and reservation.confirmed_by == staff
    outbox_deliver_due()
    assert "確定" in mail.outbox[-1].subject


def test_staff_book_for_a_caller_keeps_the_calendar_and_the_slot_rule(
    frozen, seeker, employer, booth, staff
):
    # REQ STF-1, OFF-2, OFF-3, BTH-2, CON-9: each refusal is the calendar's, next to the field
    # it belongs to, with a valid purpose, so the test fails if the calendar check is removed
    book = services.reservation_book_for_caller
    for starts_at, field, reason in (
        (tokyo(2026, 11, 23, 10), "date", "祝日"),
        (tokyo(2026, 11, 18, 10, 10), "time", "30分"),
        (NOW, "time", "先"),
    ):
        with pytest.raises(ValidationError) as refused:
            book(
                user=seeker,
                booth=booth,
                staff=staff,
                starts_at=starts_at,
                purpose="job_consultation",
            )
        assert list(refused.value.error_dict) == [field]
        assert reason in refused.value.messages[0], refused.value.messages
    _request(employer, booth)
    with pytest.raises(services.SlotTakenError):
        book(user=seeker, booth=booth, staff=staff, starts_at=SLOT_AT, purpose="job_consultation")


def test_counselor_books_the_next_reservation_during_a_session(frozen, seeker, booth, staff):
    # REQ BTH-9
    frozen.move_to(tokyo(2026, 11, 16, 10, 2))
    current = ReservationFactory(
        booth=booth, user=seeker, starts_at=tokyo(2026, 11, 16, 10, 0), confirmed=True
    )
    bookings.booking_start(booking=current, staff=staff)
    following = services.reservation_book_next(
        reservation=current, staff=staff, booth=booth, starts_at=tokyo(2026, 11, 30, 10, 0)
    )
    assert following.status == Status.CONFIRMED
    assert following.user == seeker
    assert following.source == "staff"


def test_ad_hoc_use_takes_the_current_slot_when_free(frozen, seeker, booth):
    # REQ BTH-8, BTH-10
    frozen.move_to(tokyo(2026, 11, 16, 10, 12))
    reservation = services.reservation_start_adhoc(user=seeker, booth=booth)
    assert reservation.starts_at == tokyo(2026, 11, 16, 10, 0)
    assert reservation.status == Status.CHECKED_IN
    assert reservation.actual_started_at == tokyo(2026, 11, 16, 10, 12)


def test_ad_hoc_use_is_refused_when_the_booth_is_in_use(frozen, seeker, booth, staff):
    # REQ BTH-8
    ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0), late_contact_at=NOW, confirmed=True
    )
    frozen.move_to(tokyo(2026, 11, 16, 10, 12))
    with pytest.raises(services.SlotTakenError):
        services.reservation_start_adhoc(user=seeker, booth=booth)


def test_ad_hoc_use_takes_over_a_no_show_slot(frozen, seeker, booth):
    # REQ BTH-6, BTH-8: 10 minutes after the start without contact, the slot is free again
    absent = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0), confirmed=True)
    frozen.move_to(tokyo(2026, 11, 16, 10, 10))
    services.reservation_start_adhoc(user=seeker, booth=booth)
    absent.refresh_from_db()
    assert absent.status == Status.NO_SHOW


def test_ad_hoc_use_is_refused_when_the_office_is_closed(frozen, seeker, booth):
    # REQ BTH-8, OFF-2
    frozen.move_to(tokyo(2026, 11, 16, 17, 5))
    with pytest.raises(ValidationError):
        services.reservation_start_adhoc(user=seeker, booth=booth)


def test_staff_start_ad_hoc_use_for_someone_at_the_counter(frozen, seeker, booth, staff):
    # REQ BTH-8
    reservation = services.reservation_start_adhoc(user=seeker, booth=booth, staff=staff)
    assert reservation.source == "counter"


def test_counter_ad_hoc_use_needs_consent_to_the_booth_terms(frozen, seeker, booth, staff):
    # REQ BTH-8, TRM-4: staff are told to record the consent at the counter first
    from terms.services import consent_needed
    from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory

    TermsVersionFactory(document=TermsDocumentFactory(office=booth.office), number=1)
    assert consent_needed(user=seeker, service="booth") is not None
    with pytest.raises(ValidationError) as refused:
        services.reservation_start_adhoc(user=seeker, booth=booth, staff=staff)
    assert refused.value.code == "consent_needed"
    assert not Reservation.objects.exists()
