"""`manage.py bench_access_records`: what the access record of one staff page costs (REQ LOG-1,
NFR-4): `accounts.access.access_record_page` for `--people` people of one office, each call its
own transaction and commit, `--count` calls in each of `--writers` processes at once (the
workers of a server). Prints each writer's median, p5 and p95 milliseconds, the first 50 calls
left out, and the WAL the whole server wrote a call (other work on the server counts too).

It writes records into the database it is given: run it on a copy, never on the benchmark's
databases.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, connections, transaction
from django.test import RequestFactory


def _writer(people: int, count: int, queue) -> None:
    from accounts.access import AccessKind, access_record_page
    from accounts.models import User

    connections.close_all()  # a connection of its own, not the parent's
    staff = User.objects.filter(is_staff=True, office__isnull=False).order_by("pk").first()
    shown = list(
        User.objects.filter(office_id=staff.office_id, is_staff=False).order_by("pk")[:people]
    )
    request = RequestFactory().get("/admin/workplace/calls/", REMOTE_ADDR="203.0.113.9")
    request.user = staff
    walls = []
    for n in range(count):
        started = time.perf_counter()
        with transaction.atomic():
            access_record_page(request, AccessKind.CALL_LIST, shown[n % 5 :] + shown[: n % 5])
        walls.append((time.perf_counter() - started) * 1000)
    queue.put((len(shown), walls[min(50, count // 2) :]))


class Command(BaseCommand):
    help = "The access record of one staff page: milliseconds a call, with its commit."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=50)
        parser.add_argument("--count", type=int, default=300)
        parser.add_argument("--writers", type=int, default=1)

    def handle(self, *args, people, count, writers, **options):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            start = cursor.fetchone()[0]
        connections.close_all()
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        processes = [
            context.Process(target=_writer, args=(people, count, queue)) for _n in range(writers)
        ]
        for process in processes:
            process.start()
        results = [queue.get() for _process in processes]
        for process in processes:
            process.join()
        for shown, walls in results:
            cuts = statistics.quantiles(walls, n=20)
            self.stdout.write(
                f"{shown} people: median {statistics.median(walls):.2f} ms, "
                f"p5 {cuts[0]:.2f}, p95 {cuts[-1]:.2f}"
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [start])
            wal = float(cursor.fetchone()[0])
        self.stdout.write(f"WAL {wal / (count * writers) / 1024:.1f} kB a call (whole server)")
