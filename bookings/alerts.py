"""Earlier-slot alerts (REQ ALR-1): the person's alerts, and the mails when a slot frees up.

A slot frees up whenever an active booking stops holding it: cancelled (online, by phone, by
the account's end), moved, its counselor changed. `services.transition` asks `slot_of` before
a change and hands the answer to `queue_if_freed` after it, which defers the job
`alerts_mail_freed_slot` (`bookings.tasks`) in the same transaction, a minute later
(`FREED_SLOT_WAIT`): a slot taken again within the minute mails nobody, since the job first
checks that the slot is still free and still open to requests (cut-off, closures, the place's
published times). A withdrawn slot taken back calls `queue_slot_freed`; a closure lifted,
`queue_day_opened` (each waiting person is mailed once, for the day's first free slot).

The job selects the matching, eligible people in one query whatever their number (REQ NFR-4):
live alerts of the office, service and place whose range holds the day; people who may book
now (active, not suspended, a verified address, the kind's own rule), under the office's cap
of active bookings of the service, not in need of the office's approval (BTH-7), free at that
time (CON-10), not yet mailed for this slot and under the office's mails a day. It stores one
`AlertMail` each (unique per person and slot) and one outbox row each, composed at delivery
(`compose_alert_mail`). People who have not accepted the terms in effect are mailed, and told
to accept them first (the request page asks them to, TRM-4). The mail never names who freed
the slot. Jobs of one office run one at a time (their procrastinate lock), so the day's cap
holds.

The first to book gets the slot (the holds, BTH-2); the others meet "just taken" with the next
free times and keep their alert. An alert ends when its person books inside its range (a
trigger, `alerts_sql.py`), when they cancel it, when its range passes (`end_passed_alerts`,
daily) or with the account (`alerts_erase_for_user`, REG-5).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from procrastinate.contrib.django.django_connector import DjangoConnector
from procrastinate.manager import JobManager

from accounts.eligibility import booking_block_reason
from accounts.models import Office, User
from core.outbox import outbox_enqueue_many_to_compose
from terms.models import Consent, TermsVersion

from . import calendar
from .alert_models import MAX_LIVE_ALERTS, AlertEnd, AlertMail, EarlierSlotAlert
from .availability import closures_for
from .models import ACTIVE_STATUSES, PersonHold, no_contact_q
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


def _on_user(q: Q) -> Q:
    """A `Q` over users as a `Q` over rows pointing to them through `user`."""
    children = [
        _on_user(child) if isinstance(child, Q) else (f"user__{child[0]}", child[1])
        for child in q.children
    ]
    return Q(*children, _connector=q.connector, _negated=q.negated)


def waiting_people(kind: BookingKind, office: Office, slot: FreedSlot, *, now: datetime.datetime):
    """One live alert per person who waits for `slot` and may book it now, as a queryset of
    (alert id, user id, consented to the terms in effect): one query, whatever the number of
    alerts, read by the database alone (REQ NFR-4)."""
    day = calendar.local(slot.starts_at).date()
    today = calendar.local(now).date()
    since = calendar.months_before(calendar.local(now), office.noshow_window_months)
    user = OuterRef("user_id")
    no_contact = sum(
        (
            _count(other.model.objects.filter(no_contact_q(since, now), user=user))
            for other in booking_kinds()
        ),
        Value(0),
    )
    terms = TermsVersion.objects.current_for(office=office, service=slot.service, now=now)
    consented = (
        Exists(
            Consent.objects.filter(
                user=user,
                version__document_id=terms.document_id,
                version__number__gte=terms.number,
            )
        )
        if terms is not None
        else Value(True)
    )
    return (
        EarlierSlotAlert.objects.live(now)
        .filter(
            Q(place_id__isnull=True) | Q(place_id=slot.place_id),
            office=office,
            service=slot.service,
            first_day__lte=day,
            last_day__gte=day,
            user__office=office,
            user__is_active=True,
            user__deleted_at__isnull=True,
            user__suspended_at__isnull=True,
        )
        .exclude(user__email="")
        # REG-3: a foreign national's residence data present and in date.
        .filter(
            Q(user__is_foreign_national=False)
            | Q(user__period_of_stay_until__gte=today) & ~Q(user__residence_status="")
        )
        .filter(_on_user(kind.alert_people_q()))
        .filter(Exists(EmailAddress.objects.filter(user=user, verified=True)))
        .exclude(
            Exists(
                AlertMail.objects.filter(
                    user=user,
                    service=slot.service,
                    place_id=slot.place_id,
                    starts_at=slot.starts_at,
                )
            )
        )
        .exclude(
            Exists(
                PersonHold.objects.filter(
                    user=user,
                    starts_at__gt=slot.starts_at - calendar.SLOT,
                    starts_at__lt=slot.starts_at + calendar.SLOT,
                )
            )
        )
        .alias(
            mailed_today=_count(AlertMail.objects.filter(user=user, sent_on=today)),
            held=_count(
                kind.model.objects.filter(user=user, status__in=ACTIVE_STATUSES, starts_at__gt=now)
            ),
            no_contact=no_contact,
        )
        .filter(
            mailed_today__lt=office.max_alert_mails_per_day,
            held__lt=getattr(office, kind.cap_field),
            no_contact__lt=office.noshow_limit,
        )
        .annotate(consented=consented)
        .order_by("user_id", "first_day", "pk")
        .distinct("user_id")
        .values_list("pk", "user_id", "consented")
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
    return len(_mail_slot(office, slot, closures=closures, now=now))


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
                mailed |= _mail_slot(office, slot, closures=closures, now=now, skip=mailed)
    return len(mailed)


def _mail_slot(
    office: Office, slot: FreedSlot, *, closures, now: datetime.datetime, skip=frozenset()
) -> set[int]:
    """Mail the people waiting for `slot` if it is free and open to requests, but those in
    `skip`; the ids of those mailed."""
    kind = kind_for(slot.service)
    if request_refusal_reason(office, slot.starts_at, now=now, closures=closures):
        return set()
    if not kind.alert_slot_free(office, slot.place_id, slot.starts_at, now=now):
        return set()
    waiting = waiting_people(kind, office, slot, now=now)
    if skip:
        waiting = waiting.exclude(user_id__in=list(skip))
    mailed = _insert_mails(waiting, office, slot, now=now)
    if mailed:
        outbox_enqueue_many_to_compose(
            composer=COMPOSER,
            messages=[([address], f"alert:{pk}", MAIL_KIND) for pk, _user, address in mailed],
        )
    return {user_id for _pk, user_id, _address in mailed}


def _insert_mails(waiting, office: Office, slot: FreedSlot, *, now) -> list[tuple]:
    """Store one `AlertMail` per row of `waiting` in one INSERT … SELECT (a row already there,
    from a run at the same moment, is skipped); (mail id, user id, address) of each stored."""
    select, params = waiting.query.sql_with_params()
    table = AlertMail._meta.db_table
    sql = f"""
        WITH waiting (alert_id, user_id, consented) AS ({select}),
        stored AS (
            INSERT INTO {table} (alert_id, user_id, office_id, service, place_id, starts_at,
                                 sent_at, sent_on, accept_terms_first)
            SELECT alert_id, user_id, %s, %s, %s, %s, %s, %s, NOT consented FROM waiting
            ON CONFLICT DO NOTHING
            RETURNING id, user_id
        )
        SELECT stored.id, stored.user_id, person.email
        FROM stored JOIN {User._meta.db_table} person ON person.id = stored.user_id
        ORDER BY stored.id
    """
    values = [
        office.pk,
        slot.service,
        slot.place_id,
        slot.starts_at,
        now,
        calendar.local(now).date(),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *values])
        return cursor.fetchall()


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


def waiting_by_day(office_id: int, days: list[datetime.date], *, now) -> dict:
    """How many people's live alerts cover each day, per service (the day sheet): one query."""
    if not days:
        return {}
    first, last = min(days), max(days)
    rows = (
        EarlierSlotAlert.objects.live(now)
        .filter(office_id=office_id, first_day__lte=last, last_day__gte=first)
        .values_list("service", "first_day", "last_day", "user_id")
    )
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
