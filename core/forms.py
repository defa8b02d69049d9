"""Form base classes every form of the project uses, so the character rule can't be forgotten.

Every free-text field (any CharField whose widget is not a password input) is normalised for
the Windows look-alikes and validated against JIS X 0201/0208 (REQ CHR-1 … CHR-3). The rule is
attached when the form is built and again just before it is cleaned, so a field a subclass adds
after `super().__init__()` carries it too.
"""

from __future__ import annotations

import json

from django import forms
from django.core.validators import MaxLengthValidator
from django.forms.fields import JSONString
from django.utils.translation import gettext as _

from .text import normalise_jis_text, validate_jis_text

# Typed values with their own syntax: the character rule is for what people write freely.
NOT_FREE_TEXT = (
    forms.EmailField,
    forms.URLField,
    forms.SlugField,
    forms.UUIDField,
    forms.JSONField,
    forms.GenericIPAddressField,
)


def is_free_text_field(field: forms.Field) -> bool:
    return (
        isinstance(field, forms.CharField)
        and not isinstance(field, NOT_FREE_TEXT)
        and not isinstance(field.widget, forms.PasswordInput)
    )


def apply_jis_rule(field: forms.Field) -> None:
    """Attach the character rule to one bound copy of a field (idempotent)."""
    if getattr(field, "jis_rule", False):
        return
    original_to_python = field.to_python

    def to_python(value):
        value = original_to_python(value)
        return normalise_jis_text(value) if isinstance(value, str) else value

    field.to_python = to_python
    # A copy: `validators` may be a list shared with the class-level field.
    field.validators = [*field.validators, validate_jis_text]
    field.jis_rule = True


# Every text field is bounded before anything reaches the database (REQ NFR-3): a field
# without its own max_length gets one of these. A 17,000-character login is refused by the
# form, not by a full scan in PostgreSQL.
LINE_MAX_LENGTH = 1000
TEXTAREA_MAX_LENGTH = 100_000


class TextLengthValidator(MaxLengthValidator):
    """The length of what was typed: a JSON field's value is counted as its JSON text (its
    `to_python` has already read `0` as a number, which has no length)."""

    def clean(self, x):
        if isinstance(x, str) and not isinstance(x, JSONString):
            return len(x)
        return len(json.dumps(x, ensure_ascii=False))


def apply_length_bound(field: forms.Field) -> None:
    """Give a text field without a maximum length the project's default (idempotent)."""
    if not isinstance(field, forms.CharField) or field.max_length is not None:
        return
    limit = TEXTAREA_MAX_LENGTH if isinstance(field.widget, forms.Textarea) else LINE_MAX_LENGTH
    field.max_length = limit
    field.validators = [*field.validators, TextLengthValidator(limit)]


def apply_choice_message(field: forms.Field) -> None:
    """A required choice of radio buttons says what to choose, not just "this field is
    required" (REQ NFR-1, NFR-2: the message names the question it answers)."""
    if not (field.required and isinstance(field.widget, forms.RadioSelect)):
        return
    current = field.error_messages.get("required")
    if current != forms.Field.default_error_messages["required"] and not getattr(
        field, "_choice_message", False
    ):
        return  # a message of the form's own
    field.error_messages["required"] = (
        _("Choose one of the options for “%(label)s”.") % {"label": field.label}
        if field.label
        else _("Choose one of the options.")
    )
    field._choice_message = True


def apply_jis_rule_to_form(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        apply_length_bound(field)
        apply_choice_message(field)
        if is_free_text_field(field):
            apply_jis_rule(field)


class JISTextFormMixin:
    """Apply the character rule to every free-text field of the form, and a maximum length to
    every text field."""

    error_css_class = "field-error"
    required_css_class = "field-required"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        apply_jis_rule_to_form(self)

    def full_clean(self):
        apply_jis_rule_to_form(self)
        return super().full_clean()


class Form(JISTextFormMixin, forms.Form):
    pass


class ModelForm(JISTextFormMixin, forms.ModelForm):
    pass
