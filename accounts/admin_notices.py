"""Notices in the admin, scoped to the staff member's office (REQ OPS-1, OPS-2, STF-3).

Superusers manage every notice, national ones (no office, they pause every office during a
maintenance window) included. Counselors add, change and delete their own office's notices and
see the national ones read-only.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Notice, Office


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "office_label",
        "published_at",
        "maintenance_starts_at",
        "maintenance_ends_at",
    ]
    list_select_related = ["office"]
    search_fields = ["title"]
    fields = [
        "title",
        "body",
        "office",
        "published_at",
        "hidden_after",
        "maintenance_starts_at",
        "maintenance_ends_at",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.for_office(request.user.office_id)

    @admin.display(description=_("office"), ordering="office__name")
    def office_label(self, obj: Notice) -> str:
        return obj.office.name if obj.office_id else str(_("All offices (national)"))

    def _may_edit(self, request, obj: Notice | None) -> bool:
        if request.user.is_superuser:
            return True
        if request.user.office_id is None:
            return False
        return obj is None or obj.office_id == request.user.office_id

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._may_edit(request, None)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name != "office":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        offices = Office.objects.order_by("code")
        if request.user.is_superuser:
            kwargs["empty_label"] = _("All offices (national)")
        else:
            offices = offices.filter(pk=request.user.office_id)
            kwargs["required"] = True
        kwargs["queryset"] = offices
        kwargs["help_text"] = _(
            "A maintenance window pauses booking and joining for the people of this office; "
            "a national notice pauses every office."
        )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            # The form offers only the counselor's office; this holds even for a forged POST.
            obj.office_id = request.user.office_id
        super().save_model(request, obj, form, change)
