"""One booking as the workplace pages show it: who, the true state (the 10-minute rule, as on
the user pages) and the one-click actions that apply now (REQ STF-1, BTH-6)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import UserType
from bookings import services as bookings
from bookings.models import ACTIVE_STATUSES, AWAITING_STATUSES, State, Status

from .pages import ONLINE

# Short labels for staff: the user-facing ones speak to the user ("the office will phone you").
STATE_LABELS = {
    Status.REQUESTED: gettext_lazy("Requested: phone to confirm"),
    Status.CONFIRMED: gettext_lazy("Confirmed"),
    Status.CHECKED_IN: gettext_lazy("In progress"),
    Status.COMPLETED: gettext_lazy("Completed"),
    Status.CANCELLED: gettext_lazy("Cancelled"),
    Status.NO_SHOW: Status.NO_SHOW.label,
    State.NOT_CONFIRMED: gettext_lazy("Closed: never confirmed (not a no-show)"),
}

ACTION_LABELS = {
    "confirm_now": gettext_lazy("Confirm: phoned now"),
    "start": gettext_lazy("Start"),  # each kind says it its own way: `Booking.start_label`
    "complete": gettext_lazy("Complete"),
    "no_show": gettext_lazy("No-show"),
    "cancel_phone": gettext_lazy("Cancel (the user phoned)"),
    "reinstate": gettext_lazy("Reinstate"),
}


@dataclass
class Link:
    url: str
    label: str


@dataclass
class Entry:
    """One booking as the pages show it: who, the true state, what staff may do now."""

    booking: object
    kind: str
    state: str
    state_label: str
    place: str
    user_type: str
    purpose: str
    companions: list[str]
    change_url: str
    actions: list[tuple[str, str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    # REQ TRM-4: booked, but not to be started until the person accepts the terms in effect.
    terms_missing: bool = False

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATUSES


def user_type_label(value: str) -> str:
    return str(UserType(value).label) if value in UserType.values else ""


def entry_for(
    booking, kind: str, now: datetime.datetime, *, place: str = "", terms_missing: bool = False
) -> Entry:
    state = booking.current_state(now)
    opts = type(booking)._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}_"
    entry = Entry(
        booking=booking,
        kind=kind,
        state=state,
        state_label=str(STATE_LABELS.get(state, state)),
        place=place,
        user_type=user_type_label(booking.user_type),
        purpose=booking.get_purpose_display(),
        companions=booking.companion_labels(),
        change_url=reverse(prefix + "change", args=[booking.pk]),
        terms_missing=terms_missing,
    )
    awaiting = state in AWAITING_STATUSES
    if state == Status.REQUESTED:
        entry.actions.append(("confirm_now", str(ACTION_LABELS["confirm_now"])))
        entry.links.append(
            Link(reverse(prefix + "confirm", args=[booking.pk]), _("Confirm with the phone time"))
        )
    if awaiting and terms_missing and booking.ends_at > now:
        # Starting waits for the consent: recorded at the counter, or given online.
        entry.links.append(
            Link(
                f"{reverse('admin:terms_consent_add')}?user={booking.user_id}",
                _("Record consent to the terms"),
            )
        )
    elif awaiting and booking.starts_at - bookings.START_OPENS_BEFORE <= now < booking.ends_at:
        entry.actions.append(("start", str(type(booking).start_label)))
    if state == Status.CHECKED_IN:
        entry.actions.append(("complete", str(ACTION_LABELS["complete"])))
    # BTH-6: only a confirmed booking nobody joined or started can be a no-show.
    if state == Status.CONFIRMED and booking.starts_at <= now and booking.joined_at is None:
        entry.actions.append(("no_show", str(ACTION_LABELS["no_show"])))
    if awaiting:
        entry.actions.append(("cancel_phone", str(ACTION_LABELS["cancel_phone"])))
        entry.links.append(Link(reverse(prefix + "move", args=[booking.pk]), _("Move")))
    if state == Status.NO_SHOW and booking.ends_at > now:
        entry.actions.append(("reinstate", str(ACTION_LABELS["reinstate"])))
    if state in (Status.CHECKED_IN, Status.COMPLETED) and booking.user_id:
        entry.links.append(Link(reverse(prefix + "book_next", args=[booking.pk]), _("Book next")))
    if kind == ONLINE and state in ACTIVE_STATUSES and not booking.join_url:
        entry.links.append(
            Link(reverse(prefix + "link", args=[booking.pk]), _("Set the meeting link"))
        )
    return entry
