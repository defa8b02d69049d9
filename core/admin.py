from django.contrib import admin

from .models import Notice, OutboxMessage


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at", "maintenance_starts_at", "maintenance_ends_at"]
    search_fields = ["title"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["pk", "created_at", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status"]
    fields = ["created_at", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
