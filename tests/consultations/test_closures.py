"""Office closures entered by staff (REQ OFF-2, STF-2, STF-3)."""

import datetime

import pytest
from django.db import IntegrityError

from consultations.models import OfficeClosure
from tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db


def test_closure_dates_are_per_office(office):
    other = OfficeFactory()
    OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 20))
    OfficeClosure.objects.create(office=other, date=datetime.date(2026, 11, 19))
    dates = OfficeClosure.objects.for_office(office).dates_between(
        datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)
    )
    assert dates == frozenset({datetime.date(2026, 11, 20)})


def test_one_closure_per_office_and_day(office):
    OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 20))
    with pytest.raises(IntegrityError):
        OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 20))
