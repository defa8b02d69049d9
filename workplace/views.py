"""The person's list of all their bookings, over both services (REQ BTH-6)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from bookings.alerts import live_alerts_of
from booths.models import Reservation
from consultations.models import Consultation

# The most past, cancelled and no-show bookings the list shows.
PAST_SHOWN = 50


@login_required
def my_reservations(request: HttpRequest) -> HttpResponse:
    """Booth reservations and online consultations together, with their true state (BTH-6):
    upcoming ones first; past, cancelled and no-show ones grouped apart."""
    now = timezone.now()
    user = request.user
    kinds = [
        Reservation.objects.select_related("booth__office"),
        Consultation.objects.select_related("office", "video_tool", "counselor"),
    ]
    current, ended = [], []
    for queryset in kinds:
        mine = queryset.for_user(user).with_state(now)
        current += mine.filter(ends_at__gt=now)
        ended += mine.filter(ends_at__lte=now).order_by("-starts_at")[:PAST_SHOWN]
    upcoming = sorted((b for b in current if b.is_upcoming_active(now)), key=lambda b: b.starts_at)
    ended += [b for b in current if not b.is_upcoming_active(now)]
    ended = sorted(ended, key=lambda b: b.starts_at, reverse=True)[:PAST_SHOWN]
    return render(
        request,
        "workplace/my_reservations.html",
        {
            "upcoming": upcoming,
            "past": ended,
            "now": now,
            "alerts": live_alerts_of(user, now=now),  # REQ ALR-1
        },
    )
