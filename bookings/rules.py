"""Booking rules both services share, written once (REQ BTH-4, BTH-7, CON-5, NFR-3).

Reads only: each function answers why something may not happen (a text for the user) or None.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection
from django.db.models import Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Office, User, UserType
from core.statements import kept_statement

from . import calendar
from .calendar import NO_SHOW_GRACE
from .models import ACTIVE_STATUSES, Status, no_contact_q, q_holds
from .registry import booking_kinds, kind_of

# Users see and request slots from the current month up to this many months ahead.
MONTHS_AHEAD = 3


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def shown_months(now: datetime.datetime) -> tuple[int, int]:
    """The first and last month users may look at, as year * 12 + month - 1."""
    first = _month_index(calendar.local(now).date())
    return first, first + MONTHS_AHEAD


def is_shown_month(year: int, month: int, now: datetime.datetime) -> bool:
    first, last = shown_months(now)
    return 1 <= month <= 12 and first <= year * 12 + month - 1 <= last


def is_shown_day(day: datetime.date, now: datetime.datetime) -> bool:
    """Whether `day` lies in the months users may look at (the current one and MONTHS_AHEAD)."""
    return is_shown_month(day.year, day.month, now)


def last_requestable_day(now: datetime.datetime) -> datetime.date:
    """The last day of the booking horizon: the end of the month MONTHS_AHEAD from now."""
    year, month = divmod(shown_months(now)[1], 12)
    return calendar.month_days(year, month + 1)[-1]


def user_deadline(office: Office, starts_at: datetime.datetime, closures) -> datetime.datetime:
    """Until when users request, cancel or move a slot online: the office's cut-off on the
    previous business day (BTH-4, CON-5)."""
    return calendar.booking_deadline(
        starts_at, cutoff_time=office.booking_cutoff_time, closures=closures
    )


def day_refusal_reason(
    office: Office,
    day: datetime.date,
    *,
    now: datetime.datetime,
    closures,
    horizon: datetime.date | None = None,
) -> str | None:
    """Why no slot of `day` can be requested now (OFF-2, BTH-4), or None: closed, beyond the
    booking horizon, or past the cut-off. Every slot of a day shares these, so the month and
    day views ask once per day."""
    reason = calendar.closed_reason(day, closures=closures)
    if reason:
        return reason
    horizon = horizon or last_requestable_day(now)
    if day > horizon:
        return _(
            "Requests are taken up to %(day)s (%(months)s months ahead). Please choose an "
            "earlier day."
        ) % {"day": calendar.format_date(horizon), "months": MONTHS_AHEAD}
    deadline = calendar.day_deadline(day, cutoff_time=office.booking_cutoff_time, closures=closures)
    if now >= deadline:
        return _(
            "Requests for this slot closed at %(deadline)s (the cut-off on the previous "
            "business day). Please choose a later day or phone the office."
        ) % {"deadline": calendar.format_datetime(deadline)}
    return None


def request_refusal_reason(
    office: Office, starts_at: datetime.datetime, *, now: datetime.datetime, closures
) -> str | None:
    """Why this slot can't be requested now (OFF-2, OFF-3, BTH-4): not a slot of the office's
    grid, already started, or refused for its whole day (see day_refusal_reason)."""
    reason = calendar.slot_refusal_reason(
        starts_at, opens_at=office.opens_at, closes_at=office.closes_at, closures=closures
    )
    if reason:
        return reason
    if starts_at <= now:
        return _("This slot has already started or passed.")
    return day_refusal_reason(office, calendar.local(starts_at).date(), now=now, closures=closures)


def office_contact(office: Office) -> dict:
    return {"office": office.name, "phone": office.phone}


def _no_contact_rows(user, office: Office, now: datetime.datetime):
    """The person's no-contact cancellations in the office's window, across both services, as
    one query (UNION ALL keeps equal ids of different tables apart)."""
    since = calendar.months_before(calendar.local(now), office.noshow_window_months)
    first, *others = (
        kind.model.objects.for_user(user)
        .no_contact_cancellations_since(since, now)
        .order_by()
        .values("pk")
        for kind in booking_kinds()
    )
    return first.union(*others, all=True) if others else first


def no_contact_cancellations(user, office: Office, *, now: datetime.datetime) -> int:
    """No-contact cancellations of `user` in the office's window, across both services (BTH-7).

    The window is counted in calendar months of Tokyo time, so it never slips a day at the
    turn of a month.
    """
    return _no_contact_rows(user, office, now).count()


@dataclass(frozen=True)
class BookingFacts:
    """What the booking pages tell a person up front, and until when time alone keeps it true:
    no-contact cancellations in the office's window (BTH-7) and active future bookings per
    service (the caps, NFR-3)."""

    no_contact: int
    no_contact_until: datetime.datetime | None
    held: dict  # service -> active bookings that have not started
    held_until: datetime.datetime | None


# The columns the rules below read (`no_contact_q`, the awaiting and active-future filters).
_FACT_FIELDS = (
    "status",
    "starts_at",
    "checked_in_at",
    "late_contact_at",
    "joined_at",
    "reinstated_at",
)


def booking_facts(user, office: Office, *, now: datetime.datetime) -> BookingFacts:
    """`no_contact_cancellations`, and no later than the first moment at which time alone
    changes it (None: never): a confirmed booking of the person turns overdue 10 minutes after
    its start (BTH-6; a request closed unconfirmed never counts), or a counted one leaves the
    window (a month is at least 28 days). With it, the person's active future bookings of each
    service (what `cap_refusal_reason` counts) and the next start, when one of them stops
    counting.

    One query for every service: the person's bookings since the window's start (every rule
    below looks at no earlier one), judged by the very filters the database applies
    (`no_contact_q`, `q_holds`), so the answer is the database's (REQ NFR-4: a person holds a
    handful of rows; building five filtered aggregates a service cost more than reading them).
    """
    since = calendar.months_before(calendar.local(now), office.noshow_window_months)
    counted = no_contact_q(since, now)
    awaiting = Q(status=Status.CONFIRMED, starts_at__gt=now - NO_SHOW_GRACE)
    active_future = Q(status__in=ACTIVE_STATUSES, starts_at__gt=now)
    kinds = booking_kinds()
    count, moments, held, starts = 0, [], {kind.service: 0 for kind in kinds}, []
    window = datetime.timedelta(days=28 * office.noshow_window_months)
    with connection.cursor() as cursor:
        cursor.execute(*_kept_rows_statement(kinds, user.pk, since))
        rows = cursor.fetchall()
    for index, *values in rows:
        row = SimpleNamespace(**dict(zip(_FACT_FIELDS, values, strict=True)))
        if q_holds(counted, row):
            count += 1
            moments.append(row.starts_at + window)
        if q_holds(awaiting, row):
            moments.append(row.starts_at + NO_SHOW_GRACE)
        if q_holds(active_future, row):
            held[kinds[index].service] += 1
            starts.append(row.starts_at)
    return BookingFacts(count, min(moments, default=None), held, min(starts, default=None))


def _rows_sql(kinds, user_pk: int, since: datetime.datetime) -> tuple[str, tuple]:
    """`booking_facts`' one statement as the ORM writes it: the person's bookings of every
    kind since the window's start, each with its kind's index."""
    person = User(pk=user_pk)
    rows = [
        kind.model.objects.for_user(person)
        .filter(starts_at__gte=since)
        .order_by()
        .annotate(kind_index=Value(index))
        .values_list("kind_index", *_FACT_FIELDS)
        for index, kind in enumerate(kinds)
    ]
    return _sql(rows[0].union(*rows[1:], all=True))


def _kept_rows_statement(kinds, user_pk: int, since: datetime.datetime) -> tuple[str, list]:
    """`_rows_sql`, built by the ORM once a process (`core.statements`): the person's facts
    are read on every first booking page of a visit and building the union cost more than
    PostgreSQL's work for a person's handful of rows (REQ NFR-4)."""

    def stand_ins(n: int) -> dict:
        return {"user": -7_000_000 - n, "since": _STAND_IN_NOW + datetime.timedelta(days=n)}

    return kept_statement(
        ("bookings.rules.booking_facts", tuple(kind.model._meta.label for kind in kinds)),
        lambda given: _rows_sql(kinds, given["user"], given["since"]),
        {"user": user_pk, "since": since},
        stand_ins=stand_ins,
    )


def no_contact_facts(
    user, office: Office, *, now: datetime.datetime
) -> tuple[int, datetime.datetime | None]:
    """(no-contact cancellations, until when time alone keeps the count): see booking_facts."""
    facts = booking_facts(user, office, now=now)
    return facts.no_contact, facts.no_contact_until


def noshow_approval_reason(
    user, office: Office, *, now: datetime.datetime | None = None, count: int | None = None
):
    """BTH-7: after N no-contact cancellations within M months, new requests need the office's
    approval. Returns the explanation for the user (why, and whom to phone), or None.
    `count`: the person's no-contact cancellations when the caller knows them (pages, from
    consultations.pagefacts); asked from the database otherwise."""
    now = now or timezone.now()
    if count is None:
        count = no_contact_cancellations(user, office, now=now)
    if count >= office.noshow_limit:
        return _(
            "Because %(count)s bookings in the last %(months)s months were cancelled "
            "without contact, the office must approve each new request. You can still send "
            "a request: it holds the slot, and the office will phone you to approve it. "
            "Questions: %(office)s (%(phone)s)."
        ) % {"count": count, "months": office.noshow_window_months, **office_contact(office)}
    return None


def adhoc_approval_reason(user, office: Office, *, now: datetime.datetime | None = None):
    """BTH-7 for ad-hoc use: it starts at once, so only staff at the counter can approve it."""
    if noshow_approval_reason(user, office, now=now) is None:
        return None
    return _(
        "Because of earlier bookings cancelled without contact, using a booth now needs "
        "the office's approval. Please ask at the counter of %(office)s (%(phone)s)."
    ) % office_contact(office)


def cap_refusal_reason(
    user, model, office: Office, *, now: datetime.datetime, held: int | None = None
) -> str | None:
    """A person holds at most the office's number of active future bookings of a service.

    Callers lock the user's row first (`lock_user`), so two racing requests can't both pass.
    `held`: the count, when the caller read it under that lock (`locked_facts`).
    """
    if held is None:
        held = model.objects.for_user(user).active_future(now).count()
    return cap_reached_reason(model, office, held)


def cap_reached_reason(model, office: Office, held: int) -> str | None:
    """The cap's text for someone holding `held` active future bookings of `model`'s kind, or
    None under the cap: the booking pages say it up front (from `booking_facts`), the booking
    itself after counting under the person's lock."""
    if held >= getattr(office, kind_of(model).cap_field):
        return _(
            "You already have %(count)s upcoming bookings of this kind, the most one person "
            "can hold. Cancel one, or phone %(office)s (%(phone)s)."
        ) % {"count": held, **office_contact(office)}
    return None


# The person's row lock, written once (the ORM's select_for_update builds it afresh a call).
LOCK_USER_SQL = f"SELECT id FROM {User._meta.db_table} WHERE id = %s FOR UPDATE"


def lock_user(user) -> None:
    """Serialise one person's bookings (the cap, double submits) on their user row."""
    with connection.cursor() as cursor:
        cursor.execute(LOCK_USER_SQL, [user.pk])


@dataclass(frozen=True)
class LockedFacts:
    """What a person's new booking must know, read in one query under their lock."""

    held: int  # active future bookings of the service (the cap)
    no_contact: int  # no-contact cancellations in the office's window (BTH-7)
    twin: int | None  # the booking this form token already made (a double submit)


def _sql(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _facts_sql(user, model, office: Office, *, now, form_token) -> tuple[str, tuple]:
    """The facts' one statement as the ORM writes it: the cap's count, the no-contact count
    and the form token's booking."""
    held_sql, held_params = _sql(
        model.objects.for_user(user).active_future(now).order_by().values("pk")
    )
    no_contact_sql, no_contact_params = _sql(_no_contact_rows(user, office, now))
    twin_sql, twin_params = _sql(
        model.objects.filter(form_token=form_token, user=user).order_by().values("pk")[:1]
    )
    return (
        f"SELECT (SELECT count(*) FROM ({held_sql}) AS held),"
        f" (SELECT count(*) FROM ({no_contact_sql}) AS no_contact),"
        f" ({twin_sql})",
        held_params + no_contact_params + twin_params,
    )


# The facts' statement is built by the ORM once a process per model (and with or without a
# form token, which changes its shape), then only given each booking's values: building it is
# most of the statement's cost (REQ NFR-4; `core.statements`). `tests/bookings/test_rules.py`
# checks it against the ORM's.
_STAND_IN_NOW = datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)


def _facts_inputs(user_pk: int, office: Office, now, form_token) -> dict:
    """Each value a facts statement takes, those worked out from the moment included."""
    return {
        "user": user_pk,
        "now": now,
        "overdue_at": now - NO_SHOW_GRACE,
        "since": calendar.months_before(calendar.local(now), office.noshow_window_months),
        "token": form_token,
    }


def _kept_facts_statement(user, model, office: Office, *, now, form_token):
    def build(given: dict) -> tuple[str, tuple]:
        person = User(pk=given["user"])
        return _facts_sql(person, model, office, now=given["now"], form_token=given["token"])

    def stand_ins(n: int) -> dict:
        token = None if form_token is None else uuid.UUID(int=0x5EED + n)
        moment = _STAND_IN_NOW + datetime.timedelta(days=n, minutes=n)
        return _facts_inputs(-7_000_000 - n, office, moment, token)

    sql, params = kept_statement(
        ("bookings.rules.locked_facts", model._meta.label, form_token is None),
        build,
        _facts_inputs(user.pk, office, now, form_token),
        stand_ins=stand_ins,
    )
    return sql, tuple(params)


def locked_facts(
    user, model, office: Office, *, now: datetime.datetime, form_token=None
) -> LockedFacts:
    """Lock the person's row (`lock_user`), then read the cap's count, the no-contact count
    and the form token's booking in one query (REQ BTH-2, BTH-4, BTH-7, NFR-4).

    Two statements, not one: a subquery beside FOR UPDATE would be evaluated in the snapshot
    taken before the lock was granted, and could miss the booking that the request holding the
    lock just committed."""
    with connection.cursor() as cursor:
        cursor.execute(LOCK_USER_SQL, [user.pk])
        sql, params = _kept_facts_statement(user, model, office, now=now, form_token=form_token)
        cursor.execute(sql, params)
        held, no_contact, twin = cursor.fetchone()
    return LockedFacts(held=held, no_contact=no_contact, twin=twin if form_token else None)


def profile_name(user) -> str:
    if user.user_type == UserType.EMPLOYER and user.establishment_name:
        return user.establishment_name
    return user.display_name


def profile_number(user) -> str:
    if user.user_type == UserType.EMPLOYER:
        return user.establishment_number
    return user.jobseeker_number


def profile_fields(user) -> dict:
    """Who and how to phone, when staff book for a user: from the user's profile."""
    return {
        "requester_name": profile_name(user),
        "client_number": profile_number(user),
        "phone": user.phone or "-",
    }
