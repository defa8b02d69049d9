"""Every form of the project, and allauth's forms as configured, carries the character rule."""

import importlib
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.utils.module_loading import import_string

from core.forms import JISTextFormMixin, is_free_text_field
from tests.factories import StaffFactory, UserFactory

PROJECT_APPS = ["core", "accounts", "terms", "consultations", "booths"]


def _import_project_modules() -> None:
    for label in PROJECT_APPS:
        package = importlib.import_module(apps.get_app_config(label).name)
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" in module.name or ".management" in module.name:
                continue
            importlib.import_module(module.name)


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _admin_form_classes() -> set[type]:
    """Forms the admin site wraps with the rule itself (see test_every_admin_form_…)."""
    found = set()
    for model_admin in admin.site._registry.values():
        for cls in type(model_admin).__mro__:
            for attr in ("form", "add_form"):
                if attr in vars(cls):
                    found.add(vars(cls)[attr])
            for inline in vars(cls).get("inlines", []):
                found |= {c.form for c in inline.__mro__ if "form" in vars(c)}
    return found


def project_form_classes() -> list[type]:
    _import_project_modules()
    exempt = _admin_form_classes()
    return sorted(
        {
            cls
            for cls in _all_subclasses(forms.BaseForm)
            if cls.__module__.split(".")[0] in PROJECT_APPS
            and cls.__module__ != "accounts.admin_site"
            and cls not in exempt
        },
        key=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
    )


def configured_allauth_forms() -> list[type]:
    paths = [*settings.ACCOUNT_FORMS.values(), *settings.MFA_FORMS.values()]
    return [import_string(path) for path in paths]


def test_the_walk_finds_the_forms_it_must_check():
    # The walk itself works: it sees forms of several apps, not an empty list.
    # REQ CHR-1
    found = {cls.__module__.split(".")[0] for cls in project_form_classes()}
    assert {"core", "accounts"} <= found


@pytest.mark.parametrize("form_class", project_form_classes(), ids=lambda c: c.__qualname__)
def test_every_project_form_applies_the_character_rule(form_class):
    # REQ CHR-1: a form of the project must go through core.forms (or its mixin).
    assert issubclass(form_class, JISTextFormMixin), (
        f"{form_class.__module__}.{form_class.__qualname__} must subclass core.forms.Form/"
        "ModelForm or mix in JISTextFormMixin"
    )


def _form_keys_allauth_reads(package: str) -> set[str]:
    """The FORMS keys allauth's views look up, read from its source."""
    import re
    from pathlib import Path

    root = Path(importlib.import_module(package).__file__).parent
    keys = set()
    for path in root.rglob("views.py"):
        keys |= set(re.findall(r'FORMS,\s*"(\w+)"', path.read_text()))
    return keys


def test_every_allauth_form_in_use_applies_the_character_rule():
    # REQ CHR-1: every form allauth's pages can use is named in ACCOUNT_FORMS / MFA_FORMS
    # (so a new allauth form is noticed) and carries the rule.
    assert _form_keys_allauth_reads("allauth.account") <= set(settings.ACCOUNT_FORMS)
    assert _form_keys_allauth_reads("allauth.mfa") <= set(settings.MFA_FORMS)
    for form_class in configured_allauth_forms():
        assert issubclass(form_class, JISTextFormMixin), form_class


def _instances(user):
    """One instance of each form that needs no special arguments, plus allauth's in use."""
    request = RequestFactory().get("/")
    request.user = user
    request.session = {}
    for form_class in [*project_form_classes(), *configured_allauth_forms()]:
        for kwargs in ({}, {"user": user}, {"user": user, "temp_key": "x"}, {"request": request}):
            try:
                form = form_class(data={}, **kwargs)
            except Exception:
                continue
            yield form_class, form
            break


@pytest.mark.django_db
def test_every_free_text_field_of_every_form_carries_the_rule_when_cleaned():
    # REQ CHR-1: walks the instances, so fields added in __init__ are covered too.
    user = UserFactory()
    checked = 0
    for form_class, form in _instances(user):
        form.is_valid()
        for name, field in form.fields.items():
            if is_free_text_field(field):
                assert getattr(field, "jis_rule", False), f"{form_class.__qualname__}.{name}"
                checked += 1
    assert checked >= 20


@pytest.mark.django_db
def test_a_text_field_added_after_init_still_gets_the_rule():
    # REQ CHR-1: a future form that adds fields late cannot escape.
    from core.forms import Form

    class Late(Form):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["late"] = forms.CharField()

    form = Late(data={"late": "髙"})
    assert not form.is_valid()
    assert "髙" in form.errors["late"][0]


@pytest.mark.django_db
def test_every_admin_form_carries_the_rule():
    # REQ CHR-1: the admin's forms too, whoever registered the model.
    request = RequestFactory().get("/admin/")
    request.user = StaffFactory(is_superuser=True)
    for model, model_admin in admin.site._registry.items():
        if not (
            model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
        ):
            continue  # read-only (procrastinate's jobs): nothing to type into
        form_class = model_admin.get_form(request)
        assert issubclass(form_class, JISTextFormMixin), model
        for inline in model_admin.get_inline_instances(request):
            formset = inline.get_formset(request)
            assert issubclass(formset.form, JISTextFormMixin), (model, inline)


def test_free_text_means_text_fields_but_not_passwords_or_typed_values():
    # REQ CHR-1
    assert is_free_text_field(forms.CharField())
    assert is_free_text_field(forms.CharField(widget=forms.Textarea))
    assert is_free_text_field(forms.RegexField(regex=r".*"))
    assert not is_free_text_field(forms.CharField(widget=forms.PasswordInput))
    assert not is_free_text_field(forms.EmailField())
    assert not is_free_text_field(forms.IntegerField())
