"""The booking life both services share: the office's closures, the abstract `Booking`, its
statuses and the 10-minute rule, and the counselor's holds.

`Booking` is the abstract model both services build on: a booth reservation (booths app) and an
online consultation (consultations app) share their statuses, the 10-minute rule, the refusal
rule, the staff transitions, the mails and the .ics, written once in this app (REQ CON-5).

The holds (REQ CON-7, CON-10) are rules the database keeps, whatever writes the rows (the
services, `QuerySet.update()`, raw SQL):

- A counselor is held at most once at a time across both services (CON-7), and so is a person
  (CON-10): every active booking with a counselor points to its own `CounselorHold`, every
  active booking with a user to its own `PersonHold`. Each hold is unique per (counselor or
  person, start) and, by an exclusion constraint, overlaps no other hold of the same counselor
  or person (offices may open at different times, so their grids need not line up).
- The checks `<table>_counselor_held_while_active` and `<table>_person_held_while_active` on
  each booking table make "active with a counselor / user" and "holds a row" the same thing.
- A composite foreign key `<table>_counselor_hold_matches` (counselor_hold_id, counselor_id,
  starts_at, holder) → the hold's (id, counselor_id, starts_at, holder), and
  `<table>_person_hold_matches` likewise with user_id, tie each hold to its own booking's
  counselor or person and start (written as SQL in the booths and consultations migrations).
  `holder` is the booking's model label, a generated column, so a hold taken for a booth
  reservation can't also be pointed at by an online consultation. The keys are checked at once
  (not deferred) and do not cascade: a booking moves only with a new hold, taken by the services
  in the same transaction; `update(starts_at=…)` on a booking or on a hold alone fails.
- The check `<table>_one_slot` makes each booking exactly one 30-minute slot, so a hold's start
  says all of its time.
"""

from __future__ import annotations

import datetime
import operator

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Office, UserType
from core.audit import audit_track
from core.dates import format_datetime

from .calendar import NO_SHOW_GRACE, SLOT


class OfficeClosureQuerySet(models.QuerySet):
    def for_office(self, office: Office) -> OfficeClosureQuerySet:
        return self.filter(office=office)

    def between(self, start: datetime.date, end: datetime.date) -> OfficeClosureQuerySet:
        """The closures from `start` to `end` (both included)."""
        return self.filter(date__gte=start, date__lte=end)

    def dates_between(self, start: datetime.date, end: datetime.date) -> frozenset[datetime.date]:
        """The closed dates from `start` to `end` (both included), ready for the calendar."""
        return frozenset(self.between(start, end).values_list("date", flat=True))


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
                fields=["office", "date"], name="bookings_officeclosure_one_per_day"
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
# Booked, not yet started: the user may still cancel or move these, staff check them in.
AWAITING_STATUSES = [Status.REQUESTED, Status.CONFIRMED]
ENDED_STATUSES = [Status.COMPLETED, Status.CANCELLED, Status.NO_SHOW]


class State(models.TextChoices):
    """What a booking is now, as every page shows it: its status, except where time alone has
    ended it (`state_rules`): a no-show by the 10-minute rule, or a request the office never
    confirmed (BTH-6). Not a column: `BookingQuerySet.with_state` and `Booking.current_state`
    work it out."""

    REQUESTED = Status.REQUESTED.value, Status.REQUESTED.label
    CONFIRMED = Status.CONFIRMED.value, Status.CONFIRMED.label
    CHECKED_IN = Status.CHECKED_IN.value, Status.CHECKED_IN.label
    COMPLETED = Status.COMPLETED.value, Status.COMPLETED.label
    CANCELLED = Status.CANCELLED.value, Status.CANCELLED.label
    NO_SHOW = Status.NO_SHOW.value, Status.NO_SHOW.label
    NOT_CONFIRMED = "not_confirmed", _("Closed: not confirmed by the office")


# The states a booking never leaves (by time or by anyone's action): its page offers booking again.
FINISHED_STATES = [*ENDED_STATUSES, State.NOT_CONFIRMED]


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
    # BTH-6: a request still unconfirmed (or unapproved) at its start; never a no-show.
    NOT_CONFIRMED = "not_confirmed", _("Not confirmed by the office before the start")


class Source(models.TextChoices):
    ONLINE = "online", _("Requested online")
    ADHOC = "adhoc", _("Ad-hoc use started online")
    COUNTER = "counter", _("Started by staff at the counter")
    STAFF = "staff", _("Booked by staff")


# --- Time alone ends a booking (REQ BTH-6, CON-5) ---------------------------------------------
#
# Each rule below is stated once, as a Q of plain field lookups. The database applies it (the
# pages' `state`, the slot a booking holds, the jobs, the BTH-7 count) and `q_holds` applies
# the very same Q to a booking already loaded, so there is no second copy to drift.


def overdue_q(now: datetime.datetime) -> Q:
    """The 10-minute rule (REQ BTH-6, CON-5): a booking the office confirmed (booked at once
    online, confirmed by staff's call, or approved), not checked in or started, 10 minutes
    past its start, no contact recorded in time, nobody joined, not reinstated by staff.

    Late contact and joins are only ever recorded before the 10 minutes are up (the services
    refuse them later), so once a booking matches it stays matched: the outcome is the same
    before and after the job records it.
    """
    return Q(
        status=Status.CONFIRMED,
        starts_at__lte=now - NO_SHOW_GRACE,
        checked_in_at__isnull=True,
        late_contact_at__isnull=True,
        joined_at__isnull=True,
        reinstated_at__isnull=True,
    )


def not_confirmed_q(now: datetime.datetime) -> Q:
    """A request the office never confirmed (a booth request nobody phoned about, an online
    request never approved) that has reached its start (REQ BTH-6): closed as "not confirmed
    by the office", the slot free, never a no-contact cancellation (BTH-7). Nothing revives a
    request after its start (the transitions refuse it), so it stays matched until recorded."""
    return Q(status=Status.REQUESTED, starts_at__lte=now)


def recorded_not_confirmed_q() -> Q:
    """A request the job has closed as not confirmed (cancelled with that cause)."""
    return Q(status=Status.CANCELLED, cancelled_via=CancelledVia.NOT_CONFIRMED)


def lapsed_q(now: datetime.datetime) -> Q:
    """Ended by time alone and not yet recorded: overdue or not confirmed by the start."""
    return overdue_q(now) | not_confirmed_q(now)


def state_rules(now: datetime.datetime) -> list[tuple[State, Q]]:
    """Where the state differs from the status, first match wins; otherwise the status."""
    return [
        (State.NO_SHOW, overdue_q(now)),
        (State.NOT_CONFIRMED, not_confirmed_q(now) | recorded_not_confirmed_q()),
    ]


_LOOKUPS = {
    "exact": operator.eq,
    "in": lambda value, choices: value in choices,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "isnull": lambda value, wanted: (value is None) is bool(wanted),
}


def q_holds(q: Q, obj) -> bool:
    """Whether the loaded `obj` matches `q`, as the database would say (REQ BTH-6).

    For the rules above: lookups in `_LOOKUPS` on the model's own fields, combined by AND, OR
    and negation. The fields they compare besides `isnull` are never NULL, so SQL's
    three-valued logic and Python's two agree. Anything else (a relation, F(), another
    lookup) raises rather than guesses.
    """
    if q.connector not in (Q.AND, Q.OR):
        raise ValueError(f"Unsupported connector {q.connector!r}")
    results = (
        q_holds(child, obj) if isinstance(child, Q) else _lookup_holds(obj, *child)
        for child in q.children
    )
    matched = all(results) if q.connector == Q.AND else any(results)
    return matched is not q.negated


def _lookup_holds(obj, key: str, wanted) -> bool:
    field, _sep, lookup = key.partition("__")
    check = _LOOKUPS.get(lookup or "exact")
    if check is None or "__" in lookup or hasattr(wanted, "resolve_expression"):
        raise ValueError(f"Unsupported lookup {key!r}")
    return check(getattr(obj, field), wanted)


def no_contact_q(since: datetime.datetime, now: datetime.datetime) -> Q:
    """No-shows counted for the approval rule (BTH-7) as a filter: since `since`, recorded or
    overdue by the 10-minute rule and not yet recorded. A request closed as not confirmed is
    neither, before or after the job records it."""
    return Q(starts_at__gte=since) & (Q(status=Status.NO_SHOW) | overdue_q(now))


class BookingQuerySet(models.QuerySet):
    def with_state(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Annotate `state` (a `State`): the status, or "no_show" once the 10-minute rule
        applies, or "not_confirmed" for a request that reached its start unconfirmed (BTH-6).

        The periodic job records both later; pages read `state` so they are true now.
        """
        now = now or timezone.now()
        return self.annotate(
            state=Case(
                *(When(q, then=Value(state.value)) for state, q in state_rules(now)),
                default=F("status"),
                output_field=models.CharField(),
            )
        )

    def overdue(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Bookings the 10-minute rule has turned into no-contact cancellations."""
        return self.filter(overdue_q(now or timezone.now()))

    def not_confirmed(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Requests that reached their start unconfirmed, not yet recorded (BTH-6)."""
        return self.filter(not_confirmed_q(now or timezone.now()))

    def lapsed(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Bookings time alone has ended (either rule), not yet recorded."""
        return self.filter(lapsed_q(now or timezone.now()))

    def holding_slot(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Bookings that really hold their slot now: active and not ended by time alone."""
        return self.filter(status__in=ACTIVE_STATUSES).exclude(lapsed_q(now or timezone.now()))

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
        """Requests the office must approve (BTH-7), leaving out those that reached their
        start unapproved (closed as not confirmed, BTH-6)."""
        return self.filter(status=Status.REQUESTED, needs_approval=True).exclude(
            not_confirmed_q(now or timezone.now())
        )

    def awaiting_phone_call(self, now: datetime.datetime | None = None) -> BookingQuerySet:
        """Requests staff still have to confirm by phone, oldest first (STF-1)."""
        return (
            self.filter(status=Status.REQUESTED)
            .exclude(not_confirmed_q(now or timezone.now()))
            .order_by("created_at")
        )


class Hold(models.Model):
    """One slot of one counselor or person, taken by one active booking (REQ CON-7, CON-10)."""

    starts_at = models.DateTimeField(_("starts at"))
    # The label of the booking model that holds it (its table's generated `holder`).
    holder = models.CharField(_("held by"), max_length=40, editable=False)

    class Meta:
        abstract = True


@audit_track(  # REQ STF-2
    office_model="accounts.Office",
    office_sql="(SELECT office_id FROM accounts_user WHERE id = NEW.counselor_id)",
)
class CounselorHold(Hold):
    """A counselor held for one slot by one active booking of either service (REQ CON-7)."""

    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counselor"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        verbose_name = _("counselor hold")
        verbose_name_plural = _("counselor holds")
        constraints = [
            models.UniqueConstraint(
                fields=["counselor", "starts_at"], name="bookings_counselorhold_once_per_slot"
            ),
            # The target of the bookings' composite foreign keys (see the module docstring).
            models.UniqueConstraint(
                fields=["id", "counselor", "starts_at", "holder"],
                name="bookings_counselorhold_booking_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counselor_id} {format_datetime(self.starts_at)}"


@audit_track(  # REQ STF-2
    office_model="accounts.Office",
    office_sql="(SELECT office_id FROM accounts_user WHERE id = NEW.user_id)",
    indexes=["user"],
)
class PersonHold(Hold):
    """A person held for one slot by one active booking of either service (REQ CON-10)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        verbose_name = _("person hold")
        verbose_name_plural = _("person holds")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "starts_at"], name="bookings_personhold_once_per_slot"
            ),
            models.UniqueConstraint(
                fields=["id", "user", "starts_at", "holder"],
                name="bookings_personhold_booking_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {format_datetime(self.starts_at)}"


def holder_field(label: str) -> models.GeneratedField:
    """A concrete booking model's `holder`: its own label, stored by the database, the last
    column of its composite foreign keys to the holds (see the module docstring)."""
    return models.GeneratedField(
        expression=Value(label),
        output_field=models.CharField(max_length=40),
        db_persist=True,
        verbose_name=_("held by"),
    )


def _holds_counselor() -> Q:
    return Q(status__in=ACTIVE_STATUSES) & Q(counselor__isnull=False)


def _holds_person() -> Q:
    return Q(status__in=ACTIVE_STATUSES) & Q(user__isnull=False)


# Kept out of the audit trail: a token, and bookkeeping the tracked changes already explain
# (the .ics sequence, when reminder and no-show mails were queued). Fewer tracked fields, fewer
# event rows on a booking write (REQ STF-2).
BOOKING_UNTRACKED = [
    "form_token",
    "sequence",
    "reminder_sent_at",
    "no_show_mailed_at",
    # The person's hold follows status, user and start, which are tracked; `holder` never
    # changes.
    "person_hold",
    "holder",
]


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
    person_hold = models.OneToOneField(
        PersonHold,
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
    # REQ CON-9: staff booked or moved it into a closed day or a time the place does not
    # publish, ticking the override; later availability changes are not held up by it.
    outside_availability = models.BooleanField(
        _("booked outside the published times"), default=False
    )
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
    # Booked with a counselor rather than a place: a clash on the counselor is the slot taken.
    counselor_is_the_slot = False
    # A person's request is booked at once (online), or waits for the office's call (booths).
    confirmed_on_request = False
    # Stored codes the audit trail shows by their labels (`core.audit.readable_value`).
    audit_value_labels = {"user_type": dict(UserType.choices)}
    # Staff's word for starting it: each service has its own (checking in at the counter,
    # starting the call), so one service never reads the other's wording.
    start_label = _("Start")

    class Meta:
        abstract = True
        ordering = ["starts_at"]
        constraints = [
            # REQ CON-7, CON-10: one 30-minute slot; ad-hoc use is bound to the current slot.
            models.CheckConstraint(
                condition=Q(ends_at=F("starts_at") + SLOT),
                name="%(app_label)s_%(class)s_one_slot",
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
            # REQ CON-10: an active booking with a user holds them; nothing else does.
            models.CheckConstraint(
                condition=(_holds_person() & Q(person_hold__isnull=False))
                | (~_holds_person() & Q(person_hold__isnull=True)),
                name="%(app_label)s_%(class)s_person_held_while_active",
            ),
        ]

    def where_label(self) -> str:
        """Where it happens, for pages, mails and the .ics (a booth, or the video tool)."""
        raise NotImplementedError

    # The kind's mail: a template extending "bookings/email/booking.txt" with its own
    # sentences and place, and a subject per kind of mail (received, confirmed, …).
    mail_template = ""

    def mail_subject(self, kind: str) -> str:
        raise NotImplementedError

    def book_again_url(self) -> str:
        """Where the person books again (a mail after a request was closed unconfirmed): the
        list of their bookings, which leads to both services; a kind may name its own page."""
        return reverse(settings.BOOKINGS_LIST_URL)

    def ics_location(self, page_url: str) -> str:
        """The .ics LOCATION: the office's address; an online booking gives its page."""
        office = self.office
        return f"{office.name} {office.address}".strip()

    def alternatives(self, now: datetime.datetime) -> list:
        """Free slots to offer when this booking's slot was just taken (BTH-2)."""
        return []

    def following_parts(self) -> models.QuerySet:
        """Active bookings that continue this one as one use (a booth's ad-hoc use taking the
        next slot too, BTH-8): they end when it is completed or cancelled."""
        return type(self).objects.none()

    def current_state(self, now: datetime.datetime | None = None) -> str:
        """The `State` now (BTH-6): the `state` annotation when the query made one
        (`with_state`), else the same rules (`state_rules`) applied to this loaded booking."""
        if hasattr(self, "state"):
            return self.state
        now = now or timezone.now()
        for state, q in state_rules(now):
            if q_holds(q, self):
                return state
        return self.status

    def get_state_display(self) -> str:
        return State(self.current_state()).label

    def companion_labels(self) -> list[str]:
        return [str(Companion(value).label) for value in self.companions if value in Companion]

    def is_upcoming_active(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.current_state(now) in ACTIVE_STATUSES and self.ends_at > now

    def is_finished(self, now: datetime.datetime | None = None) -> bool:
        """Over for good: completed, cancelled (either way) or closed unconfirmed; its page
        offers booking again instead of the rules for the day."""
        return self.current_state(now) in FINISHED_STATES


# Earlier-slot alerts (REQ ALR-1) live in their own module; Django finds models here.
from .alert_models import AlertMail, EarlierSlotAlert  # noqa: E402, F401
