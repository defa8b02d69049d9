"""Earlier-slot alerts (REQ ALR-1): a person asks to be told when a slot earlier than the one
they could get frees up, and each mail sent for a freed slot.

Rules the database keeps, whatever writes the rows:

- At most `MAX_LIVE_ALERTS` alerts a person not ended: a trigger (`bookings/alerts_sql.py`)
  counts them under the person's row lock, so two racing forms can't both pass. An alert
  whose range has passed is ended by the daily job, or by the person's next new alert.
- One mail a person a freed slot: unique (user, service, place, start) on `AlertMail`.
- A round (`AlertRound`) lists as many alerts as people, and lives only until its mails are
  stored.
- An alert ends when its person books (or moves a booking) inside its range: a trigger on each
  booking table, installed by the service's migration with the SQL of `alerts_sql.py`, ends
  it and marks the mail of that slot as filled, whatever path made the booking.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Office

from . import calendar

MAX_LIVE_ALERTS = 3


class AlertEnd(models.TextChoices):
    CANCELLED = "cancelled", _("Cancelled by you")
    BOOKED = "booked", _("You booked a time in the range")
    PASSED = "passed", _("The range has passed")


class EarlierSlotAlertQuerySet(models.QuerySet):
    def live(self, now=None, *, today=None) -> EarlierSlotAlertQuerySet:
        """Not ended, and the range not passed yet (Tokyo days): as of `now`, or of the Tokyo
        day `today`."""
        if today is None:
            today = calendar.local(now or timezone.now()).date()
        return self.filter(ended_at__isnull=True, last_day__gte=today)

    def for_user(self, user) -> EarlierSlotAlertQuerySet:
        return self.filter(user=user)

    def whose_facts_allow(
        self, *, now, cap: int, since, overdue_at, noshow_limit: int
    ) -> EarlierSlotAlertQuerySet:
        """Live alerts whose person's kept facts allow a booking of the alert's service now: a
        verified address, fewer than `cap` active bookings of the service ahead (starting
        after `now`), fewer than `noshow_limit` no-contact cancellations since `since` (REQ
        BTH-7: recorded no-shows, and confirmed bookings with no contact whose start is
        `overdue_at` or earlier: `bookings.models.no_contact_q` over the kept starts)."""
        held = RawSQL(
            "(SELECT count(*) FROM unnest(bookings_earlierslotalert.held_starts) start"
            " WHERE start > %s)",
            [now],
            output_field=models.IntegerField(),
        )
        no_contact = RawSQL(
            "(SELECT count(*) FROM unnest(bookings_earlierslotalert.no_contact_starts,"
            " bookings_earlierslotalert.no_contact_recorded) booking (start, recorded)"
            " WHERE start >= %s AND (recorded OR start <= %s))",
            [since, overdue_at],
            output_field=models.IntegerField(),
        )
        return (
            self.filter(address_verified=True)
            .alias(held=held, no_contact_count=no_contact)
            .filter(held__lt=cap, no_contact_count__lt=noshow_limit)
        )


class EarlierSlotAlert(models.Model):
    """ "Tell me when an earlier time frees up": a service, the person's office, optionally one
    place (a booth, or a counselor for online consultations) and a range of days."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.CASCADE, related_name="+"
    )
    service = models.CharField(_("service"), max_length=10)
    # A booth's id (booths) or a counselor's (online); None: any. No foreign key: bookings
    # sits below both services and knows neither table.
    place_id = models.PositiveBigIntegerField(_("place"), null=True, blank=True)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(
        _("why it ended"), max_length=20, choices=AlertEnd.choices, blank=True
    )
    # The person's facts the freeing job's choice reads, kept by triggers while the alert is
    # live (`alerts_sql.py`; whatever is written here is replaced): so the choice reads them
    # with the alert, not by looking each person up in four tables. Facts that change with
    # time are kept as the times they hang on, judged by the choice as of its moment.
    # The starts of the person's active bookings of the alert's service (past ones too).
    held_starts = ArrayField(models.DateTimeField(), default=list, editable=False)
    # Each of the person's bookings of any service that is a no-show or may turn into one
    # (confirmed, no contact yet: the 10-minute rule), as three lists of one length: its start,
    # whether the no-show is recorded, its service (so each service's trigger replaces its own).
    no_contact_starts = ArrayField(models.DateTimeField(), default=list, editable=False)
    no_contact_recorded = ArrayField(models.BooleanField(), default=list, editable=False)
    no_contact_services = ArrayField(models.CharField(max_length=10), default=list, editable=False)
    # The person has a verified address.
    address_verified = models.BooleanField(default=False, editable=False)

    objects = EarlierSlotAlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("earlier-slot alert")
        verbose_name_plural = _("earlier-slot alerts")
        ordering = ["first_day", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")),
                name="bookings_earlierslotalert_range_in_order",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, end_reason="")
                | Q(ended_at__isnull=False) & ~Q(end_reason=""),
                name="bookings_earlierslotalert_ended_with_reason",
            ),
        ]
        indexes = [
            # The freeing job's lookup: an office's live alerts of a service by range.
            models.Index(
                fields=["office", "service", "first_day", "last_day"],
                condition=Q(ended_at__isnull=True),
                name="bookings_alert_live_idx",
            ),
            models.Index(fields=["user"], name="bookings_alert_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.service} {self.first_day}–{self.last_day}"


class AlertMail(models.Model):
    """One alert mail: a person told that a slot freed up (REQ ALR-1). Kept for the per-day
    cap and the statistics (sent, and filled through the alert); the alert it came from goes
    with the account (REG-5), the anonymised person stays."""

    alert = models.ForeignKey(
        EarlierSlotAlert,
        verbose_name=_("alert"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mails",
    )
    # No index of their own: the unique constraint and the day's index lead with the user, the
    # office's index with the office (each mail stored updates every index, REQ NFR-4).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    service = models.CharField(_("service"), max_length=10)
    place_id = models.PositiveBigIntegerField(_("place"))
    starts_at = models.DateTimeField(_("slot starts at"))
    sent_at = models.DateTimeField(_("queued at"), default=timezone.now)
    # The Tokyo day it was queued, for the per-day cap.
    sent_on = models.DateField(_("queued on"))
    # The person must accept the terms in effect before booking: the mail says so (TRM-4).
    accept_terms_first = models.BooleanField(default=False)
    # Set by the booking tables' trigger when this person books this slot.
    filled_at = models.DateTimeField(_("booked through the alert at"), null=True, blank=True)

    class Meta:
        verbose_name = _("earlier-slot alert mail")
        verbose_name_plural = _("earlier-slot alert mails")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "service", "place_id", "starts_at"],
                name="bookings_alertmail_once_per_person_and_slot",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "sent_on"], name="bookings_alertmail_day_idx"),
            models.Index(fields=["office", "sent_at"], name="bookings_alertmail_office_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.service}:{self.place_id} {self.starts_at:%Y-%m-%d %H:%M}"


class AlertRound(models.Model):
    """The people the freeing job chose for one freed slot, until their mails are stored
    (REQ ALR-1, NFR-4): the job decides who is mailed and keeps the answer in this one row; the
    job it defers (`alerts_store_round`) stores an `AlertMail` and an outbox row for each,
    then deletes the round. While it waits, the next job's choice counts its people as mailed
    (one mail a slot, the mails a day). Two lists of one length: each person's alert, and the
    person."""

    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.CASCADE, related_name="+"
    )
    service = models.CharField(_("service"), max_length=10)
    place_id = models.PositiveBigIntegerField(_("place"))
    starts_at = models.DateTimeField(_("slot starts at"))
    sent_at = models.DateTimeField(_("queued at"))
    sent_on = models.DateField(_("queued on"))
    alert_ids = ArrayField(models.BigIntegerField())
    user_ids = ArrayField(models.BigIntegerField())

    class Meta:
        verbose_name = _("earlier-slot alert round")
        verbose_name_plural = _("earlier-slot alert rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(alert_ids__len=models.F("user_ids__len")),
                name="bookings_alertround_lists_of_one_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service}:{self.place_id} {self.starts_at:%Y-%m-%d %H:%M}"
