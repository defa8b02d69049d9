"""Booths and their reservations (REQ BTH-1 … BTH-10).

A reservation holds one 30-minute slot of one booth. The database refuses a second active
reservation for the same booth and start, and for the same counselor and start; a reservation
leaves the active statuses (and so frees its slot) only through a named transition.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Office
from consultations.calendar import NO_SHOW_GRACE


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


class Status(models.TextChoices):
    REQUESTED = "requested", _("Requested (the office will phone you)")
    CONFIRMED = "confirmed", _("Confirmed")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("Cancelled: no contact")


ACTIVE_STATUSES = [Status.REQUESTED, Status.CONFIRMED, Status.CHECKED_IN]
# The statuses the 10-minute rule applies to: booked, not yet arrived.
AWAITING_STATUSES = [Status.REQUESTED, Status.CONFIRMED]


class Purpose(models.TextChoices):
    JOB_CONSULTATION = "job_consultation", _("Job consultation")
    JOB_REFERRAL = "job_referral", _("Job referral")
    INTERVIEW = "interview", _("Interview")
    SELECTION = "selection", _("Selection")


JOB_SEEKER_PURPOSES = [Purpose.JOB_CONSULTATION, Purpose.JOB_REFERRAL]
EMPLOYER_PURPOSES = [Purpose.INTERVIEW, Purpose.SELECTION]


class Companion(models.TextChoices):
    INTERPRETER = "interpreter", _("Interpreter")
    CAREGIVER = "caregiver", _("Caregiver")
    FAMILY = "family", _("Family member")
    SUPPORTER = "supporter", _("Supporter")


class CancelledVia(models.TextChoices):
    ONLINE = "online", _("By the user online")
    PHONE = "phone", _("By phone, recorded by staff")
    OFFICE = "office", _("By the office")


class Source(models.TextChoices):
    ONLINE = "online", _("Requested online")
    ADHOC = "adhoc", _("Ad-hoc use started online")
    COUNTER = "counter", _("Started by staff at the counter")
    STAFF = "staff", _("Booked by staff")


class ReservationQuerySet(models.QuerySet):
    def with_state(self, now: datetime.datetime | None = None) -> ReservationQuerySet:
        """Annotate `state`: the status, or "no_show" once the 10-minute rule applies (BTH-6).

        The periodic job records the no-show later; pages read `state` so they are true now.
        """
        now = now or timezone.now()
        return self.annotate(
            state=Case(
                When(
                    Q(status__in=AWAITING_STATUSES)
                    & Q(starts_at__lte=now - NO_SHOW_GRACE)
                    & Q(late_contact_at__isnull=True),
                    then=Value(Status.NO_SHOW.value),
                ),
                default=F("status"),
                output_field=models.CharField(),
            )
        )

    def overdue(self, now: datetime.datetime | None = None) -> ReservationQuerySet:
        """Reservations the 10-minute rule has turned into no-contact cancellations."""
        now = now or timezone.now()
        return self.filter(
            status__in=AWAITING_STATUSES,
            starts_at__lte=now - NO_SHOW_GRACE,
            late_contact_at__isnull=True,
        )

    def holding_slot(self, now: datetime.datetime | None = None) -> ReservationQuerySet:
        """Reservations that really hold their slot now: active and not overdue."""
        now = now or timezone.now()
        return self.filter(status__in=ACTIVE_STATUSES).exclude(
            status__in=AWAITING_STATUSES,
            starts_at__lte=now - NO_SHOW_GRACE,
            late_contact_at__isnull=True,
        )

    def for_office(self, office: Office | int) -> ReservationQuerySet:
        return self.filter(booth__office=office)

    def for_user(self, user) -> ReservationQuerySet:
        return self.filter(user=user)

    def upcoming(self, now: datetime.datetime | None = None) -> ReservationQuerySet:
        return self.filter(ends_at__gt=now or timezone.now())

    def no_contact_cancellations_since(
        self, since: datetime.datetime, now: datetime.datetime | None = None
    ) -> ReservationQuerySet:
        """No-shows counted for the approval rule (BTH-7): recorded, or overdue not yet recorded."""
        now = now or timezone.now()
        return self.filter(starts_at__gte=since).filter(
            Q(status=Status.NO_SHOW)
            | Q(
                status__in=AWAITING_STATUSES,
                starts_at__lte=now - NO_SHOW_GRACE,
                late_contact_at__isnull=True,
            )
        )

    def counselor_busy(
        self, counselor, starts_at: datetime.datetime, *, exclude_pk: int | None = None
    ) -> ReservationQuerySet:
        """Active reservations of `counselor` at `starts_at` (the rule of the constraint
        booths_reservation_counselor_once_per_slot), other than reservation `exclude_pk`."""
        return self.filter(
            counselor=counselor, starts_at=starts_at, status__in=ACTIVE_STATUSES
        ).exclude(pk=exclude_pk)

    def awaiting_approval(self) -> ReservationQuerySet:
        """Requests the office must approve before they count (BTH-7)."""
        return self.filter(status=Status.REQUESTED, needs_approval=True)


class Reservation(models.Model):
    # Indexed together with starts_at below; that index also serves lookups by booth alone.
    booth = models.ForeignKey(
        Booth,
        verbose_name=_("booth"),
        on_delete=models.PROTECT,
        related_name="reservations",
        db_index=False,
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="booth_reservations",
    )
    # Kept after an account is deleted, for the anonymised statistics (REQ STA-1, REG-5).
    user_type = models.CharField(_("user type"), max_length=20, blank=True)
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counselor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="booth_sessions",
        limit_choices_to={"is_staff": True},
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    requester_name = models.CharField(_("name or establishment name"), max_length=200)
    client_number = models.CharField(
        _("job-seeker or establishment number"), max_length=14, blank=True
    )
    phone = models.CharField(_("phone"), max_length=20)
    companions = models.JSONField(_("companions"), default=list, blank=True)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.ONLINE
    )
    # One per request form: a double submit finds the reservation it already made (BTH-2).
    form_token = models.UUIDField(_("form token"), null=True, blank=True, unique=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    # BTH-7: made after repeated no-contact cancellations; confirming the request approves it.
    needs_approval = models.BooleanField(_("needs the office's approval"), default=False)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    phoned_at = models.DateTimeField(_("phoned the user at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    moved_at = models.DateTimeField(_("moved at"), null=True, blank=True)
    late_contact_at = models.DateTimeField(
        _("user phoned, will be late (recorded at)"), null=True, blank=True
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    actual_started_at = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_ended_at = models.DateTimeField(_("actual end"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_via = models.CharField(
        _("cancelled"), max_length=10, choices=CancelledVia.choices, blank=True
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    no_show_at = models.DateTimeField(_("no-show recorded at"), null=True, blank=True)
    no_show_mailed_at = models.DateTimeField(_("no-show mail queued at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder queued at"), null=True, blank=True)
    # The iCalendar SEQUENCE: each change the user is told about makes calendars update.
    sequence = models.PositiveIntegerField(default=0, editable=False)

    objects = ReservationQuerySet.as_manager()

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["starts_at", "booth"]
        constraints = [
            models.UniqueConstraint(
                fields=["booth", "starts_at"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="booths_reservation_one_active_per_slot",
            ),
            models.UniqueConstraint(
                fields=["counselor", "starts_at"],
                condition=Q(status__in=ACTIVE_STATUSES) & Q(counselor__isnull=False),
                name="booths_reservation_counselor_once_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="booths_reservation_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CONFIRMED) | Q(phoned_at__isnull=False),
                name="booths_reservation_confirmed_after_phone_call",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CANCELLED) | Q(cancelled_at__isnull=False),
                name="booths_reservation_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=Q(actual_ended_at__isnull=True)
                | Q(actual_started_at__isnull=False, actual_ended_at__gte=F("actual_started_at")),
                name="booths_reservation_actual_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["starts_at", "status"], name="booths_res_start_status"),
            # The month and day views read one booth's slots in a date range (REQ NFR-4).
            models.Index(fields=["booth", "starts_at"], name="booths_res_booth_start"),
            models.Index(fields=["user", "starts_at"], name="booths_res_user_start"),
        ]

    def __str__(self) -> str:
        return f"{self.booth} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("booths:reservation", kwargs={"pk": self.pk})

    @property
    def office(self) -> Office:
        return self.booth.office

    def current_state(self, now: datetime.datetime | None = None) -> str:
        """The status as the 10-minute rule sees it now (BTH-6)."""
        if hasattr(self, "state"):
            return self.state
        now = now or timezone.now()
        if (
            self.status in AWAITING_STATUSES
            and self.starts_at <= now - NO_SHOW_GRACE
            and self.late_contact_at is None
        ):
            return Status.NO_SHOW
        return self.status

    def get_state_display(self) -> str:
        return Status(self.current_state()).label

    def companion_labels(self) -> list[str]:
        return [str(Companion(value).label) for value in self.companions if value in Companion]

    def is_cancellable_by_user(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.current_state(now) in AWAITING_STATUSES and self.starts_at > now
