"""Rendered availability grids, keyed by what they show (REQ NFR-4, BTH-2, BTH-4, BTH-6).

A month or day grid is a pure function of: the office's data (its bookings, booths and
closures), the office's hours, the language, and the time. The key carries all of them, so
nothing ever has to be invalidated:

- the office's data by its `availability_version`, which the database raises in the same
  transaction as any change of it (core.versioning) and which the page reads with the signed-in
  user's office in the query it makes anyway: a booking changes the number, and the next page
  load builds a new grid;
- time by `states_change_at`: until the next moment at which any slot's state can change by
  time alone (a slot starts, which also closes a request the office never confirmed, the
  10-minute rule frees an unattended slot, the cut-off passes, midnight), the grid stays what it is; the key carries that moment and the entry expires at it.

A grid built while a change commits is keyed by the version read before it, so it can only be
newer than its key, never older. The entries live in the "grids" cache of
`core.versioning.office_cached` (each process's memory, or a shared Redis).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from core.versioning import office_cached

from . import calendar
from .calendar import NO_SHOW_GRACE


def states_change_at(office, now: datetime.datetime) -> datetime.datetime:
    """The next moment after `now` at which a slot's state can change without any write:
    a slot of the office's grid starts (it turns "too late", and a request still unconfirmed
    is closed), the 10-minute rule frees a slot
    nobody came to (BTH-6), the office's cut-off passes (a day closes for requests), or the day
    turns (today, the past and the horizon move)."""
    today = calendar.local(now).date()
    midnight = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(0), tzinfo=calendar.TOKYO
    )
    starts = [
        datetime.datetime.combine(today, time, tzinfo=calendar.TOKYO)
        for time in calendar.slot_times(office.opens_at, office.closes_at)
    ]
    cutoff = datetime.datetime.combine(today, office.booking_cutoff_time, tzinfo=calendar.TOKYO)
    moments = (*starts, *(start + NO_SHOW_GRACE for start in starts), cutoff)
    return min((moment for moment in moments if moment > now), default=midnight)


def grid(
    kind: str, parts: tuple, *, office, now: datetime.datetime, build: Callable[[], str]
) -> SafeString:
    """The HTML `build()` renders for `parts`, from the grids cache while it is true.

    `office` must have been read in this request (its `availability_version` is the one now
    committed). `parts` must name everything the grid shows besides the office's data, hours,
    cut-off, the language and the time, which are added here: the booth or counselor, the
    period, what the viewer may do.
    """
    hours = (office.opens_at, office.closes_at, office.booking_cutoff_time)
    html = office_cached(
        kind,
        (get_language(), *hours, *parts),
        office=office,
        build=lambda: str(build()),
        until=states_change_at(office, now),
        now=now,
    )
    return mark_safe(html)  # our own template's output, escaped when rendered
