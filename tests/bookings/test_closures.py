"""Office closures entered by staff (REQ OFF-2, STF-2, STF-3)."""

import datetime

import pytest
from django.db import IntegrityError
from django.urls import reverse

from bookings.models import OfficeClosure
from tests.auth import login_client
from tests.booths.conftest import SLOT_AT
from tests.booths.factories import ReservationFactory
from tests.booths.test_admin import counselor as office_staff_member
from tests.consultations.factories import ConsultationFactory
from tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db


def test_closure_dates_are_per_office(office):
    # REQ OFF-2, STF-3
    other = OfficeFactory()
    OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 20))
    OfficeClosure.objects.create(office=other, date=datetime.date(2026, 11, 19))
    dates = OfficeClosure.objects.for_office(office).dates_between(
        datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)
    )
    assert dates == frozenset({datetime.date(2026, 11, 20)})


def test_one_closure_per_office_and_day(office):
    # REQ OFF-2, STF-3
    OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 20))
    with pytest.raises(IntegrityError):
        OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 20))


def test_staff_open_the_closure_pages(frozen, client, office):
    # REQ STF-3
    staff_client = login_client(client, office_staff_member(office))
    assert staff_client.get(reverse("admin:bookings_officeclosure_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:bookings_officeclosure_add")).status_code == 200


def test_a_closure_on_a_day_with_bookings_of_either_service_is_refused_next_to_the_date(
    frozen, client, office, booth, counselor, zoom
):
    # REQ OFF-2, CON-1
    ConsultationFactory(office=office, counselor=counselor, video_tool=zoom, starts_at=SLOT_AT)
    ReservationFactory(booth=booth, starts_at=SLOT_AT + datetime.timedelta(days=1))
    staff_client = login_client(client, office_staff_member(office))
    add = reverse("admin:bookings_officeclosure_add")
    for day in ("2026-11-18", "2026-11-19"):
        response = staff_client.post(add, {"office": office.pk, "date": day, "reason": "点検"})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["date"]
    assert not OfficeClosure.objects.exists()
    response = staff_client.post(add, {"office": office.pk, "date": "2026-11-20", "reason": "点検"})
    assert response.status_code == 302
    assert OfficeClosure.objects.get().created_by is not None
