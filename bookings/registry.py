"""The kinds of booking, so the shared code can see and drive every one of them.

bookings sits below both services: it imports neither. Each service describes its kind of
booking with a `BookingKind` subclass and registers it in its `AppConfig.ready()`. The refusal
rule, the per-person caps, closures, the jobs and account deletion read every registered model;
the request, move, book-next and book-for-caller sequences (`bookings.flows`) ask the kind for
what only it knows: who may book it, its purposes, its place (a booth; a counselor and a video
tool) and the place's published availability.

A "place" is whatever the kind books: the booths app passes a `Booth`, the consultations app an
`OnlinePlace` (office, counselor or None for "any", video tool).
"""

from __future__ import annotations

import datetime


class BookingKind:
    model: type  # a concrete subclass of bookings.models.Booking
    office_lookup: str  # path from the model to its office, e.g. "booth__office"
    cap_field: str  # the Office field with the per-person cap of active future bookings
    select_related: tuple[str, ...] = ()
    # The form field the place is chosen with, for errors shown next to it.
    place_field: str = ""

    @property
    def service(self) -> str:
        return self.model.service

    # --- Hooks the sequences call -------------------------------------------------------------

    def office_of(self, place):
        raise NotImplementedError

    def check_place(self, place) -> None:
        """Raise a ValidationError keyed by field when the place is not one of its office's
        (a video tool of another office, say)."""

    def refusal_reason(
        self, user, place, *, now: datetime.datetime, verified: bool | None = None
    ) -> str | None:
        """Why `user` can't book `place` at all (eligibility, the place closed to bookings).
        `verified`: whether the user has a verified e-mail address, when the caller knows."""
        raise NotImplementedError

    def purposes(self, user) -> list[str]:
        raise NotImplementedError

    def availability_refusal_reason(self, place, starts_at: datetime.datetime) -> str | None:
        """Why `starts_at` is outside what the place publishes (withdrawn, not offered), beyond
        the office calendar; None when it is offered, or the kind publishes nothing more."""
        return None

    def candidates(self, place, starts_at: datetime.datetime, *, now: datetime.datetime):
        """The place fields to try, in order, for a booking at `starts_at` (e.g. each free
        counselor for "any counselor")."""
        raise NotImplementedError

    def move_fields(self, place, starts_at: datetime.datetime, *, now: datetime.datetime):
        """The fields a move to `place` changes besides the time (the booth; the counselor)."""
        return next(iter(self.candidates(place, starts_at, now=now)), {})

    def alternatives(self, place, *, now: datetime.datetime) -> list:
        """Free slots to offer when the slot was just taken (BTH-2)."""
        return []

    # --- Hooks of the earlier-slot alerts (REQ ALR-1, `bookings.alerts`) -----------------------
    # An alert names a place by one id: a booth's, or a counselor's for online consultations.

    def alert_places(self, office) -> list[tuple[int, str]]:
        """The places of `office` an alert may name, as (id, label)."""
        return []

    def alert_place_id(self, booking) -> int | None:
        """The place id of a booking's slot (its booth, or its counselor)."""
        return None

    def alert_slot_free(self, office, place_id: int, starts_at: datetime.datetime, *, now) -> bool:
        """Whether the place publishes `starts_at` and nobody holds it now."""
        return False

    def alert_slot_url(self, place_id: int, starts_at: datetime.datetime) -> str:
        """The request page of the slot (what the alert mail links to)."""
        raise NotImplementedError

    def alert_where(self, office, place_id: int) -> str:
        """Where the slot is, for the mail: the booth, or the counselor and the video tools."""
        raise NotImplementedError

    def alert_people_q(self):
        """Who may book this kind, beyond the rules every booking shares, as a `Q` over users
        (the freeing job selects everyone at once, REQ NFR-4). Fixed values only, never the
        moment: the job builds its statement once a process (`alerts._compiled`)."""
        from django.db.models import Q

        return Q()

    def new_booking(self, place_fields: dict, starts_at: datetime.datetime, **fields):
        """An unsaved booking of one slot with the given place fields."""
        from .calendar import SLOT

        return self.model(starts_at=starts_at, ends_at=starts_at + SLOT, **place_fields, **fields)


_kinds: dict[str, BookingKind] = {}


def register(kind: BookingKind) -> BookingKind:
    _kinds[kind.service] = kind
    return kind


def booking_kinds() -> list[BookingKind]:
    return list(_kinds.values())


def kind_of(model_or_booking) -> BookingKind:
    return _kinds[model_or_booking.service]
