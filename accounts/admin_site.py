"""The Django admin behind allauth's sign-in and a second factor (REQ REG-8).

`accounts.admin_config.HelloWorkAdminConfig` replaces `django.contrib.admin` in INSTALLED_APPS, so `admin.site` is
`HelloWorkAdminSite` everywhere, with the same URLs.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import JISTextFormMixin

from . import security


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
        next_url = request.GET.get("next") or admin_index
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = admin_index  # never send a signed-in counselor to another site
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

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every admin form carries the character rule, whoever registers the model."""
        admin_class = admin_class or admin.ModelAdmin
        attrs = {"form": _with_jis_rule(admin_class.form)}
        if admin_class.inlines:
            attrs["inlines"] = [
                type(inline.__name__, (inline,), {"form": _with_jis_rule(inline.form)})
                for inline in admin_class.inlines
            ]
        if hasattr(admin_class, "add_form"):
            attrs["add_form"] = _with_jis_rule(admin_class.add_form)
        admin_class = type(
            admin_class.__name__, (admin_class,), {**attrs, "__module__": admin_class.__module__}
        )
        return super().register(model_or_iterable, admin_class, **options)
