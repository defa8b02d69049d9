from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Notice, OutboxMessage
from .outbox import outbox_requeue_failed


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
    actions = ["requeue"]

    @admin.action(description=_("Try the selected given-up messages again"), permissions=["view"])
    def requeue(self, request, queryset):
        count = outbox_requeue_failed(messages=queryset)
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
