"""The staff side every booking shares in the admin (REQ BTH-5, BTH-6, BTH-10, CON-5, STF-1).

`BookingAdminMixin` gives a booth reservation's and an online consultation's admin the same
true state (the 10-minute rule), filters, one-click transitions and the confirm-after-a-call
form. Each transition goes through `consultations.bookings`; the admin only asks and reports.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.access import AccessKind, access_record_page
from accounts.models import User

from . import flows
from . import services as bookings
from .calendar import format_list, format_slot
from .forms import ConfirmPhoneCallForm, StaffPrefillForm
from .models import CounselorHold, State

# The caller search lists at most this many people; more asks staff to type more.
CALLER_RESULTS = 20


def caller_search(people, query: str) -> list:
    """Up to one more than CALLER_RESULTS people matching `query`, by kana, then name."""
    return list(
        people.matching_caller(query).order_by("name_kana", "last_name", "first_name", "pk")[
            : CALLER_RESULTS + 1
        ]
    )


def search_notice(query: str, found: list) -> str:
    if not query.strip():
        return _("Type a name, a number or a phone number to find the caller.")
    if not found:
        return _("Nobody of your office matches. Check the spelling or try the phone number.")
    if len(found) > CALLER_RESULTS:
        return _(
            "More than %(count)s people match; the first %(count)s are listed. Type more to "
            "narrow the search."
        ) % {"count": CALLER_RESULTS}
    return ngettext(
        "%(count)s person matches: choose the caller.",
        "%(count)s people match: choose the caller.",
        len(found),
    ) % {"count": len(found)}


def add_service_error(form, error: ValidationError) -> None:
    """Show a service's error next to the field it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class StateFilter(admin.SimpleListFilter):
    """The state now (BTH-6): the status, a no-show by the 10-minute rule, or a request closed
    as not confirmed by the office."""

    title = gettext_lazy("status now")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return State.choices

    def queryset(self, request, queryset):
        if self.value() in State.values:
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


class BookingAdminMixin:
    """Use before OfficeScopedAdminMixin and ModelAdmin."""

    booking_actions = [
        "confirm_phoned_now",
        "cancel_by_phone",
        "record_late_contact",
        "start",
        "complete",
        "mark_no_show",
        "reinstate",
    ]
    # Who booked and the booking's life, read-only on every booking's change page.
    person_fields = ["user", "purpose", "requester_name", "client_number", "phone"]
    lifecycle_fields = [
        "companion_list",
        "note",
        "source",
        "created_at",
        "phoned_at",
        "confirmed_at",
        "confirmed_by",
        "moved_at",
        "late_contact_at",
        "joined_at",
        "reinstated_at",
        "checked_in_at",
        "actual_started_at",
        "actual_ended_at",
        "completed_at",
        "cancelled_at",
        "cancelled_via",
        "cancelled_by",
        "no_show_at",
    ]
    # Extra form pages of the model (name, label), linked from the change page.
    form_links: list[tuple[str, str]] = [("confirm", gettext_lazy("Confirm after a phone call"))]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            for name in self.booking_actions:
                actions.pop(name, None)
        if "start" in actions:
            # In the kind's own words (`Booking.start_label`): 受付 for a booth, 相談開始 online.
            func, name, _description = actions["start"]
            actions["start"] = (
                func,
                name,
                _("%(start)s (records the actual start)") % {"start": self.model.start_label},
            )
        return actions

    def get_queryset(self, request):
        return super().get_queryset(request).with_state()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("Slot"), ordering="starts_at")
    def slot(self, obj) -> str:
        return format_slot(obj.starts_at, obj.ends_at)

    @admin.display(description=gettext_lazy("Status now"))
    def state_now(self, obj) -> str:
        return obj.get_state_display()

    @admin.display(description=gettext_lazy("Companions"))
    def companion_list(self, obj) -> str:
        return format_list(obj.companion_labels()) or _("None declared")

    @admin.display(description=gettext_lazy("Actions"))
    def transition_links(self, obj) -> str:
        opts = self.model._meta
        return format_html_join(
            " | ",
            '<a href="{}">{}</a>',
            (
                (
                    reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_{name.replace('-', '_')}",
                        args=[obj.pk],
                    ),
                    label,
                )
                for name, label in self.form_links
            ),
        )

    # --- one-click actions -------------------------------------------------------------------

    def _apply(self, request, queryset, service, done: str, **kwargs) -> None:
        ok = 0
        for booking in queryset:
            try:
                service(booking=booking, staff=request.user, **kwargs)
            except ValidationError as error:
                self.message_user(request, f"{booking}: {' '.join(error.messages)}", messages.ERROR)
            else:
                ok += 1
        if ok:
            self.message_user(request, done % {"count": ok}, messages.SUCCESS)

    @admin.action(
        description=gettext_lazy("Confirm (approves a request that needs approval): phoned now"),
        permissions=["change"],
    )
    def confirm_phoned_now(self, request, queryset):
        self._apply(
            request,
            queryset,
            bookings.booking_confirm,
            _("%(count)s confirmed."),
            phoned_at=timezone.now(),
        )

    @admin.action(
        description=gettext_lazy("Cancel: the user phoned to cancel"), permissions=["change"]
    )
    def cancel_by_phone(self, request, queryset):
        self._apply(request, queryset, bookings.booking_cancel_by_phone, _("%(count)s cancelled."))

    @admin.action(description=gettext_lazy("The user phoned: will be late"), permissions=["change"])
    def record_late_contact(self, request, queryset):
        self._apply(
            request,
            queryset,
            bookings.booking_record_late_contact,
            _("Late contact recorded for %(count)s."),
        )

    @admin.action(
        description=gettext_lazy("Start (records the actual start)"),
        permissions=["change"],
    )
    def start(self, request, queryset):
        self._apply(request, queryset, bookings.booking_start, _("%(count)s started."))

    @admin.action(
        description=gettext_lazy("Complete (records the actual end)"), permissions=["change"]
    )
    def complete(self, request, queryset):
        self._apply(request, queryset, bookings.booking_complete, _("%(count)s completed."))

    @admin.action(description=gettext_lazy("No-show"), permissions=["change"])
    def mark_no_show(self, request, queryset):
        self._apply(
            request, queryset, bookings.booking_mark_no_show, _("%(count)s marked no-show.")
        )

    @admin.action(
        description=gettext_lazy("Reinstate a booking cancelled for no contact"),
        permissions=["change"],
    )
    def reinstate(self, request, queryset):
        self._apply(request, queryset, bookings.booking_reinstate, _("%(count)s reinstated."))

    # --- form pages --------------------------------------------------------------------------

    def get_urls(self):
        return [*self.booking_urls(), *super().get_urls()]

    def booking_urls(self):
        opts = self.model._meta
        view = self.admin_site.admin_view
        name = f"{opts.app_label}_{opts.model_name}_"
        return [
            path("<int:pk>/confirm/", view(self.confirm_view), name=name + "confirm"),
            path("<int:pk>/move/", view(self.move_view), name=name + "move"),
            path("<int:pk>/book-next/", view(self.book_next_view), name=name + "book_next"),
            path("book/", view(self.book_for_caller_view), name=name + "book"),
        ]

    # --- Staff choosing a slot: move, book the next one, book for a caller (STF-1, CON-9) ---
    # Each booking admin names its kind (`bookings.registry`), the form that chooses a place
    # and a slot, and the place the form chose; the pages and the sequences are these.

    booking_kind = None
    move_texts = (gettext_lazy("Move to another slot"), gettext_lazy("The booking is moved."))
    next_texts = (gettext_lazy("Book the next one"), gettext_lazy("The next one is booked."))
    caller_texts = (gettext_lazy("Book for a caller"), gettext_lazy("The booking is made."))

    def staff_slot_form(self, request, booking, data, *, step: str, initial=None):
        """The form of `step` ("move", "next" or "caller"): a place (when it can change), a day,
        a start time and the override of CON-9; `initial` fills in the caller form."""
        raise NotImplementedError

    def staff_place(self, form, booking=None):
        """The place the form chose (with `booking`'s, where the form does not choose it)."""
        raise NotImplementedError

    def run_staff_flow(self, request, form, call, done: str, *, added: bool):
        """Run the sequence; its errors land next to the fields, and the change is recorded in
        the admin's history (STF-2). A lost slot whose counselor is held by another booking is
        named as the counselor being busy (CON-7)."""
        starts_at = form.starts_at()
        counselor = form.cleaned_data.get("counselor")

        def guarded():
            try:
                result = call()
            except bookings.SlotTakenError:
                if (
                    counselor is None
                    or not CounselorHold.objects.filter(
                        counselor=counselor, starts_at=starts_at
                    ).exists()
                ):
                    raise
                raise bookings.CounselorBusyError() from None
            return self.logged(request, result, done, added=added)

        return self.run_service(request, form, guarded, done)

    def logged(self, request, result, message, *, added: bool = False):
        """Record a change made on a form page in the admin's history (STF-2)."""
        (self.log_addition if added else self.log_change)(request, result, str(message))
        return result

    def _staff_slot_page(self, request, pk: int, step: str, flow, texts):
        booking = self.scoped_booking(request, pk)
        form = self.staff_slot_form(request, booking, request.POST or None, step=step)
        if request.method == "POST" and form.is_valid():
            response = self.run_staff_flow(
                request,
                form,
                lambda: flow(
                    kind=self.booking_kind,
                    booking=booking,
                    staff=request.user,
                    place=self.staff_place(form, booking),
                    starts_at=form.starts_at(),
                    override=form.cleaned_data["outside_availability"],
                ),
                texts[1],
                added=step == "next",
            )
            if response:
                return response
        return self.form_page(request, booking, form, texts[0])

    def move_view(self, request, pk: int):
        return self._staff_slot_page(
            request, pk, "move", flows.booking_move_by_staff, self.move_texts
        )

    def book_next_view(self, request, pk: int):
        """BTH-9, CON-5: during a session, book the person's next one."""
        return self._staff_slot_page(request, pk, "next", flows.booking_book_next, self.next_texts)

    def book_for_caller_view(self, request):
        """STF-1: book for someone on the phone, confirmed by the call. Staff find the person
        by name, kana, number or phone among the people of their own office (a superuser
        without an office: anyone's); "Find" and "Save" post the same form, so the slot
        filled in (from the day sheet's link, `?counselor=&date=&time=`) stays."""
        if not self.has_change_permission(request):
            raise Http404
        people = User.objects.bookable_by(request.user)
        data = request.POST if request.method == "POST" else None
        finding = data is not None and "_find" in data
        query = data.get("caller_query", "") if data is not None else ""
        found = caller_search(people, query) if query.strip() else []
        if finding:
            # A search is not an attempt to book: the form comes back unbound, as filled in.
            initial = {name: data.get(name) for name in data if name != "caller"}
            form = self.staff_slot_form(request, None, None, step="caller", initial=initial)
        else:
            initial = StaffPrefillForm.initial_from(request.GET)
            form = self.staff_slot_form(request, None, data, step="caller", initial=initial)
        form.show_callers(people, found[:CALLER_RESULTS])
        if finding or (data is not None and found):
            # LOG-1: the list shows these people's names, numbers and phones.
            access_record_page(request, AccessKind.CALLER_SEARCH, found[:CALLER_RESULTS])
        if data is not None and not finding and form.is_valid():
            response = self.run_staff_flow(
                request,
                form,
                lambda: flows.booking_book_for_caller(
                    kind=self.booking_kind,
                    user=form.cleaned_data["caller"],
                    staff=request.user,
                    place=self.staff_place(form),
                    starts_at=form.starts_at(),
                    purpose=form.cleaned_data["purpose"],
                    override=form.cleaned_data["outside_availability"],
                ),
                self.caller_texts[1],
                added=True,
            )
            if response:
                return response
        return TemplateResponse(
            request,
            "admin/bookings/form.html",
            {
                **self.admin_site.each_context(request),
                "title": self.caller_texts[0],
                "form": form,
                "opts": self.model._meta,
                "search_notice": search_notice(query, found) if finding else "",
            },
        )

    def scoped_booking(self, request, pk: int):
        """The booking, if it is of the staff member's office and they may change it; else 404."""
        booking = self.get_object(request, str(pk))
        if booking is None or not self.has_change_permission(request, booking):
            raise Http404
        return booking

    def form_page(self, request, booking, form, title, **extra):
        return TemplateResponse(
            request,
            "admin/bookings/form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "subtitle": format_slot(booking.starts_at, booking.ends_at),
                "form": form,
                "opts": self.model._meta,
                "object": booking,
                **extra,
            },
        )

    def run_service(self, request, form, call, done: str):
        """Call the service; its errors land on the form, success goes to the change page."""
        try:
            result = call()
        except ValidationError as error:
            add_service_error(form, error)
            return None
        messages.success(request, done)
        opts = result._meta
        return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", result.pk)

    def confirm_view(self, request, pk: int):
        """Confirm with the time of the phone call (BTH-5)."""
        booking = self.scoped_booking(request, pk)
        form = ConfirmPhoneCallForm(
            request.POST or None,
            initial={"phoned_at": timezone.localtime().replace(second=0, microsecond=0)},
        )
        if request.method == "POST" and form.is_valid():
            response = self.run_service(
                request,
                form,
                lambda: bookings.booking_confirm(
                    booking=booking, staff=request.user, phoned_at=form.cleaned_data["phoned_at"]
                ),
                _("Confirmed; the user is told by e-mail."),
            )
            if response:
                return response
        return self.form_page(request, booking, form, _("Confirm after a phone call"))
