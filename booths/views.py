"""Booking pages for job seekers and employers (REQ BTH-1 … BTH-8).

Thin views: the booth is scoped to the user's own office and a reservation to its owner
(anything else is a 404), forms validate, services decide.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.maintenance import paused_during_maintenance
from bookings import calendar, rules
from bookings import services as bookings
from bookings.models import State
from bookings.pagefacts import person_facts
from bookings.pages import (
    booking_rate_limited,
    cancel_page,
    check_page,
    month_navigation,
    month_table,
    parse_day,
    parse_slot,
    rate_limited_message,
    request_step,
    send_step,
    sent_answers,
    sign_answers,
    slot_answers,
    slot_url,
)
from core.kept_pages import render_kept
from core.statements import kept_rows
from core.versioning import office_cached
from terms.gate import consent_required

from . import availability, services
from .forms import ReservationRequestForm
from .kind import BOOTHS
from .models import Booth, Reservation


def _booths_for(office_id):
    """The open booths of the office, if it offers booths."""
    return Booth.objects.filter(office_id=office_id, office__offers_booths=True, is_active=True)


def _booth_for(user, booth_id: int) -> Booth:
    """One of the user's office's open booths, or 404. The booth's row comes from the grids
    cache while the office's places version is unchanged (a booth's change raises it, a
    booking does not), with the office as read for this request (REQ NFR-4)."""
    office = user.office if user.office_id else None
    if office is None or not office.offers_booths:
        raise Http404
    names = [field.attname for field in Booth._meta.concrete_fields]

    def build():
        rows = kept_rows(
            "booths.views.booth_row",
            lambda given: (
                Booth.objects.filter(
                    pk=given["booth"], office_id=given["office"], office__offers_booths=True
                )
                .filter(is_active=True)
                .order_by()
                .values_list(*names)
            ),
            {"booth": booth_id, "office": office.pk},
            stand_ins=lambda n: {"booth": -7_000_000 - n, "office": -8_000_000 - n},
        )
        return rows[0] if rows else None

    row = office_cached(
        "booth-row", (booth_id,), office=office, build=build, version="places_version"
    )
    if row is None:
        raise Http404
    booth = Booth.from_db(DEFAULT_DB_ALIAS, names, row)
    booth.office = office
    return booth


def _refused(request: HttpRequest, booth: Booth, reason: str, status: int = 403) -> HttpResponse:
    return render(
        request,
        "booths/refused.html",
        {"booth": booth, "office": booth.office, "reason": reason},
        status=status,
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    booths = list(_booths_for(request.user.office_id).select_related("office"))
    now = timezone.now()
    office = request.user.office
    cap = None
    if booths:  # the cap told up front (NFR-3), from the facts the pages keep
        cap = person_facts(request, office, now=now).cap_reason(Reservation, office)
    return render(
        request,
        "booths/index.html",
        {"booths": booths, "office": office, "today": calendar.local(now).date(), "cap": cap},
    )


@login_required
def month(request: HttpRequest, booth_id: int, year: int, month: int) -> HttpResponse:
    booth = _booth_for(request.user, booth_id)
    now = timezone.now()
    if not availability.is_shown_month(year, month, now):
        raise Http404
    navigation = month_navigation(year, month, now)

    def render_grid(days):
        return month_table(
            days, day_url="booths:day", place=booth.pk, slots=True, navigation=navigation
        )

    context = {
        "booth": booth,
        "office": booth.office,
        "grid": availability.month_grid(booth, year, month, now=now, render=render_grid),
        **navigation,
        **_banners(request, booth, now),
    }
    return render_kept(request, "booths/month.html", context, pieces=("grid",))


@login_required
def day(request: HttpRequest, booth_id: int, day: str) -> HttpResponse:
    booth = _booth_for(request.user, booth_id)
    now = timezone.now()
    date = parse_day(day, now)
    banners = _banners(request, booth, now)
    may_request = not banners["refusal"] and not banners["cap"]
    answers = slot_answers(request, BOOTHS)

    def render_grid(closed_reason, slots):
        context = {
            "booth": booth,
            "date": date,
            "closed_reason": closed_reason,
            "slots": slots,
            "may_request": may_request,
            "slot_query": answers["query"],
        }
        return render_to_string("booths/_day_grid.html", context)

    grid = availability.day_grid(
        booth, date, now=now, extra=(may_request, answers["query"]), render=render_grid
    )
    context = {
        "booth": booth,
        "office": booth.office,
        "date": date,
        "grid": grid,
        "slot_answers": answers,
        **banners,
    }
    return render_kept(request, "booths/day.html", context, pieces=("grid",))


def _banners(request: HttpRequest, booth: Booth, now) -> dict:
    """Why this user may not request here, whether they hold as many bookings as they may (the
    cap, NFR-3), and whether requests need the office's approval (the person's facts from
    their session while true: bookings.pagefacts)."""
    user = request.user
    facts = person_facts(request, booth.office, now=now)
    return {
        "refusal": services.booking_refusal_reason(
            user, booth, now=now, verified=facts.verified_email
        ),
        "approval": rules.noshow_approval_reason(
            user, booth.office, now=now, count=facts.no_contact_cancellations
        ),
        "cap": facts.cap_reason(Reservation, booth.office),
    }


@login_required
@paused_during_maintenance
@consent_required("booth")
@require_http_methods(["GET", "POST"])
def request_slot(request: HttpRequest, booth_id: int, day: str, hhmm: str) -> HttpResponse:
    """The request form; its POST answers with "check your answers" (or the slot link does,
    when every answer is known)."""
    booth = _booth_for(request.user, booth_id)
    starts_at = parse_slot(day, hhmm, timezone.now())
    request_url = slot_url("booths:request", booth.pk, starts_at)
    return request_step(
        request,
        kind=BOOTHS,
        place=booth,
        starts_at=starts_at,
        make_form=lambda data, **kwargs: ReservationRequestForm(data, user=request.user, **kwargs),
        place_payload={"booth_id": booth.pk},
        check_page=lambda answers, cleaned: check_page(
            request,
            kind=BOOTHS,
            place=booth,
            answers=answers,
            send_url=reverse("booths:send"),
            change_url=f"{request_url}?answers={sign_answers(request, answers)}",
            template="booths/check.html",
            context={"booth": booth},
        ),
        refused=lambda reason: _refused(request, booth, reason),
        template="booths/request.html",
        context={"booth": booth},
    )


@login_required
@paused_during_maintenance
@consent_required("booth")
@require_POST
def send(request: HttpRequest) -> HttpResponse:
    """Send "check your answers": the reservation is made once per form token."""
    answers, restart = sent_answers(request, BOOTHS, reverse("booths:index"))
    if restart:
        return restart
    booth = _booth_for(request.user, answers["booth_id"])
    starts_at = datetime.datetime.fromisoformat(answers["starts_at"])
    return send_step(
        request,
        kind=BOOTHS,
        answers=answers,
        book=lambda token, verified: services.reservation_request(
            user=request.user,
            booth=booth,
            starts_at=starts_at,
            form_token=token,
            verified=verified,
            **answers["data"],
        ),
        refused=lambda reason, status: _refused(request, booth, reason, status=status),
        slot_url=lambda slot: slot_url("booths:request", booth.pk, slot.starts_at),
        back=(
            reverse("booths:month", args=[booth.pk, starts_at.year, starts_at.month]),
            _("Back to the month"),
        ),
        done_message=_("Your request has been sent."),
    )


def _own_reservation(request: HttpRequest, pk: int) -> Reservation:
    return get_object_or_404(
        Reservation.objects.for_user(request.user).with_state().select_related("booth__office"),
        pk=pk,
    )


def _finished_message(state: str) -> str:
    return {
        State.COMPLETED: _("This booth reservation has ended."),
        State.CANCELLED: _("This booth reservation was cancelled."),
        State.NO_SHOW: _(
            "This booth reservation was cancelled because there was no contact within 10 "
            "minutes of the start."
        ),
        State.NOT_CONFIRMED: _(
            "The office did not confirm this request, so the reservation does not take place."
        ),
    }[state]


@login_required
def reservation(request: HttpRequest, pk: int) -> HttpResponse:
    """The reservation as it stands: what happens next, or, once it is over, why and a link
    to book the same booth again."""
    item = _own_reservation(request, pk)
    now = timezone.now()
    finished = item.is_finished(now)
    return render(
        request,
        "booths/reservation.html",
        {
            "reservation": item,
            "office": item.booth.office,
            "may_cancel": bookings.user_may_change(item, now),
            "finished": _finished_message(item.current_state(now)) if finished else "",
            "book_again_url": item.book_again_url() if finished else "",
        },
    )


@login_required
@paused_during_maintenance
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own_reservation(request, pk)
    return cancel_page(
        request,
        item,
        template="booths/cancel.html",
        context={"reservation": item, "office": item.booth.office},
        done_message=_("Your reservation has been cancelled."),
    )


@login_required
@paused_during_maintenance
@consent_required("booth")
@require_http_methods(["GET", "POST"])
def adhoc(request: HttpRequest) -> HttpResponse:
    """Use a booth now (BTH-8): the booths free in the current slot of the user's office, each
    with the time the use must end, told before it starts."""
    now = timezone.now()
    booths = list(_booths_for(request.user.office_id).select_related("office"))
    slot, uses = availability.adhoc_uses_now(booths, now, user=request.user)
    error = None
    if request.method == "POST" and slot is not None and booking_rate_limited(request):
        error = rate_limited_message()
    elif request.method == "POST" and slot is not None:
        use = next((u for u in uses if str(u.booth.pk) == request.POST.get("booth")), None)
        if use is None:
            error = _("Choose one of the free booths.")
        else:
            try:
                item = services.reservation_start_adhoc(user=request.user, booth=use.booth, now=now)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                ends_at = item.use_ends_at()
                values = {"time": calendar.format_time(ends_at)}
                if ends_at < use.ends_at:
                    message = _(
                        "The next slot was taken a moment ago, so the booth is yours only "
                        "until %(time)s."
                    )
                else:
                    message = _("The booth is yours until %(time)s.")
                messages.success(request, message % values)
                return redirect(item)
    refusal = None
    if booths:
        refusal = services.booking_refusal_reason(
            request.user, booths[0], now=now
        ) or rules.adhoc_approval_reason(request.user, booths[0].office, now=now)
    return render(
        request,
        "booths/adhoc.html",
        {
            "uses": uses,
            "slot": slot,
            "office": request.user.office,
            "error": error,
            "refusal": refusal,
        },
        status=400 if error else 200,
    )
