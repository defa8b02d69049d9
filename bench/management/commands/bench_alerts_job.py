"""The earlier-slot alerts' job on one slot, repeated (REQ ALR-1, NFR-4; bench/RESULTS.md,
"Session 8").

`bench_writes --only cancel_alerted,alerts_job` times the job over the slots it frees, most of
which few people wait for; this times the slot the most people wait for, again and again, and
splits the cost: wall time, the CPU time of this process and of the database backend serving
it (`/proc/<pid>/schedstat`: both on this machine), statements. Each run starts from no alert
mails: **every** `AlertMail`, alert outbox row and round of the database is deleted before
each run, so it refuses any database whose name does not start with `hw_` and needs
`--delete-alert-mails`. Run `bench_writes --only cancel_alerted --alerts 10000` first: the
slots are booth slots that cancellation freed.

    manage.py bench_alerts_job --delete-alert-mails --runs 10
"""

from __future__ import annotations

import datetime
import json
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from accounts.models import Office
from bookings import alerts
from bookings.alert_models import AlertMail, AlertRound, EarlierSlotAlert
from booths.models import Reservation


class Command(BaseCommand):
    help = "Time the alerts' job (and the job storing its mails) on the slot most people wait for."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=10)
        parser.add_argument("--delete-alert-mails", action="store_true")

    def handle(self, *, runs: int, delete_alert_mails: bool, **opts):
        if not delete_alert_mails or not connection.settings_dict["NAME"].startswith("hw_"):
            raise CommandError("deletes every alert mail: --delete-alert-mails, on an hw_ copy")
        self._reset()
        slot, waiting = self._slot()
        self.stdout.write(f"slot {slot}: {waiting} people wait for it")
        figures: dict[str, list] = {"job": [], "store": []}
        for run in range(runs + 1):  # the first warms the process up
            self._reset()
            job = self._measure(lambda: alerts.mail_freed_slot(**slot.__dict__))
            pk = AlertRound.objects.values_list("pk", flat=True).first()
            store = self._measure(lambda pk=pk: alerts.store_round(pk)) if pk else None
            if run:
                figures["job"].append(job)
                if store:
                    figures["store"].append(store)
        for name, rows in figures.items():
            if rows:
                self.stdout.write(f"{name:<6} {json.dumps(self._summary(rows))}")

    @staticmethod
    def _reset() -> None:
        from core.models import OutboxMessage

        AlertMail.objects.all().delete()
        AlertRound.objects.all().delete()
        OutboxMessage.objects.filter(composer=alerts.COMPOSER).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM procrastinate_jobs WHERE task_name = 'alerts_store_round' "
                "AND status = 'todo'"
            )
            cursor.execute("VACUUM ANALYZE bookings_alertmail")
            cursor.execute("VACUUM ANALYZE core_outboxmessage")

    @staticmethod
    def _slot():
        """The free booth slot, freed by a cancellation, that the most people wait for."""
        now = timezone.now()
        row = (
            EarlierSlotAlert.objects.live(now)
            .values("office_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()
        )
        if row is None:
            raise CommandError("no live alerts: run bench_writes --only cancel_alerted first")
        office = Office.objects.get(pk=row["office_id"])
        kind = alerts.kind_for("booth")
        best = None
        for booth_id, starts_at in Reservation.objects.filter(
            booth__office=office,
            status="cancelled",
            starts_at__gte=now + datetime.timedelta(days=4),
        ).values_list("booth_id", "starts_at")[:60]:
            if not kind.alert_slot_free(office, booth_id, starts_at, now=now):
                continue
            slot = alerts.FreedSlot("booth", office.pk, booth_id, starts_at)
            sql, params = alerts.waiting_people(kind, office, slot, now=now)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM ({sql}) waiting", params)
                waiting = cursor.fetchone()[0]
            if best is None or waiting > best[1]:
                best = (slot, waiting)
        if best is None:
            raise CommandError("no freed slot: run bench_writes --only cancel_alerted first")
        return best

    @staticmethod
    def _measure(call) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        statements = []
        with connection.execute_wrapper(
            lambda execute, *args: statements.append(1) or execute(*args)
        ):
            backend, cpu, wall = _backend_ms(pid), time.process_time(), time.perf_counter()
            result = call()
            wall = (time.perf_counter() - wall) * 1000
            cpu = (time.process_time() - cpu) * 1000
            backend = _backend_ms(pid) - backend
        return wall, cpu, backend, len(statements), result

    @staticmethod
    def _summary(rows: list[tuple]) -> dict:
        wall, cpu, backend, statements, handled = zip(*rows, strict=True)
        both = [a + b for a, b in zip(cpu, backend, strict=True)]

        def p95(values):
            return statistics.quantiles(values, n=20, method="inclusive")[18]

        return {
            "n": len(rows),
            "mails": max(handled),
            "wall_p50_ms": round(statistics.median(wall), 1),
            "wall_p95_ms": round(p95(wall), 1),
            "cpu_p50_ms": round(statistics.median(both), 1),
            "cpu_p95_ms": round(p95(both), 1),
            "app_cpu_p50_ms": round(statistics.median(cpu), 1),
            "db_cpu_p50_ms": round(statistics.median(backend), 1),
            "statements": [min(statements), max(statements)],
        }


def _backend_ms(pid: int) -> float:
    """The CPU time the database backend `pid` has had, in ms (Linux, same machine)."""
    with open(f"/proc/{pid}/schedstat", encoding="ascii") as handle:
        return int(handle.read().split()[0]) / 1e6
