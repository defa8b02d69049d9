"""Forms of the terms app. `SignupConsentForm` is mixed into allauth's sign-up forms through
ACCOUNT_SIGNUP_FORM_CLASS, so accounts never imports terms."""

from django import forms
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from core.forms import Form, JISTextFormMixin

from .services import consents_record_for_office


def _terms_link_help() -> SafeString:
    return format_html(
        '<a href="{}">{}</a>',
        reverse_lazy("terms:index"),
        _("Read the terms of use of each office (opens the terms page)"),
    )


class SignupConsentForm(JISTextFormMixin, forms.Form):
    """Explicit consent to the terms of the chosen office at sign-up (REQ TRM-2)."""

    accept_terms = forms.BooleanField(
        label=_("I have read the terms of use of my office and accept them"),
        required=True,
        help_text=lazy(_terms_link_help, SafeString)(),
        error_messages={"required": _("To create an account, accept the terms of use.")},
    )

    def signup(self, request, user) -> None:
        """Record the consent to every terms document in effect at the chosen office."""
        office = getattr(self, "cleaned_data", {}).get("office") or user.office
        if office is not None:
            consents_record_for_office(user=user, office=office, request=request)


class ReconsentForm(Form):
    accept = forms.BooleanField(
        label=_("I have read the new terms of use and accept them"),
        required=True,
        error_messages={
            "required": _("Tick the box to accept the new terms, or choose “Do not accept”.")
        },
    )


class CompareForm(Form):
    old = forms.IntegerField(label=_("Older version"), min_value=1)
    new = forms.IntegerField(label=_("Newer version"), min_value=1)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("old") and cleaned.get("new") and cleaned["old"] >= cleaned["new"]:
            raise forms.ValidationError(_("Choose an older version first, then a newer one."))
        return cleaned
