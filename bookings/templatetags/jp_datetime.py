"""Template filters that write dates and times the Japanese way (REQ OFF-3).

{% load jp_datetime %} … {{ reservation.starts_at|jp_slot:reservation.ends_at }}
"""

from django import template

from bookings import calendar

register = template.Library()


@register.filter
def jp_slot(starts_at, ends_at=None):
    return calendar.format_slot(starts_at, ends_at) if starts_at else ""


@register.filter
def jp_date(value):
    return calendar.format_date(value) if value else ""


@register.filter
def jp_datetime(value):
    return calendar.format_datetime(value) if value else ""


@register.filter
def jp_list(items):
    """A list joined the way the page's language writes one (、 or , )."""
    return calendar.format_list(items or [])
