"""`make bench`: the cost of the booking pages as stored reservations grow (REQ NFR-4).

Everything runs inside one transaction that is rolled back, so the database is left as it was.
For each size it stores that many reservations for one booth (spread over past years, with a
busy current month), then requests the month and the day view through Django's test client and
reports the query count, the median time and the peak Python memory of one request.
"""

from __future__ import annotations

import datetime
import statistics
import time
import tracemalloc

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Office, User, UserType
from bookings import calendar
from bookings.models import PersonHold
from bookings.services import bookings_bulk_create
from booths.models import Booth, Reservation, Status


class _Rollback(Exception):
    pass


def _at(day: datetime.date, slot: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=calendar.TOKYO) + (
        slot * datetime.timedelta(minutes=30)
    )


def _seed(booth: Booth, users: list[User], count: int, today: datetime.date) -> None:
    """`count` reservations of many users: this month's weekdays fully booked, the rest past."""
    rows = []
    day = today.replace(day=1)
    while day.month == today.month and len(rows) < count:
        if day.weekday() < 5:
            rows.extend(
                _row(booth, users[(len(rows) + n) % len(users)], _at(day, n), Status.CONFIRMED)
                for n in range(16)
            )
        day += datetime.timedelta(days=1)
    day = today.replace(day=1) - datetime.timedelta(days=1)
    while len(rows) < count:
        rows.extend(
            _row(
                booth,
                users[(len(rows) + n) % len(users)],
                _at(day, n),
                Status.COMPLETED if n % 3 else Status.CANCELLED,
            )
            for n in range(16)
        )
        day -= datetime.timedelta(days=1)
    bookings_bulk_create(Reservation, rows[:count], batch_size=5000)


def _row(booth, user, starts_at, status) -> Reservation:
    now = timezone.now()
    return Reservation(
        booth=booth,
        user=user,
        user_type=user.user_type,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=30),
        purpose="consultation",
        requester_name="ベンチ",
        phone="0000-00-0000",
        status=status,
        phoned_at=now if status == Status.CONFIRMED else None,
        cancelled_at=now if status == Status.CANCELLED else None,
        completed_at=now if status == Status.COMPLETED else None,
    )


def _measure(client: Client, url: str, repeat: int) -> tuple[int, float, float]:
    connection.queries_log.clear()  # a full log (maxlen) would hide the new queries
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    query_count = len(queries)  # read now: later requests reset the connection's query log
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    client.get(url)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return query_count, statistics.median(timings), peak / 1024


class Command(BaseCommand):
    help = "Measure the month and day views against growing numbers of stored reservations."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="1000,20000,200000")
        parser.add_argument("--repeat", type=int, default=15)

    @override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False)
    def handle(self, *args, sizes, repeat, **options):
        sizes = [int(size) for size in sizes.split(",")]
        results = []
        try:
            with transaction.atomic():
                office = Office.objects.create(
                    code="bench-office",
                    name="ベンチマーク安定所",
                    address="-",
                    phone="-",
                    court="-",
                    offers_booths=True,
                )
                booth = Booth.objects.create(office=office, name="ベンチ")
                user = User.objects.create(
                    username="bench-user", office=office, user_type=UserType.JOB_SEEKER
                )
                users = User.objects.bulk_create(
                    User(username=f"bench-{n}", office=office, user_type=UserType.JOB_SEEKER)
                    for n in range(500)
                )
                client = Client()
                client.force_login(user, backend="accounts.backends.ModelBackend")
                today = calendar.local(timezone.now()).date()
                day = today + datetime.timedelta(days=(7 - today.weekday()) % 7 or 7)
                month_url = f"/booths/{booth.pk}/{today.year}/{today.month}/"
                day_url = f"/booths/{booth.pk}/{day.isoformat()}/"
                stored = 0
                for size in sizes:
                    _seed_more = size - stored
                    if _seed_more > 0:
                        Reservation.objects.filter(booth=booth).delete()
                        PersonHold.objects.filter(user__in=users).delete()
                        _seed(booth, users, size, today)
                        stored = size
                    for name, url in (("month", month_url), ("day", day_url)):
                        results.append((size, name, *_measure(client, url, repeat)))
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write(
            f"{'stored':>9} {'view':<6} {'queries':>7} {'median ms':>10} {'peak KiB':>9}"
        )
        for size, name, queries, median, peak in results:
            self.stdout.write(f"{size:>9} {name:<6} {queries:>7} {median:>10.1f} {peak:>9.0f}")
        by_view: dict[str, set[int]] = {}
        for _size, name, queries, *_ in results:
            by_view.setdefault(name, set()).add(queries)
        flat = all(len(counts) == 1 for counts in by_view.values())
        self.stdout.write(
            "query counts independent of stored reservations: " + ("yes" if flat else "NO")
        )
