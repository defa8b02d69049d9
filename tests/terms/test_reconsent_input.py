"""The re-consent page answers every input without a 5xx (REQ NFR-3, TRM-4)."""

import pytest
from django.urls import reverse

from terms.models import Consent
from tests.terms.factories import ConsentFactory

pytestmark = pytest.mark.django_db

URL = "/terms/accept/booth/"

UNSAFE_NEXT = [
    "nosuchview",  # redirect() took a bare word for a view name: NoReverseMatch, 500
    "home",
    "booths:index",
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "javascript:alert(1)",
    " /booths/",
    "/booths/\x00",
    "/booths/\r\nSet-Cookie: x=1",
    "/" + "a" * 5000,
    "http:///evil.example",
]


@pytest.mark.parametrize("next_url", UNSAFE_NEXT)
def test_an_unsafe_next_goes_home_when_nothing_is_needed(client, v2, user, next_url):
    # REQ NFR-3: consent is current, so the page only redirects: to "/" for anything unsafe.
    ConsentFactory(version=v2, user=user)
    client.force_login(user)
    response = client.get(URL, {"next": next_url})
    assert response.status_code == 302
    assert response.url == "/"


@pytest.mark.parametrize("next_url", UNSAFE_NEXT)
def test_accepting_with_an_unsafe_next_records_once_and_goes_home(client, v2, user, next_url):
    # REQ NFR-3, TRM-4: the target is decided before the consent is saved; never a 500
    # after the save.
    client.force_login(user)
    response = client.post(URL, {"decision": "accept", "accept": "on", "next": next_url})
    assert response.status_code == 302
    assert response.url == "/"
    assert Consent.objects.filter(user=user, version=v2).count() == 1


def test_a_safe_local_next_is_kept(client, v2, user):
    # REQ TRM-4
    client.force_login(user)
    response = client.post(
        URL, {"decision": "accept", "accept": "on", "next": "/booths/?month=2026-12#day"}
    )
    assert response.url == "/booths/?month=2026-12#day"


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "accept", "accept": "\x00"},
        {"decision": "accept\x00", "accept": "on"},
        {"decision": "x" * 100_000},
        {"decision": ["accept", "decline"], "accept": ["on", "off"]},
        {"accept": "on"},
        {},
        {"next": ["/a", "/b"], "decision": "decline"},
    ],
)
def test_malformed_posts_answer_the_form_or_a_redirect(client, v2, user, data):
    # REQ NFR-3: fuzzed fields answered 500.
    client.force_login(user)
    response = client.post(URL, data, HTTP_USER_AGENT="Fuzz\x00Browser", REMOTE_ADDR="::1")
    assert response.status_code in (200, 302)


def test_an_unknown_service_is_not_found(client, user):
    # REQ NFR-3
    client.force_login(user)
    assert client.get("/terms/accept/nosuchservice/").status_code == 404
    assert client.get(reverse("terms:reconsent", args=["x" * 300])).status_code == 404
