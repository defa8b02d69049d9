"""Booking e-mails and their .ics, for both services (REQ NTF-1, CON-3).

Queued in the outbox with the change that caused them (NTF-2), as a row naming the booking and
the kind; the mail job composes them from the booking as it is when sent. Mails and calendar
files point to the booking's page on the site, never to a video link (CON-3).

Every mail fits the booking as it is when sent (NTF-3): each is stored under the booking's
outbox topic, and a transition that changes what a waiting mail describes (its time, place or
state) drops the booking's mails that no longer fit, in its own transaction, before it queues
its own (`drop_unfitting_mails`, called from `services.transition`). A mail is composed from
the booking's committed row when it is sent, so none of an older state can follow the drop.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone

from core.outbox import (
    mail_subject,
    outbox_drop_pending,
    outbox_enqueue,
    outbox_enqueue_to_compose,
)

from .models import Booking, Status
from .registry import booking_kinds

RECEIVED = "received"
CONFIRMED = "confirmed"
MOVED = "moved"
CANCELLED = "cancelled"
NO_SHOW = "no_show"
# BTH-6: a request the office never confirmed, closed at its start; not a no-show.
NOT_CONFIRMED = "not_confirmed"
REMINDER = "reminder"
LINK_READY = "link_ready"
CANCELLING_KINDS = {CANCELLED, NO_SHOW, NOT_CONFIRMED}
# What still fits a booking whose status changed but whose time, place and calendar entry
# did not: a confirmation makes only the request's acknowledgement ("not confirmed yet")
# wrong; once the session has begun, only the link-ready notice (the join button stays on the
# page until the end) is still true. Any other change leaves no waiting mail true.
STILL_FIT_AFTER = {
    Status.CONFIRMED: (CONFIRMED, REMINDER, LINK_READY),
    Status.CHECKED_IN: (LINK_READY,),
}


def mail_topic(booking: Booking) -> str:
    """The booking's key in the outbox: "booking:booths.reservation:42"."""
    return f"booking:{booking._meta.label_lower}:{booking.pk}"


def drop_unfitting_mails(booking: Booking, *, was: str, told: bool, moved: bool = False) -> int:
    """Drop the booking's waiting mails that no longer fit it after a change (REQ NTF-3).

    Call it in the transaction of the change, after the change (whose UPDATE holds the row
    lock), with the booking as changed and its status before (`was`). `told`: the change went
    to the user's calendar (a new `sequence`: moved, cancelled, no-show, reinstated), which
    leaves no earlier mail true; otherwise the new status keeps what `STILL_FIT_AFTER` says.
    """
    if moved:
        when = timezone.localtime(booking.starts_at).strftime("%Y-%m-%d %H:%M")
        reason = f"moved to {when} (sequence {booking.sequence})"
    else:
        reason = f"{was} -> {booking.status} (sequence {booking.sequence})"
    keep = () if told or moved else STILL_FIT_AFTER.get(booking.status, ())
    return outbox_drop_pending(topic=mail_topic(booking), reason=reason, keep_kinds=keep)


def _subject(booking: Booking, kind: str) -> str:
    # Subjects name no person and no time (REQ LOG-2); the body has the details.
    return str(booking.mail_subject(kind))


def site_host() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]


def booking_uid(booking: Booking) -> str:
    """Stable for the life of the booking, so each update replaces the same calendar event."""
    return f"{booking.uid_prefix}-{booking.pk}@{site_host()}"


@lru_cache(maxsize=1)
def _tokyo_vtimezone() -> bytes:
    """Asia/Tokyo as a VTIMEZONE, worked out once per process: icalendar derives it from the
    zone's whole history, which took ~25 ms for every mail (REQ NFR-4)."""
    zone = Timezone.from_tzid(settings.TIME_ZONE)
    zone.pop("COMMENT", None)  # icalendar's note is in English; the mail's own is added
    return zone.to_ical()


def booking_ics(booking: Booking, *, cancelled: bool = False) -> bytes:
    """One VEVENT in Asia/Tokyo with its VTIMEZONE (RFC 5545). A request not yet confirmed is
    TENTATIVE; a cancellation is METHOD:CANCEL with the same UID and a higher SEQUENCE."""
    office = booking.office
    cal = Calendar()
    cal.add("prodid", "-//Hello Work Online//bookings//JA")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", timezone.localtime(booking.starts_at))
    event.add("dtend", timezone.localtime(booking.ends_at))
    event.add("sequence", booking.sequence)
    event.add("summary", f"{office.name} {booking.where_label()}")
    page = f"{settings.SITE_URL}{booking.get_absolute_url()}"
    event.add("location", booking.ics_location(page))
    event.add("url", page)
    event.add("description", f"{office.name} TEL {office.phone}\n{page}")
    if cancelled:
        status = "CANCELLED"
    elif booking.status == Status.REQUESTED:
        status = "TENTATIVE"
    else:
        status = "CONFIRMED"
    event.add("status", status)
    zone = Timezone.from_ical(_tokyo_vtimezone())
    # In the mail's language, as everything else the person reads (REQ NFR-1).
    zone.add("comment", _("Japan Standard Time (UTC+9, no daylight saving time)"))
    cal.add_component(zone)
    cal.add_component(event)
    return cal.to_ical()


def mail_booking(booking: Booking, kind: str, *, compose_now: bool = False) -> None:
    """Queue the mail of `kind` for the booking's user, in the caller's transaction.

    The transaction stores a small row naming the booking and the kind; the mail job writes
    subject, body and .ics from the booking as it is when sent (`compose_booking_mail`), so
    nothing is composed while the booking's locks are held (REQ NFR-4, NTF-2, NTF-3).
    `compose_now`: written at once, for a mail that must outlive the data it describes (the
    cancellations an account's deletion tells the person, before their data is erased, REG-5).
    """
    user = booking.user
    if user is None or not user.email:
        return
    if compose_now:
        outbox_enqueue(
            message=_booking_message(booking, kind, to=[user.email]),
            topic=mail_topic(booking),
            topic_kind=kind,
        )
    else:
        outbox_enqueue_to_compose(
            composer=COMPOSER, to=[user.email], topic=mail_topic(booking), topic_kind=kind
        )


COMPOSER = "booking"


def _booking_message(booking: Booking, kind: str, *, to: list[str]) -> EmailMessage:
    office = booking.office
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "kind": kind,
            "booking": booking,
            "office": office,
            "cancelling": kind in CANCELLING_KINDS,
            "page_url": f"{settings.SITE_URL}{booking.get_absolute_url()}",
            "book_again_url": f"{settings.SITE_URL}{booking.book_again_url()}",
        }
        subject = mail_subject(office.name, _subject(booking, kind))
        body = render_to_string(booking.mail_template, context)
        message = EmailMessage(subject=subject, body=body, to=to)
        message.attach(
            "booking.ics",
            booking_ics(booking, cancelled=kind in CANCELLING_KINDS),
            "text/calendar",
        )
    return message


def compose_booking_mail(message) -> EmailMessage | None:
    """The mail job's composer of booking mails (`core.outbox.register_composer`): the mail of
    the stored message's kind, from its booking as it is now; None when the booking is gone."""
    label, _sep, pk = message.topic.removeprefix("booking:").rpartition(":")
    try:
        kind = next(k for k in booking_kinds() if k.model._meta.label_lower == label)
    except StopIteration:
        return None
    booking = kind.model.objects.select_related(*kind.select_related, "user").filter(pk=pk).first()
    if booking is None:
        return None
    return _booking_message(booking, message.topic_kind, to=list(message.to))
