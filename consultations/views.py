"""Online consultation pages for job seekers (REQ CON-1 … CON-8).

Thin views: everything is scoped to the signed-in user's own office and a consultation to its
participant (anything else is a 404); forms validate, services decide. The video link leaves
the application only through the join view, as a redirect, inside the join window (CON-3).
"""

from __future__ import annotations

import datetime

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.maintenance import paused_during_maintenance
from bookings import calendar, rules
from bookings import services as bookings
from bookings.availability import Slot
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
    weeks,
)
from core.kept_pages import render_kept
from core.statements import kept_rows
from core.versioning import office_cached
from terms.gate import consent_required

from . import availability, eligibility, services
from .forms import ConsultationRequestForm, JoinChecklistForm
from .kind import ONLINE, OnlinePlace
from .models import Consultation, VideoTool

ANY = "any"


def _office(request: HttpRequest):
    return request.user.office


def _counselor(request: HttpRequest, who: str):
    """The counselor `who` of the user's office, or None for "any counselor"; else a 404."""
    if who == ANY:
        return None
    if not who.isascii() or not who.isdigit() or len(who) > 12:
        raise Http404
    # From the office's counselors kept under its people and places versions: the slot link,
    # its check page and the send read no user rows (REQ NFR-4).
    counselors = availability.kept_online_counselors(_office(request), int(who))
    if not counselors:
        raise Http404
    return counselors[0]


def _refused_page(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    return render(
        request,
        "bookings/refused.html",
        {"reason": reason, "office": _office(request)},
        status=status,
    )


def _refusal(request: HttpRequest) -> tuple[str | None, str | None]:
    """(why the person can't book online now, the BTH-7 approval notice), from the facts
    their session keeps (`bookings.pagefacts`): no query once kept, and the form and its send
    read them there too."""
    office = _office(request)
    if office is None:
        return eligibility.online_refusal_reason(request.user), None
    now = timezone.now()
    facts = person_facts(request, office, now=now)
    return (
        eligibility.online_refusal_reason(request.user, verified=facts.verified_email),
        rules.noshow_approval_reason(
            request.user, office, now=now, count=facts.no_contact_cancellations
        ),
    )


def _cap(request: HttpRequest, office, now) -> str | None:
    """The cap, told before any form (NFR-3), from the facts the pages keep in the session."""
    return person_facts(request, office, now=now).cap_reason(Consultation, office)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Who may book (CON-6) and, for them, the counselors and the earliest free slots."""
    reason, approval = _refusal(request)
    if reason and eligibility.online_eligibility_reason(request.user):
        return _refused_page(request, reason)
    office = _office(request)
    now = timezone.now()
    today = calendar.local(now).date()
    return render(
        request,
        "consultations/index.html",
        {
            "office": office,
            "refusal": reason,
            "counselors": availability.online_counselors(office),
            "earliest": availability.free_slots_from(office, now=now, limit=8),
            "today": today,
            "any": ANY,
            "approval": approval,
            "cap": _cap(request, office, now),
        },
    )


@login_required
def month(request: HttpRequest, who: str, year: str, month: str) -> HttpResponse:
    year, month = int(year), int(month)
    reason, approval = _refusal(request)
    if reason and eligibility.online_eligibility_reason(request.user):
        return _refused_page(request, reason)
    counselor = _counselor(request, who)
    now = timezone.now()
    if not rules.is_shown_month(year, month, now):
        raise Http404
    office = _office(request)
    navigation = month_navigation(year, month, now)

    def render_grid(days):
        return month_table(
            days, day_url="consultations:day", place=who, slots=False, navigation=navigation
        )

    grid = availability.month_grid(
        office,
        year,
        month,
        now=now,
        counselor_id=getattr(counselor, "pk", None),
        extra=(who,),
        render=render_grid,
    )
    context = {
        "office": office,
        "counselor": counselor,
        "who": who,
        "grid": grid,
        **navigation,
        "refusal": reason,
        "approval": approval,
        "cap": _cap(request, office, now),
    }
    return render_kept(request, "consultations/month.html", context, pieces=("grid",))


@login_required
def day(request: HttpRequest, who: str, day: str) -> HttpResponse:
    reason, approval = _refusal(request)
    if reason and eligibility.online_eligibility_reason(request.user):
        return _refused_page(request, reason)
    counselor = _counselor(request, who)
    now = timezone.now()
    date = parse_day(day, now)
    office = _office(request)
    closed_reason, slots = availability.day_view(
        office, date, now=now, counselor_id=getattr(counselor, "pk", None)
    )
    tools = [(tool.pk, tool.name) for tool in _kept_video_tools(office)]
    answers = slot_answers(request, ONLINE, extra=(("video_tool", _("Video tool"), tools),))
    context = {
        "office": office,
        "counselor": counselor,
        "who": who,
        "date": date,
        "closed_reason": closed_reason,
        # What the page shows of each slot: its time and state (who is free in it is not
        # shown, and would make the kept page's key a list of people).
        "slots": [Slot(slot.starts_at, slot.state) for slot in slots],
        "slot_answers": answers,
        "refusal": reason,
        "approval": approval,
        "cap": _cap(request, office, now),
    }
    return render_kept(request, "consultations/day.html", context)


def _video_tools(office):
    return VideoTool.objects.filter(office=office, is_active=True).order_by("name")


def _kept_video_tools(office) -> list[VideoTool]:
    """The office's active video tools by name, kept under its places version, which a
    change of a tool raises (consultations 0017), with `office` as read for this request
    (REQ NFR-4)."""
    names = [field.attname for field in VideoTool._meta.concrete_fields]
    rows = office_cached(
        "video-tools",
        (),
        office=office,
        build=lambda: kept_rows(
            "consultations.views.video_tools",
            lambda given: _video_tools(given["office"]).values_list(*names),
            {"office": office.pk},
            stand_ins=lambda n: {"office": -7_000_000 - n},
        ),
        version="places_version",
    )
    return [VideoTool.from_db(DEFAULT_DB_ALIAS, names, row) for row in rows]


def _video_tool(office, pk) -> VideoTool:
    """One of the office's active video tools (the signed answers name it), or 404."""
    for tool in _kept_video_tools(office):
        if tool.pk == pk:
            return tool
    raise Http404


@login_required
@paused_during_maintenance
@consent_required("online")
@require_http_methods(["GET", "POST"])
def request_slot(request: HttpRequest, who: str, day: str, hhmm: str) -> HttpResponse:
    """The request form; its POST answers with "check your answers" (or the slot link does,
    when every answer is known)."""
    counselor = _counselor(request, who)
    office = _office(request)
    starts_at = parse_slot(day, hhmm, timezone.now())
    tools = _kept_video_tools(office)

    def check(answers, cleaned):
        tool = cleaned["video_tool"]
        return check_page(
            request,
            kind=ONLINE,
            place=OnlinePlace(office=office, counselor=counselor, video_tool=tool),
            answers=answers,
            send_url=reverse("consultations:send"),
            change_url=(
                slot_url("consultations:request", who, starts_at)
                + f"?answers={sign_answers(request, answers)}"
            ),
            template="consultations/check.html",
            context={"counselor": counselor, "video_tool": tool},
        )

    return request_step(
        request,
        kind=ONLINE,
        place=OnlinePlace(office=office, counselor=counselor),
        starts_at=starts_at,
        make_form=lambda data, **kwargs: ConsultationRequestForm(
            data, user=request.user, video_tools=tools, **kwargs
        ),
        place_payload={"counselor_id": getattr(counselor, "pk", None)},
        check_page=check,
        refused=lambda reason: _refused_page(request, reason),
        template="consultations/request.html",
        context={"counselor": counselor},
    )


@login_required
@paused_during_maintenance
@consent_required("online")
@require_POST
def send(request: HttpRequest) -> HttpResponse:
    """Send "check your answers": the consultation is booked once per form token."""
    answers, restart = sent_answers(request, ONLINE, reverse("consultations:index"))
    if restart:
        return restart
    counselor = _counselor(request, str(answers["counselor_id"] or ANY))
    starts_at = datetime.datetime.fromisoformat(answers["starts_at"])
    data = dict(answers["data"])
    video_tool = _video_tool(_office(request), data.pop("video_tool"))
    return send_step(
        request,
        kind=ONLINE,
        answers=answers,
        book=lambda token, verified: services.consultation_request(
            user=request.user,
            starts_at=starts_at,
            counselor=counselor,
            video_tool=video_tool,
            form_token=token,
            verified=verified,
            **data,
        ),
        refused=lambda reason, status: _refused_page(request, reason, status=status),
        slot_url=lambda slot: slot_url("consultations:request", ANY, slot.starts_at),
        back=(reverse("consultations:index"), _("Online consultations")),
        done_message=_("Your online consultation is booked."),
    )


def _own(request: HttpRequest, pk: int) -> Consultation:
    return get_object_or_404(
        Consultation.objects.for_user(request.user)
        .with_state()
        .select_related("office", "video_tool", "counselor"),
        pk=pk,
    )


def _detail_page(
    request: HttpRequest, consultation: Consultation, *, checklist=None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    opens, _closes = services.join_window(consultation)
    join_refusal = services.join_refusal_reason(consultation, request.user, now=now)
    finished = consultation.is_finished(now)
    confirmed = None
    if consultation.is_upcoming_active(now):
        confirmed = services.checklist_confirmation(consultation, request.user)
        if confirmed is None and checklist is None:
            checklist = JoinChecklistForm(consultation=consultation)
    response = render(
        request,
        "consultations/detail.html",
        {
            "consultation": consultation,
            "office": consultation.office,
            "join_refusal": join_refusal,
            "join_opens": opens,
            "may_change": bookings.user_may_change(consultation, now),
            "terms_url": consultation.video_tool.terms_url,
            "finished": finished,
            "book_again_url": consultation.book_again_url() if finished else "",
            "checklist": None if confirmed else checklist,
            "form": None if confirmed else checklist,
            "confirmed": confirmed,
        },
        status=status,
    )
    if join_refusal is None:
        # The join form's redirect leads to the video tool: browsers apply the page's CSP
        # form-action to the whole redirect chain, so allow the tool's hosts on this page only.
        hosts = consultation.video_tool.host_list()
        sources = [f"https://{h}" for h in hosts] + [f"https://*.{h}" for h in hosts]
        response = csp_update({"form-action": sources})(lambda: response)()
    return response


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The consultation's page: time, office, phone, tool, the checklist the person ticks
    before their first join (CON-4) and, only inside the join window, the join button. The
    video link itself is never on this page (CON-3)."""
    return _detail_page(request, _own(request, pk))


@login_required
@paused_during_maintenance
@consent_required("online")
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the join (time, IP, browser, the checklist before the first one) and hand over
    to the video tool (CON-3, CON-4). A GET (a bookmark, a refresh) leads to the page."""
    consultation = _own(request, pk)
    if request.method == "GET":
        return redirect(consultation)
    if booking_rate_limited(request):
        messages.error(request, rate_limited_message())
        return redirect(consultation)
    checklist = None
    if services.checklist_needed(consultation, request.user):
        form = JoinChecklistForm(request.POST, consultation=consultation)
        if not form.is_valid():
            return _detail_page(request, consultation, checklist=form, status=400)
        checklist = form.checklist()
    try:
        url = services.consultation_join(
            consultation=consultation, user=request.user, request=request, checklist=checklist
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(consultation)
    return HttpResponseRedirect(url)


@login_required
@paused_during_maintenance
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _own(request, pk)
    return cancel_page(
        request,
        consultation,
        template="consultations/cancel.html",
        context={"consultation": consultation, "office": consultation.office},
        done_message=_("Your online consultation has been cancelled."),
    )


def _movable(request: HttpRequest, pk: int):
    """The person's consultation while they may still move it online (CON-5), else (None, a
    redirect to its page saying to phone)."""
    consultation = _own(request, pk)
    if not bookings.user_may_change(consultation, timezone.now()):
        messages.error(
            request, _("This consultation can no longer be moved online. Please phone the office.")
        )
        return None, redirect(consultation)
    return consultation, None


@login_required
@paused_during_maintenance
@consent_required("online")
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Moving starts at the month of the current booking, with the same pickers as booking."""
    consultation, refused = _movable(request, pk)
    if refused:
        return refused
    now = timezone.now()
    start = max(calendar.local(consultation.starts_at).date(), calendar.local(now).date())
    if not rules.is_shown_month(start.year, start.month, now):
        start = calendar.local(now).date()
    return redirect("consultations:move_month", pk, start.year, start.month)


@login_required
@paused_during_maintenance
@consent_required("online")
def move_month(request: HttpRequest, pk: int, year: str, month: str) -> HttpResponse:
    """Any month of the booking horizon, its days with free times of any counselor (CON-5)."""
    year, month = int(year), int(month)
    consultation, refused = _movable(request, pk)
    if refused:
        return refused
    now = timezone.now()
    if not rules.is_shown_month(year, month, now):
        raise Http404
    office = consultation.office
    return render(
        request,
        "consultations/move_month.html",
        {
            "consultation": consultation,
            "office": office,
            "weeks": weeks(availability.month_view(office, year, month, now=now)),
            **month_navigation(year, month, now),
        },
    )


@login_required
@paused_during_maintenance
@consent_required("online")
@require_http_methods(["GET", "POST"])
def move_day(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    """The free times of a day; choosing one moves the consultation, up to the deadline, with
    the same counselor when they offer it (CON-5)."""
    consultation, refused = _movable(request, pk)
    if refused:
        return refused
    now = timezone.now()
    date = parse_day(day, now)
    office = consultation.office
    closed_reason, slots = availability.day_view(office, date, now=now)
    choices = [s for s in slots if s.is_free and s.starts_at != consultation.starts_at]
    error = None
    if request.method == "POST":
        picked = next(
            (
                s
                for s in choices
                if f"{calendar.local(s.starts_at):%H%M}" == request.POST.get("slot")
            ),
            None,
        )
        if picked is None:
            error = _("Choose one of the free times.")
        elif booking_rate_limited(request):
            error = rate_limited_message()
        else:
            try:
                services.consultation_move_by_user(
                    consultation=consultation, user=request.user, starts_at=picked.starts_at
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, _("Your online consultation has been moved."))
                return redirect(consultation)
    return render(
        request,
        "consultations/move_day.html",
        {
            "consultation": consultation,
            "office": office,
            "date": date,
            "closed_reason": closed_reason,
            "choices": choices,
            "error": error,
        },
        status=400 if error else 200,
    )
