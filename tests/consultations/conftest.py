import datetime

import pytest

from consultations.models import AvailabilityPattern, VideoTool, VideoToolKind
from tests.booths.conftest import NOW, SLOT_AT, frozen, tokyo  # noqa: F401  (shared fixtures)
from tests.factories import OfficeFactory, StaffFactory, UserFactory


@pytest.fixture
def office(db):
    return OfficeFactory(code="honjo-test", name="ハローワーク本荘（試験）")


@pytest.fixture
def counselor(office):
    counselor = StaffFactory(
        office=office, username="counselor1", last_name="相談", first_name="一郎"
    )
    weekly(counselor, datetime.time(9), datetime.time(17))
    return counselor


def weekly(counselor, starts_at, ends_at, *, valid_from=datetime.date(2026, 1, 1)):
    for weekday in range(5):
        AvailabilityPattern.objects.create(
            counselor=counselor,
            office=counselor.office,
            weekday=weekday,
            starts_at=starts_at,
            ends_at=ends_at,
            valid_from=valid_from,
        )


@pytest.fixture
def zoom(office):
    return VideoTool.objects.create(
        office=office,
        kind=VideoToolKind.ZOOM,
        name="Zoom",
        allowed_hosts="zoom.us",
        terms_url="https://zoom.us/terms",
    )


@pytest.fixture
def seeker(office):
    return UserFactory(office=office, username="seeker1", phone="0184-11-2222")


@pytest.fixture
def other_office():
    return OfficeFactory(code="other", name="ハローワーク他所")


@pytest.fixture
def online_data(zoom):
    return {
        "purpose": "job_consultation",
        "video_tool": zoom.pk,
        "requester_name": "山田 太郎",
        "phone": "0184-11-2222",
        "client_number": "",
        "companions": ["interpreter"],
        "note": "",
    }


# What the participant ticks before their first join (REQ CON-4): the form's POST and the
# service's record of it.
CHECKLIST_TICKED = {
    "private_room": "on",
    "no_recording": "on",
    "app_ready": "on",
    "tool_terms_accepted": "on",
}


def checklist(tool) -> dict:
    return {
        "private_room": True,
        "no_recording": True,
        "app_ready": True,
        "tool_terms_accepted": True,
        "tool_name": tool.name,
        "tool_terms_url": tool.terms_url,
    }
