"""The mail outbox: store every e-mail with the change that caused it, deliver it later.

A request never talks to the mail server, so a dead SMTP server can neither block nor lose a
booking (REQ NTF-2). `outbox_enqueue` stores the message, and the database defers the
`deliver_mail` task (`core.tasks`) with it, once per transaction (a trigger: migration core
0010): a rolled-back change leaves neither, a committed one is sent by the mail worker
seconds later; the task's schedule sweeps up anything else due.

A delivery batch claims one message at a time with a row lock that other runners skip (SKIP
LOCKED), and a claim is a lease written to the row, so two runners never send the same
message at once; the batch sends over one SMTP connection and stops at the first failure of
the server itself, so a server that hangs costs one EMAIL_TIMEOUT per batch. Delivery is
at-least-once: a runner that dies after the server accepted a message but before it marked it
sent leaves it to be sent again when the lease runs out.

A message may carry a `topic` (an opaque key of the app that wrote it, such as one booking)
and a `topic_kind`. When what a topic describes changes, its writer calls
`outbox_drop_pending` in the transaction of the change: the topic's pending messages that no
longer fit become DROPPED, kept with when and why, and are never sent (REQ NTF-3). Messages
are not checked again at delivery: core cannot know whether a booking still looks as its mail
says, and need not, because a writer that changes a topic's subject locks it (the booking's
row) before it drops, so no mail of an older state can be stored after the drop that should
have caught it. A message may also be stored unwritten (`outbox_enqueue_to_compose`): a
small row naming its topic and kind, which the composer its app registered writes when the
message is delivered, from the topic as it is then; nothing is composed while the change's
locks are held (REQ NFR-4). A message already
claimed by a runner when the drop comes cannot be called back: it is sent and marked SENT
(the truth), its `dropped_at` tells that the drop came too late; one whose send then fails is
not retried.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.manager import JobManager

from .models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)

# Anything joined to an "@": an address with or without <>, whatever the server quoted. Every
# "@" goes, so the database's check (`core_outboxmessage_error_without_address`) always holds.
_ADDRESS = re.compile(r"[^\s<>()\[\]{}\"',;:]*@[^\s<>()\[\]{}\"',;:]*")
ADDRESS_MARK = "[address]"
ERROR_MAX_LENGTH = 500


def mail_subject(sender: str, text: str) -> str:
    """Every mail's subject in one style (REQ NTF-1, NFR-1): who sends it, then what it is
    about. 【五所川原公共職業安定所】予約が確定しました in Japanese, [Office] text in English."""
    return _("[%(sender)s] %(text)s") % {"sender": sender, "text": " ".join(str(text).split())}


def outbox_enqueue(
    *, message: EmailMessage, topic: str = "", topic_kind: str = ""
) -> OutboxMessage:
    """Store a composed e-mail for delivery. Call it inside the transaction of the change.

    `topic` and `topic_kind` let `outbox_drop_pending` find it while it waits."""
    stored = OutboxMessage.objects.create(
        **_stored_fields(message),
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(message.to),
        cc=list(message.cc),
        bcc=list(message.bcc),
        reply_to=list(message.reply_to),
        headers=dict(message.extra_headers),
        topic=topic,
        topic_kind=topic_kind,
    )
    return stored


def _stored_fields(message: EmailMessage) -> dict:
    """The subject, bodies and attachments of `message` as the outbox row keeps them."""
    html_body = ""
    for content, mimetype in getattr(message, "alternatives", []) or []:
        if mimetype == "text/html":
            html_body = content
    body = message.body
    if getattr(message, "content_subtype", "plain") == "html" and not html_body:
        html_body, body = message.body, ""
    attachments = []
    for attachment in message.attachments:
        filename, content, mimetype = attachment
        if isinstance(content, str):
            content = content.encode()
        attachments.append(
            {
                "filename": filename,
                "mimetype": mimetype or "application/octet-stream",
                "content_b64": base64.b64encode(content).decode(),
            }
        )
    return {
        "subject": message.subject,
        "body": body,
        "html_body": html_body,
        "attachments": attachments,
    }


# Composers by name: compose(message) -> the EmailMessage to send for a stored message's
# topic and kind (its recipients are the stored ones), or None when there is nothing to send
# any more (what the topic named is gone).
Composer = Callable[[OutboxMessage], "EmailMessage | None"]
_composers: dict[str, Composer] = {}


def register_composer(name: str, compose: Composer) -> None:
    """Let messages stored with `outbox_enqueue_to_compose(composer=name)` be composed by
    `compose` when delivered. Apps register theirs in `AppConfig.ready`."""
    _composers[name] = compose


def outbox_enqueue_to_compose(*, composer: str, to: list[str], topic: str, topic_kind: str) -> int:
    """Store a mail that the registered `composer` writes when it is delivered: a small row
    naming the topic and the kind, in the transaction of the change (REQ NTF-2, NFR-4).
    Returns the stored row's id.

    The statement `outbox_enqueue_selected_to_compose` sends for many, given one row: not
    `save()`, as every booking writes one and the ORM's insert machinery cost more than the
    statement. The delivery is deferred by the table's trigger as for any other row."""
    if not topic:
        raise ValueError("a mail composed when delivered needs the topic it describes")
    sql, values = _insert_to_compose(composer, rows="SELECT %s, %s, %s")
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(sql + " RETURNING id", [json.dumps(list(to)), topic, topic_kind, *values])
        return cursor.fetchone()[0]


def outbox_enqueue_selected_to_compose(
    *, composer: str, rows: str, params: list, before: str = "", before_params=()
) -> int:
    """`outbox_enqueue_to_compose` for each row of the SQL `rows` (recipients as a JSON list
    of addresses, topic, topic kind; a topic never empty), in one statement: the rows never
    leave the database (REQ NFR-4). `before`, with its parameters: common table expressions
    `rows` may read (`name AS (…), …`), such as an INSERT … RETURNING of what the mails are
    about. One delivery is deferred (by the outbox's trigger); returns how many messages were
    stored."""
    sql, values = _insert_to_compose(composer, rows=rows, before=before)
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(sql, [*before_params, *params, *values])
        stored = cursor.rowcount
    return stored


def _insert_to_compose(composer: str, *, rows: str, before: str = "") -> tuple[str, list]:
    """The INSERT … SELECT of one outbox row to compose for each row of `rows` (recipients,
    topic, kind), and the parameters it takes after those of `before` and `rows`."""
    now = timezone.now()
    table = OutboxMessage._meta.db_table
    sql = f"""
        WITH {before + "," if before else ""}
        src (recipients, topic, kind) AS ({rows})
        INSERT INTO {table} (created_at, subject, body, html_body, from_email, "to", cc, bcc,
                             reply_to, headers, attachments, status, attempts, next_attempt_at,
                             last_error, erase_when_done, drop_reason, topic, topic_kind,
                             composer)
        SELECT %s, '', '', '', %s, src.recipients::jsonb, '[]', '[]', '[]', '{{}}', '[]', %s,
               0, %s, '', false, '', src.topic, src.kind, %s
        FROM src
    """
    return sql, [now, settings.DEFAULT_FROM_EMAIL, OutboxStatus.PENDING, now, composer]


def _compose_stored(message: OutboxMessage, moment: datetime) -> bool:
    """Write a message stored to be composed, from its topic as it is now: False when its
    composer finds nothing to send (the message is then dropped, never sent)."""
    composed = _composers[message.composer](message)
    if composed is None:
        done = OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING)
        if message.erase_when_done:
            done.delete()
        else:
            done.update(
                status=OutboxStatus.DROPPED,
                dropped_at=moment,
                drop_reason="nothing to send any more",
            )
        return False
    stored = _stored_fields(composed)
    for name, value in stored.items():
        setattr(message, name, value)
    message.composer = ""
    OutboxMessage.objects.filter(pk=message.pk).update(composer="", **stored)
    return True


def outbox_drop_pending(
    *, topic: str, reason: str, keep_kinds=(), now: datetime | None = None
) -> int:
    """Drop the pending messages of `topic` (all but those of `keep_kinds`): they are never
    sent, and stay as DROPPED with the time and `reason` (REQ NTF-3). Returns how many.

    Call it in the transaction of the change that makes them wrong. It never waits on a
    delivery: a runner holds a message's row lock only for the instant of its claim, and
    sends under a lease. Messages owed to an erased account (`erase_when_done`) are deleted
    instead, as they would have been once sent (REQ REG-5).
    """
    if not topic:
        raise ValueError("a topic is needed: an empty one would match every untagged message")
    pending = OutboxMessage.objects.filter(topic=topic, status=OutboxStatus.PENDING)
    if keep_kinds:
        pending = pending.exclude(topic_kind__in=list(keep_kinds))
    deleted = pending.filter(erase_when_done=True).delete()[0]
    dropped = pending.update(
        status=OutboxStatus.DROPPED, dropped_at=now or timezone.now(), drop_reason=reason[:200]
    )
    return deleted + dropped


# Deferrals go through Django's own connection, so the job row is part of the caller's
# transaction, in a web request as in a worker (whose app connector is a separate pool).
_jobs_in_this_transaction = JobManager(connector=DjangoConnector())


def _defer_delivery() -> None:
    """Defer a `deliver_mail` run for messages the outbox did not just insert (the trigger
    defers it for those): given-up ones queued again."""
    from .tasks import deliver_mail

    _jobs_in_this_transaction.defer_job(deliver_mail.configure().job)


def outbox_requeue_failed(*, messages=None, now: datetime | None = None) -> int:
    """Give messages that were given up a fresh set of attempts (after a long outage).

    `messages` narrows it to a queryset (the admin's selection); by default all of them.
    """
    messages = OutboxMessage.objects.all() if messages is None else messages
    with transaction.atomic():
        requeued = messages.filter(status=OutboxStatus.FAILED).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now or timezone.now()
        )
        if requeued:
            _defer_delivery()  # sent now, not at the next sweep
    return requeued


def outbox_last_pk() -> int:
    """The newest message's id: messages queued after this point have greater ids."""
    return OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def outbox_erase_for_addresses(*, addresses: set[str], up_to_pk: int | None = None) -> int:
    """Delete every stored message sent, or to be sent, to one of `addresses` (REQ REG-5).

    Addresses match whole and case-insensitively: erasing ta@example.jp leaves
    beta@example.jp's mail alone. With `up_to_pk`, messages queued after that id are kept
    until delivered, then deleted: an account deletion tells the person what it cancelled.
    """
    wanted = {address.strip().lower() for address in addresses if address.strip()}
    if not wanted:
        return 0
    candidates = Q()
    for address in wanted:  # a cheap superset in SQL, decided exactly below
        candidates |= Q(to__icontains=address) | Q(cc__icontains=address)
        candidates |= Q(bcc__icontains=address)
    matching = [
        message.pk
        for message in OutboxMessage.objects.filter(candidates).only("to", "cc", "bcc")
        if wanted
        & {
            parseaddr(recipient)[1].lower()
            for recipient in [*message.to, *message.cc, *message.bcc]
        }
    ]
    doomed = OutboxMessage.objects.filter(pk__in=matching)
    if up_to_pk is not None:
        doomed.filter(pk__gt=up_to_pk).update(erase_when_done=True)
        doomed = doomed.filter(pk__lte=up_to_pk)
    return doomed.delete()[0]


def outbox_purge_sent(*, before: datetime, batch: int = 1000) -> int:
    """Delete delivered messages sent before `before` (OUTBOX_SENT_RETENTION_DAYS), and
    dropped ones dropped before it: their bodies hold names, slots and links nobody needs once
    done with (REQ LOG-2), and erasing by address on account deletion then scans a small
    table. Safe to run concurrently."""
    total = 0
    for status, moment in ((OutboxStatus.SENT, "sent_at"), (OutboxStatus.DROPPED, "dropped_at")):
        done = OutboxMessage.objects.filter(status=status, **{f"{moment}__lt": before})
        while True:
            ids = list(done.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                break
            total += done.filter(pk__in=ids).delete()[0]
    return total


def outbox_compose(outbox_message: OutboxMessage) -> EmailMultiAlternatives:
    """Rebuild the e-mail from its stored row."""
    message = EmailMultiAlternatives(
        subject=outbox_message.subject,
        body=outbox_message.body,
        from_email=outbox_message.from_email,
        to=outbox_message.to,
        cc=outbox_message.cc,
        bcc=outbox_message.bcc,
        reply_to=outbox_message.reply_to,
        headers=outbox_message.headers,
    )
    if outbox_message.html_body:
        message.attach_alternative(outbox_message.html_body, "text/html")
    for attachment in outbox_message.attachments:
        message.attach(
            attachment["filename"],
            base64.b64decode(attachment["content_b64"]),
            attachment["mimetype"],
        )
    return message


def backoff_for(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, capped at six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _claim_next(now: datetime) -> OutboxMessage | None:
    lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        candidate = (
            OutboxMessage.objects.due(now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if candidate is None:
            return None
        # The conditional update is the claim itself: only a runner that still finds the row
        # due moves its lease forward. Works the same where SELECT … FOR UPDATE is a no-op.
        claimed = OutboxMessage.objects.filter(
            pk=candidate.pk, status=OutboxStatus.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=lease_until, attempts=F("attempts") + 1)
        if not claimed:
            return None
    candidate.refresh_from_db()
    return candidate


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    given_up: int = 0

    def __str__(self) -> str:
        return f"sent={self.sent} retry={self.failed} given_up={self.given_up}"


# Refusals that concern one message (its sender, its recipients, its content): the next
# message may go through. Anything else (timeout, refused or dropped connection) is the
# server's, and ends the batch.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


class NothingAccepted(Exception):
    """The backend returned without accepting the message."""


def outbox_deliver_due(*, now: datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Deliver due messages through the configured EMAIL_BACKEND over one connection,
    retrying failures later with back-off."""
    report = DeliveryReport()
    connection = get_connection(fail_silently=False)
    try:
        for _ in range(limit):
            moment = now or timezone.now()
            message = _claim_next(moment)
            if message is None:
                break
            if message.composer:
                try:
                    if not _compose_stored(message, moment):
                        continue
                except Exception as exc:  # the topic's app failed: retry it later
                    _record_failure(message, exc, moment, report)
                    continue
            try:
                # Opened once, on the first message, and kept for the batch: the backend
                # then sends each message on it instead of connecting for each.
                connection.open()
                if connection.send_messages([outbox_compose(message)]) == 0:
                    raise NothingAccepted("the mail backend accepted no message")
            except Exception as exc:  # any transport failure: keep the message and retry
                _record_failure(message, exc, moment, report)
                connection.close()
                if isinstance(exc, (*MESSAGE_ERRORS, NothingAccepted)):
                    continue
                break
            # Marked sent whatever its status now: a drop that came while it was on its way
            # did not stop it, and the record must say what reached the person.
            done = OutboxMessage.objects.filter(pk=message.pk)
            if message.erase_when_done:
                done.delete()
            else:
                done.update(status=OutboxStatus.SENT, sent_at=timezone.now(), last_error="")
            report.sent += 1
    finally:
        connection.close()
    return report


def without_addresses(text: str, *, addresses=()) -> str:
    """`text` with every e-mail address replaced by a mark (REQ LOG-2): `addresses` (the
    message's own recipients) wherever they stand, then anything joined to an "@"."""
    for address in addresses:
        address = parseaddr(address)[1]
        if address:
            text = re.sub(re.escape(address), ADDRESS_MARK, text, flags=re.IGNORECASE)
    return _ADDRESS.sub(ADDRESS_MARK, text)


def _decoded(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def delivery_error_text(exc: Exception, *, addresses=()) -> str:
    """What `last_error` keeps of a failed delivery: the error's kind and the server's codes
    and words, without any address (REQ LOG-2). `SMTPRecipientsRefused` names each refused
    recipient and `SMTPSenderRefused` the sender; their replies quote them too."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{code} {_decoded(reply)}" for code, reply in exc.recipients.values())
    elif isinstance(exc, smtplib.SMTPResponseException):
        detail = f"{exc.smtp_code} {_decoded(exc.smtp_error)}"
    else:
        detail = str(exc)
    text = without_addresses(f"{type(exc).__name__}: {detail}", addresses=addresses)
    return text[:ERROR_MAX_LENGTH]


def _record_failure(
    message: OutboxMessage, exc: Exception, moment: datetime, report: DeliveryReport
) -> None:
    error = delivery_error_text(
        exc, addresses=[*message.to, *message.cc, *message.bcc, message.from_email]
    )
    # Only a message still pending: one dropped while it was being sent stays dropped.
    still_pending = OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING)
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        given_up = still_pending
        if message.erase_when_done:
            given_up.delete()
        else:
            given_up.update(status=OutboxStatus.FAILED, last_error=error)
        report.given_up += 1
        logger.error("outbox message %s given up after %s attempts", message.pk, message.attempts)
    else:
        still_pending.update(
            next_attempt_at=moment + backoff_for(message.attempts), last_error=error
        )
        report.failed += 1
        logger.warning(
            "outbox message %s failed (attempt %s): %s",
            message.pk,
            message.attempts,
            type(exc).__name__,
        )
