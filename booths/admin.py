"""The counselor side in the Django admin (REQ BTH-5, BTH-8 … BTH-10, STF-2).

Staff see only their own office's booths and reservations; superusers see every office. Every
status change goes through a service: one-click actions on the list, and small forms for the
changes that need an answer (when the phone call was, which slot to move to or book next).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_scoping import OfficeScopedAdminMixin
from accounts.models import User
from consultations.calendar import format_slot
from core.forms import ModelForm

from . import services
from .forms import BookForCallerForm, ConfirmPhoneCallForm, CounterAdhocForm, SlotChoiceForm
from .models import Booth, Reservation, Status


@admin.register(Booth)
class BoothAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "office", "is_active", "counter_link"]
    list_filter = ["office", "is_active"]

    @admin.display(description=gettext_lazy("Counter and phone"))
    def counter_link(self, obj: Booth) -> str:
        return format_html(
            '<a href="{}">{}</a> | <a href="{}">{}</a>',
            reverse("admin:booths_booth_adhoc", args=[obj.pk]),
            _("Start a use now for a visitor"),
            reverse("admin:booths_booth_book", args=[obj.pk]),
            _("Book for a caller"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/adhoc/", view(self.adhoc_view), name="booths_booth_adhoc"),
            path("<int:pk>/book/", view(self.book_view), name="booths_booth_book"),
            *super().get_urls(),
        ]

    def _scoped_booth(self, request, pk: int) -> Booth:
        booth = self.get_object(request, str(pk))
        if booth is None or not self.has_change_permission(request, booth):
            raise Http404
        return booth

    def _office_user(self, form, booth: Booth):
        user = User.objects.filter(
            username=form.cleaned_data["username"], office_id=booth.office_id
        ).first()
        if user is None:
            form.add_error("username", _("No user of this office has this login ID."))
        return user

    def _page(self, request, booth: Booth, form, title: str, **extra):
        return TemplateResponse(
            request,
            "admin/booths/form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "form": form,
                "opts": self.model._meta,
                "object": booth,
                **extra,
            },
        )

    def adhoc_view(self, request, pk: int):
        """Staff at the counter start an ad-hoc use for a registered user (BTH-8)."""
        booth = self._scoped_booth(request, pk)
        form = CounterAdhocForm(request.POST or None)
        consent_url = None
        if request.method == "POST" and form.is_valid():
            user = self._office_user(form, booth)
            if user is not None:
                try:
                    reservation = services.reservation_start_adhoc(
                        user=user, booth=booth, staff=request.user
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                    if error.code == "consent_needed":
                        consent_url = f"{reverse('admin:terms_consent_add')}?user={user.pk}"
                else:
                    messages.success(request, _("The use has started."))
                    return redirect("admin:booths_reservation_change", reservation.pk)
        return self._page(
            request,
            booth,
            form,
            _("Start a use now: %(booth)s") % {"booth": booth},
            consent_url=consent_url,
        )

    def book_view(self, request, pk: int):
        """Staff book a slot for someone on the phone, confirmed by that call (STF-1, BTH-7)."""
        booth = self._scoped_booth(request, pk)
        form = BookForCallerForm(
            request.POST or None,
            booths=Booth.objects.filter(office_id=booth.office_id, is_active=True),
            initial={"booth": booth},
        )
        if request.method == "POST" and form.is_valid():
            user = self._office_user(form, booth)
            if user is not None:
                try:
                    reservation = services.reservation_book_for_caller(
                        user=user,
                        booth=form.cleaned_data["booth"],
                        staff=request.user,
                        starts_at=form.starts_at(),
                        purpose=form.cleaned_data["purpose"],
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(
                        request, _("The reservation is booked, confirmed and mailed to the user.")
                    )
                    return redirect("admin:booths_reservation_change", reservation.pk)
        return self._page(
            request, booth, form, _("Book for a caller: %(booth)s") % {"booth": booth}
        )


class StateFilter(admin.SimpleListFilter):
    title = gettext_lazy("status now")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(state=self.value())
        return queryset


class NeedsApprovalFilter(admin.SimpleListFilter):
    """BTH-7: requests after repeated no-contact cancellations; confirming one approves it."""

    title = gettext_lazy("approval")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return [("awaiting", _("Awaiting the office's approval"))]

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.awaiting_approval()
        return queryset


class ReservationAdminForm(ModelForm):
    """Only the counselor is edited here; a counselor is in one booth per slot."""

    class Meta:
        model = Reservation
        fields = ["counselor"]

    def clean_counselor(self):
        counselor = self.cleaned_data["counselor"]
        if (
            counselor is not None
            and Reservation.objects.counselor_busy(
                counselor, self.instance.starts_at, exclude_pk=self.instance.pk
            ).exists()
        ):
            raise ValidationError(
                _("This counselor already has a reservation in this slot. Choose someone else.")
            )
        return counselor


@admin.register(Reservation)
class ReservationAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    office_lookup = "booth__office"
    form = ReservationAdminForm
    list_display = [
        "slot",
        "booth",
        "requester_name",
        "phone",
        "purpose",
        "state_now",
        "needs_approval",
        "phoned_at",
    ]
    list_filter = [StateFilter, NeedsApprovalFilter, "purpose", "booth"]
    date_hierarchy = "starts_at"
    search_fields = ["requester_name", "phone", "client_number"]
    list_select_related = ["booth__office"]
    actions = [
        "confirm_phoned_now",
        "cancel_by_phone",
        "record_late_contact",
        "check_in",
        "complete",
        "mark_no_show",
    ]
    fields = [
        "transition_links",
        "booth",
        "starts_at",
        "ends_at",
        "state_now",
        "needs_approval",
        "user",
        "purpose",
        "requester_name",
        "client_number",
        "phone",
        "companion_list",
        "note",
        "counselor",
        "source",
        "created_at",
        "phoned_at",
        "confirmed_at",
        "confirmed_by",
        "moved_at",
        "late_contact_at",
        "checked_in_at",
        "actual_started_at",
        "actual_ended_at",
        "completed_at",
        "cancelled_at",
        "cancelled_via",
        "cancelled_by",
        "no_show_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_state()

    def get_readonly_fields(self, request, obj=None):
        # Only the counselor is edited in the form; everything else moves through a service.
        return [name for name in self.fields if name != "counselor"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "counselor":
            kwargs["queryset"] = User.objects.filter(is_staff=True)
            if not request.user.is_superuser:
                kwargs["queryset"] = kwargs["queryset"].filter(office_id=request.user.office_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("Slot"), ordering="starts_at")
    def slot(self, obj: Reservation) -> str:
        return format_slot(obj.starts_at, obj.ends_at)

    @admin.display(description=gettext_lazy("Status now"))
    def state_now(self, obj: Reservation) -> str:
        return obj.get_state_display()

    @admin.display(description=gettext_lazy("Companions"))
    def companion_list(self, obj: Reservation) -> str:
        return "、".join(obj.companion_labels()) or "-"

    @admin.display(description=gettext_lazy("Actions"))
    def transition_links(self, obj: Reservation) -> str:
        links = [
            ("confirm", _("Confirm (and approve) after a phone call")),
            ("move", _("Move to another slot")),
            ("book-next", _("Book the next reservation")),
        ]
        return format_html_join(
            " | ",
            '<a href="{}">{}</a>',
            (
                (
                    reverse(f"admin:booths_reservation_{name.replace('-', '_')}", args=[obj.pk]),
                    label,
                )
                for name, label in links
            ),
        )

    # --- one-click actions -------------------------------------------------------------------

    def _apply(self, request, queryset, service, done: str, **kwargs) -> None:
        ok = 0
        for reservation in queryset:
            try:
                service(reservation=reservation, staff=request.user, **kwargs)
            except ValidationError as error:
                self.message_user(
                    request, f"{reservation}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                ok += 1
        if ok:
            self.message_user(request, done % {"count": ok}, messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        """The counselor goes through the service; a lost race is an error, not a 500."""
        try:
            services.reservation_assign_counselor(
                reservation=obj, staff=request.user, counselor=form.cleaned_data["counselor"]
            )
        except ValidationError as error:
            request._booths_counselor_error = " ".join(error.messages)

    def response_change(self, request, obj):
        error = getattr(request, "_booths_counselor_error", None)
        if error:
            self.message_user(request, error, messages.ERROR)
            return redirect("admin:booths_reservation_change", obj.pk)
        return super().response_change(request, obj)

    @admin.action(
        description=gettext_lazy("Confirm (approves a request that needs approval): phoned now")
    )
    def confirm_phoned_now(self, request, queryset):
        self._apply(
            request,
            queryset,
            services.reservation_confirm,
            _("%(count)s confirmed."),
            phoned_at=timezone.now(),
        )

    @admin.action(description=gettext_lazy("Cancel: the user phoned to cancel"))
    def cancel_by_phone(self, request, queryset):
        self._apply(
            request, queryset, services.reservation_cancel_by_phone, _("%(count)s cancelled.")
        )

    @admin.action(description=gettext_lazy("The user phoned: will be late"))
    def record_late_contact(self, request, queryset):
        self._apply(
            request,
            queryset,
            services.reservation_record_late_contact,
            _("Late contact recorded for %(count)s."),
        )

    @admin.action(description=gettext_lazy("Check in (records the actual start)"))
    def check_in(self, request, queryset):
        self._apply(request, queryset, services.reservation_check_in, _("%(count)s checked in."))

    @admin.action(description=gettext_lazy("Complete (records the actual end)"))
    def complete(self, request, queryset):
        self._apply(request, queryset, services.reservation_complete, _("%(count)s completed."))

    @admin.action(description=gettext_lazy("No-show"))
    def mark_no_show(self, request, queryset):
        self._apply(
            request, queryset, services.reservation_mark_no_show, _("%(count)s marked no-show.")
        )

    # --- forms -------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/confirm/", view(self.confirm_view), name="booths_reservation_confirm"),
            path("<int:pk>/move/", view(self.move_view), name="booths_reservation_move"),
            path(
                "<int:pk>/book-next/",
                view(self.book_next_view),
                name="booths_reservation_book_next",
            ),
            *super().get_urls(),
        ]

    def _scoped(self, request, pk: int) -> Reservation:
        reservation = self.get_object(request, str(pk))
        if reservation is None or not self.has_change_permission(request, reservation):
            raise Http404
        return reservation

    def _form_page(self, request, reservation, form, title):
        return TemplateResponse(
            request,
            "admin/booths/form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "subtitle": format_slot(reservation.starts_at, reservation.ends_at),
                "form": form,
                "opts": self.model._meta,
                "object": reservation,
            },
        )

    def _run(self, request, reservation, form, call, done: str):
        try:
            result = call()
        except ValidationError as error:
            form.add_error(None, error)
            return None
        messages.success(request, done)
        return redirect("admin:booths_reservation_change", result.pk)

    def confirm_view(self, request, pk: int):
        """Confirm with the time of the phone call (BTH-5)."""
        reservation = self._scoped(request, pk)
        form = ConfirmPhoneCallForm(
            request.POST or None,
            initial={"phoned_at": timezone.localtime().replace(second=0, microsecond=0)},
        )
        if request.method == "POST" and form.is_valid():
            response = self._run(
                request,
                reservation,
                form,
                lambda: services.reservation_confirm(
                    reservation=reservation,
                    staff=request.user,
                    phoned_at=form.cleaned_data["phoned_at"],
                ),
                _("The reservation is confirmed and the user is told by e-mail."),
            )
            if response:
                return response
        return self._form_page(request, reservation, form, _("Confirm after a phone call"))

    def _slot_view(self, request, pk: int, service, title: str, done: str):
        reservation = self._scoped(request, pk)
        booths = Booth.objects.filter(office_id=reservation.booth.office_id, is_active=True)
        form = SlotChoiceForm(request.POST or None, booths=booths)
        if request.method == "POST" and form.is_valid():
            response = self._run(
                request,
                reservation,
                form,
                lambda: service(
                    reservation=reservation,
                    staff=request.user,
                    booth=form.cleaned_data["booth"],
                    starts_at=form.starts_at(),
                ),
                done,
            )
            if response:
                return response
        return self._form_page(request, reservation, form, title)

    def move_view(self, request, pk: int):
        return self._slot_view(
            request,
            pk,
            services.reservation_move,
            _("Move to another slot"),
            _("The reservation is moved and the user is told by e-mail."),
        )

    def book_next_view(self, request, pk: int):
        """BTH-9: book the user's next reservation during the session."""
        return self._slot_view(
            request,
            pk,
            services.reservation_book_next,
            _("Book the next reservation"),
            _("The next reservation is booked and confirmed."),
        )
