"""The booking sequences both services share, written once (REQ BTH-2 … BTH-9, CON-5, CON-9).

A person's request, staff booking for a caller, the counselor booking the next session, and
staff moving a booking run the same steps for a booth reservation and an online consultation;
only the place differs. Each step asks the booking's kind (`bookings.registry.BookingKind`)
for what only it knows: who may book it, its purposes, its place's office and published
availability, and the places to try. The transitions themselves are `bookings.services`.

Every function is keyword-only and atomic, and raises `ValidationError`s keyed by the form
field they belong to (`date`, `time`, `purpose`, the kind's place field), so a page shows them
next to the field; a slot lost to someone else is `SlotTakenError` with the next free slots.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.eligibility import residence_block_reason

from . import calendar, notify
from .availability import closures_for, kept_closures
from .models import Booking, Status
from .registry import BookingKind
from .rules import (
    cap_refusal_reason,
    locked_facts,
    noshow_approval_reason,
    profile_fields,
    request_refusal_reason,
)
from .services import (
    SlotTakenError,
    booking_insert,
    booking_insert_confirmed,
    booking_move,
    next_booking_fields,
    office_id_of,
    user_may_change,
)


def _refuse_user(
    kind: BookingKind, user, place, *, now, starts_at, verified: bool | None = None
) -> None:
    kind.check_place(place)
    reason = kind.refusal_reason(user, place, now=now, verified=verified) or _residence_refusal(
        user, starts_at
    )
    if reason:
        raise ValidationError(reason, code="refused")


def _residence_refusal(user, starts_at: datetime.datetime) -> str | None:
    """REG-3 on the booking's own date: the period of stay must still run that day."""
    return residence_block_reason(user, calendar.local(starts_at).date())


def _check_purpose(kind: BookingKind, user, purpose: str) -> None:
    if purpose not in kind.purposes(user):
        raise ValidationError({"purpose": _("Choose one of the purposes offered.")})


def _check_request_slot(kind: BookingKind, place, starts_at, *, now) -> None:
    """A person's request: a free-looking slot of the office calendar before the cut-off,
    inside what the place publishes. The place's office was read in this request (the
    person's own, with their row), so its closures may come from the grids cache."""
    office = kind.office_of(place)
    reason = request_refusal_reason(
        office, starts_at, now=now, closures=kept_closures(office, calendar.local(starts_at).date())
    )
    if reason:
        raise ValidationError(reason, code="not_bookable")
    reason = kind.availability_refusal_reason(place, starts_at)
    if reason:
        raise ValidationError(reason, code="not_offered")


def staff_slot_problems(
    kind: BookingKind, place, starts_at: datetime.datetime, *, now: datetime.datetime
) -> tuple[dict, dict]:
    """What stands against staff booking `place` at `starts_at` (REQ CON-9), by form field:
    (always refused, refused unless staff tick the override).

    Always: a time in the past, or not a start of the office's 30-minute grid. Unless
    overridden: a day the office is closed (weekend, holiday, closure) and a time the place
    does not publish (a counselor's withdrawn slot, outside their published hours). Staff are
    not bound by the users' cut-off.
    """
    office = kind.office_of(place)
    hard: dict = {}
    soft: dict = {}
    if starts_at <= now:
        hard["time"] = _("Choose a slot in the future.")
    off_grid = calendar.grid_refusal_reason(
        starts_at, opens_at=office.opens_at, closes_at=office.closes_at
    )
    if off_grid:
        hard["time"] = off_grid
    day = calendar.local(starts_at).date()
    closed = calendar.closed_reason(day, closures=closures_for(office.pk, day, day))
    if closed:
        soft["date"] = closed
    unpublished = kind.availability_refusal_reason(place, starts_at)
    if unpublished:
        soft["time"] = unpublished
    return hard, soft


def _override_hint() -> str:
    return _(
        "Tick “Book outside the published times” to book it anyway; the booking then never "
        "stands in the way of later changes to the availability."
    )


def _check_staff_slot(kind: BookingKind, place, starts_at, *, now, override: bool) -> bool:
    """Raise what refuses the slot (REQ CON-9); True when staff overrode a refusal."""
    hard, soft = staff_slot_problems(kind, place, starts_at, now=now)
    if hard:
        raise ValidationError({field: [message] for field, message in hard.items()})
    if soft and not override:
        raise ValidationError(
            {field: [f"{message} {_override_hint()}"] for field, message in soft.items()},
            code="outside_availability",
        )
    return bool(soft)


def _insert_first_free(kind: BookingKind, place, starts_at, *, now, **fields) -> tuple:
    """Insert at the first of the kind's candidate places still free; (booking, created)."""
    for place_fields in kind.candidates(place, starts_at, now=now):
        try:
            return booking_insert(
                kind.new_booking(place_fields, starts_at, **fields),
                now=now,
                offer_alternatives=False,
            )
        except SlotTakenError:
            continue
    raise SlotTakenError(kind.alternatives(place, now=now))


@transaction.atomic
def booking_request(
    *,
    kind: BookingKind,
    user,
    place,
    starts_at: datetime.datetime,
    purpose: str,
    requester_name: str,
    phone: str,
    client_number: str = "",
    companions: Iterable[str] = (),
    note: str = "",
    form_token: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
    verified: bool | None = None,
) -> Booking:
    """A person books a slot online (BTH-1 … BTH-4, BTH-7, CON-1, CON-5). Idempotent per
    `form_token`: a double submit gets the booking it already made.

    A kind that confirms at once (`model.confirmed_on_request`) books it confirmed; a booth
    request waits for the office's call. After repeated no-contact cancellations it is a
    request that holds its slot until staff approve it by phone (BTH-7). `verified`: whether
    the person has a verified e-mail address, when the page knows it (`pagefacts`, kept by the
    person's facts version); asked from the database otherwise.
    """
    now = now or timezone.now()
    office = kind.office_of(place)
    facts = locked_facts(user, kind.model, office, now=now, form_token=form_token)
    if facts.twin is not None:
        return kind.model.objects.get(pk=facts.twin)
    _refuse_user(kind, user, place, now=now, starts_at=starts_at, verified=verified)
    _check_purpose(kind, user, purpose)
    _check_request_slot(kind, place, starts_at, now=now)
    reason = cap_refusal_reason(user, kind.model, office, now=now, held=facts.held)
    if reason:
        raise ValidationError(reason, code="cap")
    needs_approval = (
        noshow_approval_reason(user, office, now=now, count=facts.no_contact) is not None
    )
    confirmed = kind.model.confirmed_on_request and not needs_approval
    booking, created = _insert_first_free(
        kind,
        place,
        starts_at,
        now=now,
        user=user,
        user_type=user.user_type,
        purpose=purpose,
        requester_name=requester_name,
        client_number=client_number,
        phone=phone,
        companions=list(companions),
        note=note,
        form_token=form_token,
        needs_approval=needs_approval,
        status=Status.CONFIRMED if confirmed else Status.REQUESTED,
        confirmed_at=now if confirmed else None,
        created_at=now,
    )
    if created:
        notify.mail_booking(booking, notify.CONFIRMED if confirmed else notify.RECEIVED)
    return booking


@transaction.atomic
def booking_book_for_caller(
    *,
    kind: BookingKind,
    user,
    staff,
    place,
    starts_at: datetime.datetime,
    purpose: str,
    phoned_at: datetime.datetime | None = None,
    override: bool = False,
    now: datetime.datetime | None = None,
) -> Booking:
    """Staff book a slot for someone on the phone, confirmed by that call (STF-1, BTH-7).

    The users' cut-off and per-person cap do not bind staff; who may book, the office calendar
    and the place's published times do, unless staff override the latter (CON-9). Repeated
    no-contact cancellations don't refuse: staff booking it is the approval.
    """
    now = now or timezone.now()
    _refuse_user(kind, user, place, now=now, starts_at=starts_at)
    if kind.office_of(place).pk != user.office_id:
        raise ValidationError({kind.place_field: _("Choose one of the user's office.")})
    _check_purpose(kind, user, purpose)
    outside = _check_staff_slot(kind, place, starts_at, now=now, override=override)
    return _insert_by_staff(
        kind,
        place,
        starts_at,
        staff=staff,
        phoned_at=phoned_at or now,
        now=now,
        user=user,
        user_type=user.user_type,
        purpose=purpose,
        outside_availability=outside,
        **profile_fields(user),
    )


@transaction.atomic
def booking_book_next(
    *,
    kind: BookingKind,
    booking: Booking,
    staff,
    place,
    starts_at: datetime.datetime,
    override: bool = False,
    now: datetime.datetime | None = None,
) -> Booking:
    """During (or right after) a session the counselor books the person's next one, confirmed:
    agreed face to face, which counts as the confirming call (BTH-9, CON-5). The same checks as
    booking for a caller apply: the person may still book (REG-3, REG-7)."""
    now = now or timezone.now()
    fields = next_booking_fields(booking)
    _refuse_user(kind, fields["user"], place, now=now, starts_at=starts_at)
    if kind.office_of(place).pk != office_id_of(booking):
        raise ValidationError({kind.place_field: _("Choose one of the same office.")})
    outside = _check_staff_slot(kind, place, starts_at, now=now, override=override)
    return _insert_by_staff(
        kind,
        place,
        starts_at,
        staff=staff,
        phoned_at=now,
        now=now,
        counselor=booking.counselor,
        outside_availability=outside,
        **fields,
    )


def _insert_by_staff(kind, place, starts_at, *, staff, phoned_at, now, **fields) -> Booking:
    """Staff name the place: its first candidate is the one (the counselor they chose)."""
    fields = {**fields, **next(iter(kind.candidates(place, starts_at, now=now)), {})}
    return booking_insert_confirmed(
        kind.new_booking({}, starts_at, **fields), staff=staff, phoned_at=phoned_at, now=now
    )


@transaction.atomic
def booking_move_by_staff(
    *,
    kind: BookingKind,
    booking: Booking,
    staff,
    place,
    starts_at: datetime.datetime,
    override: bool = False,
    now: datetime.datetime | None = None,
) -> Booking:
    """The office moves a booking to another slot (and place) of its own; the person is told
    (BTH-5, CON-5). The office calendar and the place's published times apply unless staff
    override them (CON-9)."""
    now = now or timezone.now()
    if kind.office_of(place).pk != office_id_of(booking):
        raise ValidationError({kind.place_field: _("Choose one of the same office.")})
    outside = _check_staff_slot(kind, place, starts_at, now=now, override=override)
    kind.check_place(place)
    return booking_move(
        booking=booking,
        by=staff,
        now=now,
        starts_at=starts_at,
        outside_availability=outside,
        **kind.move_fields(place, starts_at, now=now),
    )


@transaction.atomic
def booking_move_by_user(
    *,
    kind: BookingKind,
    booking: Booking,
    user,
    place,
    starts_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> Booking:
    """The person moves their own booking to another free slot, until the cut-off (BTH-4,
    CON-5); after it they phone the office."""
    now = now or timezone.now()
    if booking.user_id != user.pk or not user_may_change(booking, now):
        raise ValidationError(
            _("This booking can no longer be moved online. Please phone the office."),
            code="too_late",
        )
    kind.check_place(place)
    reason = _residence_refusal(user, starts_at)
    if reason:
        raise ValidationError(reason, code="refused")
    _check_request_slot(kind, place, starts_at, now=now)
    return booking_move(
        booking=booking,
        by=user,
        now=now,
        starts_at=starts_at,
        outside_availability=False,
        **kind.move_fields(place, starts_at, now=now),
    )
