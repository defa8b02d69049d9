"""Writes every booking shares, for booth reservations and online consultations alike
(REQ BTH-2, BTH-5 … BTH-10, CON-5, CON-7, NTF-1).

A status changes only through the transitions below; each is a conditional UPDATE that checks
the status it comes from, so two staff members (or a staff member and the no-show job) racing
on one booking can't both win. Each runs inside the caller's transaction and queues its mail in
it. The counselor's hold (CON-7) and the person's (CON-10) are taken, moved and released here
and nowhere else; the database refuses any other write that would break them (see
`bookings.models`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.constants import OnConflict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import AccessKind, access_record
from core.audit import audit_erase
from terms.services import consent_needed

from . import alerts, calendar, notify
from .models import (
    ACTIVE_STATUSES,
    AWAITING_STATUSES,
    Booking,
    CancelledVia,
    CounselorHold,
    PersonHold,
    Source,
    State,
    Status,
    lapsed_q,
    not_confirmed_q,
    overdue_q,
    q_holds,
)
from .registry import booking_kinds, kind_of

# Staff check someone in (or start an online consultation) from this long before the start
# until its end; never days early (REQ BTH-10).
START_OPENS_BEFORE = datetime.timedelta(minutes=30)


class SlotTakenError(ValidationError):
    """The slot was taken by someone else a moment ago; carries the next free slots (BTH-2)."""

    def __init__(self, free_slots: list):
        super().__init__(
            _("This slot was just taken by someone else. Please choose another one."),
            code="slot_taken",
        )
        self.free_slots = free_slots


class CounselorBusyError(ValidationError):
    """The counselor already has another booking in this slot (CON-7)."""

    def __init__(self):
        super().__init__(
            {
                "counselor": _(
                    "This counselor already has a booking in this slot (a booth session or an "
                    "online consultation). Choose another counselor or slot."
                )
            },
            code="counselor_busy",
        )


def _hold(counselor, starts_at: datetime.datetime, booking: Booking, now) -> CounselorHold:
    """Take the counselor for the slot; a clash is the slot taken for an online consultation
    (the counselor is its slot) and a busy counselor for a booth session."""
    try:
        with transaction.atomic():
            return CounselorHold.objects.create(
                counselor=counselor, starts_at=starts_at, holder=booking._meta.label_lower
            )
    except IntegrityError:
        if booking.counselor_is_the_slot:
            raise SlotTakenError(booking.alternatives(now)) from None
        raise CounselorBusyError() from None


def _hold_person(user_id: int, starts_at: datetime.datetime, booking: Booking, *, by_staff: bool):
    """Take the person for the slot (CON-10); a clash is never "just taken": the person is told
    they already have a booking then, staff which booking it is."""
    try:
        with transaction.atomic():
            return PersonHold.objects.create(
                user_id=user_id, starts_at=starts_at, holder=booking._meta.label_lower
            )
    except IntegrityError:
        raise _person_busy(user_id, starts_at, by_staff=by_staff) from None


class PersonBusyError(ValidationError):
    """The person already has a booking at an overlapping time, of either service (CON-10)."""


def _person_busy_with(booking: Booking) -> ValidationError:
    """The clash of a new booking's person, worded for whoever made it (staff or the person)."""
    by_staff = booking.source in (Source.STAFF, Source.COUNTER)
    return _person_busy(booking.user_id, booking.starts_at, by_staff=by_staff)


def _person_busy(user_id: int, starts_at: datetime.datetime, *, by_staff: bool) -> ValidationError:
    if not by_staff:
        # The person's own request names nothing: the clash may be a booking they forgot.
        return PersonBusyError(_("You already have a booking at this time."), code="person_busy")
    clash = None
    hold = PersonHold.objects.filter(
        user_id=user_id,
        starts_at__gt=starts_at - calendar.SLOT,
        starts_at__lt=starts_at + calendar.SLOT,
    ).first()
    for kind in booking_kinds() if hold else []:
        if kind.model._meta.label_lower == hold.holder:
            clash = (
                kind.model.objects.select_related(*kind.select_related)
                .filter(person_hold=hold)
                .first()
            )
    booking = (
        f"{clash.where_label()} {calendar.format_slot(clash.starts_at, clash.ends_at)}"
        if clash
        else calendar.format_slot(starts_at)
    )
    # Next to the start time of the staff slot forms (bookings.forms.StaffSlotForm).
    return PersonBusyError(
        {
            "time": _("This person already has a booking at this time: %(booking)s.")
            % {"booking": booking}
        },
        code="person_busy",
    )


def _release(model: type[CounselorHold | PersonHold], pk: int) -> None:
    """Delete a hold its booking no longer points to, in one statement: the ORM's delete would
    first read the hold and look for bookings of every kind pointing to it, which the database's
    keys already refuse."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [pk])


def office_id_of(booking: Booking) -> int | None:
    """The booking's office id along its kind's lookup ("booth__office" or "office")."""
    try:
        *path, last = kind_of(booking).office_lookup.split("__")
    except KeyError:
        return getattr(booking, "office_id", None)
    target = booking
    for part in path:
        target = getattr(target, part)
    return getattr(target, f"{last}_id")


def _record_cancellation(booking: Booking) -> None:
    """A cancellation made in a request is an access record (LOG-1); the change itself is in the
    audit trail, written by the database (STF-2)."""
    access_record(
        kind=AccessKind.CANCELLATION,
        subject=booking.user_id,
        obj=booking,
        office_id=office_id_of(booking),
    )


def booking_insert(
    booking: Booking, *, now: datetime.datetime, offer_alternatives: bool = True
) -> tuple[Booking, bool]:
    """Insert a new booking and its person's and counselor's holds, by statements that
    cannot fail (REQ BTH-2, CON-7, CON-10, NFR-4).

    Returns the booking and whether it is new: a double submit that lost the race to its own
    twin (same form token) gets the twin's booking back. A lost race for the slot becomes
    SlotTakenError with the next free slots; a person already booked then, a ValidationError
    (code "person_busy") worded for the person or for staff (CON-10); a counselor already
    booked, SlotTakenError for a kind whose slot is its counselor (online) and
    CounselorBusyError otherwise (a booth).

    Each hold and the row are inserted with ON CONFLICT DO NOTHING, so the database's unique
    and exclusion constraints decide without an error: no savepoint is needed, nothing is
    raised inside the enclosing block, and a caller that catches SlotTakenError may try the
    next counselor at the cost of one statement. Whatever a refused step took before it is
    released again. The form token is looked for only after a refused row: the person's
    request (`flows.booking_request`) has already looked under the person's row lock, and the
    token's unique constraint refuses a twin that got past it.
    """
    active = booking.status in ACTIVE_STATUSES
    if booking.user_id and active:
        booking.person_hold_id = _take_hold(PersonHold, "user_id", booking)
        if booking.person_hold_id is None:
            raise _person_busy_with(booking)
    if booking.counselor_id and active:
        booking.counselor_hold_id = _take_hold(CounselorHold, "counselor_id", booking)
        if booking.counselor_hold_id is None:
            _release_taken(booking)
            if not booking.counselor_is_the_slot:
                raise CounselorBusyError()
            raise SlotTakenError(booking.alternatives(now) if offer_alternatives else [])
    if _insert_row(booking):
        return _recorded_booking(booking), True
    _release_taken(booking)
    if booking.form_token:
        twin = type(booking).objects.filter(form_token=booking.form_token, user=booking.user)
        twin = twin.first()
        if twin is not None:
            return twin, False
    # A caller trying the next place (flows) offers its own list once, at the end.
    raise SlotTakenError(booking.alternatives(now) if offer_alternatives else [])


def _take_hold(model: type[CounselorHold | PersonHold], who: str, booking: Booking) -> int | None:
    """Insert the hold unless one of the same counselor (person) overlaps it: the exclusion
    constraint answers without an error (ON CONFLICT DO NOTHING), so no savepoint is needed.
    Its id, or None when the slot is held already."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({who}, starts_at, holder) "
            "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            [getattr(booking, who), booking.starts_at, booking._meta.label_lower],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _insert_row(booking: Booking) -> bool:
    """INSERT the booking's row unless a unique constraint refuses it (its slot taken, its
    form token used): ON CONFLICT DO NOTHING, so no savepoint. The statement `save()` sends,
    with that clause; False when refused. No signal listens to a booking's save."""
    model = type(booking)
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
    returning = meta.db_returning_fields
    (row,) = model._base_manager._insert(
        [booking], fields=fields, returning_fields=returning, on_conflict=OnConflict.IGNORE
    )
    if row is None:
        return False
    for value, field in zip(row, returning, strict=True):
        setattr(booking, field.attname, value)
    booking._state.adding = False
    booking._state.db = DEFAULT_DB_ALIAS
    return True


def _release_taken(booking: Booking) -> None:
    """Release the holds a refused insert took for `booking` (nothing points to them yet)."""
    for model, attname in ((PersonHold, "person_hold_id"), (CounselorHold, "counselor_hold_id")):
        pk = getattr(booking, attname)
        if pk is not None:
            _release(model, pk)
            setattr(booking, attname, None)


def _recorded_booking(booking: Booking) -> Booking:
    """A new booking made in a request is an access record (LOG-1)."""
    access_record(
        kind=AccessKind.BOOKING,
        subject=booking.user_id,
        obj=booking,
        office_id=office_id_of(booking),
    )
    return booking


@transaction.atomic
def transition(
    booking: Booking,
    *,
    allowed_from: Iterable[str],
    error: str,
    now: datetime.datetime,
    respect_noshow: bool = True,
    tell_user: bool = False,
    by_staff: bool = True,
    only_if: Q | None = None,
    **changes,
) -> Booking:
    """Move `booking` to new field values if it is still in one of `allowed_from`.

    `respect_noshow`: once time alone has ended the booking (the 10-minute rule, or a request
    unconfirmed at its start, BTH-6), it is over, whatever the job has recorded. `tell_user`:
    the change goes to the user's calendar (SEQUENCE + 1, in SQL). `only_if`: a further
    condition checked in the same UPDATE.
    Leaving the active statuses releases the counselor and the person; a new start or counselor
    moves the holds: new ones are taken first, the booking points to them in its one UPDATE
    (the database checks the pair at once), then the old ones go. `by_staff`: who is told why
    when the person is already booked at the new time (CON-10).
    A change of what the booking's waiting mails describe drops those that no longer fit, before
    the caller queues its own (NTF-3).
    """
    model = type(booking)
    asked = dict(changes)
    held = alerts.slot_of(booking)
    rows = model.objects.filter(pk=booking.pk, status__in=list(allowed_from))
    if only_if is not None:
        rows = rows.filter(only_if)
    if respect_noshow:
        rows = rows.exclude(lapsed_q(now))
    if tell_user:
        changes["sequence"] = F("sequence") + 1
    new_status = changes.get("status", booking.status)
    counselor = changes.get("counselor", booking.counselor)
    starts_at = changes.get("starts_at", booking.starts_at)
    old_person_id = booking.person_hold_id
    keeps_person = new_status in ACTIVE_STATUSES and booking.user_id is not None
    moves_person = keeps_person and (old_person_id is None or starts_at != booking.starts_at)
    if moves_person:
        changes["person_hold"] = _hold_person(
            booking.user_id, starts_at, booking, by_staff=by_staff
        )
    elif not keeps_person and old_person_id is not None:
        changes["person_hold"] = None
    old_hold_id = booking.counselor_hold_id
    was = booking.status
    keeps_hold = new_status in ACTIVE_STATUSES and counselor is not None
    moves_hold = keeps_hold and (
        old_hold_id is None
        or starts_at != booking.starts_at
        or getattr(counselor, "pk", counselor) != booking.counselor_id
    )
    if moves_hold:
        changes["counselor_hold"] = _hold(counselor, starts_at, booking, now)
    elif not keeps_hold and old_hold_id is not None:
        changes["counselor_hold"] = None
    try:
        with transaction.atomic():
            updated = rows.update(**changes)
    except IntegrityError:
        raise SlotTakenError(booking.alternatives(now)) from None
    if not updated:
        raise ValidationError(error, code="wrong_status")
    if old_hold_id is not None and (moves_hold or not keeps_hold):
        _release(CounselorHold, old_hold_id)
    if old_person_id is not None and (moves_person or not keeps_person):
        _release(PersonHold, old_person_id)
    booking.refresh_from_db()
    if hasattr(booking, "state"):
        del booking.state
    # REQ ALR-1: a slot this booking no longer holds is news for those waiting for one.
    alerts.queue_if_freed(held, booking, now=now)
    if changes.get("status") == Status.CANCELLED:
        _record_cancellation(booking)
    if tell_user or booking.status != was:
        notify.drop_unfitting_mails(booking, was=was, told=tell_user, moved="starts_at" in changes)
    if changes.get("status") in (Status.COMPLETED, Status.CANCELLED):
        # One use in several rows ends as one (BTH-8); its other parts were never mailed.
        for part in booking.following_parts():
            transition(part, allowed_from=ACTIVE_STATUSES, error=error, now=now, **asked)
    return booking


def consent_missing(booking: Booking, *, now: datetime.datetime) -> bool:
    """Whether the booking's person has yet to accept the terms of its service in effect
    (REQ TRM-2, TRM-4): it may be booked, but not started or joined until they do."""
    return booking.user is not None and (
        consent_needed(user=booking.user, service=booking.service, now=now) is not None
    )


def bookings_bulk_create(model: type[Booking], rows: list[Booking], *, batch_size: int = 1000):
    """Store many new bookings at once (benchmarks, seeding), each active one with its person's
    and counselor's holds as `booking_insert` takes them (CON-7, CON-10). No checks, no mails:
    the rows must not double-book anyone, or the database refuses the batch."""
    holder = model._meta.label_lower
    active = [row for row in rows if row.status in ACTIVE_STATUSES]
    people = PersonHold.objects.bulk_create(
        [
            PersonHold(user_id=row.user_id, starts_at=row.starts_at, holder=holder)
            for row in active
            if row.user_id
        ],
        batch_size=batch_size,
    )
    counselors = CounselorHold.objects.bulk_create(
        [
            CounselorHold(counselor_id=row.counselor_id, starts_at=row.starts_at, holder=holder)
            for row in active
            if row.counselor_id
        ],
        batch_size=batch_size,
    )
    people_iter, counselors_iter = iter(people), iter(counselors)
    for row in active:
        if row.user_id:
            row.person_hold = next(people_iter)
        if row.counselor_id:
            row.counselor_hold = next(counselors_iter)
    return model.objects.bulk_create(rows, batch_size=batch_size)


def user_may_change(booking: Booking, now: datetime.datetime) -> bool:
    """Users cancel or move their own booking online until the deadline (BTH-4, CON-5); after
    it they phone the office."""
    from .availability import closures_for
    from .rules import user_deadline

    day = calendar.local(booking.starts_at).date()
    closures = closures_for(booking.office.pk, day, day)
    return booking.current_state(now) in AWAITING_STATUSES and now < user_deadline(
        booking.office, booking.starts_at, closures
    )


def ensure_started_window(booking: Booking, now: datetime.datetime) -> None:
    if not (booking.starts_at - START_OPENS_BEFORE <= now < booking.ends_at):
        raise ValidationError(
            _("This can be started only from %(minutes)s minutes before its start until its end.")
            % {"minutes": int(START_OPENS_BEFORE.total_seconds() // 60)},
            code="outside_window",
        )


# --- The transitions (REQ BTH-5, BTH-6, BTH-10, CON-5) ----------------------------------------


@transaction.atomic
def booking_confirm(
    *, booking: Booking, staff, phoned_at: datetime.datetime, now: datetime.datetime | None = None
) -> Booking:
    """Staff phoned the user and confirm (and so approve, BTH-7) the request."""
    now = now or timezone.now()
    if phoned_at > now:
        raise ValidationError({"phoned_at": _("The phone call can't be in the future.")})
    booking = transition(
        booking,
        allowed_from=[Status.REQUESTED],
        error=_("Only a requested booking can be confirmed."),
        now=now,
        status=Status.CONFIRMED,
        phoned_at=phoned_at,
        confirmed_at=now,
        confirmed_by=staff,
    )
    notify.mail_booking(booking, notify.CONFIRMED)
    return booking


@transaction.atomic
def booking_cancel_online(
    *, booking: Booking, user, now: datetime.datetime | None = None
) -> Booking:
    """The user cancels their own booking online, up to the deadline (BTH-4, BTH-5, CON-5)."""
    now = now or timezone.now()
    refused = _("This booking can no longer be cancelled online. Please phone the office.")
    if booking.user_id != user.pk or not user_may_change(booking, now):
        raise ValidationError(refused, code="too_late")
    booking = transition(
        booking,
        allowed_from=AWAITING_STATUSES,
        error=refused,
        now=now,
        tell_user=True,
        status=Status.CANCELLED,
        cancelled_at=now,
        cancelled_via=CancelledVia.ONLINE,
    )
    notify.mail_booking(booking, notify.CANCELLED)
    return booking


@transaction.atomic
def booking_cancel_by_phone(
    *, booking: Booking, staff, now: datetime.datetime | None = None
) -> Booking:
    """The user phoned to cancel; staff record it (BTH-5). Once the 10-minute rule has ended
    the booking it is a no-contact cancellation, before and after the job records it."""
    now = now or timezone.now()
    booking = transition(
        booking,
        allowed_from=AWAITING_STATUSES,
        error=_("This booking can no longer be cancelled: it has started or ended."),
        now=now,
        tell_user=True,
        status=Status.CANCELLED,
        cancelled_at=now,
        cancelled_via=CancelledVia.PHONE,
        cancelled_by=staff,
    )
    notify.mail_booking(booking, notify.CANCELLED)
    return booking


@transaction.atomic
def booking_move(
    *,
    booking: Booking,
    by,
    starts_at: datetime.datetime,
    now: datetime.datetime | None = None,
    **place,
) -> Booking:
    """Move a booking to another slot (and booth or counselor, `place`); the user is told.

    What was recorded for the old slot (late contact, reminder, join) does not carry over. The
    holds move with it; the old time is free again (CON-7, CON-10).
    """
    now = now or timezone.now()
    booking = transition(
        booking,
        allowed_from=AWAITING_STATUSES,
        error=_("Only a requested or confirmed booking can be moved."),
        now=now,
        tell_user=True,
        by_staff=getattr(by, "pk", by) != booking.user_id,
        starts_at=starts_at,
        ends_at=starts_at + calendar.SLOT,
        moved_at=now,
        late_contact_at=None,
        reminder_sent_at=None,
        joined_at=None,
        **place,
    )
    notify.mail_booking(booking, notify.MOVED)
    return booking


@transaction.atomic
def booking_record_late_contact(
    *, booking: Booking, staff, now: datetime.datetime | None = None
) -> Booking:
    """The user phoned to say they will be late (BTH-6). Only within the 10 minutes: after them
    the booking already is a no-contact cancellation (staff may reinstate it explicitly)."""
    now = now or timezone.now()
    return transition(
        booking,
        allowed_from=AWAITING_STATUSES,
        error=_(
            "Late contact can be recorded only before the 10 minutes after the start are up, "
            "for a booking not yet started. Reinstate it instead if the office agrees."
        ),
        now=now,
        late_contact_at=now,
    )


@transaction.atomic
def booking_reinstate(*, booking: Booking, staff, now: datetime.datetime | None = None) -> Booking:
    """Staff explicitly revive a booking the 10-minute rule ended (recorded or not)."""
    now = now or timezone.now()
    if booking.ends_at <= now:
        raise ValidationError(_("A booking that has ended can't be reinstated."))
    if booking.current_state(now) != Status.NO_SHOW:
        raise ValidationError(_("Only a booking cancelled for no contact can be reinstated."))
    back_to = Status.CONFIRMED if booking.phoned_at or booking.confirmed_at else Status.REQUESTED
    booking = transition(
        booking,
        allowed_from=[Status.NO_SHOW, *AWAITING_STATUSES],
        error=_("Only a booking cancelled for no contact can be reinstated."),
        now=now,
        respect_noshow=False,
        tell_user=booking.status == Status.NO_SHOW,
        status=back_to,
        reinstated_at=now,
        no_show_at=None,
    )
    notify.mail_booking(booking, notify.CONFIRMED)
    return booking


@transaction.atomic
def booking_start(*, booking: Booking, staff, now: datetime.datetime | None = None) -> Booking:
    """The user has arrived or the consultation has begun: the actual start (BTH-10).

    A booking staff made for someone may exist before they accepted the terms in effect; it
    starts only once they have, online or recorded at the counter (REQ TRM-4)."""
    now = now or timezone.now()
    ensure_started_window(booking, now)
    if consent_missing(booking, now=now):
        raise ValidationError(
            _(
                "This person has not accepted the terms of use in effect. Record their consent "
                "at the counter (Terms: consents, add) or ask them to accept online, then start."
            ),
            code="consent_needed",
        )
    return transition(
        booking,
        allowed_from=AWAITING_STATUSES,
        error=_("Only a requested or confirmed booking that is not a no-show can be started."),
        now=now,
        status=Status.CHECKED_IN,
        checked_in_at=now,
        actual_started_at=now,
    )


@transaction.atomic
def booking_complete(*, booking: Booking, staff, now: datetime.datetime | None = None) -> Booking:
    """The use has ended: the actual end (BTH-10)."""
    now = now or timezone.now()
    return transition(
        booking,
        allowed_from=[Status.CHECKED_IN],
        error=_("Only a booking in progress can be completed."),
        now=now,
        respect_noshow=False,
        status=Status.COMPLETED,
        completed_at=now,
        actual_ended_at=now,
    )


@transaction.atomic
def no_show_refusal(booking: Booking, now: datetime.datetime) -> ValidationError | None:
    """Why staff may not record this booking as a no-show now (BTH-6, CON-5), or None."""
    if booking.starts_at > now:
        return ValidationError(_("A booking can be a no-show only after it has started."))
    if booking.joined_at is not None:
        return ValidationError(
            _("Someone joined this consultation online, so it can't be a no-show."),
            code="joined",
        )
    if booking.checked_in_at is not None or booking.status in (
        Status.CHECKED_IN,
        Status.COMPLETED,
    ):
        return ValidationError(
            _("This booking was checked in or started, so it can't be a no-show."),
            code="started",
        )
    if booking.current_state(now) == State.NOT_CONFIRMED:
        return ValidationError(
            _(
                "The office never confirmed this request, so it can't be a no-show: it was "
                "closed at its start as not confirmed by the office."
            ),
            code="not_confirmed",
        )
    return None


def booking_mark_no_show(
    *, booking: Booking, staff, now: datetime.datetime | None = None
) -> Booking:
    """Staff record a no-show themselves (also after a late call that came to nothing): only a
    booking the office confirmed, after its start, that nobody joined and nobody started
    (BTH-6, CON-5). A request never confirmed closes by itself at its start, uncounted."""
    now = now or timezone.now()
    refusal = no_show_refusal(booking, now)
    if refusal is not None:
        raise refusal
    # The same conditions again in the UPDATE: a join or check-in committed a moment ago wins.
    booking = transition(
        booking,
        allowed_from=[Status.CONFIRMED],
        error=_(
            "Only a confirmed booking that nobody joined or started can be a no-show. "
            "Reload the page to see its state now."
        ),
        now=now,
        respect_noshow=False,
        tell_user=True,
        only_if=Q(joined_at__isnull=True, checked_in_at__isnull=True),
        status=Status.NO_SHOW,
        no_show_at=now,
        no_show_mailed_at=now,
    )
    notify.mail_booking(booking, notify.NO_SHOW)
    return booking


def _record_lapse(booking: Booking, rule: Q, *, kind: str, **changes) -> bool:
    """Record that time alone ended `booking` (still matching `rule`), free its slot and
    counselor and queue its mail, in one conditional UPDATE: False when someone else already
    did (the other job worker, or a staff member at the same moment)."""
    model = type(booking)
    updated = model.objects.filter(rule, pk=booking.pk).update(
        **changes,
        sequence=F("sequence") + 1,
        counselor_hold=None,
        person_hold=None,
    )
    if updated:
        if booking.counselor_hold_id:
            _release(CounselorHold, booking.counselor_hold_id)
        if booking.person_hold_id:
            _release(PersonHold, booking.person_hold_id)
        was = booking.status
        booking.refresh_from_db()
        notify.drop_unfitting_mails(booking, was=was, told=True)
        notify.mail_booking(booking, kind)
    return bool(updated)


def booking_record_no_show(booking: Booking, *, now: datetime.datetime) -> bool:
    """Record the 10-minute rule's no-show once and queue its mail (BTH-6); False when someone
    else already did."""
    return _record_lapse(
        booking,
        overdue_q(now),
        kind=notify.NO_SHOW,
        status=Status.NO_SHOW,
        no_show_at=now,
        no_show_mailed_at=now,
    )


def booking_record_not_confirmed(booking: Booking, *, now: datetime.datetime) -> bool:
    """Close a request that reached its start unconfirmed (BTH-6): cancelled "not confirmed
    by the office", the slot free, the person mailed once and asked to book again. Never a
    no-contact cancellation (BTH-7). False when someone else already did."""
    return _record_lapse(
        booking,
        not_confirmed_q(now),
        kind=notify.NOT_CONFIRMED,
        status=Status.CANCELLED,
        cancelled_at=now,
        cancelled_via=CancelledVia.NOT_CONFIRMED,
    )


def booking_record_lapse(booking: Booking, *, now: datetime.datetime) -> bool:
    """Record whichever rule of time has ended `booking` (see `lapsed_q`)."""
    if q_holds(overdue_q(now), booking):
        return booking_record_no_show(booking, now=now)
    return booking_record_not_confirmed(booking, now=now)


@transaction.atomic
def booking_set_counselor(
    *, booking: Booking, staff, counselor, now: datetime.datetime | None = None
) -> Booking:
    """Staff name (or change) the counselor; the hold follows (CON-7)."""
    now = now or timezone.now()
    if booking.status not in ACTIVE_STATUSES:
        raise ValidationError(_("The counselor of an ended booking can't be changed."))
    return transition(
        booking,
        allowed_from=ACTIVE_STATUSES,
        error=_("The counselor of an ended booking can't be changed."),
        now=now,
        respect_noshow=False,
        counselor=counselor,
    )


@transaction.atomic
def booking_cancel_for_account_end(
    *, booking: Booking, now: datetime.datetime | None = None, reason: str
):
    """An account is deleted (by its owner, or purged when dormant): its future bookings are
    cancelled with the real cause and the person is told first (REQ REG-5, REG-6)."""
    via = CancelledVia.DORMANT if reason == "dormant" else CancelledVia.ACCOUNT_DELETED
    booking = transition(
        booking,
        allowed_from=ACTIVE_STATUSES,
        error=_("This booking has already ended."),
        now=now,
        respect_noshow=False,
        tell_user=True,
        status=Status.CANCELLED,
        cancelled_at=now,
        cancelled_via=via,
    )
    # Written now: the person's data is erased in this transaction, the mail must tell them.
    notify.mail_booking(booking, notify.CANCELLED, compose_now=True)
    return booking


# --- Staff booking for someone (BTH-9, STF-1) --------------------------------------------------


@transaction.atomic
def booking_insert_confirmed(
    booking: Booking, *, staff, phoned_at: datetime.datetime, now: datetime.datetime
) -> Booking:
    """Insert a booking staff made, confirmed by the call or talk it came from; mail it."""
    now = now or timezone.now()
    booking.source = Source.STAFF
    booking.status = Status.CONFIRMED
    booking.phoned_at = phoned_at
    booking.confirmed_at = now
    booking.confirmed_by = staff
    booking.created_at = now
    booking, _created = booking_insert(booking, now=now)
    notify.mail_booking(booking, notify.CONFIRMED)
    return booking


def next_booking_fields(booking: Booking) -> dict:
    """What a counselor's "book the next one" copies from the session it is booked in."""
    if booking.status not in (Status.CHECKED_IN, Status.COMPLETED):
        raise ValidationError(_("The next booking is made during or after a session."))
    if booking.user is None:
        raise ValidationError(_("This person's account no longer exists."))
    return {
        "user": booking.user,
        "user_type": booking.user_type,
        "purpose": booking.purpose,
        "requester_name": booking.requester_name,
        "client_number": booking.client_number,
        "phone": booking.phone,
        "companions": booking.companions,
    }


# --- The jobs' work (BTH-6, NTF-1), over every registered booking model -----------------------


def record_overdue_no_shows(*, now: datetime.datetime | None = None) -> int:
    """Record every booking time alone has ended, once: no-shows by the 10-minute rule and
    requests unconfirmed at their start; free the slot and counselor, mail (BTH-6, CON-5).

    One pass per rule, so each query keeps its index condition on the start (one OR of both
    would read every active row). Each booking is claimed with FOR UPDATE SKIP LOCKED in its
    own transaction, so a second worker (or a staff member's transition in progress) never
    waits on it nor records it twice; the conditional UPDATE decides the rest."""
    now = now or timezone.now()
    recorded = 0
    for kind in booking_kinds():
        rows = kind.model.objects
        for lapsed, record in (
            (rows.overdue, booking_record_no_show),
            (rows.not_confirmed, booking_record_not_confirmed),
        ):
            due = lapsed(now).order_by().values_list("pk", flat=True)
            for pk in due.iterator(chunk_size=200):
                with transaction.atomic():
                    booking = (
                        lapsed(now)
                        .select_for_update(skip_locked=True, of=("self",))
                        .select_related(*kind.select_related, "user")
                        .filter(pk=pk)
                        .first()
                    )
                    if booking is not None:
                        recorded += record(booking, now=now)
    return recorded


def send_reminders(*, now: datetime.datetime | None = None) -> int:
    """Queue the day-before reminder of tomorrow's bookings, once each (NTF-1)."""
    now = now or timezone.now()
    tomorrow = calendar.local(now).date() + datetime.timedelta(days=1)
    start = datetime.datetime.combine(tomorrow, datetime.time(0), tzinfo=calendar.TOKYO)
    end = start + datetime.timedelta(days=1)
    sent = 0
    for kind in booking_kinds():
        candidates = kind.model.objects.filter(
            status__in=AWAITING_STATUSES,
            starts_at__gte=start,
            starts_at__lt=end,
            reminder_sent_at__isnull=True,
        ).select_related(*kind.select_related, "user")
        for booking in candidates.iterator(chunk_size=200):
            with transaction.atomic():
                claimed = kind.model.objects.filter(
                    pk=booking.pk,
                    reminder_sent_at__isnull=True,
                    status__in=AWAITING_STATUSES,
                    starts_at__gte=start,
                    starts_at__lt=end,
                ).update(reminder_sent_at=now)
                if claimed:
                    # The row as the claim locked it: a move since the candidates were read
                    # is in the reminder, never the time it replaced (NTF-3).
                    booking.refresh_from_db()
                    notify.mail_booking(booking, notify.REMINDER)
                    sent += 1
    return sent


@transaction.atomic
def bookings_release_for_deleted_user(*, user, now: datetime.datetime, reason: str) -> int:
    """Before an account is erased (REG-5, REG-6): cancel its future bookings of every kind with
    the real cause and mail the person, then erase personal data from the rows kept for the
    anonymised statistics. Robust to every state: ended and in-progress rows are kept."""
    cancelled = 0
    for kind in booking_kinds():
        future = kind.model.objects.for_user(user).filter(
            status__in=ACTIVE_STATUSES, starts_at__gt=now
        )
        for booking in future.select_related(*kind.select_related, "user"):
            booking_cancel_for_account_end(booking=booking, now=now, reason=reason)
            cancelled += 1
        kind.model.objects.for_user(user).update(**ERASED_BOOKING_VALUES, form_token=None)
        # The trail keeps what happened to each booking, not who it named (REQ REG-5).
        audit_erase(kind.model, values=ERASED_BOOKING_VALUES, user=user)
    return cancelled


# What a deleted account's bookings keep of its personal data (REQ REG-5).
ERASED_BOOKING_VALUES = {
    "requester_name": "",
    "client_number": "",
    "phone": "",
    "note": "",
    "companions": [],
}


def active_bookings_on(office_id: int, day: datetime.date, *, now: datetime.datetime) -> int:
    """Active bookings of both services at an office on `day` (closures refuse them, OFF-2)."""
    start = datetime.datetime.combine(day, datetime.time(0), tzinfo=calendar.TOKYO)
    end = start + datetime.timedelta(days=1)
    return sum(
        kind.model.objects.holding_slot(now)
        .filter(**{kind.office_lookup: office_id}, starts_at__gte=start, starts_at__lt=end)
        .count()
        for kind in booking_kinds()
    )
