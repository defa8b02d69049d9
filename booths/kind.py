"""A booth reservation as a kind of booking: what the shared sequences (`bookings.flows`) ask
of booths. The place is a `Booth`."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.eligibility import booking_block_reason
from accounts.models import UserType
from bookings.registry import BookingKind

from .models import EMPLOYER_PURPOSES, JOB_SEEKER_PURPOSES, Booth, Reservation


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


class BoothKind(BookingKind):
    model = Reservation
    office_lookup = "booth__office"
    cap_field = "max_active_booth_reservations"
    select_related = ("booth__office",)
    place_field = "booth"

    def office_of(self, booth: Booth):
        return booth.office

    def check_place(self, booth: Booth) -> None:
        """Any booth will do here: whether it takes bookings is part of `refusal_reason`."""

    def availability_refusal_reason(self, booth: Booth, starts_at: datetime.datetime) -> None:
        """A booth publishes no hours of its own: the office calendar is its availability."""
        return None

    def refusal_reason(
        self, user, booth: Booth, *, now: datetime.datetime, verified: bool | None = None
    ) -> str | None:
        return booking_refusal_reason(user, booth, now=now, verified=verified)

    def purposes(self, user) -> list[str]:
        return purposes_for(user)

    def candidates(self, booth: Booth, starts_at: datetime.datetime, *, now: datetime.datetime):
        return [{"booth": booth}]

    def alternatives(self, booth: Booth, *, now: datetime.datetime) -> list:
        from .availability import free_slots_from

        return free_slots_from(booth, now=now)

    # Earlier-slot alerts (REQ ALR-1): the place is a booth.

    def alert_places(self, office) -> list[tuple[int, str]]:
        if not office.offers_booths:
            return []
        return list(
            Booth.objects.filter(office=office, is_active=True)
            .order_by("name", "pk")
            .values_list("pk", "name")
        )

    def alert_place_id(self, booking) -> int | None:
        return booking.booth_id

    def alert_slot_free(self, office, place_id, starts_at, *, now) -> bool:
        open_booth = Booth.objects.filter(
            pk=place_id, office=office, is_active=True, office__offers_booths=True
        ).exists()
        return (
            open_booth
            and not Reservation.objects.filter(booth_id=place_id, starts_at=starts_at)
            .holding_slot(now)
            .exists()
        )

    def alert_slot_url(self, place_id, starts_at) -> str:
        from bookings.pages import slot_url

        return slot_url("booths:request", place_id, starts_at)

    def alert_where(self, office, place_id) -> str:
        booth = Booth.objects.filter(pk=place_id).values_list("name", flat=True).first()
        return _("Consultation booth %(booth)s at the office") % {"booth": booth or ""}

    def alert_people_q(self):
        return Q(user_type__in=[UserType.JOB_SEEKER, UserType.EMPLOYER])


BOOTHS = BoothKind()
