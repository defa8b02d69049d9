"""The statistics page: chart and tables pass axe, the CSV downloads (REQ STA-1, NFR-2)."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission

from bookings.calendar import TOKYO
from booths.models import Status
from tests.a11y import assert_accessible
from tests.auth import login_browser, staff_with_mfa
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.datetime(2026, 11, 30, 18, 0, tzinfo=TOKYO)


def counselor_of_an_office_with_cancellations(day: datetime.date):
    """A counselor (booths' permissions) of an office whose booth had seven bookings on `day`
    cancelled online: enough for figures that are shown, not suppressed."""
    office = OfficeFactory(code="goshogawara", name="五所川原公共職業安定所")
    booth = BoothFactory(office=office, name="ブースA")
    for hour in range(9, 16):
        ReservationFactory(
            booth=booth,
            starts_at=datetime.datetime.combine(day, datetime.time(hour), tzinfo=TOKYO),
            status=Status.CANCELLED,
            cancelled_at=NOW,
            cancelled_via="online",
        )
    counselor = staff_with_mfa(office=office)
    counselor.user_permissions.set(Permission.objects.filter(content_type__app_label="booths"))
    return counselor


def test_counselor_views_the_chart_and_downloads_the_csv(live_server, page):
    # REQ STA-1, NFR-2
    counselor = counselor_of_an_office_with_cancellations(datetime.date(2026, 11, 18))
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, counselor)
        response = page.goto(live_server.url + "/admin/workplace/statistics/?month=2026-11")
        assert response.status == 200
        chart = page.get_by_role("img", name="五所川原公共職業安定所")
        assert chart.count() == 1
        assert page.locator("tfoot td").first.inner_text() == "7"
        assert_accessible(page)
        with page.expect_download() as download_info:
            page.get_by_role("link", name="CSVをダウンロード").click()
        download = download_info.value
        assert download.suggested_filename == "statistics-goshogawara-2026-11.csv"
        with open(download.path(), "rb") as handle:
            assert handle.read(3) == b"\xef\xbb\xbf"
