"""Project-level pages that gather what several apps show (the top page)."""

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notice
from booths.models import Booth, Reservation
from consultations.models import Consultation
from terms.models import TermsVersion


def _next_steps(user) -> dict:
    """What a signed-in person can do next: book what their office offers, see their next booking."""
    office = user.office
    if office is None:
        return {}
    now = timezone.now()
    steps = {}
    if office.offers_booths and Booth.objects.filter(office=office, is_active=True).exists():
        steps["booths_url"] = reverse("booths:index")
    if office.offers_online_consultations:
        steps["consultations_url"] = reverse("consultations:index")
    upcoming = [
        queryset.for_user(user).holding_slot(now).upcoming(now).order_by("starts_at").first()
        for queryset in (
            Reservation.objects.select_related("booth"),
            Consultation.objects.all(),
        )
    ]
    upcoming = [booking for booking in upcoming if booking is not None]
    if upcoming:
        steps["next_booking"] = min(upcoming, key=lambda booking: booking.starts_at)
    return steps


def home(request):
    # National news, and the signed-in person's own office's (OPS-1).
    office_id = request.user.office_id if request.user.is_authenticated else None
    notices = Notice.objects.visible().for_office(office_id)[:10]
    upcoming_terms = (
        TermsVersion.objects.upcoming().with_previous_number().select_related("document__office")
    )
    context = {}
    if request.user.is_authenticated and request.user.office_id:
        upcoming_terms = upcoming_terms.filter(document__office_id=request.user.office_id)
        context = _next_steps(request.user)
    context["notices"] = notices
    context["upcoming_terms"] = upcoming_terms.order_by("effective_from")[:10]
    return render(request, "home.html", context)
