"""Every page a person or a counselor reaches, walked in Japanese: no leftover English word of
the page's own wording, no ISO date and no login ID where a name belongs (REQ NFR-1, STF-1).

The walk starts from the top page, the person's pages and the admin index and follows every
link of the site it finds (GET only), at most a few addresses per URL name, on the demo data.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import Resolver404, resolve

from accounts.models import User
from tests.auth import login_client

pytestmark = pytest.mark.django_db

PER_URL_NAME = 2
# Addresses that are not pages to read: downloads, the language switch, signing out, the
# admin's JavaScript catalogue.
SKIPPED = re.compile(
    r"^/(static|i18n|health)/|/jsi18n/|\.ics$|/ics/|/csv/|format=csv|/logout/|/autocomplete/"
)
# Names and acronyms that are not English wording: the video tools' names, the site's name in
# Latin letters where the design writes it so, units and codes.
ALLOWED_WORDS = {
    "zoom",
    "elmo",
    "tumo",
    "e-tumo",
    "url",
    "id",
    "csv",
    "ics",
    "pdf",
    "ok",
    "totp",
    "webauthn",
    "email",
    "wi-fi",
    "svg",
}
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
WORD = re.compile(r"[A-Za-z][A-Za-z-]{2,}")
EMAIL = re.compile(r"\S+@\S+")
URL = re.compile(r"https?://\S+|\b[\w.-]+\.(?:jp|com|example|test|net|org)\S*")


class VisibleText(HTMLParser):
    """The text a person reads: text nodes and the values of buttons, outside scripts, styles,
    hidden elements and passages marked as another language (`lang="en"`: the switch to
    English names its language in English on purpose)."""

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        hidden = (
            tag in {"script", "style", "template", "noscript"}
            or "hidden" in attrs
            or (attrs.get("lang") or "ja")[:2] != "ja"
        )
        if tag == "input" and attrs.get("type") in {"submit", "button"} and not self._hidden():
            self.parts.append(attrs.get("value") or "")
        if tag not in self.VOID:
            self.stack.append(hidden)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def _hidden(self) -> bool:
        return any(self.stack)

    def handle_data(self, data):
        if not self._hidden():
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def _problems(text: str, login_ids: set[str]) -> list[str]:
    found = [f"ISO date {m}" for m in ISO_DATE.findall(text)]
    found += [
        f"login ID {login_id!r}"
        for login_id in login_ids
        if re.search(rf"(?<![\w.@-]){re.escape(login_id)}(?![\w@-])", text)
    ]
    plain = URL.sub(" ", EMAIL.sub(" ", text))
    english = {w for w in WORD.findall(plain) if w.lower() not in ALLOWED_WORDS}
    found += [f"English {w!r}" for w in sorted(english)]
    return found


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def walk(client, starts: list[str], login_ids: set[str], skip_login_id_on=()) -> dict[str, list]:
    seen: set[str] = set()
    per_name: Counter = Counter()
    queue = list(starts)
    problems: dict[str, list] = {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        name = _url_name(urlsplit(url).path)
        if name is None or per_name[name] >= PER_URL_NAME:
            continue
        per_name[name] += 1
        response = client.get(url)
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = VisibleText()
        parser.feed(response.content.decode())
        ids = set() if any(url.startswith(p) for p in skip_login_id_on) else login_ids
        found = _problems(parser.text, ids)
        if found:
            problems[url] = found
        for href in parser.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc not in ("", "testserver") or SKIPPED.search(target):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                queue.append(target)
    return problems


@pytest.fixture
def demo(db):
    call_command("demo", stdout=io.StringIO())
    return set(User.objects.exclude(username="").values_list("username", flat=True))


def _admin_starts() -> list[str]:
    """Every changelist and add form the admin has, besides what the index links to."""
    starts = ["/admin/"]
    for model in admin.site._registry:
        opts = model._meta
        starts.append(f"/admin/{opts.app_label}/{opts.model_name}/")
        starts.append(f"/admin/{opts.app_label}/{opts.model_name}/add/")
    return starts


PUBLIC_STARTS = [
    "/",
    "/consultations/",
    "/booths/",
    "/terms/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]
PERSON_STARTS = [*PUBLIC_STARTS, "/me/", "/reservations/"]


def _report(problems: dict[str, list]) -> str:
    return "\n".join(f"{url}: {', '.join(found)}" for url, found in sorted(problems.items()))


def test_public_pages_in_japanese_have_no_english_iso_dates_or_login_ids(client, demo):
    # REQ NFR-1
    problems = walk(client, PUBLIC_STARTS, demo)
    assert not problems, _report(problems)


@pytest.mark.parametrize("username", ["seeker", "employer"])
def test_a_persons_pages_in_japanese_have_no_english_iso_dates_or_login_ids(client, demo, username):
    # REQ NFR-1: the person's own login ID is shown once, on their profile, as what it is.
    login_client(client, User.objects.get(username=username))
    problems = walk(client, PERSON_STARTS, demo - {username} | set(), skip_login_id_on=["/me/"])
    assert not problems, _report(problems)


def test_a_counselors_admin_in_japanese_has_no_english_iso_dates_or_login_ids(client, demo):
    # REQ NFR-1, STF-1: staff read people by their names, dates the Japanese way.
    login_client(client, User.objects.get(username="counselor-goshogawara"))
    problems = walk(client, _admin_starts(), demo)
    assert not problems, _report(problems)
