"""The office's closures in the staff admin (REQ STF-3, OFF-2)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_scoping import OfficeScopedAdminMixin
from core.forms import ModelForm

from . import alerts, closures
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
        elif "date" in form.changed_data or "office" in form.changed_data:
            # REQ ALR-1: the day it closed is open again.
            alerts.queue_day_opened(office_id=form.initial["office"], day=form.initial["date"])
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        alerts.queue_day_opened(office_id=obj.office_id, day=obj.date)  # REQ ALR-1

    def delete_queryset(self, request, queryset):
        days = list(queryset.values_list("office_id", "date"))
        super().delete_queryset(request, queryset)
        for office_id, day in days:
            alerts.queue_day_opened(office_id=office_id, day=day)  # REQ ALR-1
