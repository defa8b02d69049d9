"""An office's weekly booking funnel over the last 12 weeks (REQ STA-2, STA-1).

Both services, bookings made in advance (booth requests online or by staff, and online
consultations), counted by the week (Monday to Sunday, Asia/Tokyo) of their slot:

- requests: every such booking;
- confirmed: of those, the ones the office confirmed (by phone, or at once online);
- held: checked in, completed, or joined (online) and not cancelled;
- no-contact: recorded by the job, or already overdue under the 10-minute rule (BTH-6);
- cancelled: by the user, by phone or by the office, for any cause but "not confirmed by the
  office" (a request closed that way is in none of the last three).

Two GROUP BY queries (one a service) over the office's 12 weeks, whatever the data's size.
The counts are suppressed as the monthly figures are (`workplace.suppression`): a reader knows
that each week's requests end held, as no-contacts, cancelled, or still waiting or unconfirmed,
and takes that rest as known, so a hidden count of a week can't be worked out from the week's
other figures.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Office
from bookings import calendar
from bookings.models import CancelledVia, Source, Status, overdue_q
from booths.models import Reservation
from consultations.models import Consultation

from .statistics import Cell
from .suppression import suppress

WEEKS = 12
STAGES: list[tuple[str, Promise]] = [
    ("requests", _("Requests")),
    ("confirmed", _("Confirmed")),
    ("held", _("Held")),
    ("no_contact", _("No-contact cancellations")),
    ("cancelled", _("Cancelled")),
]
# Every request ends held, as a no-contact, cancelled, or in a small rest (waiting, or never
# confirmed) a reader may know.
BALANCE = {"requests": 1, "held": -1, "no_contact": -1, "cancelled": -1}


@dataclass
class Week:
    monday: datetime.date
    cells: list[Cell]

    @property
    def sunday(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=6)


@dataclass
class Funnel:
    office: Office
    stages: list[tuple[str, Promise]]
    weeks: list[Week]


def funnel_weeks(today: datetime.date, weeks: int = WEEKS) -> list[datetime.date]:
    """The Mondays of the `weeks` weeks that end with the one holding `today`."""
    monday = today - datetime.timedelta(days=today.weekday())
    return [monday - datetime.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def funnel_relations(mondays: list[datetime.date]) -> list[dict]:
    return [{(monday, name): sign for name, sign in BALANCE.items()} for monday in mondays]


def _counts(queryset, start, end, now, held: Q) -> list[dict]:
    advance = Q(source__in=[Source.ONLINE, Source.STAFF])
    cancelled = Q(status=Status.CANCELLED) & ~Q(cancelled_via=CancelledVia.NOT_CONFIRMED)
    return list(
        queryset.filter(advance, starts_at__gte=start, starts_at__lt=end)
        .annotate(day=TruncDate("starts_at", tzinfo=calendar.TOKYO))
        .order_by()
        .values("day")
        .annotate(
            requests=Count("pk"),
            confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)),
            held=Count("pk", filter=held),
            no_contact=Count("pk", filter=Q(status=Status.NO_SHOW) | overdue_q(now)),
            cancelled=Count("pk", filter=cancelled),
        )
    )


def weekly_funnel(*, office: Office, now: datetime.datetime | None = None) -> Funnel:
    """The office's funnel for the 12 weeks ending with this one, suppressed."""
    now = now or timezone.now()
    mondays = funnel_weeks(timezone.localdate(now, timezone=calendar.TOKYO))
    start = datetime.datetime.combine(mondays[0], datetime.time(), tzinfo=calendar.TOKYO)
    end = start + datetime.timedelta(weeks=len(mondays))
    in_progress = Q(status__in=[Status.CHECKED_IN, Status.COMPLETED])
    rows = [
        *_counts(Reservation.objects.filter(booth__office=office), start, end, now, in_progress),
        *_counts(
            Consultation.objects.filter(office=office),
            start,
            end,
            now,
            in_progress | (Q(joined_at__isnull=False) & ~Q(status=Status.CANCELLED)),
        ),
    ]
    values = {(monday, name): 0 for monday in mondays for name, _label in STAGES}
    for row in rows:
        monday = row["day"] - datetime.timedelta(days=row["day"].weekday())
        for name, _label in STAGES:
            values[(monday, name)] += row[name]
    hidden = suppress(values, funnel_relations(mondays))
    weeks = [
        Week(monday, [Cell(values[(monday, n)], (monday, n) in hidden) for n, _l in STAGES])
        for monday in mondays
    ]
    return Funnel(office=office, stages=STAGES, weeks=weeks)
