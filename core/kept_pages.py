"""Public pages kept as HTML once a process, keyed by everything they show (REQ NFR-4).

The month and day pages of both services were ~0.7–0.9 ms of template rendering a request
(the frame of templates/base.html, the banners, the navigation), the same HTML each time for
everyone who sees the same place, period and banners. `render_kept` renders such a page once
per key with marks where each request's own parts go, and puts them in, escaped: the person's
name, the page's path in the language form and the CSRF token (`page_tags.viewer_values`),
and the pieces of HTML the view already holds (the grid kept by `bookings.gridcache`).

The key is everything the page can show: the template, the language, the time zone, the
script prefix, the kind of viewer (signed in, staff), the footer's office and a fingerprint of
every context value (`fingerprint`: a model instance by all its loaded column values and the
related rows it carries, containers and dataclasses item by item). A value of a type it does
not know is refused, so a view can't hand a page something the key misses. The person and the
request reach the kept render only as stand-ins (`page_tags.viewer_stand_ins`): what else the
template reads of them renders empty, and the tests comparing the kept page with the whole
render would show it. Messages waiting, or no office for the footer: the whole template.

Kept in each process's memory, the least recently used dropped past `_PAGES_KEPT` entries of
~9 kB (the page without its grid as UTF-8, ~4 kB, and its key): under 30 MB, as the admin's
frames (workplace/frame.py). The benchmark's 2,000 people see ~1,100 booth months and ~1,900
days; a bound below what a process cycles through would keep none of them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import decimal
import enum
import re
from collections import OrderedDict

from django.contrib.messages import get_messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import get_language

from core.templatetags.page_tags import NAME, NEXT, TOKEN, viewer_stand_ins, viewer_values

_PAGES: OrderedDict[tuple, tuple] = OrderedDict()
_PAGES_KEPT = 3_000
_SCALARS = (
    int,
    float,
    bool,
    decimal.Decimal,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    type(None),
)


def forget_all() -> None:
    """Drop every kept page (tests start with none)."""
    _PAGES.clear()


def _piece_mark(name: str) -> str:
    return f"hw-piece-{name}"


def fingerprint(value, _rows: dict | None = None):
    """A hashable value equal for two inputs exactly when a template shows them alike (the
    language and time zone aside, which the key holds). Raises TypeError for a type it can't
    vouch for."""
    kind = type(value)
    if kind is str:
        return value
    if isinstance(value, SafeData):  # shown unescaped: not the same as the plain text
        return ("safe", str(value))
    if isinstance(value, Promise):  # a lazy translation, in the language of the key
        return ("lazy", str(value))
    if isinstance(value, datetime.datetime):
        return (kind, value.isoformat(), str(value.tzinfo))
    if isinstance(value, enum.Enum):  # a choice (TextChoices): shown as its value or label
        return (kind, value.value)
    if isinstance(value, _SCALARS):
        return (kind, value)
    rows = {} if _rows is None else _rows
    if isinstance(value, list | tuple):
        return (kind, *(fingerprint(item, rows) for item in value))
    if isinstance(value, dict):
        return (kind, *((key, fingerprint(item, rows)) for key, item in value.items()))
    if isinstance(value, Model):
        return _instance(value, rows)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return (kind, *(fingerprint(getattr(value, field.name), rows) for field in fields))
    raise TypeError(f"kept pages can't vouch for a {kind.__qualname__} in their key")


def _instance(instance: Model, rows: dict) -> tuple:
    """A row by its model, its loaded columns (a deferred one is not shown without a query,
    and these pages make none) and the related rows it carries (`booth.office`). A row met
    before in the same key (the office: the page's, the booth's, the footer's) is named by
    its place in the key: the same object shows the same."""
    seen = rows.get(id(instance))
    if seen is not None:
        return ("row", seen)
    rows[id(instance)] = len(rows)
    values = instance.__dict__
    opts = instance._meta
    loaded = [field.attname for field in opts.concrete_fields if field.attname in values]
    columns = tuple(values[name] for name in loaded)
    if len(loaded) < len(opts.concrete_fields):
        columns = (tuple(loaded), *columns)
    related = tuple(
        (name, None if other is None else _instance(other, rows))
        for name, other in instance._state.fields_cache.items()
    )
    return (opts.label, columns, related)


def render_kept(
    request: HttpRequest, template: str, context: dict, *, pieces: tuple[str, ...] = ()
) -> HttpResponse:
    """`render(request, template, context)`, from the page kept under everything it shows.

    `pieces` name context entries that are already HTML made for this request's values (the
    grid): they go in at marks instead of joining the key."""
    user = request.user
    office = getattr(user, "office", None) if getattr(user, "office_id", None) else None
    if office is None or len(get_messages(request)):
        return render(request, template, context)
    values = {name: context[name] for name in pieces}
    frame = {name: item for name, item in context.items() if name not in values}
    key = (
        template,
        get_language(),
        timezone.get_current_timezone_name(),
        get_script_prefix(),
        bool(user.is_staff),
        pieces,
        # The footer's contact (accounts.context_processors.site), and the context.
        fingerprint((office, frame)),
    )
    parts = _PAGES.get(key)
    if parts is None:
        parts = _kept(request, template, frame, pieces)
        _PAGES[key] = parts
        while len(_PAGES) > _PAGES_KEPT:
            try:
                _PAGES.popitem(last=False)
            except KeyError:  # another thread emptied it meanwhile
                break
    else:
        with contextlib.suppress(KeyError):  # dropped by another thread meanwhile
            _PAGES.move_to_end(key)
    given = viewer_values(request)
    for name, html in values.items():
        given[_piece_mark(name)] = html
    # Kept as UTF-8: the response's bytes without encoding the whole page again.
    return HttpResponse(
        b"".join(
            part if index % 2 == 0 else given[part].encode() for index, part in enumerate(parts)
        )
    )


def _kept(request: HttpRequest, template: str, context: dict, pieces: tuple) -> tuple:
    """The page rendered with marks, split at them: its text as UTF-8, mark name, text, …"""
    marks = (NAME, NEXT, TOKEN, *(_piece_mark(name) for name in pieces))
    html = render_to_string(
        template,
        {
            **context,
            **{name: mark_safe(f"\x00{_piece_mark(name)}\x00") for name in pieces},
            **viewer_stand_ins(request.user),
            "messages": (),
            "perms": None,
        },
        request,
    )
    pattern = "\x00(" + "|".join(re.escape(mark) for mark in marks) + ")\x00"
    parts = re.split(pattern, html)
    return tuple(part if index % 2 else part.encode() for index, part in enumerate(parts))
