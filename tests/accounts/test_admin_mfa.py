"""The admin requires staff status and a second factor; sign-in goes through allauth (REG-8)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.auth import TOTP_SECRET, login_client, staff_with_mfa, totp_code
from tests.factories import DEFAULT_PASSWORD, OfficeFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"


def test_anonymous_admin_visitors_sign_in_through_allauth(client):
    # REQ REG-8: allauth's sign-in (and its rate limits), then back to the admin.
    response = client.get(ADMIN, follow=True)
    final = response.redirect_chain[-1][0]
    assert urlsplit(final).path == reverse("account_login")
    assert parse_qs(urlsplit(final).query)["next"] == [ADMIN]


def test_the_admin_refuses_a_staff_user_without_a_second_factor(client, office):
    # REQ REG-8
    staff = StaffFactory(office=office)
    client.post(reverse("account_login"), {"login": staff.username, "password": DEFAULT_PASSWORD})
    assert int(client.session["_auth_user_id"]) == staff.pk
    response = client.get(ADMIN, follow=True)
    # Sent to enrol an authenticator (allauth asks for the password again first).
    assert (
        reverse("mfa_activate_totp")
        in parse_qs(urlsplit(response.redirect_chain[-1][0]).query)["next"][0]
    )
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 302


def test_staff_sign_in_with_password_and_totp_reaches_the_admin(client, office):
    # REQ REG-8: the full allauth flow, with the TOTP stage.
    staff = staff_with_mfa(office=office, is_superuser=True)
    response = client.post(
        reverse("account_login"), {"login": staff.username, "password": DEFAULT_PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone is not enough
    code = totp_code(TOTP_SECRET)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.get(ADMIN).status_code == 200


def test_a_staff_session_without_the_second_factor_step_must_reauthenticate(client, office):
    # REQ REG-8: having an authenticator is not enough; this session must have used it.
    staff = staff_with_mfa(office=office)
    client.force_login(staff)
    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("mfa_reauthenticate"))


def test_the_admin_refuses_people_who_are_not_staff(client, office):
    # REQ REG-8
    client.force_login(UserFactory(office=office))
    response = client.get(ADMIN, follow=True)
    assert response.status_code == 403


def test_a_suspended_staff_member_is_locked_out_of_the_admin(client, office):
    # REQ REG-7, REG-8
    from accounts.services import user_suspend

    staff = staff_with_mfa(office=office)
    login_client(client, staff)
    assert client.get(ADMIN).status_code == 200
    user_suspend(user=staff, by=StaffFactory(office=office), reason="other")
    assert client.get(ADMIN).status_code == 302


def test_staff_see_only_their_own_offices_people(client, office):
    # REQ STF-2, NFR-3: another office's user does not exist for them.
    from django.contrib.auth.models import Permission

    staff = staff_with_mfa(office=office)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    mine = UserFactory(office=office)
    theirs = UserFactory(office=OfficeFactory())
    login_client(client, staff)
    changelist = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert mine.username in changelist and theirs.username not in changelist
    response = client.get(reverse("admin:accounts_user_change", args=[theirs.pk]))
    assert response.status_code == 302  # "does not exist", back to the index
    response = client.post(
        reverse("admin:accounts_user_change", args=[theirs.pk]), {"username": "taken-over"}
    )
    theirs.refresh_from_db()
    assert theirs.username != "taken-over"


def test_staff_cannot_hand_out_staff_rights(client, office):
    # REQ REG-8: only superusers grant is_staff / is_superuser.
    from django.contrib.auth.models import Permission

    staff = staff_with_mfa(office=office)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    login_client(client, staff)
    form = client.get(reverse("admin:accounts_user_change", args=[staff.pk])).context["adminform"]
    assert "is_superuser" in form.readonly_fields


@pytest.mark.django_db(transaction=True)
def test_enrolling_an_authenticator_app_opens_the_admin(client, office):
    # Transactional: allauth announces the new authenticator on commit, inside the request.
    # REQ REG-8: the staff member without a factor enrols one, then uses the admin.
    staff = StaffFactory(office=office)
    client.post(reverse("account_login"), {"login": staff.username, "password": DEFAULT_PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    code = totp_code(secret)
    assert client.get(ADMIN).status_code == 302
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert client.get(ADMIN).status_code == 200


def _change_form_data(response) -> dict:
    """The values an admin change form shows, ready to post back."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif hasattr(value, "astimezone"):  # the admin splits date and time
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = (
                local.date().isoformat(),
                local.strftime("%H:%M:%S"),
            )
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = getattr(value, "pk", value)
    return data


def test_staff_cannot_move_anyone_to_another_office(client, office):
    # REQ STF-2, OFF-1: moving a person (or oneself) would open another office's data.
    from django.contrib.auth.models import Permission

    staff = staff_with_mfa(office=office)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    seeker = UserFactory(office=office)
    elsewhere = OfficeFactory(code="elsewhere")
    login_client(client, staff)
    for person in (seeker, staff):
        url = reverse("admin:accounts_user_change", args=[person.pk])
        page = client.get(url)
        assert 'name="office"' not in page.content.decode()
        data = _change_form_data(page)
        client.post(url, {**data, "office": elsewhere.pk, "last_name": "更新"})
        person.refresh_from_db()
        assert person.office_id == office.pk
    assert seeker.last_name == "更新"  # the rest of the form still saves


def test_admin_sign_in_never_redirects_to_another_site(client, office):
    # REQ NFR-3: no open redirect through ?next=
    staff = staff_with_mfa(office=office)
    login_client(client, staff)
    response = client.get(reverse("admin:login") + "?next=https://evil.example/x")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    inside = client.get(reverse("admin:login") + "?next=/admin/booths/")
    assert inside["Location"] == "/admin/booths/"


def test_nobody_hard_deletes_accounts_in_the_admin(client, office):
    # REQ REG-5: accounts are erased by anonymising them, which keeps counts and consents.
    admin_user = staff_with_mfa(office=office, is_superuser=True)
    seeker = UserFactory(office=office)
    login_client(client, admin_user)
    response = client.post(reverse("admin:accounts_user_delete", args=[seeker.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert type(seeker).objects.filter(pk=seeker.pk).exists()


def test_the_second_step_offers_no_security_key_to_someone_without_one(client, office):
    # REQ REG-8, NFR-2: only what the person enrolled is offered; an app's code here
    staff = staff_with_mfa(office=office)
    client.post(reverse("account_login"), {"login": staff.username, "password": DEFAULT_PASSWORD})
    page = client.get(reverse("mfa_authenticate"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="code"' in html
    assert "mfa_webauthn_authenticate" not in html
    assert not page.context["form"].takes_security_key
    assert page.context["form"].takes_code
