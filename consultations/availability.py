"""What is free and bookable online: counselors' published slots minus what holds them
(REQ CON-1, CON-7, OFF-2, OFF-3, NFR-4), and the slot types both services show.

Each function runs a fixed number of queries (closures, patterns, single slots, holds, the
counselors), whatever the number of bookings stored.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.safestring import SafeString

from accounts.models import Office, User
from bookings import calendar, gridcache
from bookings.availability import (
    ALTERNATIVES_DAYS,
    DaySummary,
    Slot,
    SlotState,
    closures_for,
    day_bounds,
    kept_closures,
    summarise_day,
)
from bookings.models import CounselorHold
from bookings.rules import day_refusal_reason
from core.versioning import office_cached

from .models import AvailabilityException, AvailabilityPattern, ExceptionKind


def online_counselors(office: Office, counselor_id: int | None = None):
    """The office's counselors who publish availability (CON-1), by name."""
    # EXISTS, not a join made DISTINCT over every column of the user's row: a third of the
    # database's time for the same people.
    counselors = User.objects.counselors(office.pk).filter(
        Exists(AvailabilityPattern.objects.filter(counselor=OuterRef("pk")))
    )
    if counselor_id is not None:
        counselors = counselors.filter(pk=counselor_id)
    return list(counselors.order_by("last_name", "first_name", "pk"))


def kept_online_counselors(office: Office, counselor_id: int | None = None) -> list:
    """`online_counselors(office)`, kept in the grids cache under the office's people version
    (raised by a change of its people's names or standing: staff, active, superuser, office)
    and its places version (raised by their published times, so by who publishes any): a
    slot link's named counselor, "any counselor", the month and day pages, the check page
    and the send read no user rows while neither moves (REQ NFR-4). A counselor
    added since has no published times yet, and publishing raises the places version.
    `office` must have been read in this request. With `counselor_id`, that one (or none),
    as `online_counselors` says."""
    counselors = office_cached(
        "online-counselors",
        (office.places_version,),
        office=office,
        build=lambda: online_counselors(office),
        version="people_version",
    )
    if counselor_id is not None:
        return [c for c in counselors if c.pk == counselor_id]
    return counselors


@dataclass
class _Grid:
    """Per slot start: the counselors who offer it and those of them still free."""

    offered: dict = field(default_factory=lambda: defaultdict(list))
    free: dict = field(default_factory=lambda: defaultdict(list))
    closures: frozenset = frozenset()
    day_refused: dict = field(default_factory=dict)


def _grid(
    office: Office,
    first: datetime.date,
    last: datetime.date,
    *,
    now,
    counselors: list,
    closures: frozenset | None = None,
    holds: bool = True,
) -> _Grid:
    """Who offers each slot of `first`…`last` and, with `holds`, who of them is still free
    (without: everyone offering counts as free)."""
    if closures is None:
        closures = closures_for(office.pk, first, last)
    grid = _Grid(closures=closures)
    if not counselors:
        return grid
    ids = [c.pk for c in counselors]
    start, end = day_bounds(first, last)
    patterns = defaultdict(list)
    for pattern in AvailabilityPattern.objects.filter(
        counselor_id__in=ids, office=office, valid_from__lte=last
    ).exclude(valid_until__lt=first):
        patterns[pattern.counselor_id].append(pattern)
    extra, withdrawn = set(), set()
    for counselor_id, starts_at, kind in AvailabilityException.objects.filter(
        counselor_id__in=ids, starts_at__gte=start, starts_at__lt=end
    ).values_list("counselor_id", "starts_at", "kind"):
        (extra if kind == ExceptionKind.EXTRA else withdrawn).add((counselor_id, starts_at))
    held = _held(ids, start, end) if holds else set()
    day = first
    while day <= last:
        for moment in calendar.day_slots(
            day, opens_at=office.opens_at, closes_at=office.closes_at, closures=closures
        ):
            for counselor in counselors:
                key = (counselor.pk, moment)
                offers = key in extra or any(p.covers(moment) for p in patterns[counselor.pk])
                if not offers or key in withdrawn:
                    continue
                grid.offered[moment].append(counselor)
                if key not in held:
                    grid.free[moment].append(counselor)
        day += datetime.timedelta(days=1)
    return grid


def _state(office, moment, grid: _Grid, now) -> str:
    if not grid.free.get(moment):
        return SlotState.TAKEN
    day = calendar.local(moment).date()
    if day not in grid.day_refused:
        grid.day_refused[day] = bool(
            day_refusal_reason(office, day, now=now, closures=grid.closures)
        )
    if grid.day_refused[day] or moment <= now:
        return SlotState.TOO_LATE
    return SlotState.FREE


def month_view(
    office: Office, year: int, month: int, *, now=None, counselor_id: int | None = None
) -> list[DaySummary]:
    """Every day of the month with its number of slots a counselor (or the one) is free in."""
    now = now or timezone.now()
    days = calendar.month_days(year, month)
    counselors = kept_online_counselors(office, counselor_id)
    grid = _grid(office, days[0], days[-1], now=now, counselors=counselors)
    today = calendar.local(now).date()
    summaries = []
    for day in days:
        reason = calendar.closed_reason(day, closures=grid.closures)
        states = [
            _state(office, moment, grid, now)
            for moment in sorted(m for m in grid.offered if calendar.local(m).date() == day)
        ]
        summaries.append(summarise_day(day, reason, states, today))
    return summaries


def month_grid(
    office: Office,
    year: int,
    month: int,
    *,
    now: datetime.datetime,
    counselor_id: int | None,
    extra: tuple,
    render: Callable[[list[DaySummary]], str],
) -> SafeString:
    """The month's grid as `render(summaries)` makes it, from the grids cache while the
    office's data, its counselors (or the one) and the time-dependent states are unchanged
    (bookings.gridcache; REQ NFR-4). `extra` names what else the rendering depends on (the
    page's "who")."""
    counselors = kept_online_counselors(office, counselor_id)

    def build() -> str:
        return render(month_view(office, year, month, now=now, counselor_id=counselor_id))

    ids = tuple(c.pk for c in counselors)
    return gridcache.grid(
        "online-month-grid", (ids, year, month, *extra), office=office, now=now, build=build
    )


def day_view(
    office: Office, day: datetime.date, *, now=None, counselor_id: int | None = None
) -> tuple[str | None, list[Slot]]:
    """The closed reason (or None) and every offered slot of `day` with its free counselors."""
    now = now or timezone.now()
    counselors = kept_online_counselors(office, counselor_id)
    grid = _kept_day(office, day, counselors=counselors)
    reason = calendar.closed_reason(day, closures=grid.closures)
    if reason:
        return reason, []
    return None, [
        Slot(moment, _state(office, moment, grid, now), tuple(grid.free.get(moment, ())))
        for moment in sorted(grid.offered)
    ]


def free_slots_from(
    office: Office, *, counselor=None, now=None, limit: int = 6, days: int = ALTERNATIVES_DAYS
) -> list[Slot]:
    """The earliest free slots across the office's counselors (or one counselor): the "any
    counselor" view, and what a user sees when their slot was just taken (BTH-2)."""
    now = now or timezone.now()
    first = calendar.local(now).date()
    counselors = online_counselors(office, getattr(counselor, "pk", counselor))
    grid = _grid(
        office, first, first + datetime.timedelta(days=days), now=now, counselors=counselors
    )
    free = []
    for moment in sorted(grid.offered):
        if _state(office, moment, grid, now) == SlotState.FREE:
            free.append(Slot(moment, SlotState.FREE, tuple(grid.free[moment])))
            if len(free) >= limit:
                break
    return free


def _held(ids: list, start: datetime.datetime, end: datetime.datetime) -> set:
    """(counselor id, start) of every hold of `ids` starting in [start, end)."""
    return set(
        CounselorHold.objects.filter(
            counselor_id__in=ids, starts_at__gte=start, starts_at__lt=end
        ).values_list("counselor_id", "starts_at")
    )


@dataclass(frozen=True)
class SlotCounselors:
    """Who publishes one slot, and (read when first asked: one query) who of them is still
    free in it. A named counselor's booking never asks: the holds' constraints decide."""

    offered: tuple
    starts_at: datetime.datetime

    @cached_property
    def free(self) -> tuple:
        if not self.offered:
            return ()
        held = _held([c.pk for c in self.offered], self.starts_at, self.starts_at + calendar.SLOT)
        return tuple(c for c in self.offered if (c.pk, self.starts_at) not in held)


def _published_day(office: Office, day: datetime.date, *, counselors: list, closures) -> dict:
    """Per slot start of `day`: the ids of `counselors` who publish it (weekly patterns and
    extra slots, not withdrawn ones), by name.

    Kept in the grids cache under the office's places version, which the database raises with
    any change of its closures, counselors' patterns and exceptions, video tools and their
    defaults, and never with a booking (core.versioning, consultations 0017): what a booking
    reads of the published times outlives the bookings made meanwhile (REQ NFR-4). `office`
    must have been read in this request."""

    def build() -> dict:
        grid = _grid(
            office, day, day, now=None, counselors=counselors, closures=closures, holds=False
        )
        return {moment: tuple(c.pk for c in offered) for moment, offered in grid.offered.items()}

    ids = tuple(c.pk for c in counselors)
    return office_cached(
        "online-published",
        (day, ids, office.opens_at, office.closes_at),
        office=office,
        build=build,
        version="places_version",
    )


def _kept_day(office: Office, day: datetime.date, *, counselors: list) -> _Grid:
    """The day's grid of `counselors`: who publishes and who holds each slot.

    Kept in the grids cache under the office's availability version, which the database
    raises with any change of the office's bookings (and so their holds), closures, patterns
    and exceptions (core.versioning), and under the counselors' ids and the office's hours:
    the day page builds it, and the form, its check and the send that follow read it there,
    down to the choice of a free counselor (REQ NFR-4). `office` must have been read in this
    request. Time plays no part: `_state` applies the rules of time to it. Built from the
    published times kept under the places version (`_published_day`) and the day's holds."""
    closures = kept_closures(office, day)

    def build() -> dict:
        published = _published_day(office, day, counselors=counselors, closures=closures)
        start, end = day_bounds(day, day)
        held = _held(list(ids), start, end) if published else set()
        return {
            moment: (offered, tuple(pk for pk in offered if (pk, moment) not in held))
            for moment, offered in published.items()
        }

    ids = tuple(c.pk for c in counselors)
    slots = office_cached(
        "online-day", (day, ids, office.opens_at, office.closes_at), office=office, build=build
    )
    by_id = {c.pk: c for c in counselors}
    grid = _Grid(closures=closures)
    for moment, (offered, free) in slots.items():
        grid.offered[moment] = [by_id[pk] for pk in offered]
        if free:
            grid.free[moment] = [by_id[pk] for pk in free]
    return grid


def counselors_at(
    office: Office, starts_at: datetime.datetime, *, counselor=None
) -> SlotCounselors:
    """The office's counselors (or the one) who publish `starts_at`, by name, from the
    published times kept under the places version (`_published_day`); those still free in it
    are read when asked (`SlotCounselors.free`).

    A named counselor's slot is looked up in the published day of all the office's online
    counselors, the one "any counselor" reads too: one kept entry an office and day, not one
    a counselor (REQ NFR-4). A counselor who is not one of them (staff naming someone who
    publishes nothing) is read alone, as before."""
    everyone = kept_online_counselors(office)
    counselors = everyone
    if counselor is not None:
        counselors = [counselor]
        if not any(c.pk == counselor.pk for c in everyone):
            everyone = counselors
    day = calendar.local(starts_at).date()
    published = _published_day(
        office, day, counselors=everyone, closures=kept_closures(office, day)
    )
    by_id = {c.pk: c for c in counselors}
    return SlotCounselors(
        offered=tuple(by_id[pk] for pk in published.get(starts_at, ()) if pk in by_id),
        starts_at=starts_at,
    )


def free_counselors_at(office: Office, starts_at: datetime.datetime, *, now=None) -> list:
    """The counselors who offer `starts_at` and are still free in it."""
    return list(counselors_at(office, starts_at).free)


def offered_by(counselor, starts_at: datetime.datetime) -> bool:
    """Whether `counselor` publishes the slot (pattern or extra, not withdrawn), read from the
    tables themselves, never the kept day grid: the availability admin asks it inside the
    transaction that changes a pattern, before the office's version it holds is the new one."""
    day = calendar.local(starts_at).date()
    grid = _grid(counselor.office, day, day, now=timezone.now(), counselors=[counselor])
    return any(c.pk == counselor.pk for c in grid.offered.get(starts_at, ()))
