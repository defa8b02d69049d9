"""The one-click actions of the day sheet and the call list (REQ STF-1, STF-2): a POST that calls
the shared service in `consultations.bookings` and returns to the page it came from."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings import calendar
from bookings import services as bookings
from booths.models import Reservation
from consultations.models import Consultation
from core.forms import Form

from .entries import ACTION_LABELS, STATE_LABELS
from .pages import BOOTH, MAX_ID, ONLINE, _bounded_date, bad_request, page_url

MODELS = {BOOTH: Reservation, ONLINE: Consultation}
OFFICE_LOOKUPS = {BOOTH: "booth__office", ONLINE: "office"}
SELECT_RELATED = {BOOTH: ("booth__office", "user"), ONLINE: ("office", "video_tool", "user")}
BACK_PAGES = {"day": "admin:workplace_day", "calls": "admin:workplace_calls"}


class ActionForm(Form):
    """One one-click action on one booking, and the page to return to."""

    kind = forms.ChoiceField(choices=[(BOOTH, BOOTH), (ONLINE, ONLINE)])
    pk = forms.IntegerField(min_value=1, max_value=MAX_ID)
    action = forms.ChoiceField(choices=list(ACTION_LABELS.items()))
    back = forms.ChoiceField(choices=[(name, name) for name in BACK_PAGES], required=False)
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    office = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def clean_date(self):
        return _bounded_date(self.cleaned_data["date"])


def action_view(site, request):
    """One one-click action from the sheet or the call list (POST only): the shared service
    decides; its refusal is shown as a message, never a 500."""
    form = ActionForm(request.POST)
    if not form.is_valid():
        return bad_request(request, site, form)
    data = form.cleaned_data
    kind = data["kind"]
    model = MODELS[kind]
    opts = model._meta
    if not request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
        raise PermissionDenied
    rows = model.objects.select_related(*SELECT_RELATED[kind])
    if not request.user.is_superuser:
        if request.user.office_id is None:
            raise Http404
        rows = rows.filter(**{OFFICE_LOOKUPS[kind]: request.user.office_id})
    booking = rows.filter(pk=data["pk"]).first()
    if booking is None:
        raise Http404
    now = timezone.now()
    action = data["action"]
    service = {
        "confirm_now": bookings.booking_confirm,
        "start": bookings.booking_start,
        "complete": bookings.booking_complete,
        "no_show": bookings.booking_mark_no_show,
        "cancel_phone": bookings.booking_cancel_by_phone,
        "reinstate": bookings.booking_reinstate,
    }[action]
    kwargs = {"phoned_at": now} if action == "confirm_now" else {}
    who = f"{booking.requester_name} {calendar.format_slot(booking.starts_at, booking.ends_at)}"
    try:
        service(booking=booking, staff=request.user, now=now, **kwargs)
    except ValidationError as error:
        messages.error(request, f"{who}: {' '.join(error.messages)}")
    else:
        # The state it is in now, in the words the sheet uses for it (one word a state).
        state = rows.get(pk=booking.pk).current_state(now)
        messages.success(
            request,
            _("%(who)s: now “%(state)s”.") % {"who": who, "state": STATE_LABELS.get(state, state)},
        )
    back = data["back"] or "day"
    office = booking.office
    day = data["date"] or calendar.local(booking.starts_at).date() if back == "day" else None
    return redirect(
        page_url(BACK_PAGES[back], office=office, day=day, superuser=request.user.is_superuser)
    )
