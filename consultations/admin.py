from django.contrib import admin

from accounts.admin_scoping import OfficeScopedAdminMixin

from .models import OfficeClosure


@admin.register(OfficeClosure)
class OfficeClosureAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    list_display = ["date", "office", "reason", "created_by"]
    list_filter = ["office"]
    date_hierarchy = "date"
    readonly_fields = ["created_by", "created_at"]
    fields = ["office", "date", "reason", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
