"""Writes particular to online consultations (REQ CON-1 … CON-8).

The life they share with booth reservations (confirm, cancel, move, start, complete, no-show,
the jobs, the mails) is in `bookings`; this module adds requesting a counselor's slot, the
meeting link, joining, and the counselors' availability.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import AccessKind, access_record
from accounts.terminal import client_details
from bookings import calendar, flows, notify
from bookings.models import AWAITING_STATUSES, CounselorHold, State, Status
from core.audit import acting_as
from terms.services import consent_needed

from .availability import offered_by
from .kind import ONLINE, OnlinePlace
from .models import (
    AvailabilityException,
    Consultation,
    ConsultationJoin,
    ExceptionKind,
    VideoTool,
)
from .video import join_url_problem

# The join button shows from this long before the start until the end (REQ CON-3).
JOIN_OPENS_BEFORE = datetime.timedelta(minutes=10)


def join_window(consultation: Consultation) -> tuple[datetime.datetime, datetime.datetime]:
    return consultation.starts_at - JOIN_OPENS_BEFORE, consultation.ends_at


def join_refusal_reason(consultation: Consultation, user, *, now: datetime.datetime) -> str | None:
    """Why `user` may not join now (CON-3, CON-4, TRM-4), or None. Staff of the office and the
    participant only; inside the window; not ended; the online terms in effect accepted."""
    opens, closes = join_window(consultation)
    state = consultation.current_state(now)
    if state not in (Status.CONFIRMED, Status.CHECKED_IN):
        return {
            State.REQUESTED: _("The office has not approved this consultation yet."),
            State.COMPLETED: _("This consultation has ended."),
            State.CANCELLED: _("This consultation was cancelled."),
            State.NO_SHOW: _(
                "This consultation was cancelled because nobody joined within 10 minutes of "
                "the start."
            ),
            State.NOT_CONFIRMED: _(
                "The office did not confirm this request, so the consultation does not take place."
            ),
        }[state]
    if now < opens:
        return _("The join button appears at %(time)s, 10 minutes before the start.") % {
            "time": calendar.format_datetime(opens)
        }
    if now >= closes:
        return _("This consultation has ended.")
    if not consultation.join_url:
        return _(
            "The office has not set the meeting link yet. Please phone %(office)s (%(phone)s)."
        ) % {"office": consultation.office.name, "phone": consultation.office.phone}
    if not user.is_staff and consent_needed(user=user, service="online", now=now) is not None:
        return _("The terms of use have changed. Please read and accept them first.")
    return None


def consultation_request(
    *,
    user,
    starts_at: datetime.datetime,
    counselor=None,
    video_tool: VideoTool,
    form_token: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
    **details,
) -> Consultation:
    """Book a counselor's slot online (CON-1, CON-5 … CON-8): the shared sequence
    (`bookings.flows.booking_request`) with the counselor (or "any") and the tool as the
    place. Booked at once; after repeated no-contact cancellations a request (BTH-7)."""
    return flows.booking_request(
        kind=ONLINE,
        user=user,
        place=OnlinePlace(office=user.office, counselor=counselor, video_tool=video_tool),
        starts_at=starts_at,
        form_token=form_token,
        now=now,
        **details,
    )


def consultation_move_by_user(
    *, consultation: Consultation, user, starts_at: datetime.datetime, now=None
) -> Consultation:
    """The participant moves their consultation to another free slot before the deadline; with
    the same counselor if they offer it, else the first free one."""
    counselor = consultation.counselor
    keeps = counselor is not None and offered_by(counselor, starts_at)
    return flows.booking_move_by_user(
        kind=ONLINE,
        booking=consultation,
        user=user,
        place=OnlinePlace.of(consultation)
        if keeps
        else replace(OnlinePlace.of(consultation), counselor=None),
        starts_at=starts_at,
        now=now,
    )


def consultation_move_by_staff(
    *,
    consultation: Consultation,
    staff,
    starts_at: datetime.datetime,
    counselor,
    override: bool = False,
    now=None,
) -> Consultation:
    """The office moves a consultation to another slot or counselor of its own; the user is told."""
    return flows.booking_move_by_staff(
        kind=ONLINE,
        booking=consultation,
        staff=staff,
        place=OnlinePlace.of(consultation, counselor=counselor),
        starts_at=starts_at,
        override=override,
        now=now,
    )


def consultation_book_for_caller(
    *,
    user,
    staff,
    counselor,
    starts_at: datetime.datetime,
    purpose: str,
    video_tool: VideoTool,
    phoned_at: datetime.datetime | None = None,
    override: bool = False,
    now=None,
) -> Consultation:
    """Staff book an online consultation for someone on the phone (STF-1), confirmed by that
    call; the users' cut-off and cap do not bind staff, the eligibility rules do (CON-6)."""
    return flows.booking_book_for_caller(
        kind=ONLINE,
        user=user,
        staff=staff,
        place=OnlinePlace(office=counselor.office, counselor=counselor, video_tool=video_tool),
        starts_at=starts_at,
        purpose=purpose,
        phoned_at=phoned_at,
        override=override,
        now=now,
    )


def consultation_book_next(
    *,
    consultation: Consultation,
    staff,
    starts_at: datetime.datetime,
    override: bool = False,
    now=None,
) -> Consultation:
    """During a consultation the counselor books the next one with them (BTH-9, CON-5)."""
    return flows.booking_book_next(
        kind=ONLINE,
        booking=consultation,
        staff=staff,
        place=OnlinePlace.of(consultation),
        starts_at=starts_at,
        override=override,
        now=now,
    )


@transaction.atomic
def consultation_set_join_url(
    *, consultation: Consultation, staff, video_tool: VideoTool, join_url: str, now=None
) -> Consultation:
    """Staff set the meeting link (CON-2); the participant is mailed that it is ready."""
    now = now or timezone.now()
    if video_tool.office_id != consultation.office_id:
        raise ValidationError({"video_tool": _("Choose a video tool of this office.")})
    problem = join_url_problem(join_url, video_tool.host_list()) if join_url else None
    if problem:
        raise ValidationError({"join_url": problem})
    had_link = bool(consultation.join_url)
    with acting_as(user=staff):  # the trail names the staff member (REQ STF-2)
        updated = Consultation.objects.filter(
            pk=consultation.pk, status__in=AWAITING_STATUSES
        ).update(
            video_tool=video_tool, join_url=join_url, join_url_set_at=now if join_url else None
        )
    if not updated:
        raise ValidationError(_("The link of an ended consultation can't be changed."))
    consultation.refresh_from_db()
    if join_url and not had_link:
        notify.mail_booking(consultation, notify.LINK_READY)
    return consultation


def checklist_confirmation(consultation: Consultation, user) -> ConsultationJoin | None:
    """The join with which `user` confirmed the checklist of this consultation (CON-4), if any."""
    return (
        ConsultationJoin.objects.filter(
            consultation=consultation, user=user, tool_terms_accepted=True
        )
        .order_by("at")
        .first()
    )


def checklist_needed(consultation: Consultation, user) -> bool:
    """Whether `user` must tick the checklist before joining: the participant, once per
    consultation, before their first join (CON-4)."""
    return consultation.user_id == user.pk and checklist_confirmation(consultation, user) is None


@transaction.atomic
def consultation_join(
    *, consultation: Consultation, user, request, checklist: dict | None = None, now=None
) -> str:
    """Record one join (time, IP, browser, and before the participant's first join the
    checklist they confirmed) and give the video link (CON-3, CON-4, LOG-1).

    `checklist`: every point of `JoinChecklistForm` ticked, with the tool's name and terms
    address as shown; required before the first join (the database refuses that join without
    it), ignored after it.
    """
    now = now or timezone.now()
    reason = join_refusal_reason(consultation, user, now=now)
    if reason:
        raise ValidationError(reason, code="no_join")
    needed = checklist_needed(consultation, user)
    if needed and not (checklist and checklist.get("tool_terms_accepted")):
        raise ValidationError(
            _("Tick each point of the checklist before you join."), code="checklist"
        )
    ip_address, user_agent = client_details(request)
    ConsultationJoin.objects.create(
        consultation=consultation,
        user=user,
        at=now,
        ip_address=ip_address,
        user_agent=user_agent,
        **(checklist if needed else {}),
    )
    access_record(  # REQ LOG-1
        kind=AccessKind.JOIN,
        subject=consultation.user_id,
        obj=consultation,
        request=request,
        office_id=consultation.office_id,
    )
    if consultation.user_id == user.pk:
        # The first join by the participant counts as their arrival for the 10-minute rule;
        # it can only happen while the rule has not ended the booking (see join_refusal_reason).
        Consultation.objects.filter(pk=consultation.pk, joined_at__isnull=True).update(
            joined_at=now
        )
    return consultation.join_url


# --- Availability (REQ CON-1) -----------------------------------------------------------------


@transaction.atomic
def availability_withdraw_slot(
    *, counselor, starts_at: datetime.datetime, staff
) -> AvailabilityException:
    """Withdraw one slot; refused while a booking holds the counselor in it."""
    if CounselorHold.objects.filter(counselor=counselor, starts_at=starts_at).exists():
        raise ValidationError(
            _(
                "This counselor has a booking in this slot. Move or cancel it first (the user "
                "is told), then withdraw the slot."
            )
        )
    with acting_as(user=staff):  # the trail names the staff member (REQ STF-2)
        exception, _created = AvailabilityException.objects.update_or_create(
            counselor=counselor,
            starts_at=starts_at,
            defaults={"office_id": counselor.office_id, "kind": ExceptionKind.WITHDRAWN},
        )
    return exception


def availability_unbooked_problem(*, counselor, now=None) -> str | None:
    """After a change to a counselor's weekly pattern: a future consultation of theirs that
    the availability no longer covers (the change must then be refused, CON-1)."""
    now = now or timezone.now()
    # A booking staff made outside the published times on purpose never holds a change up (CON-9).
    for consultation in Consultation.objects.filter(
        counselor=counselor,
        status__in=AWAITING_STATUSES,
        starts_at__gt=now,
        outside_availability=False,
    ).select_related("counselor__office"):
        if not offered_by(counselor, consultation.starts_at):
            return _(
                "The consultation on %(slot)s would no longer be covered. Move or cancel it "
                "first (the user is told), then change the availability."
            ) % {"slot": calendar.format_slot(consultation.starts_at, consultation.ends_at)}
    return None
