"""Two-step sign-up for job seekers and employers (REQ REG-1, REG-2, CHR-1 … 3)."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.eligibility import booking_block_reason
from accounts.models import User, UserType
from core.models import OutboxMessage
from core.outbox import outbox_deliver_due
from tests.accounts.flows import delivered_link, employer_data, job_seeker_data
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
EMPLOYER_SIGNUP = "/me/signup/employer/"


def _sign_in(client, login, password=DEFAULT_PASSWORD):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def _confirm(client, link):
    path = urlsplit(link).path
    assert client.get(path).status_code == 200
    return client.post(path)


def test_job_seeker_signs_up_verifies_the_mail_and_then_signs_in(client, office):
    # REQ REG-1, REG-2
    response = client.post(SIGNUP, job_seeker_data(office))
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(username="hanako")
    assert user.user_type == UserType.JOB_SEEKER
    assert user.office == office
    # Full-width digits and hyphens are stored half-width in the canonical form.
    assert user.postal_code == "037-0012"
    assert user.phone == "0173-34-5678"
    assert user.jobseeker_number == "02010-12345678"
    assert user.name_kana == "ヤマダ　ハナコ"
    assert user.password_changed_at is not None
    assert mail.outbox == []  # nothing is sent inside the request: the outbox holds it
    assert OutboxMessage.objects.filter(to=["hanako@example.jp"]).exists()

    # Before the link is opened the account cannot sign in.
    client.logout()
    response = _sign_in(client, "hanako")
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    link = delivered_link()
    response = _confirm(client, link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    response = _sign_in(client, "hanako@example.jp")
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    assert booking_block_reason(user) is None


def test_employer_signs_up_with_the_establishment(client, office):
    # REQ REG-1, REG-2
    response = client.post(EMPLOYER_SIGNUP, employer_data(office))
    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get(username="hr-sato")
    assert user.user_type == UserType.EMPLOYER
    assert user.establishment_name == "株式会社五所川原試験"
    assert user.establishment_number == "0201-123456-7"
    assert user.postal_code == "037-0012"
    assert user.jobseeker_number == ""
    _confirm(client, delivered_link())
    assert _sign_in(client, "hr-sato").status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_the_employer_form_is_a_subclass_of_allauths_with_the_consent_box(client, office):
    # REQ REG-1, TRM-2: without the consent tick nothing is created.
    response = client.post(EMPLOYER_SIGNUP, employer_data(office, accept_terms=""))
    assert response.status_code == 200
    assert "accept_terms" in response.context["form"].errors
    assert not User.objects.filter(username="hr-sato").exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"jobseeker_number": "12345-678"}, "jobseeker_number"),
        ({"jobseeker_number": ""}, "jobseeker_number"),
        ({"postal_code": "037-00"}, "postal_code"),
        ({"phone": "12345"}, "phone"),
        ({"name_kana": "山田花子"}, "name_kana"),
        ({"jobseeker_number_status": ""}, "jobseeker_number_status"),
        ({"office": ""}, "office"),
    ],
)
def test_formats_are_checked_and_explained(client, office, overrides, field):
    # REQ REG-2
    data = job_seeker_data(office)
    data.update(overrides)
    response = client.post(SIGNUP, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.filter(username="hanako").exists()


@pytest.mark.parametrize("status", ["my_page", "about_to_register"])
def test_a_job_seeker_without_a_number_says_why(client, office, status):
    # REQ REG-2
    data = job_seeker_data(office, jobseeker_number_status=status, jobseeker_number="")
    assert client.post(SIGNUP, data).status_code == 302
    user = User.objects.get(username="hanako")
    assert (user.jobseeker_number_status, user.jobseeker_number) == (status, "")


def test_an_employer_about_to_register_needs_no_number(client, office):
    # REQ REG-2
    data = employer_data(
        office, establishment_number_status="about_to_register", establishment_number=""
    )
    assert client.post(EMPLOYER_SIGNUP, data).status_code == 302
    assert User.objects.get(username="hr-sato").establishment_number == ""


@pytest.mark.parametrize("char", ["𠮷", "髙", "①", "㈱", "😀"])
def test_characters_outside_jis_are_rejected_by_name_and_nothing_is_saved(client, office, char):
    # REQ CHR-1, CHR-2
    response = client.post(SIGNUP, job_seeker_data(office, last_name=f"{char}田"))
    assert response.status_code == 200
    errors = response.context["form"].errors["last_name"]
    assert f"「{char}」" in errors[0]
    assert f"「{char}」" in response.content.decode()  # shown on the page, next to the field
    assert not User.objects.filter(username="hanako").exists()
    assert OutboxMessage.objects.count() == 0


def test_windows_tilde_and_minus_are_accepted_and_mapped(client, office):
    # REQ CHR-3
    data = job_seeker_data(office, address="青森県五所川原市試験町１－２～３")
    assert client.post(SIGNUP, data).status_code == 302
    assert User.objects.get(username="hanako").address == "青森県五所川原市試験町１−２〜３"


def test_an_existing_email_gets_the_same_answer_and_no_second_account(client, office):
    # REQ REG-1: the response never reveals that an address is registered.
    UserFactory(email="hanako@example.jp", username="someone")
    response = client.post(SIGNUP, job_seeker_data(office))
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not User.objects.filter(username="hanako").exists()
    outbox_deliver_due()
    assert [m.to for m in mail.outbox] == [["hanako@example.jp"]]  # "you already have one"


def test_the_verification_link_expires(client, office, settings):
    # REQ REG-1
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(SIGNUP, job_seeker_data(office))
        link = delivered_link()
    later = start + timedelta(days=settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS, hours=1)
    with time_machine.travel(later, tick=False):
        path = urlsplit(link).path
        client.post(path)
    assert not EmailAddress.objects.get(email="hanako@example.jp").verified


def test_an_unverified_account_cannot_book(office):
    # REQ REG-1
    user = UserFactory(verified=False, office=office)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    assert "e-mail" in booking_block_reason(user).lower() or "メール" in booking_block_reason(user)


def test_resending_the_verification_mail_is_rate_limited(client, office):
    # REQ REG-1
    client.post(SIGNUP, job_seeker_data(office))
    user = User.objects.get(username="hanako")
    client.force_login(user)
    before = OutboxMessage.objects.count()
    for _ in range(3):
        client.post(reverse("account_email"), {"action_send": "", "email": "hanako@example.jp"})
    # The sign-up mail counts: within three minutes no further mail goes out.
    assert OutboxMessage.objects.count() == before
    with time_machine.travel(timezone.now() + timedelta(minutes=4), tick=False):
        client.force_login(user)
        client.post(reverse("account_email"), {"action_send": "", "email": "hanako@example.jp"})
    assert OutboxMessage.objects.count() == before + 1


def test_signin_by_login_id_or_email_does_not_reveal_which_exists(client, office):
    # REQ REG-1: a wrong password and an unknown login get the same answer.
    UserFactory(username="taro", email="taro@example.jp", office=office)
    known = _sign_in(client, "taro", "wrong-password-123")
    unknown = _sign_in(client, "nobody", "wrong-password-123")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


def test_the_signup_pages_link_to_each_other(client, office):
    # REQ REG-1, NFR-2
    assert EMPLOYER_SIGNUP in client.get(SIGNUP).content.decode()
    assert SIGNUP in client.get(EMPLOYER_SIGNUP).content.decode()


@pytest.mark.parametrize("url", [SIGNUP, EMPLOYER_SIGNUP])
def test_no_two_signup_fields_share_a_label_and_conditions_are_explained(client, office, url):
    # REQ REG-2, NFR-2 (issue 12): 求職番号 labelled both the choice and the number.
    form = client.get(url).context["form"]
    labels = [str(field.label) for field in form.fields.values()]
    assert len(labels) == len(set(labels)), labels
    for name in ("office", "username", "email", "password1", "password2", "last_name", "phone"):
        assert form.fields[name].required, name
    for name in ("jobseeker_number", "establishment_number", "residence_status"):
        if name in form.fields:
            field = form.fields[name]
            assert not field.required  # needed only in one case, which the help text names
            assert str(field.help_text).startswith(
                ("お持ちの場合", "事業所番号がある場合", "外国籍の方")
            ), (
                name,
                field.help_text,
            )
