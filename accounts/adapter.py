"""allauth is customised only here, through its adapter (public hooks only)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from core.http import safe_local_path
from core.outbox import mail_subject, outbox_enqueue

from .services import login_failure_key
from .terminal import client_ip

SUSPENDED_OFFICE_SESSION_KEY = "accounts_suspended_office"


@dataclass(frozen=True)
class ConfiguredSite:
    """The site as mails name it: SITE_NAME and the host of SITE_URL, never the Sites row's
    "example.com" of a fresh database (REQ NTF-1)."""

    name: str
    domain: str

    def __str__(self) -> str:
        return self.name


def user_display(user) -> str:
    return user.display_name


def configured_site() -> ConfiguredSite:
    return ConfiguredSite(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


def on_site(url: str) -> str:
    """The same path and query under SITE_URL, whatever host the request came in on."""
    parts = urlsplit(url)
    return settings.SITE_URL + parts.path + (f"?{parts.query}" if parts.query else "")


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Store the message in the outbox instead of talking to the mail server (REQ NTF-2)."""
        request = allauth_context.request
        ctx = {"request": request, "email": email}
        ctx.update(context)
        ctx["current_site"] = configured_site()
        ctx["site_url"] = settings.SITE_URL
        # The verification mail says how long its link works and whom to ask (REQ NTF-1).
        ctx["link_valid_days"] = account_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS
        user = ctx.get("user")
        ctx["office"] = getattr(user, "office", None)
        message = self.render_mail(template_prefix, email, ctx)
        with transaction.atomic():
            outbox_enqueue(message=message)

    def format_email_subject(self, subject) -> str:
        """allauth's subjects in the style of every other mail: 【site】subject."""
        return mail_subject(settings.SITE_NAME, subject)

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))

    def get_client_ip(self, request) -> str:
        """The one client-IP lookup of the project (`accounts.terminal.client_ip`), so allauth's
        per-IP rate limits see what sign-in records and consents record (REQ NFR-3)."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def is_safe_url(self, url: str | None) -> bool:
        """`next` may only name a path on this site (REQ NFR-3)."""
        return bool(url) and safe_local_path(url, default="") == url

    def pre_authenticate(self, request, **credentials) -> None:
        """Count failed sign-ins against the account, whichever spelling was typed (login ID
        or e-mail address): a lock under one holds under the other, on the shared cache, in
        every worker (REQ NFR-3)."""
        login = credentials.get("email") or credentials.get("username") or ""
        return super().pre_authenticate(request, username=login_failure_key(login))

    def save_user(self, request, user, form, commit=True):
        """Fill the profile of the chosen user type before the consent hook sees the user."""
        user = super().save_user(request, user, form, commit=False)
        if hasattr(form, "apply_profile"):
            form.apply_profile(user)
        now = timezone.now()
        user.password_changed_at = now
        user.last_activity_at = now
        if commit:
            user.save()
        return user

    def pre_login(self, request, user, **kwargs):
        """A suspended or deleted account cannot sign in (REQ REG-5, REG-7)."""
        if getattr(user, "deleted_at", None) is not None:
            user.is_active = False
        if user.is_active and getattr(user, "suspended_at", None) is not None:
            # Nothing of the half-finished sign-in (password step, pending stages) survives.
            request.session.flush()
            return suspended_response(request, user)
        return super().pre_login(request, user, **kwargs)


def suspended_response(request, user) -> HttpResponseRedirect:
    """Send a suspended user to the page with their office's contacts (REQ REG-7, OPS-3)."""
    request.session[SUSPENDED_OFFICE_SESSION_KEY] = user.office_id
    return HttpResponseRedirect(reverse("accounts:suspended"))
