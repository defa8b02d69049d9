"""Maintenance mode: a notice's maintenance window pauses booking and joining (REQ OPS-2).

A notice with a maintenance window pauses every view decorated with
`paused_during_maintenance` (booking, checking, cancelling, moving, ad-hoc use, joining) for
everyone but staff, from its start to its end. A national notice (no office) pauses every
office; an office's notice pauses only the people of that office. Reading pages, signing in
and the admin are never decorated, so they keep working.

The paused page answers 503 with `Retry-After` (seconds until the window ends), says until
when, and shows the user's office contacts (REQ OPS-3) with the project template
`includes/office_contact.html`. The notices live here, with the offices they belong to.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from functools import wraps

from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.statements import kept_rows
from core.versioning import office_cached

from .models import Notice

MAINTENANCE_TEMPLATE = "maintenance.html"


def maintenance_ends_at(
    *, office_id: int | None, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """When the maintenance that pauses the people of `office_id` ends, or None if none is in
    progress. Overlapping windows pause until the last of them ends. One query."""
    now = now or timezone.now()
    return (
        Notice.objects.maintenance_in_progress(now)
        .for_office(office_id)
        .aggregate(end=Max("maintenance_ends_at"))["end"]
    )


def _windows(office, now: datetime.datetime) -> tuple:
    """(built at, [(start, end)…]) of the maintenance windows of the notices that reach the
    people of `office` and had not ended when built, kept in the per-process
    cache while the office's `gate_version` stands: the database raises it with any write of
    a notice of the office or a national one (core.versioning). Built as of `now`, the
    request's moment, so the request that builds them reads them too."""

    def build():
        windows = kept_rows(
            "accounts.maintenance.windows",
            lambda given: (
                Notice.objects.for_office(given["office"])
                .filter(maintenance_starts_at__isnull=False, maintenance_ends_at__gt=given["now"])
                .values_list("maintenance_starts_at", "maintenance_ends_at")
            ),
            {"office": office.pk, "now": now},
            stand_ins=lambda n: {
                "office": -7_000_000 - n,
                "now": datetime.datetime(2001, 2, 3, n, tzinfo=datetime.UTC),
            },
        )
        return now, windows

    return office_cached("maintenance", (), office=office, build=build, version="gate_version")


def is_paused_for(user, *, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """The end of the maintenance pausing `user`, or None. Staff are never paused.

    For a person of an office no query (REQ NFR-4): the windows are kept by the office's gate
    version and compared with the time of the request, so a window starts and ends on time
    without any write, and a new or changed notice is seen on the next request."""
    if getattr(user, "is_staff", False):
        return None
    now = now or timezone.now()
    office = getattr(user, "office", None) if getattr(user, "office_id", None) else None
    if office is None:
        return maintenance_ends_at(office_id=None, now=now)
    built_at, windows = _windows(office, now)
    if now < built_at:  # a clock set back (tests travel in time): ask the database
        return maintenance_ends_at(office_id=office.pk, now=now)
    return max((end for start, end in windows if start <= now < end), default=None)


def maintenance_response(
    request: HttpRequest, ends_at: datetime.datetime, *, now: datetime.datetime | None = None
) -> HttpResponse:
    """The clear page: 503, until when, whom to phone; `Retry-After` in seconds."""
    now = now or timezone.now()
    retry_after = max(1, math.ceil((ends_at - now).total_seconds()))
    user = request.user
    office = getattr(user, "office", None) if user.is_authenticated else None
    response = render(
        request,
        MAINTENANCE_TEMPLATE,
        {"maintenance_ends_at": ends_at, "office": office},
        status=503,
    )
    response["Retry-After"] = str(retry_after)
    return response


def paused_during_maintenance(view: Callable) -> Callable:
    """Answer the maintenance page instead of running `view` while a window pauses the user.

    Put it under `login_required` so that the user (and their office) is known. The wrapped
    view carries `paused_during_maintenance = True`, which the URL walk of the tests reads.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        now = timezone.now()
        ends_at = is_paused_for(request.user, now=now)
        if ends_at is not None:
            return maintenance_response(request, ends_at, now=now)
        return view(request, *args, **kwargs)

    wrapper.paused_during_maintenance = True
    return wrapper
