from allauth.account.models import EmailAddress
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.forms import JISTextFormMixin

from .admin_scoping import OfficeScopedAdminMixin, scoped_list_filter
from .forms import ErasureForm, NumberMoveForm, SuspensionForm
from .models import JobseekerNumberMove, Office, SignInRecord, User
from .services import (
    account_erase_by_staff,
    jobseeker_number_move,
    password_changed,
    password_set_by_staff,
    user_email_set_by_staff,
    user_suspend,
    user_unsuspend,
)


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
    "erased_by",
    "erasure_reason",
    "erasure_note",
]


class StaffUserChangeForm(UserChangeForm):
    def clean_email(self) -> str:
        email = (self.cleaned_data.get("email") or "").strip()
        if email:
            taken = (
                User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()
                or EmailAddress.objects.filter(email__iexact=email)
                .exclude(user_id=self.instance.pk)
                .exists()
            )
            if taken:
                raise ValidationError(_("Another account uses this e-mail address."))
        return email


def _may_manage(request, obj) -> bool:
    """Only superusers manage staff accounts; a counselor sees and changes the office's users
    and their own account, never a colleague's (REQ STF-2)."""
    if obj is None or request.user.is_superuser:
        return True
    return not obj.is_staff or obj.pk == request.user.pk


def _refuse_other_staff(request, queryset) -> None:
    if not request.user.is_superuser and (
        queryset.filter(is_staff=True).exclude(pk=request.user.pk).exists()
    ):
        raise PermissionDenied


class PasswordChangeForm(JISTextFormMixin, AdminPasswordChangeForm):
    """Django builds this help text once, in English, when it is imported; it is said here in
    the page's language (REQ NFR-1)."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        if "usable_password" in self.fields:
            self.fields["usable_password"].help_text = format_html(
                '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}'
                "</li></ul>",
                _(
                    "Whether the user will be able to sign in with a password. If disabled, "
                    "they cannot sign in to this site with a password."
                ),
                _("If disabled, the current password for this user will be lost."),
            )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Staff see the people of their own office; superusers see everyone (REQ STF-2, REG-7)."""

    # The name first (STF-1): staff read and pick people by name and reading; the login ID is
    # one of the account's fields.
    list_display = ["name", "username", "user_type", "office", "is_active", "suspended_at"]
    list_display_links = ["name"]
    list_filter = ["user_type", "office", SuspendedFilter, "is_active", "is_staff"]
    search_fields = ["username", "email", "last_name", "first_name", "name_kana"]
    readonly_fields = LIFECYCLE_FIELDS
    change_password_form = PasswordChangeForm

    @admin.display(description=_("Name (reading)"), ordering="name_kana")
    def name(self, obj):
        return obj.name_with_kana

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
    actions = ["suspend", "lift_suspension", "erase", "move_jobseeker_number"]
    form = StaffUserChangeForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            password_changed(user=obj)  # the add form sets the first password (REQ REG-4)
        if "email" in form.changed_data or (not change and obj.email):
            user_email_set_by_staff(user=obj, email=obj.email, request=request)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            if user is not None:
                password_set_by_staff(user=user, request=request)
        return response

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("office")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(office_id=request.user.office_id, is_superuser=False)

    def get_list_filter(self, request):
        # The office filter offers only the staff member's office (REQ STF-2).
        return scoped_list_filter(self.model, super().get_list_filter(request))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and _may_manage(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _may_manage(request, obj)

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

    def _confirmation_page(
        self, request, queryset, *, action, title, explanation, button, form
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "accounts/admin_confirm_action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "explanation": explanation,
                "button": button,
                "users": queryset,
                "form": form,
                "action": action,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _apply_to_each(self, request, queryset, form, apply, done_message) -> int:
        """Run `apply(user, cleaned_data)` for each selected account, an error message for
        each refused one, then `done_message(count)` with the count done."""
        done = 0
        for user in queryset:
            try:
                apply(user, form.cleaned_data)
            except ValidationError as exc:
                self.message_user(request, f"{user}: {exc.messages[0]}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, done_message(done) % {"count": done})
        return done

    @admin.action(description=_("Suspend the selected accounts"), permissions=["change"])
    def suspend(self, request, queryset):
        _refuse_other_staff(request, queryset)
        form = SuspensionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._apply_to_each(
                request,
                queryset,
                form,
                lambda user, data: user_suspend(
                    user=user, by=request.user, reason=data["reason"], note=data["note"]
                ),
                lambda n: ngettext(
                    "%(count)d account suspended.", "%(count)d accounts suspended.", n
                ),
            )
            return None
        return self._confirmation_page(
            request,
            queryset,
            action="suspend",
            title=_("Suspend accounts"),
            explanation=_(
                "A suspended person is signed out at once, cannot sign in or book, and is shown "
                "the office's contacts."
            ),
            button=_("Suspend"),
            form=form,
        )

    @admin.action(
        description=_("Lift the suspension of the selected accounts"), permissions=["change"]
    )
    def lift_suspension(self, request, queryset):
        _refuse_other_staff(request, queryset)
        count = 0
        for user in queryset.filter(suspended_at__isnull=False):
            user_unsuspend(user=user, by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d suspension lifted.", "%(count)d suspensions lifted.", count)
            % {"count": count},
        )

    @admin.action(
        description=_("Erase the selected accounts (prohibited acts)"), permissions=["change"]
    )
    def erase(self, request, queryset):
        """REQ REG-10: a confirmation page with the reason, then the REG-5 erasure of each."""
        _refuse_other_staff(request, queryset)
        form = ErasureForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._apply_to_each(
                request,
                queryset,
                form,
                lambda user, data: account_erase_by_staff(
                    user=user, by=request.user, reason=data["reason"], note=data["note"]
                ),
                lambda n: ngettext("%(count)d account erased.", "%(count)d accounts erased.", n),
            )
            return None
        return self._confirmation_page(
            request,
            queryset,
            action="erase",
            title=_("Erase accounts"),
            explanation=_(
                "Erasure is the same as a person's own deletion: future bookings are cancelled "
                "and the person is mailed, then the personal data is deleted. It cannot be "
                "undone."
            ),
            button=_("Erase"),
            form=form,
        )

    @admin.action(
        description=_("Give a job-seeker number to the selected account"), permissions=["change"]
    )
    def move_jobseeker_number(self, request, queryset):
        """REQ REG-9: the number leaves the account holding it for the selected one."""
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one account."), messages.ERROR)
            return None
        target = queryset.get()
        form = NumberMoveForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            try:
                jobseeker_number_move(
                    number=form.cleaned_data["number"],
                    to_user=target,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, _("The job-seeker number has been moved."))
                return None
        return self._confirmation_page(
            request,
            queryset,
            action="move_jobseeker_number",
            title=_("Give a job-seeker number to this account"),
            explanation=_(
                "The number leaves the account that holds it now. The move and its reason are "
                "recorded."
            ),
            button=_("Move the number"),
            form=form,
        )


@admin.register(JobseekerNumberMove)
class JobseekerNumberMoveAdmin(admin.ModelAdmin):
    """Read-only record of the moves, scoped to the staff member's office (REQ REG-9)."""

    list_display = ["at", "from_user", "to_user", "moved_by", "reason"]
    fields = list_display
    readonly_fields = fields
    list_select_related = ["from_user", "to_user", "moved_by"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(to_user__office_id=request.user.office_id)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


# The offices' notices and the access records (REQ OPS-1, STF-3, LOG-1).
from . import admin_notices, admin_records  # noqa: E402, F401
