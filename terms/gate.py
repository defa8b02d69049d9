"""The consent gate (REQ TRM-4, BTH-8, CON-4): booking, ad-hoc use and joining need consent to
the terms in effect. Every view that books, starts or joins is decorated with
`consent_required(service)`; a test enumerates the URL patterns to prove it.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

from .services import consent_needed


def reconsent_url(service: str, next_url: str) -> str:
    return reverse("terms:reconsent", args=[service]) + "?" + urlencode({"next": next_url})


def consent_required(service: str):
    """Decorate a view: a signed-in user must have accepted the `service` terms in effect.

    Anonymous users go to sign-in; users whose last consent is older than the version in effect
    go to the re-consent page, which brings them back here after they accept. Staff act for
    users in the admin and are not gated.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_staff and consent_needed(user=user, service=service) is not None:
                return redirect(reconsent_url(service, request.get_full_path()))
            return view(request, *args, **kwargs)

        wrapped.terms_consent_service = service
        return wrapped

    return decorator
