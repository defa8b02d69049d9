"""Template filters that write dates and times the one way of `core.dates` (REQ OFF-3, NFR-1).

{% load jp_datetime %} … {{ reservation.starts_at|jp_slot:reservation.ends_at }}
"""

from django import template

from core import dates

register = template.Library()


@register.filter
def jp_slot(starts_at, ends_at=None):
    return dates.format_slot(starts_at, ends_at) if starts_at else ""


@register.filter
def jp_date(value):
    return dates.format_date(value) if value else ""


@register.filter
def jp_datetime(value):
    return dates.format_datetime(value) if value else ""


@register.filter
def jp_time(value):
    """10:00 (a time, or an aware moment in Tokyo)."""
    return dates.format_time(value) if value else ""


@register.filter
def jp_time_range(start, end):
    return dates.format_time_range(start, end) if start and end else ""


@register.filter
def jp_list(items):
    """A list joined the way the page's language writes one (、 or , )."""
    return dates.format_list(items or [])
