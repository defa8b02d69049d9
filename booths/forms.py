"""Forms of the booth pages and the booth admin. They only validate; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import UserType
from bookings.forms import BookingDetailsForm, CallerFormMixin, StaffSlotForm, UsernameField
from core.forms import Form

from .models import EMPLOYER_PURPOSES, JOB_SEEKER_PURPOSES, Purpose


class ReservationRequestForm(BookingDetailsForm):
    """The booth request (BTH-3), prefilled from the profile."""

    def __init__(self, *args, user, **kwargs):
        purposes = EMPLOYER_PURPOSES if user.user_type == UserType.EMPLOYER else JOB_SEEKER_PURPOSES
        super().__init__(*args, user=user, purposes=purposes, **kwargs)
        self.fields["phone"].help_text = _(
            "The office phones you on this number to confirm. Example: 0173-12-3456"
        )


class SlotChoiceForm(StaffSlotForm):
    """Staff choose a booth and a slot (move, book the next reservation)."""

    booth = forms.ModelChoiceField(label=_("Booth"), queryset=None)
    field_order = ["booth", "date", "time"]

    def __init__(self, *args, booths, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["booth"].queryset = booths


class BookForCallerForm(CallerFormMixin, SlotChoiceForm):
    """Staff book a slot for someone on the phone (STF-1)."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    field_order = ["caller_query", "caller", "booth", "date", "time", "purpose"]


class CounterAdhocForm(Form):
    """Staff start an ad-hoc use for someone at the counter (BTH-8)."""

    username = UsernameField()
