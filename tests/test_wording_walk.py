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
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import Resolver404, resolve

from accounts.models import Office, User
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
    "jis",  # the character standard's name (JIS X 0208)
    "https",  # the scheme a meeting link must use
    "markdown",  # the format terms are written in
}
# Format examples in help texts: NNNNN-NNNNNNNN (the job-seeker number).
PLACEHOLDER = re.compile(r"^N+(-N+)*$")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# A word of letters alone: not part of a code, a hash or a masked value (pbkdf2_sha256, aafe***).
WORD = re.compile(r"(?<![\w*])[A-Za-z][A-Za-z-]{2,}(?![\w*])")
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


def _login_id(login_id: str) -> re.Pattern:
    return re.compile(rf"(?<![\w.@-]){re.escape(login_id)}(?![\w@-])")


def _data_words() -> set[str]:
    """Codes the data holds, shown as they are: offices' codes, the staff role's name."""
    return {code.lower() for code in Office.objects.values_list("code", flat=True)} | {
        name.lower() for name in Group.objects.values_list("name", flat=True)
    }


def _problems(text: str, login_ids: set[str], shown_ids: set[str] = frozenset()) -> list[str]:
    """What is wrong with a page's visible text. `shown_ids`: login IDs the page shows as
    what they are (the person's own profile)."""
    data_words = _data_words()
    found = [f"ISO date {m}" for m in ISO_DATE.findall(text)]
    found += [f"login ID {i!r}" for i in sorted(login_ids - shown_ids) if _login_id(i).search(text)]
    plain = URL.sub(" ", EMAIL.sub(" ", text))
    for login_id in login_ids:
        plain = _login_id(login_id).sub(" ", plain)
    english = {
        w
        for w in WORD.findall(plain)
        if w.lower() not in ALLOWED_WORDS | data_words and not PLACEHOLDER.match(w)
    }
    found += [f"English {w!r}" for w in sorted(english)]
    return found


def _url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def walk(client, starts: list[str], login_ids: set[str], shown_on=None) -> dict[str, list]:
    """Problems by address. `shown_on`: {path prefix: login IDs that page shows as such}."""
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
            location = urlsplit(response["Location"])
            queue.append(location.path + (f"?{location.query}" if location.query else ""))
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = VisibleText()
        parser.feed(response.content.decode())
        shown = set().union(
            *(ids for prefix, ids in (shown_on or {}).items() if url.startswith(prefix))
        )
        found = _problems(parser.text, login_ids, shown)
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
    # REQ NFR-1: the person's own login ID is shown on their profile, as what it is.
    login_client(client, User.objects.get(username=username))
    problems = walk(client, PERSON_STARTS, demo, shown_on={"/me/": {username}})
    assert not problems, _report(problems)


def test_a_counselors_admin_in_japanese_has_no_english_iso_dates_or_login_ids(client, demo):
    # REQ NFR-1, STF-1: staff read people by their names, dates the Japanese way.
    me = "counselor-goshogawara"
    login_client(client, User.objects.get(username=me))
    # The accounts' own pages show the login ID as one of its fields; the profile, one's own.
    problems = walk(
        client, _admin_starts(), demo, shown_on={"/admin/accounts/user/": demo, "/me/": {me}}
    )
    assert not problems, _report(problems)
