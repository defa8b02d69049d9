"""Request middleware of the audit trail and of private admin searches (REQ STF-2, LOG-2)."""

from __future__ import annotations

import secrets

from django.contrib.admin.views.main import ERROR_FLAG
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponseRedirect, QueryDict
from django.urls import reverse
from pghistory import middleware as history_middleware

from .audit import VISITOR, acting_as

SEARCH_VAR = "q"
TOKEN_VAR = "qt"
SEARCH_MARKER = "_search"
SESSION_KEY = "core_admin_searches"
TOKENS_KEPT = 20
SEARCH_MAX_LENGTH = 200


class AuditContextMiddleware:
    """Every row written while handling a request is attributed to the request's user (the
    triggers read it from pghistory's context), and access records read the terminal
    identification from the request (REQ STF-2, LOG-1). pghistory's request classes carry a
    sign-in or sign-out during the request into the context, so what a person writes once
    signed in is theirs; before that (signing up, resetting a password) a visitor's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        with acting_as(request=request, label="" if signed_in else VISITOR):
            if isinstance(request, WSGIRequest):
                request.__class__ = history_middleware.WSGIRequest
            elif isinstance(request, ASGIRequest):
                request.__class__ = history_middleware.ASGIRequest
            return self.get_response(request)


def _admin_prefix() -> str:
    return reverse("admin:index")


def search_token_store(request, query: str) -> str:
    """Keep `query` in the session and return the short token that names it."""
    searches = dict(request.session.get(SESSION_KEY) or {})
    for token, value in searches.items():
        if value == query:
            return token
    token = secrets.token_urlsafe(9)
    searches[token] = query
    # The oldest go first: a session holds only the last few searches.
    request.session[SESSION_KEY] = dict(list(searches.items())[-TOKENS_KEPT:])
    return token


def search_token_query(request, token: str) -> str | None:
    session = getattr(request, "session", None)
    if session is None or not isinstance(token, str) or len(token) > 40:
        return None
    return (session.get(SESSION_KEY) or {}).get(token)


class AdminSearchMiddleware:
    """Admin searches by name or phone stay out of URLs, so out of access logs (REQ LOG-2).

    The admin's search box posts (`core/templates/admin/search_form.html`) the term with a
    `_search` marker. This middleware keeps the term in the session under a random token and
    redirects to the same page with `?qt=<token>` and the other list parameters; on
    that request `q` is put back into `request.GET` for the changelist, and
    `request.admin_search_token` tells the admin site to write `qt`, never `q`, into the
    links it builds (sorting, filters, paging, "back to the list"). A `?q=` typed into the
    address bar is moved to a token in the same way, so it is logged once at most.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # process_view, after CsrfViewMiddleware's: a forged search post is refused first.
        if request.path.startswith(_admin_prefix()):
            return self._handle(request)
        return None

    def _handle(self, request):
        if not hasattr(request, "session"):
            return None
        if request.method == "POST" and SEARCH_MARKER in request.POST:
            return self._redirect(request, request.POST.get(SEARCH_VAR, ""), request.GET)
        if request.method == "GET" and SEARCH_VAR in request.GET:
            return self._redirect(request, request.GET.get(SEARCH_VAR, ""), request.GET)
        token = request.GET.get(TOKEN_VAR)
        if token is not None:
            params = request.GET.copy()
            del params[TOKEN_VAR]
            query = search_token_query(request, token)
            if query is not None:
                params[SEARCH_VAR] = query
                request.admin_search_token = token
            request.GET = params
        return None

    def _redirect(self, request, query: str, base: QueryDict) -> HttpResponseRedirect:
        if not isinstance(query, str) or len(query) > SEARCH_MAX_LENGTH or "\x00" in query:
            # As the admin answers a wrong filter (REQ NFR-3): the plain list and a notice.
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        params = base.copy()
        for name in (SEARCH_VAR, TOKEN_VAR, "p", SEARCH_MARKER):
            params.pop(name, None)
        query = query.strip()
        if query:
            params[TOKEN_VAR] = search_token_store(request, query)
        url = request.path + (f"?{params.urlencode()}" if params else "")
        return HttpResponseRedirect(url)
