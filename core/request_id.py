"""A request id on every log line and every response (REQ NFR-6).

`RequestIdMiddleware` (first in MIDDLEWARE) takes the proxy's `X-Request-ID` when it is
well-formed (8 to 64 letters, digits, dots, dashes, underscores: a UUID, nginx's
`$request_id`), or makes a new one; anything else a client sends (text, line breaks, a name)
is replaced, so it can't forge log lines or carry personal data into them (REQ LOG-2). The id
is echoed in the response's `X-Request-ID`, which gunicorn's access log prints
(gunicorn.conf.py), and `RequestIdFilter` puts it on every log record made while the request
is handled ("-" outside a request: the worker, commands). Error reports carry it as a tag.

The id is forgotten at `request_finished`, not when the middleware returns: Django logs a 4xx
or 5xx response ("Not Found: …") after the middleware chain has returned it.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

import sentry_sdk
from django.core.signals import request_finished

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
NO_REQUEST = "-"

current_request_id: ContextVar[str] = ContextVar("current_request_id", default=NO_REQUEST)


def request_id_from(incoming: str | None) -> str:
    """The caller's id if it is well-formed, else a new one."""
    if incoming and WELL_FORMED.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        sentry_sdk.set_tag("request_id", request_id)
        current_request_id.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _request_done(**kwargs) -> None:
    current_request_id.set(NO_REQUEST)


request_finished.connect(_request_done, dispatch_uid="core.request_id.request_done")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record, for the formatter's `%(request_id)s`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
