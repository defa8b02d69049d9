"""Sign-up and profile forms for job seekers and employers (REQ REG-2, REG-3).

The sign-up forms subclass allauth's SignupForm, so allauth's flow (verification mail,
enumeration prevention, rate limits) and the consent checkbox that ACCOUNT_SIGNUP_FORM_CLASS
mixes in are part of them. Forms only validate; the adapter and the services write.
"""

from __future__ import annotations

from allauth.account.forms import SignupForm
from django import forms
from django.contrib.auth import password_validation
from django.db import IntegrityError, transaction
from django.forms.models import fields_for_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import Form, JISTextFormMixin, ModelForm, apply_jis_rule_to_form

from . import numbers
from .models import (
    EstablishmentNumberStatus,
    JobseekerNumberStatus,
    Office,
    SuspensionReason,
    User,
    UserType,
)
from .services import is_jobseeker_number_taken, jobseeker_number_message

JOB_SEEKER_FIELDS = [
    "last_name",
    "first_name",
    "name_kana",
    "postal_code",
    "address",
    "phone",
    "jobseeker_number_status",
    "jobseeker_number",
    "is_foreign_national",
    "residence_status",
    "period_of_stay_until",
]
EMPLOYER_FIELDS = [
    "establishment_name",
    "establishment_number_status",
    "establishment_number",
    "last_name",
    "first_name",
    "name_kana",
    "postal_code",
    "address",
    "phone",
]
PROFILE_FIELDS = {UserType.JOB_SEEKER: JOB_SEEKER_FIELDS, UserType.EMPLOYER: EMPLOYER_FIELDS}
OPTIONAL_FIELDS = {"jobseeker_number", "establishment_number", "residence_status"}
OPTIONAL_FIELDS |= {"period_of_stay_until", "is_foreign_national"}

LABELS = {
    "last_name": _("Family name (kanji)"),
    "first_name": _("Given name (kanji)"),
    "name_kana": _("Full name in katakana"),
    "office": _("Your Hello Work office"),
    # The choice and the number must not both read 求職番号 / 事業所番号 (issue 12).
    "jobseeker_number_status": _("Do you have a job-seeker number?"),
    "establishment_number_status": _("Does the establishment have an establishment number?"),
}
EMPLOYER_LABELS = {
    "last_name": _("Contact person: family name"),
    "first_name": _("Contact person: given name"),
    "name_kana": _("Contact person: full name in katakana"),
    "postal_code": _("Postal code of the establishment"),
    "address": _("Address of the establishment"),
}
HELP_TEXTS = {
    "name_kana": _("For example ヤマダ　ハナコ."),
    "postal_code": _("7 digits, for example 037-0000. Full-width digits are fine."),
    "phone": _("A number we can call you on, for example 0173-00-0000."),
    "jobseeker_number": _(
        "Needed if you have one: 13 digits as on your job-seeker card, NNNNN-NNNNNNNN. "
        "Full-width digits are fine."
    ),
    "establishment_number": _(
        "Needed if the establishment has one: 11 digits, NNNN-NNNNNN-N. Full-width digits are fine."
    ),
    "is_foreign_national": _(
        "Tick if you are not a Japanese national and not a special permanent resident."
    ),
    "residence_status": _(
        "Needed for foreign nationals: as on your residence card, for example "
        "技術・人文知識・国際業務."
    ),
    "period_of_stay_until": _(
        "Needed for foreign nationals: the last day of the period of stay on your residence card."
    ),
}
WIDGETS = {
    "jobseeker_number_status": forms.RadioSelect,
    "establishment_number_status": forms.RadioSelect,
    "period_of_stay_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
    "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
    "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
    "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
}


def _configure_profile_fields(form: forms.BaseForm, user_type: str) -> None:
    """Labels, help and required flags shared by the sign-up and profile forms."""
    for name in PROFILE_FIELDS[user_type]:
        field = form.fields[name]
        field.required = name not in OPTIONAL_FIELDS
        if name in LABELS:
            field.label = LABELS[name]
        if user_type == UserType.EMPLOYER and name in EMPLOYER_LABELS:
            field.label = EMPLOYER_LABELS[name]
        if name in HELP_TEXTS:
            field.help_text = HELP_TEXTS[name]
        if isinstance(field, forms.ChoiceField):
            field.choices = [c for c in field.choices if c[0] != ""]


class ProfileRulesMixin:
    """Format checks and cross-field rules for profile data (REQ REG-2, REG-3)."""

    user_type: str

    def _normalised(self, name: str, normalise, message) -> str:
        value = self.cleaned_data.get(name, "")
        if not value:
            return value
        normalised = normalise(value)
        if normalised is None:
            raise forms.ValidationError(message, code="format")
        return normalised

    def clean_postal_code(self) -> str:
        return self._normalised(
            "postal_code",
            numbers.normalise_postal_code,
            _("Enter the postal code as 7 digits, for example 037-0000."),
        )

    def clean_phone(self) -> str:
        return self._normalised(
            "phone",
            numbers.normalise_phone,
            _("Enter a phone number of 10 or 11 digits starting with 0, for example 0173-00-0000."),
        )

    def clean_name_kana(self) -> str:
        return self._normalised(
            "name_kana",
            numbers.normalise_kana,
            _("Enter your name in katakana or hiragana, for example ヤマダ　ハナコ."),
        )

    def clean_jobseeker_number(self) -> str:
        """A malformed number and one another active account holds get the same answer, after
        the same query, so the form never tells whether a number is registered (REQ REG-9)."""
        typed = self.cleaned_data.get("jobseeker_number", "")
        if not typed:
            return typed
        normalised = numbers.normalise_jobseeker_number(typed)
        holders = User.objects.holding_jobseeker_number(normalised or typed)
        if self._own_account_pk is not None:
            holders = holders.exclude(pk=self._own_account_pk)
        taken = holders.exists()
        if normalised is None or taken:
            raise forms.ValidationError(
                jobseeker_number_message(self.cleaned_data.get("office")), code="format"
            )
        return normalised

    @property
    def _own_account_pk(self) -> int | None:
        instance = getattr(self, "instance", None)
        return instance.pk if isinstance(instance, User) else None

    def clean_establishment_number(self) -> str:
        return self._normalised(
            "establishment_number",
            numbers.normalise_establishment_number,
            _("Enter the establishment number as 11 digits: NNNN-NNNNNN-N."),
        )

    def clean(self):
        cleaned = super().clean()
        if self.user_type == UserType.JOB_SEEKER:
            self._clean_number(
                "jobseeker_number", JobseekerNumberStatus.NUMBER, _("Enter your job-seeker number.")
            )
            self._clean_residence()
        elif self.user_type == UserType.EMPLOYER:
            self._clean_number(
                "establishment_number",
                EstablishmentNumberStatus.NUMBER,
                _("Enter the establishment number."),
            )
        return cleaned

    def _clean_number(self, name: str, with_number: str, missing_message) -> None:
        status = self.cleaned_data.get(f"{name}_status")
        if status == with_number:
            if not self.cleaned_data.get(name) and name not in self.errors:
                self.add_error(name, forms.ValidationError(missing_message, code="required"))
        elif status:
            self.cleaned_data[name] = ""

    def _clean_residence(self) -> None:
        if not self.cleaned_data.get("is_foreign_national"):
            self.cleaned_data["residence_status"] = ""
            self.cleaned_data["period_of_stay_until"] = None
            return
        if not self.cleaned_data.get("residence_status") and "residence_status" not in self.errors:
            self.add_error("residence_status", _("Enter your residence status."))
        until = self.cleaned_data.get("period_of_stay_until")
        if until is None and "period_of_stay_until" not in self.errors:
            self.add_error("period_of_stay_until", _("Enter the end of your period of stay."))
        elif until is not None and until < timezone.localdate():
            self.add_error(
                "period_of_stay_until",
                _("This date has passed. Enter the end of your renewed period of stay."),
            )

    def profile_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in PROFILE_FIELDS[self.user_type]}


# allauth's SignupForm already carries the rule when ACCOUNT_SIGNUP_FORM_CLASS mixes it in.
_SIGNUP_BASES = (ProfileRulesMixin, SignupForm)
if not issubclass(SignupForm, JISTextFormMixin):
    _SIGNUP_BASES = (JISTextFormMixin, *_SIGNUP_BASES)


class SignupRefused(Exception):
    """The sign-up was refused while saving; the form carries the errors to show."""


class BaseProfileSignupForm(*_SIGNUP_BASES):
    """allauth's sign-up form plus the office and the profile of one user type (REQ REG-1, 2)."""

    user_type = UserType.JOB_SEEKER
    office = forms.ModelChoiceField(
        queryset=Office.objects.all(),
        label=LABELS["office"],
        empty_label=_("Choose your office"),
        help_text=_("The office whose area you live or work in (管轄)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = PROFILE_FIELDS[self.user_type]
        self.fields.update(fields_for_model(User, fields=names, widgets=WIDGETS, labels=LABELS))
        _configure_profile_fields(self, self.user_type)
        self.fields["username"].label = _("Login ID")
        self.fields["username"].help_text = _(
            "Letters, digits and @ . + - _ only. You sign in with it or with your e-mail."
        )
        self.fields["username"].widget.attrs.pop("placeholder", None)
        self.fields["email"].label = _("E-mail")
        self.fields["email"].help_text = _(
            "We send a link to this address; your account works once you open it."
        )
        self.fields["email"].widget.attrs.pop("placeholder", None)
        for name in ("password1", "password2"):
            if name in self.fields:
                self.fields[name].widget.attrs.pop("placeholder", None)
        if "password1" in self.fields:
            self.fields["password1"].help_text = " ".join(
                str(text) for text in password_validation.password_validators_help_texts()
            )
        order = ["office", "username", "email", "password1", "password2", *names]
        rest = [name for name in self.fields if name not in order]
        self.order_fields(order + rest)
        apply_jis_rule_to_form(self)

    def try_save(self, request):
        """A sign-up that loses the race for a job-seeker number to another one gets the field's
        error instead of a server error (REQ REG-9). The savepoint takes the half-made account
        and its verification mail back with it."""
        try:
            with transaction.atomic():
                return super().try_save(request)
        except IntegrityError as exc:
            if not is_jobseeker_number_taken(exc):
                raise
            self.add_error(
                "jobseeker_number", jobseeker_number_message(self.cleaned_data.get("office"))
            )
            raise SignupRefused from exc

    def apply_profile(self, user: User) -> None:
        """Called by the adapter while it builds the new user, before the consent hook."""
        user.user_type = self.user_type
        user.office = self.cleaned_data["office"]
        for name, value in self.profile_data().items():
            setattr(user, name, value)


class JobSeekerSignupForm(BaseProfileSignupForm):
    user_type = UserType.JOB_SEEKER


class EmployerSignupForm(BaseProfileSignupForm):
    user_type = UserType.EMPLOYER


class ProfileForm(ProfileRulesMixin, ModelForm):
    """The profile page of a job seeker or employer. The user type decides the fields."""

    class Meta:
        model = User
        fields = ["office", *JOB_SEEKER_FIELDS, *EMPLOYER_FIELDS[:3]]
        widgets = WIDGETS
        labels = LABELS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_type = self.instance.user_type
        keep = ["office", *PROFILE_FIELDS[self.user_type]]
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.order_fields(keep)
        self.fields["office"].empty_label = None
        _configure_profile_fields(self, self.user_type)
        declared = self.fields.get("is_foreign_national")
        if declared is not None and self.instance.is_foreign_national:
            # Once declared, the declaration stays; staff withdraw it if it was a mistake
            # (REQ REG-3). A disabled field keeps its saved value whatever is posted.
            declared.disabled = True
            declared.help_text = _(
                "You declared this. Only your Hello Work office can change it: please "
                "contact them if it is wrong."
            )


class AccountDeleteForm(Form):
    """Self-service deletion needs the password and an explicit tick (REQ REG-5)."""

    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my registration and personal data will be erased."),
        error_messages={"required": _("Tick the box to confirm the deletion.")},
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."), code="password")
        return password


class SuspensionForm(Form):
    """Staff suspend an account with a reason (REQ REG-7)."""

    reason = forms.ChoiceField(label=_("Reason"), choices=SuspensionReason.choices)
    note = forms.CharField(
        label=_("Note for staff"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ErasureForm(Form):
    """Staff erase an account for prohibited acts, with the reason (REQ REG-10)."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=SuspensionReason.choices,
        initial=SuspensionReason.PROHIBITED_ACTS,
    )
    note = forms.CharField(
        label=_("Note for staff"),
        help_text=_("Kept after the erasure: describe the acts, not the person."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that the account and its personal data will be erased for good."),
        error_messages={"required": _("Tick the box to confirm the erasure.")},
    )


class NumberMoveForm(Form):
    """Staff give a job-seeker number to another account, with the reason (REQ REG-9)."""

    number = forms.CharField(label=_("Job-seeker number"), max_length=20)
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("For example: the person lost access to the old login."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
