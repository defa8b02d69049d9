"""allauth's own forms with the character rule applied (REQ CHR-1).

Settings name these in ACCOUNT_FORMS and MFA_FORMS, so every allauth page uses them. The sign-up
forms for job seekers and employers live in `accounts.forms`.
"""

from __future__ import annotations

from allauth.account import forms as account_forms
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes import forms as mfa_recovery_forms
from allauth.mfa.totp import forms as mfa_totp_forms
from allauth.mfa.webauthn import forms as mfa_webauthn_forms
from django.core.validators import MaxLengthValidator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.forms import JISTextFormMixin

from .services import LOGIN_MAX_LENGTH

# ACCOUNT_FORMS / MFA_FORMS key -> allauth's form class.
ACCOUNT_FORM_BASES = {
    "login": account_forms.LoginForm,
    "add_email": account_forms.AddEmailForm,
    "change_email": account_forms.ChangeEmailForm,
    "change_password": account_forms.ChangePasswordForm,
    "set_password": account_forms.SetPasswordForm,
    "reset_password": account_forms.ResetPasswordForm,
    "reset_password_from_key": account_forms.ResetPasswordKeyForm,
    "user_token": account_forms.UserTokenForm,
    "reauthenticate": account_forms.ReauthenticateForm,
    "request_login_code": account_forms.RequestLoginCodeForm,
    "confirm_login_code": account_forms.ConfirmLoginCodeForm,
    "confirm_email_verification_code": account_forms.ConfirmEmailVerificationCodeForm,
    "confirm_password_reset_code": account_forms.ConfirmPasswordResetCodeForm,
    "change_phone": account_forms.ChangePhoneForm,
    "verify_phone": account_forms.VerifyPhoneForm,
}
MFA_FORM_BASES = {
    "authenticate": mfa_base_forms.AuthenticateForm,
    "reauthenticate": mfa_base_forms.ReauthenticateForm,
    "activate_totp": mfa_totp_forms.ActivateTOTPForm,
    "deactivate_totp": mfa_totp_forms.DeactivateTOTPForm,
    "generate_recovery_codes": mfa_recovery_forms.GenerateRecoveryCodesForm,
    "add_webauthn": mfa_webauthn_forms.AddWebAuthnForm,
    "edit_webauthn": mfa_webauthn_forms.EditWebAuthnForm,
    "signup_webauthn": mfa_webauthn_forms.SignupWebAuthnForm,
    "authenticate_webauthn": mfa_webauthn_forms.AuthenticateWebAuthnForm,
    "login_webauthn": mfa_webauthn_forms.LoginWebAuthnForm,
    "reauthenticate_webauthn": mfa_webauthn_forms.ReauthenticateWebAuthnForm,
}


def _class_name(prefix: str, key: str) -> str:
    return prefix + "".join(part.capitalize() for part in key.split("_")) + "Form"


def _with_rule(name: str, base: type) -> type:
    return type(name, (JISTextFormMixin, base), {"__module__": __name__})


class AccountLoginForm(JISTextFormMixin, account_forms.LoginForm):
    """The login (ID or e-mail) is bounded to the longest e-mail address before allauth looks
    anything up (REQ NFR-3)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.max_length = LOGIN_MAX_LENGTH
        login.validators = [*login.validators, MaxLengthValidator(LOGIN_MAX_LENGTH)]
        login.widget.attrs["maxlength"] = str(LOGIN_MAX_LENGTH)
        # allauth calls it just "Login"; say what to enter (REQ NFR-1).
        login.label = _("Login ID or e-mail address")
        # allauth puts "Forgot your password?" under the password too; the page has it once,
        # beside the button.
        self.fields["password"].help_text = ""


class MFAAuthenticateForm(JISTextFormMixin, mfa_base_forms.AuthenticateForm):
    """The second step of signing in: the page offers only what the person has enrolled (an
    authenticator app's code, recovery codes, a security key), never a security key they do
    not have (REQ REG-8)."""

    @cached_property
    def enrolled_types(self) -> frozenset[str]:
        return frozenset(
            Authenticator.objects.filter(user=self.user).values_list("type", flat=True)
        )

    @property
    def takes_code(self) -> bool:
        return bool(
            self.enrolled_types & {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
        )

    @property
    def takes_security_key(self) -> bool:
        return Authenticator.Type.WEBAUTHN in self.enrolled_types


ACCOUNT_FORMS = {"login": f"{__name__}.AccountLoginForm"}
for _key, _base in ACCOUNT_FORM_BASES.items():
    if _key in ACCOUNT_FORMS:
        continue
    _name = _class_name("Account", _key)
    globals()[_name] = _with_rule(_name, _base)
    ACCOUNT_FORMS[_key] = f"{__name__}.{_name}"

MFA_FORMS = {"authenticate": f"{__name__}.MFAAuthenticateForm"}
for _key, _base in MFA_FORM_BASES.items():
    if _key in MFA_FORMS:
        continue
    _name = _class_name("MFA", _key)
    globals()[_name] = _with_rule(_name, _base)
    MFA_FORMS[_key] = f"{__name__}.{_name}"
