import datetime

import pytest
import time_machine

from accounts.models import UserType
from bookings.calendar import TOKYO
from tests.booths.factories import BoothFactory
from tests.factories import OfficeFactory, StaffFactory, UserFactory

# Monday 16 November 2026, 10:00 in Tokyo. Wednesday the 18th is bookable until Tuesday 17:00;
# Monday the 23rd is a national holiday (勤労感謝の日).
NOW = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=TOKYO)
SLOT_AT = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=TOKYO)


def tokyo(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TOKYO)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def booth(office):
    return BoothFactory(office=office, name="ブースA")


@pytest.fixture
def seeker(office):
    return UserFactory(
        office=office,
        username="seeker1",
        phone="0173-11-2222",
        user_type=UserType.JOB_SEEKER,
    )


@pytest.fixture
def employer(office):
    return UserFactory(
        office=office,
        username="employer1",
        user_type=UserType.EMPLOYER,
        establishment_name="株式会社五所川原製作所",
        phone="0173-33-4444",
    )


@pytest.fixture
def staff(office):
    return StaffFactory(office=office)


@pytest.fixture
def other_office():
    return OfficeFactory(code="other", name="ハローワーク他所")


@pytest.fixture
def other_staff(other_office):
    return StaffFactory(office=other_office)


@pytest.fixture
def request_data():
    return {
        "purpose": "job_consultation",
        "requester_name": "山田 太郎",
        "phone": "0173-11-2222",
        "client_number": "",
        "companions": ["interpreter"],
        "note": "",
    }
