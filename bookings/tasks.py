"""Periodic jobs of both services (`core.tasks.periodic_job`); each is idempotent."""

from datetime import date, datetime

from procrastinate.contrib.django import app

from core.audit import acting_as
from core.tasks import JOBS_QUEUE, RETRY, periodic_job

from .alerts import (
    end_passed_alerts,
    mail_freed_slot,
    mail_opened_day,
    recover_rounds,
    store_round,
)
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


@periodic_job(name="bookings_end_passed_alerts", cron="5 15 * * *")  # 00:05 in Tokyo
def bookings_end_passed_alerts(now: datetime) -> str:
    # REQ ALR-1: an alert ends when its range has passed.
    return f"ended={end_passed_alerts(now=now)}"


@app.task(name="alerts_mail_freed_slot", queue=JOBS_QUEUE, retry=RETRY)
def alerts_mail_freed_slot(*, service: str, office_id: int, place_id: int, starts_at: str) -> str:
    """REQ ALR-1: mail the people waiting for a slot that freed up a minute ago, if it is still
    free (`bookings.alerts`). Deferred with a lock per office, so one office's runs never
    overlap and the mails-a-day cap holds."""
    with acting_as(label="job:alerts_mail_freed_slot"):
        mailed = mail_freed_slot(
            service=service,
            office_id=office_id,
            place_id=place_id,
            starts_at=datetime.fromisoformat(starts_at),
        )
    return f"mailed={mailed}"


@app.task(name="alerts_mail_opened_day", queue=JOBS_QUEUE, retry=RETRY)
def alerts_mail_opened_day(*, office_id: int, day: str) -> str:
    """REQ ALR-1: a closure was lifted a minute ago; mail the people waiting for that day."""
    with acting_as(label="job:alerts_mail_opened_day"):
        mailed = mail_opened_day(office_id=office_id, day=date.fromisoformat(day))
    return f"mailed={mailed}"


@app.task(name="alerts_store_round", queue=JOBS_QUEUE, retry=RETRY)
def alerts_store_round(*, round_id: int) -> str:
    """REQ ALR-1: store the mails of the people a freeing job chose (`bookings.alerts`), one
    outbox message each; deferred by that job in its transaction. No lock: the next freeing
    job of the office counts a round not stored yet as mails sent."""
    with acting_as(label="job:alerts_store_round"):
        stored = store_round(round_id)
    return f"stored={stored}"


@periodic_job(name="alerts_recover_rounds", cron="*/5 * * * *")
def alerts_recover_rounds(now: datetime) -> str:
    # REQ ALR-1: a round whose store job failed for good is queued again, or dropped once
    # stale, so its people are mailed or stop counting as mailed.
    queued, dropped = recover_rounds(now=now)
    return f"queued={queued} dropped={dropped}"
