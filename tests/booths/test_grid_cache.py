"""The month and day grids come from each process's grid cache, and are still true on the very
next page load after any change, and when time alone changes a slot (REQ NFR-4, BTH-2, BTH-4,
OFF-2)."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from bookings import gridcache
from bookings.models import OfficeClosure
from bookings.services import booking_cancel_online
from booths.models import Status
from tests.booths.conftest import NOW, SLOT_AT, tokyo
from tests.booths.factories import ReservationFactory

pytestmark = pytest.mark.django_db


def _month(client, booth) -> str:
    return client.get(reverse("booths:month", args=[booth.pk, 2026, 11])).content.decode()


def _day(client, booth, day="2026-11-18") -> str:
    return client.get(reverse("booths:day", args=[booth.pk, day])).content.decode()


def _free_on_18th(html: str, booth) -> str:
    day_18 = reverse("booths:day", args=[booth.pk, "2026-11-18"])
    return re.search(rf'href="{day_18}">([^<]+)<', html).group(1)


def test_states_change_at_is_the_next_slot_start_10_minutes_after_one_cutoff_or_midnight(office):
    # REQ NFR-4, BTH-4, BTH-6: the moments at which a grid can change without a write
    assert gridcache.states_change_at(office, tokyo(2026, 11, 16, 10, 0)) == tokyo(
        2026, 11, 16, 10, 10
    )
    assert gridcache.states_change_at(office, tokyo(2026, 11, 16, 10, 10)) == tokyo(
        2026, 11, 16, 10, 30
    )
    assert gridcache.states_change_at(office, tokyo(2026, 11, 16, 8, 12)) == tokyo(
        2026, 11, 16, 9, 0
    )
    # After the last slot has started, the next change is the cut-off (17:00) ...
    assert gridcache.states_change_at(office, tokyo(2026, 11, 16, 16, 40)) == tokyo(
        2026, 11, 16, office.booking_cutoff_time.hour, office.booking_cutoff_time.minute
    )
    # ... and after that, midnight.
    assert gridcache.states_change_at(office, tokyo(2026, 11, 16, 21, 0)) == tokyo(
        2026, 11, 17, 0, 0
    )


def test_a_cached_grid_is_built_once_while_nothing_it_shows_changes(office):
    # REQ NFR-4
    builds = []

    def build():
        builds.append(1)
        return "<table></table>"

    for _ in range(3):
        html = gridcache.grid("test", (1, "same"), office=office, now=NOW, build=build)
    assert html == "<table></table>" and len(builds) == 1
    gridcache.grid("test", (1, "other"), office=office, now=NOW, build=build)
    gridcache.grid(
        "test", (1, "same"), office=office, now=NOW + datetime.timedelta(minutes=31), build=build
    )
    assert len(builds) == 3


def test_a_booking_shows_on_the_next_month_and_day_page_load(frozen, client, seeker, booth):
    # REQ NFR-4, BTH-2: the cache never hides a change
    client.force_login(seeker)
    request_10 = reverse("booths:request", args=[booth.pk, "2026-11-18", "1000"])
    assert _free_on_18th(_month(client, booth), booth) == "空き16"
    assert request_10 in _day(client, booth)
    reservation = ReservationFactory(booth=booth, starts_at=SLOT_AT)
    assert _free_on_18th(_month(client, booth), booth) == "空き15"
    assert request_10 not in _day(client, booth)
    booking_cancel_online(booking=reservation, user=reservation.user)
    reservation.refresh_from_db()
    assert reservation.status == Status.CANCELLED
    assert _free_on_18th(_month(client, booth), booth) == "空き16"
    assert request_10 in _day(client, booth)


def test_a_closure_shows_on_the_next_page_load(frozen, client, seeker, booth, office):
    # REQ OFF-2
    client.force_login(seeker)
    assert _free_on_18th(_month(client, booth), booth) == "空き16"
    OfficeClosure.objects.create(office=office, date=datetime.date(2026, 11, 18))
    html = _month(client, booth)
    assert reverse("booths:day", args=[booth.pk, "2026-11-18"]) not in html
    day = _day(client, booth)
    assert "この日は休業します" in day or "休業日です" in day, day


def test_time_alone_changes_the_cached_grids_without_any_write(client, seeker, booth):
    # REQ BTH-4, OFF-3: the cut-off and midnight change the grids with no write in between
    client.force_login(seeker)
    day_18 = reverse("booths:day", args=[booth.pk, "2026-11-18"])
    request_url = reverse("booths:request", args=[booth.pk, "2026-11-18", "1000"])
    # The 18th takes requests until 17:00 on the 17th.
    with time_machine.travel(tokyo(2026, 11, 17, 16, 59), tick=False):
        assert _free_on_18th(_month(client, booth), booth) == "空き16"
        assert request_url in _day(client, booth)
    with time_machine.travel(tokyo(2026, 11, 17, 17, 0), tick=False):
        assert day_18 not in _month(client, booth)
        assert request_url not in _day(client, booth)
    # The 17th is closed for requests until midnight, then past (signed in again: the session
    # would have timed out in between).
    day_17 = r'day-number">17</span>\s*<span class="day-closed">{}</span>'
    with time_machine.travel(tokyo(2026, 11, 17, 23, 59), tick=False):
        client.force_login(seeker)
        assert re.search(day_17.format("受付終了"), _month(client, booth))
    with time_machine.travel(tokyo(2026, 11, 18, 0, 0), tick=False):
        client.force_login(seeker)
        assert re.search(day_17.format("終了"), _month(client, booth))


def test_the_grid_follows_the_language(frozen, client, seeker, booth):
    # REQ OFF-3: the key carries the language
    client.force_login(seeker)
    assert _free_on_18th(_month(client, booth), booth) == "空き16"
    client.cookies["django_language"] = "en"
    html = client.get(
        reverse("booths:month", args=[booth.pk, 2026, 11]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "16 free" in html


def _day_10_00(html: str) -> str:
    return re.search(r"10:00〜10:30</th>\s*<td>(.*?)</td>", html, re.S).group(1).strip()


def test_the_10_minute_rule_frees_a_slot_on_the_cached_grid_with_no_write(client, seeker, booth):
    # REQ BTH-6, NFR-4: nobody came to today's 10:00: at 10:10 the slot is no longer held,
    # before any job has recorded anything
    ReservationFactory(
        booth=booth,
        starts_at=tokyo(2026, 11, 16, 10, 0),
        status=Status.CONFIRMED,
        phoned_at=tokyo(2026, 11, 13, 10, 0),
    )
    client.force_login(seeker)
    with time_machine.travel(tokyo(2026, 11, 16, 10, 9), tick=False):
        assert _day_10_00(_day(client, booth, "2026-11-16")) == "予約済み"
    with time_machine.travel(tokyo(2026, 11, 16, 10, 10), tick=False):
        assert _day_10_00(_day(client, booth, "2026-11-16")) == "受付終了"


def test_a_booth_change_shows_on_the_next_page_load(frozen, client, seeker, booth):
    # REQ NFR-4: the booth itself is kept under the office's version too
    client.force_login(seeker)
    assert "ブースA" in _month(client, booth)
    booth.name = "ブースZ"
    booth.save()
    assert "ブースZ" in _month(client, booth)
    booth.is_active = False
    booth.save()
    assert client.get(reverse("booths:month", args=[booth.pk, 2026, 11])).status_code == 404


def test_an_e_mail_address_change_shows_on_the_next_page_load(frozen, client, seeker, booth):
    # REQ REG-1, NFR-4: the kept answer to "may this person book" follows their addresses
    client.force_login(seeker)
    assert "メールアドレスの確認が済んでいません" not in _month(client, booth)
    seeker.emailaddress_set.update(verified=False)
    assert "メールアドレスの確認が済んでいません" in _month(client, booth)
    seeker.emailaddress_set.update(verified=True)
    assert "メールアドレスの確認が済んでいません" not in _month(client, booth)


def test_the_approval_notice_follows_no_shows_recorded_and_those_time_alone_makes(
    client, seeker, booth
):
    # REQ BTH-7, BTH-6, NFR-4: one recorded no-show, then a second one by the 10-minute rule
    # at 10:10 with no write at all; the notice is there on the next load each time
    client.force_login(seeker)
    with time_machine.travel(tokyo(2026, 11, 16, 9, 0), tick=False):
        assert "承認" not in _month(client, booth)
        ReservationFactory(
            booth=booth, user=seeker, starts_at=tokyo(2026, 11, 2, 10), status=Status.NO_SHOW
        )
        ReservationFactory(
            booth=booth,
            user=seeker,
            starts_at=tokyo(2026, 11, 16, 10, 0),
            status=Status.CONFIRMED,
            phoned_at=tokyo(2026, 11, 13, 10, 0),
        )
        assert "承認" not in _month(client, booth)
    with time_machine.travel(tokyo(2026, 11, 16, 10, 9), tick=False):
        assert "承認" not in _month(client, booth)
    with time_machine.travel(tokyo(2026, 11, 16, 10, 10), tick=False):
        assert "承認" in _month(client, booth)
