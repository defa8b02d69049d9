"""`manage.py bench_staff_pages`: what the counselors' day sheet and call list cost against the
floor, in one process and one run (REQ STF-1, NFR-4; issue 21's "0.25× the floor").

For each signed-in staff member of a `bench_sessions --mode staff` plan, through Django's test
client (the whole middleware stack, the settings of `config.settings.bench`), the floor (the
month page's bytes from memory, `bench.views`), the day sheet and the call list are requested
`--repeat` times by turns after one warming request each. Each request is timed whole, by the
wall clock and by the process's CPU time (`time.process_time`: what a shared, loaded machine
barely changes), its statements counted and their round trips summed. Medians per page; the
ratio is the floor's CPU time over the page's, the throughput a worker would reach relative to
the floor's.

The PostgreSQL backend's CPU time for the request (`db_cpu_ms`, from /proc, when the server
runs on this machine; else 0) counts what the database did for it, commit included.

`--cold` empties the grids cache (core.versioning) before each request: every page built as on
a first visit or after a change, nothing kept. `--profile` writes a cProfile report of each page's later requests to
`var/bench/profile-staff-<page>.txt`.
"""

from __future__ import annotations

import cProfile
import io
import json as jsonlib
import os
import pstats
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from bench.client import ip_for
from core.versioning import forget_kept

from .bench_booking_split import _SqlClock

PAGES = ("floor", "admin_day", "admin_calls")


def _floor_path(user_id: int) -> str:
    from accounts.models import User
    from booths.models import Booth

    today = time.localtime()
    office = User.objects.filter(pk=user_id).values("office_id")
    booth = Booth.objects.filter(office_id__in=office).values_list("pk", flat=True).first()
    if booth is None:
        booth = Booth.objects.values_list("pk", flat=True).first()
    return f"/bench/floor/{booth}/{today.tm_year}/{today.tm_mon}/"


def _backend_cpu() -> float:
    """Seconds of CPU the PostgreSQL backend of this connection has used (0 if unknown)."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(client: Client, path: str, profiler=None, cold: bool = False) -> dict:
    if cold:
        forget_kept()
    clock = _SqlClock()
    backend = _backend_cpu()
    with connection.execute_wrapper(clock):
        if profiler:
            profiler.enable()
        cpu, wall = time.process_time(), time.perf_counter()
        response = client.get(path)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profiler:
            profiler.disable()
    backend = _backend_cpu() - backend
    if response.status_code != 200:
        raise CommandError(f"{path} answered {response.status_code}")
    return {
        "ms": wall * 1000,
        "cpu_ms": cpu * 1000,
        "sql_ms": clock.seconds * 1000,
        "db_cpu_ms": backend * 1000,
        "queries": clock.count,
        "bytes": len(response.content),
    }


class Command(BaseCommand):
    help = "The staff pages' milliseconds, SQL and queries against the floor, in one run."

    def add_arguments(self, parser):
        parser.add_argument("--sessions", required=True, help="a bench_sessions --mode staff plan")
        parser.add_argument("--count", type=int, default=5, help="staff members of the plan")
        parser.add_argument("--repeat", type=int, default=10, help="requests a page and person")
        parser.add_argument("--cold", action="store_true", help="nothing kept between requests")
        parser.add_argument("--profile", action="store_true")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, sessions, count, repeat, cold, profile, as_json, **options):
        with open(sessions) as handle:
            lines = [jsonlib.loads(line) for line in handle][:count]
        if not lines:
            raise CommandError("no sessions in the plan")
        # One client for all: its handler loads the middleware once, as a server's worker does.
        client = Client(HTTP_HOST="127.0.0.1")
        timings = {page: [] for page in PAGES}
        profilers = {page: cProfile.Profile() for page in PAGES} if profile else {}
        for line in lines:
            client.cookies.clear()
            client.defaults["HTTP_X_REAL_IP"] = ip_for(line["user"])
            client.cookies[settings.SESSION_COOKIE_NAME] = line["cookie"]
            paths = {**line, "floor": _floor_path(line["user"])}
            for page in PAGES:
                _measure(client, paths[page])  # the first visit fills what the page keeps
            for _n in range(repeat):
                for page in PAGES:
                    timings[page].append(
                        _measure(client, paths[page], profilers.get(page), cold and page != "floor")
                    )
        report = {
            page: {
                key: round(statistics.median(t[key] for t in found), 2)
                for key in ("ms", "cpu_ms", "sql_ms", "queries", "bytes")
            }
            # The kernel counts CPU in ticks (10 ms): the mean over all requests, not a median.
            | {"db_cpu_ms": round(statistics.mean(t["db_cpu_ms"] for t in found), 2)}
            for page, found in timings.items()
        }
        floor = report["floor"]["cpu_ms"]
        for page in PAGES:
            report[page]["of_floor"] = round(floor / report[page]["cpu_ms"], 3)
        if profile:
            out = Path(settings.BASE_DIR) / "var" / "bench"
            out.mkdir(parents=True, exist_ok=True)
            for page, profiler in profilers.items():
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(60)
                (out / f"profile-staff-{page}.txt").write_text(text.getvalue())
        if as_json:
            self.stdout.write(jsonlib.dumps(report))
            return
        self.stdout.write(
            f"{len(lines)} staff × {repeat} requests a page, medians (CPU: the process's time;"
            " database CPU: the mean of its backend's)"
        )
        for page in PAGES:
            r = report[page]
            self.stdout.write(
                f"{page:12} {r['ms']:7.2f} ms  CPU {r['cpu_ms']:6.2f} ms  SQL {r['sql_ms']:6.2f} ms"
                f"  database CPU {r['db_cpu_ms']:5.2f} ms  {r['queries']:3.0f} queries  {r['bytes']:7.0f} bytes  "
                f"{r['of_floor']:.3f}× the floor"
            )
