"""The audit list in the admin: read-only for everyone, scoped to the staff member's office,
every office for superusers (REQ STF-2). Other record lists (access records, in accounts)
build on `ReadOnlyRecordAdmin`."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.utils.translation import gettext_lazy as _
from pghistory.core import event_models

from .audit import AuditEvent, AuditPaginator


class ReadOnlyRecordAdmin(admin.ModelAdmin):
    """Nobody adds, changes or deletes records here; the models refuse it as well."""

    def get_queryset(self, request):
        return super().get_queryset(request).for_staff(request.user)

    def get_actions(self, request):
        return {}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyRecordAdmin):
    """Every event table read as one; the office's events through the office each row points
    to (`AuditEventQuerySet.for_staff`)."""

    list_display = ["pgh_created_at", "by_label", "action_label", "pgh_obj_model", "pgh_obj_id"]
    list_filter = ["pgh_label", "pgh_obj_model"]
    list_select_related = ["user"]
    ordering = ["-pgh_created_at", "-pgh_slug"]
    paginator = AuditPaginator
    # Who changed what, people's values included: each list shown is recorded (REQ LOG-1).
    lists_personal_data = True
    fields = [
        "pgh_created_at",
        "by_label",
        "action_label",
        "pgh_obj_model",
        "pgh_obj_id",
        "pgh_diff",
        "pgh_data",
    ]
    readonly_fields = fields

    def get_object(self, request, object_id, from_field=None):
        """One event by its table and id (`app.ModelEvent:42`), still scoped to the office: a
        lookup by the combined key would build the office's whole trail first."""
        label, _sep, pk = unquote(object_id).rpartition(":")
        models = [model for model in event_models() if model._meta.label == label]
        if not models or not pk.isdigit():
            return None
        return self.get_queryset(request).across(*models).filter(pgh_id=int(pk)).first()

    @admin.display(description=_("by"))
    def by_label(self, event):
        return event.by

    @admin.display(description=_("action"), ordering="pgh_label")
    def action_label(self, event):
        return event.action
