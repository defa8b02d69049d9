"""The day sheet (REQ STF-1): every booth and every counselor of one office as columns, the
office's 30-minute slots as rows, each booking with its true state and the one-click actions
that apply now."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from accounts.access import AccessKind, access_record_page
from accounts.models import Office, User
from bookings import alerts, calendar
from booths.models import Booth, Reservation
from consultations.models import (
    AvailabilityException,
    AvailabilityPattern,
    Consultation,
    ConsultationJoin,
    ExceptionKind,
)
from core.versioning import office_cached
from terms.gate import version_in_effect
from terms.services import users_without_consent

from .entries import Entry, Link, PageEntries
from .frame import render_page
from .kept import kept_rows, with_csrf
from .pages import (
    BOOTH,
    ONLINE,
    PageQueryForm,
    closures_around,
    day_bounds,
    may_change,
    neighbour_business_day,
    page_context,
    page_url,
    read_query,
)
from .rows import RowWriter


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
    # No `with_state` annotation: each entry takes its state from `current_state(now)`, the
    # same rules applied in Python, which spares building the CASE in every read (NFR-4).
    reservations = list(
        Reservation.objects.filter(booth__office=office, starts_at__gte=start, starts_at__lt=end)
        .select_related("booth")
        .order_by("starts_at", "booth_id", "pk")
    )
    # REQ CON-4: when the person confirmed the checklist, shown on the card (same query).
    confirmed = ConsultationJoin.objects.filter(
        consultation=OuterRef("pk"), tool_terms_accepted=True
    ).order_by("at")
    consultations = list(
        Consultation.objects.filter(office=office, starts_at__gte=start, starts_at__lt=end)
        .select_related("video_tool")
        .annotate(checklist_at=Subquery(confirmed.values("at")[:1]))
        .order_by("starts_at", "counselor_id", "pk")
    )
    return reservations, consultations


def office_booths(office: Office) -> list[Booth]:
    """The office's booths by name, kept while its data version stands (booths raise it)."""
    return office_cached(
        "workplace-booths",
        (),
        office=office,
        build=lambda: list(Booth.objects.filter(office=office).order_by("name", "pk")),
    )


def sheet_counselors(office: Office, day: datetime.date, booked_ids: set[int]):
    """Staff of the office who publish availability on `day` or hold a booking on it, with
    their patterns and single slots of the day: the patterns and slots kept while the office's
    data version stands (they raise it, core.versioning), the staff in one query."""
    start, end = day_bounds(day, day)

    def build() -> tuple[list, list]:
        patterns = AvailabilityPattern.objects.filter(
            office=office, weekday=day.weekday(), valid_from__lte=day
        ).exclude(valid_until__lt=day)
        exceptions = AvailabilityException.objects.filter(
            office=office, starts_at__gte=start, starts_at__lt=end
        )
        return list(patterns), list(exceptions)

    patterns, exceptions = office_cached(
        "workplace-availability", (day,), office=office, build=build
    )
    # Ids first: an OR of subqueries over the user table makes PostgreSQL read every user.
    publishing = {p.counselor_id for p in patterns} | {
        e.counselor_id for e in exceptions if e.kind == ExceptionKind.EXTRA
    }
    wanted = booked_ids | publishing
    counselors = (
        list(
            User.objects.filter(pk__in=sorted(wanted))
            .filter(
                Q(pk__in=sorted(booked_ids)) | Q(is_active=True, is_staff=True, is_superuser=False)
            )
            .order_by("last_name", "first_name", "pk")
        )
        if wanted
        else []
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


def book_url(base: str, moment: datetime.datetime, **place) -> str:
    """The phone-booking form with the cell's place, day and start time filled in (STF-1)."""
    moment = calendar.local(moment)
    query = {**place, "date": moment.date().isoformat(), "time": f"{moment:%H:%M}"}
    return f"{base}?{urlencode(query)}"


def build_day_sheet(office: Office, day: datetime.date, now, closures):
    grid = calendar.day_slots(
        day, opens_at=office.opens_at, closes_at=office.closes_at, closures=closures
    )
    reservations, consultations = day_bookings(office, day, now)
    booked_booths = {r.booth_id for r in reservations}
    booths = [
        booth for booth in office_booths(office) if booth.is_active or booth.pk in booked_booths
    ]
    booked_ids = {b.counselor_id for b in (*reservations, *consultations) if b.counselor_id}
    counselors, offers = sheet_counselors(office, day, booked_ids)
    slots = sorted({*grid, *(calendar.local(b.starts_at) for b in (*reservations, *consultations))})
    current = calendar.slot_start_containing(
        now, opens_at=office.opens_at, closes_at=office.closes_at
    )

    # REQ TRM-4: who still has to accept the terms in effect, per service (one query).
    user_ids = {
        Reservation.service: {b.user_id for b in reservations if b.user_id},
        Consultation.service: {b.user_id for b in consultations if b.user_id},
    }
    without_consent = users_without_consent(office=office, user_ids=user_ids, now=now)
    missing = {
        BOOTH: without_consent[Reservation.service],
        ONLINE: without_consent[Consultation.service],
    }
    entries = PageEntries(now)
    booth_columns = {booth.pk: Column(BOOTH, booth.name) for booth in booths}
    counselor_columns = {c.pk: Column(ONLINE, str(c)) for c in counselors}
    for reservation in reservations:
        entry = entries.entry(
            reservation,
            BOOTH,
            place=reservation.booth.name,
            terms_missing=reservation.user_id in missing[BOOTH],
        )
        moment = calendar.local(reservation.starts_at)
        booth_columns[reservation.booth_id].cells[moment].entries.append(entry)
        if reservation.counselor_id in counselor_columns and entry.is_active:
            counselor_columns[reservation.counselor_id].cells[moment].also.append(entry)
    for consultation in consultations:
        entry = entries.entry(
            consultation,
            ONLINE,
            place=consultation.video_tool.name,
            terms_missing=consultation.user_id in missing[ONLINE],
        )
        moment = calendar.local(consultation.starts_at)
        if consultation.counselor_id in counselor_columns:
            counselor_columns[consultation.counselor_id].cells[moment].entries.append(entry)

    book_for_caller = reverse("admin:consultations_consultation_book")
    book_booth = reverse("admin:booths_reservation_book")
    labels = {"adhoc": _("Start a use now"), "book": _("Book")}
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
                    Link(entries.url("admin:booths_booth_adhoc", booth.pk), labels["adhoc"])
                )
            if moment + calendar.SLOT > now:
                cell.links.append(
                    Link(book_url(book_booth, moment, booth=booth.pk), labels["book"])
                )
    for counselor in counselors:
        column = counselor_columns[counselor.pk]
        for moment in slots:
            cell = column.cells[moment]
            cell.where = column.label
            cell.offered = moment in grid_set and offers(counselor.pk, moment)
            busy = any(e.is_active for e in (*cell.entries, *cell.also))
            if cell.offered and not busy and moment > now:
                cell.links.append(
                    Link(book_url(book_for_caller, moment, counselor=counselor.pk), labels["book"])
                )

    columns = [*booth_columns.values(), *counselor_columns.values()]
    rows = [(moment, [column.cells[moment] for column in columns]) for moment in slots]
    # When time alone changes the sheet: an entry's own moments, and the slots' boundaries
    # (the current slot, "Start a use now", the "Book" links of slots not yet over).
    changes_at = [entries.changes_at] if entries.changes_at else []
    changes_at += [m for moment in slots for m in (moment, moment + calendar.SLOT) if m > now]
    return {
        "people": [b.user_id for b in (*reservations, *consultations)],
        "booth_columns": list(booth_columns.values()),
        "counselor_columns": list(counselor_columns.values()),
        "columns": columns,
        "rows": rows,
        "current_slot": current,
        # What the sheet was built from that no version counts (`KeptSheet`).
        "booked_counselors": booked_ids,
        "counselors": _labels(counselors),
        "counselors_elsewhere": any(c.office_id != office.pk for c in counselors),
        "changes_at": min(changes_at, default=None),
    }


def _labels(counselors) -> list[tuple[int, str]]:
    return [(counselor.pk, str(counselor)) for counselor in counselors]


@dataclass
class KeptSheet:
    """The day sheet's rows as HTML (the CSRF token left out, `kept.with_csrf`) with what the
    page needs besides them, kept under the office's versions (`kept.kept_rows`)."""

    rows_html: str
    booth_labels: list[str]
    counselor_labels: list[str]
    people: list[int]
    # What a counselor of another office booked here looks like is versioned by their office,
    # not this one: with one shown, the counselors are read again on each request
    # (`_still_true`).
    booked_counselors: set[int]
    counselors: list[tuple[int, str]]
    counselors_elsewhere: bool


def _still_true(office, day):
    """Whether a kept sheet names the counselors as they are now. Their names and standing, and
    the consents, raise the office's people version, which keys the sheet; a counselor of
    another office raises theirs, so only then are they read again (one query)."""

    def check(kept: KeptSheet) -> bool:
        if not kept.counselors_elsewhere:
            return True
        counselors, _offers = sheet_counselors(office, day, kept.booked_counselors)
        return _labels(counselors) == kept.counselors

    return check


def kept_sheet(office, day, now, closures, *, can_change: bool, fresh_sheet: dict | None = None):
    """The day sheet's rows, kept under the office's data (REQ STF-1, NFR-4): (the kept value,
    the sheet built in this request or None when it came from the cache)."""
    built = {}

    def build():
        sheet = built["sheet"] = build_day_sheet(office, day, now, closures)
        writer = RowWriter(can_change=can_change, action_url=reverse("admin:workplace_action"))
        value = KeptSheet(
            rows_html=writer.day_rows(sheet["rows"], current_slot=sheet["current_slot"], day=day),
            booth_labels=[column.label for column in sheet["booth_columns"]],
            counselor_labels=[column.label for column in sheet["counselor_columns"]],
            people=sheet["people"],
            booked_counselors=sheet["booked_counselors"],
            counselors=sheet["counselors"],
            counselors_elsewhere=sheet["counselors_elsewhere"],
        )
        return sheet["changes_at"], value

    # The terms in effect by time alone (published ones raise the gate version).
    in_effect = tuple(
        version_in_effect(office, service, now)
        for service in (Reservation.service, Consultation.service)
    )
    value = kept_rows(
        "day-sheet",
        (day, can_change, in_effect),
        office=office,
        now=now,
        build=build,
        fresh=_still_true(office, day),
    )
    return value, built.get("sheet")


def day_view(site, request):
    """STF-1: the day sheet of one office."""
    form, office, error = read_query(site, request)
    if error:
        return error
    now = timezone.now()
    day = form.cleaned_data["date"] or calendar.local(now).date()
    closures = closures_around(office, day, day)
    superuser = request.user.is_superuser
    previous = neighbour_business_day(day, -1, closures)
    following = neighbour_business_day(day, 1, closures)
    kept, sheet = kept_sheet(office, day, now, closures, can_change=may_change(request.user))
    # LOG-1: the sheet shows these people's names, phones and companions.
    access_record_page(request, AccessKind.DAY_SHEET, kept.people)
    if sheet is None:
        # From the cache: the sheet as data (columns, cells, entries) is built only if read,
        # which the template does not (tests and tools do).
        built = SimpleLazyObject(lambda: build_day_sheet(office, day, now, closures))
        data = {
            name: SimpleLazyObject(lambda name=name: built[name])
            for name in ("columns", "rows", "current_slot")
        }
    else:
        data = {name: sheet[name] for name in ("columns", "rows", "current_slot")}
    return render_page(
        request,
        "admin/workplace/day.html",
        "admin/workplace/_day.html",
        page_context(
            site,
            request,
            office,
            _("Day sheet"),
            page="day",
            subtitle=calendar.format_date(day),
            day=day,
            closed_reason=calendar.closed_reason(day, closures=closures),
            form=PageQueryForm(initial={"date": day, "office": office.pk}),
            previous_url=previous
            and page_url("admin:workplace_day", office=office, day=previous, superuser=superuser),
            next_url=following
            and page_url("admin:workplace_day", office=office, day=following, superuser=superuser),
            week_of_day_url=page_url(
                "admin:workplace_week", office=office, day=day, superuser=superuser
            ),
            now=now,
            # REQ ALR-1: how many people wait for an earlier time on this day, per service.
            waiting=alerts.waiting_by_day(office.pk, [day], now=now)[day],
            rows_html=with_csrf(request, kept.rows_html),
            booth_columns=[Column(BOOTH, label) for label in kept.booth_labels],
            counselor_columns=[Column(ONLINE, label) for label in kept.counselor_labels],
            **data,
        ),
    )
