"""The earlier-slot alert pages (REQ ALR-1): ask for an alert, cancel one. The person's list is
on their reservations page. Thin views: the service decides."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.maintenance import paused_during_maintenance

from . import alerts
from .alert_forms import AlertForm
from .pages import booking_rate_limited, rate_limited_message
from .registry import booking_kinds


def _kind(service: str):
    kind = next((k for k in booking_kinds() if k.service == service), None)
    if kind is None:
        raise Http404
    return kind


@login_required
@paused_during_maintenance
@require_http_methods(["GET", "POST"])
def alert_new(request: HttpRequest, service: str) -> HttpResponse:
    kind = _kind(service)
    user = request.user
    now = timezone.now()
    reason = alerts.alert_refusal_reason(user, kind)
    if reason:
        return render(
            request,
            "bookings/alert_refused.html",
            {"reason": reason, "office": user.office},
            status=403,
        )
    places = kind.alert_places(user.office)
    labels = {"booth": _("Booth"), "online": _("Counselor")}
    form_args = {"places": places, "place_label": labels.get(service, _("Place"))}
    if request.method == "POST":
        form = AlertForm(request.POST, **form_args)
        if form.is_valid() and booking_rate_limited(request):
            form.add_error(None, rate_limited_message())
        elif form.is_valid():
            try:
                alerts.alert_create(
                    user=user,
                    service=service,
                    place_id=form.cleaned_data["place"],
                    first_day=form.cleaned_data["first_day"],
                    last_day=form.cleaned_data["last_day"],
                    now=now,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                messages.success(
                    request, _("Your alert is set. We will e-mail you when a time frees up.")
                )
                return redirect(settings.BOOKINGS_LIST_URL)
    else:
        first, last = alerts.default_range(user, kind, now=now)
        place = request.GET.get("place", "")
        initial = {"first_day": first, "last_day": last}
        if place.isdigit() and int(place) in dict(places):
            initial["place"] = int(place)
        form = AlertForm(initial=initial, **form_args)
    return render(
        request,
        "bookings/alert_form.html",
        {
            "form": form,
            "office": user.office,
            "service_label": kind.model._meta.verbose_name,
        },
        status=400 if form.errors else 200,
    )


@login_required
@paused_during_maintenance
@require_POST
def alert_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    if not alerts.alert_cancel(user=request.user, alert_id=pk):
        raise Http404
    messages.success(request, _("Your alert has been cancelled."))
    return redirect(settings.BOOKINGS_LIST_URL)
