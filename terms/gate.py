"""The consent gate (REQ TRM-4): booking, ad-hoc use and joining need consent to the terms in
effect. Apply `consent_required(service)` to every view that books, starts or joins.

Interim: the decorator marks the view so the URL-enumeration test can find it; the redirect to
the re-consent page is added with the terms issue.
"""

from __future__ import annotations

from functools import wraps


def consent_required(service: str):
    """Decorate a view: a signed-in user must have accepted the `service` terms in effect."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            return view(request, *args, **kwargs)

        wrapped.terms_consent_service = service
        return wrapped

    return decorator
