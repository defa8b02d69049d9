"""Anonymised monthly figures per office, or for the whole country (REQ STA-1, NFR-4).

Every figure is a count of bookings whose slot starts in the month (Asia/Tokyo), computed by
the database with one GROUP BY (office, user type, purpose) query per service over the
month's range, for every office at once (suppression needs them all, see below), which the
(starts_at, status) indexes serve; offered slots come from one query for the active booths
and one for the closures, and one more reads the offices' data versions, under which the
suppressed month is cached. A page therefore costs the same few queries whatever the number
of stored reservations (`manage.py stats_bench` times it).

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

Disclosure control (`workplace.suppression`): a count from 1 to 4 is shown as "<5"; a zero
stays "0". A reader knows how the figures add up: each breakdown's rows add up to the total
row (one total shared by both breakdowns), every office's figure adds up to the national one,
and requests + ad-hoc uses - cancellations online and by phone - no-contact cancellations -
booked slots leaves only a small rest (cancellations for other causes, requests never
confirmed, the second slots of ad-hoc uses), taken as known. So one month is suppressed
once, for every office and the national view together, and the page, the CSV and the
national view of that month all show the same cells hidden: no hidden count can be worked
out from everything they show (secondary suppression, exact linear algebra). Hidden cells
all read "<5", whatever hid them. Utilisation is hidden with the booked slots it is computed
from.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import caches
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Office, UserType
from bookings import calendar
from bookings.alerts import alert_figures
from bookings.models import CancelledVia, OfficeClosure, Source, Status, lapsed_q, overdue_q
from booths.models import Booth, Purpose, Reservation
from consultations.models import Consultation, ConsultationPurpose
from core.versioning import CACHE_ALIAS

from .suppression import sum_relation, suppress

SUPPRESSED = "<5"
NATIONAL = "national"  # the scope key of the national figures

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


# --- Pure parts: month range, offered slots, the month's relations -------------------------------


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


# The figures of one row that a reader can balance: every advance request or ad-hoc use ends
# cancelled (online, by phone, or for another cause), as a no-contact cancellation, unconfirmed,
# or in a booked slot (with the ad-hoc uses' second slots). The other causes are rare, so the
# rest is taken as known.
BALANCE = {"requests": 1, "adhoc": 1, "cancelled_online": -1, "cancelled_phone": -1}
BALANCE |= {"no_contact": -1}


def scope_cells() -> list[tuple]:
    """The cells one office (or the nation) publishes for a month."""
    cells: list[tuple] = [("booked",)]
    for name in FIGURES:
        cells.append(("total", name))
        cells += [("user_type", key, name) for key, _l in USER_TYPE_ROWS]
        cells += [("purpose", key, name) for key, _l in PURPOSE_ROWS]
    return cells


def scope_relations(scope) -> list[dict]:
    """How one scope's cells add up: each breakdown to the shared total row, and the balance
    of the total row with the booked slots."""
    relations = []
    for name in FIGURES:
        total = (scope, "total", name)
        relations.append(
            sum_relation([(scope, "user_type", k, name) for k, _l in USER_TYPE_ROWS], total)
        )
        relations.append(
            sum_relation([(scope, "purpose", k, name) for k, _l in PURPOSE_ROWS], total)
        )
    balance = {(scope, "total", name): sign for name, sign in BALANCE.items()}
    balance[(scope, "booked")] = -1
    relations.append(balance)
    return relations


def month_relations(offices: Iterable) -> list[dict]:
    """Every office's relations, and each national cell as the sum of the offices' ones."""
    offices = list(offices)
    relations = [
        relation for office in [*offices, NATIONAL] for relation in scope_relations(office)
    ]
    for cell in scope_cells():
        relations.append(sum_relation([(office, *cell) for office in offices], (NATIONAL, *cell)))
    return relations


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


_USER_TYPES = frozenset(key for key, _label in USER_TYPE_ROWS) - {OTHER}
_PURPOSES = frozenset(key for key, _label in PURPOSE_ROWS) - {OTHER}


def _user_type_row(user_type: str) -> str:
    return user_type if user_type in _USER_TYPES else OTHER


def _purpose_row(purpose: str) -> str:
    return purpose if purpose in _PURPOSES else OTHER


def _booth_counts(start, end, now) -> list[dict]:
    """Every office's counts: the month is suppressed for all of them together."""
    reservations = Reservation.objects.filter(starts_at__gte=start, starts_at__lt=end)
    no_contact = Q(status=Status.NO_SHOW) | overdue_q(now)
    return list(
        reservations.order_by()
        .values("booth__office_id", "user_type", "purpose")
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


def _online_counts(start, end) -> list[dict]:
    consultations = Consultation.objects.filter(starts_at__gte=start, starts_at__lt=end)
    held = Q(status__in=[Status.CHECKED_IN, Status.COMPLETED]) | (
        Q(joined_at__isnull=False) & ~Q(status=Status.CANCELLED)
    )
    return list(
        consultations.order_by()
        .values("office_id", "user_type", "purpose")
        .annotate(online_held=Count("pk", filter=held))
    )


def _month_values(office: Office | None, start, end, now) -> tuple[dict[tuple, int], list]:
    """Every cell of every office with bookings in the month (and of `office`), and the
    national ones, keyed (office id or NATIONAL, *cell)."""
    values: dict[tuple, int] = defaultdict(int)
    rows = [
        *((row, row["booth__office_id"], BOOTH_FIGURES) for row in _booth_counts(start, end, now)),
        *((row, row["office_id"], ONLINE_FIGURES) for row in _online_counts(start, end)),
    ]
    offices = {office.pk} if office is not None else set()
    for row, office_id, names in rows:
        offices.add(office_id)
        user_type = _user_type_row(row["user_type"])
        purpose = _purpose_row(row["purpose"])
        for name in names:
            values[(office_id, "user_type", user_type, name)] += row[name]
            values[(office_id, "purpose", purpose, name)] += row[name]
            values[(office_id, "total", name)] += row[name]
        values[(office_id, "booked")] += row.get("booked", 0)
    offices = sorted(offices)
    for cell in scope_cells():
        values[(NATIONAL, *cell)] = sum(values[(office_id, *cell)] for office_id in offices)
    return dict(values), offices


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


# Time alone changes a month's figures at a slot's start (a request left unconfirmed) and 10
# minutes later (the 10-minute rule), so a cached month is kept to the next 10-minute mark.
TIME_STEP = datetime.timedelta(minutes=10)


def _cache_key(base: tuple, scope) -> str:
    return hashlib.blake2b(repr((*base, scope)).encode(), digest_size=20).hexdigest()


def _suppressed_scope(office: Office | None, year: int, month: int, now) -> tuple[dict, set]:
    """One scope's cells (cell -> count) and the hidden ones, from the month suppressed for
    every office at once.

    The whole month is read and suppressed once, then kept in the "grids" cache a scope an
    entry, under the sum of every office's data version (raised by triggers whenever a booking
    of either service changes, never lowered, so any change makes a new key) and, while time
    can still change the month, the current 10-minute step. An office page therefore reads
    the country's month only when something changed, and suppresses it again only when its
    counts changed.
    """
    start, end = month_range(year, month)
    versions = Office.objects.aggregate(
        total=Sum("availability_version"), count=Count("pk"), last=Max("pk")
    )
    step = None
    timeout = {}
    if now < end + TIME_STEP:
        local = timezone.localtime(now, calendar.TOKYO)
        step = local.replace(minute=local.minute - local.minute % 10, second=0, microsecond=0)
        timeout = {"timeout": max((step + TIME_STEP - now).total_seconds(), 0.001)}
    base = ("statistics-month", year, month, *versions.values(), step)
    scope = office.pk if office is not None else NATIONAL
    cache = caches[CACHE_ALIAS]
    index_key, scope_key = _cache_key(base, "scopes"), _cache_key(base, scope)
    found = cache.get_many([index_key, scope_key])
    cells = scope_cells()
    if scope_key in found:
        counts, mask = found[scope_key]
    elif index_key in found and scope not in found[index_key]:
        # No booking of this office in the month: every cell is a zero, shown.
        counts, mask = (0,) * len(cells), 0
    else:
        values, offices = _month_values(office, start, end, now)
        # Kept small: counts in the order of `scope_cells`, the hidden ones as bits.
        counted = {
            each: tuple(values[(each, *cell)] for cell in cells) for each in [*offices, NATIONAL]
        }
        # The suppression depends on the counts alone: kept under them too, so a booking in
        # another month (a new version) costs the queries but not the suppression again.
        masks_key = _cache_key(("statistics-masks", repr(sorted(counted.items(), key=repr))), "")
        masks = cache.get(masks_key)
        if masks is None:
            hidden = suppress(values, month_relations(offices))
            masks = {
                each: sum(1 << bit for bit, cell in enumerate(cells) if (each, *cell) in hidden)
                for each in counted
            }
            cache.set(masks_key, masks)
        entries = {_cache_key(base, each): (counted[each], masks[each]) for each in counted}
        entries[index_key] = frozenset(counted)
        cache.set_many(entries, **timeout)
        counts, mask = entries[scope_key]
    values = dict(zip(cells, counts, strict=True))
    return values, {cell for bit, cell in enumerate(cells) if mask >> bit & 1}


def month_statistics(
    *, office: Office | None, year: int, month: int, now: datetime.datetime | None = None
) -> MonthStatistics:
    """The month's figures for `office`, or for every office when `office` is None.

    Five queries, whatever the data's size, three when the month is cached. Every office's
    figures are read and suppressed together, so what an office's page hides stays hidden
    next to the national view and the other offices' pages.
    """
    now = now or timezone.now()
    values, hidden = _suppressed_scope(office, year, month, now)
    booked = values[("booked",)]

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
    online, total), for one office or the nation, under the same disclosure control as the
    other figures (STA-1): every office's figures and the national ones are suppressed together,
    with each office's services adding up to its total and the offices adding up to the
    national figure, so no office's hidden count is the nation's minus the others'. One
    aggregate query (`bookings.alerts.alert_figures`)."""
    start, end = month_range(year, month)
    figures = alert_figures(start, end)
    columns = [*ALERT_SERVICES, "total"]
    offices = sorted(figures)
    values: dict[tuple, int] = {}
    relations = []
    for name, _label in ALERT_FIGURES:
        for office_id in offices:
            for service in ALERT_SERVICES:
                values[(office_id, name, service)] = (
                    figures[office_id].get(service, {}).get(name, 0)
                )
        for scope in [*offices, NATIONAL]:
            if scope == NATIONAL:
                for service in ALERT_SERVICES:
                    values[(NATIONAL, name, service)] = sum(
                        values[(o, name, service)] for o in offices
                    )
            values[(scope, name, "total")] = sum(values[(scope, name, s)] for s in ALERT_SERVICES)
            relations.append(
                sum_relation([(scope, name, s) for s in ALERT_SERVICES], (scope, name, "total"))
            )
        relations += [
            sum_relation([(o, name, column) for o in offices], (NATIONAL, name, column))
            for column in columns
        ]
    hidden = suppress(values, relations)
    scope = NATIONAL if office is None else office.pk
    return [
        Row(
            name,
            label,
            [
                Cell(values.get((scope, name, column), 0), (scope, name, column) in hidden)
                for column in columns
            ],
        )
        for name, label in ALERT_FIGURES
    ]
