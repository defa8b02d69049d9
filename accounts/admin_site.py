"""The Django admin behind allauth's sign-in and a second factor (REQ REG-8).

`accounts.admin_config.HelloWorkAdminConfig` replaces `django.contrib.admin` in INSTALLED_APPS, so `admin.site` is
`HelloWorkAdminSite` everywhere, with the same URLs.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth import get_user_model
from django.contrib.contenttypes import views as contenttypes_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_audit import AuditedAdminMixin
from core.forms import JISTextFormMixin
from core.http import safe_local_path

from . import security
from .access import AccessKind, access_record, access_record_list

# What a changelist's query string may hold (REQ NFR-3): anything else answers as Django
# answers a wrong filter, with the unfiltered list and a notice, never a 500.
PARAM_MAX_LENGTH = 200
DATE_PARTS = {"year": (2, 9998), "month": (1, 12), "day": (1, 31)}


def _with_jis_rule(form_class: type) -> type:
    """A copy of an admin form class with the character rule (REQ CHR-1)."""
    if issubclass(form_class, JISTextFormMixin):
        return form_class
    return type(form_class.__name__, (JISTextFormMixin, form_class), {"__module__": __name__})


class HelloWorkAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Hello Work Online: staff")
    site_title = gettext_lazy("Hello Work Online staff")
    index_title = gettext_lazy("Office administration")

    def has_permission(self, request) -> bool:
        return security.may_use_admin(request)

    def login(self, request, extra_context=None):
        """Signing in happens in allauth (rate limits, MFA stage); this only routes people."""
        admin_index = reverse("admin:index", current_app=self.name)
        # Never send a signed-in counselor to another site, nor to a bare word.
        next_url = safe_local_path(request.GET.get("next"), default=admin_index)
        user = request.user
        if not user.is_authenticated:
            return HttpResponseRedirect(
                reverse("account_login") + "?" + urlencode({"next": next_url})
            )
        if not user.is_active or not user.is_staff:
            raise PermissionDenied
        if not security.has_second_factor(user):
            messages.warning(
                request,
                _(
                    "Staff must set up a second factor before using the admin. Add an "
                    "authenticator app or a passkey, then open the admin again."
                ),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if not security.session_used_second_factor(request):
            return HttpResponseRedirect(
                reverse("mfa_reauthenticate") + "?" + urlencode({"next": next_url})
            )
        if security.may_use_admin(request):
            return HttpResponseRedirect(next_url)
        raise PermissionDenied

    def logout(self, request, extra_context=None):
        return HttpResponseRedirect(reverse("account_logout"))

    def get_urls(self):
        urls = super().get_urls()
        for index, pattern in enumerate(urls):
            if getattr(pattern, "name", None) == "view_on_site":
                urls[index] = path(
                    "r/<int:content_type_id>/<path:object_id>/",
                    self.admin_view(self.view_on_site),
                    name="view_on_site",
                )
        return urls

    def autocomplete_view(self, request):
        """The admin's autocomplete, answering POST only: what staff type (a person's name)
        travels in the request's body, never in a URL (REQ LOG-2). The widgets' script
        (`static/admin/js/autocomplete.js`) posts; a GET is refused (405)."""
        return PostedAutocompleteJsonView.as_view(admin_site=self)(request)

    def view_on_site(self, request, content_type_id, object_id):
        """Django's "view on site" shortcut, answering 404 alike for an object that does not
        exist and one outside the staff member's office: it never tells which (REQ NFR-3)."""
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist as exc:
            raise Http404 from exc
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            raise Http404
        try:
            pk = model._meta.pk.to_python(object_id)
            visible = model_admin.get_queryset(request).filter(pk=pk).exists()
        except (ValidationError, ValueError, OverflowError) as exc:
            raise Http404 from exc
        if not visible:
            raise Http404
        return contenttypes_views.shortcut(request, content_type_id, object_id)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every admin form carries the character rule and every list bounds its query
        string, whoever registers the model."""
        admin_class = admin_class or admin.ModelAdmin
        attrs = {"form": _with_jis_rule(admin_class.form)}
        if admin_class.inlines:
            attrs["inlines"] = [
                type(inline.__name__, (inline,), {"form": _with_jis_rule(inline.form)})
                for inline in admin_class.inlines
            ]
        if hasattr(admin_class, "add_form"):
            attrs["add_form"] = _with_jis_rule(admin_class.add_form)
        # Every save, deletion and action is audited; person views leave access records;
        # searches stay out of URLs (REQ STF-2, LOG-1, LOG-2).
        admin_class = type(
            admin_class.__name__,
            (AuditedAdminMixin, AccessRecordedAdminMixin, BoundedChangeListMixin, admin_class),
            {**attrs, "__module__": admin_class.__module__},
        )
        return super().register(model_or_iterable, admin_class, **options)


def person_subject(model, obj):
    """The person whose data `obj` shows: the user itself, or its `user`; else None."""
    user_model = get_user_model()
    if isinstance(obj, user_model):
        return obj
    try:
        field = model._meta.get_field("user")
    except FieldDoesNotExist:
        return None
    if getattr(field, "related_model", None) is user_model:
        return getattr(obj, "user", None)
    return None


def list_is_personal(model_admin) -> bool:
    """Whether the admin's change list shows people's data (REQ LOG-1): what the admin declares
    (`lists_personal_data`), else the user model and every model that refers to a user."""
    declared = getattr(model_admin, "lists_personal_data", None)
    if declared is not None:
        return declared
    user_model = get_user_model()
    model = model_admin.model
    return model is user_model or any(
        field.is_relation and field.related_model is user_model
        for field in model._meta.concrete_fields
    )


class AccessRecordedAdminMixin:
    """A change view that shows one person's data (the user model, or a model with a `user`
    foreign key to it) writes an access record, and so does each change list or search of
    people's data shown, once per page (REQ LOG-1)."""

    # An admin may say `lists_personal_data = True` or False; without it,
    # `list_is_personal()` decides. (Not declared here: this mixin comes first in the MRO.)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", None) or {}
        changelist = changelist.get("cl")
        if (
            changelist is not None
            and getattr(response, "status_code", None) == 200
            and list_is_personal(self)
        ):
            access_record_list(
                request=request,
                list_name=capfirst(self.opts.verbose_name_plural),
                terms=changelist.query,
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", None) == 200:
            obj = getattr(response, "context_data", {}).get("original")
            subject = person_subject(self.model, obj) if obj is not None else None
            if subject is not None:
                access_record(kind=AccessKind.ADMIN_VIEW, subject=subject, obj=obj, request=request)
        return response


class PostedAutocompleteJsonView(AutocompleteJsonView):
    """Django's autocomplete with its parameters read from a POST (REQ LOG-2), and each list
    of people it answers recorded, its terms hashed (REQ LOG-1)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        # Django's view, its pagination included, reads `request.GET`: this request carries
        # the form's fields instead, the CSRF token aside.
        request.GET = request.POST.copy()
        request.GET.pop("csrfmiddlewaretoken", None)
        response = self.get(request, *args, **kwargs)
        if list_is_personal(self.model_admin):
            access_record_list(
                request=request,
                list_name=capfirst(self.model_admin.opts.verbose_name_plural),
                terms=self.term,
            )
        return response


def _date_part_ok(value: str, low: int, high: int) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 4 and low <= int(value) <= high


class BoundedChangeListMixin:
    """Validate a changelist's query string before Django builds its query (REQ NFR-3).

    Django's date hierarchy turns `?starts_at__year=99999999999999999999` into an
    OverflowError (500); a very long search term is an unbounded LIKE scan, and NUL is a
    character PostgreSQL refuses. Such a request gets Django's own answer to a wrong
    filter: a redirect to the list with `?e=1`.
    """

    def changelist_view(self, request, extra_context=None):
        if not self._changelist_query_is_sane(request):
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return super().changelist_view(request, extra_context)

    def _changelist_query_is_sane(self, request) -> bool:
        for key, values in request.GET.lists():
            if len(key) > PARAM_MAX_LENGTH or "\x00" in key:
                return False
            for value in values:
                if len(value) > PARAM_MAX_LENGTH or "\x00" in value:
                    return False
        if self.date_hierarchy:
            for part, (low, high) in DATE_PARTS.items():
                for value in request.GET.getlist(f"{self.date_hierarchy}__{part}"):
                    if not _date_part_ok(value, low, high):
                        return False
        return True
