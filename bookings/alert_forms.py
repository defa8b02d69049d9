"""The earlier-slot alert form (REQ ALR-1): one form for both services; it only validates."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import Form


class AlertForm(Form):
    """Which place (or any) and which days; the service is the page's."""

    place = forms.TypedChoiceField(
        label=_("Booth or counselor"), coerce=int, empty_value=None, required=False
    )
    first_day = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last_day = forms.DateField(
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("You are told of free times on these days, both included."),
    )

    def __init__(self, *args, places: list[tuple[int, str]], place_label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", _("Any")), *places]
        self.fields["place"].label = place_label
