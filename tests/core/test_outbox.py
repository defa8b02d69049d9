"""The mail outbox: stored with the change, delivered later, retried, never twice."""

import smtplib
import socket
import threading
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from core.models import OutboxMessage, OutboxStatus
from core.outbox import backoff_for, outbox_deliver_due, outbox_enqueue

pytestmark = pytest.mark.django_db


def _message(to="seeker@example.jp", **kwargs) -> EmailMessage:
    return EmailMessage(subject="予約を受け付けました", body="本文", to=[to], **kwargs)


def test_enqueued_mail_is_not_sent_until_the_job_delivers_it():
    # REQ NTF-2
    outbox_enqueue(message=_message())
    assert mail.outbox == []
    report = outbox_deliver_due()
    assert report.sent == 1
    assert [m.subject for m in mail.outbox] == ["予約を受け付けました"]
    stored = OutboxMessage.objects.get()
    assert stored.status == OutboxStatus.SENT
    assert stored.sent_at is not None


def test_mail_of_a_rolled_back_change_is_never_sent():
    # REQ NTF-2: the message lives and dies with the change that caused it.
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(message=_message())
        raise RuntimeError("the booking failed")
    assert OutboxMessage.objects.count() == 0
    outbox_deliver_due()
    assert mail.outbox == []


def test_attachments_and_html_survive_the_round_trip():
    # REQ NTF-2
    message = EmailMultiAlternatives(subject="確認", body="text", to=["a@example.jp"])
    message.attach_alternative("<p>html</p>", "text/html")
    message.attach("booking.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    message.attach("map.bin", b"\x00\xff", "application/octet-stream")
    outbox_enqueue(message=message)
    outbox_deliver_due()
    delivered = mail.outbox[0]
    assert delivered.body == "text"
    assert delivered.alternatives[0][0] == "<p>html</p>"
    filename, content, mimetype = delivered.attachments[0]
    assert (filename, mimetype) == ("booking.ics", "text/calendar")
    assert "BEGIN:VCALENDAR" in content
    assert delivered.attachments[1][1] == b"\x00\xff"


def test_delivered_mail_is_not_sent_again_by_a_second_run():
    # REQ NTF-2
    outbox_enqueue(message=_message())
    outbox_deliver_due()
    outbox_deliver_due()
    assert len(mail.outbox) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _smtp_settings(port: int) -> dict:
    """Django's SMTP backend, towards a local test server on `port`."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_TIMEOUT": 5,
    }


class _Collector:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def test_failed_smtp_delivery_is_retried_and_succeeds_when_the_server_is_back():
    # REQ NTF-2: a dead SMTP server loses nothing; the message goes out once it is back.
    port = _free_port()
    outbox_enqueue(message=_message())
    start = timezone.now()
    with override_settings(**_smtp_settings(port)):
        with time_machine.travel(start, tick=False):
            report = outbox_deliver_due()
        assert (report.sent, report.failed) == (0, 1)
        stored = OutboxMessage.objects.get()
        assert stored.status == OutboxStatus.PENDING
        assert stored.attempts == 1
        assert "Error" in stored.last_error or "refused" in stored.last_error.lower()
        assert stored.next_attempt_at == start + backoff_for(1)

        collector = _Collector()
        controller = Controller(collector, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            with time_machine.travel(start + timedelta(seconds=30), tick=False):
                assert outbox_deliver_due().sent == 0  # not due yet: back-off holds
            with time_machine.travel(start + backoff_for(1) + timedelta(seconds=1), tick=False):
                assert outbox_deliver_due().sent == 1
        finally:
            controller.stop()
    assert len(collector.messages) == 1
    assert collector.messages[0].rcpt_tos == ["seeker@example.jp"]
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


class _BrokenBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


@override_settings(EMAIL_BACKEND="tests.core.test_outbox._BrokenBackend", OUTBOX_MAX_ATTEMPTS=3)
def test_a_message_is_given_up_after_the_maximum_attempts_and_kept_for_staff():
    # REQ NTF-2
    outbox_enqueue(message=_message())
    moment = timezone.now()
    for attempt in range(1, 4):
        with time_machine.travel(moment, tick=False):
            outbox_deliver_due()
        moment += backoff_for(attempt) + timedelta(seconds=1)
    stored = OutboxMessage.objects.get()
    assert stored.status == OutboxStatus.FAILED
    assert stored.attempts == 3
    assert "smtp down" in stored.last_error


def test_backoff_grows_and_is_capped():
    # REQ NTF-2
    assert backoff_for(1) == timedelta(minutes=1)
    assert backoff_for(2) == timedelta(minutes=2)
    assert backoff_for(5) == timedelta(minutes=16)
    assert backoff_for(30) == timedelta(hours=6)


_delivered_lock = threading.Lock()
_delivered: list[str] = []


class _CountingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        with _delivered_lock:
            _delivered.extend(m.subject for m in messages)
        return len(messages)


@pytest.mark.django_db(transaction=True)
@override_settings(EMAIL_BACKEND="tests.core.test_outbox._CountingBackend")
def test_concurrent_runners_never_deliver_the_same_mail_twice():
    # REQ NTF-2 / OPS: several job runners on several machines share one database.
    for n in range(60):
        outbox_enqueue(message=EmailMessage(subject=f"m{n}", body="x", to=["a@example.jp"]))
    _delivered.clear()
    barrier = threading.Barrier(4)
    errors = []

    def runner():
        try:
            barrier.wait()
            outbox_deliver_due()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(_delivered) == sorted(f"m{n}" for n in range(60))
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 60


def test_erasing_an_address_removes_only_that_persons_mail():
    # REQ REG-5: whole addresses match; ta@example.jp is not a part of beta@example.jp.
    from core.outbox import outbox_erase_for_addresses

    outbox_enqueue(message=_message(to="ta@example.jp"))
    outbox_enqueue(message=_message(to="beta@example.jp"))
    outbox_enqueue(message=EmailMessage(subject="s", body="b", to=["X <TA@example.jp>"]))
    outbox_enqueue(
        message=EmailMessage(subject="s", body="b", to=["o@example.jp"], bcc=["ta@example.jp"])
    )
    assert outbox_erase_for_addresses(addresses={"ta@example.jp"}) == 3
    assert [m.to for m in OutboxMessage.objects.all()] == [["beta@example.jp"]]


@override_settings(EMAIL_BACKEND="tests.core.test_outbox._BrokenBackend", OUTBOX_MAX_ATTEMPTS=1)
def test_given_up_mail_can_be_queued_again_and_is_then_delivered():
    # REQ NTF-2: a long outage loses nothing; staff (or the command) queue it again.
    from core.outbox import outbox_requeue_failed

    outbox_enqueue(message=_message())
    outbox_deliver_due()
    assert OutboxMessage.objects.get().status == OutboxStatus.FAILED
    assert outbox_requeue_failed() == 1
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        assert outbox_deliver_due().sent == 1
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


def test_delivered_mail_is_purged_after_the_retention_period(settings):
    # REQ LOG-2, NFR-3: delivered bodies (names, slots, reset links) do not pile up; pending
    # and given-up messages stay until they are delivered or queued again.
    from core.tasks import purge_sent_mail

    settings.OUTBOX_SENT_RETENTION_DAYS = 30
    now = timezone.now()
    old = OutboxMessage.objects.create(
        subject="s",
        body="b",
        to=["a@example.jp"],
        status=OutboxStatus.SENT,
        sent_at=now - timedelta(days=31),
    )
    recent = OutboxMessage.objects.create(
        subject="s",
        body="b",
        to=["a@example.jp"],
        status=OutboxStatus.SENT,
        sent_at=now - timedelta(days=29),
    )
    failed = OutboxMessage.objects.create(
        subject="s",
        body="b",
        to=["a@example.jp"],
        status=OutboxStatus.FAILED,
        created_at=now - timedelta(days=90),
    )
    pending = outbox_enqueue(message=_message())
    with time_machine.travel(now, tick=False):
        assert purge_sent_mail() == "deleted=1"
    remaining = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, failed.pk, pending.pk}
    assert old.pk not in remaining


# --- Dropping what no longer fits (REQ NTF-3) ------------------------------------------------


def test_dropping_a_topic_touches_only_its_waiting_messages_of_the_kinds_not_kept():
    # REQ NTF-3: core drops by an opaque topic; the app that wrote the messages decides when.
    from core.outbox import outbox_drop_pending

    sent = outbox_enqueue(message=_message(), topic="booking:x.y:1", topic_kind="received")
    outbox_deliver_due()
    reminder = outbox_enqueue(message=_message(), topic="booking:x.y:1", topic_kind="reminder")
    notice = outbox_enqueue(message=_message(), topic="booking:x.y:1", topic_kind="link_ready")
    other = outbox_enqueue(message=_message(), topic="booking:x.y:11", topic_kind="reminder")
    untagged = outbox_enqueue(message=_message())
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        assert (
            outbox_drop_pending(topic="booking:x.y:1", reason="moved", keep_kinds=["link_ready"])
            == 1
        )
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert statuses == {
        sent.pk: OutboxStatus.SENT,
        reminder.pk: OutboxStatus.DROPPED,
        notice.pk: OutboxStatus.PENDING,
        other.pk: OutboxStatus.PENDING,
        untagged.pk: OutboxStatus.PENDING,
    }
    reminder.refresh_from_db()
    assert (reminder.dropped_at, reminder.drop_reason) == (now, "moved")
    mail.outbox.clear()
    assert outbox_deliver_due().sent == 3
    assert OutboxMessage.objects.get(pk=reminder.pk).status == OutboxStatus.DROPPED
    with pytest.raises(ValueError):
        outbox_drop_pending(topic="", reason="an empty topic would match every untagged mail")


def test_the_database_refuses_a_dropped_message_without_its_time():
    # REQ NTF-2
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(subject="s", body="b", status=OutboxStatus.DROPPED)


class _DropThenFailBackend(BaseEmailBackend):
    def send_messages(self, messages):
        from core.outbox import outbox_drop_pending

        outbox_drop_pending(topic="t:1", reason="changed while on its way")
        raise ConnectionRefusedError("smtp down")


@override_settings(EMAIL_BACKEND="tests.core.test_outbox._DropThenFailBackend")
def test_a_message_dropped_while_its_delivery_fails_is_not_tried_again():
    # REQ NTF-3: the failure is not recorded over the drop, so no retry sends it later.
    outbox_enqueue(message=_message(), topic="t:1")
    assert outbox_deliver_due().failed == 1
    stored = OutboxMessage.objects.get()
    assert stored.status == OutboxStatus.DROPPED
    assert stored.last_error == ""
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert outbox_deliver_due().sent == 0


def test_dropping_deletes_mail_owed_to_an_erased_account():
    # REQ REG-5: such mail is deleted once done with; dropped, it is done with.
    from core.outbox import outbox_drop_pending

    owed = outbox_enqueue(message=_message(), topic="t:2")
    OutboxMessage.objects.filter(pk=owed.pk).update(erase_when_done=True)
    assert outbox_drop_pending(topic="t:2", reason="cancelled") == 1
    assert not OutboxMessage.objects.exists()


def test_dropped_mail_is_purged_after_the_retention_period():
    # REQ LOG-2: a dropped body holds the same names and times as a sent one.
    from core.outbox import outbox_drop_pending, outbox_purge_sent

    now = timezone.now()
    old = outbox_enqueue(message=_message(), topic="t:3")
    recent = outbox_enqueue(message=_message(), topic="t:4")
    with time_machine.travel(now - timedelta(days=31), tick=False):
        outbox_drop_pending(topic="t:3", reason="moved")
    with time_machine.travel(now - timedelta(days=29), tick=False):
        outbox_drop_pending(topic="t:4", reason="moved")
    assert outbox_purge_sent(before=now - timedelta(days=30)) == 1
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk


def test_the_outbox_admin_lists_dropped_messages_with_their_topic(client, office):
    # REQ NTF-3: staff see what was not sent, and why.
    from django.urls import reverse

    from core.outbox import outbox_drop_pending
    from tests.auth import login_client, staff_with_mfa

    outbox_enqueue(message=_message(), topic="booking:booths.reservation:42", topic_kind="reminder")
    outbox_drop_pending(topic="booking:booths.reservation:42", reason="moved to 2026-11-19 14:00")
    admin = login_client(client, staff_with_mfa(office=office, is_superuser=True))
    url = reverse("admin:core_outboxmessage_changelist")
    listed = admin.get(url, {"status__exact": "dropped"}).content.decode()
    assert "booking:booths.reservation:42" in listed
    assert "取りやめ（内容が古くなったため）" in listed
    found = admin.get(url, {"q": "booking:booths.reservation:4"}, follow=True).content.decode()
    assert "booking:booths.reservation:42" not in found  # the whole key, not a part of it
    found = admin.get(url, {"q": "booking:booths.reservation:42"}, follow=True).content.decode()
    assert "booking:booths.reservation:42" in found
    detail = admin.get(
        reverse("admin:core_outboxmessage_change", args=[OutboxMessage.objects.get().pk])
    ).content.decode()
    assert "moved to 2026-11-19 14:00" in detail


# --- LOG-2: no addresses in stored delivery errors -----------------------------------------


class _RefusingRecipients:
    """An SMTP server that refuses every recipient, quoting the address as servers do."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


def test_a_refused_recipients_address_is_not_stored_with_the_error():
    # REQ LOG-2: SMTPRecipientsRefused names the address, and so does the server's reply
    port = _free_port()
    controller = Controller(_RefusingRecipients(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        outbox_enqueue(message=_message(to="Yamada.Taro+jobs@Example.JP"))
        with override_settings(**_smtp_settings(port)):
            assert outbox_deliver_due().failed == 1
    finally:
        controller.stop()
    error = OutboxMessage.objects.get().last_error
    assert error.startswith("SMTPRecipientsRefused: 550")
    assert "Recipient address rejected" in error  # the server's words stay, for staff
    assert "@" not in error and "yamada" not in error.lower() and "example" not in error.lower()


class _RefusingSender(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPSenderRefused(553, b"5.7.1 <noreply@hellowork.example>: denied", "x")


class _QuotingTransport(BaseEmailBackend):
    def send_messages(self, messages):
        raise OSError(f"could not deliver to {messages[0].to[0]} (Seeker@Example.jp)")


@pytest.mark.parametrize("backend", ["_RefusingSender", "_QuotingTransport"])
def test_any_delivery_error_is_stored_without_addresses(backend):
    # REQ LOG-2: the sender's address, and an address quoted by any other error
    outbox_enqueue(message=_message(to="Taro <seeker@example.jp>"))
    with override_settings(EMAIL_BACKEND=f"tests.core.test_outbox.{backend}"):
        outbox_deliver_due()
    error = OutboxMessage.objects.get().last_error
    assert error and "@" not in error and "seeker" not in error.lower()
    assert "noreply" not in error and "[address]" in error


def test_the_database_refuses_an_error_holding_an_address():
    # REQ LOG-2: whatever writes it
    outbox_enqueue(message=_message())
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.update(last_error="SMTPRecipientsRefused: {'a@example.jp': 550}")
    assert OutboxMessage.objects.get().last_error == ""
