"""Form base classes every form of the project uses, so the character rule can't be forgotten.

Every free-text field (any CharField whose widget is not a password input) is normalised for
the Windows look-alikes and validated against JIS X 0201/0208 (REQ CHR-1 … CHR-3).
"""

from __future__ import annotations

from django import forms

from .text import normalise_jis_text, validate_jis_text

NOT_FREE_TEXT = (forms.EmailField, forms.URLField, forms.SlugField, forms.UUIDField)


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
    field.validators.append(validate_jis_text)
    field.jis_rule = True


class JISTextFormMixin:
    """Apply the character rule to every free-text field of the form."""

    error_css_class = "field-error"
    required_css_class = "field-required"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if is_free_text_field(field):
                apply_jis_rule(field)


class Form(JISTextFormMixin, forms.Form):
    pass


class ModelForm(JISTextFormMixin, forms.ModelForm):
    pass
