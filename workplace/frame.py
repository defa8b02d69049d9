"""The admin frame of the day sheet and the call list, written once per person, page and
language (REQ STF-1, NFR-4).

The frame (Django's admin base: header, user tools, breadcrumbs, the kept sidebar, then the
workplace nav) was ~5 ms of template rendering a request, the same HTML each time for a
counselor on a page. What decides it is the key of `_FRAMES`: the language and time zone
offset, the page and its title, the office, the person's name, login ID, flags and whether
they have a usable password, the sidebar (itself a function of their permissions,
`pages._sidebar`) and the workplace links. What differs per request is put in at marks: the
messages, the subtitle, the page's body and the CSRF token of the log-out form.

Superusers (an office chooser with the day in it) get the whole template rendered, and so
does a page with nothing kept yet. Kept in each process's memory, a few tens of kB an entry.
"""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

# Marks that escaping never produces (`\x00` is in no value the pages show).
BODY, MESSAGES, SUBTITLE, CSRF = (
    mark_safe(f"\x00{name}\x00") for name in ("body", "messages", "subtitle", "csrf-token")
)

# The frame's context entries the page supplies; with the person's own, the key of `_FRAMES`.
FRAME_ENTRIES = (
    "title",
    "page",
    "site_title",
    "site_header",
    "site_url",
    "has_permission",
    "is_popup",
    "is_nav_sidebar_enabled",
    "nav_sidebar",
    "day_url",
    "week_url",
    "calls_url",
    "superuser",
)
_FRAMES: dict[tuple, tuple[str, str]] = {}
_FRAMES_KEPT = 2_000


def _key(request, context: dict) -> tuple:
    user = request.user
    office = context["office"]
    return (
        get_language(),
        date_format(timezone.now(), "Z"),
        bool(context.get("subtitle")),
        office.pk,
        office.name,
        user.pk,
        user.get_username(),
        user.get_short_name(),
        user.is_active,
        user.is_staff,
        user.has_usable_password(),
        *(str(context.get(name)) for name in FRAME_ENTRIES),
    )


def _frame(request, context: dict) -> tuple[str, str]:
    """The frame's HTML before and after the body, with marks for the messages, subtitle and
    CSRF token."""
    key = _key(request, context)
    found = _FRAMES.get(key)
    if found is None:
        frame = render_to_string(
            "admin/workplace/frame.html",
            {
                **{name: context.get(name) for name in FRAME_ENTRIES},
                "office": context["office"],
                "subtitle": SUBTITLE if context.get("subtitle") else "",
                "messages_mark": MESSAGES,
                "body_mark": BODY,
                "csrf_token": CSRF,
            },
            request,
        )
        before, after = frame.split(BODY)
        found = (before, after)
        if len(_FRAMES) >= _FRAMES_KEPT:
            _FRAMES.clear()
        _FRAMES[key] = found
    return found


def render_page(request, template: str, body: str, context: dict) -> HttpResponse:
    """The page `template` (which includes `body` in the workplace frame) for this request:
    the body rendered, the frame kept (`_frame`)."""
    if request.user.is_superuser:
        return TemplateResponse(request, template, context)
    before, after = _frame(request, context)
    # Messages waiting for this request are shown (and so used up) as the admin shows them.
    waiting = len(get_messages(request))
    messages = render_to_string("admin/workplace/_messages.html", {}, request) if waiting else ""
    marks = {
        MESSAGES: messages,
        SUBTITLE: escape(context.get("subtitle") or ""),
        CSRF: escape(get_token(request)),
    }
    for mark, value in marks.items():
        before, after = before.replace(mark, value), after.replace(mark, value)
    return HttpResponse(before + get_template(body).render(context) + after)
