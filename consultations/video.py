"""The meeting-link rule (REQ CON-2), a pure function: https, no user-info, and a host that is
one the office allows for the tool or a sub-domain of one. Anything else is refused."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

MAX_URL_LENGTH = 500


def join_url_problem(url: str, allowed_hosts: Iterable[str]) -> str | None:
    """Why `url` may not be a meeting link for a tool allowing `allowed_hosts`, or None."""
    if len(url) > MAX_URL_LENGTH:
        return _("The link is too long.")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url) or "\\" in url:
        return _("The link contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("This is not a valid link.")
    if parts.scheme != "https":
        return _("The link must start with https://.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return _("The link must not contain a user name or password.")
    host = (parts.hostname or "").rstrip(".")
    if not host or not host.isascii():
        return _("The link has no valid host name.")
    if port not in (None, 443):
        return _("The link must use the standard https port.")
    hosts = [h.strip().lower().rstrip(".") for h in allowed_hosts if h.strip()]
    if not any(host == allowed or host.endswith("." + allowed) for allowed in hosts):
        return _("The host %(host)s is not allowed for this video tool (allowed: %(allowed)s).") % {
            "host": host,
            "allowed": ", ".join(hosts) or "-",
        }
    return None
