"""`manage.py bench_queries`: queries, SQL time and Python time per page, in one process.

Each page is timed twice: as a person's first visit (nothing kept for them or the page: the
per-process cache emptied, no booking facts in the session) and as the visits after it.

Signs in with a session cookie from `bench_sessions --mode pages` and asks for each page
through Django's test client (the whole middleware stack) with the queries captured. With
--profile it also writes a cProfile report of the month and day views (where the time goes).
"""

from __future__ import annotations

import cProfile
import io
import json as jsonlib
import pstats
import statistics
import time
from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bookings.pagefacts import SESSION_KEY
from core.versioning import forget_kept

PAGES = ["month", "day", "mine", "top", "terms", "floor"]
STAFF_PAGES = ["admin_day", "admin_calls"]


def _forget(session_key: str) -> None:
    """As on a person's first visit: the per-process cache empty, no booking facts kept in
    the session (consultations.pagefacts)."""
    forget_kept()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    if store.pop(SESSION_KEY, None) is not None:
        store.save()


class Command(BaseCommand):
    help = "Count the queries and split SQL from Python time for each bench page."

    def add_arguments(self, parser):
        parser.add_argument("--sessions", required=True, help="a bench_sessions pages file")
        parser.add_argument("--staff-sessions", help="a bench_sessions staff file")
        parser.add_argument("--pages", dest="only", help="comma-separated; default all")
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--users", type=int, default=5, help="distinct users to average")
        parser.add_argument("--profile", help="write a cProfile report of month and day here")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(
        self, *args, sessions, staff_sessions, only, repeat, users, profile, as_json, **options
    ):
        lines = self._read(sessions, users)
        staff = self._read(staff_sessions, users) if staff_sessions else []
        results = {}
        wanted = set(only.split(",")) if only else None
        for page in PAGES + (STAFF_PAGES if staff else []):
            if wanted is not None and page not in wanted:
                continue
            lines_of_page = staff if page in STAFF_PAGES else lines
            counts, totals, sqls, colds, cold_counts = [], [], [], [], []
            for line in lines_of_page:
                client = Client(HTTP_HOST="127.0.0.1")
                client.cookies[settings.SESSION_COOKIE_NAME] = line["cookie"]
                client.get(line[page])  # templates loaded, connections open
                _forget(line["cookie"])  # a first visit: nothing kept for this person or page
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(line[page])
                    colds.append(time.perf_counter() - started)
                cold_counts.append(len(queries))
                if response.status_code != 200:
                    raise CommandError(f"{page} {line[page]} answered {response.status_code}")
                for _ in range(repeat):
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        client.get(line[page])
                        totals.append(time.perf_counter() - started)
                    counts.append(len(queries))
                    sqls.append(sum(float(q["time"]) for q in queries.captured_queries))
            results[page] = {
                "cold_queries": max(cold_counts),
                "cold_ms": round(statistics.median(colds) * 1000, 2),
                "queries": max(counts),
                "total_ms": round(statistics.median(totals) * 1000, 2),
                "sql_ms": round(statistics.median(sqls) * 1000, 2),
            }
        if as_json:
            self.stdout.write(jsonlib.dumps(results))
        else:
            self.stdout.write(
                f"{'page':<11} {'queries':>7} {'total ms':>9} {'sql ms':>7} "
                f"{'first-visit queries':>19} {'first-visit ms':>14}"
            )
            for page, r in results.items():
                self.stdout.write(
                    f"{page:<11} {r['queries']:>7} {r['total_ms']:>9} {r['sql_ms']:>7} "
                    f"{r['cold_queries']:>19} {r['cold_ms']:>14}"
                )
        if profile:
            self._profile(lines[0], profile, repeat)

    @staticmethod
    def _read(path: str, users: int) -> list[dict]:
        with open(path, encoding="utf-8") as handle:
            lines = [jsonlib.loads(line) for line in handle if line.strip()][:users]
        if not lines:
            raise CommandError(f"no sessions in {path}")
        return lines

    def _profile(self, line: dict, path: str, repeat: int) -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[settings.SESSION_COOKIE_NAME] = line["cookie"]
        out = io.StringIO()
        for page in ("month", "day"):
            client.get(line[page])
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(repeat * 5):
                client.get(line[page])
            profiler.disable()
            for order in ("cumulative", "tottime"):
                out.write(f"\n===== {page} ({repeat * 5} requests), by {order} =====\n")
                stats = pstats.Stats(profiler, stream=out)
                stats.strip_dirs().sort_stats(order).print_stats(40)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(out.getvalue())
