"""Online consultations from home (REQ CON-1 … CON-8): video tools, the counselors' published
availability, approvals, the consultations themselves and each pass through the join button.

A `Consultation` is a `bookings.models.Booking`: the life it shares with a booth reservation
(statuses, the 10-minute rule, holds, transitions, mails) lives in the bookings app.
"""

from __future__ import annotations

import datetime

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Office
from bookings.models import (
    ACTIVE_STATUSES,
    AWAITING_STATUSES,
    BOOKING_UNTRACKED,
    Booking,
    holder_field,
)
from core.append_only import AppendOnlyModel
from core.audit import audit_track
from core.dates import format_datetime, format_time_range


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
    # A time of day, not the sender of a letter: "from" alone was translated 差出人.
    starts_at = models.TimeField(pgettext_lazy("time of day", "from"))
    ends_at = models.TimeField(pgettext_lazy("time of day", "until"))
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
        return f"{self.counselor} {self.get_weekday_display()} {format_time_range(self.starts_at, self.ends_at)}"

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
        return f"{self.counselor or ''} {format_datetime(self.starts_at)}".strip()


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
    holder = holder_field("consultations.consultation")  # REQ CON-7, CON-10

    service = "online"
    uid_prefix = "online-consultation"
    counselor_is_the_slot = True
    confirmed_on_request = True

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
            # The jobs' range reads of what still awaits its start (see booths.Reservation).
            models.Index(
                fields=["starts_at"],
                condition=Q(status__in=AWAITING_STATUSES),
                name="consult_awaiting_start",
            ),
            models.Index(
                fields=["user", "starts_at"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="consult_user_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {format_datetime(self.starts_at)}"

    def get_absolute_url(self) -> str:
        return reverse("consultations:detail", kwargs={"pk": self.pk})

    def where_label(self) -> str:
        return str(_("Online (%(tool)s)") % {"tool": self.video_tool.name})

    start_label = _("Start the consultation")
    mail_template = "consultations/email/booking.txt"

    def mail_subject(self, kind: str) -> str:
        return {
            "received": _("Your online consultation request was received"),
            "confirmed": _("Your online consultation is booked"),
            "moved": _("Your online consultation was moved"),
            "cancelled": _("Your online consultation was cancelled"),
            "no_show": _("Your online consultation was cancelled (no contact)"),
            "not_confirmed": _("Your online consultation request was not confirmed by the office"),
            "reminder": _("Reminder: your online consultation tomorrow"),
            "link_ready": _("Your online consultation: the join link is ready"),
        }[kind]

    def book_again_url(self) -> str:
        """The month of today with the same counselor while they take online consultations,
        else with any counselor."""
        from .availability import online_counselors

        who = "any"
        if self.counselor_id is not None and online_counselors(self.office, self.counselor_id):
            who = self.counselor_id
        today = timezone.localdate()
        return reverse("consultations:month", args=[who, today.year, today.month])

    def ics_location(self, page_url: str) -> str:
        # Joined from its page: the meeting link itself never leaves the site (CON-3).
        return page_url

    def alternatives(self, now: datetime.datetime) -> list:
        from .availability import free_slots_from

        return free_slots_from(self.office, counselor=self.counselor, now=now)


# REQ CON-4: the participant's first join of a consultation carries the ticked checklist. The
# database refuses the insert otherwise, whoever writes it.
CHECKLIST_BEFORE_FIRST_JOIN_SQL = """
IF NOT NEW.tool_terms_accepted
   AND NEW.user_id = (SELECT user_id FROM consultations_consultation
                      WHERE id = NEW.consultation_id)
   AND NOT EXISTS (SELECT 1 FROM consultations_consultationjoin AS earlier
                   WHERE earlier.consultation_id = NEW.consultation_id
                     AND earlier.user_id = NEW.user_id
                     AND earlier.tool_terms_accepted)
THEN
    RAISE EXCEPTION 'the participant confirms the checklist before the first join (CON-4)'
        USING ERRCODE = 'check_violation';
END IF;
RETURN NEW;
"""


class ConsultationJoin(AppendOnlyModel):
    """One pass through the join button: who, when, from where (REQ CON-3, LOG-1), and the
    checklist the participant confirmed before their first join (REQ CON-4): each point, and the
    video tool's own terms by name and address as they were shown. Append-only: the database
    refuses UPDATE and DELETE; the one sanctioned change is erasing a deleted account's IP
    address and browser (REG-5)."""

    changed_message = _("Join records cannot be changed.")
    deleted_message = _("Join records cannot be deleted.")

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.PROTECT, related_name="joins"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    private_room = models.BooleanField(
        _("in a private room, or only with the companions declared"), default=False
    )
    no_recording = models.BooleanField(_("will not record"), default=False)
    app_ready = models.BooleanField(_("app installed and connection checked"), default=False)
    tool_terms_accepted = models.BooleanField(_("accepted the video tool's terms"), default=False)
    tool_name = models.CharField(_("video tool"), max_length=50, blank=True)
    tool_terms_url = models.URLField(_("the tool's terms as shown"), blank=True)

    class Meta(AppendOnlyModel.Meta):
        verbose_name = _("join record")
        verbose_name_plural = _("join records")
        ordering = ["-at"]
        triggers = [
            *AppendOnlyModel.Meta.triggers,
            pgtrigger.Trigger(
                name="checklist_before_first_join",
                operation=pgtrigger.Insert,
                when=pgtrigger.Before,
                func=CHECKLIST_BEFORE_FIRST_JOIN_SQL,
            ),
        ]
        constraints = [
            # Every point is confirmed, or none is (a later join, or staff joining).
            models.CheckConstraint(
                condition=(
                    Q(private_room=F("no_recording"))
                    & Q(no_recording=F("app_ready"))
                    & Q(app_ready=F("tool_terms_accepted"))
                ),
                name="consultations_consultationjoin_checklist_whole",
            ),
            models.CheckConstraint(
                condition=Q(tool_terms_accepted=False) | ~Q(tool_name=""),
                name="consultations_consultationjoin_terms_name_the_tool",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id} {format_datetime(self.at)}"

    @property
    def checklist_confirmed(self) -> bool:
        return self.tool_terms_accepted
