"""Tags of the page frame (templates/base.html)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.middleware.csrf import get_token
from django.urls import get_script_prefix
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

HEADER_NAV = "includes/header_nav.html"
OFFICE_CONTACT = "includes/office_contact.html"

# What differs between people and pages, rendered as markers and put in afterwards, escaped.
NAME, NEXT, TOKEN = "hw-name", "hw-next", "hw-csrf"
_NAME, _NEXT, _TOKEN = (f"\x00{mark}\x00" for mark in (NAME, NEXT, TOKEN))
# The rendered frame parts of this process, by everything else they show: a few per language.
_frames: dict[tuple, str] = {}


@dataclass(frozen=True)
class _Viewer:
    is_authenticated: bool
    is_staff: bool

    def get_username(self) -> str:
        return _NAME


@dataclass(frozen=True)
class _Page:
    def get_full_path(self) -> str:
        return _NEXT


def _frame(engine, key: tuple, name: str, context: dict) -> str:
    html = _frames.get(key)
    if html is None:
        html = _frames.setdefault(key, engine.get_template(name).render(template.Context(context)))
    return html


def viewer_stand_ins(user) -> dict:
    """Context entries that stand in for the person and the request when a whole page is kept
    (core.kept_pages): the header's links then keep their marks, which `viewer_values` fill."""
    return {
        "user": _Viewer(bool(user.is_authenticated), bool(user.is_authenticated and user.is_staff)),
        "request": _Page(),
        "csrf_token": _TOKEN,
    }


def viewer_values(request) -> dict[str, str]:
    """What goes in at the marks for this request (the person's name, the page's path, the CSRF
    token), each escaped."""
    user = request.user
    return {
        NAME: conditional_escape(user.display_name) if user.is_authenticated else "",
        NEXT: conditional_escape(request.get_full_path()),
        TOKEN: conditional_escape(get_token(request)),
    }


@register.simple_tag(takes_context=True)
def header_nav(context) -> str:
    """The header's links (REQ NFR-4): rendered once a process for each language and kind of
    viewer with markers where the person's name, the page's path and the CSRF token go, which
    are put in, escaped, for each page. The page shows the result twice (the wide row and the
    phone's menu)."""
    done = context.render_context.get(HEADER_NAV)
    if done is not None:
        return done
    user, request = context["user"], context["request"]
    kept = isinstance(user, _Viewer)  # a kept page (core.kept_pages): its marks stay
    viewer = user if kept else viewer_stand_ins(user)["user"]
    language = get_language()
    frame = _frame(
        context.template.engine,
        (HEADER_NAV, language, get_script_prefix(), viewer),
        HEADER_NAV,
        {"user": viewer, "request": _Page(), "csrf_token": _TOKEN, "LANGUAGE_CODE": language},
    )
    html = frame
    if not kept:
        for mark, value in viewer_values(request).items():
            html = html.replace(f"\x00{mark}\x00", value)
    # The frame is our template's output; what goes in is escaped.
    html = mark_safe(html)
    context.render_context[HEADER_NAV] = html
    return html


@register.simple_tag(takes_context=True)
def office_contact(context, office) -> str:
    """An office's contact block, rendered once a process for each office's details and
    language: the key holds every field the block shows."""
    details = (office.name, office.address, office.phone, office.email)
    hours = (office.opens_at, office.closes_at)
    return _frame(
        context.template.engine,
        (OFFICE_CONTACT, get_language(), *details, *hours),
        OFFICE_CONTACT,
        {"office": office},
    )
