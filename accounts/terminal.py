"""The terminal identification the application records and rate-limits by: the client's IP
address and browser (REQ NFR-3, LOG-1)."""

from __future__ import annotations

import ipaddress

from django.conf import settings

USER_AGENT_MAX = 300


def _clean_ip(value: object) -> str | None:
    """A valid IP address from a header value ("203.0.113.9", "[2001:db8::1]:443"), or None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]  # IPv4 with a port
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's IP address: the one lookup behind every IP the application records or
    rate-limits by (REQ NFR-3, LOG-1). allauth asks for it through the adapter.

    Behind reverse proxies, settings.ALLAUTH_TRUSTED_PROXY_COUNT (env TRUSTED_PROXY_COUNT)
    says how many of them append to X-Forwarded-For: the address that many entries from the
    end is the one the outermost trusted proxy saw; anything before it may be forged by the
    client. ALLAUTH_TRUSTED_CLIENT_IP_HEADER (env TRUSTED_CLIENT_IP_HEADER) names a header a
    trusted proxy sets instead. Without either, the socket's address (REMOTE_ADDR). A request
    that did not pass through the proxies (too few entries, a malformed one) is taken by its
    socket address; it never fails.
    """
    if request is None:
        return None
    remote = _clean_ip(request.META.get("REMOTE_ADDR"))
    header = getattr(settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None)
    count = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or 0
    if header:
        return _clean_ip(request.headers.get(header)) or remote
    if count > 0:
        forwarded = [part for part in request.headers.get("X-Forwarded-For", "").split(",")]
        if len(forwarded) >= count and forwarded[0].strip():
            return _clean_ip(forwarded[-count]) or remote
    return remote


def _printable(value: str) -> str:
    # NUL and other control characters cannot be stored in PostgreSQL text, nor are they
    # part of any real browser's name.
    return "".join(char for char in value if char.isprintable())


def client_details(request) -> tuple[str | None, str]:
    """The terminal identification recorded with sign-ins, consents and the like (LOG-1):
    the client's IP address (`client_ip`) and browser."""
    if request is None:
        return None, ""
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    if not isinstance(user_agent, str):
        user_agent = ""
    return client_ip(request), _printable(user_agent[: USER_AGENT_MAX * 2])[:USER_AGENT_MAX]
