"""The earlier-slot alert form (REQ ALR-1): one form for both services; it only validates."""

from __future__ import annotations

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import Form


class DayField(forms.DateField):
    """A day as the date picker sends it (2026-11-17), or typed where there is no picker:
    full-width digits and 2026/11/17 are read the same (REQ ALR-1, CHR-1)."""

    input_formats = ["%Y-%m-%d"]
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def to_python(self, value):
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip().replace("/", "-")
        return super().to_python(value)


class AlertForm(Form):
    """Which place (or any) and which days; the service is the page's."""

    place = forms.TypedChoiceField(
        label=_("Booth or counselor"), coerce=int, empty_value=None, required=False
    )
    first_day = DayField(label=_("From"))
    last_day = DayField(
        label=_("Until"), help_text=_("You are told of free times on these days, both included.")
    )

    def __init__(self, *args, places: list[tuple[int, str]], place_label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", _("Any")), *places]
        self.fields["place"].label = place_label
