"""What is free and bookable in a booth: the calendar combined with the stored reservations.

The slot types, the closures lookup and the request rules are the shared ones of the
consultations app; this module adds what is particular to booths. Each function runs a fixed
number of queries (the office's closures, the reservations of the period), whatever the number
of reservations stored (REQ NFR-4).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from bookings import calendar, gridcache
from bookings.availability import (
    ALTERNATIVES_DAYS,
    DaySummary,
    Slot,
    SlotState,
    day_bounds,
    summarise_day,
)
from bookings.availability import closures_for as office_closures_for
from bookings.registry import booking_kinds
from bookings.rules import (  # noqa: F401  (re-exported for the booths code)
    MONTHS_AHEAD,
    day_refusal_reason,
    is_shown_day,
    is_shown_month,
    last_requestable_day,
    request_refusal_reason,
    shown_months,
)

from .models import Booth, Reservation, adhoc_use_end


def closures_for(booth: Booth, start: datetime.date, end: datetime.date) -> frozenset:
    return office_closures_for(booth.office_id, start, end)


def taken_starts(
    booth: Booth, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime
) -> set[datetime.datetime]:
    """Starts of the slots held by a reservation between `start` and `end` (one query)."""
    return set(
        Reservation.objects.filter(booth=booth, starts_at__gte=start, starts_at__lt=end)
        .holding_slot(now)
        .order_by()  # the default order would join booth and office for nothing
        .values_list("starts_at", flat=True)
    )


def slot_state(starts_at, *, day_refused: bool, now, taken) -> str:
    """A grid slot's state, given whether its whole day is refused (day_refusal_reason)."""
    if starts_at in taken:
        return SlotState.TAKEN
    if day_refused or starts_at <= now:
        return SlotState.TOO_LATE
    return SlotState.FREE


def _day_states(booth: Booth, day, *, now, closures, taken, horizon) -> list[Slot]:
    office = booth.office
    refused = day_refusal_reason(office, day, now=now, closures=closures, horizon=horizon)
    return [
        Slot(moment, slot_state(moment, day_refused=bool(refused), now=now, taken=taken))
        for moment in calendar.day_slots(
            day, opens_at=office.opens_at, closes_at=office.closes_at, closures=closures
        )
    ]


def _day_inputs(booth: Booth, day: datetime.date, now: datetime.datetime):
    """The office's closures, why the day is closed (or None) and its held slots."""
    closures = closures_for(booth, day, day)
    reason = calendar.closed_reason(day, closures=closures)
    if reason:
        return closures, reason, set()
    start, end = day_bounds(day, day)
    return closures, None, taken_starts(booth, start, end, now)


def day_view(
    booth: Booth, day: datetime.date, *, now: datetime.datetime | None = None
) -> tuple[str | None, list[Slot]]:
    """The closed reason (or None) and every slot of `day` with its state."""
    now = now or timezone.now()
    closures, reason, taken = _day_inputs(booth, day, now)
    if reason:
        return reason, []
    horizon = last_requestable_day(now)
    return None, _day_states(booth, day, now=now, closures=closures, taken=taken, horizon=horizon)


def day_grid(booth: Booth, day: datetime.date, *, now: datetime.datetime, extra: tuple, render):
    """The day's slots as `render(closed_reason, slots)` makes them, from the grid cache while
    nothing they show has changed. `extra` names what else the rendering depends on (whether
    the user may request)."""

    def build():
        closures, reason, taken = _day_inputs(booth, day, now)
        if reason:
            return render(reason, [])
        horizon = last_requestable_day(now)
        slots = _day_states(booth, day, now=now, closures=closures, taken=taken, horizon=horizon)
        return render(None, slots)

    return gridcache.grid(
        "booth-day",
        (booth.pk, day, *extra),
        office=booth.office,
        now=now,
        build=build,
    )


def _month_inputs(booth: Booth, year: int, month: int, now: datetime.datetime):
    """The month's days, the office's closures and the held slots (two queries)."""
    days = calendar.month_days(year, month)
    closures = closures_for(booth, days[0], days[-1])
    start, end = day_bounds(days[0], days[-1])
    return days, closures, taken_starts(booth, start, end, now)


def _summaries(booth: Booth, days, *, now, closures, taken) -> list[DaySummary]:
    today = calendar.local(now).date()
    horizon = last_requestable_day(now)
    summaries = []
    for day in days:
        reason = calendar.closed_reason(day, closures=closures)
        states = [
            slot.state
            for slot in _day_states(
                booth, day, now=now, closures=closures, taken=taken, horizon=horizon
            )
        ]
        summaries.append(summarise_day(day, reason, states, today))
    return summaries


def month_grid(booth: Booth, year: int, month: int, *, now: datetime.datetime, render):
    """The month's grid as `render(summaries)` makes it, from the process's grid cache while
    the office's data and the time-dependent states are unchanged (no query; two to build)."""

    def build():
        days, closures, taken = _month_inputs(booth, year, month, now)
        return render(_summaries(booth, days, now=now, closures=closures, taken=taken))

    return gridcache.grid(
        "booth-month", (booth.pk, year, month), office=booth.office, now=now, build=build
    )


def free_slots_from(
    booth: Booth, *, now: datetime.datetime | None = None, limit: int = 6
) -> list[Slot]:
    """The next free slots of the booth, offered when the chosen one was just taken (BTH-2)."""
    now = now or timezone.now()
    first = calendar.local(now).date()
    last = first + datetime.timedelta(days=ALTERNATIVES_DAYS)
    closures = closures_for(booth, first, last)
    start, end = day_bounds(first, last)
    taken = taken_starts(booth, start, end, now)
    horizon = last_requestable_day(now)
    free = []
    for day in calendar.business_days_between(first, last, closures=closures):
        for slot in _day_states(
            booth, day, now=now, closures=closures, taken=taken, horizon=horizon
        ):
            if slot.is_free:
                free.append(slot)
                if len(free) >= limit:
                    return free
    return free


def current_slot(booth: Booth, now: datetime.datetime) -> datetime.datetime | None:
    """The grid slot running now at the booth's office, or None when it is closed."""
    office = booth.office
    today = calendar.local(now).date()
    if not calendar.is_business_day(today, closures=closures_for(booth, today, today)):
        return None
    return calendar.slot_start_containing(now, opens_at=office.opens_at, closes_at=office.closes_at)


class CutShort:
    """Why an ad-hoc use ends with the slot running now instead of lasting 30 minutes."""

    NEXT_BOOKED = "next_booked"  # someone holds the booth's next slot
    OFFICE_CLOSES = "office_closes"  # the slot running now is the day's last
    PERSON_BUSY = "person_busy"  # the person has another booking from the next slot


@dataclass(frozen=True)
class AdhocUse:
    """What starting an ad-hoc use of `booth` now gives (BTH-8): the slot running now, the
    next slot too when the 30 minutes run into it and it is free, and when the use must end.
    `cut_short` says why the use ends before its 30 minutes are up ("" when it doesn't)."""

    booth: Booth
    slot: datetime.datetime
    next_slot: datetime.datetime | None
    ends_at: datetime.datetime
    cut_short: str = ""

    def until(self) -> str:
        """ "until 10:55", with why when the use ends before its 30 minutes are up."""
        values = {"time": calendar.format_time(self.ends_at)}
        if self.cut_short == CutShort.NEXT_BOOKED:
            return _("until %(time)s (the next slot is booked)") % values
        if self.cut_short == CutShort.OFFICE_CLOSES:
            return _("until %(time)s (the last slot of the day)") % values
        if self.cut_short == CutShort.PERSON_BUSY:
            return _("until %(time)s (you have another booking from then)") % values
        return _("until %(time)s") % values


def plan_adhoc_use(
    booth: Booth,
    slot: datetime.datetime,
    now: datetime.datetime,
    *,
    following: datetime.datetime | None,
    next_held: bool,
    person_busy: bool = False,
) -> AdhocUse:
    """The use started `now` inside `slot` (pure): `following` is the office's next slot that
    day (None after the last one), `next_held` whether someone holds it in this booth."""
    wanted_end = adhoc_use_end(now)
    if wanted_end <= slot + calendar.SLOT:
        return AdhocUse(booth, slot, None, wanted_end)
    if following is None:
        reason = CutShort.OFFICE_CLOSES
    elif next_held:
        reason = CutShort.NEXT_BOOKED
    elif person_busy:
        reason = CutShort.PERSON_BUSY
    else:
        return AdhocUse(booth, slot, following, wanted_end)
    return AdhocUse(booth, slot, None, slot + calendar.SLOT, reason)


def following_slot(office, slot: datetime.datetime) -> datetime.datetime | None:
    """The grid slot after `slot` on the same day, or None when `slot` is the day's last."""
    after = calendar.local(slot + calendar.SLOT)
    if after.date() != calendar.local(slot).date():
        return None
    if after.time() not in calendar.slot_times(office.opens_at, office.closes_at):
        return None
    return after


def person_busy_at(user, starts_at: datetime.datetime, now: datetime.datetime) -> bool:
    """Whether `user` holds a booking of either service in the slot from `starts_at`."""
    return any(
        kind.model.objects.for_user(user)
        .holding_slot(now)
        .filter(starts_at__lt=starts_at + calendar.SLOT, ends_at__gt=starts_at)
        .exists()
        for kind in booking_kinds()
    )


def adhoc_uses_now(
    booths: list[Booth], now: datetime.datetime, *, user=None
) -> tuple[datetime.datetime | None, list[AdhocUse]]:
    """The slot running now at the booths' office and the use each free booth would give
    (BTH-8), so the person knows before starting when it must end.

    The booths belong to one office; one query for the booths whatever their number, and one
    per service for the person's own bookings when `user` is given and the use runs on.
    """
    slot = current_slot(booths[0], now) if booths else None
    if slot is None:
        return None, []
    office = booths[0].office
    following = following_slot(office, slot)
    runs_on = following is not None and adhoc_use_end(now) > slot + calendar.SLOT
    starts = [slot, following] if runs_on else [slot]
    held = set(
        Reservation.objects.filter(booth__in=booths, starts_at__in=starts)
        .holding_slot(now)
        .order_by()
        .values_list("booth_id", "starts_at")
    )
    busy = runs_on and user is not None and person_busy_at(user, following, now)
    return slot, [
        plan_adhoc_use(
            booth,
            slot,
            now,
            following=following,
            next_held=(booth.pk, following) in held,
            person_busy=busy,
        )
        for booth in booths
        if (booth.pk, slot) not in held
    ]


def free_booths_now(
    booths: list[Booth], now: datetime.datetime
) -> tuple[datetime.datetime | None, list[Booth]]:
    """The slot running now at the booths' office and the booths free in it (BTH-8)."""
    slot, uses = adhoc_uses_now(booths, now)
    return slot, [use.booth for use in uses]
