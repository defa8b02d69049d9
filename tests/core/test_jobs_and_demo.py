"""The demo data command and the roles it sets up."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Office, User

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_prints_the_logins():
    # REQ NFR-5
    first, second = io.StringIO(), io.StringIO()
    call_command("demo", stdout=first)
    counts = (Office.objects.count(), User.objects.count())
    call_command("demo", stdout=second)
    assert (Office.objects.count(), User.objects.count()) == counts
    assert counts[0] == 2
    assert "seeker" in first.getvalue() and "employer" in first.getvalue()
    assert User.objects.filter(is_staff=True, user_type="staff").count() >= 3


def test_demo_counselors_can_work_in_the_admin_of_their_office():
    # REQ STF-3, REG-8: the counselors group carries the booth and terms permissions, and demo
    # staff have a second factor enrolled so the admin lets them in.
    from allauth.mfa.models import Authenticator

    call_command("demo", stdout=io.StringIO())
    counselor = User.objects.get(username="counselor-goshogawara")
    assert counselor.office.code == "goshogawara"
    assert counselor.has_perm("booths.change_reservation")
    assert counselor.has_perm("terms.add_termsversion")
    assert not counselor.has_perm("accounts.delete_user")
    assert Authenticator.objects.filter(user=counselor, type="totp").exists()


def test_setup_roles_is_idempotent():
    # REQ STF-2, NFR-5
    from django.contrib.auth.models import Group

    call_command("setup_roles", stdout=io.StringIO())
    first = set(Group.objects.get(name="counselors").permissions.values_list("pk", flat=True))
    call_command("setup_roles", stdout=io.StringIO())
    assert (
        set(Group.objects.get(name="counselors").permissions.values_list("pk", flat=True)) == first
    )
    assert first


def test_every_demo_video_tool_names_its_own_terms_with_a_link():
    # REQ CON-4: Zoom, e-TUMO and ELMO each link their terms, which people accept before joining
    from consultations.models import VideoTool

    call_command("demo", stdout=io.StringIO())
    tools = VideoTool.objects.filter(is_active=True)
    assert {tool.name for tool in tools} >= {"Zoom", "e-TUMO", "ELMO"}
    assert all(tool.terms_url.startswith("https://") for tool in tools)
