"""The call list (REQ STF-1, NFR-4): requests waiting for the phone confirmation, oldest first,
a page at a time; then today's and tomorrow's requests not yet confirmed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import CharField, Value
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import AccessKind, access_record_page
from accounts.models import Office
from bookings import calendar
from bookings.models import Status
from booths.models import Reservation
from consultations.models import Consultation

from .entries import Entry, PageEntries
from .pages import BOOTH, ONLINE, PageQueryForm, day_bounds, page_context, page_url, read_query

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
    office: Office,
    now,
    *,
    page: int = 1,
    size: int = CALL_LIST_PAGE_SIZE,
    entries: PageEntries | None = None,
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
    entries = entries or PageEntries(now)
    listed = []
    for _at, kind, pk in shown:
        booking = found[kind].get(pk)
        if booking is None:  # confirmed or cancelled between the two reads
            continue
        place = booking.booth.name if kind == BOOTH else booking.video_tool.name
        listed.append(entries.entry(booking, kind, place=place))
    return CallListPage(listed, total, page, pages, offset + 1, offset + len(shown))


def call_list_count(office: Office, now) -> int:
    return _waiting_keys(office, now).count()


def calls_view(site, request):
    """STF-1: requests waiting for the phone confirmation, oldest first; then today's and
    tomorrow's requests not yet confirmed."""
    form, office, error = read_query(site, request)
    if error:
        return error
    now = timezone.now()
    entries = PageEntries(now)
    calls = call_list(office, now, page=form.cleaned_data["page"] or 1, entries=entries)
    today = calendar.local(now).date()
    start, end = day_bounds(today, today + datetime.timedelta(days=1))
    soon = [
        entries.entry(b, BOOTH, place=b.booth.name)
        for b in Reservation.objects.with_state(now)
        .filter(
            booth__office=office,
            status=Status.REQUESTED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("booth")
    ] + [
        entries.entry(c, ONLINE, place=c.video_tool.name)
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
        return page_url("admin:workplace_calls", office=office, superuser=superuser, page=number)

    return TemplateResponse(
        request,
        "admin/workplace/calls.html",
        page_context(
            site,
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
