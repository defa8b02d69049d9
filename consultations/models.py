"""The calendar's closures, the life every booking shares, and online consultations.

`Booking` is the abstract model both services build on: a booth reservation (booths app) and an
online consultation (this app) share their statuses, the 10-minute rule, the refusal rule, the
staff transitions, the mails and the .ics, written once here (REQ CON-5).

A counselor is held at most once per slot across both services (REQ CON-7): every active booking
with a counselor points to its own `CounselorHold` row, unique per (counselor, start), and a check
constraint on each booking table makes "active with a counselor" and "holds a row" the same thing.
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
from core.audit import audit_track

from .calendar import NO_SHOW_GRACE


class OfficeClosureQuerySet(models.QuerySet):
    def for_office(self, office: Office) -> OfficeClosureQuerySet:
        return self.filter(office=office)

    def dates_between(self, start: datetime.date, end: datetime.date) -> frozenset[datetime.date]:
        """The closed dates from `start` to `end` (both included), ready for the calendar."""
        return frozenset(self.filter(date__gte=start, date__lte=end).values_list("date", flat=True))


@audit_track(indexes=["office"])  # REQ STF-2
class OfficeClosure(models.Model):
    """A day an office is closed besides weekends, national holidays and the year-end closure."""

    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.CASCADE, related_name="closures"
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    objects = OfficeClosureQuerySet.as_manager()

    class Meta:
        verbose_name = _("office closure")
        verbose_name_plural = _("office closures")
        ordering = ["office", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "date"], name="consultations_officeclosure_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.date:%Y-%m-%d}"


# --- The life every booking shares (REQ BTH-5, CON-5) -----------------------------------------


class Status(models.TextChoices):
    REQUESTED = "requested", _("Requested (the office will phone you)")
    CONFIRMED = "confirmed", _("Confirmed")
    CHECKED_IN = "checked_in", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("Cancelled: no contact")


ACTIVE_STATUSES = [Status.REQUESTED, Status.CONFIRMED, Status.CHECKED_IN]
# The statuses the 10-minute rule applies to: booked, not yet started.
AWAITING_STATUSES = [Status.REQUESTED, Status.CONFIRMED]
ENDED_STATUSES = [Status.COMPLETED, Status.CANCELLED, Status.NO_SHOW]


class Companion(models.TextChoices):
    """People who will be with the user, declared in advance (REQ BTH-3, CON-8)."""

    FAMILY = "family", _("Family member")
    SUPPORTER = "supporter", _("Supporter from another agency")
    INTERPRETER = "interpreter", _("Interpreter")
    CAREGIVER = "caregiver", _("Caregiver")


class CancelledVia(models.TextChoices):
    ONLINE = "online", _("By the user online")
    PHONE = "phone", _("By phone, recorded by staff")
    OFFICE = "office", _("By the office")
    ACCOUNT_DELETED = "account_deleted", _("The user deleted their account")
    DORMANT = "dormant", _("The account was purged after a year unused")


class Source(models.TextChoices):
    ONLINE = "online", _("Requested online")
    ADHOC = "adhoc", _("Ad-hoc use started online")
    COUNTER = "counter", _("Started by staff at the counter")
    STAFF = "staff", _("Booked by staff")


def overdue_q(now: datetime.datetime) -> Q:
    """The 10-minute rule (REQ BTH-6, CON-5) as a filter: booked, not started, 10 minutes past
    the start, no contact recorded in time, nobody joined, not reinstated by staff.

    Late contact and joins are only ever recorded before the 10 minutes are up (the services
    refuse them later), so once a booking matches it stays matched: the outcome is the same
    before and after the job records it.
    """
    return Q(
        status__in=AWAITING_STATUSES,
        starts_at__lte=now - NO_SHOW_GRACE,
        late_contact_at__isnull=True,
        joined_at__isnull=True,
        reinstated_at__isnull=True,
    )


def no_contact_q(since: datetime.datetime, now: datetime.datetime) -> Q:
    """No-shows counted for the approval rule (BTH-7) as a filter: since `since`, recorded or
    overdue by the 10-minute rule and not yet recorded."""
    return Q(starts_at__gte=since) & (Q(status=Status.NO_SHOW) | overdue_q(now))


class BookingQuerySet(models.QuerySet):
    def with_state(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Annotate `state`: the status, or "no_show" once the 10-minute rule applies (BTH-6).

        The periodic job records the no-show later; pages read `state` so they are true now.
        """
        now = now or timezone.now()
        return self.annotate(
            state=Case(
                When(overdue_q(now), then=Value(Status.NO_SHOW.value)),
                default=F("status"),
                output_field=models.CharField(),
            )
        )

    def overdue(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Bookings the 10-minute rule has turned into no-contact cancellations."""
        return self.filter(overdue_q(now or timezone.now()))

    def holding_slot(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Bookings that really hold their slot now: active and not overdue."""
        return self.filter(status__in=ACTIVE_STATUSES).exclude(overdue_q(now or timezone.now()))

    def active_future(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Active bookings that have not started yet (the per-person cap counts these)."""
        return self.filter(status__in=ACTIVE_STATUSES, starts_at__gt=now or timezone.now())

    def for_user(self, user) -> BookingQuerySet:
        return self.filter(user=user)

    def upcoming(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        return self.filter(ends_at__gt=now or timezone.now())

    def no_contact_cancellations_since(
        self, since: datetime.datetime, now: datetime.datetime | None = None
    ) -> BookingQuerySet:
        """No-shows counted for the approval rule (BTH-7): recorded, or overdue not yet recorded."""
        return self.filter(no_contact_q(since, now or timezone.now()))

    def counselor_busy(
        self, counselor, starts_at: datetime.datetime, *, exclude_pk: int | None = None
    ) -> BookingQuerySet:
        """Active bookings of `counselor` at `starts_at`, other than booking `exclude_pk`."""
        return self.filter(
            counselor=counselor, starts_at=starts_at, status__in=ACTIVE_STATUSES
        ).exclude(pk=exclude_pk)

    def awaiting_approval(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Requests the office must approve (BTH-7), leaving out those the 10-minute rule ended."""
        return self.filter(status=Status.REQUESTED, needs_approval=True).exclude(
            overdue_q(now or timezone.now())
        )

    def awaiting_phone_call(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Requests staff still have to confirm by phone, oldest first (STF-1)."""
        return (
            self.filter(status=Status.REQUESTED)
            .exclude(overdue_q(now or timezone.now()))
            .order_by("created_at")
        )


@audit_track(  # REQ STF-2
    office_model="accounts.Office",
    office_sql="(SELECT office_id FROM accounts_user WHERE id = NEW.counselor_id)",
)
class CounselorHold(models.Model):
    """A counselor held for one slot by one active booking of either service (REQ CON-7)."""

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counselor"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("starts at"))

    class Meta:
        verbose_name = _("counselor hold")
        verbose_name_plural = _("counselor holds")
        constraints = [
            models.UniqueConstraint(
                fields=["counselor", "starts_at"], name="consultations_counselorhold_once_per_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counselor_id} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


def _holds_counselor() -> Q:
    return Q(status__in=ACTIVE_STATUSES) & Q(counselor__isnull=False)


# Kept out of the audit trail: a token, and bookkeeping the tracked changes already explain
# (the .ics sequence, when reminder and no-show mails were queued). Fewer tracked fields, fewer
# event rows on a booking write (REQ STF-2).
BOOKING_UNTRACKED = ["form_token", "sequence", "reminder_sent_at", "no_show_mailed_at"]


class Booking(models.Model):
    """Fields, rules and states shared by booth reservations and online consultations."""

    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="%(app_label)s_%(class)s_bookings",
    )
    # Kept after an account is deleted, for the anonymised statistics (REQ STA-1, REG-5).
    user_type = models.CharField(_("user type"), max_length=20, blank=True)
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counselor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="%(app_label)s_%(class)s_sessions",
        limit_choices_to={"is_staff": True},
    )
    counselor_hold = models.OneToOneField(
        CounselorHold,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    purpose = models.CharField(_("purpose"), max_length=20)
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
    # One per request form: a double submit finds the booking it already made (BTH-2).
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
    joined_at = models.DateTimeField(_("first joined online at"), null=True, blank=True)
    reinstated_at = models.DateTimeField(_("reinstated by staff at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in / started at"), null=True, blank=True)
    actual_started_at = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_ended_at = models.DateTimeField(_("actual end"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_via = models.CharField(
        _("cancelled"), max_length=20, choices=CancelledVia.choices, blank=True
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

    objects = BookingQuerySet.as_manager()

    # What the shared code needs to know of each concrete model.
    service = ""  # the terms service: "booth" or "online"
    uid_prefix = ""  # iCalendar UID prefix, stable for the life of the booking

    class Meta:
        abstract = True
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="%(app_label)s_%(class)s_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CANCELLED) | Q(cancelled_at__isnull=False),
                name="%(app_label)s_%(class)s_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=Q(actual_ended_at__isnull=True)
                | Q(actual_started_at__isnull=False, actual_ended_at__gte=F("actual_started_at")),
                name="%(app_label)s_%(class)s_actual_end_after_start",
            ),
            # REQ CON-7: an active booking with a counselor holds them; nothing else does.
            models.CheckConstraint(
                condition=(_holds_counselor() & Q(counselor_hold__isnull=False))
                | (~_holds_counselor() & Q(counselor_hold__isnull=True)),
                name="%(app_label)s_%(class)s_counselor_held_while_active",
            ),
        ]

    def where_label(self) -> str:
        """Where it happens, for pages, mails and the .ics (a booth, or the video tool)."""
        raise NotImplementedError

    def alternatives(self, now: datetime.datetime) -> list:
        """Free slots to offer when this booking's slot was just taken (BTH-2)."""
        return []

    def current_state(self, now: datetime.datetime | None = None) -> str:
        """The status as the 10-minute rule sees it now (BTH-6)."""
        if hasattr(self, "state"):
            return self.state
        if is_overdue(self, now or timezone.now()):
            return Status.NO_SHOW
        return self.status

    def get_state_display(self) -> str:
        return Status(self.current_state()).label

    def companion_labels(self) -> list[str]:
        return [str(Companion(value).label) for value in self.companions if value in Companion]

    def is_upcoming_active(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.current_state(now) in ACTIVE_STATUSES and self.ends_at > now


def is_overdue(booking: Booking, now: datetime.datetime) -> bool:
    """The 10-minute rule on one loaded booking; the same conditions as `overdue_q`."""
    return (
        booking.status in AWAITING_STATUSES
        and booking.starts_at <= now - NO_SHOW_GRACE
        and booking.late_contact_at is None
        and booking.joined_at is None
        and booking.reinstated_at is None
    )


# --- Online consultations from home (REQ CON-1 … CON-8) ---------------------------------------


class VideoToolKind(models.TextChoices):
    ZOOM = "zoom", "Zoom"
    ETUMO = "etumo", "e-TUMO"
    ELMO = "elmo", "ELMO"
    OTHER = "other", _("Other")


@audit_track(indexes=["office"])  # REQ STF-2
class VideoTool(models.Model):
    """A video tool an office allows, with the hosts its meeting links may use (REQ CON-2)."""

    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.CASCADE, related_name="video_tools"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=VideoToolKind.choices)
    name = models.CharField(_("name"), max_length=50)
    allowed_hosts = models.TextField(
        _("allowed hosts"),
        max_length=1000,
        help_text=_(
            "One host name per line, e.g. zoom.us. A meeting link must use https on one of "
            "these hosts or on a sub-domain of one."
        ),
    )
    terms_url = models.URLField(
        _("the tool's own terms of use"),
        blank=True,
        help_text=_("Users accept these before joining (e.g. Zoom's terms)."),
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("video tool")
        verbose_name_plural = _("video tools")
        ordering = ["office", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "name"], name="consultations_videotool_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def host_list(self) -> list[str]:
        return [line.strip().lower() for line in self.allowed_hosts.splitlines() if line.strip()]


@audit_track(  # REQ STF-2
    office_model="accounts.Office",
    office_sql="(SELECT office_id FROM accounts_user WHERE id = NEW.counselor_id)",
)
class CounselorVideoDefault(models.Model):
    """A counselor's default meeting link for one tool, copied into new consultations."""

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counselor"),
        on_delete=models.CASCADE,
        related_name="video_defaults",
        limit_choices_to={"is_staff": True},
    )
    video_tool = models.ForeignKey(
        VideoTool, verbose_name=_("video tool"), on_delete=models.CASCADE, related_name="+"
    )
    join_url = models.URLField(_("meeting link"), max_length=500)

    class Meta:
        verbose_name = _("default meeting link")
        verbose_name_plural = _("default meeting links")
        constraints = [
            models.UniqueConstraint(
                fields=["counselor", "video_tool"],
                name="consultations_counselorvideodefault_one_per_tool",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counselor} / {self.video_tool}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")


@audit_track(indexes=["office"])  # REQ STF-2
class AvailabilityPattern(models.Model):
    """A counselor takes online consultations on this weekday, from–to, in a period (CON-1)."""

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counselor"),
        on_delete=models.CASCADE,
        related_name="availability_patterns",
        limit_choices_to={"is_staff": True},
    )
    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.CASCADE, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        ordering = ["counselor", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")),
                name="consultations_availabilitypattern_from_before_until",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="consultations_availabilitypattern_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=4), name="consultations_availabilitypattern_weekday"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counselor} {self.get_weekday_display()} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"

    def covers(self, moment: datetime.datetime) -> bool:
        """Whether the 30-minute slot starting at `moment` (local) lies inside this pattern."""
        day = moment.date()
        if day.weekday() != self.weekday or day < self.valid_from:
            return False
        if self.valid_until is not None and day > self.valid_until:
            return False
        end = (
            datetime.datetime.combine(day, moment.time()) + datetime.timedelta(minutes=30)
        ).time()
        return self.starts_at <= moment.time() and (end <= self.ends_at or end == datetime.time(0))


class ExceptionKind(models.TextChoices):
    EXTRA = "extra", _("Extra slot")
    WITHDRAWN = "withdrawn", _("Withdrawn slot")


@audit_track(indexes=["office"])  # REQ STF-2
class AvailabilityException(models.Model):
    """A single slot a counselor adds to, or withdraws from, their weekly pattern (CON-1)."""

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counselor"),
        on_delete=models.CASCADE,
        related_name="availability_exceptions",
        limit_choices_to={"is_staff": True},
    )
    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField(_("slot starts at"))
    kind = models.CharField(_("kind"), max_length=10, choices=ExceptionKind.choices)

    class Meta:
        verbose_name = _("extra or withdrawn slot")
        verbose_name_plural = _("extra or withdrawn slots")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["counselor", "starts_at"],
                name="consultations_availabilityexception_one_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counselor} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


@audit_track(  # REQ STF-2
    office_model="accounts.Office",
    office_sql="(SELECT office_id FROM accounts_user WHERE id = NEW.user_id)",
)
class OnlineApproval(models.Model):
    """The office approved someone outside the usual groups for online consultations (CON-6)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="online_approval",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("approval for online consultations")
        verbose_name_plural = _("approvals for online consultations")

    def __str__(self) -> str:
        return str(self.user)


class ConsultationPurpose(models.TextChoices):
    JOB_CONSULTATION = "job_consultation", _("Job consultation")
    JOB_REFERRAL = "job_referral", _("Job referral")
    APPLICATION_SUPPORT = "application_support", _("Help with applications")
    OTHER = "other", _("Other")


@audit_track(exclude=BOOKING_UNTRACKED, indexes=["office", "user"])  # REQ STF-2
class Consultation(Booking):
    """One 30-minute online consultation of a job seeker with a counselor (REQ CON-1 … CON-8)."""

    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="consultations"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsultationPurpose.choices)
    video_tool = models.ForeignKey(
        VideoTool, verbose_name=_("video tool"), on_delete=models.PROTECT, related_name="+"
    )
    join_url = models.URLField(_("meeting link"), max_length=500, blank=True)
    join_url_set_at = models.DateTimeField(_("meeting link set at"), null=True, blank=True)

    service = "online"
    uid_prefix = "online-consultation"

    class Meta(Booking.Meta):
        verbose_name = _("online consultation")
        verbose_name_plural = _("online consultations")
        ordering = ["starts_at", "counselor"]
        constraints = [
            *Booking.Meta.constraints,
            models.CheckConstraint(
                condition=Q(counselor__isnull=False) | ~Q(status__in=ACTIVE_STATUSES),
                name="consultations_consultation_active_has_counselor",
            ),
        ]
        indexes = [
            models.Index(fields=["office", "starts_at"], name="consult_office_start"),
            models.Index(fields=["counselor", "starts_at"], name="consult_counselor_start"),
            models.Index(fields=["user", "starts_at"], name="consult_user_start"),
            models.Index(fields=["starts_at", "status"], name="consult_start_status"),
        ]

    def __str__(self) -> str:
        return f"{self.office} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("consultations:detail", kwargs={"pk": self.pk})

    def where_label(self) -> str:
        return str(_("Online (%(tool)s)") % {"tool": self.video_tool.name})

    def alternatives(self, now: datetime.datetime) -> list:
        from .availability import free_slots_from

        return free_slots_from(self.office, counselor=self.counselor, now=now)


class ConsultationJoin(models.Model):
    """One pass through the join button: who, when, from where (REQ CON-3, LOG-1)."""

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="joins"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("join record")
        verbose_name_plural = _("join records")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.consultation_id} {self.at:%Y-%m-%d %H:%M}"
