"""Signing people in for tests, the way the application's own checks see it.

- `login_client(client, user)`: a Django test client signed in as `user`.
- `login_browser(page, live_server_url, user)`: a Playwright page signed in as `user`.
- `staff_with_mfa(**fields)`: a staff user with an enrolled authenticator app (TOTP).
- `totp_code(secret)`: the code an authenticator app shows now (RFC 6238).

For staff, the session also records a second factor, exactly as the application records it
when allauth reports a TOTP or passkey step, so the admin (which requires one, REQ REG-8) lets
them in. Only public APIs: allauth's `internal` modules change between releases.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client

from accounts import security
from tests.factories import StaffFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str, *, at: float | None = None, period: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (HMAC-SHA1), as every authenticator app computes it.

    On the live clock, a code asked for in the last two seconds of its period waits for the
    next one, as a person would: otherwise the server may see the period turn before it checks.
    """
    if at is None and period - time.time() % period < 2:
        time.sleep(period - time.time() % period + 0.01)
    counter = int((time.time() if at is None else at) // period)
    key = base64.b32decode(secret.encode("ascii"), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}}"


def staff_with_mfa(**fields):
    """A staff user (StaffFactory defaults) with an authenticator app enrolled."""
    user = StaffFactory(**fields)
    security.totp_enrol(user, TOTP_SECRET)
    return user


def _record_second_factor(session, user) -> None:
    authenticator = Authenticator.objects.filter(
        user=user, type__in=security.SECOND_FACTOR_TYPES
    ).first()
    if authenticator is None:
        return
    session[security.SECOND_FACTOR_SESSION_KEY] = {
        "user": str(user.pk),
        "at": time.time(),
        "type": authenticator.type,
    }


def login_client(client: Client, user) -> Client:
    """Sign `user` in on a test client; staff with an authenticator count as MFA-verified."""
    client.force_login(user, backend="accounts.backends.ModelBackend")
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


def sign_in_browser_with_second_factor(page, live_server_url: str, user, password: str) -> None:
    """Sign a staff member in the way they do it: the admin sends them to the sign-in page,
    then asks for the authenticator app's code (REQ REG-8)."""
    page.goto(live_server_url + "/admin/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_selector("input[name=code]")
    page.fill("input[name=code]", totp_code(TOTP_SECRET))
    page.press("input[name=code]", "Enter")
    page.wait_for_url("**/admin/**")
