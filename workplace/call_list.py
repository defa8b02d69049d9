"""The call list (REQ STF-1, NFR-4): requests waiting for the phone confirmation, oldest first,
a page at a time; then today's and tomorrow's requests not yet confirmed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import CharField, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from accounts.access import AccessKind, access_record_page
from accounts.models import Office
from bookings import calendar
from bookings.models import Status
from booths.models import Reservation
from consultations.models import Consultation
from core.statements import kept_statement

from .entries import Entry, PageEntries
from .frame import render_page
from .kept import kept_rows, with_csrf
from .pages import (
    BOOTH,
    ONLINE,
    PageQueryForm,
    day_bounds,
    may_change,
    page_context,
    page_url,
    read_query,
)
from .rows import RowWriter

# The call list is read a page at a time, oldest request first (REQ STF-1, NFR-4).
CALL_LIST_PAGE_SIZE = 50


@dataclass(frozen=True)
class CallListPage:
    entries: list[Entry]
    total: int
    page: int
    pages: int
    first: int  # the numbers of the first and the last request shown, counted from 1
    last: int
    # Requests not yet confirmed that start soon (today and tomorrow), by start time.
    soon: list[Entry] = field(default_factory=list)


def _waiting_keys(office: Office | int, now):
    """(requested at, kind, pk, start) of the requests to phone, both services, in one UNION
    ALL (the office or its id)."""
    booths, online = (
        model.objects.awaiting_phone_call(now)
        .filter(**where)
        .order_by()
        .annotate(kind=Value(kind, output_field=CharField()))
        .values_list("created_at", "kind", "pk", "starts_at")
        for model, kind, where in (
            (Reservation, BOOTH, {"booth__office": office}),
            (Consultation, ONLINE, {"office": office}),
        )
    )
    return booths.union(online, all=True)


def _waiting_keys_sql(office: Office, now) -> tuple[str, list]:
    """`_waiting_keys(office, now)` as SQL and parameters. The ORM's building and compiling
    was ~1.6 ms of each call list (REQ NFR-4); the statement's text is the same for every
    office and moment, so it is built once a process (`core.statements`) and each request puts
    its office and moment in (tests/workplace/test_staff_page_cost.py compares it with the
    ORM's)."""
    return kept_statement(
        "workplace.call_list.waiting_keys",
        lambda given: _waiting_keys(given["office"], given["now"]).query.sql_with_params(),
        {"office": office.pk, "now": now},
        stand_ins=lambda n: {
            "office": -(2**62) + 20 + n,
            "now": datetime.datetime(1901, 2, 3, 4, 5, 6 + n, 789012, tzinfo=datetime.UTC),
        },
    )


def _page_keys(
    office: Office, now, page: int, size: int
) -> tuple[list[tuple], int, int, datetime.datetime | None]:
    """(keys of `page`, the total, the page shown, the first start among all the office's
    requests to phone): one query, the total and the first start taken by windows over the
    same UNION ALL. A page past the last reads again and shows the last.

    The first start is when time alone first changes the list: a request leaves it when its
    start comes (`not_confirmed_q`), and nothing else about it depends on the time."""
    sql, params = _waiting_keys_sql(office, now)
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT created_at, kind, pk, COUNT(*) OVER (), MIN(starts_at) OVER ()"
                f" FROM ({sql}) AS waiting ORDER BY created_at, kind, pk LIMIT %s OFFSET %s",
                [*params, size, (page - 1) * size],
            )
            rows = cursor.fetchall()
        if rows or page == 1:
            total, first_start = rows[0][3:5] if rows else (0, None)
            return [row[:3] for row in rows], total, page, first_start
        # Past the last page: the count of the office's requests tells which page is last.
        page = max(1, -(-_waiting_keys(office, now).count() // size))


def call_list(
    office: Office,
    now,
    *,
    page: int = 1,
    size: int | None = None,
    entries: PageEntries | None = None,
    soon: tuple[datetime.datetime, datetime.datetime] | None = None,
) -> CallListPage:
    """One page of the requests to phone, both services, oldest first (REQ STF-1).

    Three queries whatever the office holds: the page's keys across both tables in one UNION
    ALL ordered by request time with their total, and the page's rows of each. With `soon`
    (from, until), the same two reads bring the office's requests not yet confirmed that start
    then, as `CallListPage.soon`, by start time.
    """
    size = size or CALL_LIST_PAGE_SIZE
    shown, total, page, _first_start = _page_keys(office, now, max(page, 1), size)
    pages = max(1, -(-total // size))
    offset = (page - 1) * size
    listed, soon_entries = _page_rows(office, now, shown, soon, entries or PageEntries(now))
    return CallListPage(
        listed, total, page, pages, offset + 1, offset + len(shown), soon=soon_entries
    )


def _page_rows(office: Office, now, shown: list[tuple], soon, entries: PageEntries):
    """The entries of the page's keys and, with `soon`, of the requests not yet confirmed that
    start then: one read per service for both."""
    # The state from `current_state(now)` in each entry (as on the day sheet), not annotated.
    rows = {
        BOOTH: Reservation.objects.select_related("booth"),
        ONLINE: Consultation.objects.select_related("video_tool"),
    }
    offices = {BOOTH: {"booth__office": office}, ONLINE: {"office": office}}
    found = {}
    soon_rows = []
    for kind, queryset in rows.items():
        wanted = Q(pk__in=[pk for _at, k, pk in shown if k == kind])
        if soon is not None:
            wanted |= Q(
                status=Status.REQUESTED,
                starts_at__gte=soon[0],
                starts_at__lt=soon[1],
                **offices[kind],
            )
        elif not any(k == kind for _at, k, _pk in shown):
            found[kind] = {}
            continue
        found[kind] = {booking.pk: booking for booking in queryset.filter(wanted).order_by()}
        if soon is not None:
            soon_rows += [
                (kind, booking)
                for booking in found[kind].values()
                if booking.status == Status.REQUESTED and soon[0] <= booking.starts_at < soon[1]
            ]

    def entry(kind, booking):
        place = booking.booth.name if kind == BOOTH else booking.video_tool.name
        return entries.entry(booking, kind, place=place)

    listed = [
        entry(kind, found[kind][pk])
        for _at, kind, pk in shown
        # Absent: confirmed or cancelled between the two reads.
        if pk in found[kind]
    ]
    soon_rows.sort(key=lambda row: (row[1].starts_at, row[0], row[1].pk))
    return listed, [entry(kind, booking) for kind, booking in soon_rows]


@dataclass(frozen=True)
class KeptCalls:
    """The call list's two tables as HTML (the CSRF token left out, `kept.with_csrf`), the
    people they show and the page's keys (`_page_keys`), kept under the office's versions and
    the page asked for until time alone changes them."""

    waiting_html: str
    soon_html: str
    people: list[int]
    shown: list[tuple]
    total: int
    page: int


def call_list_count(office: Office, now) -> int:
    return _waiting_keys(office, now).count()


def calls_view(site, request):
    """STF-1: requests waiting for the phone confirmation, oldest first; then today's and
    tomorrow's requests not yet confirmed."""
    form, office, error = read_query(site, request)
    if error:
        return error
    now = timezone.now()
    today = calendar.local(now).date()
    soon = day_bounds(today, today + datetime.timedelta(days=1))
    size = CALL_LIST_PAGE_SIZE
    asked = max(form.cleaned_data["page"] or 1, 1)
    can_change = may_change(request.user)
    built = {}

    def build():
        shown, total, page, first_start = _page_keys(office, now, asked, size)
        entries = PageEntries(now)
        listed, soon_entries = built["rows"] = _page_rows(office, now, shown, soon, entries)
        writer = RowWriter(can_change=can_change, action_url=reverse("admin:workplace_action"))
        value = KeptCalls(
            waiting_html=writer.call_rows(listed),
            soon_html=writer.call_rows(soon_entries),
            people=[e.booking.user_id for e in (*listed, *soon_entries)],
            shown=shown,
            total=total,
            page=page,
        )
        # Time alone changes an entry, the requests that start today and tomorrow, or the
        # list itself when its first request's start comes.
        return min(filter(None, (entries.changes_at, soon[1], first_start))), value

    # REQ NFR-4: the page's keys and rows kept while the office's bookings and the time leave
    # them as they are (workplace.kept): every booking of either service of the office raises
    # its data version in the same transaction, so a request made, confirmed or cancelled
    # shows on the next load.
    kept = kept_rows(
        "call-list", (asked, size, soon, can_change), office=office, now=now, build=build
    )
    shown, total, page = kept.shown, kept.total, kept.page
    pages = max(1, -(-total // size))
    offset = (page - 1) * size
    # LOG-1: the list shows these people's names and phone numbers.
    access_record_page(request, AccessKind.CALL_LIST, kept.people)
    rows = built.get("rows") or SimpleLazyObject(
        lambda: _page_rows(office, now, shown, soon, PageEntries(now))
    )
    calls = CallListPage(
        SimpleLazyObject(lambda: rows[0]),
        total,
        page,
        pages,
        offset + 1,
        offset + len(shown),
        soon=SimpleLazyObject(lambda: rows[1]),
    )
    superuser = request.user.is_superuser

    def page_link(number: int) -> str:
        return page_url("admin:workplace_calls", office=office, superuser=superuser, page=number)

    return render_page(
        request,
        "admin/workplace/calls.html",
        "admin/workplace/_calls.html",
        page_context(
            site,
            request,
            office,
            _("Call list"),
            page="calls",
            form=PageQueryForm(initial={"office": office.pk}),
            # The entries themselves are read only if asked for (tests, tools): from the
            # cache, the template needs the HTML alone.
            waiting=calls.entries,
            waiting_html=with_csrf(request, kept.waiting_html),
            total=calls.total,
            calls=calls,
            previous_url=page_link(calls.page - 1) if calls.page > 1 else None,
            next_url=page_link(calls.page + 1) if calls.page < calls.pages else None,
            soon=calls.soon,
            soon_html=with_csrf(request, kept.soon_html),
            now=now,
        ),
    )
