"""The consent gate (REQ TRM-4, BTH-8, CON-4): booking, ad-hoc use and joining need consent to
the terms in effect. Every view that books, starts or joins is decorated with
`consent_required(service)`; a test enumerates the URL patterns to prove it.

The gate costs no query on a booking's steps once it has passed (REQ NFR-4). Which version is
in effect is a matter of time alone once the office's published versions are known: those are
kept in the per-process cache under the office's `gate_version`, which the database raises
with any write of the office's terms versions (core.versioning), and read at each request's
moment, so a version takes effect at its effective time with no write at all. That the person
accepted version N (or later) of a document stays true forever (consents are append-only,
versions immutable once published), so the session keeps it, from sign-in on (`keep_consents`),
and every step reads it there.
"""

from __future__ import annotations

import datetime
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.db.models import Max
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from core.statements import kept_rows
from core.versioning import office_cached

from .models import Consent, TermsVersion

SESSION_KEY = "terms_accepted"


def reconsent_url(service: str, next_url: str) -> str:
    return reverse("terms:reconsent", args=[service]) + "?" + urlencode({"next": next_url})


def _published(office, service: str) -> tuple:
    """(document id, number, effective from) of the office's published versions
    of `service`, kept while its gate version stands."""

    def build():
        return tuple(
            kept_rows(
                ("terms.gate.published", service),
                lambda given: (
                    TermsVersion.objects.published()
                    .filter(document__office=given["office"], document__service=service)
                    .values_list("document_id", "number", "effective_from")
                ),
                {"office": office.pk},
                stand_ins=lambda n: {"office": -7_000_000 - n},
            )
        )

    return office_cached("terms", (service,), office=office, build=build, version="gate_version")


def version_in_effect(office, service: str, now: datetime.datetime) -> tuple[int, int] | None:
    """(document id, number) of the version of `service` in effect at `office` at `now`."""
    in_effect = [(n, d) for d, n, effective in _published(office, service) if effective <= now]
    if not in_effect:
        return None
    number, document_id = max(in_effect)
    return document_id, number


def accepted_versions(user_ids) -> dict[int, dict[str, int]]:
    """Per person, the highest version number of each document they have accepted (document
    id as text, as the session keeps it): one query."""
    accepted: dict[int, dict[str, int]] = {pk: {} for pk in user_ids}
    rows = (
        Consent.objects.filter(user_id__in=list(accepted))
        .order_by()
        .values_list("user_id", "version__document_id")
        .annotate(number=Max("version__number"))
    )
    for user_id, document_id, number in rows:
        accepted[user_id][str(document_id)] = number
    return accepted


def keep_consents(session, user) -> None:
    """At sign-in: what the person has accepted goes into their session (one query), so the
    gate's steps read it there from the first (REQ NFR-4). Staff are not gated."""
    if user.is_staff:
        return
    session[SESSION_KEY] = {"user": user.pk, **accepted_versions([user.pk])[user.pk]}


def consent_missing(request, service: str, *, now: datetime.datetime | None = None) -> bool:
    """Whether the signed-in person has yet to accept the `service` terms in effect (the same
    answer as `terms.services.consent_needed`, from the session and cache when it can)."""
    user = request.user
    if user.office_id is None:
        return False
    current = version_in_effect(user.office, service, now or timezone.now())
    if current is None:
        return False
    document_id, number = current
    session = getattr(request, "session", None)
    kept = session.get(SESSION_KEY) if session is not None else None
    kept = kept if isinstance(kept, dict) and kept.get("user") == user.pk else {"user": user.pk}
    if kept.get(str(document_id), 0) >= number:
        return False
    accepted = Consent.objects.filter(
        user=user, version__document_id=document_id, version__number__gte=number
    ).exists()
    if accepted and session is not None:
        session[SESSION_KEY] = {**kept, str(document_id): number}
    return not accepted


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
            if not user.is_staff and consent_missing(request, service):
                return redirect(reconsent_url(service, request.get_full_path()))
            return view(request, *args, **kwargs)

        wrapped.terms_consent_service = service
        return wrapped

    return decorator
