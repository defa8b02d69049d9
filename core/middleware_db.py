"""A clear 503 page while the database cannot be reached (REQ NFR-3; issue 11).

When PostgreSQL restarts or fails over, every request fails on its first query: in a view, or
earlier, in the middleware that loads the session. Django then calls the URLconf's handler500
while the exception is being handled; `server_error` below answers 503 with Retry-After and a
static page (no database, no context processors) when that exception is the database being
unavailable, and Django's own 500 page otherwise. Nothing was saved by a request that failed
this way: its transaction never committed. The servers need no restart afterwards: with
CONN_HEALTH_CHECKS each worker drops its broken connection on the next request.

Install with `handler500 = "core.middleware_db.server_error"` in the root URLconf.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views import defaults

RETRY_AFTER_SECONDS = 30

PAGE = """<!DOCTYPE html>
<html lang="ja">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>ただいま利用できません | Hello Work Online</title>
  <link rel="stylesheet" href="/static/css/site.css">
</head>
<body>
  <main id="main" class="container">
    <h1>ただいま一時的に利用できません</h1>
    <p>システムの保守または障害のため、少しの間つながりにくくなっています。30秒ほど待ってから、もう一度お試しください。この画面が出た操作は保存されていません。急ぎの用件は、管轄のハローワークへ電話でご連絡ください。</p>
    <h2 lang="en">Temporarily unavailable</h2>
    <p lang="en">The service cannot reach its database for a moment. Please try again in about 30 seconds. What you just sent was not saved. For anything urgent, phone your Hello Work office.</p>
    <p><a href="/">トップページへ / Top page</a></p>
  </main>
</body>
</html>
"""


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error`, or an exception it was raised from, is the database being unreachable."""
    seen = 0
    while error is not None and seen < 10:  # a bounded walk along the chain
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def unavailable_response() -> HttpResponse:
    response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: 503 while the database is unreachable, Django's 500 page otherwise."""
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response()
    return defaults.server_error(request, template_name=template_name)
