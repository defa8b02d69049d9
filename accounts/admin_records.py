"""The access records in the admin: read-only for everyone, scoped to the staff member's
office, every office for superusers (REQ LOG-1)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_records import ReadOnlyRecordAdmin

from .access import search_hash
from .models import AccessRecord, User


@admin.register(AccessRecord)
class AccessRecordAdmin(ReadOnlyRecordAdmin):
    """Only staff given `accounts.view_accessrecord` (not part of the counselor role)."""

    list_display = ["at", "kind", "actor", "whose", "object_repr", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["subject__username", "actor__username", "ip_address", "object_repr"]
    search_help_text = _(
        "A login ID (a person's exact login ID also finds the pages that showed them), an IP "
        "address, a list, or the terms of a search staff made: searches are kept only as a "
        "keyed hash, found by typing the same terms."
    )
    date_hierarchy = "at"
    list_select_related = ["actor", "subject"]
    fields = [
        "at",
        "kind",
        "actor",
        "subject",
        "people_named",
        "office",
        "object_repr",
        "path",
        "search_hash",
        "ip_address",
        "user_agent",
    ]
    readonly_fields = fields

    @admin.display(description=_("whose data"))
    def whose(self, record):
        if record.subjects is not None:
            count = len(record.subjects)
            return ngettext("%(count)d person", "%(count)d people", count) % {"count": count}
        return record.subject

    @admin.display(description=_("people shown"))
    def people_named(self, record):
        """Everyone a page record names, in the order shown."""
        if not record.subjects:
            return "-"
        people = User.objects.in_bulk(record.subjects)
        return format_html_join(
            ", ",
            "{}",
            ((str(people[pk]) if pk in people else f"#{pk}",) for pk in record.subjects),
        )

    def get_search_results(self, request, queryset, search_term):
        """Besides the fields, the searches made with these very terms and the pages that
        named the person whose login ID it is (REQ LOG-1)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        hashed = search_hash(search_term)
        if hashed:
            results = results | queryset.filter(search_hash=hashed)
        term = search_term.strip()
        if term:
            named = list(User.objects.filter(username__iexact=term).values_list("pk", flat=True))
            if named:
                results = results | queryset.filter(subjects__overlap=named)
        return results, may_have_duplicates
