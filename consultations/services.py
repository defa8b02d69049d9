"""Writes particular to online consultations (REQ CON-1 … CON-8).

The life they share with booth reservations (confirm, cancel, move, start, complete, no-show,
the jobs, the mails) is in `bookings`; this module adds requesting a counselor's slot, the
meeting link, joining, and the counselors' availability.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import client_details
from bookings import calendar, notify
from bookings import services as bookings
from bookings.availability import closures_for
from bookings.models import AWAITING_STATUSES, CounselorHold, Status
from bookings.rules import (
    cap_refusal_reason,
    lock_user,
    noshow_approval_reason,
    profile_fields,
    request_refusal_reason,
    staff_slot_refusal_reason,
)
from core.access import AccessKind, access_record
from core.audit import acting_as
from terms.services import consent_needed

from .availability import free_counselors_at, free_slots_from, offered_by
from .eligibility import online_refusal_reason
from .models import (
    AvailabilityException,
    Consultation,
    ConsultationJoin,
    ConsultationPurpose,
    CounselorVideoDefault,
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
    if consultation.current_state(now) not in (Status.CONFIRMED, Status.CHECKED_IN):
        if consultation.current_state(now) == Status.REQUESTED:
            return _("The office has not approved this consultation yet.")
        return _("This consultation is not taking place.")
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


def video_tools_for(office) -> list[VideoTool]:
    return list(VideoTool.objects.filter(office=office, is_active=True).order_by("name"))


def _default_url(counselor, video_tool: VideoTool) -> str:
    default = CounselorVideoDefault.objects.filter(
        counselor=counselor, video_tool=video_tool
    ).first()
    if default and join_url_problem(default.join_url, video_tool.host_list()) is None:
        return default.join_url
    return ""


def _check_online_slot(office, starts_at: datetime.datetime, *, now, staff: bool) -> None:
    day = calendar.local(starts_at).date()
    closures = closures_for(office.pk, day, day)
    check = staff_slot_refusal_reason if staff else request_refusal_reason
    reason = check(office, starts_at, now=now, closures=closures)
    if reason:
        raise ValidationError(reason, code="not_bookable")


def _pick_counselor(office, starts_at, counselor, *, now):
    """The chosen counselor if they offer the slot, or the first free one for "any"."""
    if counselor is not None:
        if counselor.office_id != office.pk or not offered_by(counselor, starts_at):
            raise ValidationError(
                _("This counselor does not take online consultations at this time."),
                code="not_offered",
            )
        return counselor
    free = free_counselors_at(office, starts_at, now=now)
    if not free:
        raise bookings.SlotTakenError(free_slots_from(office, now=now))
    return free[0]


@transaction.atomic
def consultation_request(
    *,
    user,
    starts_at: datetime.datetime,
    counselor=None,
    video_tool: VideoTool,
    purpose: str,
    requester_name: str,
    phone: str,
    client_number: str = "",
    companions: Iterable[str] = (),
    note: str = "",
    form_token: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
) -> Consultation:
    """Book a counselor's slot online (CON-1, CON-5 … CON-8). Idempotent per `form_token`.

    Booked at once; after repeated no-contact cancellations (BTH-7) it is a request that
    holds the slot until staff approve it by phone.
    """
    now = now or timezone.now()
    lock_user(user)
    if form_token:
        existing = Consultation.objects.filter(form_token=form_token, user=user).first()
        if existing is not None:
            return existing
    reason = online_refusal_reason(user)
    if reason:
        raise ValidationError(reason, code="refused")
    office = user.office
    if purpose not in ConsultationPurpose.values:
        raise ValidationError({"purpose": _("Choose one of the purposes offered.")})
    if video_tool.office_id != office.pk or not video_tool.is_active:
        raise ValidationError({"video_tool": _("Choose one of the video tools offered.")})
    _check_online_slot(office, starts_at, now=now, staff=False)
    reason = cap_refusal_reason(user, Consultation, office, now=now)
    if reason:
        raise ValidationError(reason, code="cap")
    needs_approval = noshow_approval_reason(user, office, now=now) is not None
    # "Any counselor": if the first free one is taken a moment ago, try the others (BTH-2).
    candidates = (
        [counselor] if counselor is not None else free_counselors_at(office, starts_at, now=now)
    )
    if counselor is not None:
        _pick_counselor(office, starts_at, counselor, now=now)
    for candidate in candidates:
        join_url = _default_url(candidate, video_tool)
        try:
            consultation, created = bookings.booking_insert(
                Consultation(
                    office=office,
                    counselor=candidate,
                    user=user,
                    user_type=user.user_type,
                    starts_at=starts_at,
                    ends_at=starts_at + calendar.SLOT,
                    video_tool=video_tool,
                    join_url=join_url,
                    # Set with the row, not updated after it: one write, one trigger run.
                    join_url_set_at=now if join_url else None,
                    purpose=purpose,
                    requester_name=requester_name,
                    client_number=client_number,
                    phone=phone,
                    companions=list(companions),
                    note=note,
                    form_token=form_token,
                    needs_approval=needs_approval,
                    status=Status.REQUESTED if needs_approval else Status.CONFIRMED,
                    confirmed_at=None if needs_approval else now,
                    created_at=now,
                ),
                now=now,
            )
        except bookings.SlotTakenError:
            continue
        break
    else:
        raise bookings.SlotTakenError(free_slots_from(office, counselor=counselor, now=now))
    if created:
        notify.mail_booking(consultation, notify.RECEIVED if needs_approval else notify.CONFIRMED)
    return consultation


@transaction.atomic
def consultation_move_by_user(
    *, consultation: Consultation, user, starts_at: datetime.datetime, now=None
) -> Consultation:
    """The participant moves their consultation to another free slot before the deadline."""
    now = now or timezone.now()
    if consultation.user_id != user.pk or not bookings.user_may_change(consultation, now):
        raise ValidationError(
            _("This consultation can no longer be moved online. Please phone the office."),
            code="too_late",
        )
    office = consultation.office
    _check_online_slot(office, starts_at, now=now, staff=False)
    counselor = consultation.counselor
    if not offered_by(counselor, starts_at):
        counselor = _pick_counselor(office, starts_at, None, now=now)
    return bookings.booking_move(
        booking=consultation, by=user, now=now, starts_at=starts_at, counselor=counselor
    )


@transaction.atomic
def consultation_move_by_staff(
    *, consultation: Consultation, staff, starts_at: datetime.datetime, counselor, now=None
) -> Consultation:
    """The office moves a consultation to another slot or counselor of its own; the user is told."""
    now = now or timezone.now()
    if counselor.office_id != consultation.office_id:
        raise ValidationError({"counselor": _("Choose a counselor of the same office.")})
    _check_online_slot(consultation.office, starts_at, now=now, staff=True)
    return bookings.booking_move(
        booking=consultation, by=staff, now=now, starts_at=starts_at, counselor=counselor
    )


@transaction.atomic
def consultation_book_for_caller(
    *,
    user,
    staff,
    counselor,
    starts_at: datetime.datetime,
    purpose: str,
    video_tool: VideoTool,
    phoned_at: datetime.datetime | None = None,
    now=None,
) -> Consultation:
    """Staff book an online consultation for someone on the phone (STF-1), confirmed by that
    call; the users' cut-off and cap do not bind staff, the eligibility rules do (CON-6)."""
    now = now or timezone.now()
    reason = online_refusal_reason(user)
    if reason:
        raise ValidationError(reason, code="refused")
    if counselor.office_id != user.office_id or video_tool.office_id != user.office_id:
        raise ValidationError(_("Choose a counselor and a video tool of the user's office."))
    if purpose not in ConsultationPurpose.values:
        raise ValidationError({"purpose": _("Choose one of the purposes offered.")})
    _check_online_slot(user.office, starts_at, now=now, staff=True)
    return _insert_by_staff(
        user=user,
        counselor=counselor,
        video_tool=video_tool,
        starts_at=starts_at,
        fields={"purpose": purpose, **profile_fields(user)},
        staff=staff,
        phoned_at=phoned_at or now,
        now=now,
    )


@transaction.atomic
def consultation_book_next(
    *, consultation: Consultation, staff, starts_at: datetime.datetime, now=None
) -> Consultation:
    """During a consultation the counselor books the next one with them (BTH-9, CON-5)."""
    now = now or timezone.now()
    fields = bookings.next_booking_fields(consultation)
    reason = online_refusal_reason(fields["user"])
    if reason:
        raise ValidationError(reason, code="refused")
    _check_online_slot(consultation.office, starts_at, now=now, staff=True)
    return _insert_by_staff(
        user=fields.pop("user"),
        counselor=consultation.counselor,
        video_tool=consultation.video_tool,
        starts_at=starts_at,
        fields=fields,
        staff=staff,
        phoned_at=now,
        now=now,
    )


def _insert_by_staff(*, user, counselor, video_tool, starts_at, fields, staff, phoned_at, now):
    fields.setdefault("user_type", user.user_type)
    url = _default_url(counselor, video_tool)
    return bookings.booking_insert_confirmed(
        Consultation(
            office=counselor.office,
            counselor=counselor,
            user=user,
            starts_at=starts_at,
            ends_at=starts_at + calendar.SLOT,
            video_tool=video_tool,
            join_url=url,
            join_url_set_at=now if url else None,
            **fields,
        ),
        staff=staff,
        phoned_at=phoned_at,
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


@transaction.atomic
def consultation_join(*, consultation: Consultation, user, request, now=None) -> str:
    """Record one join (time, IP, browser) and give the video link (CON-3, LOG-1)."""
    now = now or timezone.now()
    reason = join_refusal_reason(consultation, user, now=now)
    if reason:
        raise ValidationError(reason, code="no_join")
    ip_address, user_agent = client_details(request)
    ConsultationJoin.objects.create(
        consultation=consultation, user=user, at=now, ip_address=ip_address, user_agent=user_agent
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
    for consultation in Consultation.objects.filter(
        counselor=counselor, status__in=AWAITING_STATUSES, starts_at__gt=now
    ).select_related("counselor__office"):
        if not offered_by(counselor, consultation.starts_at):
            return _(
                "The consultation on %(slot)s would no longer be covered. Move or cancel it "
                "first (the user is told), then change the availability."
            ) % {"slot": calendar.format_slot(consultation.starts_at, consultation.ends_at)}
    return None
