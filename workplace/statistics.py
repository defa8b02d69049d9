"""Anonymised monthly figures per office, or for the whole country (REQ STA-1, NFR-4).

Every figure is a count of bookings whose slot starts in the month (Asia/Tokyo), computed by
the database with one GROUP BY (user type, purpose) query per service over the month's range,
which the (booth, starts_at) and (office, starts_at) indexes serve; offered slots come from one
query for the active booths and one for the closures. A page therefore costs the same few
queries whatever the number of stored reservations (`manage.py stats_bench` times it).

The figures, each over the month's slots:

- requests: booth reservations booked in advance (online, or by staff for a caller);
- confirmed: of those, the ones staff confirmed by phone;
- completed: booth uses that ended normally;
- cancelled online / by phone: cancelled by the user online, or by phone and recorded by staff;
- no-contact cancellations: recorded by the job, or already overdue under the 10-minute rule
  and not yet recorded (REQ BTH-6), so the figures are true before the job runs; only
  bookings the office confirmed can be one: a request closed "not confirmed by the office"
  counts in none of the cancellation figures;
- ad-hoc uses: booth uses started without a booking (online "use now" or at the counter);
- online consultations held: in progress, completed, or joined (and not cancelled);
- booked slots: booth slots held by a reservation that was not cancelled, not a no-show and
  not a request that reached its start unconfirmed;
  utilisation is booked slots / offered slots, where offered slots are the month's business
  days (office closures removed) x the office's active booths x its slots per day.

Rows are kept by user type on the booking itself, so a deleted account's anonymised bookings
still count (REQ REG-5). Nothing personal is read: only counts leave the database.

Disclosure control: a count under 5 is shown as "<5" (zero included). Because each breakdown
adds up to the total row, a single hidden cell in a column could be worked out from the others;
`suppress` then hides the next smallest cell of that column, or the total when no other cell
is left, and repeats until no column (in either breakdown) has exactly one hidden cell.
Utilisation is hidden with the booked slots it is computed from.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Office, UserType
from bookings import calendar
from bookings.alerts import alert_figures
from bookings.models import CancelledVia, OfficeClosure, Source, Status, lapsed_q, overdue_q
from booths.models import Booth, Purpose, Reservation
from consultations.models import Consultation, ConsultationPurpose

THRESHOLD = 5
SUPPRESSED = "<5"

BOOTH_FIGURES = [
    "requests",
    "confirmed",
    "completed",
    "cancelled_online",
    "cancelled_phone",
    "no_contact",
    "adhoc",
]
ONLINE_FIGURES = ["online_held"]
FIGURES = [*BOOTH_FIGURES, *ONLINE_FIGURES]
FIGURE_LABELS: dict[str, Promise] = {
    "requests": _("Requests"),
    "confirmed": _("Confirmed"),
    "completed": _("Completed"),
    "cancelled_online": _("Cancelled online"),
    "cancelled_phone": _("Cancelled by phone"),
    "no_contact": _("No-contact cancellations"),
    "adhoc": _("Ad-hoc uses"),
    "online_held": _("Online consultations held"),
}

OTHER = "other"
USER_TYPE_ROWS: list[tuple[str, Promise]] = [
    (UserType.JOB_SEEKER.value, UserType.JOB_SEEKER.label),
    (UserType.EMPLOYER.value, UserType.EMPLOYER.label),
    (OTHER, _("Other or not recorded")),
]
PURPOSE_ROWS: list[tuple[str, Promise]] = [
    (Purpose.JOB_CONSULTATION.value, Purpose.JOB_CONSULTATION.label),
    (Purpose.JOB_REFERRAL.value, Purpose.JOB_REFERRAL.label),
    (Purpose.INTERVIEW.value, Purpose.INTERVIEW.label),
    (Purpose.SELECTION.value, Purpose.SELECTION.label),
    (ConsultationPurpose.APPLICATION_SUPPORT.value, ConsultationPurpose.APPLICATION_SUPPORT.label),
    (OTHER, _("Other or not recorded")),
]
BOOKED_STATUSES = [Status.REQUESTED, Status.CONFIRMED, Status.CHECKED_IN, Status.COMPLETED]


# --- Pure parts: month range, offered slots, suppression -----------------------------------


def month_range(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware [start, end) of a month in Asia/Tokyo."""
    start = datetime.datetime(year, month, 1, tzinfo=calendar.TOKYO)
    following = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=calendar.TOKYO)
    return start, following


def offered_slots(
    *,
    year: int,
    month: int,
    booths: int,
    opens_at: datetime.time,
    closes_at: datetime.time,
    closures: Iterable[datetime.date] = (),
) -> int:
    """Business days of the month (closures removed) x booths x slots per day."""
    days = calendar.month_days(year, month)
    business = calendar.business_days_between(days[0], days[-1], closures=frozenset(closures))
    return len(business) * booths * len(calendar.slot_times(opens_at, closes_at))


def suppress(values: dict[tuple, int], groups: Iterable[tuple[list[tuple], tuple]]) -> set[tuple]:
    """The keys of `values` to hide: every count under 5, and enough others that no hidden
    count can be worked out from a group's parts and its total (complementary suppression).

    `groups` are (part keys, total key) with total = sum(parts). A group must never have
    exactly one hidden cell; when it has, the smallest shown part is hidden too (the total
    only when every part is hidden), until no group changes. Ties break on the key, so the
    result is the same on every run.
    """
    groups = [(list(parts), total) for parts, total in groups]
    hidden = {key for key, value in values.items() if value < THRESHOLD}
    changed = True
    while changed:
        changed = False
        for parts, total in groups:
            cells = [*parts, total]
            if sum(1 for key in cells if key in hidden) != 1:
                continue
            shown_parts = [key for key in parts if key not in hidden]
            if shown_parts:
                hidden.add(min(shown_parts, key=lambda key: (values[key], repr(key))))
            else:
                hidden.add(total)
            changed = True
    return hidden


# --- Results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    value: int
    hidden: bool

    @property
    def display(self) -> str:
        return SUPPRESSED if self.hidden else str(self.value)

    def __str__(self) -> str:
        return self.display


@dataclass
class Row:
    key: str
    label: Promise | str
    cells: list[Cell]


@dataclass
class Breakdown:
    title: Promise
    rows: list[Row]
    total: Row


@dataclass
class MonthStatistics:
    office: Office | None  # None: the whole country
    year: int
    month: int
    figures: list[tuple[str, Promise]]
    totals: Row
    by_user_type: Breakdown
    by_purpose: Breakdown
    booked_slots: Cell
    offered_slots: int
    utilisation_percent: str | None  # None while hidden (or nothing was offered)
    breakdowns: list[Breakdown] = field(default_factory=list)

    @property
    def scope_label(self) -> str:
        return self.office.name if self.office else str(_("All offices (national)"))


# --- Queries ---------------------------------------------------------------------------------


def _user_type_row(user_type: str) -> str:
    known = {key for key, _label in USER_TYPE_ROWS}
    return user_type if user_type in known and user_type != OTHER else OTHER


def _purpose_row(purpose: str) -> str:
    known = {key for key, _label in PURPOSE_ROWS}
    return purpose if purpose in known and purpose != OTHER else OTHER


def _booth_counts(office: Office | None, start, end, now) -> list[dict]:
    reservations = Reservation.objects.filter(starts_at__gte=start, starts_at__lt=end)
    if office is not None:
        reservations = reservations.filter(booth__office=office)
    no_contact = Q(status=Status.NO_SHOW) | overdue_q(now)
    return list(
        reservations.order_by()
        .values("user_type", "purpose")
        .annotate(
            requests=Count("pk", filter=Q(source__in=[Source.ONLINE, Source.STAFF])),
            confirmed=Count(
                "pk",
                filter=Q(source__in=[Source.ONLINE, Source.STAFF], confirmed_at__isnull=False),
            ),
            # The second slot of an ad-hoc use (BTH-8) is the same use: a booked slot, not
            # another use.
            completed=Count("pk", filter=Q(status=Status.COMPLETED, continues__isnull=True)),
            cancelled_online=Count(
                "pk", filter=Q(status=Status.CANCELLED, cancelled_via=CancelledVia.ONLINE)
            ),
            cancelled_phone=Count(
                "pk", filter=Q(status=Status.CANCELLED, cancelled_via=CancelledVia.PHONE)
            ),
            no_contact=Count("pk", filter=no_contact),
            adhoc=Count(
                "pk",
                filter=Q(source__in=[Source.ADHOC, Source.COUNTER], continues__isnull=True),
            ),
            # Time alone ended some (BTH-6): a no-show, or a request never confirmed.
            booked=Count("pk", filter=Q(status__in=BOOKED_STATUSES) & ~lapsed_q(now)),
        )
    )


def _online_counts(office: Office | None, start, end) -> list[dict]:
    consultations = Consultation.objects.filter(starts_at__gte=start, starts_at__lt=end)
    if office is not None:
        consultations = consultations.filter(office=office)
    held = Q(status__in=[Status.CHECKED_IN, Status.COMPLETED]) | (
        Q(joined_at__isnull=False) & ~Q(status=Status.CANCELLED)
    )
    return list(
        consultations.order_by()
        .values("user_type", "purpose")
        .annotate(online_held=Count("pk", filter=held))
    )


def _offered(office: Office | None, year: int, month: int) -> int:
    """Offered booth slots: two queries whatever the number of offices."""
    days = calendar.month_days(year, month)
    booths = Booth.objects.filter(is_active=True, office__offers_booths=True)
    closures = OfficeClosure.objects.filter(date__gte=days[0], date__lte=days[-1])
    if office is not None:
        booths = booths.filter(office=office)
        closures = closures.filter(office=office)
    per_office = booths.order_by().values("office_id", "office__opens_at", "office__closes_at")
    closed: dict[int, set[datetime.date]] = defaultdict(set)
    for office_id, day in closures.order_by().values_list("office_id", "date"):
        closed[office_id].add(day)
    base = calendar.business_days_between(days[0], days[-1])
    total = 0
    for row in per_office.annotate(booths=Count("pk")):
        business = len([day for day in base if day not in closed[row["office_id"]]])
        slots = len(calendar.slot_times(row["office__opens_at"], row["office__closes_at"]))
        total += business * row["booths"] * slots
    return total


def month_statistics(
    *, office: Office | None, year: int, month: int, now: datetime.datetime | None = None
) -> MonthStatistics:
    """The month's figures for `office`, or for every office when `office` is None.

    Four queries, whatever the data's size.
    """
    now = now or timezone.now()
    start, end = month_range(year, month)
    by_type: dict[str, dict[str, int]] = {key: defaultdict(int) for key, _l in USER_TYPE_ROWS}
    by_purpose: dict[str, dict[str, int]] = {key: defaultdict(int) for key, _l in PURPOSE_ROWS}
    totals: dict[str, int] = defaultdict(int)
    booked = 0
    rows = [
        *((row, BOOTH_FIGURES) for row in _booth_counts(office, start, end, now)),
        *((row, ONLINE_FIGURES) for row in _online_counts(office, start, end)),
    ]
    for row, names in rows:
        type_counts = by_type[_user_type_row(row["user_type"])]
        purpose_counts = by_purpose[_purpose_row(row["purpose"])]
        for name in names:
            type_counts[name] += row[name]
            purpose_counts[name] += row[name]
            totals[name] += row[name]
        booked += row.get("booked", 0)

    values: dict[tuple, int] = {("booked",): booked}
    for name in FIGURES:
        values[("total", name)] = totals[name]
        for key, _label in USER_TYPE_ROWS:
            values[("user_type", key, name)] = by_type[key][name]
        for key, _label in PURPOSE_ROWS:
            values[("purpose", key, name)] = by_purpose[key][name]
    groups = []
    for name in FIGURES:
        total_key = ("total", name)
        groups.append(([("user_type", key, name) for key, _l in USER_TYPE_ROWS], total_key))
        groups.append(([("purpose", key, name) for key, _l in PURPOSE_ROWS], total_key))
    hidden = suppress(values, groups)

    def cell(key: tuple) -> Cell:
        return Cell(values[key], key in hidden)

    total_row = Row("total", _("Total"), [cell(("total", name)) for name in FIGURES])

    def breakdown(title: Promise, kind: str, keys: list[tuple[str, Promise]]) -> Breakdown:
        return Breakdown(
            title,
            [Row(key, label, [cell((kind, key, name)) for name in FIGURES]) for key, label in keys],
            total_row,
        )

    offered = _offered(office, year, month)
    booked_cell = cell(("booked",))
    utilisation = None
    if not booked_cell.hidden and offered:
        utilisation = f"{booked / offered * 100:.1f}"
    by_user_type = breakdown(_("By user type"), "user_type", USER_TYPE_ROWS)
    by_purpose_breakdown = breakdown(_("By purpose"), "purpose", PURPOSE_ROWS)
    return MonthStatistics(
        office=office,
        year=year,
        month=month,
        figures=[(name, FIGURE_LABELS[name]) for name in FIGURES],
        totals=total_row,
        by_user_type=by_user_type,
        by_purpose=by_purpose_breakdown,
        booked_slots=booked_cell,
        offered_slots=offered,
        utilisation_percent=utilisation,
        breakdowns=[by_user_type, by_purpose_breakdown],
    )


# --- Earlier-slot alerts (REQ ALR-1) -------------------------------------------------------

ALERT_FIGURES = [
    ("sent", _("Earlier-slot alert mails sent")),
    ("filled", _("Slots booked through an alert")),
]
ALERT_SERVICES = ["booth", "online"]


def alert_statistics(*, office: Office | None, year: int, month: int) -> list[Row]:
    """Alert mails queued in the month and the slots booked through them, by service (booths,
    online, total), under the same disclosure control as the other figures (STA-1): one
    aggregate query (`bookings.alerts.alert_figures`)."""
    start, end = month_range(year, month)
    counts = alert_figures(getattr(office, "pk", None), start, end)
    values: dict[tuple, int] = {}
    groups = []
    for name, _label in ALERT_FIGURES:
        for service in ALERT_SERVICES:
            values[(name, service)] = counts.get(service, {}).get(name, 0)
        values[(name, "total")] = sum(values[(name, s)] for s in ALERT_SERVICES)
        groups.append(([(name, s) for s in ALERT_SERVICES], (name, "total")))
    hidden = suppress(values, groups)
    return [
        Row(
            name,
            label,
            [Cell(values[(name, s)], (name, s) in hidden) for s in [*ALERT_SERVICES, "total"]],
        )
        for name, label in ALERT_FIGURES
    ]
