"""The audit list and the access records in the admin: read-only for everyone, scoped to the
staff member's office, every office for superusers (REQ STF-2, LOG-1)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .access import AccessRecord
from .audit import AuditRecord


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


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyRecordAdmin):
    list_display = ["at", "by_label", "action", "content_type", "object_repr", "office_id"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "action", "actor__username", "actor_label", "object_id"]
    date_hierarchy = "at"
    list_select_related = ["actor", "content_type"]
    fields = [
        "at",
        "actor",
        "actor_label",
        "office_id",
        "content_type",
        "object_id",
        "object_repr",
        "action",
        "changes",
    ]
    readonly_fields = fields

    @admin.display(description=_("by"), ordering="actor__username")
    def by_label(self, record):
        return record.by


@admin.register(AccessRecord)
class AccessRecordAdmin(ReadOnlyRecordAdmin):
    """Only staff given `core.view_accessrecord` (not part of the counselor role)."""

    list_display = ["at", "kind", "actor", "subject", "object_repr", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["subject__username", "actor__username", "ip_address", "object_repr"]
    date_hierarchy = "at"
    list_select_related = ["actor", "subject"]
    fields = [
        "at",
        "kind",
        "actor",
        "subject",
        "office_id",
        "object_repr",
        "path",
        "ip_address",
        "user_agent",
    ]
    readonly_fields = fields
