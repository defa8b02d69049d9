"""Links the booking pages of both services share, named by settings so that no app here names
a page of an app above it (BOOKINGS_LIST_URL: the person's list of all their bookings)."""

from django import template
from django.conf import settings
from django.shortcuts import resolve_url

register = template.Library()


@register.simple_tag
def my_bookings_url() -> str:
    return resolve_url(settings.BOOKINGS_LIST_URL)
