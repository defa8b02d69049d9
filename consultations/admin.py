"""The counselor side of online consultations in the admin (REQ CON-1 … CON-8, STF-1, STF-2).

Every admin here is scoped to the staff member's office (superusers see every office). The
shared booking life (one-click actions, the confirm page, the true state) comes from
`BookingAdminMixin`; each change of a consultation goes through a service and its refusals show
next to the field they concern.
"""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_scoping import OfficeScopedAdminMixin
from accounts.models import User
from bookings import alerts
from bookings.admin_bookings import BookingAdminMixin, NeedsApprovalFilter, StateFilter
from bookings.calendar import format_slot
from bookings.forms import StaffSlotForm

from . import services
from .admin_forms import (
    AvailabilityExceptionAdminForm,
    AvailabilityPatternAdminForm,
    ConsultationForCallerForm,
    CounselorSlotForm,
    CounselorVideoDefaultAdminForm,
    MeetingLinkForm,
    OnlineApprovalAdminForm,
    VideoToolAdminForm,
    tried,
)
from .kind import ONLINE, OnlinePlace
from .models import (
    AvailabilityException,
    AvailabilityPattern,
    Consultation,
    ConsultationJoin,
    CounselorVideoDefault,
    ExceptionKind,
    OnlineApproval,
    VideoTool,
)

# CON-2: consultations without a meeting link that start within this long show as a list to fix.
LINK_MISSING_HORIZON = datetime.timedelta(days=2)


def office_staff(request):
    """Staff who can be a counselor for the staff member's office (all offices for superusers)."""
    if request.user.is_superuser:
        return User.objects.counselors()
    return User.objects.counselors(request.user.office_id or 0)


def office_video_tools(request, office_id: int | None = None):
    tools = VideoTool.objects.filter(is_active=True)
    if office_id is not None:
        tools = tools.filter(office_id=office_id)
    elif not request.user.is_superuser:
        tools = tools.filter(office_id=request.user.office_id)
    return tools.order_by("office", "name")


class StaffFormAdminMixin:
    """Gives the admin's form the staff member, and scopes counselor and video tool choices."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"staff": request.user})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "counselor":
            kwargs["queryset"] = office_staff(request)
        elif db_field.related_model is VideoTool:
            kwargs["queryset"] = office_video_tools(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CounselorFilter(admin.SimpleListFilter):
    """The office's counselors only (STF-2), never the people who book."""

    title = gettext_lazy("counselor")
    parameter_name = "counselor"

    def lookups(self, request, model_admin):
        return [(str(user.pk), str(user)) for user in office_staff(request)]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit() and len(value) < 12:
            return queryset.filter(counselor_id=int(value))
        return queryset


class LinkMissingSoonFilter(admin.SimpleListFilter):
    """CON-2: consultations still without a meeting link, starting within the next 2 days."""

    title = gettext_lazy("meeting link")
    parameter_name = "link"

    def lookups(self, request, model_admin):
        return [("missing_soon", _("No link yet, starting within 2 days"))]

    def queryset(self, request, queryset):
        if self.value() != "missing_soon":
            return queryset
        now = timezone.now()
        return queryset.holding_slot(now).filter(
            join_url="", ends_at__gt=now, starts_at__lt=now + LINK_MISSING_HORIZON
        )


@admin.register(VideoTool)
class VideoToolAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    form = VideoToolAdminForm
    list_display = ["name", "kind", "office", "host_summary", "is_active"]
    list_filter = ["office", "kind", "is_active"]
    fields = ["office", "name", "kind", "allowed_hosts", "terms_url", "is_active"]

    @admin.display(description=gettext_lazy("Allowed hosts"))
    def host_summary(self, obj: VideoTool) -> str:
        return ", ".join(obj.host_list())


@admin.register(CounselorVideoDefault)
class CounselorVideoDefaultAdmin(StaffFormAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    office_lookup = "counselor__office"
    form = CounselorVideoDefaultAdminForm
    # Staff's own schedule, no job seeker's or employer's data: no access record (LOG-1).
    lists_personal_data = False
    list_display = ["counselor", "video_tool", "join_url"]
    list_filter = [CounselorFilter, "video_tool"]
    list_select_related = ["counselor", "video_tool"]


class AvailabilityAdminMixin(StaffFormAdminMixin):
    """Patterns and single slots: the office is the counselor's, and a deletion that would
    leave a future booking uncovered is refused (CON-1). Deleting goes one by one, through
    the change page, so each refusal names its booking."""

    office_lookup = "office"
    # Staff's own schedule, no job seeker's or employer's data: no access record (LOG-1).
    lists_personal_data = False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        obj.office_id = obj.counselor.office_id
        super().save_model(request, obj, form, change)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST":
            obj = self.get_object(request, object_id)
            if obj is not None and self.has_delete_permission(request, obj):
                problem = tried(lambda: self._delete_problem(obj))
                if problem:
                    self.message_user(request, problem, messages.ERROR)
                    opts = self.model._meta
                    return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", obj.pk)
        return super().delete_view(request, object_id, extra_context)

    def _delete_problem(self, obj) -> str | None:
        counselor = obj.counselor
        type(obj).objects.filter(pk=obj.pk).delete()
        return services.availability_unbooked_problem(counselor=counselor)


@admin.register(AvailabilityPattern)
class AvailabilityPatternAdmin(AvailabilityAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    form = AvailabilityPatternAdminForm
    list_display = ["counselor", "weekday", "starts_at", "ends_at", "valid_from", "valid_until"]
    list_filter = [CounselorFilter, "weekday"]
    list_select_related = ["counselor"]
    fields = ["counselor", "weekday", "starts_at", "ends_at", "valid_from", "valid_until"]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(AvailabilityAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    form = AvailabilityExceptionAdminForm
    list_display = ["slot", "counselor", "kind"]
    list_filter = [CounselorFilter, "kind"]
    list_select_related = ["counselor"]
    date_hierarchy = "starts_at"
    fields = ["counselor", "starts_at", "kind"]

    @admin.display(description=gettext_lazy("Slot"), ordering="starts_at")
    def slot(self, obj: AvailabilityException) -> str:
        return format_slot(obj.starts_at)

    # REQ ALR-1: a withdrawn slot taken back is free again for those waiting for one.

    def save_model(self, request, obj, form, change):
        was = AvailabilityException.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        if (
            was is not None
            and was.kind == ExceptionKind.WITHDRAWN
            and (
                obj.kind != ExceptionKind.WITHDRAWN
                or obj.starts_at != was.starts_at
                or obj.counselor_id != was.counselor_id
            )
        ):
            _withdrawal_taken_back(was)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        if obj.kind == ExceptionKind.WITHDRAWN:
            _withdrawal_taken_back(obj)


def _withdrawal_taken_back(exception: AvailabilityException) -> None:
    alerts.queue_slot_freed(
        alerts.FreedSlot(
            "online", exception.office_id, exception.counselor_id, exception.starts_at
        ),
        now=None,
    )


@admin.register(OnlineApproval)
class OnlineApprovalAdmin(StaffFormAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    """CON-6: people outside the usual groups the office approves for online consultations."""

    office_lookup = "user__office"
    form = OnlineApprovalAdminForm
    list_display = ["user", "approved_by", "approved_at", "note"]
    list_select_related = ["user", "approved_by"]
    search_fields = ["user__username", "user__last_name", "user__first_name"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["username", "note"]
        return ["user", "note", "approved_by", "approved_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "approved_by", "approved_at"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if not change:
            obj.approved_by = request.user
            obj.approved_at = timezone.now()
        super().save_model(request, obj, form, change)


class ConsultationJoinInline(admin.TabularInline):
    """Each pass through the join button, read-only (CON-3, LOG-1), with the checklist the
    person confirmed before their first join (CON-4)."""

    model = ConsultationJoin
    fields = [
        "at",
        "user",
        "ip_address",
        "user_agent",
        "private_room",
        "no_recording",
        "app_ready",
        "tool_terms_accepted",
        "tool_name",
        "tool_terms_url",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consultation)
class ConsultationAdmin(BookingAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    change_list_template = "admin/consultations/consultation/change_list.html"
    list_display = [
        "slot",
        "counselor",
        "requester_name",
        "phone",
        "purpose",
        "companion_list",
        "video_tool",
        "link_set",
        "state_now",
        "needs_approval",
    ]
    list_filter = [
        StateFilter,
        NeedsApprovalFilter,
        LinkMissingSoonFilter,
        CounselorFilter,
        "video_tool",
    ]
    date_hierarchy = "starts_at"
    search_fields = ["requester_name", "phone", "client_number"]
    list_select_related = ["counselor", "video_tool", "office"]
    actions = BookingAdminMixin.booking_actions
    inlines = [ConsultationJoinInline]
    form_links = [
        ("confirm", gettext_lazy("Confirm (and approve) after a phone call")),
        ("link", gettext_lazy("Set the meeting link")),
        ("move", gettext_lazy("Move to another slot or counselor")),
        ("book-next", gettext_lazy("Book the next consultation")),
    ]
    fields = [
        "transition_links",
        "office",
        "starts_at",
        "ends_at",
        "state_now",
        "needs_approval",
        "counselor",
        "video_tool",
        "link_set",
        "join_url_set_at",
        *BookingAdminMixin.person_fields,
        *BookingAdminMixin.lifecycle_fields,
    ]

    booking_kind = ONLINE
    move_texts = (
        gettext_lazy("Move to another slot or counselor"),
        gettext_lazy("The consultation is moved and the participant is told by e-mail."),
    )
    next_texts = (
        gettext_lazy("Book the next consultation"),
        gettext_lazy("The next consultation is booked, confirmed and mailed to the participant."),
    )
    caller_texts = (
        gettext_lazy("Book an online consultation for a caller"),
        gettext_lazy("The consultation is booked, confirmed and mailed to the user."),
    )

    def staff_slot_form(self, request, booking, data, *, step: str, initial=None):
        if step == "next":
            return StaffSlotForm(data)  # with the same counselor and tool
        counselors = office_staff(request)
        if step == "caller":
            return ConsultationForCallerForm(
                data,
                counselors=counselors,
                video_tools=office_video_tools(request),
                initial=initial,
            )
        return CounselorSlotForm(
            data,
            counselors=counselors.filter(office_id=booking.office_id),
            initial={"counselor": booking.counselor_id},
        )

    def staff_place(self, form, booking=None):
        if booking is not None:
            return OnlinePlace.of(booking, counselor=form.cleaned_data.get("counselor"))
        counselor = form.cleaned_data["counselor"]
        return OnlinePlace(
            office=counselor.office, counselor=counselor, video_tool=form.cleaned_data["video_tool"]
        )

    def get_readonly_fields(self, request, obj=None):
        # Every change goes through a service: the one-click actions and the form pages.
        return self.fields

    @admin.display(description=gettext_lazy("Link set?"), boolean=True)
    def link_set(self, obj: Consultation) -> bool:
        return bool(obj.join_url)

    def get_urls(self):
        view = self.admin_site.admin_view
        name = "consultations_consultation_"
        return [
            path("<int:pk>/link/", view(self.link_view), name=name + "link"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {})}
        if self.has_change_permission(request):
            extra_context["book_url"] = reverse("admin:consultations_consultation_book")
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing is saved from this page: changes go through the actions and the form pages.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def link_view(self, request, pk: int):
        """CON-2: the video tool and meeting link, prefilled with the counselor's default."""
        consultation = self.scoped_booking(request, pk)
        default = CounselorVideoDefault.objects.filter(
            counselor_id=consultation.counselor_id, video_tool_id=consultation.video_tool_id
        ).first()
        form = MeetingLinkForm(
            request.POST or None,
            video_tools=office_video_tools(request, consultation.office_id),
            initial={
                "video_tool": consultation.video_tool_id,
                "join_url": consultation.join_url or (default.join_url if default else ""),
            },
        )
        if request.method == "POST" and form.is_valid():
            response = self.run_service(
                request,
                form,
                lambda: self.logged(
                    request,
                    services.consultation_set_join_url(
                        consultation=consultation,
                        staff=request.user,
                        video_tool=form.cleaned_data["video_tool"],
                        join_url=form.cleaned_data["join_url"],
                    ),
                    _("The meeting link is saved."),
                ),
                _("The meeting link is saved; the participant is told when it is first set."),
            )
            if response:
                return response
        return self.form_page(request, consultation, form, _("Set the meeting link"))
