"""The person's booking facts the pages keep: the same count as the rule, and a moment no
later than the first one at which time alone changes it (REQ BTH-7, BTH-6, NFR-4)."""

import datetime

import pytest

from bookings import rules
from bookings.models import Status
from booths.models import Booth
from tests.booths.factories import ReservationFactory
from tests.consultations.conftest import NOW, tokyo
from tests.consultations.factories import ConsultationFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booth(office):
    return Booth.objects.create(office=office, name="ブースA")


def test_the_kept_count_is_the_rule_across_both_services(office, seeker, counselor, booth):
    # REQ BTH-7: recorded no-shows of either service, and one the 10-minute rule has made
    ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 11, 2, 10), status="no_show")
    ConsultationFactory(
        office=office,
        user=seeker,
        counselor=counselor,
        starts_at=tokyo(2026, 11, 4, 10),
        status=Status.NO_SHOW,
    )
    ReservationFactory(
        booth=booth,
        user=seeker,
        starts_at=NOW - datetime.timedelta(minutes=40),
        status=Status.CONFIRMED,
        phoned_at=NOW - datetime.timedelta(days=2),
    )
    count, _until = rules.no_contact_facts(seeker, office, now=NOW)
    assert count == rules.no_contact_cancellations(seeker, office, now=NOW) == 3


def test_the_kept_count_expires_when_a_booking_can_turn_overdue(office, seeker, booth):
    # REQ BTH-6: a confirmed booking today at 11:00 can be overdue from 11:10
    starts = tokyo(2026, 11, 16, 11, 0)
    ReservationFactory(
        booth=booth,
        user=seeker,
        starts_at=starts,
        status=Status.CONFIRMED,
        phoned_at=tokyo(2026, 11, 13, 10, 0),
    )
    _count, until = rules.no_contact_facts(seeker, office, now=NOW)
    assert until == starts + datetime.timedelta(minutes=10)
    assert (
        rules.no_contact_cancellations(seeker, office, now=until - datetime.timedelta(seconds=1))
        == 0
    )
    assert rules.no_contact_cancellations(seeker, office, now=until) == 1


def test_the_kept_count_expires_before_a_counted_no_show_leaves_the_window(office, seeker, booth):
    # REQ BTH-7: counted for `noshow_window_months` months; kept at most 28 days a month
    ReservationFactory(booth=booth, user=seeker, starts_at=tokyo(2026, 10, 1, 10), status="no_show")
    count, until = rules.no_contact_facts(seeker, office, now=NOW)
    assert count == 1
    assert until == tokyo(2026, 10, 1, 10) + datetime.timedelta(
        days=28 * office.noshow_window_months
    )
    assert rules.no_contact_cancellations(seeker, office, now=until) == 1


def test_nothing_to_count_is_kept_until_a_change(office):
    # REQ NFR-4: no booking, no moment
    assert rules.no_contact_facts(UserFactory(office=office), office, now=NOW) == (0, None)
