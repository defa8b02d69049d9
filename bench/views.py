"""The same-bytes floor: the month page's bytes from memory, through the same middleware.

The first request of each worker renders the real month view once and keeps its bytes; every
later request, whatever booth it names, returns those bytes without touching the booking code
(the load spreads over thousands of booths; a page kept per booth would be rendered anew). What a page costs above this
floor is the page's own work; the floor itself is the price of the stack (session, auth,
CSRF, CSP, the account middleware).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from booths import views as booth_views

_pages: dict[str, bytes] = {}


@login_required
def floor(request: HttpRequest, booth_id: int, year: int, month: int) -> HttpResponse:
    content = _pages.get("month")
    if content is None:
        response = booth_views.month(request, booth_id=booth_id, year=year, month=month)
        if response.status_code != 200:
            return response
        content = _pages.setdefault("month", response.content)
    return HttpResponse(content)


def floor_anonymous(request: HttpRequest) -> HttpResponse:
    """The same bytes without a signed-in user (after a signed-in floor request filled them)."""
    content = next(iter(_pages.values()), b"<!doctype html><title>floor</title>" + b" " * 7500)
    return HttpResponse(content)
