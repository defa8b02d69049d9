"""Rendered availability grids, kept in each server process and keyed by what they show
(REQ NFR-4, BTH-2, BTH-4, BTH-6).

A month or day grid is a pure function of: the slots held (read from the database on every
request), the office's closures and hours, the language, and the time. The key carries all of
them, so nothing ever has to be invalidated: a booking changes the held slots the next request
reads, and that request builds a new grid. Time is handled by `states_change_at`: until the
next moment at which any slot's state can change by time alone (a slot starts, the cut-off
passes, midnight), the grid stays what it is; the key carries that moment and the entry expires
at it. The 10-minute rule (BTH-6) is part of the held slots query, so it holds too.

The cache is Django's local-memory backend under the alias "grids" (per process, bounded,
least recently used first out): a hit costs no round trip, and a stale entry cannot exist.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable

from django.core.cache import caches
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from . import calendar
from .calendar import NO_SHOW_GRACE

CACHE_ALIAS = "grids"


def states_change_at(office, now: datetime.datetime) -> datetime.datetime:
    """The next moment after `now` at which a slot's state can change without any write:
    a slot of the office's grid starts (it turns "too late"), the 10-minute rule frees a slot
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


def _key(parts: tuple) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()


def grid(
    kind: str, parts: tuple, *, office, now: datetime.datetime, build: Callable[[], str]
) -> SafeString:
    """The HTML `build()` renders for `parts`, from this process's cache while it is true.

    `office` must have been read in this request (its `availability_version` is the one now
    committed). `parts` must name everything the grid shows besides the office's data, hours,
    cut-off, the language and the time, which are added here: the booth or counselor, the
    period, what the viewer may do.
    """
    until = states_change_at(office, now)
    key = _key(
        (
            kind,
            get_language(),
            office.pk,
            office.availability_version,
            office.opens_at,
            office.closes_at,
            office.booking_cutoff_time,
            until,
            *parts,
        )
    )
    cache = caches[CACHE_ALIAS]
    html = cache.get(key)
    if html is None:
        html = str(build())
        cache.set(key, html, timeout=max((until - now).total_seconds(), 0.001))
    return mark_safe(html)  # our own template's output, escaped when rendered
