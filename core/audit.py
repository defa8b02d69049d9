"""The audit trail: one record per change to an office's data (REQ STF-2).

One mechanism for every write path, portable to PostgreSQL and SQLite: the code that changes a
row calls `audit_record(...)` inside its own transaction, so the record commits or rolls back
with the change. The write paths that call it are few and shared: the booking transitions and
inserts (`consultations.bookings`), the admin site's wrapper around every ModelAdmin (form
saves, deletions, actions), and the services that write outside those (suspension, profile,
terms publication and consents, closures, availability, meeting links, password set by staff).

Who acted comes from a context variable: `core.middleware.AuditContextMiddleware` sets it to
the request's user, `run_jobs` to "job:<name>" for each job; anything else is "system" unless a
service passes `actor=` or wraps itself in `acting_as(...)`.

Records are append-only: the model refuses to save an existing row or delete one, and its
QuerySet refuses `update()` and `delete()`. Secrets never enter `changes`: a field whose name
contains a word of `SECRET_WORDS` is left out (password hashes, TOTP secrets, tokens, keys,
session keys).
"""

from __future__ import annotations

import contextvars
import datetime
import decimal
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SYSTEM = "system"
REPR_MAX = 200
LABEL_MAX = 100
VALUE_MAX = 500  # a longer value (a Markdown text) is cut: the record says it changed

# A field whose name contains one of these, or has one of the words as a part, is secret:
# never recorded, not even masked ("password1" of a form, "session_key", "totp_secret").
SECRET_PARTS = ("password", "secret", "token", "session", "totp", "recovery", "credential")
SECRET_WORDS = frozenset({"key", "otp", "hash", "pin", "mfa"})


def is_secret_field(name: str) -> bool:
    name = str(name).lower()
    return any(part in name for part in SECRET_PARTS) or bool(
        SECRET_WORDS.intersection(re.split(r"[^a-z]+", name))
    )


# --- Who is acting --------------------------------------------------------------------------


@dataclass
class AuditContext:
    """What a record needs to know of the current request or job."""

    request: object | None = None
    user: object | None = None
    label: str = ""
    written: int = field(default=0)  # records written in this context (admin actions read it)

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


@contextmanager
def acting_as(*, user=None, label: str = "", request=None) -> Iterator[AuditContext]:
    """Attribute the changes made inside to `user` (or to `label`, e.g. "job:deliver_mail")."""
    context = AuditContext(request=request, user=user, label=label[:LABEL_MAX])
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


# --- Values ---------------------------------------------------------------------------------


def _jsonable(value):
    """A JSON-safe, bounded form of a field value."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, models.Model):
        return f"{value.pk}: {str(value)[:REPR_MAX]}"
    if isinstance(value, datetime.datetime):
        return (
            timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in list(value.items())[:50]}
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return [_jsonable(v) for v in list(value)[:50]]
    text = str(value)
    return text if len(text) <= VALUE_MAX else text[:VALUE_MAX] + "…"


def field_values(obj: models.Model, names: Iterable[str] | None = None) -> dict:
    """The concrete field values of `obj` (by field name; a foreign key as its id), secrets
    left out. `names` limits it to those fields."""
    values = {}
    wanted = set(names) if names is not None else None
    for model_field in obj._meta.concrete_fields:
        name = model_field.name
        if wanted is not None and name not in wanted and model_field.attname not in wanted:
            continue
        if is_secret_field(name):
            continue
        values[name] = getattr(obj, model_field.attname)
    return values


def changes_between(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value differs, secrets left out."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        if is_secret_field(name):
            continue
        old, new = _jsonable(before.get(name)), _jsonable(after.get(name))
        if old != new:
            changes[name] = [old, new]
    return changes


def office_id_of(obj) -> int | None:
    """The office an object belongs to, for scoping the list, by the usual paths."""
    for path in (
        "office_id",
        "booth.office_id",
        "document.office_id",
        "version.document.office_id",
        "consultation.office_id",
        "user.office_id",
        "counselor.office_id",
    ):
        target = obj
        try:
            for part in path.split("."):
                target = getattr(target, part)
        except (AttributeError, models.ObjectDoesNotExist):
            continue
        if isinstance(target, int):
            return target
    if obj._meta.model_name == "office":
        return obj.pk
    return None


def subject_id_of(obj) -> int | None:
    """The person whose data `obj` is: the user itself, or its `user`."""
    if obj._meta.label == settings.AUTH_USER_MODEL:
        return obj.pk
    user_id = getattr(obj, "user_id", None)
    return user_id if isinstance(user_id, int) else None


# Values that say what happened, not who to: kept when a person's account is deleted.
KEPT_ON_ERASURE = frozenset(
    {
        "status",
        "purpose",
        "user_type",
        "source",
        "needs_approval",
        "counselor",
        "booth",
        "office",
        "video_tool",
        "version",
        "method",
        "kind",
        "date",
        "is_active",
        "suspension_reason",
        "sequence",
    }
)


def _kept_on_erasure(name: str) -> bool:
    return name in KEPT_ON_ERASURE or name.endswith(("_at", "_by", "_via"))


# --- The record -----------------------------------------------------------------------------


class RecordQuerySet(models.QuerySet):
    """Append-only records of an office (audit and access records): the application adds rows
    and never edits or deletes them through the ORM's usual paths."""

    def update(self, **kwargs):
        raise ValidationError(self.model.changed_message)

    def delete(self):
        raise ValidationError(self.model.deleted_message)

    def for_staff(self, user):
        """Superusers see every office; other staff their own office's records."""
        if user.is_superuser:
            return self
        if not user.office_id:
            return self.none()
        return self.filter(office_id=user.office_id)


class AppendOnlyRecord(models.Model):
    """A row that is written once: saving an existing row or deleting one is refused."""

    changed_message = _("Audit records cannot be changed.")
    deleted_message = _("Audit records cannot be deleted.")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(self.changed_message)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(self.deleted_message)


class AuditRecordQuerySet(RecordQuerySet):
    def for_object(self, obj) -> AuditRecordQuerySet:
        content_type = ContentType.objects.get_for_model(obj)
        return self.filter(content_type=content_type, object_id=str(obj.pk))


class AuditRecord(AppendOnlyRecord):
    """One change: who (a person, or a job), when, which object, what changed."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("by (job or system)"), max_length=LABEL_MAX, blank=True)
    # An integer, not a foreign key: core is below accounts (ARCHITECTURE.md).
    office_id = models.IntegerField(_("office"), null=True, blank=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=REPR_MAX)
    # The person whose data the object is (a user, or the user of a booking or consent), so
    # deleting their account can erase the values recorded about them (REQ REG-5).
    subject_id = models.IntegerField(_("whose data"), null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=60)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"], name="core_audit_object_idx"),
            models.Index(fields=["office_id", "at"], name="core_audit_office_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    @property
    def by(self) -> str:
        return str(self.actor) if self.actor_id else self.actor_label


def audit_record(
    *,
    obj: models.Model | None = None,
    action: str,
    changes: dict | None = None,
    model: type[models.Model] | None = None,
    object_id=None,
    object_repr: str | None = None,
    office_id: int | None = None,
    actor=None,
    actor_label: str | None = None,
) -> AuditRecord:
    """Write one audit record in the caller's transaction (REQ STF-2).

    `changes` is {field: [before, after]} (see `changes_between`); secret fields are dropped
    here too. The actor is `actor`, else the current request's user, else the current job's
    label, else "system".
    """
    context = _context.get()
    if actor is None and context is not None:
        actor = context.actor()
    if actor_label is None:
        actor_label = "" if actor is not None else ((context.label if context else "") or SYSTEM)
    model = model or type(obj)
    if obj is not None:
        object_id = obj.pk if object_id is None else object_id
        if office_id is None:
            office_id = office_id_of(obj)
        if object_repr is None:
            object_repr = str(obj)
    subject_id = subject_id_of(obj) if obj is not None else None
    cleaned = {
        name: [_jsonable(pair[0]), _jsonable(pair[1])]
        if isinstance(pair, list | tuple) and len(pair) == 2
        else _jsonable(pair)
        for name, pair in (changes or {}).items()
        if not is_secret_field(name)
    }
    record = AuditRecord.objects.create(
        actor=actor,
        actor_label=actor_label[:LABEL_MAX],
        office_id=office_id,
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(object_id)[:64],
        object_repr=(object_repr or "")[:REPR_MAX],
        subject_id=subject_id,
        action=action[:60],
        changes=cleaned,
    )
    if context is not None:
        context.written += 1
    return record


def audit_erase_person(*, user_id: int, names: Iterable[str], anonymous_name: str) -> int:
    """Erase what the trail recorded about a deleted account (REQ REG-5): the values of its
    personal fields (which fields changed, and when, stay) and its names in object labels.

    The one sanctioned change to audit records; a plain QuerySet bypasses the append-only
    guard on purpose.
    """
    plain = models.QuerySet(AuditRecord)
    erased = 0
    for record in plain.filter(subject_id=user_id).only("pk", "changes", "object_repr"):
        changes = {
            name: pair if _kept_on_erasure(name) else [None, None]
            for name, pair in (record.changes or {}).items()
        }
        label = record.object_repr
        for name in names:
            if name:
                label = label.replace(name, anonymous_name)
        if changes != record.changes or label != record.object_repr:
            erased += plain.filter(pk=record.pk).update(changes=changes, object_repr=label)
    return erased
