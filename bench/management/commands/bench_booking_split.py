"""`manage.py bench_booking_split`: where the milliseconds of one booking go, in one process,
against the same booking written lean (REQ NFR-4; issue 21's profile).

For each person of a `bench_sessions --mode booking` (or `booking-online`) plan, the three
requests of a booking go through Django's test client (the whole middleware stack, the
production settings of `config.settings.bench`): the request form (GET), its POST answered with
"check your answers", and the send. Each request is timed whole, its queries counted and their
SQL time summed (the rest is Python: middleware, forms, templates, the ORM building
statements). The same run then times:

- the floor: the same stack answering a signed-in GET with bytes from memory (`bench.views`);
- the lean transaction: the booking's rules written by hand as SQL in one transaction (lock
  the person, count for the cap, take the holds, insert the row, the access record and the
  outbox row), rolled back so the data stays as it was.

So "booking − 3 × floor − lean" is what the framework and the app's own Python add.
"""

from __future__ import annotations

import cProfile
import io
import json as jsonlib
import pstats
import re
import statistics
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.client import forms_of, ip_for

STEPS = ("form GET", "form POST", "send POST")
# The slot link with the answers picked on the day page opens the check page itself.
STEPS_TWO = ("check GET", "send POST")


def _fields(html: str) -> tuple[str, list[tuple[str, str]]]:
    forms = forms_of(html)
    if not forms:
        raise CommandError("the page has no form")
    return forms[-1]


class _SqlClock:
    """Each statement's round trip, measured around the driver's call (Django's own query log
    rounds to whole milliseconds)."""

    def __init__(self):
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


# With --profile: one cProfile per step, summed over the people (`_timed(..., step=)`).
PROFILES: dict[str, cProfile.Profile] = {}
# With --queries: each step's statements of the last person, shown after the figures.
LAST_SQL: dict[str, list[str]] = {}


def _timed(call, *args, step: str = ""):
    clock = _SqlClock()
    profile = PROFILES.get(step)
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(clock):
        started, cpu = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        response = call(*args)
        if profile is not None:
            profile.disable()
        total = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu) * 1000
    if step:
        LAST_SQL[step] = [
            re.sub(r"^SELECT set_config\('pghistory.*?;\s*", "", query["sql"], flags=re.S)[:160]
            for query in captured.captured_queries
        ]
    # Process CPU time: this process's own work (Python, the driver), not the database's, and
    # not time spent waiting for a CPU that other work holds: the steadier figure on a shared
    # machine.
    timing = {"ms": total, "cpu_ms": cpu, "sql_ms": clock.seconds * 1000, "queries": clock.count}
    return response, timing


def _book_two(client: Client, path: str, query: str) -> tuple[list[dict], bool]:
    """The two requests of one booking from a slot link with its answers."""
    check, opened = _timed(client.get, path + query, step="check GET")
    if check.status_code != 200 or b'name="answers"' not in check.content:
        raise CommandError(f"{path}{query}: the slot link did not open the check page")
    action, fields = _fields(check.content.decode())
    sent, send = _timed(client.post, action, dict(_multi(fields)), step="send POST")
    return [opened, send], sent.status_code == 302


def _book_one(client: Client, path: str) -> tuple[list[dict], bool]:
    """The three requests of one booking: their timings, and whether it was booked."""
    page, form = _timed(client.get, path, step="form GET")
    if page.status_code != 200:
        raise CommandError(f"{path}: the form answered {page.status_code}")
    _action, fields = _fields(page.content.decode())
    check, answered = _timed(client.post, path, dict(_multi(fields)), step="form POST")
    if check.status_code != 200:
        raise CommandError(f"{path}: the form's POST answered {check.status_code}")
    action, fields = _fields(check.content.decode())
    sent, send = _timed(client.post, action, dict(_multi(fields)), step="send POST")
    return [form, answered, send], sent.status_code == 302


def _lean(line: dict, online: bool) -> float:
    """The booking's statements by hand, in one transaction, rolled back: milliseconds."""
    user, starts_at = line["user"], line["starts_at"]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM accounts_user WHERE id = %s FOR UPDATE", [user])
        table = "consultations_consultation" if online else "booths_reservation"
        cursor.execute(
            f"SELECT count(*) FROM {table} WHERE user_id = %s AND starts_at > now() "
            "AND status IN ('requested', 'confirmed', 'checked_in')",
            [user],
        )
        holder = "consultations.consultation" if online else "booths.reservation"
        cursor.execute(
            "INSERT INTO bookings_personhold (user_id, starts_at, holder) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING id",
            [user, starts_at, holder],
        )
        cursor.execute(
            "INSERT INTO accounts_accessrecord (at, actor_id, subject_id, kind, object_repr, "
            "path, ip_address, user_agent, search_hash) VALUES (now(), %s, %s, 'booking', 'x', "
            "'/', '10.0.0.1', 'bench', '')",
            [user, user],
        )
        cursor.execute(
            "INSERT INTO core_outboxmessage (created_at, subject, body, html_body, from_email, "
            '"to", cc, bcc, reply_to, headers, attachments, status, attempts, next_attempt_at, '
            "last_error, erase_when_done, drop_reason, topic, topic_kind, composer) VALUES "
            "(now(), '', '', '', '', '[]', '[]', '[]', '[]', '{}', '[]', 'pending', 0, now(), "
            "'', false, '', %s, 'received', 'booking')",
            [f"lean-{uuid.uuid4()}"],
        )
        transaction.set_rollback(True)
    return (time.perf_counter() - started) * 1000


class Command(BaseCommand):
    help = "Split one booking's time into requests, SQL and Python, against the lean form."

    def add_arguments(self, parser):
        parser.add_argument("--sessions", required=True, help="a bench_sessions booking plan")
        parser.add_argument("--online", action="store_true", help="a booking-online plan")
        parser.add_argument("--count", type=int, default=20)
        parser.add_argument(
            "--flow",
            choices=["three", "two"],
            default="three",
            help="two: the slot link with the plan's answers (check page, send)",
        )
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument(
            "--profile",
            action="store_true",
            help="write a cProfile of each step (every person but the first) to "
            "var/bench/profile-booking-<kind>-<flow>-<step>.txt",
        )
        parser.add_argument(
            "--queries", action="store_true", help="print the last booking's statements by step"
        )

    def handle(self, *args, sessions, online, count, flow, as_json, profile, queries, **options):
        with open(sessions) as handle:
            lines = [jsonlib.loads(line) for line in handle][:count]
        if not lines:
            raise CommandError("no sessions in the plan")
        names = STEPS_TWO if flow == "two" else STEPS
        steps = {step: [] for step in names}
        PROFILES.clear()
        from accounts.models import User
        from booths.models import Booth

        today = time.localtime()
        floors, floor_cpus, leans, booked = [], [], [], 0
        # One client for all: its handler loads the middleware once, as a server's worker does.
        client = Client(HTTP_HOST="127.0.0.1")
        for index, line in enumerate(lines):
            if profile and index == 1:
                # The first booking warms the process (URL patterns, imports, templates): each
                # profile covers the rest, as a worker that has served before.
                PROFILES.update({step: cProfile.Profile() for step in names})
            client.cookies.clear()
            client.defaults["HTTP_X_REAL_IP"] = ip_for(line["user"])
            client.cookies[settings.SESSION_COOKIE_NAME] = line["cookie"]
            if flow == "two":
                timings, done = _book_two(client, line["slot_path"], line["answers_query"])
            else:
                timings, done = _book_one(client, line["slot_path"])
            for step, timing in zip(names, timings, strict=True):
                steps[step].append(timing)
            booked += done
            office = User.objects.filter(pk=line["user"]).values("office_id")
            booth = Booth.objects.filter(office_id__in=office).values_list("pk", flat=True)[0]
            floor = f"/bench/floor/{booth}/{today.tm_year}/{today.tm_mon}/"
            client.get(floor)  # the first fills the bytes kept in memory
            _floor, timing = _timed(client.get, floor)
            floors.append(timing["ms"])
            floor_cpus.append(timing["cpu_ms"])
            leans.append(_lean(line, online))
        report = {
            step: {
                key: round(statistics.median(t[key] for t in timings), 2)
                for key in ("ms", "cpu_ms", "sql_ms", "queries")
            }
            for step, timings in steps.items()
        }
        booking_ms = sum(report[step]["ms"] for step in names)
        sql_ms = sum(report[step]["sql_ms"] for step in names)
        cpu_ms = sum(report[step]["cpu_ms"] for step in names)
        summary = {
            "kind": "online" if online else "booth",
            "bookings": booked,
            "of": len(lines),
            "steps": report,
            "booking_ms": round(booking_ms, 2),
            "booking_sql_ms": round(sql_ms, 2),
            "booking_python_ms": round(booking_ms - sql_ms, 2),
            "booking_cpu_ms": round(cpu_ms, 2),
            "floor_cpu_ms": round(statistics.median(floor_cpus), 2),
            "floor_ms": round(statistics.median(floors), 2),
            "lean_transaction_ms": round(statistics.median(leans), 2),
        }
        self._write_profiles(summary["kind"], flow)
        if as_json:
            self.stdout.write(jsonlib.dumps(summary))
            return
        if queries:
            for step in names:
                self.stdout.write(f"-- {step}: " + "\n    ".join(["", *LAST_SQL.get(step, [])]))
        for step in names:
            r = report[step]
            self.stdout.write(
                f"{step:10} {r['ms']:7.2f} ms  CPU {r['cpu_ms']:6.2f} ms  SQL {r['sql_ms']:6.2f} ms  "
                f"{r['queries']:3.0f} queries"
            )
        self.stdout.write(
            f"booking    {booking_ms:7.2f} ms  SQL {sql_ms:6.2f} ms  Python "
            f"{booking_ms - sql_ms:6.2f} ms  CPU {cpu_ms:6.2f} ms  ({booked} of {len(lines)} "
            "booked)\n"
            f"floor      {summary['floor_ms']:7.2f} ms a request, CPU {summary['floor_cpu_ms']:.2f} ms "
            f"({len(names)} requests: "
            f"{len(names) * summary['floor_ms']:.2f} ms)\n"
            f"lean       {summary['lean_transaction_ms']:7.2f} ms (the booking's statements "
            "by hand, one transaction)"
        )

    def _write_profiles(self, kind: str, flow: str) -> None:
        for step, profile in PROFILES.items():
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
            stats.print_stats(80)
            stats.sort_stats("tottime").print_stats(40)
            path = f"var/bench/profile-booking-{kind}-{flow}-{step.replace(' ', '-')}.txt"
            with open(path, "w") as handle:
                handle.write(out.getvalue())
            profile.dump_stats(path.removesuffix(".txt") + ".prof")  # for pstats' callees
            self.stderr.write(f"wrote {path}")


def _multi(fields: list[tuple[str, str]]):
    """Form fields as the test client wants them: repeated names as lists."""
    grouped: dict[str, list[str]] = {}
    for name, value in fields:
        grouped.setdefault(name, []).append(value)
    for name, values in grouped.items():
        yield name, values if len(values) > 1 else values[0]
