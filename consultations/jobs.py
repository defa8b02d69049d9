"""Periodic jobs of both services; safe when several copies run at once."""

from datetime import datetime

from core.jobs import register

from .bookings import record_overdue_no_shows, send_reminders


@register("bookings_record_no_shows")
def bookings_record_no_shows(now: datetime) -> str:
    # REQ BTH-6, CON-5: pages already show the no-show; this records it, frees the slot and
    # the counselor, and mails once.
    return f"recorded={record_overdue_no_shows(now=now)}"


@register("bookings_send_reminders")
def bookings_send_reminders(now: datetime) -> str:
    # REQ NTF-1: the day-before reminder, once per booking.
    return f"queued={send_reminders(now=now)}"
