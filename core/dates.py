"""Dates and times as people read them (REQ NFR-1, OFF-3): the one way every page, list,
heading, message and mail writes them, admin included. Pure: no database.

Japanese: 2026年12月9日（水）10:00〜10:30, times always HH:MM. English: Wed 9 Dec 2026,
10:00–10:30. Aware times are shown in Asia/Tokyo. Templates use the filters of
`core/templatetags/jp_datetime.py`; Django's `date`/`time` filters are for machine values
(URLs, `<time datetime>`, form inputs) only.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import get_language

TOKYO = ZoneInfo("Asia/Tokyo")
SLOT = datetime.timedelta(minutes=30)
WEEKDAYS_JA = "月火水木金土日"


def local(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(TOKYO)


def _is_japanese() -> bool:
    return (get_language() or "ja").split("-")[0] == "ja"


def format_time(value: datetime.time | datetime.datetime) -> str:
    """10:00, 09:00: always two digits for the hour, in both languages."""
    if isinstance(value, datetime.datetime):
        value = local(value).time() if value.tzinfo else value.time()
    return f"{value:%H:%M}"


def format_time_range(start: datetime.time, end: datetime.time) -> str:
    dash = "〜" if _is_japanese() else "–"
    return f"{format_time(start)}{dash}{format_time(end)}"


def format_date(day: datetime.date | datetime.datetime) -> str:
    """2026年11月24日（火） in Japanese; Tue 24 Nov 2026 in English."""
    if isinstance(day, datetime.datetime):
        day = (local(day) if day.tzinfo else day).date()
    if _is_japanese():
        return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS_JA[day.weekday()]}）"
    return f"{day:%a} {day.day} {day:%b %Y}"


def format_datetime(moment: datetime.datetime) -> str:
    """2026年11月24日（火）10:00; Tue 24 Nov 2026, 10:00."""
    separator = "" if _is_japanese() else ", "
    return f"{format_date(moment)}{separator}{format_time(moment)}"


def format_slot(starts_at: datetime.datetime, ends_at: datetime.datetime | None = None) -> str:
    """2026年11月24日（火）10:00〜10:30 (REQ OFF-3)."""
    start = local(starts_at)
    end = local(ends_at) if ends_at else start + SLOT
    separator = "" if _is_japanese() else ", "
    return f"{format_date(start)}{separator}{format_time_range(start.time(), end.time())}"


def format_list(items) -> str:
    """家族、通訳 in Japanese; Family member, Interpreter in English."""
    return ("、" if _is_japanese() else ", ").join(str(item) for item in items)


def format_month(year: int, month: int) -> str:
    if _is_japanese():
        return f"{year}年{month}月"
    return f"{datetime.date(year, month, 1):%B %Y}"
