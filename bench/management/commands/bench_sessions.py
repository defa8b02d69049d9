"""`manage.py bench_sessions`: signed-in sessions for many distinct bench users, and their plans.

Sessions are made on the server (SessionStore's encoding, bulk-inserted), as a sign-in would
leave them, so the load tool only passes cookies. One JSON object a line goes to --out:

- mode `pages`: the cookie and the page paths of one user (their office's booth, this month,
  a business day ahead, their reservations, the top page, the terms, the floor).
- mode `booking`: users with no active future reservation, each with a distinct free slot of a
  booth of their office (`slot_path`), so a booking load measures bookings, not collisions.
- mode `booking-online`: job seekers with a job-seeker number and no active future booking,
  each with a distinct free online-consultation slot of their office's first counselor
  (`bench.online` gives that counselor a video tool and weekly availability when missing).
- mode `race`: --count users of one office all aiming at the same free slot.
- mode `race-online`: --count job seekers of one office all aiming at the same free slot of one
  counselor (online consultations, CON-7); the office gets a video tool and the counselor a
  weekly availability if they have none.
- mode `staff`: counselors of distinct offices in the counselors group, with an authenticator
  app enrolled and the second factor recorded in the session as a sign-in with it records it,
  and the paths of the admin's day sheet and call list of their office.
"""

from __future__ import annotations

import datetime
import json
import random
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.middleware import LAST_SEEN_SESSION_KEY
from accounts.models import JobseekerNumberStatus, User, UserType
from bookings import calendar
from booths.availability import closures_for, last_requestable_day, request_refusal_reason
from booths.kind import purposes_for
from booths.models import ACTIVE_STATUSES, Booth, Reservation
from terms.gate import SESSION_KEY as TERMS_SESSION_KEY
from terms.gate import accepted_versions

from .bench_data import OFFICE_PREFIX

BACKEND = "accounts.backends.ModelBackend"
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # bench counselors only


def make_sessions(users: list[User], extra=None) -> list[str]:
    """One stored, signed-in session per user, as a sign-in leaves it; returns the cookie
    values. What a sign-in does besides is done too: the activity touched (REG-6) and the
    accepted terms kept in the session (`terms.gate.keep_consents`); with the cached_db
    engine (production) the session is in the cache as well as in its table."""
    now = timezone.now()
    expire = now + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    store = SessionStore()
    accepted = accepted_versions([user.pk for user in users])
    keys, rows, cached = [], [], {}
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            LAST_SEEN_SESSION_KEY: int(now.timestamp()),
            **(
                {} if user.is_staff else {TERMS_SESSION_KEY: {"user": user.pk, **accepted[user.pk]}}
            ),
            **(extra(user) if extra else {}),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        cached[KEY_PREFIX + key] = data
        keys.append(key)
    Session.objects.bulk_create(rows, batch_size=2000)
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db":
        caches[settings.SESSION_CACHE_ALIAS].set_many(cached, settings.SESSION_COOKIE_AGE)
    User.objects.filter(pk__in=[user.pk for user in users]).update(
        last_activity_at=now, dormancy_warned_at=None
    )
    return keys


def business_days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    days = [first + datetime.timedelta(days=d) for d in range((last - first).days + 1)]
    return [day for day in days if calendar.is_business_day(day)]


class Command(BaseCommand):
    help = "Create signed-in sessions for bench users and write their cookies and paths."

    def add_arguments(self, parser):
        parser.add_argument(
            "--mode",
            choices=["pages", "booking", "booking-online", "race", "race-online", "staff"],
            default="pages",
        )
        parser.add_argument("--count", type=int, default=2000)
        parser.add_argument("--out", required=True)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--skip", type=int, default=0, help="booking: skip this many slots")

    def handle(self, *args, mode, count, out, seed, skip, **options):
        if not 1 <= count <= 200_000:
            raise CommandError("--count 1..200000")
        rng = random.Random(seed)
        now = timezone.now()
        if mode == "pages":
            lines = self._pages(self._customers(), count, rng, now)
        elif mode == "staff":
            lines = self._staff(count, now)
        else:
            free = self._free_customers(now)
            if mode == "booking":
                lines = self._booking(free, count, rng, now, skip)
            elif mode == "booking-online":
                lines = self._booking_online(free, count, rng, now)
            elif mode == "race":
                lines = self._race(free, count, rng, now)
            else:
                lines = self._race_online(free, count, now)
        with open(out, "w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps(line) + "\n")
        self.stdout.write(f"{len(lines)} sessions ({mode}) written to {out}")

    @staticmethod
    def _customers():
        return User.objects.filter(
            office__code__startswith=OFFICE_PREFIX,
            user_type__in=[UserType.JOB_SEEKER, UserType.EMPLOYER],
            is_active=True,
        )

    @classmethod
    def _free_customers(cls, now):
        """Bench people with no active booth reservation ahead (bench_writes uses them too)."""
        return cls._customers().exclude(
            Exists(
                Reservation.objects.filter(
                    user=OuterRef("pk"), status__in=ACTIVE_STATUSES, ends_at__gt=now
                )
            )
        )

    def _pages(self, customers, count, rng, now) -> list[dict]:
        ids = list(customers.values_list("pk", flat=True)[: count * 20])
        users = list(
            User.objects.filter(pk__in=rng.sample(ids, min(count, len(ids)))).select_related(
                "office"
            )
        )
        booths: dict[int, list[int]] = {}
        for booth in Booth.objects.filter(office__in={u.office_id for u in users}, is_active=True):
            booths.setdefault(booth.office_id, []).append(booth.pk)
        today = calendar.local(now).date()
        ahead = business_days(
            today + datetime.timedelta(days=7), today + datetime.timedelta(days=21)
        )
        keys = make_sessions(users)
        lines = []
        for user, key in zip(users, keys, strict=True):
            booth = rng.choice(booths[user.office_id])
            day = rng.choice(ahead)
            month = f"{today.year}/{today.month}"
            lines.append(
                {
                    "cookie": key,
                    "user": user.pk,
                    "month": f"/booths/{booth}/{month}/",
                    "day": f"/booths/{booth}/{day.isoformat()}/",
                    "mine": reverse("workplace:my_reservations"),
                    "top": "/",
                    "terms": f"/terms/{user.office.code}/booth/",
                    "floor": f"/bench/floor/{booth}/{month}/",
                }
            )
        return lines

    def _staff(self, count, now) -> list[dict]:
        from accounts import roles, security

        group = roles.ensure_counselor_group()
        staff, seen = [], set()
        for user in User.objects.filter(
            office__code__startswith=OFFICE_PREFIX, is_staff=True, is_active=True
        ).order_by("office_id", "pk"):
            if user.office_id not in seen:
                seen.add(user.office_id)
                staff.append(user)
            if len(staff) >= count:
                break
        for user in staff:
            user.groups.add(group)
            if not security.has_second_factor(user):
                security.totp_enrol(user, STAFF_TOTP_SECRET)
        moment = now.timestamp()

        def second_factor(user):
            return {
                security.SECOND_FACTOR_SESSION_KEY: {
                    "user": str(user.pk),
                    "at": moment,
                    "type": "totp",
                }
            }

        keys = make_sessions(staff, extra=second_factor)
        return [
            {
                "cookie": key,
                "user": user.pk,
                "admin_day": "/admin/workplace/day/",
                "admin_calls": "/admin/workplace/calls/",
            }
            for user, key in zip(staff, keys, strict=True)
        ]

    def _free_slots(self, booth: Booth, now) -> list[datetime.datetime]:
        today = calendar.local(now).date()
        first, last = today + datetime.timedelta(days=3), last_requestable_day(now)
        closures = closures_for(booth, first, last)
        office = booth.office
        starts = calendar.iter_slots(
            business_days(first, last),
            opens_at=office.opens_at,
            closes_at=office.closes_at,
            closures=closures,
        )
        taken = set(
            Reservation.objects.filter(booth=booth, starts_at__gte=now)
            .holding_slot(now)
            .values_list("starts_at", flat=True)
        )
        return [
            start
            for start in starts
            if start not in taken
            and request_refusal_reason(office, start, now=now, closures=closures) is None
        ]

    @staticmethod
    def _slot_line(key: str, user: User, booth: Booth, start: datetime.datetime) -> dict:
        local = calendar.local(start)
        return {
            "cookie": key,
            "user": user.pk,
            "booth": booth.pk,
            "starts_at": start.isoformat(),
            "slot_path": f"/booths/{booth.pk}/{local.date().isoformat()}/{local:%H%M}/request/",
            # The purpose picked with the slot on the day page (the two-request flow).
            "answers_query": "?" + urlencode({"purpose": purposes_for(user)[0]}),
        }

    def _race_online(self, free, count, now) -> list[dict]:
        """`count` job seekers of one office, all after one counselor's earliest free slot."""
        from consultations import availability as online
        from consultations.models import AvailabilityPattern, VideoTool, VideoToolKind

        seekers = free.filter(
            user_type=UserType.JOB_SEEKER,
            jobseeker_number_status=JobseekerNumberStatus.NUMBER,
            office__offers_online_consultations=True,
        )
        office_id, users = self._largest_office_users(seekers, count)
        office = users[0].office
        VideoTool.objects.get_or_create(
            office=office,
            kind=VideoToolKind.ZOOM,
            defaults={"name": "Zoom", "allowed_hosts": "zoom.us", "terms_url": "https://zoom.us/"},
        )
        counselor = (
            User.objects.filter(office_id=office_id, is_staff=True, is_active=True)
            .order_by("pk")
            .first()
        )
        today = calendar.local(now).date()
        for weekday in range(5):
            AvailabilityPattern.objects.get_or_create(
                counselor=counselor,
                office=office,
                weekday=weekday,
                defaults={
                    "starts_at": office.opens_at,
                    "ends_at": office.closes_at,
                    "valid_from": today,
                },
            )
        slots = online.free_slots_from(office, counselor=counselor, now=now, limit=1, days=60)
        if not slots:
            raise CommandError(f"counselor {counselor.pk} has no free slot")
        local = calendar.local(slots[0].starts_at)
        path = f"/consultations/{counselor.pk}/{local.date().isoformat()}/{local:%H%M}/request/"
        return [
            {
                "cookie": key,
                "user": user.pk,
                "counselor": counselor.pk,
                "starts_at": slots[0].starts_at.isoformat(),
                "slot_path": path,
            }
            for key, user in zip(make_sessions(users), users, strict=True)
        ]

    def _booking(self, free, count, rng, now, skip) -> list[dict]:
        """Users spread over offices, each with a slot nobody else in the plan aims at."""
        ids = list(free.values_list("pk", flat=True)[: count * 10])
        users = list(User.objects.filter(pk__in=rng.sample(ids, min(count, len(ids)))))
        by_office: dict[int, list[User]] = {}
        for user in users:
            by_office.setdefault(user.office_id, []).append(user)
        plan: list[tuple[User, Booth, datetime.datetime]] = []
        for booth in Booth.objects.filter(office__in=by_office, is_active=True).select_related(
            "office"
        ):
            waiting = by_office[booth.office_id]
            if not waiting:
                continue
            slots = self._free_slots(booth, now)[skip:]
            rng.shuffle(slots)
            while waiting and slots:
                plan.append((waiting.pop(), booth, slots.pop()))
        rng.shuffle(plan)
        keys = make_sessions([user for user, _booth, _start in plan])
        return [
            self._slot_line(key, user, booth, start)
            for key, (user, booth, start) in zip(keys, plan, strict=True)
        ]

    def _booking_online(self, free, count, rng, now) -> list[dict]:
        """Job seekers spread over offices, each with an online slot nobody else aims at."""
        from bench.online import online_counselor, online_slot_path
        from consultations import availability as online
        from consultations.models import Consultation, ConsultationPurpose

        seekers = free.filter(
            user_type=UserType.JOB_SEEKER,
            jobseeker_number_status=JobseekerNumberStatus.NUMBER,
            office__offers_online_consultations=True,
        ).exclude(
            Exists(
                Consultation.objects.filter(
                    user=OuterRef("pk"), status__in=ACTIVE_STATUSES, ends_at__gt=now
                )
            )
        )
        ids = list(seekers.values_list("pk", flat=True)[: count * 10])
        users = list(
            User.objects.filter(pk__in=rng.sample(ids, min(count, len(ids)))).select_related(
                "office"
            )
        )
        by_office: dict[int, list[User]] = {}
        for user in users:
            by_office.setdefault(user.office_id, []).append(user)
        plan = []
        for waiting in by_office.values():
            counselor, tool = online_counselor(waiting[0].office, now)
            slots = online.free_slots_from(
                waiting[0].office, counselor=counselor, now=now, limit=len(waiting), days=60
            )
            for user, slot in zip(waiting, slots, strict=False):
                plan.append((user, counselor, slot.starts_at, tool))
        rng.shuffle(plan)
        keys = make_sessions([user for user, _c, _s, _t in plan])
        purpose = ConsultationPurpose.values[0]
        return [
            {
                "cookie": key,
                "user": user.pk,
                "counselor": counselor.pk,
                "starts_at": start.isoformat(),
                "slot_path": online_slot_path(counselor, start),
                # The purpose and video tool picked with the slot (the two-request flow).
                "answers_query": "?" + urlencode({"purpose": purpose, "video_tool": tool.pk}),
            }
            for key, (user, counselor, start, tool) in zip(keys, plan, strict=True)
        ]

    @staticmethod
    def _largest_office_users(free, count) -> tuple[int, list[User]]:
        office_id = (
            free.values("office_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("office_id", flat=True)
            .first()
        )
        users = list(free.filter(office_id=office_id).order_by("?")[:count])
        if len(users) < count:
            raise CommandError(f"only {len(users)} free users in the largest office")
        return office_id, users

    def _race(self, free, count, rng, now) -> list[dict]:
        """`count` users of the office with the most of them, all after one free slot."""
        office_id, users = self._largest_office_users(free, count)
        booth = Booth.objects.filter(office_id=office_id, is_active=True).select_related("office")[
            0
        ]
        start = rng.choice(self._free_slots(booth, now))
        keys = make_sessions(users)
        return [
            self._slot_line(key, user, booth, start) for key, user in zip(keys, users, strict=True)
        ]
