"""The benchmark harness cannot rot: a tiny run of it through a real gunicorn (issue 11).

It makes its own small PostgreSQL database (the harness measures PostgreSQL only), fills it with
bench_data, and runs `python -m bench.run` for one second on three pages with the Python load driver
(wrk is not needed), both booking flows and three calls of each write, then the race of the faults harness with a few people. Under a minute.
"""

import os
import uuid

import psycopg
import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the bench harness measures PostgreSQL (DATABASE_URL)",
)


@pytest.fixture
def bench_database():
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = f"hw_bench_smoke_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_harness_loads_every_page_books_and_writes_its_report(bench_database, tmp_path):
    # REQ NFR-4: the measuring tool itself keeps working.
    from bench import faults, run
    from bench.servers import manage

    manage(bench_database, "migrate", "--noinput", "-v0")
    manage(bench_database, "createcachetable")
    out = manage(
        bench_database, "bench_data", "--offices", "3", "--users", "300", "--reservations", "300"
    )
    assert "reservations:" in out and "300 rows" in out
    report = tmp_path / "RESULTS.md"
    status = run.main(
        [
            "--db",
            f"smoke={bench_database}",
            "--driver",
            "python",
            "--seconds",
            "1",
            "--warmup",
            "0.3",
            "--connections",
            "4",
            "--sessions",
            "10",
            "--booking-users",
            "20",
            "--booking-seconds",
            "2",
            "--writes",
            "3",
            "--query-repeat",
            "1",
            "--query-users",
            "1",
            "--no-profile",
            "--pages",
            "floor,month,day,mine,top,terms",
            "--out",
            str(report),
        ]
    )
    assert status == 0
    text = report.read_text()
    # Every public page answers (a page moved under its address once left `make bench` red).
    for page in ("floor", "month", "day", "mine", "top", "terms"):
        assert run.LABELS[page] in text
    result = __import__("json").loads((run.VAR / "results-smoke.json").read_text())
    for page, figures in result["pages"].items():
        assert figures["errors"] == 0, page
        assert figures["requests"] > 0, page
        assert figures["queries"] > 0, page
    # Both services booked, by the slot link with the day page's answers (two requests) and by
    # the request form (three), and every write of the booking life was timed (issue 21).
    for flow, requests in (
        ("booking", 2),
        ("booking_online", 2),
        ("booking_form", 3),
        ("booking_online_form", 3),
    ):
        assert result[flow]["results"].get("booked", 0) > 0, (flow, result[flow])
        assert result[flow]["requests_per_booking"] == requests, (flow, result[flow])
    for write in run.WRITE_LABELS:
        assert result["writes"][write]["n"] > 0, (write, result["writes"][write])
        assert result["writes"][write]["queries"] > 0, write
    assert "## Writes" in text and "Online booking flow" in text
    assert result["booking"]["results"].get("booked", 0) > 0
    assert set(result["booking"]["results"]) <= {"booked", "taken"}
    # The driver's own CPU is reported beside the bookings (it shares the servers' cores).
    assert result["booking"]["driver_cpu_ms_per_booking"] > 0

    # The month and day views by turns on two servers (here both of the one database), as
    # `make bench` measures their 1M/10k ratio (issue 21).
    import argparse
    import shutil

    shutil.copy(run.VAR / "pages-smoke.jsonl", run.VAR / "pages-again.jsonl")
    scale = run.measure_scale(
        {"smoke": bench_database, "again": bench_database},
        argparse.Namespace(
            port=0,
            workers=1,
            nice=0,
            connections=2,
            driver="python",
            warmup=0.2,
            seconds=1,
            visit_each=True,
        ),
    )
    for label in ("smoke", "again"):
        for page in run.SCALE_PAGES:
            assert len(scale[label][page]["turns"]) == 2, (label, page, scale)
            assert scale[label][page]["p95_ms"] > 0, (label, page, scale)

    # The races of the faults harness, with few people: for a booth slot and for a counselor's
    # slot, one booked, the others told "taken" (REQ BTH-2, CON-7).
    checks = faults.Run(bench_database)
    faults.race(checks, 4)
    faults.race(checks, 4, "race-counselor")
    assert {c.scenario for c in checks.checks} == {"race", "race-counselor"}
    assert [c for c in checks.checks if not c.ok] == []
