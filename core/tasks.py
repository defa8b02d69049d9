"""Periodic work and mail on procrastinate, the PostgreSQL job queue (REQ NFR-6, NTF-2).

Each app declares its jobs in its own `tasks.py` with `periodic_job`; procrastinate's Django
app finds them. Workers (`manage.py procrastinate worker`) run them:

- one schedule per job (cron, in UTC: procrastinate reads cron against UTC timestamps);
- a job never runs twice at once, however many workers there are: its task carries a lock of
  its name, which procrastinate's fetch refuses to hand out while a job holding it is running;
- at most one run of a job waits in the queue (a queueing lock of its name), so a slow run
  never piles up late copies;
- a run that raises is retried with back-off (RETRY), then kept as failed in the admin;
- whatever a job changes is audited as done by "job:<name>" (REQ STF-2).

Every job is still idempotent: a run that dies half-way (SIGKILL) is run again by
`retry_stalled_jobs` and must find only what is left to do.

Mail runs on its own queue, MAIL_QUEUE, served by its own worker: a mail server that hangs
holds that worker for EMAIL_TIMEOUT per batch and nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from procrastinate import RetryStrategy, builtin_tasks
from procrastinate.contrib.django import app

from .audit import acting_as

MAIL_QUEUE = "mail"
JOBS_QUEUE = "default"
# A failed run is retried 4 times, after 7 s, 13 s, 31 s and 85 s (wait + 3 ** (retries + 1)),
# then kept as failed; the next scheduled run starts afresh.
RETRY = RetryStrategy(max_attempts=4, wait=4, exponential_wait=3)

Work = Callable[[datetime], object]


def periodic_job(*, name: str, cron: str, queue: str = JOBS_QUEUE) -> Callable[[Work], object]:
    """Declare `work(now)` as the procrastinate task `name`, deferred on `cron` (UTC).

    The task may also be deferred by hand (`task.defer()`); only the schedule's runs carry
    the queueing lock, so a deferral never fails because a scheduled run is waiting.
    """

    def decorator(work: Work):
        @functools.wraps(work)
        def run(timestamp: int | None = None) -> str:
            # timestamp: the schedule slot (periodic runs only); the work uses the time of
            # the run, so a retried run sees what is due now.
            with acting_as(label=f"job:{name}"):
                # The worker logs the result and keeps the job's history for the admin.
                return str(work(timezone.now()))

        task = app.task(name=name, queue=queue, lock=name, retry=RETRY)(run)
        return app.periodic(cron=cron, queueing_lock=name)(task)

    return decorator


# --- Mail (REQ NTF-2) -----------------------------------------------------------------------


@periodic_job(name="deliver_mail", cron="* * * * *", queue=MAIL_QUEUE)
def deliver_mail(now: datetime) -> object:
    """Send due outbox messages in one batch over one SMTP connection. `outbox_enqueue`
    defers it in the transaction that stores a message; the schedule sweeps the rest."""
    from .outbox import outbox_deliver_due

    return outbox_deliver_due()


@periodic_job(name="outbox_purge_sent", cron="10 18 * * *")  # 03:10 in Tokyo
def purge_sent_mail(now: datetime) -> object:
    from .outbox import outbox_purge_sent

    retention = timedelta(days=settings.OUTBOX_SENT_RETENTION_DAYS)
    return f"deleted={outbox_purge_sent(before=now - retention)}"


# --- The queue's own upkeep -----------------------------------------------------------------


@app.periodic(cron="* * * * *", queueing_lock="retry_stalled_jobs")
@app.task(name="retry_stalled_jobs", lock="retry_stalled_jobs", retry=RETRY)
async def retry_stalled_jobs(timestamp: int | None = None) -> str:
    """Run again the jobs of a worker that died mid-job (SIGKILL, power loss): procrastinate
    sees it by its missing heartbeat (30 s). The job's own idempotence makes the rerun safe."""
    stalled = await app.job_manager.get_stalled_jobs()
    for job in stalled:
        await app.job_manager.retry_job(job)
    return f"retried={len(stalled)}"


@app.periodic(cron="40 18 * * *", queueing_lock="remove_old_jobs")  # 03:40 in Tokyo
@app.task(name="remove_old_jobs", lock="remove_old_jobs", retry=RETRY, pass_context=True)
async def remove_old_jobs(context, timestamp: int | None = None) -> None:
    """Finished jobs (and their events) are kept JOB_HISTORY_DAYS for the admin, then go."""
    await builtin_tasks.remove_old_jobs(
        context,
        max_hours=settings.JOB_HISTORY_DAYS * 24,
        remove_failed=True,
        remove_cancelled=True,
        remove_aborted=True,
    )
