"""The admin index, opening on the staff member's office (REQ STF-1): links to its pages, the
count of calls to make and the online consultations still without a meeting link."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Office
from bookings import calendar
from consultations.admin import LINK_MISSING_HORIZON
from consultations.models import Consultation

from .call_list import call_list_count
from .pages import PageQueryForm, may_view, office_choices, page_office, page_url

LINK_MISSING_LIMIT = 50


def index_summary(request, office: Office) -> dict:
    now = timezone.now()
    superuser = request.user.is_superuser
    today = calendar.local(now).date()
    missing = list(
        Consultation.objects.holding_slot(now)
        .filter(
            office=office,
            join_url="",
            ends_at__gt=now,
            starts_at__lt=now + LINK_MISSING_HORIZON,
        )
        .select_related("counselor")
        .order_by("starts_at", "pk")[:LINK_MISSING_LIMIT]
    )
    return {
        "office": office,
        "offices": office_choices(request),
        "superuser": superuser,
        "today": today,
        "day_url": page_url("admin:workplace_day", office=office, superuser=superuser),
        "week_url": page_url("admin:workplace_week", office=office, superuser=superuser),
        "calls_url": page_url("admin:workplace_calls", office=office, superuser=superuser),
        "calls_count": call_list_count(office, now),
        "missing_links": [
            (
                consultation,
                reverse("admin:consultations_consultation_link", args=[consultation.pk]),
            )
            for consultation in missing
        ],
        "missing_list_url": reverse("admin:consultations_consultation_changelist")
        + "?link=missing_soon",
    }


def index_view(site, request, extra_context=None):
    """The admin index, opening on the staff member's office (STF-1)."""
    context = dict(extra_context or {})
    if may_view(request.user):
        form = PageQueryForm(request.GET)
        office = None
        if form.is_valid():
            try:
                office = page_office(request, form)
            except (Http404, PermissionDenied):
                office = None
        if office is not None:
            context["workplace"] = index_summary(request, office)
    return site.index(request, extra_context=context)
