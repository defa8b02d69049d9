from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Office, User


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "phone", "opens_at", "closes_at"]
    search_fields = ["name", "code"]
    fieldsets = [
        (None, {"fields": ["name", "code", "postal_code", "address", "phone", "email", "court"]}),
        (
            _("Calendar and booking rules"),
            {
                "fields": [
                    "opens_at",
                    "closes_at",
                    "booking_cutoff_time",
                    "noshow_limit",
                    "noshow_window_months",
                ]
            },
        ),
        (_("Services"), {"fields": ["offers_online_consultations", "offers_booths"]}),
    ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "user_type", "office", "is_active", "is_staff"]
    list_filter = ["user_type", "office", "is_active", "is_staff"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Hello Work"), {"fields": ["user_type", "office"]}),
    ]
