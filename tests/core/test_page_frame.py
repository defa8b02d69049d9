"""The page frame's header and footer, rendered once a process with the person's name, the
page's path and the CSRF token put in for each page (REQ NFR-4, NFR-3, OFF-3)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import OfficeFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_the_header_shows_the_person_escaped_and_the_page_it_is_on():
    # REQ NFR-3: whatever a username holds is text, never markup
    person = UserFactory(username="a<b>&c")
    client = Client()
    client.force_login(person)
    profile = reverse("accounts:profile")
    html = client.get(profile + "?a=1&b=%22").content.decode()
    assert "a&lt;b&gt;&amp;c" in html and "a<b>" not in html
    assert f'name="next" type="hidden" value="{profile}?a=1&amp;b=%22"' in html
    assert "\x00" not in html


def test_every_page_load_carries_a_fresh_csrf_token_that_signs_out(settings):
    # REQ NFR-3: masked anew on each page (as Django's own tag does); the forms work
    person = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    first = TOKEN.findall(client.get(reverse("home")).content.decode())
    second = TOKEN.findall(client.get(reverse("home")).content.decode())
    assert first and second and first[0] != second[0]
    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": second[0]})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_header_follows_the_language_and_the_kind_of_viewer():
    # REQ OFF-3: one frame per language and viewer, never another's
    anonymous = Client().get(reverse("home")).content.decode()
    assert "ログイン" in anonymous or "サインイン" in anonymous
    staff = StaffFactory()
    client = Client()
    client.force_login(staff)
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("admin:index") in html
    seeker = Client()
    seeker.force_login(UserFactory())
    assert reverse("admin:index") not in seeker.get(reverse("home")).content.decode()


def test_the_footer_shows_the_office_as_it_is_now():
    # REQ OFF-3: the kept contact block is keyed by every detail it shows
    office = OfficeFactory(phone="0184-11-1111")
    client = Client()
    client.force_login(UserFactory(office=office))
    assert "0184-11-1111" in client.get(reverse("home")).content.decode()
    office.phone = "0184-22-2222"
    office.save()
    html = client.get(reverse("home")).content.decode()
    assert "0184-22-2222" in html and "0184-11-1111" not in html
