"""The slot types and day summaries both services' month and day views show, and the office's
closures as the calendar wants them (REQ OFF-2, OFF-3, NFR-4)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from core.statements import kept_rows
from core.versioning import office_cached

from . import calendar
from .models import OfficeClosure

# Enough days before a period to find the previous business day across the longest closure.
LOOKBACK = datetime.timedelta(days=21)
ALTERNATIVES_DAYS = 21


class SlotState:
    FREE = "free"
    TAKEN = "taken"
    TOO_LATE = "too_late"  # past, or after the booking deadline


@dataclass(frozen=True)
class Slot:
    starts_at: datetime.datetime
    state: str
    counselors: tuple = field(default=(), compare=False)

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
    # Every slot left is past the cut-off: the day is closed for requests, not full.
    too_late: bool = False


def closures_for(office_id: int, start: datetime.date, end: datetime.date) -> frozenset:
    since = start - LOOKBACK if start > datetime.date.min + LOOKBACK else datetime.date.min
    # No ordering: the model's default order would join the office for nothing. The
    # statement is kept once a process (a cold office's first page builds it otherwise).
    rows = kept_rows(
        "bookings.availability.closures_for",
        lambda given: (
            OfficeClosure.objects.for_office(given["office"])
            .order_by()
            .between(given["since"], given["end"])
            .values_list("date")
        ),
        {"office": office_id, "since": since, "end": end},
        stand_ins=lambda n: {
            "office": -7_000_000 - n,
            "since": datetime.date(1901, 1, n),
            "end": datetime.date(1902, 2, n + 2),
        },
    )
    return frozenset(day for (day,) in rows)


def kept_closures(office, day: datetime.date) -> frozenset:
    """The office's closures `day` needs, from the grids cache while the office's places
    version stands (closures raise it, bookings do not; core.versioning): the pages of one
    booking, and of the next one, read them once (REQ NFR-4). `office` must have been read in
    this request."""
    return office_cached(
        "closures",
        (day,),
        office=office,
        build=lambda: closures_for(office.pk, day, day),
        version="places_version",
    )


def day_bounds(first: datetime.date, last: datetime.date):
    start = datetime.datetime.combine(first, datetime.time(0), tzinfo=calendar.TOKYO)
    end = datetime.datetime.combine(
        last + datetime.timedelta(days=1), datetime.time(0), tzinfo=calendar.TOKYO
    )
    return start, end


def summarise_day(day, reason, states: list[str], today) -> DaySummary:
    free = states.count(SlotState.FREE)
    late = states.count(SlotState.TOO_LATE)
    return DaySummary(
        day, reason, free, len(states), is_past=day < today, too_late=free == 0 and late > 0
    )
