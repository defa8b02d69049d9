"""Writes particular to booths: requesting a slot, ad-hoc use, staff booking for someone,
moving between booths (REQ BTH-1 … BTH-9, STF-1).

Everything a booth reservation shares with an online consultation (confirm, cancel, late
contact, start, complete, no-show, reinstate, the jobs, account deletion, mails, .ics) is in
`consultations.bookings`; the views and the admin call those directly.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.eligibility import booking_block_reason
from accounts.models import UserType
from bookings import calendar, notify
from bookings import services as bookings
from bookings.rules import (
    adhoc_approval_reason,
    cap_refusal_reason,
    lock_user,
    noshow_approval_reason,
    profile_fields,
    request_refusal_reason,
    staff_slot_refusal_reason,
)
from bookings.services import SlotTakenError  # noqa: F401  (re-exported for the views)
from terms.services import consent_needed

from .availability import closures_for, current_slot
from .models import EMPLOYER_PURPOSES, JOB_SEEKER_PURPOSES, Booth, Reservation, Source, Status


def purposes_for(user) -> list:
    return EMPLOYER_PURPOSES if user.user_type == UserType.EMPLOYER else JOB_SEEKER_PURPOSES


def booking_refusal_reason(
    user, booth: Booth, *, now: datetime.datetime | None = None, verified: bool | None = None
):
    """Why this user can't book this booth at all now (REG-3, REG-7), or None.

    Repeated no-contact cancellations don't refuse: see noshow_approval_reason (BTH-7).
    `verified`: see booking_block_reason.
    """
    reason = booking_block_reason(user, verified=verified)
    if reason:
        return reason
    if user.user_type not in (UserType.JOB_SEEKER, UserType.EMPLOYER):
        return _("Staff book booths for users in the staff admin.")
    if not booth.is_active or not booth.office.offers_booths:
        return _("This booth is not taking reservations.")
    return None


def _new(booth: Booth, starts_at: datetime.datetime, user, **fields) -> Reservation:
    """An unsaved reservation of one grid slot of `booth` for `user`."""
    fields.setdefault("user_type", user.user_type)
    return Reservation(
        booth=booth, starts_at=starts_at, ends_at=starts_at + calendar.SLOT, user=user, **fields
    )


@transaction.atomic
def reservation_request(
    *,
    user,
    booth: Booth,
    starts_at: datetime.datetime,
    purpose: str,
    requester_name: str,
    phone: str,
    client_number: str = "",
    companions: Iterable[str] = (),
    note: str = "",
    form_token: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
) -> Reservation:
    """Request one slot of one booth (BTH-1 … BTH-4, BTH-7). Idempotent per `form_token`.

    After repeated no-contact cancellations the request is taken and holds its slot, but is
    marked `needs_approval`: staff confirming it after their phone call is the approval.
    """
    now = now or timezone.now()
    lock_user(user)
    if form_token:
        existing = Reservation.objects.filter(form_token=form_token, user=user).first()
        if existing is not None:
            return existing
    reason = booking_refusal_reason(user, booth, now=now)
    if reason:
        raise ValidationError(reason, code="refused")
    if purpose not in purposes_for(user):
        raise ValidationError({"purpose": _("Choose one of the purposes offered.")})
    day = calendar.local(starts_at).date()
    reason = request_refusal_reason(
        booth.office, starts_at, now=now, closures=closures_for(booth, day, day)
    )
    if reason:
        raise ValidationError(reason, code="not_bookable")
    reason = cap_refusal_reason(user, Reservation, booth.office, now=now)
    if reason:
        raise ValidationError(reason, code="cap")
    reservation, created = bookings.booking_insert(
        _new(
            booth,
            starts_at,
            user,
            purpose=purpose,
            requester_name=requester_name,
            client_number=client_number,
            phone=phone,
            companions=list(companions),
            note=note,
            form_token=form_token,
            needs_approval=noshow_approval_reason(user, booth.office, now=now) is not None,
            created_at=now,
        ),
        now=now,
    )
    if created:
        notify.mail_booking(reservation, notify.RECEIVED)
    return reservation


def _check_staff_slot(*, booth: Booth, starts_at: datetime.datetime, now: datetime.datetime):
    """On the grid of a business day of the booth's office, and ahead of now."""
    day = calendar.local(starts_at).date()
    reason = staff_slot_refusal_reason(
        booth.office, starts_at, now=now, closures=closures_for(booth, day, day)
    )
    if reason:
        raise ValidationError(reason)


def _check_same_office(reservation: Reservation, booth: Booth) -> None:
    if booth.office_id != reservation.booth.office_id:
        raise ValidationError({"booth": _("Choose a booth of the same office.")})


@transaction.atomic
def reservation_move(
    *,
    reservation: Reservation,
    staff,
    booth: Booth,
    starts_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> Reservation:
    """The office moves a reservation to another slot of its own booths; the user is told."""
    now = now or timezone.now()
    _check_same_office(reservation, booth)
    _check_staff_slot(booth=booth, starts_at=starts_at, now=now)
    return bookings.booking_move(
        booking=reservation, by=staff, now=now, starts_at=starts_at, booth=booth
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
    """Start using a free booth now, for the slot running now (BTH-8).

    The use is bound to the current grid slot, so it can never overlap the next reservation.
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
    starts_at = current_slot(booth, now)
    if starts_at is None:
        raise ValidationError(_("The office is closed now."), code="closed")
    # A reservation of this slot that time alone has ended (BTH-6) gives way first.
    for lapsed in Reservation.objects.lapsed(now).filter(booth=booth, starts_at=starts_at):
        bookings.booking_record_lapse(lapsed, now=now)
    reservation, _created = bookings.booking_insert(
        _new(
            booth,
            starts_at,
            user,
            purpose=purpose or purposes_for(user)[0],
            **profile_fields(user),
            source=Source.COUNTER if staff else Source.ADHOC,
            status=Status.CHECKED_IN,
            checked_in_at=now,
            actual_started_at=now,
            created_at=now,
        ),
        now=now,
    )
    return reservation


@transaction.atomic
def reservation_book_next(
    *,
    reservation: Reservation,
    staff,
    booth: Booth,
    starts_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> Reservation:
    """During a session the counselor books the user's next reservation, confirmed (BTH-9).

    The same checks as booking for a caller apply: the user may still book (REG-3, REG-7).
    """
    now = now or timezone.now()
    fields = bookings.next_booking_fields(reservation)
    reason = booking_refusal_reason(fields["user"], booth, now=now)
    if reason:
        raise ValidationError(reason, code="refused")
    _check_same_office(reservation, booth)
    _check_staff_slot(booth=booth, starts_at=starts_at, now=now)
    # Agreed face to face in the session: that counts as the confirming call.
    return bookings.booking_insert_confirmed(
        _new(booth, starts_at, counselor=reservation.counselor, **fields),
        staff=staff,
        phoned_at=now,
        now=now,
    )


@transaction.atomic
def reservation_book_for_caller(
    *,
    user,
    booth: Booth,
    staff,
    starts_at: datetime.datetime,
    purpose: str,
    phoned_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Reservation:
    """Staff book a slot for someone on the phone (STF-1, BTH-7), confirmed by that call.

    The users' online cut-off and the per-person cap do not bind staff; the office calendar,
    the grid and the one-reservation-per-slot rule do. Repeated no-contact cancellations don't
    refuse: staff booking it is the approval.
    """
    now = now or timezone.now()
    reason = booking_refusal_reason(user, booth, now=now)
    if reason:
        raise ValidationError(reason, code="refused")
    if booth.office_id != user.office_id:
        raise ValidationError({"booth": _("Choose a booth of the user's office.")})
    if purpose not in purposes_for(user):
        raise ValidationError({"purpose": _("Choose one of the purposes offered.")})
    _check_staff_slot(booth=booth, starts_at=starts_at, now=now)
    return bookings.booking_insert_confirmed(
        _new(booth, starts_at, user, purpose=purpose, **profile_fields(user)),
        staff=staff,
        phoned_at=phoned_at or now,
        now=now,
    )
