"""The access records in the admin: read-only for everyone, scoped to the staff member's
office, every office for superusers (REQ LOG-1)."""

from __future__ import annotations

from django.contrib import admin

from core.admin_records import ReadOnlyRecordAdmin

from .models import AccessRecord


@admin.register(AccessRecord)
class AccessRecordAdmin(ReadOnlyRecordAdmin):
    """Only staff given `accounts.view_accessrecord` (not part of the counselor role)."""

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
        "office",
        "object_repr",
        "path",
        "ip_address",
        "user_agent",
    ]
    readonly_fields = fields
