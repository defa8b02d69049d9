"""Time the monthly statistics (REQ STA-1, NFR-4): query count and time of `month_statistics`,
cold (the month read and suppressed for every office) and cached.

    manage.py stats_bench --office goshogawara --month 2026-11
    manage.py stats_bench --national --month 2026-11 --repeat 5
    manage.py stats_bench --office goshogawara --month 2026-11 --seed 200000

On the data already stored (e.g. the bench's national-scale data set), or, with `--seed N`,
after storing N more reservations for the office in that month and the years before, inside a
transaction that is rolled back, so the database is left as it was.
"""

from __future__ import annotations

import datetime
import re
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Office, UserType
from bookings import calendar
from booths.models import Booth, Purpose, Reservation, Status
from core.versioning import forget_kept
from workplace.statistics import month_statistics


class _Rollback(Exception):
    pass


def _seed(office: Office, year: int, month: int, count: int) -> None:
    booth = Booth.objects.filter(office=office).first() or Booth.objects.create(
        office=office, name="stats-bench"
    )
    start = datetime.datetime(year, month, 1, 9, tzinfo=calendar.TOKYO)
    statuses = [Status.COMPLETED, Status.CANCELLED, Status.NO_SHOW, Status.COMPLETED]
    rows = []
    for n in range(count):
        # Spread backwards from the month, one slot every 30 minutes round the clock, so
        # the (booth, starts_at) pairs never collide.
        starts_at = start + datetime.timedelta(days=25) - n * calendar.SLOT
        status = statuses[n % len(statuses)]
        rows.append(
            Reservation(
                booth=booth,
                starts_at=starts_at,
                ends_at=starts_at + calendar.SLOT,
                user_type=UserType.JOB_SEEKER if n % 3 else UserType.EMPLOYER,
                purpose=Purpose.JOB_CONSULTATION if n % 3 else Purpose.INTERVIEW,
                requester_name="-",
                phone="-",
                status=status,
                cancelled_at=starts_at if status == Status.CANCELLED else None,
                cancelled_via="online" if status == Status.CANCELLED else "",
            )
        )
    Reservation.objects.bulk_create(rows, batch_size=5000)


class Command(BaseCommand):
    help = "Time the monthly statistics: query count and median time."

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--office", help="office code")
        scope.add_argument("--national", action="store_true", help="every office together")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--seed", type=int, default=0, help="store N more, rolled back")

    def handle(self, *args, office=None, national=False, month, repeat, seed, **options):
        match = re.fullmatch(r"(\d{4})-(\d{2})", month)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise CommandError("--month must be YYYY-MM")
        year, month_number = int(match.group(1)), int(match.group(2))
        scope = None
        if not national:
            scope = Office.objects.filter(code=office).first()
            if scope is None:
                raise CommandError(f"no office with code {office!r}")
        if seed and scope is None:
            raise CommandError("--seed needs --office")
        try:
            with transaction.atomic():
                if seed:
                    _seed(scope, year, month_number, seed)
                self._measure(scope, year, month_number, max(1, repeat))
                raise _Rollback
        except _Rollback:
            pass

    def _measure(self, office, year, month, repeat):
        stored = Reservation.objects.count()
        label = office.code if office else "national"
        # Cold: the month read and suppressed for every office (the cache emptied first);
        # warm: the suppressed month from the cache, as until the next booking changes.
        for name, cold in (("cold", True), ("cached", False)):
            timings, counts = [], []
            for _n in range(repeat):
                if cold:
                    forget_kept()
                with CaptureQueriesContext(connection) as queries:
                    began = time.perf_counter()
                    stats = month_statistics(office=office, year=year, month=month)
                    timings.append((time.perf_counter() - began) * 1000)
                counts.append(len(queries))
            self.stdout.write(
                f"statistics {label} {year:04d}-{month:02d} {name}: "
                f"{stored} reservations stored, queries {sorted(set(counts))}, "
                f"median {statistics.median(timings):.1f} ms "
                f"(min {min(timings):.1f}, max {max(timings):.1f}) over {repeat} runs; "
                f"requests {stats.totals.cells[0].display}, offered slots {stats.offered_slots}"
            )
