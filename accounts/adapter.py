"""allauth is customised only here, through its adapter."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from core.outbox import outbox_enqueue

SUSPENDED_OFFICE_SESSION_KEY = "accounts_suspended_office"


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Store the message in the outbox instead of talking to the mail server (REQ NTF-2)."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        with transaction.atomic():
            outbox_enqueue(message=message)

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
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return suspended_response(request, user)
        return super().pre_login(request, user, **kwargs)


def suspended_response(request, user) -> HttpResponseRedirect:
    """Send a suspended user to the page with their office's contacts (REQ REG-7, OPS-3)."""
    request.session[SUSPENDED_OFFICE_SESSION_KEY] = user.office_id
    return HttpResponseRedirect(reverse("accounts:suspended"))
