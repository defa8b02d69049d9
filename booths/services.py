"""Writes to reservations. Each is one transaction and queues its e-mail inside it.

A status changes only through the transitions below; each is a conditional UPDATE that checks
the status it comes from, so two staff members (or a staff member and the no-show job) racing
on one reservation can't both win.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.eligibility import booking_block_reason
from accounts.models import Office, UserType
from consultations import calendar
from terms.services import consent_needed

from . import mails
from .availability import (
    closures_for,
    current_slot,
    free_slots_from,
    request_refusal_reason,
)
from .models import (
    ACTIVE_STATUSES,
    AWAITING_STATUSES,
    EMPLOYER_PURPOSES,
    JOB_SEEKER_PURPOSES,
    Booth,
    CancelledVia,
    Reservation,
    Source,
    Status,
)


class SlotTakenError(ValidationError):
    """The slot was taken by someone else a moment ago; carries the next free slots (BTH-2)."""

    def __init__(self, booth: Booth, free_slots: list):
        super().__init__(
            _("This slot was just taken by someone else. Please choose another one."),
            code="slot_taken",
        )
        self.booth = booth
        self.free_slots = free_slots


def purposes_for(user) -> list:
    return EMPLOYER_PURPOSES if user.user_type == UserType.EMPLOYER else JOB_SEEKER_PURPOSES


def noshow_approval_reason(user, office: Office, *, now: datetime.datetime | None = None):
    """BTH-7: after N no-contact cancellations within M months, new requests need the office's
    approval. Returns the explanation for the user (why, and whom to phone), or None."""
    now = now or timezone.now()
    since = calendar.months_before(now, office.noshow_window_months)
    count = Reservation.objects.for_user(user).no_contact_cancellations_since(since, now).count()
    if count >= office.noshow_limit:
        return _(
            "Because %(count)s reservations in the last %(months)s months were cancelled "
            "without contact, the office must approve each new request. You can still send "
            "a request: it holds the slot, and the office will phone you to approve it. "
            "Questions: %(office)s (%(phone)s)."
        ) % {
            "count": count,
            "months": office.noshow_window_months,
            "office": office.name,
            "phone": office.phone,
        }
    return None


def adhoc_approval_reason(user, office: Office, *, now: datetime.datetime | None = None):
    """BTH-7 for ad-hoc use: it starts at once, so only staff at the counter can approve it."""
    if noshow_approval_reason(user, office, now=now) is None:
        return None
    return _(
        "Because of earlier reservations cancelled without contact, using a booth now needs "
        "the office's approval. Please ask at the counter of %(office)s (%(phone)s)."
    ) % {"office": office.name, "phone": office.phone}


def booking_refusal_reason(user, booth: Booth, *, now: datetime.datetime | None = None):
    """Why this user can't book this booth at all now (REG-3, REG-7), or None.

    Repeated no-contact cancellations don't refuse: see noshow_approval_reason (BTH-7).
    """
    reason = booking_block_reason(user)
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


def _from_profile(user) -> dict:
    """Who and how to phone, when staff book for a user: from the user's profile."""
    return {
        "requester_name": profile_name(user),
        "client_number": profile_number(user),
        "phone": user.phone or "-",
    }


def _insert(reservation: Reservation, *, now: datetime.datetime) -> tuple[Reservation, bool]:
    """Insert in a savepoint; a lost race for the slot becomes SlotTakenError.

    Returns the reservation and whether it is new: a double submit that lost the race to its
    own twin (same form token) gets the twin's reservation back.
    """
    try:
        with transaction.atomic():
            reservation.save(force_insert=True)
    except IntegrityError:
        if reservation.form_token:
            existing = Reservation.objects.filter(
                form_token=reservation.form_token, user=reservation.user
            ).first()
            if existing is not None:
                return existing, False
        raise SlotTakenError(
            reservation.booth, free_slots_from(reservation.booth, now=now)
        ) from None
    return reservation, True


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
    if form_token:
        existing = Reservation.objects.filter(form_token=form_token, user=user).first()
        if existing is not None:
            return existing
    reason = booking_refusal_reason(user, booth, now=now)
    if reason:
        raise ValidationError(reason, code="refused")
    if purpose not in purposes_for(user):
        raise ValidationError(_("Choose one of the purposes offered."), code="purpose")
    day = calendar.local(starts_at).date()
    closures = closures_for(booth, day, day)
    reason = request_refusal_reason(booth, starts_at, now=now, closures=closures)
    if reason:
        raise ValidationError(reason, code="not_bookable")
    reservation, created = _insert(
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
        mails.mail_reservation(reservation, mails.RECEIVED)
    return reservation


def _transition(
    reservation: Reservation,
    *,
    allowed_from: Iterable[str],
    error: str,
    now: datetime.datetime,
    respect_noshow: bool = True,
    **changes,
) -> Reservation:
    """Move `reservation` to new field values if it is still in one of `allowed_from`."""
    rows = Reservation.objects.filter(pk=reservation.pk, status__in=list(allowed_from))
    if respect_noshow:
        # Once the 10-minute rule applies the booking is over, whatever the job has recorded.
        rows = rows.exclude(
            status__in=AWAITING_STATUSES,
            starts_at__lte=now - calendar.NO_SHOW_GRACE,
            late_contact_at__isnull=True,
        )
    try:
        with transaction.atomic():
            updated = rows.update(**changes)
    except IntegrityError:
        raise SlotTakenError(
            reservation.booth, free_slots_from(reservation.booth, now=now)
        ) from None
    if not updated:
        raise ValidationError(error, code="wrong_status")
    reservation.refresh_from_db()
    if hasattr(reservation, "state"):
        del reservation.state
    return reservation


@transaction.atomic
def reservation_cancel_online(
    *, reservation: Reservation, user, now: datetime.datetime | None = None
) -> Reservation:
    """The user cancels their own reservation before it starts (BTH-5)."""
    now = now or timezone.now()
    if reservation.user_id != user.pk or reservation.starts_at <= now:
        raise ValidationError(_("This reservation can no longer be cancelled online."))
    reservation = _transition(
        reservation,
        allowed_from=AWAITING_STATUSES,
        error=_("This reservation can no longer be cancelled online."),
        now=now,
        status=Status.CANCELLED,
        cancelled_at=now,
        cancelled_via=CancelledVia.ONLINE,
        sequence=reservation.sequence + 1,
    )
    mails.mail_reservation(reservation, mails.CANCELLED)
    return reservation


@transaction.atomic
def reservation_confirm(
    *,
    reservation: Reservation,
    staff,
    phoned_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> Reservation:
    """Staff phoned the user and confirm the request (BTH-5)."""
    now = now or timezone.now()
    if phoned_at > now:
        raise ValidationError(_("The phone call can't be in the future."))
    reservation = _transition(
        reservation,
        allowed_from=[Status.REQUESTED],
        error=_("Only a requested reservation can be confirmed."),
        now=now,
        status=Status.CONFIRMED,
        phoned_at=phoned_at,
        confirmed_at=now,
        confirmed_by=staff,
    )
    mails.mail_reservation(reservation, mails.CONFIRMED)
    return reservation


@transaction.atomic
def reservation_cancel_by_phone(
    *, reservation: Reservation, staff, now: datetime.datetime | None = None
) -> Reservation:
    """The user phoned to cancel; staff record it (BTH-5)."""
    now = now or timezone.now()
    reservation = _transition(
        reservation,
        allowed_from=AWAITING_STATUSES,
        error=_("This reservation can no longer be cancelled."),
        now=now,
        respect_noshow=False,
        status=Status.CANCELLED,
        cancelled_at=now,
        cancelled_via=CancelledVia.PHONE,
        cancelled_by=staff,
        sequence=reservation.sequence + 1,
    )
    mails.mail_reservation(reservation, mails.CANCELLED)
    return reservation


@transaction.atomic
def _check_staff_chosen_slot(
    *, reservation: Reservation, booth: Booth, starts_at: datetime.datetime, now: datetime.datetime
) -> None:
    """A slot staff pick (move, book next): same office, on the grid of a business day, ahead.

    Staff are not bound by the users' cut-off on the previous day.
    """
    if booth.office_id != reservation.booth.office_id:
        raise ValidationError(_("Choose a booth of the same office."))
    _check_staff_slot(booth=booth, starts_at=starts_at, now=now)


def _check_staff_slot(*, booth: Booth, starts_at: datetime.datetime, now: datetime.datetime):
    """On the grid of a business day of the booth's office, and ahead of now."""
    day = calendar.local(starts_at).date()
    office = booth.office
    reason = calendar.slot_refusal_reason(
        starts_at,
        opens_at=office.opens_at,
        closes_at=office.closes_at,
        closures=closures_for(booth, day, day),
    )
    if reason:
        raise ValidationError(reason)
    if starts_at <= now:
        raise ValidationError(_("Choose a slot in the future."))


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
    _check_staff_chosen_slot(reservation=reservation, booth=booth, starts_at=starts_at, now=now)
    reservation = _transition(
        reservation,
        allowed_from=AWAITING_STATUSES,
        error=_("Only a requested or confirmed reservation can be moved."),
        now=now,
        booth=booth,
        starts_at=starts_at,
        ends_at=starts_at + calendar.SLOT,
        moved_at=now,
        # What was recorded for the old slot does not carry over to the new one (BTH-6).
        late_contact_at=None,
        reminder_sent_at=None,
        sequence=reservation.sequence + 1,
    )
    mails.mail_reservation(reservation, mails.MOVED)
    return reservation


@transaction.atomic
def reservation_record_late_contact(
    *, reservation: Reservation, staff, now: datetime.datetime | None = None
) -> Reservation:
    """The user phoned to say they will be late: the 10-minute rule no longer applies (BTH-6)."""
    now = now or timezone.now()
    return _transition(
        reservation,
        allowed_from=AWAITING_STATUSES,
        error=_("Late contact can only be recorded for a reservation not yet checked in."),
        now=now,
        respect_noshow=False,
        late_contact_at=now,
    )


@transaction.atomic
def reservation_check_in(
    *, reservation: Reservation, staff, now: datetime.datetime | None = None
) -> Reservation:
    """The user has arrived; the actual start is recorded (BTH-10)."""
    now = now or timezone.now()
    return _transition(
        reservation,
        allowed_from=AWAITING_STATUSES,
        error=_(
            "Only a requested or confirmed reservation that is not a no-show can be checked in."
        ),
        now=now,
        status=Status.CHECKED_IN,
        checked_in_at=now,
        actual_started_at=now,
    )


@transaction.atomic
def reservation_complete(
    *, reservation: Reservation, staff, now: datetime.datetime | None = None
) -> Reservation:
    """The use has ended; the actual end is recorded (BTH-10)."""
    now = now or timezone.now()
    return _transition(
        reservation,
        allowed_from=[Status.CHECKED_IN],
        error=_("Only a checked-in reservation can be completed."),
        now=now,
        respect_noshow=False,
        status=Status.COMPLETED,
        completed_at=now,
        actual_ended_at=now,
    )


def _record_no_show(reservation: Reservation, *, now: datetime.datetime) -> bool:
    """Record the no-show once and queue its mail; False when someone else already did."""
    updated = (
        Reservation.objects.overdue(now)
        .filter(pk=reservation.pk)
        .update(
            status=Status.NO_SHOW,
            no_show_at=now,
            no_show_mailed_at=now,
            sequence=reservation.sequence + 1,
        )
    )
    if updated:
        reservation.refresh_from_db()
        mails.mail_reservation(reservation, mails.NO_SHOW)
    return bool(updated)


@transaction.atomic
def reservation_mark_no_show(
    *, reservation: Reservation, staff, now: datetime.datetime | None = None
) -> Reservation:
    """Staff record a no-show themselves (also after a late call that came to nothing)."""
    now = now or timezone.now()
    if reservation.starts_at > now:
        raise ValidationError(_("A reservation can be a no-show only after it has started."))
    reservation = _transition(
        reservation,
        allowed_from=AWAITING_STATUSES,
        error=_("Only a requested or confirmed reservation can be a no-show."),
        now=now,
        respect_noshow=False,
        status=Status.NO_SHOW,
        no_show_at=now,
        no_show_mailed_at=now,
        sequence=reservation.sequence + 1,
    )
    mails.mail_reservation(reservation, mails.NO_SHOW)
    return reservation


def record_overdue_no_shows(*, now: datetime.datetime | None = None) -> int:
    """The job's work (BTH-6): record every overdue reservation once, free its slot, mail."""
    now = now or timezone.now()
    recorded = 0
    for reservation in Reservation.objects.overdue(now).select_related("booth__office", "user"):
        with transaction.atomic():
            if _record_no_show(reservation, now=now):
                recorded += 1
    return recorded


def send_reminders(*, now: datetime.datetime | None = None) -> int:
    """Queue the day-before reminder of tomorrow's reservations, once each (NTF-1)."""
    now = now or timezone.now()
    tomorrow = calendar.local(now).date() + datetime.timedelta(days=1)
    start = datetime.datetime.combine(tomorrow, datetime.time(0), tzinfo=calendar.TOKYO)
    end = start + datetime.timedelta(days=1)
    sent = 0
    candidates = Reservation.objects.filter(
        status__in=AWAITING_STATUSES,
        starts_at__gte=start,
        starts_at__lt=end,
        reminder_sent_at__isnull=True,
    ).select_related("booth__office", "user")
    for reservation in candidates:
        with transaction.atomic():
            claimed = Reservation.objects.filter(
                pk=reservation.pk, reminder_sent_at__isnull=True, status__in=AWAITING_STATUSES
            ).update(reminder_sent_at=now)
            if claimed:
                mails.mail_reservation(reservation, mails.REMINDER)
                sent += 1
    return sent


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
    # A reservation of this slot that the 10-minute rule has ended gives way first.
    for overdue in Reservation.objects.overdue(now).filter(booth=booth, starts_at=starts_at):
        _record_no_show(overdue, now=now)
    reservation, _created = _insert(
        _new(
            booth,
            starts_at,
            user,
            purpose=purpose or purposes_for(user)[0],
            **_from_profile(user),
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
    """During a session the counselor books the user's next reservation, confirmed (BTH-9)."""
    now = now or timezone.now()
    if reservation.status not in (Status.CHECKED_IN, Status.COMPLETED):
        raise ValidationError(_("The next reservation is booked during or after a session."))
    _check_staff_chosen_slot(reservation=reservation, booth=booth, starts_at=starts_at, now=now)
    # Agreed face to face in the session: that counts as the confirming call.
    return _insert_confirmed(
        _new(
            booth,
            starts_at,
            reservation.user,
            user_type=reservation.user_type,
            purpose=reservation.purpose,
            requester_name=reservation.requester_name,
            client_number=reservation.client_number,
            phone=reservation.phone,
            companions=reservation.companions,
            counselor=reservation.counselor,
        ),
        staff=staff,
        phoned_at=now,
        now=now,
    )


def _insert_confirmed(
    reservation: Reservation, *, staff, phoned_at: datetime.datetime, now: datetime.datetime
) -> Reservation:
    """Insert a reservation staff booked, confirmed by the call or talk it came from; mail it."""
    reservation.source = Source.STAFF
    reservation.status = Status.CONFIRMED
    reservation.phoned_at = phoned_at
    reservation.confirmed_at = now
    reservation.confirmed_by = staff
    reservation.created_at = now
    reservation, _created = _insert(reservation, now=now)
    mails.mail_reservation(reservation, mails.CONFIRMED)
    return reservation


@transaction.atomic
def reservation_assign_counselor(
    *, reservation: Reservation, staff, counselor, now: datetime.datetime | None = None
) -> Reservation:
    """Staff name the counselor of a reservation; a counselor is in one booth per slot.

    The error names the field, so a form shows it next to the counselor.
    """
    busy = _("This counselor already has a reservation in this slot. Choose someone else.")
    if (
        counselor is not None
        and Reservation.objects.counselor_busy(
            counselor, reservation.starts_at, exclude_pk=reservation.pk
        ).exists()
    ):
        raise ValidationError({"counselor": busy}, code="counselor_busy")
    try:
        with transaction.atomic():
            Reservation.objects.filter(pk=reservation.pk).update(counselor=counselor)
    except IntegrityError:
        # Someone assigned them elsewhere between the check and the update.
        raise ValidationError({"counselor": busy}, code="counselor_busy") from None
    reservation.refresh_from_db()
    return reservation


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

    The users' online cut-off does not bind staff; the office calendar, the grid and the
    one-reservation-per-slot rule do. Repeated no-contact cancellations don't refuse: staff
    booking it is the approval.
    """
    now = now or timezone.now()
    reason = booking_refusal_reason(user, booth, now=now)
    if reason:
        raise ValidationError(reason, code="refused")
    if booth.office_id != user.office_id:
        raise ValidationError(_("Choose a booth of the user's office."))
    if purpose not in purposes_for(user):
        raise ValidationError({"purpose": _("Choose one of the purposes offered.")})
    _check_staff_slot(booth=booth, starts_at=starts_at, now=now)
    return _insert_confirmed(
        _new(booth, starts_at, user, purpose=purpose, **_from_profile(user)),
        staff=staff,
        phoned_at=phoned_at or now,
        now=now,
    )


@transaction.atomic
def reservations_release_for_deleted_user(*, user, now: datetime.datetime | None = None) -> int:
    """Before an account is deleted (REG-5): cancel its future reservations, erase personal
    data from the others and keep only what the anonymised statistics need."""
    now = now or timezone.now()
    future = Reservation.objects.for_user(user).filter(
        status__in=ACTIVE_STATUSES, starts_at__gt=now
    )
    cancelled = 0
    for reservation in future:
        reservation_cancel_online(reservation=reservation, user=user, now=now)
        cancelled += 1
    Reservation.objects.for_user(user).update(
        requester_name="", client_number="", phone="", note="", companions=[], form_token=None
    )
    return cancelled


def profile_name(user) -> str:
    if user.user_type == UserType.EMPLOYER and user.establishment_name:
        return user.establishment_name
    return f"{user.last_name} {user.first_name}".strip() or user.get_username()


def profile_number(user) -> str:
    if user.user_type == UserType.EMPLOYER:
        return user.establishment_number
    return user.jobseeker_number
