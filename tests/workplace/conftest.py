# The booth fixtures the workplace tests share with the booth tests, and the counselor at work.
import pytest
from django.contrib.auth.models import Permission

from tests.auth import login_client, staff_with_mfa
from tests.booths.conftest import booth, frozen, other_office, seeker  # noqa: F401
from tests.consultations.factories import VideoToolFactory


def counselor(office, **fields):
    user = staff_with_mfa(office=office, **fields)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["booths", "consultations"])
    )
    return user


@pytest.fixture
def me(office):
    return counselor(office, last_name="相談", first_name="一郎")


@pytest.fixture
def staff_client(client, me):
    return login_client(client, me)


@pytest.fixture
def zoom(office):
    return VideoToolFactory(office=office)
