"""Periodic jobs of the booths app; safe when several copies run at once."""

from datetime import datetime

from core.jobs import register

from .services import record_overdue_no_shows, send_reminders


@register("booths_record_no_shows")
def booths_record_no_shows(now: datetime) -> str:
    # REQ BTH-6: pages already show the no-show; this records it, frees the slot and mails.
    return f"recorded={record_overdue_no_shows(now=now)}"


@register("booths_send_reminders")
def booths_send_reminders(now: datetime) -> str:
    # REQ NTF-1: the day-before reminder, once per reservation.
    return f"queued={send_reminders(now=now)}"
