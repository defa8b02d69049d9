"""The audit trail, recorded by the database (REQ STF-2).

Every insert, update and delete of a tracked model is written by django-pghistory's triggers
into the model's event table (`<Model>Event`, in the model's own app), whatever wrote it: a
service, the admin, a queryset `update()`, a cascade or raw SQL. A row of the event table is the
row as it was after an insert or update, or before a delete; the trail of one object is its
event rows in order, so before → after of each change is the difference of two neighbours.
Only the fields that matter are tracked (`audit_track(exclude=...)`): never password hashes,
TOTP secrets, tokens or keys, nor bookkeeping that changes on every request.

Who acted travels with each statement in pghistory's context (`pgh_context`, stored on the row):
`core.middleware.AuditContextMiddleware` puts the request's user there (and the person who signs
in during the request, from then on; "visitor" before anyone has), `acting_as(label="job:<name>")`
a job's name, `acting_as(user=staff)` a staff member a service names, and a write made outside
all of them is the system's.

The event tables are append-only: pgtrigger's Protect triggers refuse UPDATE and DELETE, raw SQL
included (`PGHISTORY_APPEND_ONLY`). The one sanctioned change is erasing a deleted account's
personal values (`accounts.services.account_delete`, REQ REG-5), under `pgtrigger.ignore`.

Staff see the trail on each object's admin "History" page and in the audit list (監査記録),
scoped to their office through the office each event row points to: the tracked row's own
`office`, or `pgh_office`, which a trigger on the event table fills in from the row's booth,
counselor, document or user (`audit_track(office_sql=...)`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pghistory
import pgtrigger
from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from django.utils.translation import gettext_lazy as _
from pghistory import core as pghistory_core
from pghistory.models import Events, EventsQuerySet

from core.dates import format_date, format_datetime, format_time

SYSTEM = "system"
# A request by someone not signed in: signing up, resetting a password.
VISITOR = "visitor"
LABEL_MAX = 100

# --- Who is acting --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditContext:
    """The request (for access records) and the user a block of code acts for."""

    request: object | None = None
    user: object | None = None
    label: str = ""

    def actor(self):
        user = self.user
        if user is None and self.request is not None:
            user = getattr(self.request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False) and user.pk:
            return user
        return None


_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "core_audit_context", default=None
)


def current_context() -> AuditContext | None:
    return _context.get()


def current_request():
    context = _context.get()
    return context.request if context is not None else None


def _history_metadata(user, label: str) -> dict:
    return {"user": user.pk if user is not None else None, "label": label[:LABEL_MAX] or None}


@contextmanager
def acting_as(*, user=None, label: str = "", request=None) -> Iterator[AuditContext]:
    """Attribute the rows written inside to `user` (or to `label`, e.g. "job:deliver_mail").

    Nested blocks act for their own user or label and give the outer one back on exit; the
    triggers read who acted from each statement, so earlier rows keep theirs.
    """
    outer = _context.get()
    if request is None and outer is not None:
        request = outer.request  # access records still name the request's terminal
    context = AuditContext(request=request, user=user, label=label[:LABEL_MAX])
    token = _context.set(context)
    try:
        with pghistory.context() as history:
            saved = dict(history.metadata)
            history.metadata.clear()
            history.metadata.update(_history_metadata(context.actor(), context.label))
            try:
                yield context
            finally:
                history.metadata.clear()
                history.metadata.update(saved)
    finally:
        _context.reset(token)


# --- What is tracked ------------------------------------------------------------------------


def audit_track(
    *,
    exclude: Sequence[str] = (),
    office_sql: str | None = None,
    office_model: str | None = None,
    indexes: Sequence[str] = (),
    app_label: str | None = None,
):
    """Track every insert, update and delete of the decorated model by triggers (REQ STF-2).

    `exclude` names the fields never recorded (secrets, bookkeeping). A model without its own
    `office` gets `pgh_office` on its event rows, a foreign key to `office_model`, which a
    trigger fills in with `office_sql` (an SQL expression over the event row `NEW`), so the
    audit list can be scoped to an office. `indexes` adds indexes on event fields that are
    searched (the office, the person whose data it is).
    """

    def decorate(model):
        name = f"{model._meta.object_name}Event"
        attrs, triggers, indexed = {}, [], list(indexes)
        if office_sql:
            attrs["pgh_office"] = models.ForeignKey(
                office_model,
                on_delete=models.DO_NOTHING,
                db_constraint=False,
                db_index=False,
                null=True,
                related_name="+",
                verbose_name=_("office"),
            )
            triggers.append(
                pgtrigger.Trigger(
                    name="office",
                    when=pgtrigger.Before,
                    operation=pgtrigger.Insert,
                    func=f"NEW.pgh_office_id := {office_sql}; RETURN NEW;",
                )
            )
            indexed.append("pgh_office")
        short = model._meta.model_name[:15]
        return pghistory.track(
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(),
            pghistory.DeleteEvent(),
            exclude=list(exclude),
            model_name=name,
            app_label=app_label,
            attrs=attrs,
            meta={
                "triggers": triggers,
                "indexes": [
                    models.Index(fields=[field], name=f"{short}_{field[:10]}_pgh")
                    for field in indexed
                ],
            },
        )(model)

    return decorate


def audit_erase(model, *, values: dict, **lookup) -> int:
    """Overwrite `values` in the trail of `model`, in the event rows `lookup` selects (REQ
    REG-5): the one sanctioned change of the append-only event tables, made in the caller's
    transaction (an account's deletion) past the Protect trigger."""
    erased = 0
    for event_model in pghistory_core.event_models(tracks_model=model):
        with pgtrigger.ignore(f"{event_model._meta.label}:append_only"):
            erased += event_model.objects.filter(**lookup).update(**values)
    return erased


# --- Reading the trail ----------------------------------------------------------------------


ACTIONS = {"insert": _("created"), "update": _("changed"), "delete": _("deleted")}


class AuditEventQuerySet(EventsQuerySet):
    def for_staff(self, user):
        """Superusers see every office; other staff the events of their own office."""
        if user.is_superuser:
            return self
        if not user.office_id:
            return self.none()
        return self.references(user.office)


class AuditEvent(Events):
    """Every event table read as one (pghistory's `Events`), with who acted."""

    user = pghistory.ProxyField(
        "pgh_context__user",
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            on_delete=models.DO_NOTHING,
            null=True,
            related_name="+",
            verbose_name=_("by"),
        ),
    )
    label = pghistory.ProxyField(
        "pgh_context__label", models.TextField(_("by (job or system)"), null=True)
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        proxy = True
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")

    def __str__(self) -> str:
        return f"{format_datetime(self.pgh_created_at)} {self.action} {self.object_kind}"

    @property
    def at(self):
        return self.pgh_created_at

    @property
    def action(self) -> str:
        return str(ACTIONS.get(self.pgh_label, self.pgh_label))

    @property
    def by(self) -> str:
        if self.user_id:
            return str(self.user) if self.user else str(self.user_id)
        if self.label == VISITOR:
            return str(_("visitor (not signed in)"))
        return self.label or SYSTEM

    @property
    def by_display(self) -> str:
        """`by` as staff read it: a job and the system in words, not as labels (NFR-1)."""
        by = self.by
        if by.startswith("job:"):
            return str(_("automatic job (%(name)s)") % {"name": by.removeprefix("job:")})
        return str(_("the system")) if by == SYSTEM else by

    @property
    def tracked_model(self) -> type[models.Model] | None:
        try:
            return django_apps.get_model(self.pgh_obj_model)
        except (LookupError, ValueError):
            return None

    @property
    def object_kind(self) -> str:
        """What the event is about, as the admin names it (オンライン相談, not Consultation)."""
        model = self.tracked_model
        return str(model._meta.verbose_name) if model else self.pgh_obj_model

    def readable_changes(self) -> list[tuple[str, str, str]]:
        """(field, before, after) in the words of the forms: each field by its label, choices
        by their labels, yes/no, dates the one way of `core.dates` (REQ STF-2, NFR-1)."""
        model = self.tracked_model
        return [
            (
                readable_field_name(model, name),
                readable_value(model, name, before),
                readable_value(model, name, after),
            )
            for name, (before, after) in self.changes.items()
        ]

    @property
    def changes(self) -> dict:
        """{field: [before, after]}: the fields an update changed, every value of an insert
        (before empty) or of a delete (after empty)."""
        if self.pgh_label == "update" and self.pgh_diff is not None:
            return dict(self.pgh_diff)
        # An insert, a delete, or the first event of a row made before tracking began: the
        # values it held, empty ones left out.
        filled = {name: value for name, value in (self.pgh_data or {}).items() if value}
        if self.pgh_label == "delete":
            return {name: [value, None] for name, value in filled.items()}
        return {name: [None, value] for name, value in filled.items()}


def _field(model, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return next((f for f in model._meta.concrete_fields if f.attname == name), None)


def readable_field_name(model, name: str) -> str:
    field = _field(model, name)
    if field is None:
        return name
    if field.is_relation and field.verbose_name == field.name.replace("_", " "):
        # A link without a label of its own (the holds): named by what it links to.
        return str(field.related_model._meta.verbose_name)
    return str(field.verbose_name)


def readable_value(model, name: str, value) -> str:
    """An event's stored value (JSON) as a person reads it; "—" for none."""
    if value is None or value == "":
        return "—"
    field = _field(model, name)
    labels = getattr(model, "audit_value_labels", {}).get(name)
    if labels and value in labels:
        return str(labels[value])
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        return format_datetime(moment) if moment and moment.tzinfo else value
    if isinstance(field, models.DateField) and isinstance(value, str):
        day = parse_date(value)
        return format_date(day) if day else value
    if isinstance(field, models.TimeField) and isinstance(value, str):
        time = parse_time(value)
        return format_time(time) if time else value
    return str(value)


class AuditPaginator(Paginator):
    """Pages of a long trail without building every row (the audit list, REQ STF-2).

    pghistory's `Events` works out each row's values and differences before the database can
    sort them, so a page of an office with 100,000 events took 24 s. A page is instead chosen
    from the sort keys alone (the same query asking for nothing else, which PostgreSQL plans
    without those columns), and only its rows are built, table by table: about 0.3 s then.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pgh_model", "pgh_id")[bottom:top])
        wanted: dict[str, list[int]] = {}
        for model, pk in keys:
            wanted.setdefault(model, []).append(pk)
        built = {
            (model, event.pgh_id): event
            for model, ids in wanted.items()
            for event in AuditEvent.objects.across(model)
            .filter(pgh_id__in=ids)
            .select_related("user")
        }
        return self._get_page([built[key] for key in keys], number, self)


def audit_events_of(obj) -> AuditEventQuerySet:
    """The trail of one object, newest first."""
    return AuditEvent.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")
