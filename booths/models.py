"""Booths and their reservations (REQ BTH-1 … BTH-10).

A reservation holds one 30-minute slot of one booth. The database refuses a second active
reservation for the same booth and start; the counselor rule across both services and the life
of a reservation (statuses, the 10-minute rule, transitions) are the shared
`consultations.models.Booking`'s. The names below are re-exported for the booths code.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Office
from bookings.models import (  # noqa: F401  (re-exported for the booths code)
    ACTIVE_STATUSES,
    AWAITING_STATUSES,
    BOOKING_UNTRACKED,
    Booking,
    CancelledVia,
    Companion,
    Source,
    Status,
    holder_field,
)
from core.audit import audit_track
from core.dates import format_slot


@audit_track(indexes=["office"])  # REQ STF-2
class Booth(models.Model):
    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="booths"
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("booth")
        verbose_name_plural = _("booths")
        ordering = ["office", "name"]
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="booths_booth_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.name}"


class Purpose(models.TextChoices):
    JOB_CONSULTATION = "job_consultation", _("Job consultation")
    JOB_REFERRAL = "job_referral", _("Job referral")
    INTERVIEW = "interview", _("Interview")
    SELECTION = "selection", _("Selection")


JOB_SEEKER_PURPOSES = [Purpose.JOB_CONSULTATION, Purpose.JOB_REFERRAL]
EMPLOYER_PURPOSES = [Purpose.INTERVIEW, Purpose.SELECTION]


@audit_track(  # REQ STF-2
    exclude=BOOKING_UNTRACKED,
    office_model="accounts.Office",
    office_sql="(SELECT office_id FROM booths_booth WHERE id = NEW.booth_id)",
    indexes=["user"],
)
class Reservation(Booking):
    """One 30-minute slot of one booth (REQ BTH-1); its life is the shared `Booking`'s."""

    # Indexed together with starts_at below; that index also serves lookups by booth alone.
    booth = models.ForeignKey(
        Booth,
        verbose_name=_("booth"),
        on_delete=models.PROTECT,
        related_name="reservations",
        db_index=False,
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    # An ad-hoc use lasts 30 minutes (BTH-8): started during a slot, it also takes the next
    # slot of the booth as a second row (one row, one slot: BTH-1), which points here. That
    # row is started with the use (checked in, same actual start), so it never awaits a phone
    # call or turns into a no-show; completing or cancelling this row ends it too.
    continues = models.ForeignKey(
        "self",
        verbose_name=_("continues the use of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="continued_by",
    )
    holder = holder_field("booths.reservation")  # REQ CON-7, CON-10

    service = "booth"
    uid_prefix = "booth-reservation"

    class Meta(Booking.Meta):
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["starts_at", "booth"]
        constraints = [
            *Booking.Meta.constraints,
            models.UniqueConstraint(
                fields=["booth", "starts_at"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="booths_reservation_one_active_per_slot",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CONFIRMED) | Q(phoned_at__isnull=False),
                name="booths_reservation_confirmed_after_phone_call",
            ),
            # BTH-8: the second part of an ad-hoc use is started with it, never booked ahead.
            models.CheckConstraint(
                condition=Q(continues__isnull=True)
                | (Q(checked_in_at__isnull=False) & ~Q(status__in=AWAITING_STATUSES)),
                name="booths_reservation_continuation_started",
            ),
        ]
        indexes = [
            models.Index(fields=["starts_at", "status"], name="booths_res_start_status"),
            # The month and day views read one booth's slots in a date range (REQ NFR-4).
            models.Index(fields=["booth", "starts_at"], name="booths_res_booth_start"),
            models.Index(fields=["user", "starts_at"], name="booths_res_user_start"),
            # The jobs' range reads of what still awaits its start (the no-show sweep, the
            # reminders) read only those rows, never the whole set of active ones (NFR-4).
            models.Index(
                fields=["starts_at"],
                condition=Q(status__in=AWAITING_STATUSES),
                name="booths_res_awaiting_start",
            ),
            # A person's active bookings: the per-person cap counts them under the lock (BTH-4).
            models.Index(
                fields=["user", "starts_at"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="booths_res_user_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booth} {format_slot(self.starts_at, self.ends_at)}"

    def get_absolute_url(self) -> str:
        return reverse("booths:reservation", kwargs={"pk": self.pk})

    @property
    def office(self) -> Office:
        return self.booth.office

    def where_label(self) -> str:
        return self.booth.name

    start_label = _("Check in")
    mail_template = "booths/email/booking.txt"

    def mail_subject(self, kind: str) -> str:
        return {
            "received": _("Your booth reservation request was received"),
            "confirmed": _("Your booth reservation is confirmed"),
            "moved": _("Your booth reservation was moved"),
            "cancelled": _("Your booth reservation was cancelled"),
            "no_show": _("Your booth reservation was cancelled (no contact)"),
            "not_confirmed": _("Your booth reservation request was not confirmed by the office"),
            "reminder": _("Reminder: your booth reservation tomorrow"),
        }[kind]

    def book_again_url(self) -> str:
        """The same booth's month of today, while it takes bookings (else the booths)."""
        booth = self.booth
        if not (booth.is_active and booth.office.offers_booths):
            return reverse("booths:index")
        today = timezone.localdate()
        return reverse("booths:month", args=[booth.pk, today.year, today.month])

    def alternatives(self, now: datetime.datetime) -> list:
        from .availability import free_slots_from

        return free_slots_from(self.booth, now=now)

    def following_parts(self) -> models.QuerySet:
        """The active second part of this ad-hoc use, which ends with it (BTH-8)."""
        return Reservation.objects.filter(continues=self, status__in=ACTIVE_STATUSES)

    def use_ends_at(self) -> datetime.datetime:
        """When an ad-hoc use must end: 30 minutes after it started, within the slots it holds
        (BTH-8)."""
        held_until = max([self.ends_at, *self.following_parts().values_list("ends_at", flat=True)])
        return min(adhoc_use_end(self.actual_started_at or self.starts_at), held_until)


# An ad-hoc use lasts 30 minutes (BTH-8, seed 001 Art 5-2), counted from the minute it starts.
ADHOC_USE = datetime.timedelta(minutes=30)


def adhoc_use_end(started_at: datetime.datetime) -> datetime.datetime:
    """When a use started at `started_at` must end: 30 minutes on, to the minute."""
    return started_at.replace(second=0, microsecond=0) + ADHOC_USE
