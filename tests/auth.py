"""Signing people in for tests, the way the application's own checks see it.

- `login_client(client, user)`: a Django test client signed in as `user`.
- `login_browser(page, live_server_url, user)`: a Playwright page signed in as `user`.
- `staff_with_mfa(**fields)`: a staff user with an enrolled authenticator app (TOTP).

For staff, the session also records a second factor, exactly as allauth records it after a
TOTP or passkey step, so the admin (which requires one, REQ REG-8) lets them in.
"""

from __future__ import annotations

from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.test import Client

from tests.factories import StaffFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def staff_with_mfa(**fields):
    """A staff user (StaffFactory defaults) with an authenticator app enrolled."""
    user = StaffFactory(**fields)
    TOTP.activate(user, TOTP_SECRET)
    return user


def _record_second_factor(session, user) -> None:
    authenticator = Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).first()
    if authenticator is None:
        return
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": 0.0, "username": user.username},
        {"method": "mfa", "at": 0.0, "id": authenticator.pk, "type": authenticator.type},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)


def login_client(client: Client, user) -> Client:
    """Sign `user` in on a test client; staff with an authenticator count as MFA-verified."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if user.is_staff:
        session = client.session
        _record_second_factor(session, user)
        session.save()
    return client


def login_browser(page, live_server_url: str, user) -> None:
    """Put a signed-in session cookie for `user` into the page's browser context."""
    client = login_client(Client(), user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "url": live_server_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
