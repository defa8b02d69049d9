"""The office calendar as pure functions (REQ OFF-2, OFF-3): no database, cheap to test.

Business days are Monday to Friday, minus Japan's national holidays (the `holidays` library's
calendar, which includes substitute holidays and citizens' holidays), minus the year-end
closure 12/29-1/3, minus the dates an office has closed. Callers pass an office's closures in
as a set of dates, so the rules can be checked for every day of several years in milliseconds.

Slots are 30 minutes on a grid that starts at the office's opening time. Times are aware and
shown in Asia/Tokyo, written the Japanese way: 2026年11月24日（火）10:00〜10:30.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterator
from functools import lru_cache

import holidays
from django.utils.translation import gettext as _

# Formatting is core's, one way for every app (REQ OFF-3, NFR-1); named here for the callers of
# the calendar.
from core.dates import (  # noqa: F401
    SLOT,
    TOKYO,
    WEEKDAYS_JA,
    format_date,
    format_datetime,
    format_list,
    format_month,
    format_slot,
    format_time,
    format_time_range,
    local,
)

NO_SHOW_GRACE = datetime.timedelta(minutes=10)
NO_CLOSURES: frozenset[datetime.date] = frozenset()


@lru_cache(maxsize=64)
def _japan_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=year, language="ja")


@lru_cache(maxsize=4096)
def national_holiday_name(day: datetime.date) -> str | None:
    """The name of the national holiday on `day` (振替休日 and 国民の休日 included), or None."""
    return _japan_holidays(day.year).get(day)


def is_year_end_closure(day: datetime.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def closed_reason(
    day: datetime.date, *, closures: Collection[datetime.date] = NO_CLOSURES
) -> str | None:
    """Why the office is closed on `day`, or None on a business day."""
    if day.weekday() >= 5:
        return _("The office is closed on Saturdays and Sundays.")
    holiday = national_holiday_name(day)
    if holiday:
        return _("The office is closed on national holidays (%(name)s).") % {"name": holiday}
    if is_year_end_closure(day):
        return _("The office is closed for the year-end and new-year holidays (29 Dec - 3 Jan).")
    if day in closures:
        return _("The office is closed on this day.")
    return None


def is_business_day(
    day: datetime.date, *, closures: Collection[datetime.date] = NO_CLOSURES
) -> bool:
    return closed_reason(day, closures=closures) is None


def business_days_between(
    start: datetime.date,
    end: datetime.date,
    *,
    closures: Collection[datetime.date] = NO_CLOSURES,
) -> list[datetime.date]:
    """Business days from `start` to `end`, both included."""
    days = []
    day = start
    while day <= end:
        if is_business_day(day, closures=closures):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def previous_business_day(
    day: datetime.date, *, closures: Collection[datetime.date] = NO_CLOSURES
) -> datetime.date:
    day -= datetime.timedelta(days=1)
    while not is_business_day(day, closures=closures):
        day -= datetime.timedelta(days=1)
    return day


def month_days(year: int, month: int) -> list[datetime.date]:
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return [first + datetime.timedelta(days=n) for n in range((following - first).days)]


@lru_cache(maxsize=64)
def slot_times(opens_at: datetime.time, closes_at: datetime.time) -> tuple[datetime.time, ...]:
    """Start times of the 30-minute slots that fit inside business hours (9:00 … 16:30)."""
    times = []
    moment = datetime.datetime.combine(datetime.date(2000, 1, 1), opens_at)
    end = datetime.datetime.combine(datetime.date(2000, 1, 1), closes_at)
    while moment + SLOT <= end:
        times.append(moment.time())
        moment += SLOT
    return tuple(times)


def day_slots(
    day: datetime.date,
    *,
    opens_at: datetime.time,
    closes_at: datetime.time,
    closures: Collection[datetime.date] = NO_CLOSURES,
) -> list[datetime.datetime]:
    """Aware start times of every slot of `day`; empty when the office is closed."""
    if not is_business_day(day, closures=closures):
        return []
    return [
        datetime.datetime.combine(day, time, tzinfo=TOKYO)
        for time in slot_times(opens_at, closes_at)
    ]


def iter_slots(
    days: Collection[datetime.date],
    *,
    opens_at: datetime.time,
    closes_at: datetime.time,
    closures: Collection[datetime.date] = NO_CLOSURES,
) -> Iterator[datetime.datetime]:
    for day in days:
        yield from day_slots(day, opens_at=opens_at, closes_at=closes_at, closures=closures)


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time `months` months earlier (the 31st becomes the month's last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    last_day = month_days(year, month + 1)[-1].day
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))


def slot_start_containing(
    moment: datetime.datetime, *, opens_at: datetime.time, closes_at: datetime.time
) -> datetime.datetime | None:
    """The start of the grid slot `moment` falls in, or None outside business hours."""
    moment = local(moment)
    for time in slot_times(opens_at, closes_at):
        start = datetime.datetime.combine(moment.date(), time, tzinfo=TOKYO)
        if start <= moment < start + SLOT:
            return start
    return None


def slot_refusal_reason(
    starts_at: datetime.datetime,
    *,
    opens_at: datetime.time,
    closes_at: datetime.time,
    closures: Collection[datetime.date] = NO_CLOSURES,
) -> str | None:
    """Why `starts_at` is not a slot of the office calendar, or None when it is one."""
    return closed_reason(local(starts_at).date(), closures=closures) or grid_refusal_reason(
        starts_at, opens_at=opens_at, closes_at=closes_at
    )


def grid_refusal_reason(
    starts_at: datetime.datetime, *, opens_at: datetime.time, closes_at: datetime.time
) -> str | None:
    """Why `starts_at` is not a start of the office's 30-minute grid, whatever the day."""
    start = local(starts_at)
    if start.time() not in slot_times(opens_at, closes_at):
        if opens_at <= start.time() < closes_at:
            return _("Slots start on the hour or the half hour.")
        return _("This time is outside the office's business hours (%(hours)s).") % {
            "hours": format_time_range(opens_at, closes_at)
        }
    return None


def booking_deadline(
    starts_at: datetime.datetime,
    *,
    cutoff_time: datetime.time,
    closures: Collection[datetime.date] = NO_CLOSURES,
) -> datetime.datetime:
    """The last moment to request a slot: the cut-off time on the previous business day (BTH-4)."""
    return day_deadline(local(starts_at).date(), cutoff_time=cutoff_time, closures=closures)


def day_deadline(
    day: datetime.date,
    *,
    cutoff_time: datetime.time,
    closures: Collection[datetime.date] = NO_CLOSURES,
) -> datetime.datetime:
    """The deadline shared by every slot of `day`."""
    previous = previous_business_day(day, closures=closures)
    return datetime.datetime.combine(previous, cutoff_time, tzinfo=TOKYO)
