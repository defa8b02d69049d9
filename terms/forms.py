"""Forms of the terms app. `SignupConsentForm` is mixed into allauth's sign-up forms through
ACCOUNT_SIGNUP_FORM_CLASS, so accounts never imports terms."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SignupConsentForm(forms.Form):
    """Explicit consent to the terms of the chosen office at sign-up (REQ TRM-2)."""

    accept_terms = forms.BooleanField(
        label=_("I have read the terms of use of my office and accept them"),
        required=True,
        error_messages={"required": _("To create an account, accept the terms of use.")},
    )

    def signup(self, request, user) -> None:
        """Record the consent. Filled in by the terms issue (consent records)."""
