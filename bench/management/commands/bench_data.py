"""`manage.py bench_data`: fill an empty database with a national-scale data set (issue 11).

550 offices with 2–4 booths and 5–20 counselors each, job seekers and employers with verified
e-mail addresses and consent to their office's terms, and reservations over two years past and
three months ahead in the states real ones end in: completed, cancelled (by the user or the
office), no-contact cancellations, and future requests and confirmations.

Rows go in with bulk_create: each row names the fields that exist today and takes the model's
defaults for the rest, so a new nullable field or a field with a default needs no change here.
Deterministic for a given --seed. Refuses a database that already holds bench data.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import (
    EstablishmentNumberStatus,
    JobseekerNumberStatus,
    Office,
    User,
    UserType,
)
from bookings import calendar
from bookings.models import OfficeClosure
from bookings.services import bookings_bulk_create
from booths.availability import last_requestable_day
from booths.models import (
    EMPLOYER_PURPOSES,
    JOB_SEEKER_PURPOSES,
    Booth,
    CancelledVia,
    Reservation,
    Source,
    Status,
)
from terms.models import Consent, ConsentMethod, TermsDocument, TermsService, TermsVersion

OFFICE_PREFIX = "bench-"
# Every generated account signs in with this password (the harness mostly uses sessions).
PASSWORD = "bench-Password-2026"
BATCH = 5000
# The steps --without-triggers loads with the triggers off (the rows that are counted in 100,000s).
BULK_STEPS = {"users", "e-mail addresses", "consents", "reservations"}
PAST_DAYS = 730
SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN = ["翔", "陽菜", "蓮", "結衣", "湊", "葵", "樹", "凛", "大和", "咲"]


def username(n: int) -> str:
    return f"bu{n:06d}"


class Command(BaseCommand):
    help = "Fill an empty database with offices, booths, counselors, users and reservations."

    def add_arguments(self, parser):
        parser.add_argument("--reservations", type=int, default=10_000)
        parser.add_argument("--offices", type=int, default=550)
        parser.add_argument("--users", type=int, default=300_000)
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument(
            "--without-triggers",
            action="store_true",
            help="load users, addresses, consents and reservations with the database's "
            "triggers and foreign-key checks off (session_replication_role = replica): no "
            "audit-trail rows for the bench data, several times faster on a busy machine",
        )

    def handle(self, *args, reservations, offices, users, seed, without_triggers, **options):
        if not (1 <= offices <= 10_000 and 1 <= users <= 10_000_000 and reservations >= 0):
            raise CommandError("--offices 1..10000, --users 1..10000000, --reservations >= 0")
        if Office.objects.filter(code__startswith=OFFICE_PREFIX).exists():
            raise CommandError("This database already holds bench data; use a fresh database.")
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.today = calendar.local(self.now).date()
        started = time.monotonic()
        steps = [
            ("offices", lambda: self._offices(offices)),
            ("booths", self._booths),
            ("counselors", self._counselors),
            ("terms", self._terms),
            ("users", lambda: self._users(users)),
            ("e-mail addresses", self._emails),
            ("consents", self._consents),
            ("closures", self._closures),
            ("reservations", lambda: self._reservations(reservations)),
        ]
        for name, step in steps:
            step_started = time.monotonic()
            with transaction.atomic():
                if without_triggers and name in BULK_STEPS:
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL session_replication_role = replica")
                count = step()
            self.stdout.write(
                f"{name:>18}: {count:>9} rows in {time.monotonic() - step_started:6.1f} s"
            )
        with connection.cursor() as cursor:
            # VACUUM too, as autovacuum would after a bulk load (a cluster may run without it):
            # the rows' hint bits set and the visibility map built before anything is measured.
            cursor.execute("VACUUM (ANALYZE)")
        self.stdout.write(f"{'total':>18}: {time.monotonic() - started:6.1f} s")

    # --- Offices, booths, staff, terms ----------------------------------------------------

    def _offices(self, count: int) -> int:
        self.offices = Office.objects.bulk_create(
            Office(
                code=f"{OFFICE_PREFIX}{n:04d}",
                name=f"ベンチ{n}公共職業安定所",
                postal_code="100-0001",
                address=f"東京都千代田区ベンチ{n}-1",
                phone=f"03-0000-{n % 10000:04d}",
                email=f"office{n}@example.com",
                court="東京地方裁判所",
                offers_booths=True,
                offers_online_consultations=True,
            )
            for n in range(count)
        )
        return len(self.offices)

    def _booths(self) -> int:
        rows = [
            Booth(office=office, name=f"ブース{chr(ord('A') + b)}", description="個室")
            for office in self.offices
            for b in range(self.rng.randint(2, 4))
        ]
        self.booths = Booth.objects.bulk_create(rows, batch_size=BATCH)
        self.booths_of: dict[int, list[Booth]] = defaultdict(list)
        for booth in self.booths:
            self.booths_of[booth.office_id].append(booth)
        return len(self.booths)

    def _counselors(self) -> int:
        self.password = make_password(PASSWORD)
        rows = [
            User(
                username=f"bc{office.pk:04d}-{c:02d}",
                email=f"bc{office.pk:04d}-{c:02d}@example.com",
                password=self.password,
                user_type=UserType.STAFF,
                is_staff=True,
                office=office,
                last_name=self.rng.choice(SURNAMES),
                first_name=self.rng.choice(GIVEN),
                password_changed_at=self.now,
            )
            for office in self.offices
            for c in range(self.rng.randint(5, 20))
        ]
        counselors = User.objects.bulk_create(rows, batch_size=BATCH)
        self.counselors_of: dict[int, list[int]] = defaultdict(list)
        for counselor in counselors:
            self.counselors_of[counselor.office_id].append(counselor.pk)
        return len(counselors)

    def _terms(self) -> int:
        documents = TermsDocument.objects.bulk_create(
            TermsDocument(office=office, service=service, title=f"{office.name} 利用規約")
            for office in self.offices
            for service in (TermsService.BOOTH, TermsService.ONLINE)
        )
        effective = self.now - datetime.timedelta(days=PAST_DAYS + 60)
        versions = TermsVersion.objects.bulk_create(
            TermsVersion(
                document=document,
                number=1,
                text="# 利用規約\n\nベンチマーク用の規約です。",
                status="published",
                published_at=effective,
                effective_from=effective,
                created_at=effective,
            )
            for document in documents
        )
        self.versions_of: dict[tuple[int, str], int] = {
            (document.office_id, document.service): version.pk
            for document, version in zip(documents, versions, strict=True)
        }
        return len(documents) + len(versions)

    # --- Users -----------------------------------------------------------------------------

    def _users(self, count: int) -> int:
        self.user_rows: list[tuple[int, int, str, str]] = []  # pk, office, type, name
        made = 0
        for start in range(0, count, BATCH * 4):
            rows = [self._user(n) for n in range(start, min(count, start + BATCH * 4))]
            for user in User.objects.bulk_create(rows, batch_size=BATCH):
                name = user.establishment_name or f"{user.last_name} {user.first_name}"
                self.user_rows.append((user.pk, user.office_id, user.user_type, name))
            made += len(rows)
        self.users_of: dict[int, list[int]] = defaultdict(list)
        for index, (_pk, office_id, _type, _name) in enumerate(self.user_rows):
            self.users_of[office_id].append(index)
        return made

    def _user(self, n: int) -> User:
        rng = self.rng
        employer = rng.random() < 0.15
        joined = self.now - datetime.timedelta(days=rng.randint(1, 3 * 365))
        fields = {
            "username": username(n),
            "email": f"{username(n)}@example.com",
            "password": self.password,
            "office": self.offices[n % len(self.offices)],
            "last_name": rng.choice(SURNAMES),
            "first_name": rng.choice(GIVEN),
            "phone": f"090-{n // 10000 % 10000:04d}-{n % 10000:04d}",
            "postal_code": "100-0001",
            "address": "東京都千代田区",
            "date_joined": joined,
            "password_changed_at": self.now - datetime.timedelta(days=rng.randint(0, 90)),
            "last_activity_at": self.now - datetime.timedelta(days=rng.randint(0, 60)),
        }
        if employer:
            fields |= {
                "user_type": UserType.EMPLOYER,
                "establishment_name": f"株式会社ベンチ{n}",
                "establishment_number": f"{n % 10000:04d}-{n % 1000000:06d}-{n % 10}",
                "establishment_number_status": EstablishmentNumberStatus.NUMBER,
            }
        else:
            fields |= {
                "user_type": UserType.JOB_SEEKER,
                "jobseeker_number": f"{n % 100000:05d}-{n:08d}",
                "jobseeker_number_status": JobseekerNumberStatus.NUMBER,
            }
        return User(**fields)

    def _emails(self) -> int:
        made = 0
        for start in range(0, len(self.user_rows), BATCH * 4):
            rows = [
                EmailAddress(
                    user_id=pk,
                    email=f"{username(start + i)}@example.com",
                    verified=True,
                    primary=True,
                )
                for i, (pk, *_rest) in enumerate(self.user_rows[start : start + BATCH * 4])
            ]
            EmailAddress.objects.bulk_create(rows, batch_size=BATCH)
            made += len(rows)
        return made

    def _consents(self) -> int:
        made = 0
        accepted = self.now - datetime.timedelta(days=PAST_DAYS)
        for start in range(0, len(self.user_rows), BATCH * 4):
            rows = [
                Consent(
                    user_id=pk,
                    version_id=self.versions_of[(office_id, service)],
                    accepted_at=accepted,
                    method=ConsentMethod.ONLINE,
                    ip_address="127.0.0.1",
                    user_agent="bench",
                )
                for pk, office_id, _type, _name in self.user_rows[start : start + BATCH * 4]
                for service in (TermsService.BOOTH, TermsService.ONLINE)
            ]
            Consent.objects.bulk_create(rows, batch_size=BATCH)
            made += len(rows)
        return made

    def _closures(self) -> int:
        """Two extra closed days per office in the past and one ahead, as offices enter them."""
        rows = []
        for office in self.offices:
            for offset in self.rng.sample(range(-PAST_DAYS, 90), 3):
                day = self.today + datetime.timedelta(days=offset)
                if calendar.is_business_day(day):
                    rows.append(OfficeClosure(office=office, date=day, reason="庁舎点検"))
        OfficeClosure.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    # --- Reservations ----------------------------------------------------------------------

    def _slot_starts(self) -> list[datetime.datetime]:
        """Every slot start of every business day in the period (closures aside)."""
        first = self.today - datetime.timedelta(days=PAST_DAYS)
        last = last_requestable_day(self.now)
        days = [first + datetime.timedelta(days=d) for d in range((last - first).days + 1)]
        opens, closes = datetime.time(9, 0), datetime.time(17, 0)
        return list(calendar.iter_slots(days, opens_at=opens, closes_at=closes))

    def _reservations(self, count: int) -> int:
        if count == 0:
            return 0
        starts = self._slot_starts()
        per_booth = count / len(self.booths)
        if per_booth > len(starts):
            raise CommandError("More reservations than slots: add offices or lower the count.")
        self.active_future: dict[int, int] = defaultdict(int)  # user index -> active future
        self.held: set[tuple[int, datetime.datetime]] = set()  # (user index, start) active
        made, rows = 0, []
        remaining = count
        for position, booth in enumerate(self.booths):
            booths_left = len(self.booths) - position
            take = min(len(starts), round(remaining / booths_left))
            remaining -= take
            for slot in self.rng.sample(range(len(starts)), take):
                rows.append(self._reservation(booth, starts[slot]))
            if len(rows) >= BATCH * 10:
                bookings_bulk_create(Reservation, rows, batch_size=BATCH)
                made += len(rows)
                rows = []
        bookings_bulk_create(Reservation, rows, batch_size=BATCH)
        return made + len(rows)

    def _pick_user(self, office_id: int, future_active: bool, starts_at: datetime.datetime) -> int:
        candidates = self.users_of[office_id] or range(len(self.user_rows))
        for _ in range(20):
            index = self.rng.choice(candidates)
            if not future_active or self.active_future[index] < 2:
                break
        if future_active:
            # One person is never booked twice at one time (REQ CON-10): the database refuses it.
            if (index, starts_at) in self.held:
                index = next(i for i in candidates if (i, starts_at) not in self.held)
            self.held.add((index, starts_at))
            self.active_future[index] += 1
        return index

    def _reservation(self, booth: Booth, starts_at: datetime.datetime) -> Reservation:
        rng = self.rng
        ends_at = starts_at + calendar.SLOT
        created_at = starts_at - datetime.timedelta(
            days=rng.randint(1, 30), hours=rng.randint(0, 8)
        )
        created_at = min(created_at, self.now)
        past = starts_at + calendar.NO_SHOW_GRACE <= self.now  # the 10-minute rule applied
        roll = rng.random()
        fields: dict = {}
        if past:
            if roll < 0.78:
                status = Status.COMPLETED
                started = starts_at + datetime.timedelta(minutes=rng.randint(0, 5))
                fields = {
                    "phoned_at": created_at,
                    "confirmed_at": created_at,
                    "checked_in_at": started,
                    "actual_started_at": started,
                    "actual_ended_at": started + datetime.timedelta(minutes=rng.randint(10, 25)),
                    "completed_at": min(ends_at, self.now),
                    "reminder_sent_at": starts_at - datetime.timedelta(days=1),
                    "counselor_id": rng.choice(self.counselors_of[booth.office_id]),
                }
            elif roll < 0.94:
                status = Status.CANCELLED
                via = rng.choice([CancelledVia.ONLINE, CancelledVia.PHONE, CancelledVia.OFFICE])
                fields = {
                    "cancelled_at": min(starts_at - datetime.timedelta(hours=2), self.now),
                    "cancelled_via": via,
                }
            else:
                status = Status.NO_SHOW
                fields = {
                    "phoned_at": created_at,
                    "confirmed_at": created_at,
                    "no_show_at": starts_at + calendar.NO_SHOW_GRACE,
                    "no_show_mailed_at": starts_at + calendar.NO_SHOW_GRACE,
                    "reminder_sent_at": starts_at - datetime.timedelta(days=1),
                }
        elif roll < 0.55:
            status = Status.CONFIRMED
            fields = {"phoned_at": created_at, "confirmed_at": created_at}
        elif roll < 0.85:
            status = Status.REQUESTED
        else:
            status = Status.CANCELLED
            fields = {"cancelled_at": created_at, "cancelled_via": CancelledVia.ONLINE}
        active = status in (Status.REQUESTED, Status.CONFIRMED)
        index = self._pick_user(booth.office_id, future_active=active, starts_at=starts_at)
        pk, _office, user_type, name = self.user_rows[index]
        purposes = EMPLOYER_PURPOSES if user_type == UserType.EMPLOYER else JOB_SEEKER_PURPOSES
        return Reservation(
            booth=booth,
            starts_at=starts_at,
            ends_at=ends_at,
            user_id=pk,
            user_type=user_type,
            purpose=rng.choice(purposes),
            requester_name=name,
            phone="090-0000-0000",
            source=Source.ONLINE if rng.random() < 0.9 else Source.STAFF,
            status=status,
            created_at=created_at,
            **fields,
        )
