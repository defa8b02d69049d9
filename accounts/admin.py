from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_scoping import OfficeScopedAdminMixin
from .forms import SuspensionForm
from .models import Office, SignInRecord, User
from .services import user_suspend, user_unsuspend


@admin.register(Office)
class OfficeAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    office_lookup = "pk"  # counselors see and manage their own office only (REQ OFF-1)
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


class SuspendedFilter(admin.SimpleListFilter):
    title = _("suspension")
    parameter_name = "suspended"

    def lookups(self, request, model_admin):
        return [("yes", _("Suspended")), ("no", _("Not suspended"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(suspended_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(suspended_at__isnull=True)
        return queryset


# Set by services (suspension, lifecycle), never typed in the admin.
LIFECYCLE_FIELDS = [
    "suspended_at",
    "suspension_reason",
    "suspension_note",
    "suspended_by",
    "password_changed_at",
    "last_activity_at",
    "dormancy_warned_at",
    "deleted_at",
]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Staff see the people of their own office; superusers see everyone (REQ STF-2, REG-7)."""

    list_display = ["username", "email", "user_type", "office", "is_active", "suspended_at"]
    list_filter = ["user_type", "office", SuspendedFilter, "is_active", "is_staff"]
    search_fields = ["username", "email", "last_name", "first_name", "name_kana"]
    readonly_fields = LIFECYCLE_FIELDS
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Hello Work"), {"fields": ["user_type", "office"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "name_kana",
                    "postal_code",
                    "address",
                    "phone",
                    "jobseeker_number_status",
                    "jobseeker_number",
                    "establishment_name",
                    "establishment_number_status",
                    "establishment_number",
                ]
            },
        ),
        (
            _("Residence"),
            {"fields": ["is_foreign_national", "residence_status", "period_of_stay_until"]},
        ),
        (
            _("Suspension and lifecycle"),
            {"fields": LIFECYCLE_FIELDS},
        ),
    ]
    actions = ["suspend", "lift_suspension"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("office")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(office_id=request.user.office_id, is_superuser=False)

    def has_delete_permission(self, request, obj=None):
        # Accounts are erased by anonymising (REQ REG-5: account_delete keeps the counts and
        # the consents' subject); a hard delete would do neither.
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only superusers hand out staff rights.
            # Nor move anyone, themselves included, to another office (REQ STF-2).
            fields += [
                "is_staff",
                "is_superuser",
                "groups",
                "user_permissions",
                "user_type",
                "office",
            ]
        return fields

    @admin.action(description=_("Suspend the selected accounts"), permissions=["change"])
    def suspend(self, request, queryset):
        form = SuspensionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for user in queryset:
                try:
                    user_suspend(
                        user=user,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                        note=form.cleaned_data["note"],
                    )
                except ValidationError as exc:
                    self.message_user(request, f"{user}: {exc.messages[0]}", messages.ERROR)
                else:
                    done += 1
            self.message_user(
                request,
                ngettext("%(count)d account suspended.", "%(count)d accounts suspended.", done)
                % {"count": done},
            )
            return None
        return TemplateResponse(
            request,
            "accounts/admin_suspend.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Suspend accounts"),
                "users": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(
        description=_("Lift the suspension of the selected accounts"), permissions=["change"]
    )
    def lift_suspension(self, request, queryset):
        count = 0
        for user in queryset.filter(suspended_at__isnull=False):
            user_unsuspend(user=user, by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d suspension lifted.", "%(count)d suspensions lifted.", count)
            % {"count": count},
        )


@admin.register(SignInRecord)
class SignInRecordAdmin(admin.ModelAdmin):
    """Read-only, for staff holding the view permission (REQ LOG-1)."""

    list_display = ["at", "event", "user", "ip_address", "user_agent"]
    list_filter = ["event"]
    search_fields = ["user__username", "ip_address"]
    date_hierarchy = "at"
    fields = ["at", "event", "user", "ip_address", "user_agent"]
    readonly_fields = fields
    list_select_related = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_staff(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
