"""Writes of booths (REQ BTH-1 … BTH-9, STF-1): the ad-hoc use is booths' own; requesting,
moving, booking the next one and booking for a caller are the shared sequences of
`bookings.flows` with the booth as the place (`booths.kind`).

Everything else a booth reservation shares with an online consultation (confirm, cancel, late
contact, start, complete, no-show, reinstate, the jobs, account deletion, mails, .ics) is in
`bookings.services`; the views and the admin call those directly.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings import calendar, flows
from bookings import services as bookings
from bookings.rules import (
    adhoc_approval_reason,
    profile_fields,
)
from bookings.services import SlotTakenError  # noqa: F401  (re-exported for the views)
from terms.services import consent_needed

from .availability import adhoc_uses_now
from .kind import BOOTHS, booking_refusal_reason, purposes_for
from .models import Booth, Reservation, Source, Status


def _new(booth: Booth, starts_at: datetime.datetime, user, **fields) -> Reservation:
    """An unsaved reservation of one grid slot of `booth` for `user`."""
    fields.setdefault("user_type", user.user_type)
    return Reservation(
        booth=booth, starts_at=starts_at, ends_at=starts_at + calendar.SLOT, user=user, **fields
    )


def reservation_request(
    *,
    user,
    booth: Booth,
    starts_at: datetime.datetime,
    form_token: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
    **details,
) -> Reservation:
    """Request one slot of one booth (BTH-1 … BTH-4, BTH-7): the shared sequence
    (`bookings.flows.booking_request`); staff confirm it by phone."""
    return flows.booking_request(
        kind=BOOTHS,
        user=user,
        place=booth,
        starts_at=starts_at,
        form_token=form_token,
        now=now,
        **details,
    )


def reservation_move(
    *,
    reservation: Reservation,
    staff,
    booth: Booth,
    starts_at: datetime.datetime,
    override: bool = False,
    now: datetime.datetime | None = None,
) -> Reservation:
    """The office moves a reservation to another slot of its own booths; the user is told."""
    return flows.booking_move_by_staff(
        kind=BOOTHS,
        booking=reservation,
        staff=staff,
        place=booth,
        starts_at=starts_at,
        override=override,
        now=now,
    )


@transaction.atomic
def reservation_start_adhoc(
    *,
    user,
    booth: Booth,
    staff=None,
    now: datetime.datetime | None = None,
    purpose: str | None = None,
) -> Reservation:
    """Start using a free booth now for 30 minutes (BTH-8); returns the use's first part.

    The use holds the grid slot running now. Started after that slot's start, it also takes
    the booth's next slot when nobody holds it: a second reservation, started with the first
    and pointing to it (`continues`), so each row stays one slot (BTH-1) and the database
    keeps deciding who holds a slot (BTH-2). If that slot is taken in the meantime the use
    starts anyway, ending with the current slot; `Reservation.use_ends_at()` tells when.
    `staff` is set when a counselor starts it for someone at the counter: their presence is
    the approval repeated no-contact cancellations call for (BTH-7), but the user must have
    accepted the booth terms in effect either way.
    """
    now = now or timezone.now()
    reason = booking_refusal_reason(user, booth, now=now)
    if reason:
        raise ValidationError(reason, code="refused")
    if consent_needed(user=user, service="booth", now=now) is not None:
        if staff is None:
            message = _("Please accept the current booth terms first.")
        else:
            message = _(
                "This user has not accepted the booth terms in effect. Record their consent "
                "at the counter first (Terms: consents, add), then start the use."
            )
        raise ValidationError(message, code="consent_needed")
    if staff is None:
        reason = adhoc_approval_reason(user, booth.office, now=now)
        if reason:
            raise ValidationError(reason, code="needs_approval")
    starts_at, uses = adhoc_uses_now([booth], now, user=user)
    if starts_at is None:
        raise ValidationError(_("The office is closed now."), code="closed")
    # A reservation of this slot that time alone has ended (BTH-6) gives way first.
    for lapsed in Reservation.objects.lapsed(now).filter(booth=booth, starts_at=starts_at):
        bookings.booking_record_lapse(lapsed, now=now)
    started = {
        "purpose": purpose or purposes_for(user)[0],
        **profile_fields(user),
        "source": Source.COUNTER if staff else Source.ADHOC,
        "status": Status.CHECKED_IN,
        "checked_in_at": now,
        "actual_started_at": now,
        "created_at": now,
    }
    reservation, _created = bookings.booking_insert(
        _new(booth, starts_at, user, **started), now=now
    )
    next_slot = uses[0].next_slot if uses else None
    if next_slot is not None:
        # Taken since the page was shown (the booth, or the person elsewhere, CON-10): the use
        # ends with the slot running now.
        with contextlib.suppress(bookings.SlotTakenError, bookings.PersonBusyError):
            bookings.booking_insert(
                _new(booth, next_slot, user, continues=reservation, **started), now=now
            )
    return reservation


def reservation_book_next(
    *,
    reservation: Reservation,
    staff,
    booth: Booth,
    starts_at: datetime.datetime,
    override: bool = False,
    now: datetime.datetime | None = None,
) -> Reservation:
    """During a session the counselor books the user's next reservation, confirmed (BTH-9)."""
    return flows.booking_book_next(
        kind=BOOTHS,
        booking=reservation,
        staff=staff,
        place=booth,
        starts_at=starts_at,
        override=override,
        now=now,
    )


def reservation_book_for_caller(
    *,
    user,
    booth: Booth,
    staff,
    starts_at: datetime.datetime,
    purpose: str,
    phoned_at: datetime.datetime | None = None,
    override: bool = False,
    now: datetime.datetime | None = None,
) -> Reservation:
    """Staff book a slot for someone on the phone (STF-1, BTH-7), confirmed by that call."""
    return flows.booking_book_for_caller(
        kind=BOOTHS,
        user=user,
        staff=staff,
        place=booth,
        starts_at=starts_at,
        purpose=purpose,
        phoned_at=phoned_at,
        override=override,
        now=now,
    )
