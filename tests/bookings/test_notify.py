"""Booking mails that fit the booking as it is when sent (REQ NTF-3, NTF-1, NTF-2)."""

import datetime
import threading

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import override_settings
from django.utils import translation

from bookings import notify
from bookings import services as bookings
from bookings.models import Status
from core.models import OutboxMessage, OutboxStatus
from core.outbox import outbox_deliver_due
from tests.booths.conftest import NOW, tokyo
from tests.booths.factories import ReservationFactory
from tests.consultations.factories import ConsultationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

START = tokyo(2026, 11, 18, 10, 0)  # Wednesday
EVE = tokyo(2026, 11, 17, 8, 0)  # the day before: the reminder job runs
LATER = tokyo(2026, 11, 19, 14, 0)  # Thursday, where the booking is moved to
JOIN = {
    "ja": "開始10分前から相談のページで参加できます",
    "en": "Join from the consultation's page",
}
BOOK_AGAIN = {"ja": "改めてご予約いただけます", "en": "You are welcome to book again"}


def _subject(booking, kind):
    with translation.override("ja"):
        # REQ NTF-1: one subject style, 【sender】subject
        return f"【{booking.office.name}】{booking.mail_subject(kind)}"


def _mails(booking, status=None):
    rows = OutboxMessage.objects.filter(topic=notify.mail_topic(booking)).order_by("pk")
    return rows.filter(status=status) if status else rows


def test_a_reminder_queued_for_a_moved_booking_is_never_delivered(booth, staff):
    # REQ NTF-3: the reminder for Wednesday waits (mail server down); the booking moves to
    # Thursday: only the mail of the move goes, and the reminder stays, dropped, with why.
    reservation = ReservationFactory(booth=booth, starts_at=START)
    assert bookings.send_reminders(now=EVE) == 1
    bookings.booking_move(
        booking=reservation, by=staff, starts_at=LATER, now=tokyo(2026, 11, 17, 9, 0)
    )
    outbox_deliver_due()
    assert [m.subject for m in mail.outbox] == [_subject(reservation, notify.MOVED)]
    assert "11月19日" in mail.outbox[0].body
    reminder = _mails(reservation).get(topic_kind=notify.REMINDER)
    assert reminder.status == OutboxStatus.DROPPED
    assert (reminder.dropped_at, reminder.sent_at) == (NOW, None)
    assert reminder.drop_reason.startswith("moved to 2026-11-19 14:00")
    # The day before the new time, the reminder goes again, for the new time (REQ NTF-1).
    assert bookings.send_reminders(now=tokyo(2026, 11, 18, 8, 0)) == 1
    outbox_deliver_due()
    assert mail.outbox[1].subject == _subject(reservation, notify.REMINDER)
    assert "11月19日" in mail.outbox[1].body


def test_moved_then_cancelled_sends_only_the_cancellation(booth, staff):
    # REQ NTF-3: received, moved and cancelled all wait; only the cancellation fits.
    reservation = ReservationFactory(booth=booth, starts_at=START)
    notify.mail_booking(reservation, notify.RECEIVED)
    moment = tokyo(2026, 11, 16, 11, 0)
    bookings.booking_move(booking=reservation, by=staff, starts_at=LATER, now=moment)
    bookings.booking_cancel_by_phone(booking=reservation, staff=staff, now=moment)
    outbox_deliver_due()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == _subject(reservation, notify.CANCELLED)
    assert "METHOD:CANCEL" in mail.outbox[0].attachments[0][1]
    kinds = {m.topic_kind: m.status for m in _mails(reservation)}
    assert kinds == {
        notify.RECEIVED: OutboxStatus.DROPPED,
        notify.MOVED: OutboxStatus.DROPPED,
        notify.CANCELLED: OutboxStatus.SENT,
    }


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("ending", ["cancel", "no_show"])
def test_a_cancellation_or_no_show_mail_never_explains_how_to_join(
    settings, staff, language, ending
):
    # REQ NTF-3, NTF-1: the same consultation's booking mail does carry the join steps.
    settings.LANGUAGE_CODE = language
    consultation = ConsultationFactory(starts_at=START)
    notify.mail_booking(consultation, notify.CONFIRMED)
    outbox_deliver_due()
    if ending == "cancel":
        bookings.booking_cancel_by_phone(
            booking=consultation, staff=staff, now=tokyo(2026, 11, 17, 9, 0)
        )
    else:
        bookings.booking_mark_no_show(
            booking=consultation, staff=staff, now=tokyo(2026, 11, 18, 10, 15)
        )
    outbox_deliver_due()
    booked, ended = mail.outbox
    assert JOIN[language] in booked.body
    assert JOIN[language] not in ended.body
    assert BOOK_AGAIN[language] in ended.body
    assert BOOK_AGAIN[language] not in booked.body


def test_a_confirmation_drops_only_the_acknowledgement_of_the_request(booth, staff):
    # REQ NTF-3: "not confirmed yet" no longer fits; the reminder for the same time does.
    reservation = ReservationFactory(booth=booth, starts_at=START)
    notify.mail_booking(reservation, notify.RECEIVED)
    assert bookings.send_reminders(now=EVE) == 1
    bookings.booking_confirm(
        booking=reservation, staff=staff, phoned_at=EVE, now=tokyo(2026, 11, 17, 9, 0)
    )
    outbox_deliver_due()
    kinds = {m.topic_kind: m.status for m in _mails(reservation)}
    assert kinds == {
        notify.RECEIVED: OutboxStatus.DROPPED,
        notify.REMINDER: OutboxStatus.SENT,
        notify.CONFIRMED: OutboxStatus.SENT,
    }


def test_a_link_ready_notice_stays_until_the_consultation_moves(staff):
    # REQ NTF-3: a change of counselor leaves the link-ready notice true; a move does not.
    consultation = ConsultationFactory(starts_at=START)
    notify.mail_booking(consultation, notify.LINK_READY)
    moment = tokyo(2026, 11, 16, 11, 0)
    bookings.booking_set_counselor(booking=consultation, staff=staff, counselor=staff, now=moment)
    assert _mails(consultation).get().status == OutboxStatus.PENDING
    bookings.booking_move(
        booking=consultation, by=staff, starts_at=LATER, counselor=staff, now=moment
    )
    kinds = {m.topic_kind: m.status for m in _mails(consultation)}
    assert kinds == {notify.LINK_READY: OutboxStatus.DROPPED, notify.MOVED: OutboxStatus.PENDING}


def test_a_no_show_recorded_by_the_job_drops_the_waiting_mails(booth):
    # REQ NTF-3: the 10-minute rule's own path (not a staff transition) drops them too.
    reservation = ReservationFactory(booth=booth, starts_at=START, confirmed=True)
    assert bookings.send_reminders(now=EVE) == 1
    assert bookings.record_overdue_no_shows(now=tokyo(2026, 11, 18, 10, 10)) == 1
    kinds = {m.topic_kind: m.status for m in _mails(reservation)}
    assert kinds == {notify.REMINDER: OutboxStatus.DROPPED, notify.NO_SHOW: OutboxStatus.PENDING}
    assert "confirmed -> no_show" in _mails(reservation).get(topic_kind="reminder").drop_reason


def test_a_mail_already_sent_is_untouched(booth, staff):
    # REQ NTF-3, NTF-2: the outbox stays the record of what reached the person.
    reservation = ReservationFactory(booth=booth, starts_at=START)
    assert bookings.send_reminders(now=EVE) == 1
    outbox_deliver_due()
    sent = _mails(reservation).get()
    bookings.booking_cancel_by_phone(booking=reservation, staff=staff, now=EVE)
    sent.refresh_from_db()
    assert sent.status == OutboxStatus.SENT
    assert (sent.dropped_at, sent.drop_reason) == (None, "")


def test_other_bookings_mails_are_untouched(booth, staff):
    # REQ NTF-3: the drop is by booking, and a reservation and a consultation with the same
    # id are different bookings.
    moved = ReservationFactory(booth=booth, starts_at=START)
    neighbour = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 18, 11, 0))
    online = ConsultationFactory(pk=moved.pk, starts_at=START)
    assert bookings.send_reminders(now=EVE) == 3
    bookings.booking_move(booking=moved, by=staff, starts_at=LATER, now=EVE)
    assert _mails(moved, OutboxStatus.DROPPED).count() == 1
    assert _mails(neighbour).get().status == OutboxStatus.PENDING
    assert _mails(online).get().status == OutboxStatus.PENDING
    outbox_deliver_due()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [moved.user.email, neighbour.user.email, online.user.email]
    )


_in_flight = {}


class _MoveWhileSending(BaseEmailBackend):
    """Moves the booking from another connection while its reminder is on its way."""

    def send_messages(self, messages):
        def move():
            try:
                bookings.booking_move(**_in_flight["move"])
                _in_flight["moved"] = True
            finally:
                connection.close()

        if "move" in _in_flight and "moved" not in _in_flight:
            mover = threading.Thread(target=move)
            mover.start()
            mover.join(timeout=10)
            _in_flight["mover_done"] = not mover.is_alive()
        return len(messages)


@pytest.mark.django_db(transaction=True)
@override_settings(EMAIL_BACKEND="tests.bookings.test_notify._MoveWhileSending")
def test_a_drop_during_delivery_neither_waits_nor_hides_that_the_mail_went(booth, staff):
    # REQ NTF-3, NTF-2: two connections. The worker has claimed the reminder and is sending
    # it when the booking moves: the move commits at once (no row lock is held while
    # sending), the reminder is recorded as sent (it did go), with the too-late drop noted,
    # and the mail of the move follows.
    reservation = ReservationFactory(booth=booth, starts_at=START)
    assert bookings.send_reminders(now=EVE) == 1
    _in_flight.clear()
    _in_flight["move"] = {"booking": reservation, "by": staff, "starts_at": LATER, "now": EVE}
    assert outbox_deliver_due().sent == 2  # the reminder, then the move's mail
    assert _in_flight == {**_in_flight, "moved": True, "mover_done": True}
    reminder, moved = _mails(reservation)
    assert (reminder.topic_kind, reminder.status) == (notify.REMINDER, OutboxStatus.SENT)
    assert reminder.dropped_at is not None and reminder.drop_reason.startswith("moved")
    assert (moved.topic_kind, moved.status) == (notify.MOVED, OutboxStatus.SENT)
    reservation.refresh_from_db()
    assert reservation.starts_at == LATER
    assert reservation.status == Status.REQUESTED


# --- Composed by the mail job (REQ NFR-4, NTF-2, NTF-3) ---------------------------------------


def _request(booth, seeker):
    from booths import services as booth_services

    return booth_services.reservation_request(
        user=seeker,
        booth=booth,
        starts_at=START,
        purpose="job_consultation",
        requester_name="山田 太郎",
        phone="0173-11-2222",
        now=NOW,
    )


def test_a_booking_stores_only_which_mail_of_which_booking(booth, seeker, monkeypatch):
    # REQ NFR-4: nothing is composed in the booking's transaction (its locks are held)
    def composing(*args, **kwargs):
        raise AssertionError("a mail was composed inside the booking")

    monkeypatch.setattr(notify, "render_to_string", composing)
    monkeypatch.setattr(notify, "booking_ics", composing)
    reservation = _request(booth, seeker)
    stored = _mails(reservation).get()
    assert (stored.topic_kind, stored.to, stored.subject, stored.body, stored.attachments) == (
        notify.RECEIVED,
        [seeker.email],
        "",
        "",
        [],
    )


def test_the_job_composes_the_mail_from_the_booking_as_it_is_when_sent(booth, seeker):
    # REQ NTF-3, NTF-1: written when sent, from the booking and office of that moment
    reservation = _request(booth, seeker)
    booth.office.phone = "0173-99-0000"
    booth.office.save()
    outbox_deliver_due()
    (sent,) = mail.outbox
    assert sent.subject == _subject(reservation, notify.RECEIVED)
    assert "0173-99-0000" in sent.body and sent.to == [seeker.email]
    assert "BEGIN:VEVENT" in str(sent.attachments[0][1])
    stored = _mails(reservation).get()  # the record keeps what reached the person
    assert stored.status == OutboxStatus.SENT and stored.subject == sent.subject
    assert stored.body == sent.body and stored.composer == ""


def test_a_composer_that_fails_is_retried_and_nothing_is_lost(booth, seeker, monkeypatch):
    # REQ NTF-2: composing is part of the delivery and retried like it
    reservation = _request(booth, seeker)
    with monkeypatch.context() as patched:
        patched.setattr(notify, "render_to_string", lambda *a, **k: 1 / 0)
        report = outbox_deliver_due()
    assert (report.sent, report.failed, mail.outbox) == (0, 1, [])
    stored = _mails(reservation).get()
    assert stored.status == OutboxStatus.PENDING and "ZeroDivisionError" in stored.last_error
    outbox_deliver_due(now=NOW + datetime.timedelta(minutes=5))
    assert [m.subject for m in mail.outbox] == [_subject(reservation, notify.RECEIVED)]


def test_the_mail_of_a_booking_that_is_gone_is_dropped_not_sent(booth, seeker):
    # REQ NTF-3: nothing to describe, nothing sent
    reservation = _request(booth, seeker)
    topic = notify.mail_topic(reservation)
    OutboxMessage.objects.filter(topic=topic).update(
        topic=topic.replace(f":{reservation.pk}", ":0")
    )
    outbox_deliver_due()
    assert mail.outbox == []
    assert OutboxMessage.objects.get().status == OutboxStatus.DROPPED
