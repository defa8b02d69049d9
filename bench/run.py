"""`python -m bench.run`: load the pages through real servers and report against the targets.

For each database given (--db LABEL=URL, e.g. 1m=postgres://…/hw_bench_1m), it vacuums and
analyzes it (as autovacuum would have after the run before), starts gunicorn with
config.settings.bench, makes signed-in sessions for many distinct users, drives every page with
wrk (16 connections by default), counts each page's queries in-process, runs the booking flow
(booth and online) as many distinct users and records the workers' memory. Then it times every
write of the booking life in-process (`manage.py bench_writes`) on each database in turns (1M,
10k, 10k, 1M), half the calls a turn, and loads the month and day views once more in the same
turns, so that the 1M/10k ratios compare like with like on a machine whose speed drifts.
Results go to var/bench/*.json and the table to --out (bench/RESULTS.md by default). A missed
target is printed as MISSED and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from . import client
from .figures import quantile
from .servers import (
    ROOT,
    DatabasePriority,
    Gunicorn,
    free_port,
    machine,
    manage,
    on_sigterm_exit,
    prioritise,
)

PAGES = ["floor", "month", "day", "mine", "top", "terms", "admin_day", "admin_calls"]
STAFF_PAGES = {"admin_day", "admin_calls"}  # signed in as counselors (with a second factor)
LABELS = {
    "floor": "same-bytes floor (month bytes from memory)",
    "month": "booth month view",
    "day": "booth day view",
    "mine": "my reservations",
    "top": "top page (signed in)",
    "terms": "terms page (signed in)",
    "admin_day": "admin day sheet (counselor)",
    "admin_calls": "admin call list (counselor)",
}
VAR = ROOT / "var" / "bench"
TARGET_P95_MS = 50.0
TARGET_FLOOR_RATIO = 0.5
TARGET_SCALE_RATIO = 1.1
TARGET_BOOKINGS = 100.0  # booth bookings/s at 1M, 16 clients (issue 21)
TARGET_ONLINE_BOOKINGS = 80.0
TARGET_STAFF_FLOOR_RATIO = 0.25  # the day sheet and the call list (issue 21)
WRITE_LABELS = {
    "book_booth": "booth booking (flows.booking_request)",
    "book_online": "online booking (flows.booking_request)",
    "confirm": "staff confirm (booking_confirm)",
    "cancel_online": "person cancels online (booking_cancel_online)",
    "cancel_phone": "staff cancel by phone (booking_cancel_by_phone)",
    "move": "staff move (flows.booking_move_by_staff)",
    "start": "check-in / start (booking_start)",
    "no_show_sweep": "no-show sweep, per booking (record_overdue_no_shows)",
    "reminders": "reminder job, per reminder (send_reminders)",
    "statistics": "statistics, one office's month (month_statistics)",
    "statistics_national": "statistics, national month (month_statistics)",
}
# Everything after this line in the results file is written by hand and kept across runs.
MARKER = "<!-- analysis: kept across runs -->"


def run_load(
    port: int,
    sessions: Path,
    page: str,
    *,
    seconds: float,
    connections: int,
    driver: str,
    nice: int = 0,
) -> dict:
    if driver == "python":
        lines = client.read_plan(str(sessions))
        return client.page_load(lines, page, port, clients=connections, seconds=seconds)
    return run_wrk(port, sessions, page, seconds=seconds, connections=connections, nice=nice)


def run_wrk(
    port: int, sessions: Path, page: str, *, seconds: float, connections: int, nice: int = 0
) -> dict:
    argv = [
        *(["nice", "-n", str(nice)] if nice else []),
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "lua" / "pages.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        str(sessions),
        page,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"WRK_JSON (\{.*\})", done.stdout)
    if not match:
        raise RuntimeError(f"wrk gave no summary:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(match.group(1))
    duration = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.startswith("errors_"))
    return {
        "rps": round(raw["requests"] / duration, 1),
        "requests": raw["requests"],
        "errors": errors,
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "bytes_per_request": round(raw["bytes"] / max(raw["requests"], 1)),
    }


def check_pages(port: int, files: dict[str, Path], pages: list[str]) -> None:
    """Every page answers 200 with content to the first user: a redirect would flatter it."""
    for page in pages:
        line = json.loads(files[page].read_text().splitlines()[0])
        browser = client.Browser(port, line["cookie"])
        response = browser.get(line[page])
        browser.close()
        if response.status != 200:
            raise RuntimeError(f"{page} {line[page]} answered {response.status}")


def database_size(url: str) -> dict:
    with psycopg.connect(url) as conn:
        reservations = conn.execute("SELECT count(*) FROM booths_reservation").fetchone()[0]
        users = conn.execute("SELECT count(*) FROM accounts_user").fetchone()[0]
        offices = conn.execute("SELECT count(*) FROM accounts_office").fetchone()[0]
        version = conn.execute("SHOW server_version").fetchone()[0]
    return {"reservations": reservations, "users": users, "offices": offices, "postgres": version}


def measure(label: str, url: str, args) -> dict:
    with DatabasePriority(url, args.nice):
        return _measure(label, url, args)


def _measure(label: str, url: str, args) -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    result: dict = {
        "label": label,
        "database": url.rsplit("/", 1)[-1],
        "port": urlsplit(url).port or 5432,
        **database_size(url),
    }
    print(f"[{label}] VACUUM (ANALYZE)", flush=True)
    result["vacuum_s"] = vacuum(url)
    sessions = VAR / f"pages-{label}.jsonl"
    print(f"[{label}] sessions for {args.sessions} users", flush=True)
    staff = VAR / f"staff-{label}.jsonl"
    wants_staff = bool(STAFF_PAGES & set(args.pages))
    if wants_staff:
        manage(url, "bench_sessions", "--mode", "staff", "--count", "200", "--out", str(staff))
    files = {page: staff if page in STAFF_PAGES else sessions for page in PAGES}
    manage(
        url,
        "bench_sessions",
        "--mode",
        "pages",
        "--count",
        str(args.sessions),
        "--out",
        str(sessions),
    )
    print(f"[{label}] queries per page (in-process)", flush=True)
    queries = json.loads(
        manage(
            url,
            "bench_queries",
            "--sessions",
            str(sessions),
            *(["--staff-sessions", str(staff)] if wants_staff else []),
            "--pages",
            ",".join(args.pages),
            "--json",
            "--repeat",
            str(args.query_repeat),
            "--users",
            str(args.query_users),
            *(["--profile", str(VAR / f"profile-{label}.txt")] if args.profile else []),
        )
        .strip()
        .splitlines()[-1]
    )
    port = args.port or free_port()
    server = Gunicorn(
        url, port, VAR / f"gunicorn-{label}.log", workers=args.workers, nice=args.nice
    )
    try:
        server.wait_up()
        check_pages(port, files, args.pages)
        pages = {}
        for page in args.pages:
            load = {"connections": args.connections, "driver": args.driver, "nice": args.nice}
            if args.visit_each:
                client.visit_each(
                    client.read_plan(str(files[page])),
                    page,
                    port,
                    clients=args.connections,
                    seconds=120,
                )
            if args.warmup:
                run_load(port, files[page], page, seconds=args.warmup, **load)
            figures = run_load(port, files[page], page, seconds=args.seconds, **load)
            figures.update(queries[page])
            figures["rss_mb"] = max(server.worker_rss_mb() or [0.0])
            figures["load_1m"] = round(os.getloadavg()[0], 1)
            pages[page] = figures
            print(f"[{label}] {page:<6} {json.dumps(figures)}", flush=True)
        result["pages"] = pages
        if args.booking_seconds:
            for flow in args.booking_flows:
                suffix = "" if flow == "two" else "_form"
                result[f"booking{suffix}"] = booking(label, url, port, server, args, flow=flow)
                result[f"booking_online{suffix}"] = booking(
                    label, url, port, server, args, online=True, flow=flow
                )
    finally:
        server.stop()
    return result


def vacuum(url: str) -> float:
    """`VACUUM (ANALYZE)` of the whole database, as autovacuum would have done after the run
    before (a cluster may run without it: this machine's does). Without it, a freshly loaded
    database is read with its hint bits unset and no visibility map, and one measured before
    carries the dead row versions of every booking and write of that run. Seconds taken."""
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return round(time.monotonic() - started, 1)


def turns(labels: list[str]) -> list[str]:
    """The order of the writes' turns: every database, then every one again backwards (1M,
    10k, 10k, 1M), so a drift of the machine's speed over the run weighs on each alike."""
    return [*labels, *reversed(labels)]


def pool_writes(runs: list[dict]) -> dict:
    """One database's writes over its turns (`bench_writes --json` objects): the calls'
    samples pooled, each write's figures computed over all of them."""
    pooled: dict[str, dict] = {}
    for run in runs:
        for write, figures in run.items():
            into = pooled.setdefault(write, {"samples": [], "handled": 0, "errors": {}})
            into["samples"] += figures.get("samples", [])
            into["handled"] += figures.get("handled", 0)
            for code, n in figures.get("errors", {}).items():
                into["errors"][code] = into["errors"].get(code, 0) + n
            if "mails" in figures:  # the alerts' jobs: mails over the turns, the most in a run
                into["mails"] = into.get("mails", 0) + figures["mails"]
                into["mails_max"] = max(into.get("mails_max", 0), figures["mails_max"])
    out = {}
    for write, into in pooled.items():
        samples = into.pop("samples")
        if not samples:
            out[write] = {"n": 0, **into}
            continue
        ms = [m for m, _q in samples]
        queries = [q for _m, q in samples]
        out[write] = {
            "n": len(samples),
            "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(quantile(ms, 95), 2),
            "queries": round(statistics.median(queries)),
            "queries_max": max(queries),
            **into,
        }
    return out


def measure_writes(databases: dict[str, str], args) -> dict[str, dict]:
    """Every write in-process (`manage.py bench_writes`) on each database, in turns (see
    `turns`), half of `--writes` calls a turn."""
    count = max(1, -(-args.writes // 2))
    runs: dict[str, list[dict]] = {label: [] for label in databases}
    for label in turns(list(databases)):
        url = databases[label]
        print(f"[{label}] every write in-process (bench_writes --count {count})", flush=True)
        with DatabasePriority(url, args.nice):
            runs[label].append(
                json.loads(
                    manage(url, "bench_writes", "--count", str(count), "--json")
                    .strip()
                    .splitlines()[-1]
                )
            )
    return {label: pool_writes(label_runs) for label, label_runs in runs.items()}


SCALE_PAGES = ("month", "day")


def measure_scale(databases: dict[str, str], args) -> dict[str, dict]:
    """The month and day views' p95 on every database in turns (see `turns`), each database's
    server up at once and loaded one at a time, every user having loaded the page once on each
    (`--no-visit-each` skips it), half of `--seconds` a turn after the warm-up:
    the 1M/10k ratio of a page's p95 compares loads made under the same drift of the machine
    (measured once each, minutes apart, even the floor, which reads no data, gave a 1M/10k
    p95 ratio of 1.29 in one run). A database's figure is the mean of its turns' p95."""
    servers = {}
    try:
        for label, url in databases.items():
            servers[label] = Gunicorn(
                url,
                args.port + 1 + len(servers) if args.port else free_port(),
                VAR / f"gunicorn-scale-{label}.log",
                workers=args.workers,
                nice=args.nice,
            )
        for server in servers.values():
            server.wait_up()
        found: dict[str, dict] = {label: {} for label in databases}
        load = {"connections": args.connections, "driver": args.driver, "nice": args.nice}
        for page in SCALE_PAGES:
            if args.visit_each:
                # New workers: every user loads the page once, as before the page's own run
                # (a warm-up alone left the first turn at several times the later ones' p95).
                for label in databases:
                    lines = client.read_plan(str(VAR / f"pages-{label}.jsonl"))
                    port = servers[label].port
                    client.visit_each(lines, page, port, clients=args.connections, seconds=120)
            for label in turns(list(databases)):
                sessions = VAR / f"pages-{label}.jsonl"
                port = servers[label].port
                with DatabasePriority(databases[label], args.nice):
                    if args.warmup:
                        run_load(port, sessions, page, seconds=args.warmup, **load)
                    figures = run_load(port, sessions, page, seconds=args.seconds / 2, **load)
                found[label].setdefault(page, []).append(figures["p95_ms"])
                print(f"[{label}] {page} turn p95 {figures['p95_ms']} ms", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    return {
        label: {
            page: {"p95_ms": round(statistics.fmean(p95s), 1), "turns": p95s}
            for page, p95s in pages.items()
        }
        for label, pages in found.items()
    }


def scale_ratios(results: dict[str, dict]) -> dict[str, float]:
    """The month and day views' p95 at 1M over 10k, by turns when measured so (else from
    each database's own page run)."""
    big, small = results.get("1m") or {}, results.get("10k") or {}
    ratios = {}
    for page in SCALE_PAGES:
        for source in ("scale", "pages"):
            if page in big.get(source, {}) and page in small.get(source, {}):
                ratios[page] = big[source][page]["p95_ms"] / max(small[source][page]["p95_ms"], 0.1)
                break
    return ratios


def booking(
    label: str, url: str, port: int, server: Gunicorn, args, online=False, flow="two"
) -> dict:
    """The booking flow as many distinct people, each with a free slot of their office (a
    booth's, or online its first counselor's): `flow` "two" opens the slot link with the
    answers picked on the day page (check page, send), "three" asks them on the request form
    (form, check page, send)."""
    mode = "booking-online" if online else "booking"
    plan_path = VAR / f"{mode}-{flow}-{label}.jsonl"
    manage(
        url,
        "bench_sessions",
        "--mode",
        mode,
        "--count",
        str(args.booking_users),
        "--out",
        str(plan_path),
    )
    plan = client.read_plan(str(plan_path))
    print(
        f"[{label}] {mode} flow ({flow} requests): {len(plan)} distinct users, "
        f"{args.booking_seconds} s",
        flush=True,
    )
    # The load driver runs on the same cores as the servers: its own CPU time is reported
    # beside the bookings, so a run shows how much of the machine the measuring took.
    driver_cpu = time.process_time()
    report = client.booking_load(
        plan, [port], clients=args.connections, seconds=args.booking_seconds, flow=flow
    )
    driver_cpu = time.process_time() - driver_cpu
    summary = report.summary()
    summary["flow"] = flow
    summary["driver_cpu_s"] = round(driver_cpu, 2)
    attempts = summary["attempts"] or 1
    summary["driver_cpu_ms_per_booking"] = round(driver_cpu * 1000 / attempts, 2)
    summary["rss_mb"] = max(server.worker_rss_mb() or [0.0])
    print(f"[{label}] {mode} {json.dumps(summary)}", flush=True)
    return summary


def targets(results: dict[str, dict]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for each target the issues set (11 and 21)."""
    rows = []
    big = results.get("1m")
    small = results.get("10k")
    pages = big["pages"] if big else {}
    if {"month", "day"} <= set(pages):
        for page in ("month", "day"):
            p95 = pages[page]["p95_ms"]
            rows.append(
                (
                    f"{page} view p95 ≤ {TARGET_P95_MS:.0f} ms at 1M",
                    f"{p95} ms",
                    p95 <= TARGET_P95_MS,
                )
            )
    if "floor" in pages:
        floor = pages["floor"]["rps"]
        for page, at_least in (
            ("month", TARGET_FLOOR_RATIO),
            ("day", TARGET_FLOOR_RATIO),
            ("admin_day", TARGET_STAFF_FLOOR_RATIO),
            ("admin_calls", TARGET_STAFF_FLOOR_RATIO),
        ):
            if page in pages:
                ratio = pages[page]["rps"] / floor
                rows.append(
                    (
                        f"{LABELS[page]} ≥ {at_least:g}× the floor at 1M",
                        f"{ratio:.2f}×",
                        ratio >= at_least,
                    )
                )
    for key, name, at_least in (
        ("booking", "booth", TARGET_BOOKINGS),
        ("booking_online", "online", TARGET_ONLINE_BOOKINGS),
    ):
        if big and key in big:
            booked = big[key]["booked_per_s"]
            rows.append(
                (
                    f"≥ {at_least:.0f} successful {name} bookings/s at 1M, 16 clients "
                    "(slot link with the answers picked on the day page: check page, send)",
                    f"{booked}/s",
                    booked >= at_least,
                )
            )
    by_turns = bool(big and small and big.get("scale") and small.get("scale"))
    for page, ratio in scale_ratios(results).items():
        rows.append(
            (
                f"{page} p95 1M / 10k ≤ {TARGET_SCALE_RATIO}×"
                + (" (by turns)" if by_turns else ""),
                f"{ratio:.2f}×",
                ratio <= TARGET_SCALE_RATIO,
            )
        )
    for write, ratio in write_ratios(results).items():
        rows.append(
            (
                f"{WRITE_LABELS[write]}: p95 1M / 10k ≤ {TARGET_SCALE_RATIO}×",
                f"{ratio:.2f}×",
                ratio <= TARGET_SCALE_RATIO,
            )
        )
    return rows


def write_ratios(results: dict[str, dict]) -> dict[str, float]:
    """Each write's p95 at 1M over its p95 at 10k."""
    big = (results.get("1m") or {}).get("writes") or {}
    small = (results.get("10k") or {}).get("writes") or {}
    return {
        write: big[write]["p95_ms"] / max(small[write]["p95_ms"], 0.01)
        for write in WRITE_LABELS
        if big.get(write, {}).get("n") and small.get(write, {}).get("n")
    }


def scale_markdown(results: dict[str, dict]) -> list[str]:
    """The month and day views' p95 by turns, when measured so."""
    measured = [(label, r["scale"]) for label, r in results.items() if r.get("scale")]
    if not measured:
        return []
    order = ", ".join(turns([label for label, _s in measured]))
    out = [
        "## Month and day p95 by turns (the 1M / 10k ratio)",
        "",
        f"Both databases' servers up at once, each page loaded in turns ({order}), a warm-up "
        "and half the page run's seconds a turn; a database's p95 is the mean of its turns'.",
        "",
        "| page | " + " | ".join(f"{label} p95 ms (turns)" for label, _s in measured) + " |",
        "| --- |" + " ---: |" * len(measured),
    ]
    for page in SCALE_PAGES:
        cells = [
            f"{scale[page]['p95_ms']} ({' / '.join(str(v) for v in scale[page]['turns'])})"
            if page in scale
            else ""
            for _label, scale in measured
        ]
        out.append(f"| {LABELS[page]} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def writes_markdown(results: dict[str, dict]) -> list[str]:
    """One table of every write at every size, with the 1M/10k ratio of the p95."""
    sized = [(label, r) for label, r in results.items() if r.get("writes")]
    if not sized:
        return []
    head = ["write"]
    for label, _r in sized:
        head += [f"{label} p50 ms", f"{label} p95 ms", f"{label} queries"]
    ratios = write_ratios(results)
    head += ["p95 1M / 10k"] if ratios else []
    out = [
        "## Writes (in-process, `manage.py bench_writes`, each call its own transaction)",
        "",
        "Each database's writes run in two turns, half the calls each, in the order "
        + ", ".join(turns([label for label, _r in sized]))
        + "; the figures are over both turns' calls.",
        "",
        "| " + " | ".join(head) + " |",
        "| --- |" + " ---: |" * (len(head) - 1),
    ]
    for write, label_text in WRITE_LABELS.items():
        cells = [label_text]
        for _label, r in sized:
            w = r["writes"].get(write) or {}
            if not w.get("n"):
                cells += ["", "", ""]
                continue
            queries = w["queries"]
            if w["queries_max"] != queries:
                queries = f"{queries} (max {w['queries_max']})"
            cells += [str(w["p50_ms"]), str(w["p95_ms"]), str(queries)]
        if ratios:
            cells.append(f"{ratios[write]:.2f}×" if write in ratios else "")
        out.append("| " + " | ".join(cells) + " |")
    out += [
        "",
        "Calls per write (n) and errors: "
        + "; ".join(
            f"{label}: "
            + ", ".join(
                f"{write} {w.get('n', 0)}" + (f" {w['errors']}" if w.get("errors") else "")
                for write, w in r["writes"].items()
            )
            for label, r in sized
        )
        + ". The sweep and the reminder job are given per booking they handle (a run's time "
        "over its bookings); their n is runs.",
        "",
    ]
    return out


def markdown(results: dict[str, dict], args, command: str) -> str:
    info = machine()
    out = [
        "# Benchmark results (issue 11)",
        "",
        f"- Date: {info['date']}; commit {info['commit']}",
        f"- Machine: {info['cpu']}, {info['memory']} RAM; Python {info['python']}; "
        f"PostgreSQL {next(iter(results.values()))['postgres']} on port "
        f"{next(iter(results.values())).get('port', 5432)} (5433: a cluster of the harness's own, "
        "see bench/README.md), default settings (shared_buffers 128 MB)",
        f"- Server: gunicorn, {args.workers} sync workers, config.settings.bench (production "
        f"settings, DEBUG off, whitenoise, shared cache {_cache_label()}), on the same machine "
        "as the load tool",
        f"- Load: {'wrk, 2 threads' if args.driver == 'wrk' else 'Python threads'}, {args.connections} connections, {args.seconds:g} s per page after "
        + (
            "one pass in which every user loads the page once (returning users: what the pages keep is there) and "
            if args.visit_each
            else ""
        )
        + f"a {args.warmup:g} s warm-up; every request signed in as the next of {args.sessions} distinct users; "
        "a first visit (nothing kept) is timed in-process (first-visit columns)",
        f"- Command: `{command}`",
        f"- Priority: {'nice ' + str(args.nice) + ' (process and autogroup) for gunicorn, wrk, the booking client and PostgreSQL, as other work shared the machine' if args.nice else 'default (nice 0)'}",
        "- load avg: the machine's 1-minute load average after each page's run (2 cores: above",
        "  ~3 means other work shared the CPUs and the figures are pessimistic)",
        "",
    ]
    for label, result in results.items():
        floor = result["pages"].get("floor", {}).get("rps") or 1.0
        out += [
            f"## {result['reservations']:,} reservations ({label}: {result['offices']} offices, "
            f"{result['users']:,} users)",
            "",
            "| page | req/s | × floor | p50 ms | p95 ms | p99 ms | errors | queries | in-process ms (SQL ms) | first visit: queries | first visit: in-process ms | worker RSS MB | load avg |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for page, f in result["pages"].items():
            out.append(
                f"| {LABELS[page]} | {f['rps']} | {f['rps'] / floor:.2f} | {f['p50_ms']} | "
                f"{f['p95_ms']} | {f['p99_ms']} | {f['errors']} | {f['queries']} | "
                f"{f['total_ms']} ({f['sql_ms']}) | {f.get('cold_queries', '')} | "
                f"{f.get('cold_ms', '')} | {f['rss_mb']} | {f.get('load_1m', '')} |"
            )
        for key, name in (
            ("booking", "Booth booking"),
            ("booking_online", "Online booking"),
            ("booking_form", "Booth booking"),
            ("booking_online_form", "Online booking"),
        ):
            b = result.get(key)
            if not b:
                continue
            steps = (
                "request page → form → check page → send"
                if key.endswith("_form")
                else "slot link with the day page's answers → check page → send"
            )
            out += [
                "",
                f"{name} flow ({steps}) as {b['attempts']} "
                f"distinct users over {b['seconds']} s with {args.connections} clients: "
                f"**{b['booked_per_s']} successful bookings/s**, flow p50 {b['flow_p50_ms']} ms, "
                f"p95 {b['flow_p95_ms']} ms, p99 {b['flow_p99_ms']} ms; outcomes {b['results']}; "
                f"worker RSS {b['rss_mb']} MB; the load driver's own CPU "
                f"{b.get('driver_cpu_ms_per_booking', '?')} ms a booking.",
            ]
        out.append("")
    out += scale_markdown(results)
    out += writes_markdown(results)
    rows = targets(results)
    out += ["## Targets", "", "| target | measured | |", "| --- | --- | --- |"]
    out += [f"| {name} | {value} | {'met' if ok else '**MISSED**'} |" for name, value, ok in rows]
    out.append("")
    return "\n".join(out)


def _cache_label() -> str:
    """The shared cache the servers use (CACHE_URL, as in production), without credentials."""
    url = os.environ.get("CACHE_URL", "")
    if not url:
        return "the database cache (default)"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", required=True, help="LABEL=DATABASE_URL")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up per page")
    parser.add_argument(
        "--no-visit-each",
        dest="visit_each",
        action="store_false",
        help="skip the pass in which every user loads the page once before it is measured",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--booking-users", type=int, default=4000)
    parser.add_argument(
        "--booking-seconds", type=int, default=20, help="each booking run (booth, online); 0: none"
    )
    parser.add_argument(
        "--booking-flows",
        default="two,three",
        type=lambda v: [f for f in v.split(",") if f],
        help="two: the slot link with the day page's answers (the target's flow); three: the "
        "request form first",
    )
    parser.add_argument(
        "--writes",
        type=int,
        default=120,
        help="calls of each write in bench_writes on each database, in two turns; 0: none",
    )
    parser.add_argument(
        "--pages", default=",".join(PAGES), type=lambda v: [p for p in v.split(",") if p]
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--no-scale-turns",
        dest="scale_turns",
        action="store_false",
        help="skip the month and day views' p95 by turns on every database (the 1M/10k ratio)",
    )
    parser.add_argument("--query-repeat", type=int, default=10, help="in-process repeats")
    parser.add_argument("--query-users", type=int, default=5, help="in-process users")
    parser.add_argument(
        "--no-profile", dest="profile", action="store_false", help="skip the cProfile report"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument(
        "--driver",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="the load tool: wrk (apt-get install wrk), or threads in Python as a fallback",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run gunicorn, wrk, this client and PostgreSQL at this priority, process and "
        "autogroup (e.g. -15 as root on a machine shared with other work)",
    )
    args = parser.parse_args(argv)
    on_sigterm_exit()
    if args.nice:
        prioritise(os.getpid(), args.nice)  # this process (the booking clients) and wrk
    if not (
        0.1 <= args.seconds <= 600
        and 0 <= args.warmup <= 60
        and 1 <= args.connections <= 1000
        and 0 <= args.booking_seconds <= 600
        and set(args.pages) <= set(PAGES)
        and set(args.booking_flows) <= {"two", "three"}
    ):
        parser.error("--seconds and --booking-seconds 1..600, --connections 1..1000")
    databases = dict(item.split("=", 1) for item in args.db)
    manage(next(iter(databases.values())), "collectstatic", "--noinput", "-v0")
    results = {label: measure(label, url, args) for label, url in databases.items()}
    if args.scale_turns and len(databases) > 1 and set(SCALE_PAGES) <= set(args.pages):
        for label, scale in measure_scale(databases, args).items():
            results[label]["scale"] = scale
    if args.writes:
        for label, writes in measure_writes(databases, args).items():
            results[label]["writes"] = writes
    for label, result in results.items():
        (VAR / f"results-{label}.json").write_text(json.dumps(result, indent=2))
    shown = []
    for arg in argv if argv is not None else sys.argv[1:]:
        shown.append(re.sub(r"=postgres://\S+", "=…", arg) if "://" in arg else arg)
    command = "python -m bench.run " + " ".join(shown)
    text = markdown(results, args, command)
    out = Path(args.out)
    kept = ""
    if out.exists() and MARKER in out.read_text():
        kept = out.read_text().split(MARKER, 1)[1]  # the hand-written analysis stays
    out.write_text(text + ("\n" + MARKER + kept if kept else ""))
    print(text)
    missed = [name for name, _value, ok in targets(results) if not ok]
    if missed:
        print("MISSED: " + "; ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    started = time.monotonic()
    status = main()
    print(f"({time.monotonic() - started:.0f} s)")
    sys.exit(status)
