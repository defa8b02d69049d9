"""`manage.py bench_writes`: every write of the booking life, timed in-process on the bench data.

Each write is called through the function its page or job calls (`bookings.flows`,
`bookings.services`, `workplace.statistics`), outside any transaction, so each call is its own
transaction and its time includes the commit; each runs `--count` times over distinct bookings
of the data (or distinct people and free slots), with the statements it sends counted by
`connection.execute_wrapper` (`QueryCount`: savepoints included, BEGIN and COMMIT not;
`CaptureQueriesContext` would count those two as well). Staff writes are driven here and not
through the admin pages: the pages add the same Django request cost to each (the floor), and
what grows with the data is the write. Bookings are also measured through gunicorn by
`bench.run` (the throughput targets).

The first call of each write (not of the jobs) is made and not counted: it loads what the
process keeps for every later call. `--count` calls are counted.

- `book_booth`, `book_online`: `flows.booking_request` for people with no active booking, each
  with a distinct free slot of their office's booth or of its first counselor; before each,
  untimed, what its check page reads (the send always follows one: `_after_its_check_page`).
- `confirm` (requested bookings), `cancel_online` (by their person, before the deadline),
  `cancel_phone`, `move` (staff, to a free slot of the same booth) and `start` (check-in, at
  one minute past the start): booth reservations four or more days ahead.
- `cancel_alerted` (REQ ALR-1): `cancel_online` in one office that has `--alerts` live
  earlier-slot alerts (made for the run, with extra bench people of that office when it has
  too few for three alerts each; alerts spread over the next weeks, half of them for one
  booth): the freeing write, which queues the alerts' job in its transaction.
  `alerts_job`: `alerts.mail_freed_slot`, the job, for each slot `cancel_alerted` freed: it
  chooses the matching, eligible people and keeps them as one round, deferring the job that
  stores their mails (figures per run; `mails`: the people chosen).
  `alerts_store`: `alerts.store_round`, that job, for each round `alerts_job` kept: one
  `AlertMail` and one outbox row a person (figures per run; `mails`: the mails stored).
- `no_show_sweep`: `record_overdue_no_shows` as the job runs it, over `--overdue` requests
  whose 10 minutes have just passed, inserted for the run (before it, one untimed sweep
  records what had turned overdue in the data since it was made). Figures per booking recorded.
- `reminders`: `send_reminders` for one day's awaiting bookings (every office), on the next
  `--reminder-days` business days; the claim is undone after each run, so runs repeat.
  Figures per reminder queued.
- `statistics`: `month_statistics` of this month for `--count` offices (capped at 50), and
  `statistics_national` for every office (10 runs).

The writes commit: each run confirms, cancels, moves and starts about 5 × --count bookings of
the data and adds --count of each kind of booking and --overdue × --sweeps no-shows. The 10k
data holds about a thousand awaiting bookings; after a few runs, `make bench-data` again.
Prints a table, or with --json one JSON object (the last line; each write's figures with its
calls' samples, which `bench.run` pools when it runs a database's writes in two turns). With
--profile FILE, a cProfile report of each write's calls is appended to FILE (times under the
profiler are ~1.5× longer).
"""

from __future__ import annotations

import cProfile
import datetime
import io
import json as jsonlib
import pstats
import random
import statistics
import time
import uuid

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from accounts.models import User
from bench.figures import quantile
from bookings import calendar, flows, services
from bookings.models import AWAITING_STATUSES, Status
from bookings.rules import profile_fields
from booths.kind import BOOTHS
from booths.models import Booth, Purpose, Reservation

from .bench_data import OFFICE_PREFIX
from .bench_sessions import Command as Sessions

WRITES = [
    "book_booth",
    "book_online",
    "confirm",
    "cancel_online",
    "cancel_phone",
    "move",
    "start",
    "cancel_alerted",
    "alerts_job",
    "alerts_store",
    "no_show_sweep",
    "reminders",
    "statistics",
    "statistics_national",
]
PER_BOOKING = {"no_show_sweep", "reminders"}


class QueryCount:
    """Counts the statements a call sends. Not `CaptureQueriesContext`: its log keeps the last
    9,000 statements and so counts nothing once full (a reminder run sends more), and the
    debug cursor it forces would add its own time to every statement."""

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


class Timings:
    def __init__(self, profiler: cProfile.Profile | None = None, warm_up: bool = True):
        self.profiler = profiler
        # The first call of a write in this process loads what every later one finds ready
        # (URL resolvers, the time zone files, templates): done, and not counted.
        self.warm_up = warm_up
        self.ms: list[float] = []
        self.queries: list[int] = []
        self.errors: dict[str, int] = {}
        self.handled = 0

    def call(self, write, per: int | None = None):
        """Time one call (its own transaction, commit included) with its queries counted."""
        counted = QueryCount()
        with connection.execute_wrapper(counted):
            started = time.perf_counter()
            if self.profiler:
                self.profiler.enable()
            try:
                result = write()
            except ValidationError as error:
                code = getattr(error, "code", None) or type(error).__name__
                self.errors[code] = self.errors.get(code, 0) + 1
                return None
            finally:
                if self.profiler:
                    self.profiler.disable()
            elapsed = (time.perf_counter() - started) * 1000
        if self.warm_up:
            self.warm_up = False
            return result
        handled = result if per is None else per
        if isinstance(handled, int) and not isinstance(handled, bool):
            if handled == 0:
                return result
            self.handled += handled
            self.ms.append(elapsed / handled)
            self.queries.append(round(counted.n / handled))
        else:
            self.handled += 1
            self.ms.append(elapsed)
            self.queries.append(counted.n)
        return result

    def summary(self) -> dict:
        if not self.ms:
            return {"n": 0, "errors": self.errors}
        return {
            "n": len(self.ms),
            "handled": self.handled,
            "p50_ms": round(statistics.median(self.ms), 2),
            "p95_ms": round(quantile(self.ms, 95), 2),
            "queries": round(statistics.median(self.queries)),
            "queries_max": max(self.queries),
            "errors": self.errors,
            # Each counted call's (ms, queries): `bench.run` pools the turns of one database.
            "samples": [[round(ms, 3), q] for ms, q in zip(self.ms, self.queries, strict=True)],
        }


class Command(BaseCommand):
    help = "Time every write of the booking life in-process, with its queries."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=60, help="calls of each write")
        parser.add_argument("--overdue", type=int, default=100, help="no-shows a sweep records")
        parser.add_argument("--sweeps", type=int, default=5)
        parser.add_argument("--reminder-days", type=int, default=3)
        parser.add_argument(
            "--alerts", type=int, default=10_000, help="live alerts in the alerted office"
        )
        parser.add_argument("--only", help="comma-separated writes; default all")
        parser.add_argument("--seed", type=int, default=21)
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument(
            "--profile", help="write a cProfile report of the writes' calls to this file"
        )

    # The tables the writes change and their triggers write: vacuumed and analyzed first.
    VACUUMED = (
        "accounts_office",
        "accounts_user",
        "booths_reservation",
        "consultations_consultation",
        "bookings_personhold",
        "bookings_counselorhold",
        "accounts_accessrecord",
        "core_outboxmessage",
    )

    def _vacuum(self) -> None:
        """As autovacuum would have done after the load before: a cluster may run without it
        (this machine's does), and then every booking, confirm and cancel of the run before
        leaves dead row versions the next writes step over, so the database written more
        (whichever of 1M and 10k it is) looks slower (issue 21: 1M/10k ratios of 1.1-1.45 at
        p50 on unvacuumed databases, 0.97-1.03 once vacuumed)."""
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) " + ", ".join(self.VACUUMED))

    def handle(
        self,
        *args,
        count,
        overdue,
        sweeps,
        reminder_days,
        alerts,
        only,
        seed,
        as_json,
        profile,
        **opts,
    ):
        self.alerts = alerts
        self.freed: list = []
        if not (1 <= count <= 5000 and 1 <= overdue <= 5000 and 1 <= sweeps <= 50):
            raise CommandError("--count and --overdue 1..5000, --sweeps 1..50")
        wanted = set(only.split(",")) if only else set(WRITES)
        if not wanted <= set(WRITES):
            raise CommandError(f"--only: some of {', '.join(WRITES)}")
        self.rng = random.Random(seed)
        self._vacuum()
        self.now = timezone.now()
        self.count = count + 1  # and the warm-up call
        self.staff = {}
        for user in User.objects.filter(
            office__code__startswith=OFFICE_PREFIX, is_staff=True, is_active=True
        ).order_by("-pk"):
            self.staff[user.office_id] = user
        results = {}
        pool = (
            self._pool()
            if wanted & {"confirm", "cancel_online", "cancel_phone", "move", "start"}
            else []
        )
        # The writes bound to a status take their rows first: the others take any, and on a
        # small data set could otherwise leave them none (the CI smoke run's start found 0).
        self.reserved = {
            write: self._take(pool, status)
            for write, status in (("confirm", Status.REQUESTED), ("start", Status.CONFIRMED))
            if write in wanted
        }
        for write in WRITES:
            if write not in wanted:
                continue
            timings = Timings(
                profiler=cProfile.Profile() if profile else None,
                warm_up=write not in PER_BOOKING,
            )
            if write == "no_show_sweep":
                self._sweeps(timings, overdue, sweeps)
            elif write == "reminders":
                self._reminders(timings, reminder_days)
            else:
                getattr(self, f"_{write}")(timings, pool)
            results[write] = {**timings.summary(), **getattr(timings, "extra", {})}
            if profile and timings.ms:
                self._report(profile, write, timings)
            if not as_json:
                shown = {k: v for k, v in results[write].items() if k != "samples"}
                self.stdout.write(f"{write:<20} {jsonlib.dumps(shown)}")
        if as_json:
            self.stdout.write(jsonlib.dumps(results))

    @staticmethod
    def _report(path: str, write: str, timings: Timings) -> None:
        """Where the time of the write's calls went (cProfile, cumulative and own time)."""
        out = io.StringIO()
        for order in ("cumulative", "tottime"):
            out.write(f"\n===== {write} ({len(timings.ms)} calls), by {order} =====\n")
            stats = pstats.Stats(timings.profiler, stream=out)
            stats.strip_dirs().sort_stats(order).print_stats(35)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(out.getvalue())

    # --- bookings -------------------------------------------------------------------------

    @staticmethod
    def _after_its_check_page(kind, place, starts_at: datetime.datetime) -> None:
        """Untimed, what the booking's check page reads before its send (the slot's closures
        and, online, who publishes it) and what the office's bookings before it kept (the
        counselor's default link): the send follows the check page in every flow, so it finds
        these kept. Without this, a send's time depended on whether an earlier run happened to
        touch its office and day (at 1M the free slots lie on days no run had touched: 12
        queries a send there, 7 at 10k)."""
        from bookings.availability import kept_closures
        from consultations.kind import default_join_url

        office = kind.office_of(place)
        kept_closures(office, calendar.local(starts_at).date())
        if getattr(place, "video_tool", None) is not None:
            kind.availability_refusal_reason(place, starts_at)
            default_join_url(place.counselor, place.video_tool, office=office)

    def _book_booth(self, timings: Timings, _pool) -> None:
        free = Sessions._free_customers(self.now)
        lines = Sessions()._booking(free, self.count, self.rng, self.now, 0)
        booths = Booth.objects.select_related("office").in_bulk({line["booth"] for line in lines})
        users = User.objects.select_related("office").in_bulk([line["user"] for line in lines])
        for line in lines:
            user = users[line["user"]]
            starts_at = datetime.datetime.fromisoformat(line["starts_at"])
            self._after_its_check_page(BOOTHS, booths[line["booth"]], starts_at)
            timings.call(
                lambda user=user, line=line, starts_at=starts_at: flows.booking_request(
                    kind=BOOTHS,
                    user=user,
                    place=booths[line["booth"]],
                    starts_at=starts_at,
                    purpose=BOOTHS.purposes(user)[0],
                    form_token=uuid.uuid4(),
                    **profile_fields(user),
                )
            )

    def _book_online(self, timings: Timings, _pool) -> None:
        from consultations.kind import ONLINE, OnlinePlace
        from consultations.models import VideoTool

        free = Sessions._free_customers(self.now)
        lines = Sessions()._booking_online(free, self.count, self.rng, self.now)
        users = User.objects.select_related("office").in_bulk([line["user"] for line in lines])
        counselors = User.objects.in_bulk({line["counselor"] for line in lines})
        tools = {tool.office_id: tool for tool in VideoTool.objects.filter(is_active=True)}
        for line in lines:
            user = users[line["user"]]
            place = OnlinePlace(
                office=user.office,
                counselor=counselors[line["counselor"]],
                video_tool=tools[user.office_id],
            )
            starts_at = datetime.datetime.fromisoformat(line["starts_at"])
            self._after_its_check_page(ONLINE, place, starts_at)
            timings.call(
                lambda user=user, place=place, starts_at=starts_at: flows.booking_request(
                    kind=ONLINE,
                    user=user,
                    place=place,
                    starts_at=starts_at,
                    purpose=ONLINE.purposes(user)[0],
                    form_token=uuid.uuid4(),
                    **profile_fields(user),
                )
            )

    # --- staff and people on existing bookings ---------------------------------------------

    def _pool(self) -> list[Reservation]:
        """Awaiting booth reservations four or more days ahead, of distinct people, shuffled:
        each transition takes its own from the pool."""
        rows = list(
            Reservation.objects.filter(
                status__in=AWAITING_STATUSES,
                starts_at__gte=self.now + datetime.timedelta(days=4),
                user__isnull=False,
            )
            .select_related("booth__office", "user")
            .order_by("?")[: self.count * 8]
        )
        seen, pool = set(), []
        for row in rows:
            if row.user_id not in seen:
                seen.add(row.user_id)
                pool.append(row)
        return pool

    def _take(self, pool: list[Reservation], status: str | None = None) -> list[Reservation]:
        taken = [r for r in pool if status is None or r.status == status][: self.count]
        for row in taken:
            pool.remove(row)
        return taken

    def _confirm(self, timings: Timings, pool) -> None:
        for row in self.reserved["confirm"]:
            timings.call(
                lambda row=row: services.booking_confirm(
                    booking=row,
                    staff=self.staff[row.booth.office_id],
                    phoned_at=self.now,
                    now=self.now,
                )
            )

    def _cancel_online(self, timings: Timings, pool) -> None:
        for row in self._take(pool):
            timings.call(
                lambda row=row: services.booking_cancel_online(
                    booking=row, user=row.user, now=self.now
                )
            )

    def _cancel_phone(self, timings: Timings, pool) -> None:
        for row in self._take(pool):
            timings.call(
                lambda row=row: services.booking_cancel_by_phone(
                    booking=row, staff=self.staff[row.booth.office_id], now=self.now
                )
            )

    def _move(self, timings: Timings, pool) -> None:
        free: dict[int, list[datetime.datetime]] = {}
        sessions = Sessions()
        for row in self._take(pool):
            if row.booth_id not in free:
                free[row.booth_id] = sessions._free_slots(row.booth, self.now)
                self.rng.shuffle(free[row.booth_id])
            if not free[row.booth_id]:
                continue
            starts_at = free[row.booth_id].pop()
            timings.call(
                lambda row=row, starts_at=starts_at: flows.booking_move_by_staff(
                    kind=BOOTHS,
                    booking=row,
                    staff=self.staff[row.booth.office_id],
                    place=row.booth,
                    starts_at=starts_at,
                    now=self.now,
                )
            )

    def _start(self, timings: Timings, pool) -> None:
        # Only what the office confirmed is started (a request unconfirmed at its start is
        # closed as not confirmed, BTH-6).
        for row in self.reserved["start"]:
            timings.call(
                lambda row=row: services.booking_start(
                    booking=row,
                    staff=self.staff[row.booth.office_id],
                    now=row.starts_at + datetime.timedelta(minutes=1),
                )
            )

    # --- earlier-slot alerts (REQ ALR-1) ----------------------------------------------------

    def _alerted_office(self):
        """The bench office with the most awaiting booth reservations ahead, with --alerts live
        alerts (made once, kept for later runs)."""
        from django.db.models import Count

        from bookings.alert_models import EarlierSlotAlert

        row = (
            Reservation.objects.filter(
                status__in=AWAITING_STATUSES,
                starts_at__gte=self.now + datetime.timedelta(days=4),
                booth__office__code__startswith=OFFICE_PREFIX,
            )
            .values("booth__office")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()
        )
        if row is None:
            raise CommandError("no awaiting bench reservations")
        office_id = row["booth__office"]
        live = EarlierSlotAlert.objects.live(self.now).filter(office_id=office_id)
        missing = self.alerts - live.count()
        if missing > 0:
            self._make_alerts(office_id, missing)
        return office_id

    def _make_alerts(self, office_id: int, missing: int) -> None:
        from allauth.account.models import EmailAddress

        from accounts.models import Office
        from bookings.alert_models import MAX_LIVE_ALERTS, EarlierSlotAlert
        from terms.models import Consent, ConsentMethod, TermsVersion

        people = list(
            User.objects.filter(office_id=office_id, is_staff=False, is_active=True)
            .exclude(pk__in=EarlierSlotAlert.objects.filter(ended_at__isnull=True).values("user"))
            .values_list("pk", flat=True)
        )
        needed = -(-missing // MAX_LIVE_ALERTS) - len(people)
        if needed > 0:
            made = User.objects.bulk_create(
                [
                    User(
                        username=f"bench-alert-{office_id}-{uuid.uuid4().hex[:12]}",
                        email=f"alert{office_id}-{n}-{uuid.uuid4().hex[:8]}@example.com",
                        office_id=office_id,
                        user_type="job_seeker",
                        jobseeker_number_status="my_page",
                        last_name="ベンチ",
                        first_name="待機",
                        phone="090-0000-0000",
                    )
                    for n in range(needed)
                ],
                batch_size=2000,
            )
            EmailAddress.objects.bulk_create(
                [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in made],
                batch_size=2000,
            )
            # People like the data's: the terms in effect accepted, so the other benchmarks
            # (the races of bench.faults) may sign them in and book.
            versions = [
                version
                for service in ("booth", "online")
                if (
                    version := TermsVersion.objects.current_for(
                        office=Office(pk=office_id), service=service, now=self.now
                    )
                )
            ]
            Consent.objects.bulk_create(
                [
                    Consent(
                        user=u,
                        version=version,
                        accepted_at=self.now,
                        method=ConsentMethod.ONLINE,
                        ip_address="127.0.0.1",
                        user_agent="bench",
                    )
                    for u in made
                    for version in versions
                ],
                batch_size=2000,
            )
            people += [u.pk for u in made]
        booths = list(
            Booth.objects.filter(office_id=office_id, is_active=True).values_list("pk", flat=True)
        )
        today = calendar.local(self.now).date()
        rows = []
        for n in range(missing):
            first = today + datetime.timedelta(days=self.rng.randint(0, 20))
            rows.append(
                EarlierSlotAlert(
                    user_id=people[n // MAX_LIVE_ALERTS],
                    office_id=office_id,
                    service="booth",
                    place_id=self.rng.choice(booths) if booths and n % 2 else None,
                    first_day=first,
                    last_day=first + datetime.timedelta(days=self.rng.randint(3, 20)),
                )
            )
        EarlierSlotAlert.objects.bulk_create(rows, batch_size=2000)

    def _cancel_alerted(self, timings: Timings, _pool) -> None:
        from bookings.alerts import FreedSlot

        office_id = self._alerted_office()
        rows = list(
            Reservation.objects.filter(
                booth__office_id=office_id,
                status__in=AWAITING_STATUSES,
                starts_at__gte=self.now + datetime.timedelta(days=4),
                user__isnull=False,
            )
            .select_related("booth__office", "user")
            .order_by("?")[: self.count * 4]
        )
        seen, taken = set(), []
        for row in rows:
            if row.user_id not in seen and len(taken) < self.count:
                seen.add(row.user_id)
                taken.append(row)
        for row in taken:
            slot = FreedSlot("booth", office_id, row.booth_id, row.starts_at)
            if timings.call(
                lambda row=row: services.booking_cancel_online(
                    booking=row, user=row.user, now=self.now
                )
            ):
                self.freed.append(slot)

    def _alerts_job(self, timings: Timings, _pool) -> None:
        from bookings.alerts import mail_freed_slot

        if not self.freed:
            self._cancel_alerted(Timings(), [])
        mailed = []
        for slot in self.freed:
            mailed.append(
                timings.call(
                    lambda slot=slot: mail_freed_slot(
                        service=slot.service,
                        office_id=slot.office_id,
                        place_id=slot.place_id,
                        starts_at=slot.starts_at,
                        now=self.now,
                    ),
                    per=1,
                )
                or 0
            )
        timings.extra = {"mails": sum(mailed[1:]), "mails_max": max(mailed[1:], default=0)}

    def _alerts_store(self, timings: Timings, _pool) -> None:
        from procrastinate.contrib.django.models import ProcrastinateJob

        from bookings.alert_models import AlertRound
        from bookings.alerts import store_round

        if not AlertRound.objects.exists():
            self._alerts_job(Timings(), [])
        rounds = list(AlertRound.objects.order_by("pk").values_list("pk", flat=True))
        stored = [timings.call(lambda pk=pk: store_round(pk), per=1) or 0 for pk in rounds]
        # Done here: the worker, if one runs on this database, finds nothing left to do.
        ProcrastinateJob.objects.filter(
            task_name="alerts_store_round", status="todo", args__round_id__in=rounds
        ).delete()
        timings.extra = {"mails": sum(stored[1:]), "mails_max": max(stored[1:], default=0)}

    # --- the jobs ------------------------------------------------------------------------------

    def _sweeps(self, timings: Timings, overdue: int, sweeps: int) -> None:
        services.record_overdue_no_shows(now=timezone.now())  # what turned overdue since
        booths = list(Booth.objects.filter(is_active=True, office__code__startswith=OFFICE_PREFIX))
        people = list(
            User.objects.filter(office__code__startswith=OFFICE_PREFIX, is_staff=False)
            .order_by("?")
            .values_list("pk", "user_type")[: overdue * sweeps]
        )
        if not people or not booths:
            raise CommandError("no bench people or booths for the overdue bookings")
        used: dict[int, int] = {}
        for sweep in range(sweeps):
            rows = []
            for n in range(overdue):
                booth = self.rng.choice(booths)
                user_id, user_type = people[(sweep * overdue + n) % len(people)]
                rows.append(self._overdue_row(booth, used, user_id, user_type))
            services.bookings_bulk_create(Reservation, rows)  # with the people's holds
            timings.call(lambda: services.record_overdue_no_shows(now=timezone.now()))

    def _overdue_row(self, booth, used, user_id, user_type) -> Reservation:
        """A confirmed booking whose 10 minutes are up (only what the office confirmed becomes
        a no-show, BTH-6), in a slot before opening hours of a past day (so it collides with
        none of the data's); one slot after another per booth."""
        step = used.get(booth.pk, 0)
        used[booth.pk] = step + 1
        today = calendar.local(self.now).date()
        # Another stretch of past days each run (by the minute), so runs don't collide.
        salt = int(self.now.timestamp() // 60) % 500
        day = today - datetime.timedelta(days=1 + salt + step // 14)
        starts_at = (
            datetime.datetime.combine(day, datetime.time(1, 0), tzinfo=calendar.TOKYO)
            + (step % 14) * calendar.SLOT
        )
        return Reservation(
            booth=booth,
            starts_at=starts_at,
            ends_at=starts_at + calendar.SLOT,
            user_id=user_id,
            user_type=user_type,
            purpose=Purpose.JOB_CONSULTATION,
            requester_name="bench overdue",
            phone="090-0000-0000",
            status=Status.CONFIRMED,
            phoned_at=starts_at - datetime.timedelta(days=1),
            confirmed_at=starts_at - datetime.timedelta(days=1),
            created_at=starts_at - datetime.timedelta(days=2),
        )

    def _reminders(self, timings: Timings, days: int) -> None:
        from consultations.models import Consultation

        today = calendar.local(self.now).date()
        day = today
        for _day in range(60):  # the next `days` days with bookings to remind of
            if len(timings.ms) >= days:
                break
            day += datetime.timedelta(days=1)
            if not calendar.is_business_day(day + datetime.timedelta(days=1)):
                continue
            # The job's moment: the day before, 18:00 (any moment of the day is the same).
            moment = datetime.datetime.combine(day, datetime.time(18), tzinfo=calendar.TOKYO)
            moment += datetime.timedelta(microseconds=self.rng.randrange(1, 1000))
            timings.call(lambda moment=moment: services.send_reminders(now=moment))
            # Undone, so the next run of the bench finds the same work.
            for model in (Reservation, Consultation):
                model.objects.filter(reminder_sent_at=moment).update(reminder_sent_at=None)

    # --- statistics ------------------------------------------------------------------------------

    def _statistics(self, timings: Timings, _pool) -> None:
        from accounts.models import Office
        from workplace.statistics import month_statistics

        local = calendar.local(self.now)
        offices = list(Office.objects.filter(code__startswith=OFFICE_PREFIX).order_by("?"))
        for office in offices[: min(self.count, 50)]:
            timings.call(
                lambda office=office: (
                    month_statistics(
                        office=office, year=local.year, month=local.month, now=self.now
                    )
                    and None
                )
            )

    def _statistics_national(self, timings: Timings, _pool) -> None:
        from workplace.statistics import month_statistics

        local = calendar.local(self.now)
        for _run in range(11):  # and the warm-up: 10 runs, so one slow run is not the p95
            timings.call(
                lambda: (
                    month_statistics(office=None, year=local.year, month=local.month, now=self.now)
                    and None
                )
            )
