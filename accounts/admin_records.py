"""The access records in the admin: read-only for everyone, scoped to the staff member's
office, every office for superusers (REQ LOG-1)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_records import ReadOnlyRecordAdmin

from .access import search_hash
from .models import AccessRecord


@admin.register(AccessRecord)
class AccessRecordAdmin(ReadOnlyRecordAdmin):
    """Only staff given `accounts.view_accessrecord` (not part of the counselor role)."""

    list_display = ["at", "kind", "actor", "subject", "object_repr", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["subject__username", "actor__username", "ip_address", "object_repr"]
    search_help_text = _(
        "A login ID, an IP address, a list, or the terms of a search staff made: searches are "
        "kept only as a keyed hash, found by typing the same terms."
    )
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
        "search_hash",
        "ip_address",
        "user_agent",
    ]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """Besides the fields, the searches made with these very terms (REQ LOG-1)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        hashed = search_hash(search_term)
        if hashed:
            results = results | queryset.filter(search_hash=hashed)
        return results, may_have_duplicates
