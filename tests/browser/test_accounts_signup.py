"""A new job seeker and a new employer, as they would do it in a browser (REQ REG-1, REG-2)."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import User
from tests.a11y import assert_accessible
from tests.accounts.flows import delivered_link, employer_data, job_seeker_data
from tests.factories import DEFAULT_PASSWORD, OfficeFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _fill(page, values: dict) -> None:
    for name, value in values.items():
        page.fill(f"[name={name}]", value)


def _verify_sign_in_and_edit(page, live_server, username: str, new_phone: str) -> None:
    expect(page.locator("h1")).to_be_visible()
    assert "/accounts/confirm-email/" in page.url
    assert_accessible(page)

    # Mails link under SITE_URL; the browser opens the same path on the test server.
    page.goto(re.sub(r"^https?://[^/]+", live_server.url, delivered_link()))
    assert_accessible(page)
    page.locator("main button[type=submit]").click()

    page.goto(live_server.url + "/accounts/login/")
    assert_accessible(page)
    _fill(page, {"login": username, "password": DEFAULT_PASSWORD})
    page.locator("main button[type=submit]").click()
    page.goto(live_server.url + "/me/")
    expect(page.locator("main")).to_contain_text(username)
    assert_accessible(page)

    page.locator("main a[href='/me/edit/']").click()
    assert_accessible(page)
    page.fill("[name=phone]", new_phone)
    page.locator("main button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("0173-11-2233")
    assert_accessible(page)


def _fill_signup(page, data: dict) -> None:
    for name, value in data.items():
        if name == "office":
            page.select_option("[name=office]", str(value))
        elif name.endswith("_status"):
            page.check(f"input[name={name}][value={value}]")
        elif name == "accept_terms":
            page.check("[name=accept_terms]")
        else:
            page.fill(f"[name={name}]", value)
    page.locator("main button[type=submit]").click()


@pytest.mark.parametrize(
    "signup_path, make_data, username, number_field, number",
    [
        ("/accounts/signup/", job_seeker_data, "hanako", "jobseeker_number", "02010-12345678"),
        ("/me/signup/employer/", employer_data, "hr-sato", "establishment_number", "0201-123456-7"),
    ],
    ids=["job_seeker", "employer"],
)
def test_a_new_user_signs_up_verifies_signs_in_and_edits_the_profile(
    live_server, page, signup_path, make_data, username, number_field, number
):
    # REQ REG-1, REG-2, NFR-2: job seeker and employer, each page checked by axe.
    office = OfficeFactory(name="五所川原公共職業安定所")
    page.goto(live_server.url + signup_path)
    assert_accessible(page)
    _fill_signup(page, make_data(office))
    _verify_sign_in_and_edit(page, live_server, username, "０１７３－１１－２２３３")
    user = User.objects.get(username=username)
    assert (getattr(user, number_field), user.phone) == (number, "0173-11-2233")


def test_a_rejected_character_is_named_next_to_the_field(live_server, page):
    # REQ CHR-2, NFR-2
    OfficeFactory()
    page.goto(live_server.url + "/accounts/signup/")
    page.fill("[name=last_name]", "髙田")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text("「髙」")
    expect(page.locator(".field-error").filter(has_text="「髙」").first).to_be_visible()
    assert_accessible(page)
