"""What the day sheet and the call list render from an office's bookings, kept while it is true
(REQ STF-1, NFR-4).

The rows of both pages are a function of the office's data (its bookings of both services, its
booths, closures, availability and video tools: each raises the office's
`availability_version` in the same transaction, core.versioning), of the terms published
(`gate_version`) and those in effect (a page part), of the consents to them and the names and
standing of the office's people (`people_version`), the office's hours, the page's own
parameters, the language, what the viewer may do, and the time. The key carries all of them but
the time; the kept value carries the first moment at which time alone changes what it shows
(`PageEntries.changes_at`, the slots' boundaries) and is not used from then on. What the key
cannot carry (the name of a counselor of another office booked here) the page reads again on
each request and compares with what the value was built from (`fresh`): a difference builds
the rows anew.

The CSRF token differs per request: the kept HTML holds `CSRF_PLACEHOLDER` where each form's
token goes, and `with_csrf` puts the request's own in.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable

from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from core.versioning import cached_get, cached_set

# Never produced by escaping a value (it holds no character `escape` changes, and `\x00` is
# not in any value the pages show).
CSRF_PLACEHOLDER = "\x00csrf\x00"


def with_csrf(request, html: str) -> SafeString:
    """The kept `html` with the request's CSRF field in each form."""
    token = escape(get_token(request))
    field = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    return mark_safe(html.replace(CSRF_PLACEHOLDER, field))


def kept_rows(
    kind: str,
    parts: tuple,
    *,
    office,
    now: datetime.datetime,
    build: Callable[[], tuple[datetime.datetime | None, object]],
    fresh: Callable[[object], bool] = lambda value: True,
):
    """`build()`'s value, from the grids cache while it is true: the office's data and terms
    versions and its hours as read in this request, `parts`, and the language are its key;
    `build()` returns (the moment it stops being true by time alone or None, the value), and
    `fresh(value)` says whether what the key cannot carry is still as it was built from."""
    key = hashlib.blake2b(
        repr(
            (
                "workplace-rows",
                kind,
                office.pk,
                office.availability_version,
                office.gate_version,
                office.people_version,
                office.opens_at,
                office.closes_at,
                get_language(),
                *parts,
            )
        ).encode(),
        digest_size=20,
    ).hexdigest()
    found = cached_get(key, now)
    if found is not None:
        until, value = found
        if (until is None or now < until) and fresh(value):
            return value
    until, value = build()
    cached_set(key, (until, value), until=until, now=now)
    return value
