"""Staff security: the second factor the admin requires (REQ REG-8)."""

from __future__ import annotations

from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.mfa.models import Authenticator

SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def has_second_factor(user) -> bool:
    """The user has enrolled an authenticator app (TOTP) or a passkey."""
    return Authenticator.objects.filter(user=user, type__in=SECOND_FACTOR_TYPES).exists()


def session_used_second_factor(request) -> bool:
    """This session was signed in (or re-authenticated) with a second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def record_second_factor(request, user, authenticator) -> None:
    record_authentication(
        request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True
    )


def may_use_admin(request) -> bool:
    user = request.user
    return bool(
        user.is_active
        and user.is_staff
        and getattr(user, "suspended_at", None) is None
        and has_second_factor(user)
        and session_used_second_factor(request)
    )
