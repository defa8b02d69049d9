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
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_scoping import OfficeScopedAdminMixin
from accounts.models import User
from bookings import calendar
from bookings import services as bookings
from bookings.admin_bookings import (
    BookingAdminMixin,
    NeedsApprovalFilter,
    StateFilter,
    add_service_error,
)
from bookings.models import CounselorHold
from core.forms import ModelForm

from . import availability, services
from .forms import BookForCallerForm, CounterAdhocForm, SlotChoiceForm
from .kind import BOOTHS
from .models import Booth, Reservation


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

    def _page(
        self,
        request,
        booth: Booth,
        form,
        title: str,
        template: str = "admin/bookings/form.html",
        **extra,
    ):
        return TemplateResponse(
            request,
            template,
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
        """Staff at the counter start an ad-hoc use for a registered user (BTH-8); the page
        tells when a use started now must end before it starts."""
        booth = self._scoped_booth(request, pk)
        form = CounterAdhocForm(request.POST or None)
        slot, uses = availability.adhoc_uses_now([booth], timezone.now())
        consent_url = None
        if request.method == "POST" and form.is_valid():
            user = self._office_user(form, booth)
            if user is not None:
                # What this person would be told, to tell a lost race from a known end.
                uses = availability.adhoc_uses_now([booth], timezone.now(), user=user)[1]
                try:
                    reservation = services.reservation_start_adhoc(
                        user=user, booth=booth, staff=request.user
                    )
                except ValidationError as error:
                    add_service_error(form, error)
                    if getattr(error, "code", None) == "consent_needed":
                        consent_url = f"{reverse('admin:terms_consent_add')}?user={user.pk}"
                else:
                    ends_at = reservation.use_ends_at()
                    values = {"time": calendar.format_time(ends_at)}
                    if uses and ends_at < uses[0].ends_at:
                        message = _(
                            "The use has started. The next slot was taken a moment ago, so it "
                            "must end at %(time)s."
                        )
                    else:
                        message = _("The use has started and must end at %(time)s.")
                    messages.success(request, message % values)
                    return redirect("admin:booths_reservation_change", reservation.pk)
        if slot is None:
            use_notice = _("The office is closed now.")
        elif not uses:
            use_notice = _("This booth is in use now.")
        else:
            use_notice = _("A use started now must end: %(until)s") % {"until": uses[0].until()}
        return self._page(
            request,
            booth,
            form,
            _("Start a use now: %(booth)s") % {"booth": booth},
            template="admin/booths/adhoc_form.html",
            consent_url=consent_url,
            use_notice=use_notice,
        )

    def book_view(self, request, pk: int):
        """Book for a caller at this booth: the reservation admin's page, the booth chosen."""
        booth = self._scoped_booth(request, pk)
        return redirect(f"{reverse('admin:booths_reservation_book')}?booth={booth.pk}")


class ReservationAdminForm(ModelForm):
    """Only the counselor is edited here; the service keeps them to one booking per slot."""

    class Meta:
        model = Reservation
        fields = ["counselor"]

    def clean_counselor(self):
        counselor = self.cleaned_data["counselor"]
        held = CounselorHold.objects.filter(counselor=counselor, starts_at=self.instance.starts_at)
        if counselor is not None and held.exclude(pk=self.instance.counselor_hold_id).exists():
            raise ValidationError(bookings.CounselorBusyError().error_dict["counselor"])
        return counselor


@admin.register(Reservation)
class ReservationAdmin(BookingAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
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
    actions = BookingAdminMixin.booking_actions
    form_links = [
        ("confirm", gettext_lazy("Confirm (and approve) after a phone call")),
        ("move", gettext_lazy("Move to another slot")),
        ("book-next", gettext_lazy("Book the next reservation")),
    ]
    fields = [
        "transition_links",
        "booth",
        "starts_at",
        "ends_at",
        "state_now",
        "needs_approval",
        "counselor",
        *BookingAdminMixin.person_fields,
        *BookingAdminMixin.lifecycle_fields,
    ]

    booking_kind = BOOTHS
    move_texts = (
        gettext_lazy("Move to another slot"),
        gettext_lazy("The reservation is moved and the user is told by e-mail."),
    )
    next_texts = (
        gettext_lazy("Book the next reservation"),
        gettext_lazy("The next reservation is booked and confirmed."),
    )
    caller_texts = (
        gettext_lazy("Book a booth for a caller"),
        gettext_lazy("The reservation is booked, confirmed and mailed to the user."),
    )

    def staff_slot_form(self, request, booking, data, *, step: str, initial=None):
        office_id = booking.booth.office_id if booking else request.user.office_id
        booths = Booth.objects.filter(is_active=True)
        if office_id is not None or not request.user.is_superuser:
            booths = booths.filter(office_id=office_id)
        if step == "caller":
            return BookForCallerForm(data, booths=booths, initial=initial)
        return SlotChoiceForm(data, booths=booths, initial={"booth": booking.booth_id})

    def staff_place(self, form, booking=None):
        return form.cleaned_data["booth"]

    def get_readonly_fields(self, request, obj=None):
        # Only the counselor is edited in the form; everything else moves through a service.
        return [name for name in self.fields if name != "counselor"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "counselor":
            kwargs["queryset"] = (
                User.objects.counselors()
                if request.user.is_superuser
                else User.objects.counselors(request.user.office_id or 0)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        """The counselor goes through the service; a busy counselor is an error, not a 500."""
        try:
            bookings.booking_set_counselor(
                booking=Reservation.objects.get(pk=obj.pk),
                staff=request.user,
                counselor=form.cleaned_data["counselor"],
            )
        except ValidationError as error:
            request._booths_counselor_error = " ".join(error.messages)

    def response_change(self, request, obj):
        error = getattr(request, "_booths_counselor_error", None)
        if error:
            self.message_user(request, error, messages.ERROR)
            return redirect("admin:booths_reservation_change", obj.pk)
        return super().response_change(request, obj)
