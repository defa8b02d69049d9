"""The admin pages counselors use pass axe at every impact, in Japanese and English, at desktop
width and 360 px; the breadcrumbs' links are told from text by more than colour (REQ NFR-2)."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission

from bookings.calendar import TOKYO
from tests.a11y import assert_accessible
from tests.auth import login_browser, staff_with_mfa
from tests.booths.conftest import NOW
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def counselor_office():
    office = OfficeFactory(name="五所川原公共職業安定所", phone="0173-34-2141")
    booth = BoothFactory(office=office, name="ブースA")
    seeker = UserFactory(office=office, last_name="山田", first_name="花子")
    reservation = ReservationFactory(
        booth=booth, user=seeker, starts_at=datetime.datetime(2026, 11, 18, 10, 0, tzinfo=TOKYO)
    )
    counselor = staff_with_mfa(office=office)
    counselor.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["booths", "consultations"])
    )
    return booth, reservation, counselor


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/booths/reservation/",
        "/admin/booths/reservation/{reservation}/change/",
        "/admin/booths/reservation/{reservation}/confirm/",
        "/admin/booths/reservation/{reservation}/move/",
        "/admin/booths/booth/",
        "/admin/booths/booth/{booth}/change/",
        "/admin/booths/booth/{booth}/book/",
        "/admin/booths/booth/{booth}/adhoc/",
        "/admin/workplace/day/",
        "/admin/workplace/week/",
        "/admin/workplace/calls/",
        "/admin/consultations/consultation/",
    ],
)
def test_counselor_admin_pages_pass_axe_at_every_impact(live_server, page, counselor_office, path):
    # REQ NFR-2
    booth, reservation, counselor = counselor_office
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, counselor)
        response = page.goto(
            live_server.url + path.format(booth=booth.pk, reservation=reservation.pk)
        )
        assert response.status == 200
        assert_accessible(page)


def test_admin_breadcrumb_links_are_underlined(live_server, page, counselor_office):
    # REQ NFR-2: axe link-in-text-block, the stock colours give 1.42:1.
    _, _, counselor = counselor_office
    login_browser(page, live_server.url, counselor)
    page.goto(live_server.url + "/admin/booths/reservation/")
    link = page.locator("div.breadcrumbs a").first
    assert "underline" in link.evaluate("a => getComputedStyle(a).textDecorationLine")
