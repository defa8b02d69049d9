"""What is free and bookable: reads that combine the calendar with the stored reservations.

Each function runs a fixed number of queries (the office's closures, the reservations of the
period), whatever the number of reservations stored (REQ NFR-4).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from consultations import calendar
from consultations.models import OfficeClosure

from .models import Booth, Reservation

# Enough days before a period to find the previous business day across the longest closure.
LOOKBACK = datetime.timedelta(days=21)
ALTERNATIVES_DAYS = 21
# Users see and request slots from the current month up to this many months ahead.
MONTHS_AHEAD = 3


class SlotState:
    FREE = "free"
    TAKEN = "taken"
    TOO_LATE = "too_late"  # past, or after the booking deadline


@dataclass(frozen=True)
class Slot:
    starts_at: datetime.datetime
    state: str

    @property
    def ends_at(self) -> datetime.datetime:
        return self.starts_at + calendar.SLOT

    @property
    def is_free(self) -> bool:
        return self.state == SlotState.FREE


@dataclass(frozen=True)
class DaySummary:
    date: datetime.date
    closed_reason: str | None
    free: int
    total: int
    is_past: bool = False


def closures_for(booth: Booth, start: datetime.date, end: datetime.date) -> frozenset:
    since = start - LOOKBACK if start > datetime.date.min + LOOKBACK else datetime.date.min
    return OfficeClosure.objects.for_office(booth.office_id).dates_between(since, end)


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def shown_months(now: datetime.datetime) -> tuple[int, int]:
    """The first and last month users may look at, as year * 12 + month - 1."""
    first = _month_index(calendar.local(now).date())
    return first, first + MONTHS_AHEAD


def is_shown_month(year: int, month: int, now: datetime.datetime) -> bool:
    first, last = shown_months(now)
    return 1 <= month <= 12 and first <= year * 12 + month - 1 <= last


def is_shown_day(day: datetime.date, now: datetime.datetime) -> bool:
    """Whether `day` lies in the months users may look at (the current one and MONTHS_AHEAD)."""
    return is_shown_month(day.year, day.month, now)


def last_requestable_day(now: datetime.datetime) -> datetime.date:
    """The last day of the booking horizon: the end of the month MONTHS_AHEAD from now."""
    year, month = divmod(shown_months(now)[1], 12)
    return calendar.month_days(year, month + 1)[-1]


def taken_starts(
    booth: Booth, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime
) -> set[datetime.datetime]:
    """Starts of the slots held by a reservation between `start` and `end` (one query)."""
    return set(
        Reservation.objects.filter(booth=booth, starts_at__gte=start, starts_at__lt=end)
        .holding_slot(now)
        .values_list("starts_at", flat=True)
    )


def request_refusal_reason(
    booth: Booth,
    starts_at: datetime.datetime,
    *,
    now: datetime.datetime,
    closures: frozenset,
) -> str | None:
    """Why this slot can't be requested now, from the calendar alone (OFF-2, OFF-3, BTH-4).

    Slots beyond the booking horizon (MONTHS_AHEAD) are refused too.
    """
    office = booth.office
    reason = calendar.slot_refusal_reason(
        starts_at, opens_at=office.opens_at, closes_at=office.closes_at, closures=closures
    )
    if reason:
        return reason
    if starts_at <= now:
        return _("This slot has already started or passed.")
    horizon = last_requestable_day(now)
    if calendar.local(starts_at).date() > horizon:
        return _(
            "Requests are taken up to %(day)s (%(months)s months ahead). Please choose an "
            "earlier day."
        ) % {"day": calendar.format_date(horizon), "months": MONTHS_AHEAD}
    deadline = calendar.booking_deadline(
        starts_at, cutoff_time=office.booking_cutoff_time, closures=closures
    )
    if now >= deadline:
        return _(
            "Requests for this slot closed at %(deadline)s (the cut-off on the previous "
            "business day). Please choose a later day or phone the office."
        ) % {"deadline": calendar.format_datetime(deadline)}
    return None


def _slot_state(booth: Booth, starts_at, *, now, closures, taken: set[datetime.datetime]) -> str:
    if starts_at in taken:
        return SlotState.TAKEN
    if request_refusal_reason(booth, starts_at, now=now, closures=closures):
        return SlotState.TOO_LATE
    return SlotState.FREE


def _day_bounds(first: datetime.date, last: datetime.date):
    start = datetime.datetime.combine(first, datetime.time(0), tzinfo=calendar.TOKYO)
    end = datetime.datetime.combine(
        last + datetime.timedelta(days=1), datetime.time(0), tzinfo=calendar.TOKYO
    )
    return start, end


def day_view(
    booth: Booth, day: datetime.date, *, now: datetime.datetime | None = None
) -> tuple[str | None, list[Slot]]:
    """The closed reason (or None) and every slot of `day` with its state."""
    now = now or timezone.now()
    closures = closures_for(booth, day, day)
    reason = calendar.closed_reason(day, closures=closures)
    if reason:
        return reason, []
    start, end = _day_bounds(day, day)
    taken = taken_starts(booth, start, end, now)
    office = booth.office
    slots = [
        Slot(moment, _slot_state(booth, moment, now=now, closures=closures, taken=taken))
        for moment in calendar.day_slots(
            day, opens_at=office.opens_at, closes_at=office.closes_at, closures=closures
        )
    ]
    return None, slots


def month_view(
    booth: Booth, year: int, month: int, *, now: datetime.datetime | None = None
) -> list[DaySummary]:
    """Every day of the month with its free-slot count (two queries)."""
    now = now or timezone.now()
    days = calendar.month_days(year, month)
    closures = closures_for(booth, days[0], days[-1])
    start, end = _day_bounds(days[0], days[-1])
    taken = taken_starts(booth, start, end, now)
    office = booth.office
    today = calendar.local(now).date()
    summaries = []
    for day in days:
        reason = calendar.closed_reason(day, closures=closures)
        slots = calendar.day_slots(
            day, opens_at=office.opens_at, closes_at=office.closes_at, closures=closures
        )
        free = sum(
            1
            for moment in slots
            if _slot_state(booth, moment, now=now, closures=closures, taken=taken) == SlotState.FREE
        )
        summaries.append(DaySummary(day, reason, free, len(slots), is_past=day < today))
    return summaries


def free_slots_from(
    booth: Booth, *, now: datetime.datetime | None = None, limit: int = 6
) -> list[Slot]:
    """The next free slots of the booth, offered when the chosen one was just taken (BTH-2)."""
    now = now or timezone.now()
    first = calendar.local(now).date()
    last = first + datetime.timedelta(days=ALTERNATIVES_DAYS)
    closures = closures_for(booth, first, last)
    start, end = _day_bounds(first, last)
    taken = taken_starts(booth, start, end, now)
    office = booth.office
    free = []
    for moment in calendar.iter_slots(
        calendar.business_days_between(first, last, closures=closures),
        opens_at=office.opens_at,
        closes_at=office.closes_at,
        closures=closures,
    ):
        if _slot_state(booth, moment, now=now, closures=closures, taken=taken) == SlotState.FREE:
            free.append(Slot(moment, SlotState.FREE))
            if len(free) >= limit:
                break
    return free


def current_slot(booth: Booth, now: datetime.datetime) -> datetime.datetime | None:
    """The grid slot running now at the booth's office, or None when it is closed."""
    office = booth.office
    closures = closures_for(booth, calendar.local(now).date(), calendar.local(now).date())
    if not calendar.is_business_day(calendar.local(now).date(), closures=closures):
        return None
    return calendar.slot_start_containing(now, opens_at=office.opens_at, closes_at=office.closes_at)


def free_booths_now(
    booths: list[Booth], now: datetime.datetime
) -> tuple[datetime.datetime | None, list[Booth]]:
    """The slot running now at the booths' office and the booths free in it (BTH-8).

    The booths belong to one office; one query whatever their number.
    """
    slot = current_slot(booths[0], now) if booths else None
    if slot is None:
        return None, []
    taken = set(
        Reservation.objects.filter(booth__in=booths, starts_at=slot)
        .holding_slot(now)
        .values_list("booth_id", flat=True)
    )
    return slot, [booth for booth in booths if booth.pk not in taken]
