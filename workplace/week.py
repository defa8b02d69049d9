"""The week view (REQ STF-1): Monday to Friday per booth and per counselor, counts per day,
linked to the day sheet."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from bookings import calendar
from bookings.models import Status
from booths.models import Booth, Reservation
from consultations.models import AvailabilityPattern, Consultation

from .pages import (
    BOOTH,
    FIRST_DATE,
    LAST_DATE,
    ONLINE,
    PageQueryForm,
    closures_around,
    day_bounds,
    page_context,
    page_url,
    read_query,
)


def week_view(site, request):
    """STF-1: Monday to Friday per booth and per counselor, with counts per day."""
    form, office, error = read_query(site, request)
    if error:
        return error
    now = timezone.now()
    chosen = form.cleaned_data["date"] or calendar.local(now).date()
    monday = max(FIRST_DATE, chosen - datetime.timedelta(days=chosen.weekday()))
    days = [monday + datetime.timedelta(days=n) for n in range(5)]
    closures = closures_around(office, days[0], days[-1])
    start, end = day_bounds(days[0], days[-1])
    reservations = list(
        Reservation.objects.with_state(now)
        .filter(booth__office=office, starts_at__gte=start, starts_at__lt=end)
        .values_list("booth_id", "counselor_id", "starts_at", "state")
    )
    consultations = list(
        Consultation.objects.with_state(now)
        .filter(office=office, starts_at__gte=start, starts_at__lt=end)
        .values_list("counselor_id", "starts_at", "state")
    )
    patterns = AvailabilityPattern.objects.filter(office=office, valid_from__lte=days[-1]).exclude(
        valid_until__lt=days[0]
    )
    booked = {c for _b, c, _s, _t in reservations if c} | {c for c, _s, _t in consultations if c}
    publishing = set(patterns.values_list("counselor_id", flat=True))
    counselors = list(
        User.objects.filter(pk__in=sorted(booked | publishing))
        .filter(Q(pk__in=sorted(booked)) | Q(is_active=True, is_staff=True, is_superuser=False))
        .order_by("last_name", "first_name", "pk")
    )
    booths = [
        booth
        for booth in Booth.objects.filter(office=office).order_by("name", "pk")
        if booth.is_active or any(r[0] == booth.pk for r in reservations)
    ]
    counts = defaultdict(Counter)  # (kind, id, day) -> Counter of groups

    def group(state: str) -> str | None:
        if state == Status.REQUESTED:
            return "requested"
        if state in (Status.CONFIRMED, Status.CHECKED_IN):
            return "confirmed"
        if state in (Status.COMPLETED, Status.NO_SHOW):
            return "ended"
        return None

    for booth_id, counselor_id, starts_at, state in reservations:
        name = group(state)
        if name:
            counts[(BOOTH, booth_id, calendar.local(starts_at).date())][name] += 1
            if counselor_id:
                counts[(ONLINE, counselor_id, calendar.local(starts_at).date())][name] += 1
    for counselor_id, starts_at, state in consultations:
        name = group(state)
        if name:
            counts[(ONLINE, counselor_id, calendar.local(starts_at).date())][name] += 1
    superuser = request.user.is_superuser
    open_days = [
        (
            day,
            calendar.closed_reason(day, closures=closures),
            page_url("admin:workplace_day", office=office, day=day, superuser=superuser),
        )
        for day in days
    ]

    def rows(kind, objects, label):
        return [
            (
                label(obj),
                [(counts[(kind, obj.pk, day)], url, reason) for day, reason, url in open_days],
            )
            for obj in objects
        ]

    week = lambda offset: page_url(  # noqa: E731
        "admin:workplace_week",
        office=office,
        day=max(FIRST_DATE, min(LAST_DATE, monday + datetime.timedelta(days=offset))),
        superuser=superuser,
    )
    return TemplateResponse(
        request,
        "admin/workplace/week.html",
        page_context(
            site,
            request,
            office,
            _("Week view"),
            page="week",
            subtitle=_("%(first)s – %(last)s")
            % {"first": calendar.format_date(days[0]), "last": calendar.format_date(days[-1])},
            form=PageQueryForm(initial={"date": chosen, "office": office.pk}),
            days=open_days,
            booth_rows=rows(BOOTH, booths, lambda b: b.name),
            counselor_rows=rows(ONLINE, counselors, str),
            previous_url=week(-7),
            next_url=week(7),
        ),
    )
