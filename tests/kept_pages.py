"""Checking a kept page (core.kept_pages) against the whole template's render of it."""

from __future__ import annotations

import re

from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.middleware.csrf import _does_token_match
from django.shortcuts import render
from django.test import RequestFactory

from core import kept_pages

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _whole(request, template, context, *, pieces=()):
    return render(request, template, context)


def kept_page(client, url: str, monkeypatch, views, **extra) -> str:
    """The page at `url`, asked three times: kept (built or found), kept (found), and rendered
    whole by `views` (the module whose `render_kept` is swapped for `render`). The three must be
    the same bytes but for the CSRF tokens, which are masked afresh each time and must each be
    this client's."""
    first = client.get(url, **extra)
    count = len(kept_pages._PAGES)
    assert count >= 1
    again = client.get(url, **extra)
    assert len(kept_pages._PAGES) == count  # found, not built again
    with monkeypatch.context() as patch:
        patch.setattr(views, "render_kept", _whole)
        whole = client.get(url, **extra)
    assert first.status_code == again.status_code == whole.status_code == 200
    secret = client.cookies["csrftoken"].value
    pages = []
    for response in (first, again, whole):
        html = response.content.decode()
        tokens = TOKEN.findall(html)
        assert tokens and all(_does_token_match(token, secret) for token in tokens)
        pages.append(TOKEN.sub('name="csrfmiddlewaretoken" value=""', html))
    assert pages[0] == pages[1] == pages[2]
    return pages[0]


def leave_message(client, text: str) -> None:
    """A message waiting for the next page, as a view leaves one before a redirect."""
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies[storage.cookie_name] = storage._encode([Message(constants.SUCCESS, text)])
