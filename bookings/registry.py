"""The booking models of both services, so shared rules can see all of them.

consultations is below booths: it cannot import booth reservations, so booths registers its
model here in `AppConfig.ready()` (as it registers jobs and demo steps). The refusal rule, the
per-person caps, closures, the jobs and account deletion then read every registered model.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BookingKind:
    model: type  # a concrete subclass of consultations.models.Booking
    office_lookup: str  # path from the model to its office, e.g. "booth__office"
    cap_field: str  # the Office field with the per-person cap of active future bookings
    select_related: tuple[str, ...] = ()


_kinds: dict[str, BookingKind] = {}


def register(kind: BookingKind) -> BookingKind:
    _kinds[kind.model.service] = kind
    return kind


def booking_kinds() -> list[BookingKind]:
    return list(_kinds.values())


def kind_of(model_or_booking) -> BookingKind:
    return _kinds[model_or_booking.service]
