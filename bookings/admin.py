"""The office's closures in the staff admin (REQ STF-3, OFF-2)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_scoping import OfficeScopedAdminMixin
from core.forms import ModelForm

from . import closures
from .models import OfficeClosure


class OfficeClosureAdminForm(ModelForm):
    """A closure on a day with active bookings is refused next to the date (OFF-2, CON-1)."""

    class Meta:
        model = OfficeClosure
        fields = ["office", "date", "reason"]

    def clean(self):
        cleaned = super().clean()
        office, day = cleaned.get("office"), cleaned.get("date")
        if office is not None and day is not None:
            problem = closures.closure_refusal_reason(office_id=office.pk, date=day)
            if problem:
                self.add_error("date", problem)
        return cleaned


@admin.register(OfficeClosure)
class OfficeClosureAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    form = OfficeClosureAdminForm
    # Staff's own schedule, no job seeker's or employer's data: no access record (LOG-1).
    lists_personal_data = False
    list_display = ["date", "office", "reason", "created_by"]
    list_filter = ["office"]
    date_hierarchy = "date"
    readonly_fields = ["created_by", "created_at"]
    fields = ["office", "date", "reason", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
