"""The maintenance page passes axe and says until when and whom to phone (REQ OPS-2, OPS-3)."""

import datetime

import pytest
import time_machine

from accounts.models import Notice
from bookings.calendar import TOKYO
from tests.a11y import assert_accessible
from tests.auth import login_browser
from tests.booths.factories import BoothFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=TOKYO)


def test_paused_booking_page_is_clear_and_accessible(live_server, page):
    # REQ OPS-2, OPS-3, NFR-2
    office = OfficeFactory(name="五所川原公共職業安定所", phone="0173-34-2171")
    booth = BoothFactory(office=office, name="ブースA")
    seeker = UserFactory(office=office)
    Notice.objects.create(
        title="システムメンテナンス",
        published_at=NOW - datetime.timedelta(days=2),
        maintenance_starts_at=NOW - datetime.timedelta(hours=1),
        maintenance_ends_at=NOW + datetime.timedelta(hours=2),
    )
    with time_machine.travel(NOW, tick=True):
        login_browser(page, live_server.url, seeker)
        response = page.goto(f"{live_server.url}/booths/{booth.pk}/2026-11-18/1000/request/")
        assert response.status == 503
        assert int(response.headers["retry-after"]) > 7000
        text = page.locator("main").inner_text()
        assert "2026年11月16日（月）12:00" in text
        assert "0173-34-2171" in text
        assert_accessible(page)
