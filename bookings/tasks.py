"""Periodic jobs of both services (`core.tasks.periodic_job`); each is idempotent."""

from datetime import datetime

from core.tasks import periodic_job

from .services import record_overdue_no_shows, send_reminders


@periodic_job(name="bookings_record_no_shows", cron="* * * * *")
def bookings_record_no_shows(now: datetime) -> str:
    # REQ BTH-6, CON-5: pages already show the no-show; this records it, frees the slot and
    # the counselor, and mails once.
    return f"recorded={record_overdue_no_shows(now=now)}"


@periodic_job(name="bookings_send_reminders", cron="0 * * * *")
def bookings_send_reminders(now: datetime) -> str:
    # REQ NTF-1: the day-before reminder, once per booking.
    return f"queued={send_reminders(now=now)}"
