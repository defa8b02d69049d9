"""Earlier-slot alerts (REQ ALR-1): the database's rules, who is mailed when a slot frees up,
the caps, the race for the slot, and the end of an alert."""

import datetime
import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.services import account_delete
from bookings import alerts
from bookings import services as bookings
from bookings.alert_models import AlertEnd, AlertMail, EarlierSlotAlert
from bookings.models import OfficeClosure, Status
from booths import services as booth_services
from core.models import OutboxMessage, OutboxStatus
from core.outbox import backoff_for, outbox_deliver_due
from tests.booths.conftest import NOW, SLOT_AT, tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.factories import UserFactory
from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db

DAY = SLOT_AT.date()


def _alert(user, *, service="booth", place_id=None, first=DAY, last=None, **fields):
    return EarlierSlotAlert.objects.create(
        user=user,
        office_id=user.office_id,
        service=service,
        place_id=place_id,
        first_day=first,
        last_day=last or first + datetime.timedelta(days=7),
        **fields,
    )


def _person(office, name, **fields):
    return UserFactory(office=office, username=name, **fields)


def _booked(booth, starts_at=SLOT_AT, **fields):
    return ReservationFactory(booth=booth, starts_at=starts_at, confirmed=True, **fields)


def _free(booth, starts_at=SLOT_AT, now=NOW):
    """The freeing job, then the job it deferred that stores the mails; how many it chose."""
    chosen = alerts.mail_freed_slot(
        service="booth", office_id=booth.office_id, place_id=booth.pk, starts_at=starts_at, now=now
    )
    _store_rounds()
    return chosen


def _store_rounds() -> int:
    """Run the `alerts_store_round` jobs deferred so far, as the worker would."""
    stored = 0
    for job in ProcrastinateJob.objects.filter(task_name="alerts_store_round", status="todo"):
        stored += alerts.store_round(**job.args)
        ProcrastinateJob.objects.filter(pk=job.pk).update(status="succeeded")
    return stored


def _recipients() -> set[str]:
    return {
        address for m in OutboxMessage.objects.filter(composer="earlier_slot") for address in m.to
    }


def _jobs():
    return ProcrastinateJob.objects.filter(task_name="alerts_mail_freed_slot")


# --- The database's rules ------------------------------------------------------------------


def test_the_database_refuses_a_fourth_live_alert_of_one_person(frozen, seeker):
    # REQ ALR-1: at most 3 alerts a person, whatever writes the row.
    for _ in range(3):
        _alert(seeker)
    with pytest.raises(IntegrityError), transaction.atomic():
        _alert(seeker)


def test_an_ended_alert_leaves_room_for_a_new_one(frozen, seeker):
    # REQ ALR-1
    first, *_others = [_alert(seeker) for _ in range(3)]
    assert alerts.alert_cancel(user=seeker, alert_id=first.pk, now=NOW)
    _alert(seeker)
    assert EarlierSlotAlert.objects.for_user(seeker).live(NOW).count() == 3


def test_the_service_says_why_a_fourth_alert_is_refused(frozen, seeker, booth):
    # REQ ALR-1
    for _ in range(3):
        alerts.alert_create(
            user=seeker, service="booth", place_id=None, first_day=DAY, last_day=DAY, now=NOW
        )
    with pytest.raises(ValidationError) as refused:
        alerts.alert_create(
            user=seeker, service="booth", place_id=None, first_day=DAY, last_day=DAY, now=NOW
        )
    assert refused.value.code == "too_many"


def test_an_alert_whose_range_passed_no_longer_counts(frozen, seeker, booth):
    # REQ ALR-1: alerts end when the range passes.
    for _ in range(3):
        _alert(
            seeker,
            first=NOW.date() - datetime.timedelta(days=5),
            last=NOW.date() - datetime.timedelta(days=1),
        )
    alerts.alert_create(
        user=seeker, service="booth", place_id=None, first_day=DAY, last_day=DAY, now=NOW
    )
    assert EarlierSlotAlert.objects.filter(end_reason=AlertEnd.PASSED).count() == 3


def test_the_daily_job_ends_alerts_whose_range_passed(frozen, seeker):
    # REQ ALR-1
    old = _alert(
        seeker,
        first=NOW.date() - datetime.timedelta(days=3),
        last=NOW.date() - datetime.timedelta(days=1),
    )
    current = _alert(seeker)
    assert alerts.end_passed_alerts(now=NOW) == 1
    old.refresh_from_db()
    current.refresh_from_db()
    assert old.end_reason == AlertEnd.PASSED and current.ended_at is None


def test_an_alert_must_name_a_place_of_the_persons_office_and_a_range_in_the_horizon(
    frozen, seeker, booth, other_office
):
    # REQ ALR-1
    elsewhere = BoothFactory(office=other_office)
    with pytest.raises(ValidationError) as refused:
        alerts.alert_create(
            user=seeker,
            service="booth",
            place_id=elsewhere.pk,
            first_day=DAY,
            last_day=DAY,
            now=NOW,
        )
    assert "place" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        alerts.alert_create(
            user=seeker,
            service="booth",
            place_id=None,
            first_day=DAY,
            last_day=tokyo(2027, 6, 1).date(),
            now=NOW,
        )
    assert "last_day" in refused.value.error_dict


def test_a_suspended_person_cannot_set_an_alert(frozen, seeker, booth):
    # REQ ALR-1: alerts follow every rule of booking.
    seeker.suspended_at = NOW
    seeker.suspension_reason = "規約違反"
    seeker.save()
    with pytest.raises(ValidationError):
        alerts.alert_create(
            user=seeker, service="booth", place_id=None, first_day=DAY, last_day=DAY, now=NOW
        )


def test_the_default_range_runs_until_the_day_before_the_current_booking(frozen, seeker, booth):
    # REQ ALR-1
    _booked(booth, user=seeker, starts_at=tokyo(2026, 11, 27, 14, 0))
    assert alerts.default_range(seeker, alerts.kind_for("booth"), now=NOW) == (
        NOW.date(),
        datetime.date(2026, 11, 26),
    )


def test_without_a_booking_the_default_range_is_14_business_days(frozen, seeker, booth):
    # REQ ALR-1: from Mon 16 Nov; the 23rd is a holiday, weekends are not counted.
    assert alerts.default_range(seeker, alerts.kind_for("booth"), now=NOW) == (
        NOW.date(),
        datetime.date(2026, 12, 4),
    )


# --- A slot frees up -----------------------------------------------------------------------


def test_cancelling_queues_the_alert_job_a_minute_later_in_the_same_transaction(
    frozen, seeker, booth
):
    # REQ ALR-1: queued in the freeing transaction, run a minute later.
    booking = _booked(booth, user=seeker)
    with transaction.atomic():
        bookings.booking_cancel_online(booking=booking, user=seeker, now=NOW)
        (job,) = _jobs()
        assert job.args == {
            "service": "booth",
            "office_id": booth.office_id,
            "place_id": booth.pk,
            "starts_at": SLOT_AT.isoformat(),
        }
        assert job.scheduled_at == NOW + alerts.FREED_SLOT_WAIT
        assert job.lock == f"alerts:office:{booth.office_id}"


def test_a_cancellation_that_rolls_back_queues_nothing(frozen, seeker, booth):
    # REQ ALR-1
    booking = _booked(booth, user=seeker)
    with pytest.raises(RuntimeError), transaction.atomic():
        bookings.booking_cancel_online(booking=booking, user=seeker, now=NOW)
        raise RuntimeError
    assert not _jobs().exists()


@pytest.mark.parametrize("how", ["phone", "move", "account_end"])
def test_every_way_a_slot_frees_up_queues_the_job(frozen, seeker, booth, staff, how):
    # REQ ALR-1: staff cancelling by phone, a move, the account's end.
    booking = _booked(booth, user=seeker)
    if how == "phone":
        bookings.booking_cancel_by_phone(booking=booking, staff=staff, now=NOW)
    elif how == "move":
        bookings.booking_move(
            booking=booking, by=staff, starts_at=SLOT_AT + datetime.timedelta(hours=1), now=NOW
        )
    else:
        bookings.booking_cancel_for_account_end(booking=booking, now=NOW, reason="self")
    assert [job.args["starts_at"] for job in _jobs()] == [SLOT_AT.isoformat()]


def test_a_change_that_keeps_the_slot_queues_nothing(frozen, seeker, booth, staff):
    # REQ ALR-1: confirming a request frees nothing.
    booking = ReservationFactory(booth=booth, user=seeker)
    bookings.booking_confirm(booking=booking, staff=staff, phoned_at=NOW, now=NOW)
    assert not _jobs().exists()


def test_the_mails_go_to_exactly_the_matching_eligible_people(frozen, office, booth, seeker):
    # REQ ALR-1: matching service, office, place and range; eligible by every booking rule.
    other_booth = BoothFactory(office=office)
    mailed_any = _person(office, "any_booth")
    mailed_this = _person(office, "this_booth")
    _alert(mailed_any)
    _alert(mailed_this, place_id=booth.pk)
    _alert(_person(office, "other_booth"), place_id=other_booth.pk)
    _alert(_person(office, "later_range"), first=DAY + datetime.timedelta(days=1))
    _alert(
        _person(office, "earlier_range"),
        first=DAY - datetime.timedelta(days=2),
        last=DAY - datetime.timedelta(days=1),
    )
    _alert(_person(office, "online_only"), service="online")
    _alert(_person(office, "suspended", suspended_at=NOW, suspension_reason="規約違反"))
    _alert(_person(office, "unverified", verified=False))
    cancelled = _alert(_person(office, "cancelled"))
    alerts.alert_cancel(user=cancelled.user, alert_id=cancelled.pk, now=NOW)
    capped = _person(office, "capped")
    _alert(capped)
    for hour in (11, 12):  # the office's cap of 2 active booth bookings
        _booked(booth, user=capped, starts_at=tokyo(2026, 11, 26, hour, 0))
    needs_approval = _person(office, "needs_approval")
    _alert(needs_approval)
    for day in (2, 3):  # two no-contact cancellations: requests need the office's approval
        _booked(
            booth,
            user=needs_approval,
            starts_at=tokyo(2026, 11, day, 10, 0),
            status=Status.NO_SHOW,
        )
    busy = _person(office, "busy_then")
    _alert(busy)
    _booked(other_booth, user=busy)
    assert _free(booth) == 2
    assert _recipients() == {mailed_any.email, mailed_this.email}


def test_a_person_with_two_matching_alerts_gets_one_mail(frozen, office, booth, seeker):
    # REQ ALR-1: one mail per person per freed slot.
    _alert(seeker)
    _alert(seeker, place_id=booth.pk)
    assert _free(booth) == 1
    assert _free(booth) == 0
    assert AlertMail.objects.count() == 1


def test_the_mails_a_day_stop_at_the_offices_setting(frozen, office, booth, seeker):
    # REQ ALR-1: at most N mails a person a day (office setting).
    office.max_alert_mails_per_day = 2
    office.save()
    _alert(seeker)
    assert [_free(booth, SLOT_AT + datetime.timedelta(hours=h)) for h in range(3)] == [1, 1, 0]
    tomorrow = NOW + datetime.timedelta(days=1)
    assert (
        _free(
            booth, SLOT_AT + datetime.timedelta(hours=4), now=tomorrow - datetime.timedelta(hours=3)
        )
        == 1
    )


def test_the_default_is_five_mails_a_day(office):
    # REQ ALR-1
    assert office.max_alert_mails_per_day == 5


def test_a_slot_taken_again_within_the_minute_mails_nobody(frozen, office, booth, seeker):
    # REQ ALR-1: the job checks the slot when it runs, a minute later.
    _alert(seeker)
    _booked(booth, user=_person(office, "quick"))
    assert _free(booth) == 0
    assert not _recipients()


def test_a_slot_past_the_cut_off_or_on_a_closed_day_mails_nobody(frozen, office, booth, seeker):
    # REQ ALR-1: the cut-off (Tue 17:00 for Wednesday) and closures apply.
    _alert(seeker)
    assert _free(booth, now=tokyo(2026, 11, 17, 17, 0)) == 0
    OfficeClosure.objects.create(office=office, date=DAY)
    assert _free(booth) == 0


def test_cancelling_an_alert_stops_its_mails(frozen, office, booth, seeker):
    # REQ ALR-1
    alert = _alert(seeker)
    assert alerts.alert_cancel(user=seeker, alert_id=alert.pk, now=NOW)
    assert _free(booth) == 0


def test_someone_elses_alert_cannot_be_cancelled(frozen, office, seeker):
    # REQ ALR-1
    alert = _alert(seeker)
    assert not alerts.alert_cancel(user=_person(office, "other"), alert_id=alert.pk, now=NOW)
    alert.refresh_from_db()
    assert alert.ended_at is None


def test_the_mail_names_the_slot_and_the_office_and_never_who_freed_it(
    frozen, office, booth, seeker, settings
):
    # REQ ALR-1
    freeing = _person(office, "freeing", last_name="佐々木", first_name="花子")
    booking = _booked(booth, user=freeing, requester_name="佐々木 花子")
    _alert(seeker)
    bookings.booking_cancel_online(booking=booking, user=freeing, now=NOW)
    alerts.mail_freed_slot(**{**_jobs().get().args, "starts_at": SLOT_AT}, now=NOW)
    _store_rounds()
    mail.outbox.clear()
    outbox_deliver_due(now=NOW)
    (message,) = [m for m in mail.outbox if m.to == [seeker.email]]
    assert office.name in message.subject
    for words in (office.name, "2026年11月18日", "10:00", booth.name, office.phone, "先着"):
        assert words in message.body
    assert f"{settings.SITE_URL}/booths/{booth.pk}/2026-11-18/1000/request/" in message.body
    assert "佐々木" not in message.body and freeing.email not in message.body


def test_a_person_who_must_accept_new_terms_is_told_to_accept_them_first(
    frozen, office, booth, seeker
):
    # REQ ALR-1, TRM-4: the terms changed since they accepted them.
    TermsVersionFactory(document=TermsDocumentFactory(office=office, service="booth"))
    _alert(seeker)
    assert _free(booth) == 1
    assert AlertMail.objects.get().accept_terms_first
    outbox_deliver_due(now=NOW)
    assert "利用規約" in mail.outbox[-1].body


# --- The first to book gets it; alerts end --------------------------------------------------


def _request(user, booth, starts_at=SLOT_AT):
    return booth_services.reservation_request(
        user=user,
        booth=booth,
        starts_at=starts_at,
        purpose="job_consultation",
        requester_name="山田 太郎",
        phone="0173-11-2222",
    )


def test_two_people_from_one_alert_mail_get_one_booking_and_the_other_keeps_the_alert(
    frozen, office, booth, seeker
):
    # REQ ALR-1, BTH-2: the first to book gets it; the other sees "just taken" and keeps waiting.
    second = _person(office, "second")
    _alert(seeker)
    late_alert = _alert(second)
    assert _free(booth) == 2
    _request(seeker, booth)
    with pytest.raises(bookings.SlotTakenError) as taken:
        _request(second, booth)
    assert taken.value.free_slots
    late_alert.refresh_from_db()
    assert late_alert.ended_at is None
    assert AlertMail.objects.get(user=seeker).filled_at is not None
    assert AlertMail.objects.get(user=second).filled_at is None


def test_booking_inside_the_range_ends_the_alert_and_outside_keeps_it(
    frozen, office, booth, seeker
):
    # REQ ALR-1: alerts end when the person books within the range.
    alert = _alert(seeker, first=DAY, last=DAY)
    _request(seeker, booth, tokyo(2026, 11, 19, 10, 0))
    alert.refresh_from_db()
    assert alert.ended_at is None
    _request(seeker, booth, SLOT_AT)
    alert.refresh_from_db()
    assert alert.end_reason == AlertEnd.BOOKED


def test_a_move_into_the_range_ends_the_alert(frozen, office, booth, seeker):
    # REQ ALR-1
    booking = _booked(booth, user=seeker, starts_at=tokyo(2026, 11, 27, 10, 0))
    alert = _alert(seeker, first=DAY, last=DAY)
    bookings.booking_move(booking=booking, by=seeker, starts_at=SLOT_AT, now=NOW)
    alert.refresh_from_db()
    assert alert.end_reason == AlertEnd.BOOKED


def test_deleting_the_account_erases_its_alerts(frozen, office, booth, seeker):
    # REQ ALR-1, REG-5
    _alert(seeker)
    _alert(seeker, service="online")
    account_delete(user=seeker, now=NOW)
    assert not EarlierSlotAlert.objects.filter(user=seeker).exists()


# --- Cost (REQ NFR-4) ----------------------------------------------------------------------


def test_the_job_costs_the_same_queries_whatever_the_number_of_alerts(frozen, office, booth):
    # REQ ALR-1, NFR-4
    def queries_with(count: int, starts_at) -> int:
        for n in range(count):
            _alert(_person(office, f"p{starts_at:%H}{n}"))
        with CaptureQueriesContext(connection) as queries:
            assert _free(booth, starts_at) >= count
        EarlierSlotAlert.objects.update(ended_at=NOW, end_reason=AlertEnd.CANCELLED)
        return len(queries)

    queries_with(1, SLOT_AT - datetime.timedelta(hours=1))  # warm: per-process caches
    assert queries_with(2, SLOT_AT) == queries_with(20, SLOT_AT + datetime.timedelta(hours=1))


def test_freeing_a_slot_costs_the_same_queries_whatever_the_number_of_alerts(frozen, office, booth):
    # REQ ALR-1, NFR-4: the freeing write only queues the job.
    def queries_with(count: int, hour: int) -> int:
        for n in range(count):
            _alert(_person(office, f"q{hour}{n}"))
        booker = _person(office, f"booker{hour}")
        booking = _booked(booth, user=booker, starts_at=tokyo(2026, 11, 18, hour, 0))
        with CaptureQueriesContext(connection) as queries:
            bookings.booking_cancel_online(booking=booking, user=booker, now=NOW)
        EarlierSlotAlert.objects.update(ended_at=NOW, end_reason=AlertEnd.CANCELLED)
        return len(queries)

    queries_with(0, 9)  # warm: per-process caches
    assert queries_with(1, 10) == queries_with(30, 11)


def test_storing_the_mails_costs_the_same_queries_whatever_the_number_of_people(
    frozen, office, booth
):
    # REQ ALR-1, NFR-4: the job that stores a round's mails, alone.
    def queries_with(count: int, starts_at) -> int:
        for n in range(count):
            _alert(_person(office, f"s{starts_at:%H}{n}"))
        assert (
            alerts.mail_freed_slot(
                service="booth",
                office_id=office.pk,
                place_id=booth.pk,
                starts_at=starts_at,
                now=NOW,
            )
            >= count
        )
        with CaptureQueriesContext(connection) as queries:
            assert _store_rounds() >= count
        EarlierSlotAlert.objects.update(ended_at=NOW, end_reason=AlertEnd.CANCELLED)
        return len(queries)

    queries_with(1, SLOT_AT - datetime.timedelta(hours=1))  # warm: per-process caches
    assert queries_with(2, SLOT_AT) == queries_with(20, SLOT_AT + datetime.timedelta(hours=1))


def test_the_kept_statement_is_the_one_the_orm_builds(office, booth):
    # REQ ALR-1, NFR-4: the choice's statement is built once a process and then only given
    # new values; for other values it is the ORM's own statement with those values.
    from bookings.registry import booking_kinds
    from core import statements

    statements.forget()
    for kind in booking_kinds():
        for n in (3, 4):  # the first call is checked against the ORM's; the second is not
            inputs = alerts._stand_ins(n)
            sql, params = alerts._kept_waiting_sql(kind, inputs)
            kept = statements.kept(("alerts.waiting_people", kind.service))
            assert kept is not None, kind.service
            built_sql, built = alerts._waiting_sql(kind, inputs)
            assert sql == built_sql
            assert [statements._key(p) for p in params] == [statements._key(p) for p in built]


# --- The mails of a round (REQ ALR-1, NTF-2) ------------------------------------------------


def _choose(booth, starts_at=SLOT_AT, now=NOW):
    """The freeing job alone: the people chosen, their mails not stored yet."""
    return alerts.mail_freed_slot(
        service="booth", office_id=booth.office_id, place_id=booth.pk, starts_at=starts_at, now=now
    )


def test_people_chosen_but_not_mailed_yet_count_as_mailed(frozen, office, booth, seeker):
    # REQ ALR-1: one mail a person a slot, and the mails a day, hold while the job that
    # stores the mails has yet to run.
    office.max_alert_mails_per_day = 2
    office.save()
    _alert(seeker)
    assert _choose(booth) == 1
    assert _choose(booth) == 0  # the same slot: chosen already
    assert _choose(booth, SLOT_AT + datetime.timedelta(hours=1)) == 1
    assert _choose(booth, SLOT_AT + datetime.timedelta(hours=2)) == 0  # two today
    assert not AlertMail.objects.exists()
    assert _store_rounds() == 2
    assert AlertMail.objects.count() == 2
    assert _free(booth) == 0 and _free(booth, SLOT_AT + datetime.timedelta(hours=3)) == 0


def test_a_round_stores_one_mail_and_one_outbox_message_a_person_once(
    frozen, office, booth, seeker
):
    # REQ ALR-1, NTF-2: a second run of the job (a retry) stores nothing more.
    second = _person(office, "second")
    _alert(seeker)
    _alert(second)
    assert _choose(booth) == 2
    (job,) = ProcrastinateJob.objects.filter(task_name="alerts_store_round")
    assert alerts.store_round(**job.args) == 2
    assert alerts.store_round(**job.args) == 0
    assert AlertMail.objects.count() == 2
    assert _recipients() == {seeker.email, second.email}
    assert OutboxMessage.objects.filter(composer="earlier_slot").count() == 2


def test_a_person_whose_alert_ended_before_the_mails_are_stored_is_not_mailed(
    frozen, office, booth, seeker
):
    # REQ ALR-1, REG-5: cancelled, booked inside its range, or the account deleted meanwhile.
    cancelling = _alert(_person(office, "cancelling"))
    deleted = _person(office, "deleted")
    _alert(deleted)
    _alert(seeker)
    assert _choose(booth) == 3
    alerts.alert_cancel(user=cancelling.user, alert_id=cancelling.pk, now=NOW)
    account_delete(user=deleted, now=NOW)
    assert _store_rounds() == 1
    assert _recipients() == {seeker.email}


class _RefusingOneAddress(BaseEmailBackend):
    """An SMTP server that refuses one recipient and takes every other message."""

    refused = "refused@example.jp"
    sent: list[str] = []

    def send_messages(self, messages):
        for message in messages:
            if self.refused in message.to:
                raise smtplib.SMTPRecipientsRefused({self.refused: (550, b"no such user")})
            _RefusingOneAddress.sent.extend(message.to)
        return len(messages)


def test_a_refused_address_is_retried_alone_and_the_others_are_not_sent_again(
    frozen, office, booth, seeker, settings
):
    # REQ ALR-1, NTF-2: each person's alert mail is an outbox message of its own: delivered,
    # retried after a failure and counted on its own.
    settings.EMAIL_BACKEND = "tests.bookings.test_alerts._RefusingOneAddress"
    refused = _person(office, "refused", email=_RefusingOneAddress.refused)
    second = _person(office, "second")
    for person in (seeker, refused, second):
        _alert(person)
    assert _free(booth) == 3
    _RefusingOneAddress.sent = []
    report = outbox_deliver_due(now=NOW)
    assert (report.sent, report.failed) == (2, 1)
    assert sorted(_RefusingOneAddress.sent) == sorted([seeker.email, second.email])
    waiting = OutboxMessage.objects.get(status=OutboxStatus.PENDING)
    assert waiting.to == [refused.email] and waiting.attempts == 1
    later = NOW + backoff_for(1) + datetime.timedelta(seconds=1)
    report = outbox_deliver_due(now=later)
    assert (report.sent, report.failed) == (0, 1)
    assert sorted(_RefusingOneAddress.sent) == sorted([seeker.email, second.email])
    assert AlertMail.objects.count() == 3  # counted once each, whatever the delivery


# --- Online consultations, closures lifted, withdrawals taken back ---------------------------


def test_a_freed_online_slot_mails_those_waiting_for_that_counselor_or_any(
    frozen, office, seeker, counselor, zoom
):
    # REQ ALR-1: both services; the link opens that counselor's slot.
    from tests.consultations.factories import ConsultationFactory

    employer = _person(office, "employer_online", user_type="employer")
    _alert(employer, service="online")  # online consultations are for job seekers (CON-6)
    _alert(seeker, service="online", place_id=counselor.pk)
    booking = ConsultationFactory(office=office, counselor=counselor, video_tool=zoom)
    bookings.booking_cancel_by_phone(booking=booking, staff=counselor, now=NOW)
    (job,) = _jobs()
    assert job.args["place_id"] == counselor.pk
    assert alerts.mail_freed_slot(**{**job.args, "starts_at": SLOT_AT}, now=NOW) == 1
    assert _store_rounds() == 1
    outbox_deliver_due(now=NOW)
    (message,) = [m for m in mail.outbox if m.to == [seeker.email]]
    assert f"/consultations/{counselor.pk}/2026-11-18/1000/request/" in message.body
    assert "Zoom" in message.body and counselor.last_name in message.body


def test_lifting_a_closure_mails_each_waiting_person_once_for_the_first_free_slot(
    frozen, office, booth, seeker, rf, staff
):
    # REQ ALR-1: a closure lifted frees the whole day; one mail a person, not one a slot.
    from django.contrib import admin

    from bookings.admin import OfficeClosureAdmin

    closure = OfficeClosure.objects.create(office=office, date=DAY)
    _alert(seeker)
    _booked(booth, user=_person(office, "early"), starts_at=tokyo(2026, 11, 18, 9, 0))
    request = rf.post("/")
    request.user = staff
    OfficeClosureAdmin(OfficeClosure, admin.site).delete_model(request, closure)
    (job,) = ProcrastinateJob.objects.filter(task_name="alerts_mail_opened_day")
    assert job.args == {"office_id": office.pk, "day": DAY.isoformat()}
    assert alerts.mail_opened_day(office_id=office.pk, day=DAY, now=NOW) == 1
    assert _store_rounds() == 1
    assert AlertMail.objects.get().starts_at == tokyo(2026, 11, 18, 9, 30)


def test_taking_back_a_withdrawn_slot_queues_the_job_for_it(frozen, office, seeker, counselor, rf):
    # REQ ALR-1: a withdrawal taken back frees the counselor's slot.
    from django.contrib import admin

    from consultations.admin import AvailabilityExceptionAdmin
    from consultations.models import AvailabilityException, ExceptionKind

    withdrawn = AvailabilityException.objects.create(
        counselor=counselor, office=office, starts_at=SLOT_AT, kind=ExceptionKind.WITHDRAWN
    )
    request = rf.post("/")
    request.user = counselor
    AvailabilityExceptionAdmin(AvailabilityException, admin.site).delete_model(request, withdrawn)
    (job,) = _jobs()
    assert job.args == {
        "service": "online",
        "office_id": office.pk,
        "place_id": counselor.pk,
        "starts_at": SLOT_AT.isoformat(),
    }
