from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from procrastinate.contrib.django.admin import ProcrastinateJobAdmin
from procrastinate.contrib.django.models import ProcrastinateJob

from .models import OutboxMessage
from .outbox import outbox_requeue_failed


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Superusers only: the outbox holds every office's mail, verification and reset links
    included (REQ NFR-3, LOG-2). Queueing again changes rows, so it needs the change
    permission."""

    list_display = [
        "pk",
        "created_at",
        "status",
        "topic",
        "topic_kind",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "dropped_at",
    ]
    list_filter = ["status"]
    # A topic is a key such as "booking:booths.reservation:42": its mails, sent and dropped.
    search_fields = ["=topic"]
    fields = [
        "created_at",
        "status",
        "topic",
        "topic_kind",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "dropped_at",
        "drop_reason",
    ]
    readonly_fields = fields
    actions = ["requeue"]

    @admin.action(description=_("Try the selected given-up messages again"), permissions=["change"])
    def requeue(self, request, queryset):
        count = outbox_requeue_failed(messages=queryset)
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Only the action changes anything; every field of the form is read-only.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


class JobAdmin(ProcrastinateJobAdmin):
    """procrastinate's job list (lag, failures, retries; REQ NFR-6), superusers only: job
    arguments and errors are not an office's business."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        # The shown values too, so that any form built for the model has no field to edit.
        return [*super().get_readonly_fields(request, obj), *self.fields]


# procrastinate's admin module registers its own on import; this one replaces it.
if admin.site.is_registered(ProcrastinateJob):
    admin.site.unregister(ProcrastinateJob)
admin.site.register(ProcrastinateJob, JobAdmin)

# The audit list (REQ STF-2).
from . import admin_records  # noqa: E402, F401
