"""Profile pages: each person sees and changes only their own (REQ REG-2, REG-3, NFR-3)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.eligibility import booking_block_reason
from accounts.models import User
from tests.factories import EmployerFactory, OfficeFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
EDIT = reverse("accounts:profile_edit")


def _seeker_form(user, **overrides):
    data = {
        "office": user.office_id,
        "last_name": user.last_name,
        "first_name": user.first_name,
        "name_kana": user.name_kana,
        "postal_code": user.postal_code,
        "address": user.address,
        "phone": user.phone,
        "jobseeker_number_status": "my_page",
        "jobseeker_number": "",
    }
    data.update(overrides)
    return data


def test_anonymous_visitors_are_sent_to_sign_in(client):
    # REQ NFR-3
    for url in (PROFILE, EDIT, reverse("accounts:delete")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_the_owner_sees_and_edits_their_profile(client, user):
    # REQ REG-2
    client.force_login(user)
    assert user.username in client.get(PROFILE).content.decode()
    response = client.post(EDIT, _seeker_form(user, phone="０９０－１２３４－５６７８"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone == "090-1234-5678"


def test_user_a_can_never_change_user_b(client, office):
    # REQ NFR-3: no URL takes an id; smuggled ids and usernames are ignored.
    a = UserFactory(office=office)
    b = UserFactory(office=office, phone="0184-99-9999")
    client.force_login(a)
    data = _seeker_form(a, phone="0184-11-1111", id=b.pk, pk=b.pk, username=b.username)
    client.post(EDIT, data)
    b.refresh_from_db()
    a.refresh_from_db()
    assert b.phone == "0184-99-9999"
    assert a.phone == "0184-11-1111"
    assert a.username != b.username
    assert b.phone not in client.get(PROFILE).content.decode()


def test_someone_elses_profile_has_no_address(client, office):
    # REQ NFR-3: guessing a URL with another user's id finds nothing.
    a = UserFactory(office=office)
    b = UserFactory(office=office)
    client.force_login(a)
    assert client.get(f"/me/{b.pk}/").status_code == 404
    assert client.get(f"/me/{b.pk}/edit/").status_code == 404


def test_staff_have_no_profile_form(client, office):
    # Staff of any office cannot use the profile form to change anyone.
    # REQ REG-2, STF-2: staff data is kept in the admin
    staff = StaffFactory(office=OfficeFactory())
    client.force_login(staff)
    assert client.get(EDIT).status_code == 404
    assert client.get(PROFILE).status_code == 200


def test_employer_profile_shows_the_establishment_fields(client, office):
    # REQ REG-2
    employer = EmployerFactory(office=office)
    client.force_login(employer)
    form = client.get(EDIT).context["form"]
    assert "establishment_number" in form.fields
    assert "jobseeker_number" not in form.fields
    data = {
        "office": office.pk,
        "establishment_name": "株式会社新名称",
        "establishment_number_status": "number",
        "establishment_number": "01011234567",
        "last_name": "佐藤",
        "first_name": "一郎",
        "name_kana": "ｻﾄｳ ｲﾁﾛｳ",
        "postal_code": "037-0012",
        "address": "青森県",
        "phone": "0173-00-1111",
    }
    assert client.post(EDIT, data).status_code == 302
    employer.refresh_from_db()
    assert employer.establishment_number == "0101-123456-7"
    assert employer.name_kana == "サトウ　イチロウ"  # half-width kana made full-width


def test_a_rejected_character_in_the_profile_changes_nothing(client, user):
    # REQ CHR-1, CHR-2
    client.force_login(user)
    response = client.post(EDIT, _seeker_form(user, address="髙島町1-1"))
    assert response.status_code == 200
    assert "「髙」" in response.content.decode()
    user.refresh_from_db()
    assert "髙" not in user.address


@time_machine.travel(datetime.datetime(2026, 11, 24, 10, tzinfo=datetime.UTC), tick=False)
def test_foreign_national_needs_residence_data_to_book_and_is_told_what_to_update(client, user):
    # REQ REG-3
    client.force_login(user)
    response = client.post(EDIT, _seeker_form(user, is_foreign_national="on"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "residence_status" in errors and "period_of_stay_until" in errors

    User.objects.filter(pk=user.pk).update(is_foreign_national=True)
    user.refresh_from_db()
    reason = booking_block_reason(user)
    assert "在留資格" in reason and "登録情報のページ" in reason

    data = _seeker_form(
        user, is_foreign_national="on", residence_status="技能", period_of_stay_until="2027-03-31"
    )
    assert client.post(EDIT, data).status_code == 302
    user.refresh_from_db()
    assert booking_block_reason(user) is None

    with time_machine.travel(datetime.datetime(2027, 4, 2, tzinfo=datetime.UTC), tick=False):
        reason = booking_block_reason(user)
    assert reason is not None and "2027年3月31日" in reason


def test_an_expired_period_cannot_be_entered_as_current(client, user):
    # REQ REG-3
    client.force_login(user)
    data = _seeker_form(
        user, is_foreign_national="on", residence_status="技能", period_of_stay_until="2000-01-01"
    )
    response = client.post(EDIT, data)
    assert "period_of_stay_until" in response.context["form"].errors


def test_a_foreign_national_cannot_withdraw_the_declaration_on_their_profile(client, user):
    # REQ REG-3: unticking cleared the residence data and lifted the block with no trace.
    User.objects.filter(pk=user.pk).update(
        is_foreign_national=True, residence_status="技能", period_of_stay_until="2000-01-01"
    )
    user.refresh_from_db()
    blocked = booking_block_reason(user)
    assert blocked is not None
    client.force_login(user)
    form = client.get(EDIT).context["form"]
    assert form.fields["is_foreign_national"].disabled
    # Posting without the box (or with it forged off) keeps the declaration and the data.
    response = client.post(EDIT, _seeker_form(user))
    assert response.status_code == 200  # the expired period must still be renewed
    user.refresh_from_db()
    assert user.is_foreign_national
    assert user.residence_status == "技能"
    assert booking_block_reason(user) == blocked


def test_the_service_refuses_to_withdraw_the_declaration(user):
    # REQ REG-3: the rule holds below the form too.
    from django.core.exceptions import ValidationError

    from accounts.services import user_profile_update

    User.objects.filter(pk=user.pk).update(is_foreign_national=True, residence_status="技能")
    with pytest.raises(ValidationError):
        user_profile_update(
            user=user,
            data={
                "is_foreign_national": False,
                "residence_status": "",
                "period_of_stay_until": None,
            },
        )
    user.refresh_from_db()
    assert user.is_foreign_national and user.residence_status == "技能"


def test_residence_changes_are_recorded_and_the_office_is_told(client, user):
    # REQ REG-3: changes recorded (admin history of the account) and staff told by mail.
    from django.contrib.admin.models import LogEntry

    from core.models import OutboxMessage

    client.force_login(user)
    data = _seeker_form(
        user, is_foreign_national="on", residence_status="技能", period_of_stay_until="2030-03-31"
    )
    assert client.post(EDIT, data).status_code == 302
    entry = LogEntry.objects.get(object_id=str(user.pk))
    assert entry.user_id == user.pk
    assert "在留" in entry.get_change_message() or "residence" in entry.get_change_message()
    mail = OutboxMessage.objects.get(to=[user.office.email])
    assert user.username in mail.body
    assert f"/admin/accounts/user/{user.pk}/change/" in mail.body
    assert "技能" not in mail.subject + mail.body  # the office looks it up in the admin
    # Saving the same data again records nothing new.
    client.post(EDIT, data)
    assert LogEntry.objects.filter(object_id=str(user.pk)).count() == 1
    assert OutboxMessage.objects.filter(to=[user.office.email]).count() == 1


def test_staff_withdraw_the_declaration_in_the_admin(client, office):
    # REQ REG-3: staff change it; the admin records who did.
    from django.contrib.admin.models import LogEntry

    from tests.auth import login_client, staff_with_mfa

    seeker = UserFactory(office=office, is_foreign_national=True, residence_status="技能")
    staff = staff_with_mfa(office=office, is_superuser=True)
    login_client(client, staff)
    url = reverse("admin:accounts_user_change", args=[seeker.pk])
    form = client.get(url).context["adminform"].form
    assert "is_foreign_national" in form.fields
    assert not form.fields["is_foreign_national"].disabled
    assert not LogEntry.objects.filter(object_id=str(seeker.pk)).exists()
