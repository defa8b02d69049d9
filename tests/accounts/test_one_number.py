"""One job-seeker number, one active account; staff move a number (REQ REG-9)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.forms import ProfileRulesMixin
from accounts.models import JOBSEEKER_NUMBER_CONSTRAINT, JobseekerNumberMove, User
from accounts.services import jobseeker_number_move
from core.audit import audit_events_of
from tests.accounts.flows import job_seeker_data
from tests.auth import login_client, staff_with_mfa
from tests.factories import EmployerFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
NUMBER = "02010-12345678"


def _holder(office, **fields):
    return UserFactory(
        office=office, jobseeker_number_status="number", jobseeker_number=NUMBER, **fields
    )


def test_the_database_refuses_a_second_active_account_with_the_number(office):
    # REQ REG-9
    _holder(office)
    with pytest.raises(IntegrityError, match=JOBSEEKER_NUMBER_CONSTRAINT), transaction.atomic():
        _holder(office)


def test_a_deleted_account_frees_the_number_and_establishments_repeat(office):
    # REQ REG-9: the constraint covers active job seekers only; HR accounts share a number.
    _holder(office, deleted_at="2026-01-01T00:00:00+09:00")
    _holder(office)
    EmployerFactory(office=office)
    EmployerFactory(office=office)
    assert User.objects.filter(establishment_number="0101-123456-7").count() == 2


def test_a_sign_up_with_a_taken_number_is_refused_like_a_malformed_one(client, office):
    # REQ REG-9: same message, with the office's phone, for a taken and a malformed number.
    _holder(office, suspended_at="2026-01-01T00:00:00+09:00", suspension_reason="threats")
    taken = client.post(SIGNUP, job_seeker_data(office, jobseeker_number=NUMBER))
    malformed = client.post(SIGNUP, job_seeker_data(office, jobseeker_number="12345-678"))
    assert taken.status_code == malformed.status_code == 200
    taken_errors = taken.context["form"].errors["jobseeker_number"]
    assert taken_errors == malformed.context["form"].errors["jobseeker_number"]
    assert office.phone in taken_errors[0]
    assert not User.objects.filter(username="hanako").exists()


def test_a_sign_up_that_loses_the_race_gets_the_field_error(client, office, monkeypatch):
    # REQ REG-9: the form's check passed before the other sign-up committed; the constraint
    # refuses the second account and the page shows the field's error, not a server error.
    monkeypatch.setattr(
        ProfileRulesMixin, "clean_jobseeker_number", lambda self: NUMBER, raising=True
    )
    _holder(office)
    response = client.post(SIGNUP, job_seeker_data(office))
    assert response.status_code == 200
    assert office.phone in response.context["form"].errors["jobseeker_number"][0]
    assert User.objects.filter(jobseeker_number=NUMBER).count() == 1
    assert not User.objects.filter(username="hanako").exists()


def test_a_profile_change_to_a_taken_number_is_refused(client, office):
    # REQ REG-9
    _holder(office)
    other = UserFactory(office=office)
    login_client(client, other)
    data = {
        "office": office.pk,
        "last_name": "山田",
        "first_name": "花子",
        "name_kana": "ヤマダ　ハナコ",
        "postal_code": "037-0012",
        "address": "青森県五所川原市試験町1-2",
        "phone": "0173-34-5678",
        "jobseeker_number_status": "number",
        "jobseeker_number": NUMBER,
    }
    response = client.post(reverse("accounts:profile_edit"), data)
    assert response.status_code == 200
    assert office.phone in response.context["form"].errors["jobseeker_number"][0]
    other.refresh_from_db()
    assert other.jobseeker_number == ""


def test_staff_move_a_number_with_a_recorded_reason(office):
    # REQ REG-9 (seed Art 6-3): a lost login; the trail names the staff member.
    staff = staff_with_mfa(office=office)
    old, new = _holder(office), UserFactory(office=office)
    move = jobseeker_number_move(number=NUMBER, to_user=new, by=staff, reason="ログイン紛失")
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.jobseeker_number, new.jobseeker_number) == ("", NUMBER)
    assert (move.from_user, move.to_user, move.moved_by) == (old, new, staff)
    assert move.reason == "ログイン紛失"
    assert audit_events_of(new).filter(user=staff).exists()


def test_staff_of_another_office_cannot_move_a_number(office):
    # REQ REG-9, STF-2
    outsider = staff_with_mfa(office=OfficeFactory(code="noshiro"))
    _holder(office)
    new = UserFactory(office=office)
    with pytest.raises(ValidationError):
        jobseeker_number_move(number=NUMBER, to_user=new, by=outsider, reason="x")
    assert not JobseekerNumberMove.objects.exists()
    new.refresh_from_db()
    assert new.jobseeker_number == ""


def test_the_admin_action_moves_the_number(client, office):
    # REQ REG-9
    staff = staff_with_mfa(office=office, is_superuser=True)
    login_client(client, staff)
    _holder(office)
    new = UserFactory(office=office)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {
            "action": "move_jobseeker_number",
            "_selected_action": [new.pk],
            "apply": "1",
            "number": "０２０１０１２３４５６７８",
            "reason": "ログイン紛失",
        },
    )
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.jobseeker_number == NUMBER


def test_the_migration_names_the_accounts_sharing_a_number(office):
    # REQ REG-9: existing duplicates stop the migration with their account ids, no numbers.
    executor = MigrationExecutor(connection)
    migration = executor.loader.get_migration("accounts", "0010_one_jobseeker_number_staff_erasure")
    check = next(op for op in migration.operations if hasattr(op, "code")).code
    constraint = next(c for c in User._meta.constraints if c.name == JOBSEEKER_NUMBER_CONSTRAINT)
    with connection.schema_editor() as editor:
        editor.remove_constraint(User, constraint)
    first, second = _holder(office), _holder(office)
    from django.apps import apps

    with pytest.raises(RuntimeError) as refused:
        check(apps, None)
    assert f"{first.pk}, {second.pk}" in str(refused.value)
    assert NUMBER not in str(refused.value)
