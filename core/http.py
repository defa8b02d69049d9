"""Redirect targets taken from user input (`?next=`): only safe local paths (REQ NFR-3)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.http import url_has_allowed_host_and_scheme

NEXT_MAX_LENGTH = 2000


def safe_local_path(candidate: object, *, default: str = "/") -> str:
    """`candidate` if it is a path on this site ("/booths/?d=1"), otherwise `default`.

    A bare word ("nosuchview") is refused: `redirect()` would take it for a view name, and a
    browser would resolve it relative to the current page. So are other hosts and schemes,
    protocol-relative and backslash tricks ("//evil", "/\\evil"), control characters and
    anything absurdly long.
    """
    if not isinstance(candidate, str) or not candidate or len(candidate) > NEXT_MAX_LENGTH:
        return default
    if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in candidate):
        return default
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return default
    if parts.scheme or parts.netloc:
        return default
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts=set()):
        return default
    return candidate
