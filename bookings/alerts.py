"""Earlier-slot alerts (REQ ALR-1): the person's alerts, and the mails when a slot frees up.

A slot frees up whenever an active booking stops holding it: cancelled (online, by phone, by
the account's end), moved, its counselor changed. `services.transition` asks `slot_of` before
a change and hands the answer to `queue_if_freed` after it, which defers the job
`alerts_mail_freed_slot` (`bookings.tasks`) in the same transaction, a minute later
(`FREED_SLOT_WAIT`): a slot taken again within the minute mails nobody, since the job first
checks that the slot is still free and still open to requests (cut-off, closures, the place's
published times). A withdrawn slot taken back calls `queue_slot_freed`; a closure lifted,
`queue_day_opened` (each waiting person is mailed once, for the day's first free slot).

The job chooses the matching, eligible people in one statement whatever their number (REQ
NFR-4): live alerts of the office, service and place whose range holds the day, one a person,
whose kept facts (`alerts_sql.py`: a verified address, the starts of active bookings and of
no-contact ones) allow a booking now: under the office's cap of active bookings of the
service, not in need of the office's approval (BTH-7); of those, people who may book now
(active, not suspended, residence data, the kind's own rule), free at that time (CON-10), not
yet mailed for this slot and under the office's mails a day. It keeps them as one `AlertRound` row (two lists) and defers the job
`alerts_store_round`, which stores one `AlertMail` each (unique per person and slot) and one
outbox row each, composed at delivery (`compose_alert_mail`), then deletes the round: so the
freeing job's cost is the choice alone, and each mail is still an outbox message of its own,
delivered, retried and given up on its own. Until a round is stored, its people count as
mailed for its slot and for the day. People who have not accepted the terms in effect are
mailed, and told to accept them first (the request page asks them to, TRM-4). The mail never
names who freed the slot. Jobs of one office run one at a time (their procrastinate lock), so
the day's cap holds. A round whose store job is gone is queued again, or dropped once stale
(`recover_rounds`, every 5 minutes).

The first to book gets the slot (the holds, BTH-2); the others meet "just taken" with the next
free times and keep their alert. An alert ends when its person books inside its range (a
trigger, `alerts_sql.py`), when they cancel it, when its range passes (`end_passed_alerts`,
daily) or with the account (`alerts_erase_for_user`, REG-5).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.manager import JobManager

from accounts.eligibility import booking_block_reason
from accounts.models import Office, User
from core.outbox import outbox_enqueue_selected_to_compose
from core.statements import kept_statement
from terms.gate import version_in_effect
from terms.models import Consent, TermsVersion

from . import calendar
from .alert_models import MAX_LIVE_ALERTS, AlertEnd, AlertMail, AlertRound, EarlierSlotAlert
from .availability import closures_for
from .models import ACTIVE_STATUSES, NO_SHOW_GRACE, PersonHold
from .registry import BookingKind, booking_kinds, kind_of
from .rules import last_requestable_day, request_refusal_reason

# The job runs this long after the slot frees up: taken again by then, nobody is mailed.
FREED_SLOT_WAIT = datetime.timedelta(seconds=60)
# Without a later booking of the service, an alert reaches this many business days ahead.
DEFAULT_BUSINESS_DAYS = 14
COMPOSER = "earlier_slot"
MAIL_KIND = "earlier_slot"

_jobs_in_this_transaction = JobManager(connector=DjangoConnector())


def kind_for(service: str) -> BookingKind:
    return next(kind for kind in booking_kinds() if kind.service == service)


# --- The person's alerts ------------------------------------------------------------------


def default_range(user, kind: BookingKind, *, now: datetime.datetime):
    """From today until the day before the person's next booking of the service, or
    DEFAULT_BUSINESS_DAYS business days; never beyond the booking horizon."""
    today = calendar.local(now).date()
    horizon = last_requestable_day(now)
    current = (
        kind.model.objects.for_user(user)
        .active_future(now)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    if current is not None:
        last = max(today, calendar.local(current).date() - datetime.timedelta(days=1))
    else:
        days = calendar.business_days_between(today, today + datetime.timedelta(days=40))
        last = days[min(DEFAULT_BUSINESS_DAYS, len(days)) - 1]
    return today, min(last, horizon)


def alert_refusal_reason(user, kind: BookingKind) -> str | None:
    """Why this person can't ask for alerts of this service (the rules of booking it)."""
    reason = booking_block_reason(user)
    if reason:
        return reason
    office = user.office
    if office is None or not kind.alert_places(office):
        return _("Your office does not take bookings of this kind online.")
    if not User.objects.filter(kind.alert_people_q(), pk=user.pk).exists():
        return _("You can't book this kind of consultation online. Please phone the office.")
    return None


@transaction.atomic
def alert_create(
    *,
    user,
    service: str,
    place_id: int | None,
    first_day: datetime.date,
    last_day: datetime.date,
    now: datetime.datetime | None = None,
) -> EarlierSlotAlert:
    """The person asks to be told when a slot of `service` at their office (at one place, or
    any) frees up between `first_day` and `last_day` (REQ ALR-1). At most MAX_LIVE_ALERTS
    alerts a person, kept by the database."""
    now = now or timezone.now()
    kind = kind_for(service)
    reason = alert_refusal_reason(user, kind)
    if reason:
        raise ValidationError(reason, code="refused")
    if place_id is not None and place_id not in dict(kind.alert_places(user.office)):
        raise ValidationError({"place": _("Choose one of the places offered.")})
    today = calendar.local(now).date()
    horizon = last_requestable_day(now)
    if first_day < today:
        raise ValidationError({"first_day": _("Choose today or a later day.")})
    if last_day < first_day:
        raise ValidationError({"last_day": _("Choose a day on or after the first day.")})
    if last_day > horizon:
        raise ValidationError(
            {
                "last_day": _("Bookings are taken up to %(day)s. Choose that day or earlier.")
                % {"day": calendar.format_date(horizon)}
            }
        )
    # A range that has passed no longer counts against the limit, job run or not.
    end_passed_alerts(now=now, user=user)
    try:
        with transaction.atomic():
            return EarlierSlotAlert.objects.create(
                user=user,
                office_id=user.office_id,
                service=service,
                place_id=place_id,
                first_day=first_day,
                last_day=last_day,
                created_at=now,
            )
    except IntegrityError:
        raise ValidationError(
            _(
                "You already have %(count)s alerts, the most one person can have. Cancel one "
                "on your reservations page first."
            )
            % {"count": MAX_LIVE_ALERTS},
            code="too_many",
        ) from None


@transaction.atomic
def alert_cancel(*, user, alert_id: int, now: datetime.datetime | None = None) -> bool:
    """The person cancels their alert: no more mails from it. False when it had ended."""
    return bool(
        EarlierSlotAlert.objects.for_user(user)
        .filter(pk=alert_id, ended_at__isnull=True)
        .update(ended_at=now or timezone.now(), end_reason=AlertEnd.CANCELLED)
    )


def end_passed_alerts(*, now: datetime.datetime, user=None) -> int:
    """End the alerts whose range has passed (the daily job; or one person's)."""
    today = calendar.local(now).date()
    alerts = EarlierSlotAlert.objects.filter(ended_at__isnull=True, last_day__lt=today)
    if user is not None:
        alerts = alerts.for_user(user)
    return alerts.update(ended_at=now, end_reason=AlertEnd.PASSED)


def alerts_erase_for_user(*, user) -> int:
    """An account is deleted (REG-5): its alerts go; the mails sent stay counted, anonymous."""
    deleted, _rows = EarlierSlotAlert.objects.for_user(user).delete()
    return deleted


@dataclass(frozen=True)
class AlertRow:
    alert: EarlierSlotAlert
    service_label: str
    place_label: str


def live_alerts_of(user, *, now: datetime.datetime) -> list[AlertRow]:
    """The person's live alerts, for their reservations page (one query a kind at most)."""
    alerts = list(EarlierSlotAlert.objects.for_user(user).live(now))
    rows = []
    places: dict[str, dict] = {}
    for alert in alerts:
        kind = kind_for(alert.service)
        if alert.service not in places:
            places[alert.service] = dict(kind.alert_places(user.office))
        rows.append(
            AlertRow(
                alert=alert,
                service_label=str(kind.model._meta.verbose_name),
                place_label=places[alert.service].get(alert.place_id, "")
                if alert.place_id
                else _("Any"),
            )
        )
    return rows


# --- A slot frees up ------------------------------------------------------------------------


@dataclass(frozen=True)
class FreedSlot:
    service: str
    office_id: int
    place_id: int
    starts_at: datetime.datetime


def slot_of(booking) -> tuple | None:
    """The slot an active booking holds, as alerts name it (service, place id, start); None
    for any other booking. Reads the loaded booking only."""
    if booking.status not in ACTIVE_STATUSES:
        return None
    try:
        place_id = kind_of(booking).alert_place_id(booking)
    except KeyError:
        return None
    if place_id is None:
        return None
    return (booking.service, place_id, booking.starts_at)


def queue_if_freed(before: tuple | None, booking, *, now: datetime.datetime | None) -> None:
    """After a change of `booking`: if the slot it held before (`slot_of` then) is no longer
    the one it holds, queue the alerts' job for it, in the caller's transaction."""
    if before is None or slot_of(booking) == before:
        return
    service, place_id, starts_at = before
    if starts_at <= (now or timezone.now()):
        return
    from .services import office_id_of

    queue_slot_freed(FreedSlot(service, office_id_of(booking), place_id, starts_at), now=now)


def queue_slot_freed(slot: FreedSlot, *, now: datetime.datetime | None) -> None:
    """Defer the job that mails the people waiting for `slot`, FREED_SLOT_WAIT from now, in
    the caller's transaction (it commits or rolls back with the change). A slot that has
    started is nobody's to book: nothing is queued."""
    now = now or timezone.now()
    if slot.starts_at <= now:
        return
    from .tasks import alerts_mail_freed_slot

    job = alerts_mail_freed_slot.configure(
        lock=f"alerts:office:{slot.office_id}",
        schedule_at=now + FREED_SLOT_WAIT,
    ).make_new_job(
        service=slot.service,
        office_id=slot.office_id,
        place_id=slot.place_id,
        starts_at=slot.starts_at.isoformat(),
    )
    _jobs_in_this_transaction.defer_job(job)


def queue_day_opened(*, office_id: int, day: datetime.date, now=None) -> None:
    """A closure lifted (REQ ALR-1): defer the job that mails those waiting for the day, in
    the caller's transaction, FREED_SLOT_WAIT from now."""
    now = now or timezone.now()
    if day < calendar.local(now).date():
        return
    from .tasks import alerts_mail_opened_day

    job = alerts_mail_opened_day.configure(
        lock=f"alerts:office:{office_id}", schedule_at=now + FREED_SLOT_WAIT
    ).make_new_job(office_id=office_id, day=day.isoformat())
    _jobs_in_this_transaction.defer_job(job)


def _count(queryset) -> Coalesce:
    """The number of rows of `queryset` (filtered on OuterRef), as a subquery."""
    return Coalesce(
        Subquery(
            queryset.order_by()
            .annotate(group=Value(1))
            .values("group")
            .annotate(n=Count("*"))
            .values("n")[:1]
        ),
        0,
    )


def waiting_people(kind: BookingKind, office: Office, slot: FreedSlot, *, now: datetime.datetime):
    """Who waits for `slot` and may book it now, as SQL and its parameters: a row (alert id,
    user id) per person. One statement, whatever the number of alerts, read by the database
    alone (REQ NFR-4), set-wise: the alerts that match come first from their index, one per
    person; then each of those people is looked up once, by
    index (the person, their verified address, mails, holds and bookings: a LATERAL subquery
    that OFFSET 0 keeps the planner from turning into a read of the whole office's people);
    the people of the rounds not stored yet (`AlertRound`) count as mailed, joined by hash.

    The statement is built by the ORM once a process for each kind
    (`core.statements.kept_statement`), then only its parameters change: building it costs
    more than the database's work."""
    local_now = calendar.local(now)
    inputs = {
        "office_id": office.pk,
        "service": slot.service,
        "place_id": slot.place_id,
        "starts_at": slot.starts_at,
        "now": now,
        **_worked_out(slot.starts_at, now),
        "today": local_now.date(),
        "day": calendar.local(slot.starts_at).date(),
        "since": calendar.months_before(local_now, office.noshow_window_months),
        "cap": getattr(office, kind.cap_field),
        "noshow_limit": office.noshow_limit,
        "mails_a_day": office.max_alert_mails_per_day,
    }
    return _kept_waiting_sql(kind, inputs)


def _kept_waiting_sql(kind: BookingKind, inputs: dict) -> tuple[str, list]:
    """`_waiting_sql(kind, inputs)`, from the statement kept for the kind."""
    return kept_statement(
        ("alerts.waiting_people", kind.service),
        lambda given: _waiting_sql(kind, given),
        inputs,
        stand_ins=_stand_ins,
    )


def _worked_out(starts_at: datetime.datetime, now: datetime.datetime) -> dict:
    """The inputs the rules work out from the slot's start and the moment: the times a person
    held next to the slot would overlap it, and the 10-minute rule's limit (`overdue_q`)."""
    return {
        "overlap_from": starts_at - calendar.SLOT,
        "overlap_until": starts_at + calendar.SLOT,
        "overdue_at": now - NO_SHOW_GRACE,
    }


def _stand_ins(n: int) -> dict:
    """Inputs no real call has and no two builds share: far-past times, ids no office has
    yet; today is the moment's day in Tokyo, as the rules work it out."""
    moment = datetime.datetime(1901, 1, 1 + n, 3, 7 * n, tzinfo=datetime.UTC)
    # Within every column's range (a small integer's too): the ORM leaves out a comparison
    # with a value its column can't hold, which would change the statement.
    base = 30_000 + 100 * n
    return {
        "office_id": base + 1,
        "service": f"stand-in {n}",
        "place_id": base + 2,
        "starts_at": moment + datetime.timedelta(days=3, minutes=1),
        "now": moment,
        **_worked_out(moment + datetime.timedelta(days=3, minutes=1), moment),
        "today": calendar.local(moment).date(),
        "day": datetime.date(1902, 3, n),
        "since": moment - datetime.timedelta(days=101, minutes=n),
        "cap": base + 5,
        "noshow_limit": base + 6,
        "mails_a_day": base + 7,
    }


def _waiting_sql(kind: BookingKind, inputs: dict) -> tuple[str, list]:
    """`waiting_people`'s statement for `inputs`, built by the ORM."""
    alerts = (
        EarlierSlotAlert.objects.live(inputs["now"])
        .filter(
            Q(place_id__isnull=True) | Q(place_id=inputs["place_id"]),
            office_id=inputs["office_id"],
            service=inputs["service"],
            first_day__lte=inputs["day"],
        )
        .filter(last_day__gte=inputs["day"])
        .whose_facts_allow(
            now=inputs["now"],
            cap=inputs["cap"],
            since=inputs["since"],
            overdue_at=inputs["overdue_at"],
            noshow_limit=inputs["noshow_limit"],
        )
        .order_by("user_id", "first_day", "pk")
        .distinct("user_id")
        .values_list("pk", "user_id")
    )
    people = _people_who_may_book(kind, inputs)
    alerts_sql, alerts_params = alerts.query.sql_with_params()
    people_sql, people_params = people.query.sql_with_params()
    sql = f"""
        WITH matching (alert_id, user_id) AS MATERIALIZED ({alerts_sql}),
        waiting_round (user_id, same_slot, today) AS (
            SELECT unnest(user_ids),
                   service = %s AND place_id = %s AND starts_at = %s,
                   sent_on = %s
            FROM {AlertRound._meta.db_table}
        ),
        in_rounds (user_id, same_slot, today) AS (
            SELECT user_id, bool_or(same_slot), count(*) FILTER (WHERE today)
            FROM waiting_round GROUP BY user_id
        )
        SELECT matching.alert_id, matching.user_id
        FROM matching
        CROSS JOIN LATERAL ({people_sql} OFFSET 0) person (user_id, mailed_today)
        LEFT JOIN in_rounds ON in_rounds.user_id = matching.user_id
        WHERE NOT coalesce(in_rounds.same_slot, false)
          AND person.mailed_today + coalesce(in_rounds.today, 0) < %s
    """
    params = [
        *alerts_params,
        inputs["service"],
        inputs["place_id"],
        inputs["starts_at"],
        inputs["today"],
        *people_params,
        inputs["mails_a_day"],
    ]
    return sql, params


def _people_who_may_book(kind: BookingKind, inputs: dict):
    """The people of the office who may book the slot now, as a queryset of (user id, mails
    today): the rules of booking read from the person's row (active, not suspended, residence
    data, the kind's own rule), free at that time (CON-10) and not yet mailed for the slot.
    The rest (a verified address, the cap of active bookings, the approval rule) the alerts'
    kept facts answer before (`EarlierSlotAlertQuerySet.whose_facts_allow`). Meant to be
    joined to the few people whose alerts match: each test is one index lookup for each."""
    starts_at = inputs["starts_at"]
    user = OuterRef("pk")
    return (
        User.objects.filter(
            # The person of the outer query's alert (see `waiting_people`).
            pk=RawSQL("matching.user_id", []),
            office_id=inputs["office_id"],
            is_active=True,
            deleted_at__isnull=True,
            suspended_at__isnull=True,
        )
        .exclude(email="")
        # REG-3: a foreign national's residence data present and in date.
        .filter(
            Q(is_foreign_national=False)
            | Q(period_of_stay_until__gte=inputs["today"]) & ~Q(residence_status="")
        )
        .filter(kind.alert_people_q())
        .exclude(
            Exists(
                AlertMail.objects.filter(
                    user=user,
                    service=inputs["service"],
                    place_id=inputs["place_id"],
                    starts_at=starts_at,
                )
            )
        )
        .exclude(
            Exists(
                PersonHold.objects.filter(
                    user=user,
                    starts_at__gt=inputs["overlap_from"],
                    starts_at__lt=inputs["overlap_until"],
                )
            )
        )
        .annotate(mailed_today=_count(AlertMail.objects.filter(user=user, sent_on=inputs["today"])))
        .order_by()
        .values_list("pk", "mailed_today")
    )


@transaction.atomic
def mail_freed_slot(
    *,
    service: str,
    office_id: int,
    place_id: int,
    starts_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> int:
    """The job's work: mail each person waiting for the slot, if it is still free and open to
    requests; how many were mailed. A fixed number of queries whatever the number of alerts."""
    now = now or timezone.now()
    office = Office.objects.filter(pk=office_id).first()
    if office is None:
        return 0
    slot = FreedSlot(service, office_id, place_id, starts_at)
    day = calendar.local(starts_at).date()
    closures = closures_for(office.pk, day, day)
    return _mail_slot(office, slot, closures=closures, now=now)


@transaction.atomic
def mail_opened_day(
    *, office_id: int, day: datetime.date, now: datetime.datetime | None = None
) -> int:
    """A closure lifted: the whole day opens. Each person waiting for it is mailed once, for
    the first free slot of the day that matches their alert. Queries grow with the office's
    places and slots, never with the number of alerts."""
    now = now or timezone.now()
    office = Office.objects.filter(pk=office_id).first()
    if office is None:
        return 0
    closures = closures_for(office.pk, day, day)
    starts = calendar.day_slots(
        day, opens_at=office.opens_at, closes_at=office.closes_at, closures=closures
    )
    mailed: set[int] = set()
    for kind in booking_kinds():
        if (
            not EarlierSlotAlert.objects.live(now)
            .filter(office=office, service=kind.service, first_day__lte=day, last_day__gte=day)
            .exists()
        ):
            continue
        for place_id, _label in kind.alert_places(office):
            for starts_at in starts:
                slot = FreedSlot(kind.service, office.pk, place_id, starts_at)
                _mail_slot(office, slot, closures=closures, now=now, skip=mailed)
    return len(mailed)


def _mail_slot(
    office: Office, slot: FreedSlot, *, closures, now: datetime.datetime, skip: set | None = None
) -> int:
    """Choose the people waiting for `slot` if it is free and open to requests, and keep them
    as one `AlertRound` whose mails a job stores at once (`store_round`); how many. With
    `skip`, a set of user ids: those are left out, and the chosen are added to it."""
    kind = kind_for(slot.service)
    if request_refusal_reason(office, slot.starts_at, now=now, closures=closures):
        return 0
    if not kind.alert_slot_free(office, slot.place_id, slot.starts_at, now=now):
        return 0
    waiting, params = waiting_people(kind, office, slot, now=now)
    if skip:
        waiting = f"SELECT * FROM ({waiting}) waiting WHERE NOT (user_id = ANY(%s))"
        params = [*params, sorted(skip)]
    table = AlertRound._meta.db_table
    sql = f"""
        WITH waiting (alert_id, user_id) AS ({waiting})
        INSERT INTO {table} (office_id, service, place_id, starts_at, sent_at, sent_on,
                             alert_ids, user_ids)
        SELECT %s, %s, %s, %s, %s, %s,
               -- One aggregation reads each row once for both: the lists line up.
               array_agg(alert_id), array_agg(user_id)
        FROM waiting
        HAVING count(*) > 0
        RETURNING id, cardinality(user_ids), CASE WHEN %s THEN user_ids END
    """
    values = [
        office.pk,
        slot.service,
        slot.place_id,
        slot.starts_at,
        now,
        calendar.local(now).date(),
        skip is not None,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *values])
        row = cursor.fetchone()
    if row is None:
        return 0
    round_id, chosen, user_ids = row
    from .tasks import alerts_store_round

    _jobs_in_this_transaction.defer_job(
        alerts_store_round.configure().make_new_job(round_id=round_id)
    )
    if skip is not None:
        skip.update(user_ids)
    return chosen


@transaction.atomic
def store_round(round_id: int, *, now: datetime.datetime | None = None) -> int:
    """The mails of one round (REQ ALR-1): one `AlertMail` and one outbox row, composed at
    delivery, for each person the freeing job chose, then the round goes; how many were
    stored. Each person's mail is then an outbox message of its own, delivered, retried and
    given up on its own (`core.outbox`). Skipped: a person whose alert ended meanwhile (they
    cancelled it, booked inside its range, or their account went), or who was mailed for the
    slot already. Whether a person must accept the terms in effect first (TRM-4: the mail
    says so) is read here, for everyone at once. Idempotent: a second run finds no round. A
    fixed number of queries whatever the number of people (REQ NFR-4)."""
    chosen = (
        AlertRound.objects.select_for_update(of=("self",))
        .select_related("office")
        .filter(pk=round_id)
        .first()
    )
    if chosen is None:
        return 0
    terms = version_in_effect(chosen.office, chosen.service, now or timezone.now())
    if terms is None:
        must_accept, terms_params = "false", []
    else:
        must_accept = f"""NOT EXISTS (
            SELECT 1 FROM {Consent._meta.db_table} consent
            JOIN {TermsVersion._meta.db_table} version ON version.id = consent.version_id
            WHERE consent.user_id = chosen.user_id AND version.document_id = %s
              AND version.number >= %s)"""
        terms_params = list(terms)
    table = AlertMail._meta.db_table
    stored = f"""
        stored AS (
            INSERT INTO {table} (alert_id, user_id, office_id, service, place_id, starts_at,
                                 sent_at, sent_on, accept_terms_first)
            SELECT chosen.alert_id, chosen.user_id, %s, %s, %s, %s, %s, %s, {must_accept}
            FROM unnest(%s::bigint[], %s::bigint[]) AS chosen (alert_id, user_id)
            JOIN {EarlierSlotAlert._meta.db_table} alert
              ON alert.id = chosen.alert_id AND alert.user_id = chosen.user_id
                 AND alert.ended_at IS NULL
            ON CONFLICT DO NOTHING
            RETURNING id, user_id
        )
    """
    params = [
        chosen.office_id,
        chosen.service,
        chosen.place_id,
        chosen.starts_at,
        chosen.sent_at,
        chosen.sent_on,
        *terms_params,
        chosen.alert_ids,
        chosen.user_ids,
    ]
    # The mails and their outbox rows in one statement: the people never leave the database.
    mailed = outbox_enqueue_selected_to_compose(
        composer=COMPOSER,
        before=stored,
        before_params=params,
        rows=f"""
            SELECT jsonb_build_array(person.email), 'alert:' || stored.id, %s
            FROM stored JOIN {User._meta.db_table} person ON person.id = stored.user_id
            ORDER BY stored.id""",
        params=[MAIL_KIND],
    )
    AlertRound.objects.filter(pk=round_id).delete()
    return mailed


# A round still here this long after it was kept has lost its store job (failed for good,
# or never run): it is queued again. One kept this long, or whose slot has started, is dropped:
# its news is stale, and its people stop counting as mailed.
ROUND_RETRY_AFTER = datetime.timedelta(minutes=5)
ROUND_GIVE_UP_AFTER = datetime.timedelta(hours=6)


@transaction.atomic
def recover_rounds(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """The periodic job's work (REQ ALR-1): each round older than ROUND_RETRY_AFTER with no
    store job waiting or running gets one again; each round older than ROUND_GIVE_UP_AFTER, or
    whose slot has started, goes unstored; returns (queued again, dropped). Idempotent, safe with
    several workers: rounds are taken FOR UPDATE SKIP LOCKED (a store job running holds its
    round), and a round with a job waiting is left alone; the periodic job's lock runs one
    recovery at a time."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    from .tasks import alerts_store_round

    now = now or timezone.now()
    pending = (
        ProcrastinateJob.objects.filter(
            task_name=alerts_store_round.name, status__in=["todo", "doing"]
        )
        .alias(round_id=Cast(KT("args__round_id"), BigIntegerField()))
        .filter(round_id=OuterRef("pk"))
    )
    stale = list(
        AlertRound.objects.select_for_update(skip_locked=True)
        .filter(sent_at__lt=now - ROUND_RETRY_AFTER)
        .exclude(Exists(pending))
        .order_by("pk")
        .values_list("pk", "sent_at", "starts_at")
    )
    dropped = [
        pk
        for pk, sent_at, starts_at in stale
        if starts_at <= now or sent_at < now - ROUND_GIVE_UP_AFTER
    ]
    AlertRound.objects.filter(pk__in=dropped).delete()
    queued = [pk for pk, _sent, _starts in stale if pk not in dropped]
    for pk in queued:
        _jobs_in_this_transaction.defer_job(
            alerts_store_round.configure().make_new_job(round_id=pk)
        )
    return len(queued), len(dropped)


def compose_alert_mail(message) -> EmailMessage | None:
    """The mail job's composer of alert mails: office, day and time, place, the office's
    phone and the slot's request page; never who freed the slot. None once the person's
    account is gone."""
    pk = message.topic.removeprefix("alert:")
    mail = AlertMail.objects.select_related("office").filter(pk=pk).first()
    if mail is None:
        return None
    kind = kind_for(mail.service)
    office = mail.office
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "office": office,
            "starts_at": mail.starts_at,
            "where": kind.alert_where(office, mail.place_id),
            "slot_url": f"{settings.SITE_URL}{kind.alert_slot_url(mail.place_id, mail.starts_at)}",
            "list_url": f"{settings.SITE_URL}{_list_url()}",
            "accept_terms_first": mail.accept_terms_first,
        }
        subject = f"[{office.name}] {_('An earlier time has become free')}"
        body = render_to_string("bookings/email/earlier_slot.txt", context)
    return EmailMessage(subject=subject, body=body, to=list(message.to))


def _list_url() -> str:
    from django.urls import reverse

    return reverse(settings.BOOKINGS_LIST_URL)


# --- Staff pages and statistics -----------------------------------------------------------


def _waiting_rows_sql(given: dict) -> tuple[str, tuple]:
    return (
        EarlierSlotAlert.objects.live(today=given["today"])
        .filter(
            office_id=given["office"], first_day__lte=given["last"], last_day__gte=given["first"]
        )
        .values_list("service", "first_day", "last_day", "user_id")
        .query.sql_with_params()
    )


def _waiting_stand_ins(n: int) -> dict:
    return {
        "office": -1000 - n,
        "today": datetime.date(1901, 1, n),
        "first": datetime.date(1902, 1, n),
        "last": datetime.date(1903, 1, n),
    }


def waiting_by_day(office_id: int, days: list[datetime.date], *, now) -> dict:
    """How many people's live alerts cover each day, per service (the day sheet): one query,
    its statement built once a process (`core.statements`: every load of the sheet reads it)."""
    if not days:
        return {}
    inputs = {
        "office": office_id,
        "today": calendar.local(now).date(),
        "first": min(days),
        "last": max(days),
    }
    sql, params = kept_statement(
        "bookings.alerts.waiting_by_day", _waiting_rows_sql, inputs, stand_ins=_waiting_stand_ins
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counts: dict = {day: {} for day in days}
    seen: set = set()
    for service, start, end, user_id in rows:
        for day in days:
            if start <= day <= end and (day, service, user_id) not in seen:
                seen.add((day, service, user_id))
                counts[day][service] = counts[day].get(service, 0) + 1
    return counts


def alert_figures(start, end) -> dict[int, dict[str, dict[str, int]]]:
    """Alert mails sent between `start` and `end` and slots filled through them, per office and
    service (statistics, STA-1: every office's, so that they are suppressed together): one
    aggregate query."""
    rows = (
        AlertMail.objects.filter(sent_at__gte=start, sent_at__lt=end)
        .order_by()
        .values("office_id", "service")
        .annotate(sent=Count("pk"), filled=Count("pk", filter=Q(filled_at__isnull=False)))
    )
    figures: dict[int, dict[str, dict[str, int]]] = {}
    for row in rows:
        figures.setdefault(row["office_id"], {})[row["service"]] = {
            "sent": row["sent"],
            "filled": row["filled"],
        }
    return figures
