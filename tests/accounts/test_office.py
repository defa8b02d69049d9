"""Offices carry their own contacts, court and business hours (REQ OFF-1)."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Office
from tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db


def test_an_office_defaults_to_nine_to_five_with_a_previous_day_cutoff():
    # REQ OFF-1, BTH-4, BTH-7
    office = Office.objects.create(
        name="ハローワーク本荘",
        code="honjo",
        address="秋田県由利本荘市",
        phone="0184-22-4031",
        court="秋田地方裁判所",
    )
    assert (office.opens_at, office.closes_at) == (datetime.time(9), datetime.time(17))
    assert office.booking_cutoff_time == datetime.time(17)
    assert (office.noshow_limit, office.noshow_window_months) == (2, 6)


def test_an_office_cannot_close_before_it_opens():
    # REQ OFF-1
    with pytest.raises(IntegrityError), transaction.atomic():
        OfficeFactory(opens_at=datetime.time(17), closes_at=datetime.time(9))


def test_office_codes_are_unique():
    # REQ OFF-1
    OfficeFactory(code="goshogawara")
    with pytest.raises(IntegrityError), transaction.atomic():
        Office.objects.create(name="x", code="goshogawara", address="x", phone="x", court="x")


def test_staff_see_only_their_own_office_in_the_admin(client):
    # REQ OFF-1, STF-2: counselors see and manage their own office
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    from tests.auth import login_client, staff_with_mfa

    mine, other = OfficeFactory(code="mine"), OfficeFactory(code="other")
    counselor = staff_with_mfa(office=mine)
    counselor.user_permissions.add(Permission.objects.get(codename="view_office"))
    login_client(client, counselor)
    listing = client.get(reverse("admin:accounts_office_changelist")).content.decode()
    assert mine.name in listing
    assert other.name not in listing
