"""Booking e-mails (REQ NTF-1), composed here and stored in the outbox with the change."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from core.outbox import outbox_enqueue

from .ics import reservation_ics
from .models import Reservation

RECEIVED = "received"
CONFIRMED = "confirmed"
MOVED = "moved"
CANCELLED = "cancelled"
NO_SHOW = "no_show"
REMINDER = "reminder"
CANCELLING_KINDS = {CANCELLED, NO_SHOW}


def _subject(kind: str) -> str:
    # Subjects name no person and no time (REQ LOG-2); the body has the details.
    return {
        RECEIVED: _("Your booth reservation request was received"),
        CONFIRMED: _("Your booth reservation is confirmed"),
        MOVED: _("Your booth reservation was moved"),
        CANCELLED: _("Your booth reservation was cancelled"),
        NO_SHOW: _("Your booth reservation was cancelled (no contact)"),
        REMINDER: _("Reminder: your booth reservation tomorrow"),
    }[kind]


def mail_reservation(reservation: Reservation, kind: str) -> None:
    """Queue the mail of `kind` for the reservation's user, in the caller's transaction."""
    user = reservation.user
    if user is None or not user.email:
        return
    office = reservation.booth.office
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "kind": kind,
            "reservation": reservation,
            "office": office,
            "site_url": settings.SITE_URL,
        }
        subject = f"[{office.name}] {_subject(kind)}"
        body = render_to_string("booths/email/reservation.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[user.email])
    message.attach(
        "reservation.ics",
        reservation_ics(reservation, cancelled=kind in CANCELLING_KINDS),
        "text/calendar",
    )
    outbox_enqueue(message=message)
