"""What staff change on an account in the admin reaches allauth and the records (REQ REG-1,
REG-4, LOG-1, NFR-3)."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts.models import SignInEvent, SignInRecord, User
from core.models import OutboxMessage
from tests.accounts.test_admin_mfa import _change_form_data
from tests.auth import login_client, staff_with_mfa
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, office):
    login_client(client, staff_with_mfa(office=office, is_superuser=True))
    return client


def test_an_email_changed_in_the_admin_replaces_allauths_address(admin_client, office):
    # REQ REG-1 (issue 10.16): allauth's EmailAddress stayed on the old address, so sign-in
    # by e-mail and password reset still went to it.
    seeker = UserFactory(office=office, email="old@example.jp")
    url = reverse("admin:accounts_user_change", args=[seeker.pk])
    data = _change_form_data(admin_client.get(url))
    response = admin_client.post(url, {**data, "email": "new@example.jp"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    addresses = list(EmailAddress.objects.filter(user=seeker).values_list("email", "primary"))
    assert addresses == [("new@example.jp", True)]
    assert not EmailAddress.objects.get(user=seeker).verified
    assert OutboxMessage.objects.filter(to=["new@example.jp"]).exists()  # verification link


def test_an_email_of_another_account_is_refused_in_the_admin(admin_client, office):
    # REQ NFR-3: an IntegrityError (500) or two accounts on one address otherwise.
    UserFactory(office=office, email="taken@example.jp")
    seeker = UserFactory(office=office)
    url = reverse("admin:accounts_user_change", args=[seeker.pk])
    data = _change_form_data(admin_client.get(url))
    response = admin_client.post(url, {**data, "email": "TAKEN@example.jp"})
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors


def test_a_password_set_in_the_admin_resets_its_age_and_is_recorded(admin_client, office):
    # REQ REG-4, LOG-1
    long_ago = timezone.now() - timedelta(days=400)
    seeker = UserFactory(office=office)
    User.objects.filter(pk=seeker.pk).update(password_changed_at=long_ago)
    url = reverse("admin:auth_user_password_change", args=[seeker.pk])
    response = admin_client.post(
        url, {"password1": "a-new-password-2026", "password2": "a-new-password-2026"}
    )
    assert response.status_code == 302
    seeker.refresh_from_db()
    assert seeker.check_password("a-new-password-2026")
    assert seeker.password_changed_at > long_ago + timedelta(days=399)
    assert SignInRecord.objects.filter(user=seeker, event=SignInEvent.PASSWORD_CHANGED).exists()
