"""Staff security: the second factor the admin requires (REQ REG-8).

Only allauth's public API is used: its `Authenticator` model, `allauth.mfa.utils.encrypt`, the
`authenticator_used` / `authenticator_added` signals and
`allauth.account.authentication.get_authentication_records`. This session's use of a second
factor is remembered under a key of this project, written by the receivers of those signals.
"""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt

from . import rights

SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
# {"user": "<pk>", "at": <unix time>, "type": "totp" | "webauthn"}; cleared with the session.
SECOND_FACTOR_SESSION_KEY = "accounts_second_factor"


def has_second_factor(user) -> bool:
    """The user has enrolled an authenticator app (TOTP) or a passkey: read once per rights
    version, which each change of their authenticators raises (`accounts.rights`)."""
    return rights.kept_for(
        user,
        "second-factor",
        lambda: Authenticator.objects.filter(user=user, type__in=SECOND_FACTOR_TYPES).exists(),
    )


def session_used_second_factor(request) -> bool:
    """This session was signed in (or re-authenticated) with a second factor."""
    user = request.user
    if not user.is_authenticated:
        return False
    marker = request.session.get(SECOND_FACTOR_SESSION_KEY)
    if isinstance(marker, dict) and marker.get("user") == str(user.pk):
        return True
    records = get_authentication_records(request, user)
    return any(record.get("method") == "mfa" for record in records)


def record_second_factor(request, user, authenticator) -> None:
    """Remember that this session proved `authenticator` (used at sign-in or enrolled)."""
    if authenticator.type not in SECOND_FACTOR_TYPES:
        return
    request.session[SECOND_FACTOR_SESSION_KEY] = {
        "user": str(user.pk),
        "at": time.time(),
        "type": authenticator.type,
    }


def totp_enrol(user, secret: str) -> Authenticator:
    """Enrol an authenticator app on a known base32 secret (demo staff, tests)."""
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)}
    )


def may_use_admin(request) -> bool:
    """Whether this request's user may use the admin. The admin asks twice a page (its view
    and its page context); a yes is kept on the request for that user, so the second factor
    is looked up once a request."""
    user = request.user
    if getattr(request, "_admin_allowed_user", None) is user:
        return True
    allowed = bool(
        user.is_active
        and user.is_staff
        and getattr(user, "suspended_at", None) is None
        and has_second_factor(user)
        and session_used_second_factor(request)
    )
    if allowed:
        request._admin_allowed_user = user
    return allowed
