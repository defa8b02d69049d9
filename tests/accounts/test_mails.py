"""Every mail names the site from the configuration, never "example.com" (REQ NTF-1)."""

from pathlib import Path
from urllib.parse import urlsplit

import allauth
import pytest
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.models import Site
from django.test import RequestFactory
from django.utils import timezone

from accounts.adapter import AccountAdapter
from core.models import OutboxMessage
from tests.accounts.flows import job_seeker_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
PREFIXES = sorted(
    str(path.relative_to(ALLAUTH_TEMPLATES)).removesuffix("_subject.txt")
    for folder in ("account/email", "mfa/email")
    for path in (ALLAUTH_TEMPLATES / folder).glob("*_subject.txt")
)
FORBIDDEN = ["example.com", "None", "{{", "}}", "{%", "%}"]


def _assert_clean(message: OutboxMessage) -> None:
    text = message.subject + "\n" + message.body + "\n" + message.html_body
    for needle in FORBIDDEN:
        assert needle not in text, (needle, text)


def test_the_sites_row_follows_the_settings_after_migrate():
    # REQ NTF-1: a fresh database says example.com until something writes it.
    site = Site.objects.get_current()
    assert site.domain == urlsplit(settings.SITE_URL).netloc
    assert site.name == settings.SITE_NAME


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_allauth_mail_names_the_configured_site(prefix, office, settings):
    # REQ NTF-1: the sign-up mail greeted people from "example.com" three times.
    settings.SITE_URL = "https://hellowork.example.jp"
    settings.SITE_NAME = "ハローワーク オンライン相談"
    Site.objects.filter(pk=settings.SITE_ID).update(domain="example.com", name="example.com")
    Site.objects.clear_cache()
    user = UserFactory(office=office, username="hanako", email="hanako@example.jp")
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    request.user = user
    context = {
        "user": user,
        "username": user.username,
        "user_display": user.username,
        "activate_url": settings.SITE_URL + "/accounts/confirm-email/KEY/",
        "key": "KEY",
        "password_reset_url": settings.SITE_URL + "/accounts/password/reset/key/1-KEY/",
        "signup_url": settings.SITE_URL + "/accounts/signup/",
        "code": "ABC123",
        "email": user.email,
        "from_email": "old@example.jp",
        "to_email": user.email,
        "deleted_email": "old@example.jp",
        "ip": "203.0.113.9",
        "user_agent": "Browser/1",
        "timestamp": timezone.now(),
    }
    with allauth_context.request_context(request):
        AccountAdapter().send_mail(prefix, user.email, context)
    message = OutboxMessage.objects.get()
    _assert_clean(message)
    template = (ALLAUTH_TEMPLATES / f"{prefix}_message.txt").read_text()
    if "base_message" in template or "base_notification" in template:
        assert settings.SITE_NAME in message.body


def test_the_sign_up_mail_links_to_site_url_and_greets_with_the_site_name(client, office, settings):
    # REQ NTF-1, REG-1
    settings.SITE_URL = "https://hellowork.example.jp"
    client.post("/accounts/signup/", job_seeker_data(office))
    message = OutboxMessage.objects.get(to=["hanako@example.jp"])
    _assert_clean(message)
    assert settings.SITE_NAME in message.body
    assert "https://hellowork.example.jp/accounts/confirm-email/" in message.body


def test_the_password_reset_mail_links_to_site_url(client, office, settings):
    # REQ NTF-1, REG-4
    settings.SITE_URL = "https://hellowork.example.jp"
    UserFactory(office=office, email="taro@example.jp")
    client.post("/accounts/password/reset/", {"email": "taro@example.jp"})
    message = OutboxMessage.objects.get(to=["taro@example.jp"])
    _assert_clean(message)
    assert "https://hellowork.example.jp/accounts/password/reset/key/" in message.body
