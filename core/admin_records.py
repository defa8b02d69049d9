"""The audit list in the admin: read-only for everyone, scoped to the staff member's office,
every office for superusers (REQ STF-2). Other record lists (access records, in accounts)
build on `ReadOnlyRecordAdmin`."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from pghistory.core import event_models

from .audit import ACTIONS, AuditEvent, AuditPaginator
from .dates import format_datetime


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


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return list(ACTIONS.items())

    def queryset(self, request, queryset):
        return queryset.filter(pgh_label=self.value()) if self.value() in ACTIONS else queryset


class ObjectKindFilter(admin.SimpleListFilter):
    """The tracked models by their names in the admin."""

    title = _("what")
    parameter_name = "what"

    def lookups(self, request, model_admin):
        tracked = {model.pgh_tracked_model for model in event_models()}
        return sorted(
            ((m._meta.label, str(m._meta.verbose_name)) for m in tracked), key=lambda c: c[1]
        )

    def queryset(self, request, queryset):
        labels = {label for label, _name in self.lookup_choices}
        return queryset.filter(pgh_obj_model=self.value()) if self.value() in labels else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyRecordAdmin):
    """Every event table read as one; the office's events through the office each row points
    to (`AuditEventQuerySet.for_staff`)."""

    list_display = ["at_label", "by_label", "action_label", "object_kind", "object_id"]
    list_filter = [ActionFilter, ObjectKindFilter]
    list_select_related = ["user"]
    ordering = ["-pgh_created_at", "-pgh_slug"]
    paginator = AuditPaginator
    # Who changed what, people's values included: each list shown is recorded (REQ LOG-1).
    lists_personal_data = True
    # In the words of the forms, never pghistory's column names or raw JSON (REQ NFR-1).
    fields = ["at_label", "by_label", "action_label", "object_kind", "object_id", "changes"]
    readonly_fields = fields

    def get_object(self, request, object_id, from_field=None):
        """One event by its table and id (`app.ModelEvent:42`), still scoped to the office: a
        lookup by the combined key would build the office's whole trail first."""
        label, _sep, pk = unquote(object_id).rpartition(":")
        models = [model for model in event_models() if model._meta.label == label]
        if not models or not pk.isdigit():
            return None
        return self.get_queryset(request).across(*models).filter(pgh_id=int(pk)).first()

    @admin.display(description=_("Date/time"), ordering="pgh_created_at")
    def at_label(self, event):
        return format_datetime(event.pgh_created_at)

    @admin.display(description=_("what"))
    def object_kind(self, event):
        return event.object_kind

    @admin.display(description=_("record number"))
    def object_id(self, event):
        return event.pgh_obj_id

    @admin.display(description=_("Changes (before → after)"))
    def changes(self, event):
        items = format_html_join("", "<li>{}: {} → {}</li>", event.readable_changes())
        return format_html('<ul class="audit-changes">{}</ul>', items) if items else "—"

    @admin.display(description=_("by"))
    def by_label(self, event):
        return event.by_display

    @admin.display(description=_("action"), ordering="pgh_label")
    def action_label(self, event):
        return event.action
