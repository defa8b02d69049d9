"""Append-only records: evidence the application adds and never edits or deletes (consents,
access records). The database refuses UPDATE and DELETE (a pgtrigger `Protect` trigger named
`append_only`), raw SQL included; the ORM refuses them earlier with a clear message.

The one way past the trigger is `AppendOnlyModel.protection_lifted()`, for the sanctioned
changes (erasing a deleted account's personal data, purging past their retention), made in the
caller's transaction.
"""

from __future__ import annotations

import pgtrigger
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

TRIGGER_NAME = "append_only"


def append_only_trigger() -> pgtrigger.Protect:
    return pgtrigger.Protect(name=TRIGGER_NAME, operation=pgtrigger.Update | pgtrigger.Delete)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(self.model.changed_message)

    def delete(self):
        raise ValidationError(self.model.deleted_message)


class AppendOnlyModel(models.Model):
    changed_message = _("This record cannot be changed.")
    deleted_message = _("This record cannot be deleted.")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        triggers = [append_only_trigger()]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(self.changed_message)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(self.deleted_message)

    @classmethod
    def protection_lifted(cls):
        """A context in which the database lets this model's rows be changed or deleted."""
        return pgtrigger.ignore(f"{cls._meta.label}:{TRIGGER_NAME}")
