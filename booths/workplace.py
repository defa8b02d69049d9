"""The counselor's workplace in the admin (REQ STF-1, STF-2, BTH-6, NFR-3).

Four pages over both services, for one office and read in a fixed number of queries whatever
the office's size:

- the day sheet: every booth and every counselor as columns, the office's 30-minute slots as
  rows, each booking with its true state (the 10-minute rule, as on the user pages) and the
  one-click actions that apply now;
- the week view: per booth and per counselor, counts per day, linked to the day sheet;
- the call list: requests waiting for the phone confirmation, oldest first, and today's and
  tomorrow's requests not yet confirmed;
- the admin index, opening on the staff member's office.

Staff see only their own office; superusers choose one with `?office=<id>`. Every change is a
POST to `action_view`, which calls the shared service in `consultations.bookings` and returns
to the page it came from. The URLs are added in front of the admin site's own by `install()`,
called from `BoothsConfig.ready()`.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, Q, Value
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Office, User, UserType
from consultations import bookings, calendar
from consultations.admin import LINK_MISSING_HORIZON
from consultations.models import (
    ACTIVE_STATUSES,
    AWAITING_STATUSES,
    AvailabilityException,
    AvailabilityPattern,
    Consultation,
    ExceptionKind,
    OfficeClosure,
    Status,
)
from core.access import AccessKind, access_record_page
from core.forms import Form

from .models import Booth, Reservation

# The dates the pages accept: wide enough for any real schedule, narrow enough that date
# arithmetic never overflows (REQ NFR-3).
FIRST_DATE = datetime.date(2000, 1, 1)
LAST_DATE = datetime.date(2099, 12, 31)
MAX_ID = 2**31 - 1
# The call list is read a page at a time, oldest request first (REQ STF-1, NFR-4).
CALL_LIST_PAGE_SIZE = 50
MAX_PAGE = 10_000
LINK_MISSING_LIMIT = 50

BOOTH, ONLINE = "booth", "online"
MODELS = {BOOTH: Reservation, ONLINE: Consultation}
OFFICE_LOOKUPS = {BOOTH: "booth__office", ONLINE: "office"}
SELECT_RELATED = {BOOTH: ("booth__office", "user"), ONLINE: ("office", "video_tool", "user")}

# Short labels for staff: the user-facing ones speak to the user ("the office will phone you").
STATE_LABELS = {
    Status.REQUESTED: gettext_lazy("Requested: phone to confirm"),
    Status.CONFIRMED: gettext_lazy("Confirmed"),
    Status.CHECKED_IN: gettext_lazy("In progress"),
    Status.COMPLETED: gettext_lazy("Completed"),
    Status.CANCELLED: gettext_lazy("Cancelled"),
    Status.NO_SHOW: gettext_lazy("No-show (no contact)"),
}

ACTION_LABELS = {
    "confirm_now": gettext_lazy("Confirm: phoned now"),
    "start": gettext_lazy("Check in / start"),
    "complete": gettext_lazy("Complete"),
    "no_show": gettext_lazy("No-show"),
    "cancel_phone": gettext_lazy("Cancel (the user phoned)"),
    "reinstate": gettext_lazy("Reinstate"),
}
BACK_PAGES = {"day": "admin:booths_workplace_day", "calls": "admin:booths_workplace_calls"}


# --- Input (REQ NFR-3) -------------------------------------------------------------------------


def _bounded_date(value):
    if value is not None and not FIRST_DATE <= value <= LAST_DATE:
        raise ValidationError(
            _("Choose a date from %(first)s to %(last)s.")
            % {"first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()}
        )
    return value


class PageQueryForm(Form):
    """The query string of the workplace pages: a day and, for superusers, an office."""

    date = forms.DateField(
        label=gettext_lazy("Date"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    office = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    page = forms.IntegerField(
        label=gettext_lazy("Page"), required=False, min_value=1, max_value=MAX_PAGE
    )

    def clean_date(self):
        return _bounded_date(self.cleaned_data["date"])


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


def bad_request(request, site, form) -> TemplateResponse:
    errors = [message for field_errors in form.errors.values() for message in field_errors]
    return TemplateResponse(
        request,
        "admin/workplace/bad_request.html",
        {
            **site.each_context(request),
            "title": _("The request could not be processed"),
            "errors": errors,
        },
        status=400,
    )


def may_view(user) -> bool:
    return user.has_perm("booths.view_reservation") and user.has_perm(
        "consultations.view_consultation"
    )


def page_office(request, form) -> Office:
    """The office the page shows: the staff member's own; for superusers the one chosen (their
    own or the first by default). Another office asked for by staff answers 404 (STF-2)."""
    user = request.user
    wanted = form.cleaned_data.get("office")
    if not user.is_superuser:
        if user.office_id is None:
            raise PermissionDenied
        if wanted is not None and wanted != user.office_id:
            raise Http404
        return Office.objects.get(pk=user.office_id)
    chosen = wanted or user.office_id
    offices = Office.objects.filter(pk=chosen) if chosen else Office.objects.order_by("name", "pk")
    office = offices.first()
    if office is None:
        raise Http404
    return office


def office_choices(request) -> list[Office]:
    """Superusers pick an office; staff have theirs only."""
    if not request.user.is_superuser:
        return []
    return list(Office.objects.order_by("name", "pk").only("pk", "name"))


def page_url(
    name: str,
    *,
    office: Office | None = None,
    day: datetime.date | None = None,
    superuser: bool = False,
    page: int | None = None,
) -> str:
    query = {}
    if day is not None:
        query["date"] = day.isoformat()
    if superuser and office is not None:
        query["office"] = office.pk
    if page is not None:
        query["page"] = page
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def day_bounds(first: datetime.date, last: datetime.date):
    start = datetime.datetime.combine(first, datetime.time(0), tzinfo=calendar.TOKYO)
    end = datetime.datetime.combine(
        last + datetime.timedelta(days=1), datetime.time(0), tzinfo=calendar.TOKYO
    )
    return start, end


def closures_around(office: Office, first: datetime.date, last: datetime.date) -> frozenset:
    """The office's closures from two weeks before `first` to two weeks after `last`, enough
    to find the neighbouring business days."""
    return OfficeClosure.objects.for_office(office).dates_between(
        max(FIRST_DATE, first - datetime.timedelta(days=14)),
        min(LAST_DATE, last + datetime.timedelta(days=14)),
    )


def neighbour_business_day(day: datetime.date, step: int, closures) -> datetime.date | None:
    """The business day before (step -1) or after (step 1) `day`, within the date bounds."""
    for _n in range(30):
        day += datetime.timedelta(days=step)
        if not FIRST_DATE <= day <= LAST_DATE:
            return None
        if calendar.is_business_day(day, closures=closures):
            return day
    return None


# --- What a booking shows ----------------------------------------------------------------------


@dataclass
class Link:
    url: str
    label: str


@dataclass
class Entry:
    """One booking as the pages show it: who, the true state, what staff may do now."""

    booking: object
    kind: str
    state: str
    state_label: str
    place: str
    user_type: str
    purpose: str
    companions: list[str]
    change_url: str
    actions: list[tuple[str, str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATUSES


def staff_name(user) -> str:
    """Family name first, as Japanese names are written."""
    return f"{user.last_name} {user.first_name}".strip() or user.username


def user_type_label(value: str) -> str:
    return str(UserType(value).label) if value in UserType.values else ""


def entry_for(booking, kind: str, now: datetime.datetime, *, place: str = "") -> Entry:
    state = booking.current_state(now)
    opts = type(booking)._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}_"
    entry = Entry(
        booking=booking,
        kind=kind,
        state=state,
        state_label=str(STATE_LABELS.get(state, state)),
        place=place,
        user_type=user_type_label(booking.user_type),
        purpose=booking.get_purpose_display(),
        companions=booking.companion_labels(),
        change_url=reverse(prefix + "change", args=[booking.pk]),
    )
    awaiting = state in AWAITING_STATUSES
    if state == Status.REQUESTED:
        entry.actions.append(("confirm_now", str(ACTION_LABELS["confirm_now"])))
        entry.links.append(
            Link(reverse(prefix + "confirm", args=[booking.pk]), _("Confirm with the phone time"))
        )
    if awaiting and booking.starts_at - bookings.START_OPENS_BEFORE <= now < booking.ends_at:
        entry.actions.append(("start", str(ACTION_LABELS["start"])))
    if state == Status.CHECKED_IN:
        entry.actions.append(("complete", str(ACTION_LABELS["complete"])))
    if awaiting and booking.starts_at <= now:
        entry.actions.append(("no_show", str(ACTION_LABELS["no_show"])))
    if awaiting:
        entry.actions.append(("cancel_phone", str(ACTION_LABELS["cancel_phone"])))
        entry.links.append(Link(reverse(prefix + "move", args=[booking.pk]), _("Move")))
    if state == Status.NO_SHOW and booking.ends_at > now:
        entry.actions.append(("reinstate", str(ACTION_LABELS["reinstate"])))
    if state in (Status.CHECKED_IN, Status.COMPLETED) and booking.user_id:
        entry.links.append(Link(reverse(prefix + "book_next", args=[booking.pk]), _("Book next")))
    if kind == ONLINE and state in ACTIVE_STATUSES and not booking.join_url:
        entry.links.append(
            Link(reverse(prefix + "link", args=[booking.pk]), _("Set the meeting link"))
        )
    return entry


# --- The day sheet -----------------------------------------------------------------------------


@dataclass
class Cell:
    entries: list[Entry] = field(default_factory=list)
    # Bookings of another column this counselor is held by (a booth session), for reference.
    also: list[Entry] = field(default_factory=list)
    offered: bool = False
    links: list[Link] = field(default_factory=list)
    # The column's name, for the hidden part of the links' names ("Book: Booth A 10:00").
    where: str = ""


@dataclass
class Column:
    kind: str
    label: str
    cells: dict = field(default_factory=lambda: defaultdict(Cell))


def day_bookings(office: Office, day: datetime.date, now):
    start, end = day_bounds(day, day)
    reservations = list(
        Reservation.objects.with_state(now)
        .filter(booth__office=office, starts_at__gte=start, starts_at__lt=end)
        .select_related("booth")
        .order_by("starts_at", "booth_id", "pk")
    )
    consultations = list(
        Consultation.objects.with_state(now)
        .filter(office=office, starts_at__gte=start, starts_at__lt=end)
        .select_related("video_tool")
        .order_by("starts_at", "counselor_id", "pk")
    )
    return reservations, consultations


def sheet_counselors(office: Office, day: datetime.date, booked_ids: set[int]):
    """Staff of the office who publish availability on `day` or hold a booking on it, with
    their patterns and single slots of the day (three queries, always)."""
    start, end = day_bounds(day, day)
    patterns = AvailabilityPattern.objects.filter(
        office=office, weekday=day.weekday(), valid_from__lte=day
    ).exclude(valid_until__lt=day)
    exceptions = AvailabilityException.objects.filter(
        office=office, starts_at__gte=start, starts_at__lt=end
    )
    patterns = list(patterns)
    exceptions = list(exceptions)
    # Ids first: an OR of subqueries over the user table makes PostgreSQL read every user.
    publishing = {p.counselor_id for p in patterns} | {
        e.counselor_id for e in exceptions if e.kind == ExceptionKind.EXTRA
    }
    counselors = list(
        User.objects.filter(pk__in=sorted(booked_ids | publishing))
        .filter(Q(pk__in=sorted(booked_ids)) | Q(is_active=True, is_staff=True))
        .order_by("last_name", "first_name", "pk")
    )
    by_counselor = defaultdict(list)
    for pattern in patterns:
        by_counselor[pattern.counselor_id].append(pattern)
    extra, withdrawn = set(), set()
    for exception in exceptions:
        key = (exception.counselor_id, exception.starts_at)
        (extra if exception.kind == ExceptionKind.EXTRA else withdrawn).add(key)

    def offers(counselor_id: int, moment: datetime.datetime) -> bool:
        key = (counselor_id, moment)
        if key in withdrawn:
            return False
        return key in extra or any(p.covers(moment) for p in by_counselor[counselor_id])

    return counselors, offers


def build_day_sheet(office: Office, day: datetime.date, now, closures):
    grid = calendar.day_slots(
        day, opens_at=office.opens_at, closes_at=office.closes_at, closures=closures
    )
    reservations, consultations = day_bookings(office, day, now)
    booths = [
        booth
        for booth in Booth.objects.filter(office=office).order_by("name", "pk")
        if booth.is_active or any(r.booth_id == booth.pk for r in reservations)
    ]
    booked_ids = {b.counselor_id for b in (*reservations, *consultations) if b.counselor_id}
    counselors, offers = sheet_counselors(office, day, booked_ids)
    slots = sorted({*grid, *(calendar.local(b.starts_at) for b in (*reservations, *consultations))})
    current = calendar.slot_start_containing(
        now, opens_at=office.opens_at, closes_at=office.closes_at
    )

    booth_columns = {booth.pk: Column(BOOTH, booth.name) for booth in booths}
    counselor_columns = {c.pk: Column(ONLINE, staff_name(c)) for c in counselors}
    for reservation in reservations:
        entry = entry_for(reservation, BOOTH, now, place=reservation.booth.name)
        moment = calendar.local(reservation.starts_at)
        booth_columns[reservation.booth_id].cells[moment].entries.append(entry)
        if reservation.counselor_id in counselor_columns and entry.is_active:
            counselor_columns[reservation.counselor_id].cells[moment].also.append(entry)
    for consultation in consultations:
        entry = entry_for(consultation, ONLINE, now, place=consultation.video_tool.name)
        moment = calendar.local(consultation.starts_at)
        if consultation.counselor_id in counselor_columns:
            counselor_columns[consultation.counselor_id].cells[moment].entries.append(entry)

    book_for_caller = reverse("admin:consultations_consultation_book")
    grid_set = set(grid)
    for booth in booths:
        column = booth_columns[booth.pk]
        for moment in grid:
            cell = column.cells[moment]
            cell.where = booth.name
            if not booth.is_active or any(e.is_active for e in cell.entries):
                continue
            if moment == current:
                cell.links.append(
                    Link(reverse("admin:booths_booth_adhoc", args=[booth.pk]), _("Start a use now"))
                )
            if moment + calendar.SLOT > now:
                cell.links.append(
                    Link(reverse("admin:booths_booth_book", args=[booth.pk]), _("Book"))
                )
    for counselor in counselors:
        column = counselor_columns[counselor.pk]
        for moment in slots:
            cell = column.cells[moment]
            cell.where = column.label
            cell.offered = moment in grid_set and offers(counselor.pk, moment)
            busy = any(e.is_active for e in (*cell.entries, *cell.also))
            if cell.offered and not busy and moment > now:
                cell.links.append(Link(book_for_caller, _("Book")))

    columns = [*booth_columns.values(), *counselor_columns.values()]
    rows = [(moment, [column.cells[moment] for column in columns]) for moment in slots]
    return {
        "people": [b.user_id for b in (*reservations, *consultations)],
        "booth_columns": list(booth_columns.values()),
        "counselor_columns": list(counselor_columns.values()),
        "columns": columns,
        "rows": rows,
        "current_slot": current,
    }


# --- Views -------------------------------------------------------------------------------------


class WorkplaceViews:
    """The workplace pages of one admin site."""

    def __init__(self, site):
        self.site = site

    def urls(self) -> list:
        view = self.site.admin_view
        return [
            path("", view(self.index_view), name="index"),
            path("booths/workplace/day/", view(self.day_view), name="booths_workplace_day"),
            path("booths/workplace/week/", view(self.week_view), name="booths_workplace_week"),
            path("booths/workplace/calls/", view(self.calls_view), name="booths_workplace_calls"),
            path(
                "booths/workplace/action/",
                view(require_POST(self.action_view)),
                name="booths_workplace_action",
            ),
        ]

    def _start(self, request):
        """The validated query and the office, or a 400 response."""
        if not may_view(request.user):
            raise PermissionDenied
        form = PageQueryForm(request.GET)
        if not form.is_valid():
            return form, None, bad_request(request, self.site, form)
        return form, page_office(request, form), None

    def _context(self, request, office, title: str, **extra) -> dict:
        superuser = request.user.is_superuser
        return {
            **self.site.each_context(request),
            "title": title,
            "office": office,
            "offices": office_choices(request),
            "superuser": superuser,
            "day_url": page_url("admin:booths_workplace_day", office=office, superuser=superuser),
            "week_url": page_url("admin:booths_workplace_week", office=office, superuser=superuser),
            "calls_url": page_url(
                "admin:booths_workplace_calls", office=office, superuser=superuser
            ),
            "action_url": reverse("admin:booths_workplace_action"),
            "can_change": request.user.has_perm("booths.change_reservation")
            and request.user.has_perm("consultations.change_consultation"),
            **extra,
        }

    def day_view(self, request):
        """STF-1: the day sheet of one office."""
        form, office, error = self._start(request)
        if error:
            return error
        now = timezone.now()
        day = form.cleaned_data["date"] or calendar.local(now).date()
        closures = closures_around(office, day, day)
        superuser = request.user.is_superuser
        previous = neighbour_business_day(day, -1, closures)
        following = neighbour_business_day(day, 1, closures)
        sheet = build_day_sheet(office, day, now, closures)
        # LOG-1: the sheet shows these people's names, phones and companions.
        access_record_page(request, AccessKind.DAY_SHEET, sheet.pop("people"))
        return TemplateResponse(
            request,
            "admin/workplace/day.html",
            self._context(
                request,
                office,
                _("Day sheet"),
                page="day",
                subtitle=calendar.format_date(day),
                day=day,
                closed_reason=calendar.closed_reason(day, closures=closures),
                form=PageQueryForm(initial={"date": day, "office": office.pk}),
                previous_url=previous
                and page_url(
                    "admin:booths_workplace_day", office=office, day=previous, superuser=superuser
                ),
                next_url=following
                and page_url(
                    "admin:booths_workplace_day", office=office, day=following, superuser=superuser
                ),
                week_of_day_url=page_url(
                    "admin:booths_workplace_week", office=office, day=day, superuser=superuser
                ),
                now=now,
                **sheet,
            ),
        )

    def week_view(self, request):
        """STF-1: Monday to Friday per booth and per counselor, with counts per day."""
        form, office, error = self._start(request)
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
        patterns = AvailabilityPattern.objects.filter(
            office=office, valid_from__lte=days[-1]
        ).exclude(valid_until__lt=days[0])
        booked = {c for _b, c, _s, _t in reservations if c} | {
            c for c, _s, _t in consultations if c
        }
        publishing = set(patterns.values_list("counselor_id", flat=True))
        counselors = list(
            User.objects.filter(pk__in=sorted(booked | publishing))
            .filter(Q(pk__in=sorted(booked)) | Q(is_active=True, is_staff=True))
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
                page_url("admin:booths_workplace_day", office=office, day=day, superuser=superuser),
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
            "admin:booths_workplace_week",
            office=office,
            day=max(FIRST_DATE, min(LAST_DATE, monday + datetime.timedelta(days=offset))),
            superuser=superuser,
        )
        return TemplateResponse(
            request,
            "admin/workplace/week.html",
            self._context(
                request,
                office,
                _("Week view"),
                page="week",
                subtitle=_("%(first)s – %(last)s")
                % {"first": calendar.format_date(days[0]), "last": calendar.format_date(days[-1])},
                form=PageQueryForm(initial={"date": chosen, "office": office.pk}),
                days=open_days,
                booth_rows=rows(BOOTH, booths, lambda b: b.name),
                counselor_rows=rows(ONLINE, counselors, staff_name),
                previous_url=week(-7),
                next_url=week(7),
            ),
        )

    def calls_view(self, request):
        """STF-1: requests waiting for the phone confirmation, oldest first; then today's and
        tomorrow's requests not yet confirmed."""
        form, office, error = self._start(request)
        if error:
            return error
        now = timezone.now()
        calls = call_list(office, now, page=form.cleaned_data["page"] or 1)
        today = calendar.local(now).date()
        start, end = day_bounds(today, today + datetime.timedelta(days=1))
        soon = [
            entry_for(b, BOOTH, now, place=b.booth.name)
            for b in Reservation.objects.with_state(now)
            .filter(
                booth__office=office,
                status=Status.REQUESTED,
                starts_at__gte=start,
                starts_at__lt=end,
            )
            .select_related("booth")
        ] + [
            entry_for(c, ONLINE, now, place=c.video_tool.name)
            for c in Consultation.objects.with_state(now)
            .filter(office=office, status=Status.REQUESTED, starts_at__gte=start, starts_at__lt=end)
            .select_related("video_tool")
        ]
        soon.sort(key=lambda e: (e.booking.starts_at, e.kind, e.booking.pk))
        # LOG-1: the list shows these people's names and phone numbers.
        access_record_page(
            request, AccessKind.CALL_LIST, [e.booking.user_id for e in (*calls.entries, *soon)]
        )
        superuser = request.user.is_superuser

        def page_link(number: int) -> str:
            return page_url(
                "admin:booths_workplace_calls", office=office, superuser=superuser, page=number
            )

        return TemplateResponse(
            request,
            "admin/workplace/calls.html",
            self._context(
                request,
                office,
                _("Call list"),
                page="calls",
                form=PageQueryForm(initial={"office": office.pk}),
                waiting=calls.entries,
                total=calls.total,
                calls=calls,
                previous_url=page_link(calls.page - 1) if calls.page > 1 else None,
                next_url=page_link(calls.page + 1) if calls.page < calls.pages else None,
                soon=soon,
                now=now,
            ),
        )

    def action_view(self, request):
        """One one-click action from the sheet or the call list (POST only): the shared service
        decides; its refusal is shown as a message, never a 500."""
        form = ActionForm(request.POST)
        if not form.is_valid():
            return bad_request(request, self.site, form)
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
            messages.success(
                request,
                _("%(who)s: %(action)s done.") % {"who": who, "action": ACTION_LABELS[action]},
            )
        back = data["back"] or "day"
        office = booking.office
        day = data["date"] or calendar.local(booking.starts_at).date() if back == "day" else None
        return redirect(
            page_url(BACK_PAGES[back], office=office, day=day, superuser=request.user.is_superuser)
        )

    def index_view(self, request, extra_context=None):
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
        return self.site.index(request, extra_context=context)


@dataclass(frozen=True)
class CallListPage:
    entries: list[Entry]
    total: int
    page: int
    pages: int
    first: int  # the numbers of the first and the last request shown, counted from 1
    last: int


def _waiting_keys(office: Office, now):
    """(requested at, kind, pk) of the requests to phone, both services, in one UNION ALL."""
    booths, online = (
        model.objects.awaiting_phone_call(now)
        .filter(**where)
        .order_by()
        .annotate(kind=Value(kind, output_field=CharField()))
        .values_list("created_at", "kind", "pk")
        for model, kind, where in (
            (Reservation, BOOTH, {"booth__office": office}),
            (Consultation, ONLINE, {"office": office}),
        )
    )
    return booths.union(online, all=True)


def call_list(
    office: Office, now, *, page: int = 1, size: int = CALL_LIST_PAGE_SIZE
) -> CallListPage:
    """One page of the requests to phone, both services, oldest first (REQ STF-1).

    Four queries whatever the office holds: the total, the page's keys across both tables in
    one UNION ALL ordered by request time, and the page's rows of each. A page past the last
    shows the last.
    """
    both = _waiting_keys(office, now)
    total = both.count()
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    offset = (page - 1) * size
    shown = list(both.order_by("created_at", "kind", "pk")[offset : offset + size])
    rows = {
        BOOTH: Reservation.objects.with_state(now).select_related("booth"),
        ONLINE: Consultation.objects.with_state(now).select_related("video_tool"),
    }
    found = {
        kind: queryset.in_bulk([pk for _at, k, pk in shown if k == kind])
        for kind, queryset in rows.items()
    }
    entries = []
    for _at, kind, pk in shown:
        booking = found[kind].get(pk)
        if booking is None:  # confirmed or cancelled between the two reads
            continue
        place = booking.booth.name if kind == BOOTH else booking.video_tool.name
        entries.append(entry_for(booking, kind, now, place=place))
    return CallListPage(entries, total, page, pages, offset + 1, offset + len(shown))


def call_list_count(office: Office, now) -> int:
    return _waiting_keys(office, now).count()


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
        "day_url": page_url("admin:booths_workplace_day", office=office, superuser=superuser),
        "week_url": page_url("admin:booths_workplace_week", office=office, superuser=superuser),
        "calls_url": page_url("admin:booths_workplace_calls", office=office, superuser=superuser),
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


def install(site) -> None:
    """Put the workplace URLs in front of the admin site's own (the index included)."""
    views = WorkplaceViews(site)
    original = site.get_urls

    def get_urls():
        return [*views.urls(), *original()]

    site.get_urls = get_urls
