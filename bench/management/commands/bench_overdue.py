"""`manage.py bench_overdue --count K`: K confirmed bookings whose time has passed without
contact (the 10-minute rule applies only to bookings the office confirmed, BTH-6).

Each belongs to a different user who has no other reservation, so the no-show job must record
each once and queue exactly one mail per user (the faults harness counts them). Prints JSON.
"""

from __future__ import annotations

import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User, UserType
from bookings import calendar
from bookings.services import bookings_bulk_create
from booths.models import Booth, Purpose, Reservation, Status


class Command(BaseCommand):
    help = "Insert overdue confirmed bookings (the 10-minute rule applies) for fresh users."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=50)

    def handle(self, *args, count, **options):
        if not 1 <= count <= 10_000:
            raise CommandError("--count 1..10000")
        now = timezone.now()
        users = list(
            User.objects.filter(user_type=UserType.JOB_SEEKER, is_active=True)
            .exclude(email="")
            .exclude(Exists(Reservation.objects.filter(user=OuterRef("pk"))))
            .order_by("-pk")[:count]
        )
        if len(users) < count:
            raise CommandError(f"only {len(users)} users without reservations")
        booths = {b.office_id: b for b in Booth.objects.filter(is_active=True)}
        latest = calendar.local(now - datetime.timedelta(minutes=40))
        latest = latest.replace(minute=latest.minute // 30 * 30, second=0, microsecond=0)
        used: dict[int, int] = {}
        rows = []
        for user in users:
            booth = booths.get(user.office_id)
            if booth is None:
                continue
            step = used.get(booth.pk, 0)
            used[booth.pk] = step + 1
            starts_at = latest - step * calendar.SLOT
            rows.append(
                Reservation(
                    booth=booth,
                    starts_at=starts_at,
                    ends_at=starts_at + calendar.SLOT,
                    user=user,
                    user_type=user.user_type,
                    purpose=Purpose.JOB_CONSULTATION,
                    requester_name=user.username,
                    phone="090-0000-0000",
                    status=Status.CONFIRMED,
                    created_at=starts_at - datetime.timedelta(days=2),
                    phoned_at=starts_at - datetime.timedelta(days=1),
                    confirmed_at=starts_at - datetime.timedelta(days=1),
                )
            )
        made = bookings_bulk_create(Reservation, rows)
        self.stdout.write(
            json.dumps(
                {
                    "reservations": [r.pk for r in made],
                    "users": [r.user_id for r in made],
                    "emails": sorted({r.user.email for r in made}),
                }
            )
        )
