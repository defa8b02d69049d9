"""Signal receivers: sign-in records (REQ LOG-1), password age (REQ REG-4), second factor."""

from __future__ import annotations

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver
from django.utils import timezone

from . import security
from .middleware import mark_seen
from .models import SignInEvent, User
from .services import account_for_login, password_changed, signin_record, user_touch_activity


@receiver(auth_signals.user_logged_in, dispatch_uid="accounts_signed_in")
def signed_in(sender, request, user, **kwargs):
    if request is None:
        return
    signin_record(request=request, user=user, event=SignInEvent.SIGNED_IN)
    now = timezone.now()
    user_touch_activity(user=user, now=now)
    if hasattr(request, "session"):
        mark_seen(request, user, int(now.timestamp()))


@receiver(auth_signals.user_logged_out, dispatch_uid="accounts_signed_out")
def signed_out(sender, request, user, **kwargs):
    if request is None or user is None or getattr(user, "deleted_at", None) is not None:
        return
    signin_record(request=request, user=user, event=SignInEvent.SIGNED_OUT)


def _user_for_credentials(credentials: dict) -> User | None:
    """The account a failed attempt was aimed at, if the identifier names exactly one."""
    return account_for_login(credentials.get("username") or credentials.get("email") or "")


@receiver(auth_signals.user_login_failed, dispatch_uid="accounts_sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    signin_record(
        request=request, user=_user_for_credentials(credentials), event=SignInEvent.FAILED
    )


@receiver(account_signals.password_changed, dispatch_uid="accounts_password_changed")
@receiver(account_signals.password_set, dispatch_uid="accounts_password_set")
def password_was_changed(sender, request, user, **kwargs):
    password_changed(user=user)
    signin_record(request=request, user=user, event=SignInEvent.PASSWORD_CHANGED)


@receiver(account_signals.password_reset, dispatch_uid="accounts_password_reset")
def password_was_reset(sender, request, user, **kwargs):
    password_changed(user=user)
    signin_record(request=request, user=user, event=SignInEvent.PASSWORD_RESET)


@receiver(mfa_signals.authenticator_added, dispatch_uid="accounts_second_factor_enrolled")
def second_factor_enrolled(sender, request, user, authenticator, **kwargs):
    """Enrolling proves the new factor with a code or a passkey, in a session that has just
    re-entered the password: the session counts as signed in with two factors (REQ REG-8)."""
    if request is not None:
        security.record_second_factor(request, user, authenticator)


@receiver(mfa_signals.authenticator_used, dispatch_uid="accounts_second_factor_used")
def second_factor_used(sender, request, user, authenticator, **kwargs):
    """A code or passkey at sign-in or re-authentication (REQ REG-8)."""
    if request is not None:
        security.record_second_factor(request, user, authenticator)
