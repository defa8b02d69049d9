"""Forms of the booking pages and the staff side both services share. They only validate."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User, UserType
from accounts.numbers import (
    normalise_establishment_number,
    normalise_jobseeker_number,
    normalise_phone,
)
from core.forms import Form

from .calendar import TOKYO, local
from .models import Companion

# Staff choose slots from today up to this many days ahead.
STAFF_DAYS_AHEAD = 366


class BookingDetailsForm(Form):
    """Who, how to phone, companions and a note: the request of either service (BTH-3, CON-8),
    prefilled from the profile. Subclasses set the purposes."""

    purpose = forms.ChoiceField(label=_("Purpose"), widget=forms.RadioSelect)
    requester_name = forms.CharField(label=_("Name"), max_length=200)
    client_number = forms.CharField(label=_("Job-seeker number"), max_length=14, required=False)
    phone = forms.CharField(
        label=_("Phone number the office can call"),
        max_length=20,
        help_text=_("The office phones you on this number if needed. Example: 0173-12-3456"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    companions = forms.MultipleChoiceField(
        label=_("Who will be with you?"),
        choices=Companion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tell the office in advance about anyone who will be with you."),
    )
    note = forms.CharField(
        label=_("Anything the office should know"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    @classmethod
    def labels_for(cls, user_type: str) -> dict:
        """Each answer's name for this kind of person: the form and "check your answers" name
        every answer the same way (REQ NFR-1)."""
        labels = {name: field.label for name, field in cls.base_fields.items()}
        if user_type == UserType.EMPLOYER:
            labels["requester_name"] = _("Establishment name")
            labels["client_number"] = _("Establishment number")
        return labels

    def __init__(self, *args, user, purposes, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_type = user.user_type
        self.fields["purpose"].choices = [(p.value, p.label) for p in purposes]
        for name, label in self.labels_for(user.user_type).items():
            self.fields[name].label = label
        if user.user_type == UserType.EMPLOYER:
            self.fields["client_number"].help_text = _(
                "NNNN-NNNNNN-N. Leave empty if you are about to register."
            )
            self.fields["client_number"].max_length = 13
        else:
            self.fields["client_number"].help_text = _(
                "NNNNN-NNNNNNNN. Leave empty if you are registered through the online My Page "
                "or are about to register."
            )

    def clean_phone(self):
        # Full-width digits and any dash are accepted, as in the profile (REQ REG-2).
        phone = normalise_phone(self.cleaned_data["phone"])
        if phone is None:
            raise ValidationError(
                _("Enter a phone number with digits and hyphens, like 0173-12-3456.")
            )
        return phone

    def clean_client_number(self):
        value = self.cleaned_data["client_number"].strip()
        if not value:
            return value
        if self.user_type == UserType.EMPLOYER:
            number = normalise_establishment_number(value)
            if number is None:
                raise ValidationError(_("Enter the establishment number as NNNN-NNNNNN-N."))
        else:
            number = normalise_jobseeker_number(value)
            if number is None:
                raise ValidationError(_("Enter the job-seeker number as NNNNN-NNNNNNNN."))
        return number


class ConfirmPhoneCallForm(Form):
    """Staff confirm a request after phoning the user (BTH-5)."""

    phoned_at = forms.DateTimeField(
        label=_("Phoned the user at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_phoned_at(self):
        phoned_at = self.cleaned_data["phoned_at"]
        if phoned_at.year < 2000:
            raise ValidationError(_("Enter the time of today's call."))
        return phoned_at


class StaffSlotForm(Form):
    """Staff choose a day and a start time, today up to a year ahead."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label=_("Start time"),
        widget=forms.TimeInput(attrs={"type": "time", "step": 1800}, format="%H:%M"),
    )

    # REQ CON-9: a closed day or a time the place does not publish is refused next to the
    # field unless staff tick this.
    outside_availability = forms.BooleanField(
        label=_("Book outside the published times"),
        required=False,
        help_text=_(
            "Only when the person and the counselor agreed to it: a closed day, a withdrawn "
            "slot or a time outside the published hours."
        ),
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        today = local(timezone.now()).date()
        if day < today:
            raise ValidationError(_("Choose today or a later day."))
        if day > today + datetime.timedelta(days=STAFF_DAYS_AHEAD):
            raise ValidationError(_("Choose a day within a year from today."))
        return day

    def starts_at(self) -> datetime.datetime:
        return datetime.datetime.combine(
            self.cleaned_data["date"], self.cleaned_data["time"], tzinfo=TOKYO
        )


class StaffPrefillForm(Form):
    """What a link from the day sheet may fill in on a staff form (REQ STF-1): the day, the
    start time and the place's id. Values that do not parse are left out, never an error."""

    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    time = forms.TimeField(required=False, input_formats=["%H:%M", "%H%M"])
    counselor = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    booth = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    @classmethod
    def initial_from(cls, query) -> dict:
        form = cls(query)
        form.is_valid()
        return {
            name: value
            for name, value in form.cleaned_data.items()
            if value is not None and name not in form.errors
        }


class CallerSearchInput(forms.TextInput):
    """The search box with its own submit button ("Find"), so the search works without
    JavaScript and is sent by POST: what staff type never reaches a URL (REQ LOG-2)."""

    template_name = "bookings/widgets/caller_search.html"
    input_type = "search"


class CallerField(forms.ModelChoiceField):
    """The person on the phone, chosen among the people the search found. The queryset is
    everyone the staff member may book for; the radio buttons list the search's results."""

    widget = forms.RadioSelect(attrs={"class": "radiolist"})

    def label_from_instance(self, user) -> str:
        name = user.establishment_name or f"{user.last_name} {user.first_name}".strip()
        parts = [f"{name}（{user.name_kana}）" if user.name_kana else name]
        if user.jobseeker_number or user.establishment_number:
            parts.append(user.jobseeker_number or user.establishment_number)
        if user.phone:
            parts.append(user.phone)
        parts.append(user.username)
        return " / ".join(parts)


class CallerFormMixin(forms.Form):
    """Book for a caller (REQ STF-1): find the person by name, kana, number or phone within
    the office, then choose them."""

    caller_query = forms.CharField(
        label=_("Find the caller"),
        required=False,
        max_length=100,
        widget=CallerSearchInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "Name, name in kana, job-seeker or establishment number, phone number or login "
            "ID. Only people of your office are found."
        ),
    )
    caller = CallerField(
        label=_("Caller"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Find the caller above and choose them from the list."),
            "invalid_choice": _("Find the caller above and choose them from the list."),
        },
    )

    def show_callers(self, people, found) -> None:
        """Validate against `people` (whom the staff member may book for) and list `found`,
        with the person already chosen, if any."""
        field = self.fields["caller"]
        field.queryset = people
        chosen = self["caller"].value() if self.is_bound else None
        shown = list(found)
        chosen = str(chosen or "")
        if chosen.isdigit() and len(chosen) < 10 and all(str(u.pk) != chosen for u in shown):
            shown += list(people.filter(pk=int(chosen)))
        field.widget.choices = [(user.pk, field.label_from_instance(user)) for user in shown]
        if not shown:
            field.help_text = _("Nobody found yet.")


class UsernameField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(label=_("Login ID of the user"), max_length=150, **kwargs)
