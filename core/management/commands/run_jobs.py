import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from core.audit import acting_as
from core.jobs import registered_jobs

logger = logging.getLogger("core.jobs")


class Command(BaseCommand):
    help = "Run every periodic job once (or forever with --loop). Safe to run on many machines."

    def add_arguments(self, parser):
        parser.add_argument("--only", action="append", default=[], help="run only this job")
        parser.add_argument("--loop", action="store_true", help="repeat until interrupted")
        parser.add_argument("--interval", type=int, default=60, help="seconds between loops")

    def handle(self, *args, only, loop, interval, **options):
        jobs = registered_jobs()
        unknown = set(only) - set(jobs)
        if unknown:
            raise CommandError(f"unknown job(s): {', '.join(sorted(unknown))}")
        selected = {name: jobs[name] for name in (only or jobs)}
        while True:
            failed = []
            for name, func in selected.items():
                try:
                    # Whatever the job changes is audited as done by "job:<name>" (REQ STF-2).
                    with acting_as(label=f"job:{name}"):
                        result = func(timezone.now())
                except Exception:
                    # One failing job must not stop the others; the next run retries it.
                    logger.exception("job %s failed", name)
                    failed.append(name)
                    continue
                self.stdout.write(f"{name}: {result}")
            if not loop:
                if failed:
                    # A timer (systemd, cron) sees the failure in the exit status.
                    raise CommandError(f"job(s) failed: {', '.join(failed)}")
                break
            time.sleep(interval)
            # A long-running loop must not keep a connection the database has dropped.
            close_old_connections()
