"""`python -m bench.faults`: races and faults through real servers, with figures (issue 11).

Builds a small fresh database (hw_bench_faults unless --db), then:

1. race       100 people send the same booth slot at once, through two gunicorn instances:
              exactly 1 reservation, 99 "just taken" (409), 0 5xx.
   race-counselor  the same for one counselor's online consultation slot (CON-7).
2. two-servers booking load through two gunicorn instances, three people per slot: no slot
              held twice, every success in the database once.
3. jobs       two machines' procrastinate workers (a job and a mail worker each) side by side
              for --jobs-seconds with overdue requests and booking mail: each no-show recorded
              once, no mail sent twice, none left behind, no job run twice at once.
4. postgres   PostgreSQL stopped and started in the middle of the booking load: every booking
              answered as a success is in the database exactly once, answers during the outage
              are 503 pages (never a 500), the servers recover without a restart.
5. smtp       the SMTP server down for a while under load, then back: 0 mails lost, 0 sent
              twice, booking latency unaffected.
6. smtp-hung  a mail server that accepts and never answers for --hang-seconds: bookings and
              the other jobs go on, one connection at a time, then nothing lost or twice.
7. kill-worker the mail worker SIGKILLed in the middle of a batch: the stalled job is run
              again (retry_stalled_jobs), the claimed message after its lease; 0 lost, 0 twice.
8. stop-worker the mail worker SIGTERMed in the middle of a batch finishes it and exits 0.

Traffic goes to 127.0.0.1 only; every loop is bounded in count and time. The table lists each
figure as measured; a run that misses a target says so and exits with status 1.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from . import client
from .servers import (
    ROOT,
    Gunicorn,
    Process,
    django_env,
    free_port,
    manage,
    on_sigterm_exit,
    wait_for,
)

VAR = ROOT / "var" / "bench" / "faults"


@dataclass
class Check:
    scenario: str
    figure: str
    measured: str
    ok: bool


@dataclass
class Run:
    url: str
    checks: list[Check] = field(default_factory=list)

    def check(self, scenario: str, figure: str, measured, ok: bool) -> None:
        self.checks.append(Check(scenario, figure, str(measured), bool(ok)))
        print(f"  {'ok    ' if ok else 'MISSED'} {scenario}: {figure} = {measured}", flush=True)

    def sql(self, query: str, params=()) -> list[tuple]:
        with psycopg.connect(self.url, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()


# --- Setup ---------------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    name = url.rsplit("/", 1)[-1]
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an unusual database name: {name}")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    manage(url, "migrate", "--noinput", "-v0")
    manage(url, "createcachetable")
    manage(url, "bench_data", "--offices", "12", "--users", "3000", "--reservations", "2000")
    manage(url, "collectstatic", "--noinput", "-v0")


def start_servers(run: Run, count: int, tag: str, **extra) -> list[Gunicorn]:
    servers = [
        Gunicorn(run.url, free_port(), VAR / f"gunicorn-{tag}-{n}.log", workers=2, **extra)
        for n in range(count)
    ]
    for server in servers:
        server.wait_up()
    return servers


def stop_all(processes) -> None:
    for process in processes:
        process.stop()


def plan(run: Run, mode: str, count: int, name: str) -> list[dict]:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f"{name}.jsonl"
    manage(run.url, "bench_sessions", "--mode", mode, "--count", str(count), "--out", str(path))
    return client.read_plan(str(path))


def active_doubles(run: Run) -> int:
    """Slots (booth, start) held by more than one active reservation: must always be 0."""
    return run.sql(
        "SELECT count(*) FROM (SELECT booth_id, starts_at FROM booths_reservation "
        "WHERE status IN ('requested', 'confirmed', 'checked_in') "
        "GROUP BY booth_id, starts_at HAVING count(*) > 1) AS doubles"
    )[0][0]


def booked_exactly_once(run: Run, outcomes: list[client.Outcome], lines: list[dict]) -> tuple:
    """Of the answers that said "booked": how many are in the database once, with their user."""
    ids = [o.reservation_id for o in outcomes if o.result == "booked"]
    if not ids:
        return 0, 0
    rows = run.sql(
        "SELECT id, user_id, booth_id, starts_at FROM booths_reservation WHERE id = ANY(%s)",
        (ids,),
    )
    found = {row[0]: row for row in rows}
    # The same person and slot booked twice would be two rows: count them per (user, slot).
    twice = run.sql(
        "SELECT count(*) FROM (SELECT user_id, booth_id, starts_at FROM booths_reservation "
        "WHERE user_id = ANY(%s) GROUP BY user_id, booth_id, starts_at HAVING count(*) > 1) d",
        ([line["user"] for line in lines],),
    )[0][0]
    return sum(1 for i in ids if i in found), twice


def fives(outcomes: list[client.Outcome]) -> collections.Counter:
    return collections.Counter(
        o.result
        for o in outcomes
        if o.result.startswith("error-5") or o.result.startswith("failed")
    )


# --- 1. The race for one slot --------------------------------------------------------------


RACES = {
    # scenario: (bench_sessions mode, the active bookings of the slot raced for)
    "race": (
        "race",
        "SELECT count(*) FROM booths_reservation WHERE booth_id = %s AND starts_at = %s "
        "AND status IN ('requested', 'confirmed', 'checked_in')",
        "booth",
    ),
    "race-counselor": (
        "race-online",
        "SELECT count(*) FROM consultations_consultation WHERE counselor_id = %s "
        "AND starts_at = %s AND status IN ('requested', 'confirmed', 'checked_in')",
        "counselor",
    ),
}


def race(run: Run, people: int, scenario: str = "race") -> None:
    mode, stored_sql, owner = RACES[scenario]
    print(f"[{scenario}] {people} people, one slot, two servers", flush=True)
    lines = plan(run, mode, people, scenario)
    servers = start_servers(run, 2, scenario)
    try:
        ready: list[tuple[client.Browser, str, client.Response]] = []
        for n, line in enumerate(lines):
            browser = client.browser_for(servers[n % 2].port, line)
            check_path = line["slot_path"]
            page = client.prepare_check(browser, check_path)
            browser.close()  # a fresh connection each, all opened at the barrier
            ready.append((browser, check_path, page))
        barrier = threading.Barrier(len(ready), timeout=60)
        outcomes: list[client.Outcome] = []
        lock = threading.Lock()

        def send(browser, check_path, page):
            barrier.wait()
            try:
                outcome = client.finish(browser, check_path, page, time.perf_counter())
            except (OSError, Exception) as error:  # counted, never raised out of a thread
                outcome = client.Outcome(f"failed-{type(error).__name__}", 0.0)
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=send, args=item, daemon=True) for item in ready]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stop_all(servers)
    counts = collections.Counter(o.result for o in outcomes)
    stored = run.sql(stored_sql, (lines[0][owner], lines[0]["starts_at"]))[0][0]
    run.check(scenario, "bookings stored for the slot (target 1)", stored, stored == 1)
    run.check(scenario, "answered booked (target 1)", counts["booked"], counts["booked"] == 1)
    run.check(
        scenario,
        f"answered 409 just taken (target {people - 1})",
        counts["taken"],
        counts["taken"] == people - 1,
    )
    bad = sum(v for k, v in counts.items() if k not in ("booked", "taken"))
    run.check(scenario, "5xx or other answers (target 0)", dict(counts) if bad else 0, bad == 0)


# --- 2. Two servers under booking load -----------------------------------------------------


def contended(lines: list[dict], per_slot: int) -> list[dict]:
    """Give every `per_slot` consecutive people the same slot (they are of the same office)."""
    by_booth: dict[int, list[dict]] = collections.defaultdict(list)
    for line in lines:
        by_booth[line["booth"]].append(line)
    out = []
    for group in by_booth.values():
        for n, line in enumerate(group):
            out.append({**line, "slot_path": group[n - n % per_slot]["slot_path"]})
    return out


def two_servers(run: Run, seconds: int) -> None:
    print(f"[two-servers] booking load through two gunicorn instances, {seconds} s", flush=True)
    lines = contended(plan(run, "booking", 1500, "two-servers"), per_slot=3)
    servers = start_servers(run, 2, "two")
    try:
        report = client.booking_load(lines, [s.port for s in servers], clients=16, seconds=seconds)
    finally:
        stop_all(servers)
    summary = report.summary()
    print(f"  {json.dumps(summary)}", flush=True)
    doubles = active_doubles(run)
    found, twice = booked_exactly_once(run, report.outcomes, lines)
    booked = report.count("booked")
    run.check("two-servers", "slots held twice (target 0)", doubles, doubles == 0)
    run.check(
        "two-servers",
        "bookings answered as success found in the DB once",
        f"{found}/{booked} (twice: {twice})",
        found == booked and twice == 0 and booked > 0,
    )
    errors = fives(report.outcomes)
    run.check("two-servers", "5xx or failed answers (target 0)", dict(errors) or 0, not errors)
    run.check(
        "two-servers",
        "contended slots answered 409",
        report.count("taken"),
        report.count("taken") > 0,
    )


# --- Mail: an SMTP server that records, and outbox counts ----------------------------------


class Smtp:
    def __init__(self, port: int, out: Path, delay: float = 0.0):
        self.port, self.out, self.delay = port, out, delay
        self.process: Process | None = None

    def start(self) -> None:
        self.process = Process(
            [
                sys.executable,
                *("-m", "bench.smtp", "--port", str(self.port), "--out", str(self.out)),
                *("--delay", str(self.delay)),
            ],
            django_env(""),
            VAR / "smtp.log",
        )
        if not wait_for(lambda: _listening(self.port), 15):
            raise RuntimeError("the SMTP server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def received(self) -> collections.Counter:
        if not self.out.exists():
            return collections.Counter()
        counts: collections.Counter = collections.Counter()
        for line in self.out.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            counts[(tuple(sorted(item["to"])), _plain(item["subject"]))] += 1
        return counts


def _plain(subject: str) -> str:
    """A subject as both sides spell it (a decoded header may keep folding whitespace)."""
    return " ".join(subject.split())


def _listening(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def outbox(run: Run, since_id: int = 0) -> tuple[collections.Counter, collections.Counter]:
    """Per (recipients, subject): messages marked sent, and messages not sent yet."""
    sent: collections.Counter = collections.Counter()
    waiting: collections.Counter = collections.Counter()
    for to, subject, status in run.sql(
        'SELECT "to", subject, status FROM core_outboxmessage WHERE id > %s', (since_id,)
    ):
        key = (tuple(sorted(to)), _plain(subject))
        (sent if status == "sent" else waiting)[key] += 1
    return sent, waiting


def compare_mail(run: Run, scenario: str, smtp: Smtp, since_id: int) -> None:
    sent, waiting = outbox(run, since_id)
    received = smtp.received()
    twice = sum(max(0, received[key] - count) for key, count in sent.items())
    unknown = sum(count for key, count in received.items() if key not in sent)
    lost = sum(max(0, count - received[key]) for key, count in sent.items()) + sum(waiting.values())
    total = sum(sent.values())
    run.check(scenario, "mails sent (outbox rows)", total, total > 0)
    run.check(scenario, "mails lost or still waiting (target 0)", lost, lost == 0)
    run.check(scenario, "mails received twice (target 0)", twice + unknown, twice + unknown == 0)


def settle_outbox(run: Run) -> None:
    """Mail left by earlier scenarios went to no server: mark it, so each count starts clean."""
    run.sql(
        "UPDATE core_outboxmessage SET status = 'sent', sent_at = now(), "
        "last_error = 'bench: left by an earlier scenario, not delivered' "
        "WHERE status <> 'sent' RETURNING id"
    )


def max_outbox_id(run: Run) -> int:
    return run.sql("SELECT coalesce(max(id), 0) FROM core_outboxmessage")[0][0]


def drain(run: Run, since_id: int, seconds: int) -> bool:
    """Wait (bounded) until no message from `since_id` on is waiting."""
    return wait_for(
        lambda: (
            run.sql(
                "SELECT count(*) FROM core_outboxmessage WHERE id > %s AND status <> 'sent'",
                (since_id,),
            )[0][0]
            == 0
        ),
        seconds,
        step=2,
    )


# --- 3. Job workers side by side ------------------------------------------------------------


WORKER = [sys.executable, "manage.py", "procrastinate", "worker"]


def workers(env: dict[str, str], tag: str, machines: int = 2) -> list[Process]:
    """What each app server runs: a worker for the periodic jobs and one for mail."""
    return [
        Process(
            [*WORKER, "--name", f"{queue}-{n}", "--queues", queue],
            env,
            VAR / f"worker-{tag}-{queue}-{n}.log",
        )
        for n in range(machines)
        for queue in ("default", "mail")
    ]


def db_now(run: Run):
    return run.sql("SELECT now()")[0][0]


def job_runs(run: Run, since) -> list[tuple[str, int, object, object]]:
    """Every run of a job started since `since`: (task, job id, started, ended or None)."""
    return run.sql(
        "SELECT j.task_name, j.id, s.at, (SELECT min(e.at) FROM procrastinate_events e "
        "WHERE e.job_id = j.id AND e.at >= s.at AND e.type IN "
        "('succeeded', 'failed', 'deferred_for_retry', 'aborted')) "
        "FROM procrastinate_jobs j JOIN procrastinate_events s "
        "ON s.job_id = j.id AND s.type = 'started' WHERE s.at >= %s ORDER BY s.at",
        (since,),
    )


def overlapping(runs) -> collections.Counter:
    """Per task: runs that started before an earlier run of the same task had ended."""
    by_task: dict[str, list] = collections.defaultdict(list)
    for task, _id, started, ended in runs:
        by_task[task].append((started, ended))
    overlaps: collections.Counter = collections.Counter()
    for task, spans in by_task.items():
        latest_end = None
        for started, ended in sorted(spans, key=lambda span: span[0]):
            if latest_end is not None and started < latest_end:
                overlaps[task] += 1
            # A run that never ended (its worker killed) holds its lock until it is retried.
            end = ended if ended is not None else started + timedelta(days=1)
            latest_end = end if latest_end is None else max(latest_end, end)
    return overlaps


def runs_per_worker(processes: list[Process]) -> dict[str, int]:
    return {
        p.log.stem.removeprefix("worker-"): p.log.read_text(errors="replace").count("Starting job ")
        for p in processes
    }


def crashed(processes: list[Process]) -> list[str]:
    return [p.log.name for p in processes if "Traceback" in p.log.read_text(errors="replace")]


def jobs(run: Run, seconds: int) -> None:
    print(f"[jobs] two machines' job and mail workers side by side for {seconds} s", flush=True)
    since = max_outbox_id(run)
    # Mail of earlier scenarios went nowhere: start from a clean outbox for this count.
    settle_outbox(run)
    started_at = db_now(run)
    overdue = json.loads(manage(run.url, "bench_overdue", "--count", "60").strip().splitlines()[-1])
    smtp = Smtp(free_port(), VAR / "smtp-jobs.jsonl")
    smtp.out.unlink(missing_ok=True)
    smtp.start()
    env = django_env(run.url, EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}", LOG_LEVEL="INFO")
    running = workers(env, "jobs")
    # The overdue people must not book now: their one mail must be the no-show's.
    overdue_users = set(overdue["users"])
    lines = [
        line
        for line in plan(run, "booking", 400, "jobs-booking")
        if line["user"] not in overdue_users
    ]
    servers = start_servers(run, 1, "jobs")
    try:
        report = client.booking_load(lines, [servers[0].port], clients=8, seconds=min(seconds, 30))
        time.sleep(max(0, seconds - report.seconds))
    finally:
        stop_all(servers)
        drain(run, since, 30)
        stop_all(running)
        smtp.stop()
    ids = overdue["reservations"]
    recorded = run.sql(
        "SELECT count(*) FROM booths_reservation WHERE id = ANY(%s) AND status = 'no_show'", (ids,)
    )[0][0]
    per_user = run.sql(
        'SELECT "to"::text, count(*) FROM core_outboxmessage WHERE id > %s AND "to"::text = '
        "ANY(%s) GROUP BY 1",
        (since, [json.dumps([email]) for email in overdue["emails"]]),
    )
    twice = sum(1 for _to, count in per_user if count > 1)
    run.check("jobs", f"no-shows recorded of {len(ids)} overdue", recorded, recorded == len(ids))
    run.check(
        "jobs",
        "no-show mails queued per person (target exactly 1 each)",
        f"{len(per_user)} people, {twice} with more than one",
        len(per_user) == len(ids) and twice == 0,
    )
    compare_mail(run, "jobs", smtp, since)
    runs = job_runs(run, started_at)
    per_task = collections.Counter(task for task, *_ in runs)
    print(f"  runs per task: {dict(per_task)}", flush=True)
    print(f"  runs per worker: {runs_per_worker(running)}", flush=True)
    overlaps = overlapping(runs)
    run.check(
        "jobs",
        f"job runs ({len(runs)}) overlapping a run of the same job (target 0)",
        dict(overlaps) or 0,
        not overlaps and len(runs) > 0,
    )
    busy = [name for name, count in runs_per_worker(running).items() if count == 0]
    run.check("jobs", "workers that ran no job (target 0)", busy or 0, not busy)
    failed = run.sql(
        "SELECT count(*) FROM procrastinate_jobs j WHERE j.status = 'failed' AND EXISTS "
        "(SELECT 1 FROM procrastinate_events e WHERE e.job_id = j.id AND e.at >= %s)",
        (started_at,),
    )[0][0]
    run.check("jobs", "jobs failed (target 0)", failed, failed == 0)
    run.check(
        "jobs", "workers that crashed (target 0)", crashed(running) or 0, not crashed(running)
    )


# --- 4. PostgreSQL restarted under load ----------------------------------------------------


def database_port(url: str) -> int:
    port = urlsplit(url).port
    return port or 5432


def postgres_cluster(port: int) -> tuple[str, str]:
    """The Debian cluster (version, name) listening on `port`."""
    listed = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    for line in listed.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] == str(port):
            return parts[0], parts[1]
    raise RuntimeError(f"no PostgreSQL cluster on port {port} (pg_lsclusters)")


def postgres(run: Run, seconds: int, outage: float) -> None:
    print(
        f"[postgres] stopped for {outage:.0f} s in the middle of {seconds} s of booking", flush=True
    )
    port = database_port(run.url)
    version, cluster = postgres_cluster(port)
    lines = plan(run, "booking", 1500, "postgres-booking")
    servers = start_servers(run, 2, "pg")
    timeline: dict[str, float] = {}

    def restart():
        time.sleep(seconds / 3)
        timeline["down"] = time.monotonic()
        base = ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster]
        subprocess.run([*base, "stop", "-m", "fast"], check=True, timeout=60)
        time.sleep(outage)
        subprocess.run([*base, "start"], check=True, timeout=60)
        wait_for(lambda: _listening(port), 30)
        timeline["up"] = time.monotonic()

    restarter = threading.Thread(target=restart, daemon=True)
    try:
        started = time.monotonic()
        restarter.start()
        statuses: list[tuple[float, str]] = []
        report = _timed_booking(lines, [s.port for s in servers], seconds, statuses)
        restarter.join(timeout=120)
    finally:
        stop_all(servers)
    if not wait_for(lambda: _listening(port), 60):
        raise RuntimeError("PostgreSQL did not come back")
    time.sleep(1)
    found, twice = booked_exactly_once(run, report.outcomes, lines)
    booked = report.count("booked")
    run.check(
        "postgres",
        "bookings answered as success found in the DB exactly once",
        f"{found}/{booked} (twice: {twice})",
        found == booked and twice == 0,
    )
    counts = collections.Counter(result for _at, result in statuses)
    run.check(
        "postgres",
        "answers during the outage: 503 pages",
        counts["error-503"],
        counts["error-503"] > 0,
    )
    run.check("postgres", "answers 500 (target 0)", counts["error-500"], counts["error-500"] == 0)
    up = timeline.get("up", started)
    after = [at for at, result in statuses if result == "booked" and at > up]
    recovered = round(min(after) - up, 1) if after else None
    run.check(
        "postgres",
        "first booking after PostgreSQL is back, without restarting the servers (s)",
        recovered,
        recovered is not None and recovered < 15,
    )
    run.check(
        "postgres", "slots held twice (target 0)", active_doubles(run), active_doubles(run) == 0
    )


def _timed_booking(lines, ports, seconds, statuses) -> client.LoadReport:
    """The booking load, also noting when each attempt ended (for the outage timeline)."""
    lock = threading.Lock()
    cursor = iter(lines)
    report = client.LoadReport()
    deadline = time.monotonic() + seconds

    def worker(number):
        line, tries = None, 0
        while time.monotonic() < deadline:
            if line is None:
                with lock:
                    line, tries = next(cursor, None), 0
                if line is None:
                    return
            browser = client.browser_for(ports[number % len(ports)], line, timeout=15)
            outcome = client.book(browser, line["slot_path"])
            browser.close()
            tries += 1
            with lock:
                report.outcomes.append(outcome)
                statuses.append((time.monotonic(), outcome.result))
            if outcome.result.startswith(("error-", "failed-")) and tries < 40:
                # As a person would: try the same booking again shortly, rather than a new
                # person each time (fast 503 answers would spend the whole plan in the outage).
                time.sleep(0.25)
            else:
                line = None

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(16)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    report.seconds = time.monotonic() - started
    return report


# --- 5. SMTP down, then back ---------------------------------------------------------------


def smtp_outage(run: Run, seconds: int, outage: int, drain_seconds: int) -> None:
    print(f"[smtp] SMTP down for {outage} s under {seconds} s of booking load", flush=True)
    settle_outbox(run)
    since = max_outbox_id(run)
    smtp = Smtp(free_port(), VAR / "smtp-outage.jsonl")
    smtp.out.unlink(missing_ok=True)
    smtp.start()
    env = django_env(run.url, EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}", EMAIL_TIMEOUT="5")
    running = workers(env, "smtp", machines=1)
    lines = plan(run, "booking", 1500, "smtp-booking")
    servers = start_servers(run, 1, "smtp")
    timeline: dict[str, float] = {}

    def outage_window():
        time.sleep(seconds / 3)
        smtp.stop()
        timeline["down"] = time.monotonic()
        time.sleep(outage)
        smtp.start()
        timeline["up"] = time.monotonic()

    switch = threading.Thread(target=outage_window, daemon=True)
    statuses: list[tuple[float, str]] = []
    try:
        switch.start()
        report = _timed_booking(lines, [servers[0].port], seconds, statuses)
        switch.join(timeout=outage + seconds + 30)
        # Failed attempts wait 1, then 2 … minutes before the next try (core.outbox.backoff_for).
        drained = drain(run, since, drain_seconds)
    finally:
        stop_all(servers)
        stop_all(running)
        smtp.stop()
    run.check(
        "smtp", f"outbox drained within {drain_seconds} s after SMTP returned", drained, drained
    )
    compare_mail(run, "smtp", smtp, since)
    during = [
        o.seconds
        for (at, _r), o in zip(statuses, report.outcomes, strict=False)
        if timeline.get("down", 0) <= at <= timeline.get("up", 0)
    ]
    outside = [
        o.seconds
        for (at, _r), o in zip(statuses, report.outcomes, strict=False)
        if not timeline.get("down", 0) <= at <= timeline.get("up", 0)
    ]
    if len(during) >= 5 and len(outside) >= 5:
        p95_in = statistics.quantiles(during, n=20)[18] * 1000
        p95_out = statistics.quantiles(outside, n=20)[18] * 1000
        run.check(
            "smtp",
            "booking flow p95 with SMTP down vs up (ms)",
            f"{p95_in:.0f} vs {p95_out:.0f}",
            p95_in <= max(1.5 * p95_out, p95_out + 100),
        )
    errors = fives(report.outcomes)
    run.check("smtp", "5xx or failed answers (target 0)", dict(errors) or 0, not errors)


# --- 6. A mail server that accepts and never answers -----------------------------------------


class HungSmtp:
    """Accepts connections (the kernel does, from its backlog) and never says a word; counts
    how many senders are connected at once."""

    def __init__(self, port: int):
        import socket

        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(64)
        self.accepted = self.most_at_once = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import select

        clients = []
        while not self.stopping.is_set():
            readable, _, _ = select.select([self.listener, *clients], [], [], 0.2)
            for sock in readable:
                if sock is self.listener:
                    conn, _ = sock.accept()
                    clients.append(conn)
                    self.accepted += 1
                    self.most_at_once = max(self.most_at_once, len(clients))
                elif not sock.recv(4096):  # the sender gave up and closed
                    clients.remove(sock)
                    sock.close()
        for sock in [*clients, self.listener]:
            sock.close()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)


def _p95_ms(outcomes) -> float | None:
    times = [o.seconds for o in outcomes if o.result == "booked"]
    return statistics.quantiles(times, n=20)[18] * 1000 if len(times) >= 5 else None


def smtp_hung(run: Run, hang: int, drain_seconds: int) -> None:
    print(f"[smtp-hung] the mail server accepts and never answers for {hang} s", flush=True)
    settle_outbox(run)
    since = max_outbox_id(run)
    port = free_port()
    smtp = Smtp(port, VAR / "smtp-hung.jsonl")
    smtp.out.unlink(missing_ok=True)
    env = django_env(run.url, EMAIL_URL=f"smtp://127.0.0.1:{port}", EMAIL_TIMEOUT="10")
    lines = plan(run, "booking", 1500, "hung-booking")
    before_lines, hung_lines = lines[:400], lines[400:]
    servers = start_servers(run, 1, "hung")
    smtp.start()
    running = workers(env, "hung", machines=1)
    hung = None
    try:
        before = client.booking_load(before_lines, [servers[0].port], clients=8, seconds=20)
        drain(run, since, 60)
        smtp.stop()
        hung = HungSmtp(port)
        overdue = json.loads(
            manage(run.url, "bench_overdue", "--count", "20").strip().splitlines()[-1]
        )
        hung_from = db_now(run)
        during = client.booking_load(hung_lines, [servers[0].port], clients=8, seconds=hang)
        hung_until = db_now(run)
        alive = sum(1 for p in running if p.alive())
        hung.stop()
        smtp.start()
        waiting = run.sql(
            "SELECT count(*) FROM core_outboxmessage WHERE id > %s AND status <> 'sent'", (since,)
        )[0][0]
        drained = drain(run, since, drain_seconds)
    finally:
        stop_all(servers)
        stop_all(running)
        if hung is not None:
            hung.stop()
        smtp.stop()
    p95_before, p95_during = _p95_ms(before.outcomes), _p95_ms(during.outcomes)
    run.check(
        "smtp-hung",
        "bookings while the server hung (answered booked)",
        during.count("booked"),
        during.count("booked") > 0,
    )
    run.check(
        "smtp-hung",
        "booking flow p95 hung vs before (ms)",
        f"{p95_during:.0f} vs {p95_before:.0f}" if p95_before and p95_during else None,
        bool(p95_before and p95_during and p95_during <= max(1.5 * p95_before, p95_before + 100)),
    )
    errors = fives(before.outcomes + during.outcomes)
    run.check("smtp-hung", "5xx or failed answers (target 0)", dict(errors) or 0, not errors)
    ids = overdue["reservations"]
    recorded = run.sql(
        "SELECT count(*) FROM booths_reservation WHERE id = ANY(%s) AND status = 'no_show'", (ids,)
    )[0][0]
    run.check(
        "smtp-hung",
        f"no-shows recorded by the other worker while mail hung, of {len(ids)}",
        recorded,
        recorded == len(ids),
    )
    other = run.sql(
        "SELECT count(*) FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id"
        " WHERE j.queue_name = 'default' AND e.type = 'succeeded' AND e.at BETWEEN %s AND %s",
        (hung_from, hung_until),
    )[0][0]
    run.check("smtp-hung", "other jobs that succeeded during the hang", other, other > 0)
    run.check(
        "smtp-hung",
        "mail waiting when the server came back (delayed, target > 0)",
        waiting,
        waiting > 0,
    )
    run.check(
        "smtp-hung",
        "connections to the hung server: accepted, most at once (one mail worker)",
        f"{hung.accepted}, {hung.most_at_once}",
        hung.most_at_once <= 1,
    )
    run.check("smtp-hung", "worker processes alive during the hang (started 2)", alive, alive == 2)
    run.check("smtp-hung", f"outbox drained within {drain_seconds} s", drained, drained)
    compare_mail(run, "smtp-hung", smtp, since)
    run.check(
        "smtp-hung", "workers that crashed (target 0)", crashed(running) or 0, not crashed(running)
    )


# --- 7. A mail worker killed in the middle of a batch ------------------------------------------

ENQUEUE = """
from django.core.mail import EmailMessage
from django.db import transaction
from core.outbox import outbox_enqueue
with transaction.atomic():
    for n in range({count}):
        outbox_enqueue(message=EmailMessage(
            subject=f"kill-batch {{n}}", body="x", to=[f"kill{{n}}@example.jp"]))
"""


def slow_smtp(run: Run, name: str) -> tuple[int, Smtp]:
    """A clean outbox, and a recording server that answers each message 0.3 s late."""
    settle_outbox(run)
    since = max_outbox_id(run)
    smtp = Smtp(free_port(), VAR / f"smtp-{name}.jsonl", delay=0.3)
    smtp.out.unlink(missing_ok=True)
    smtp.start()
    return since, smtp


def start_batch(run: Run, smtp: Smtp, count: int) -> None:
    """Queue `count` messages in one transaction (one deferred batch); wait until it sends."""
    manage(run.url, "shell", "-c", ENQUEUE.format(count=count))
    if not wait_for(lambda: sum(smtp.received().values()) >= 3, 120):
        raise RuntimeError("the batch did not start")


def kill_worker(run: Run, count: int, drain_seconds: int) -> None:
    print(
        f"[kill-worker] SIGKILL to the mail worker in the middle of a {count}-mail batch",
        flush=True,
    )
    since, smtp = slow_smtp(run, "kill")
    # A claim whose sender died is free again after the lease (production: 300 s).
    env = django_env(run.url, EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}", OUTBOX_LEASE_SECONDS="60")
    first = Process(
        [*WORKER, "--name", "mail-a", "--queues", "mail"], env, VAR / "worker-kill-a.log"
    )
    others: list[Process] = []
    try:
        started_at = db_now(run)
        start_batch(run, smtp, count)
        # The second machine's workers start once the batch runs on the first: its mail
        # worker waits on the batch's lock, its job worker runs retry_stalled_jobs.
        others = [
            Process(
                [*WORKER, "--name", "mail-b", "--queues", "mail"], env, VAR / "worker-kill-b.log"
            ),
            Process(
                [*WORKER, "--name", "default-b", "--queues", "default"],
                env,
                VAR / "worker-kill-c.log",
            ),
        ]
        if not wait_for(lambda: sum(smtp.received().values()) >= count // 3, 120):
            raise RuntimeError("the batch stopped")
        first.signal(9)  # SIGKILL: no chance to finish or to mark anything
        killed_at = time.monotonic()
        before_kill = sum(smtp.received().values())
        drained = drain(run, since, drain_seconds)
        recovered = round(time.monotonic() - killed_at) if drained else None
    finally:
        first.stop()
        stop_all(others)
        smtp.stop()
    run.check("kill-worker", "mails received before the kill", before_kill, 0 < before_kill < count)
    run.check(
        "kill-worker",
        f"outbox drained after the kill, within {drain_seconds} s (s)",
        recovered,
        drained,
    )
    compare_mail(run, "kill-worker", smtp, since)
    retried = run.sql(
        "SELECT count(*) FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id"
        " WHERE j.task_name = 'deliver_mail' AND e.type = 'deferred_for_retry' AND e.at >= %s",
        (started_at,),
    )[0][0]
    run.check(
        "kill-worker", "stalled batch handed out again (retry_stalled_jobs)", retried, retried >= 1
    )
    overlaps = overlapping(job_runs(run, started_at))
    run.check(
        "kill-worker",
        "runs overlapping a run of the same job (target 0)",
        dict(overlaps) or 0,
        not overlaps,
    )
    run.check(
        "kill-worker", "workers that crashed (target 0)", crashed(others) or 0, not crashed(others)
    )


# --- 8. A mail worker asked to stop (SIGTERM) in the middle of a batch ------------------------


def stop_worker(run: Run, count: int) -> None:
    print(
        f"[stop-worker] SIGTERM to the mail worker in the middle of a {count}-mail batch",
        flush=True,
    )
    since, smtp = slow_smtp(run, "stop")
    env = django_env(run.url, EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}")
    worker = Process(
        [*WORKER, "--name", "mail-t", "--queues", "mail"], env, VAR / "worker-stop.log"
    )
    try:
        start_batch(run, smtp, count)
        worker.signal(15)  # SIGTERM, as systemd and `make run` stop it
        at_signal = sum(smtp.received().values())
        worker.proc.wait(timeout=count * 2)
        at_exit = sum(smtp.received().values())
    finally:
        worker.stop()
        smtp.stop()
    _sent, waiting = outbox(run, since)
    run.check(
        "stop-worker",
        "mails received at the signal, at exit (the batch finished)",
        f"{at_signal}, {at_exit} of {count}",
        at_signal < count and at_exit == count,
    )
    run.check(
        "stop-worker",
        "worker exit status (target 0)",
        worker.proc.returncode,
        worker.proc.returncode == 0,
    )
    run.check("stop-worker", "messages left unsent (target 0)", sum(waiting.values()), not waiting)
    compare_mail(run, "stop-worker", smtp, since)


# --- Main ----------------------------------------------------------------------------------


def table(run: Run) -> str:
    width = max(len(c.figure) for c in run.checks)
    out = [f"{'scenario':<12} {'figure':<{width}}  {'measured':<28} result"]
    for c in run.checks:
        out.append(
            f"{c.scenario:<12} {c.figure:<{width}}  {c.measured:<28} {'ok' if c.ok else 'MISSED'}"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Races and faults through real servers.")
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/hw_bench_faults")
    parser.add_argument("--keep-db", action="store_true", help="reuse the database as it is")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="race, race-counselor, two-servers, jobs, postgres, smtp, smtp-hung, kill-worker, "
        "stop-worker",
    )
    parser.add_argument("--race-people", type=int, default=100)
    parser.add_argument("--load-seconds", type=int, default=20)
    parser.add_argument("--jobs-seconds", type=int, default=300)
    parser.add_argument("--pg-outage", type=float, default=4.0)
    parser.add_argument("--smtp-outage", type=int, default=15)
    parser.add_argument("--drain-seconds", type=int, default=420)
    parser.add_argument("--hang-seconds", type=int, default=120)
    parser.add_argument("--kill-batch", type=int, default=100)
    parser.add_argument("--out", help="also write the table (Markdown) to this file")
    args = parser.parse_args(argv)
    if not (
        2 <= args.race_people <= 500
        and 1 <= args.load_seconds <= 600
        and 1 <= args.jobs_seconds <= 3600
    ):
        parser.error("--race-people 2..500, --load-seconds 1..600, --jobs-seconds 1..3600")
    if "127.0.0.1" not in args.db and "localhost" not in args.db:
        parser.error("--db must be a local database")
    VAR.mkdir(parents=True, exist_ok=True)
    on_sigterm_exit()
    run = Run(args.db)
    if not args.keep_db:
        print(f"[setup] fresh database {args.db.rsplit('/', 1)[-1]}", flush=True)
        fresh_database(args.db)
    scenarios = {
        "race": lambda: race(run, args.race_people),
        "race-counselor": lambda: race(run, args.race_people, "race-counselor"),
        "two-servers": lambda: two_servers(run, args.load_seconds),
        "jobs": lambda: jobs(run, args.jobs_seconds),
        "postgres": lambda: postgres(run, max(args.load_seconds, 15), args.pg_outage),
        "smtp": lambda: smtp_outage(
            run, max(args.load_seconds, 15), args.smtp_outage, args.drain_seconds
        ),
        "smtp-hung": lambda: smtp_hung(run, args.hang_seconds, args.drain_seconds),
        "kill-worker": lambda: kill_worker(run, args.kill_batch, args.drain_seconds),
        "stop-worker": lambda: stop_worker(run, 30),
    }
    if "postgres" in (args.only or scenarios) and shutil.which("pg_ctlcluster") is None:
        parser.error("pg_ctlcluster is missing: the postgres scenario needs Debian's PostgreSQL")
    for name in args.only or scenarios:
        if name not in scenarios:
            parser.error(f"unknown scenario {name}")
        started = time.monotonic()
        try:
            scenarios[name]()
        except Exception as error:  # a scenario that cannot finish is a miss, not a crash
            run.check(name, "scenario completed", f"{type(error).__name__}: {error}"[:200], False)
        print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    text = table(run)
    print("\n" + text)
    if args.out:
        Path(args.out).write_text("```\n" + text + "\n```\n")
    missed = [c for c in run.checks if not c.ok]
    if missed:
        print(f"\nMISSED {len(missed)} target(s).")
        return 1
    print("\nAll targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
