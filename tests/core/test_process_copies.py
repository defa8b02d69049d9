"""With a grids cache all servers share (Redis in production), each process keeps copies of
the entries it read, so a page asks the network once an entry; a change of the office's data
still shows on the very next load, and nothing read is shared between requests
(REQ NFR-4, BTH-2)."""

import datetime
import re
from unittest import mock

import pytest
import time_machine
from django.core.cache.backends.filebased import FileBasedCache
from django.test import override_settings
from django.urls import reverse

from core import versioning
from core.versioning import ProcessCopies, office_cached, process_copies
from tests.booths.conftest import NOW
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_grids(tmp_path, settings):
    """The grids cache as a cache outside the process (files here, Redis in production),
    with its reads counted."""
    caches = {**settings.CACHES, "grids": {**settings.CACHES["grids"]}}
    caches["grids"].update(
        BACKEND="django.core.cache.backends.filebased.FileBasedCache", LOCATION=str(tmp_path)
    )
    caches["grids"].pop("OPTIONS", None)
    with (
        override_settings(CACHES=caches),
        mock.patch.object(versioning, "_copies", None),
        mock.patch.object(
            FileBasedCache, "get", autospec=True, side_effect=FileBasedCache.get
        ) as reads,
    ):
        yield reads


def test_a_value_is_read_from_the_shared_cache_once_a_process(shared_grids):
    # REQ NFR-4
    office = OfficeFactory()
    build = mock.Mock(return_value=["row", 1])
    first = office_cached("thing", (1,), office=office, build=build)
    again = office_cached("thing", (1,), office=office, build=build)
    assert first == again == ["row", 1]
    assert build.call_count == 1
    assert shared_grids.call_count == 1  # the second read made no round trip


def test_each_read_gets_objects_of_its_own(shared_grids):
    # REQ NFR-4
    office = OfficeFactory()
    first = office_cached("thing", (), office=office, build=lambda: {"ids": [1, 2]})
    first["ids"].append(3)  # a caller changing what it got changes nothing kept
    assert office_cached("thing", (), office=office, build=lambda: None) == {"ids": [1, 2]}


def test_a_change_of_the_office_data_is_read_on_the_next_load(shared_grids):
    # REQ NFR-4, BTH-2
    office = OfficeFactory()
    office_cached("booths", (), office=office, build=lambda: ["A"])
    BoothFactory(office=office)  # the database raises the office's version
    office.refresh_from_db()
    build = mock.Mock(return_value=["A", "B"])
    assert office_cached("booths", (), office=office, build=build) == ["A", "B"]
    assert build.call_count == 1


def test_a_copy_ends_when_time_alone_changes_the_value(shared_grids):
    # REQ NFR-4, BTH-6
    office = OfficeFactory()
    now = datetime.datetime(2026, 11, 16, 1, 0, tzinfo=datetime.UTC)
    until = now + datetime.timedelta(minutes=30)
    with time_machine.travel(now, tick=False):
        office_cached("grid", (), office=office, build=lambda: "<p>old</p>", until=until, now=now)
    later = until + datetime.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        build = mock.Mock(return_value="<p>new</p>")
        found = office_cached("grid", (), office=office, build=build, until=until, now=later)
    assert found == "<p>new</p>"
    assert build.call_count == 1


def test_copies_stay_within_their_bytes():
    # REQ NFR-4
    copies = ProcessCopies(max_bytes=2_000)
    for number in range(20):
        copies.put(f"key-{number}", "x" * 300, None)
    kept = [number for number in range(20) if copies.get(f"key-{number}", None) is not None]
    assert kept == [15, 16, 17, 18, 19]  # the least recently used went first
    copies.put("huge", "x" * 5_000, None)  # larger than all copies may be: not kept
    assert copies.get("huge", None) is None
    assert copies.get("key-19", None) == "x" * 300


def test_no_copies_when_the_grids_cache_is_the_process_own_memory():
    # REQ NFR-4
    assert process_copies() is None  # the default: CACHES["grids"] is local memory already


def test_the_month_view_asks_the_shared_cache_nothing_between_changes(shared_grids, client):
    # REQ NFR-4, BTH-2
    with time_machine.travel(NOW, tick=False):
        office = OfficeFactory()
        booth = BoothFactory(office=office)
        seeker = UserFactory(office=office)
        client.force_login(seeker)
        url = reverse("booths:month", args=[booth.pk, 2026, 12])
        client.get(url)
        shared_grids.reset_mock()
        html = client.get(url).content.decode()
        assert shared_grids.call_count == 0
        day_1 = reverse("booths:day", args=[booth.pk, "2026-12-01"])
        assert re.search(rf'href="{day_1}">空き16<', html)
        ReservationFactory(booth=booth, starts_at=NOW.replace(month=12, day=1, hour=9))
        html = client.get(url).content.decode()
        assert re.search(rf'href="{day_1}">空き15<', html)  # the booking shows at once


def test_the_staff_pages_rows_are_copied_too_and_end_when_time_changes_them(shared_grids):
    # REQ NFR-4, STF-1: the day sheet's and call list's kept rows (workplace.kept)
    from workplace.kept import kept_rows

    office = OfficeFactory()
    now = datetime.datetime(2026, 11, 16, 1, 0, tzinfo=datetime.UTC)
    until = now + datetime.timedelta(minutes=10)
    build = mock.Mock(return_value=(until, ["row"]))
    with time_machine.travel(now, tick=False):
        assert kept_rows("sheet", (1,), office=office, now=now, build=build) == ["row"]
        shared_grids.reset_mock()
        assert kept_rows("sheet", (1,), office=office, now=now, build=build) == ["row"]
        assert shared_grids.call_count == 0 and build.call_count == 1
    later = until + datetime.timedelta(seconds=1)
    build.return_value = (None, ["new row"])
    with time_machine.travel(later, tick=False):
        assert kept_rows("sheet", (1,), office=office, now=later, build=build) == ["new row"]
