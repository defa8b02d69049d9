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
from bookings.calendar import NO_SHOW_GRACE
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


# A pk no booking has, reversed in its place and replaced by each booking's own.
_PK_SENTINEL = 987654321987654321


# What a phone call ends in, the call list's buttons (REQ STF-1).
PHONE_ACTIONS = frozenset({"confirm_now", "cancel_phone"})


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

    @property
    def phone_actions(self) -> list[tuple[str, str]]:
        """The actions the call list offers: the ones a phone call ends in."""
        return [(action, label) for action, label in self.actions if action in PHONE_ACTIONS]


def user_type_label(value: str) -> str:
    return str(UserType(value).label) if value in UserType.values else ""


class PageEntries:
    """Makes one page's entries (REQ STF-1, NFR-4) at the cost of the bookings alone: each admin
    URL name is reversed once a page and the booking's pk put into it; labels (states, actions,
    user types, purposes, companions) are translated once a page; no entry makes a query."""

    def __init__(self, now: datetime.datetime):
        self.now = now
        self._urls: dict[str, tuple[str, str]] = {}
        self._labels: dict[tuple, object] = {}
        # The first moment after `now` at which an entry made so far shows otherwise by time
        # alone (`changes_at`); None while no entry will.
        self.changes_at: datetime.datetime | None = None

    def _note_changes(self, booking) -> None:
        """Keep the first moment after `now` at which this booking's entry changes by time
        alone: every comparison with `now` in `entry` and in the state rules (BTH-6) turns at
        one of these."""
        starts_at = booking.starts_at
        for moment in (
            starts_at - bookings.START_OPENS_BEFORE,  # "Start" offered
            starts_at,  # a request closes unconfirmed; "No-show" offered
            starts_at + NO_SHOW_GRACE,  # the 10-minute rule
            booking.ends_at,  # over: no start, reinstatement or consent link
        ):
            if moment > self.now and (self.changes_at is None or moment < self.changes_at):
                self.changes_at = moment

    def url(self, name: str, pk) -> str:
        """`reverse(name, args=[pk])`, reversed once a page for every pk."""
        around = self._urls.get(name)
        if around is None:
            before, _sentinel, after = reverse(name, args=[_PK_SENTINEL]).rpartition(
                str(_PK_SENTINEL)
            )
            around = self._urls[name] = (before, after)
        return f"{around[0]}{pk}{around[1]}"

    def _label(self, key: tuple, make):
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = make()
        return found

    def entry(self, booking, kind: str, *, place: str = "", terms_missing: bool = False) -> Entry:
        now = self.now
        label = self._label
        self._note_changes(booking)
        state = booking.current_state(now)
        opts = type(booking)._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}_"
        pk = booking.pk
        entry = Entry(
            booking=booking,
            kind=kind,
            state=state,
            state_label=label(("state", state), lambda: str(STATE_LABELS.get(state, state))),
            place=place,
            user_type=label(
                ("type", booking.user_type), lambda: user_type_label(booking.user_type)
            ),
            purpose=label((opts.label, booking.purpose), booking.get_purpose_display),
            companions=label(("companions", tuple(booking.companions)), booking.companion_labels),
            change_url=self.url(prefix + "change", pk),
            terms_missing=terms_missing,
        )
        awaiting = state in AWAITING_STATUSES
        if state == Status.REQUESTED:
            entry.actions.append(self._action("confirm_now"))
            entry.links.append(
                Link(
                    self.url(prefix + "confirm", pk),
                    label(("link", "confirm"), lambda: _("Confirm with the phone time")),
                )
            )
        if awaiting and terms_missing and booking.ends_at > now:
            # Starting waits for the consent: recorded at the counter, or given online.
            entry.links.append(
                Link(
                    f"{reverse('admin:terms_consent_add')}?user={booking.user_id}",
                    label(("link", "consent"), lambda: _("Record consent to the terms")),
                )
            )
        elif awaiting and booking.starts_at - bookings.START_OPENS_BEFORE <= now < booking.ends_at:
            model = type(booking)
            entry.actions.append(
                self._label(("action", "start", model), lambda: ("start", str(model.start_label)))
            )
        if state == Status.CHECKED_IN:
            entry.actions.append(self._action("complete"))
        # BTH-6: only a confirmed booking nobody joined or started can be a no-show.
        if state == Status.CONFIRMED and booking.starts_at <= now and booking.joined_at is None:
            entry.actions.append(self._action("no_show"))
        if awaiting:
            entry.actions.append(self._action("cancel_phone"))
            entry.links.append(
                Link(self.url(prefix + "move", pk), label(("link", "move"), lambda: _("Move")))
            )
        if state == Status.NO_SHOW and booking.ends_at > now:
            entry.actions.append(self._action("reinstate"))
        if state in (Status.CHECKED_IN, Status.COMPLETED) and booking.user_id:
            entry.links.append(
                Link(
                    self.url(prefix + "book_next", pk),
                    label(("link", "book_next"), lambda: _("Book next")),
                )
            )
        if kind == ONLINE and state in ACTIVE_STATUSES and not booking.join_url:
            entry.links.append(
                Link(
                    self.url(prefix + "link", pk),
                    label(("link", "join_url"), lambda: _("Set the meeting link")),
                )
            )
        return entry

    def _action(self, action: str) -> tuple[str, str]:
        return self._label(("action", action), lambda: (action, str(ACTION_LABELS[action])))


def entry_for(
    booking, kind: str, now: datetime.datetime, *, place: str = "", terms_missing: bool = False
) -> Entry:
    """One entry on its own; a page of them is cheaper through one `PageEntries`."""
    return PageEntries(now).entry(booking, kind, place=place, terms_missing=terms_missing)
