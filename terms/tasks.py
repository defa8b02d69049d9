"""The terms announcement job (REQ TRM-3; `core.tasks.periodic_job`)."""

from datetime import datetime

from core.tasks import periodic_job

from .services import terms_announce_upcoming


# Hourly: a version published for a later date is announced within the hour, and a run finds
# nothing to do unless a version was published since (the claim on `announced_at`).
@periodic_job(name="announce_terms_changes", cron="5 * * * *")
def announce_terms_changes(now: datetime) -> str:
    return f"mailed={terms_announce_upcoming(now=now)}"
