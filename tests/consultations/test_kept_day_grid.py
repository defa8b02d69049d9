"""The online day grid kept under the office's availability version, and the holds taken
without savepoints (REQ CON-1, CON-7, CON-10, BTH-2, NFR-4)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Office
from bookings.models import CounselorHold, PersonHold
from consultations import availability, services
from consultations.models import AvailabilityException, AvailabilityPattern, ExceptionKind
from tests.consultations.conftest import NOW, SLOT_AT, tokyo, weekly
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def fresh(office) -> Office:
    """The office as a request reads it: with the data version now committed."""
    return Office.objects.get(pk=office.pk)


def free_at(office, moment) -> set[int]:
    _closed, slots = availability.day_view(fresh(office), moment.date(), now=NOW)
    return {c.pk for s in slots if s.starts_at == moment for c in s.counselors}


def test_a_kept_day_is_read_again_without_a_query_for_its_grid(frozen, office, counselor):
    # REQ NFR-4: the day page builds it; the form and the send read it from the cache
    free_at(office, SLOT_AT)
    with CaptureQueriesContext(connection) as read:
        slot = availability.counselors_at(fresh(office), SLOT_AT, counselor=counselor)
    assert [c.pk for c in slot.free] == [counselor.pk]
    tables = " ".join(q["sql"] for q in read.captured_queries)
    assert "availabilitypattern" not in tables and "counselorhold" not in tables


def test_a_withdrawn_slot_leaves_the_kept_day_at_once(frozen, office, counselor):
    # REQ CON-1, NFR-4: an exception raises the office's version, the next read sees it
    assert counselor.pk in free_at(office, SLOT_AT)
    AvailabilityException.objects.create(
        counselor=counselor, office=office, starts_at=SLOT_AT, kind=ExceptionKind.WITHDRAWN
    )
    assert counselor.pk not in free_at(office, SLOT_AT)
    assert not availability.counselors_at(fresh(office), SLOT_AT).offered


def test_a_new_weekly_pattern_and_a_new_counselor_show_at_once(frozen, office, counselor):
    # REQ CON-1, NFR-4: a pattern raises the version; a new counselor changes the grid's key
    evening = tokyo(2026, 11, 18, 16, 30)
    AvailabilityPattern.objects.filter(counselor=counselor).update(ends_at=datetime.time(16))
    assert free_at(office, evening) == set()
    other = StaffFactory(office=office, username="counselor2")
    weekly(other, datetime.time(16), datetime.time(17))
    assert free_at(office, evening) == {other.pk}


def test_a_booking_takes_its_counselor_out_of_the_kept_day(frozen, office, counselor, zoom):
    # REQ BTH-2, NFR-4: the booking raises the version; the slot shows taken at once
    seeker = UserFactory(office=office, username="s1")
    assert counselor.pk in free_at(office, SLOT_AT)
    services.consultation_request(
        user=seeker,
        starts_at=SLOT_AT,
        video_tool=zoom,
        now=NOW,
        purpose="job_consultation",
        requester_name="山田 太郎",
        phone="0184-11-2222",
    )
    assert free_at(office, SLOT_AT) == set()


def test_any_counselor_skips_one_taken_since_the_read_and_leaves_no_hold_behind(
    frozen, office, counselor, zoom
):
    # REQ BTH-2, CON-7, CON-10: the send reads the first counselor free, but a hold taken
    # right after that read (here written directly, as a racing request would) refuses them;
    # the next free one is booked, and the person holds exactly one slot
    other = StaffFactory(office=office, username="counselor2", last_name="相談", first_name="二郎")
    weekly(other, datetime.time(9), datetime.time(17))
    seeker = UserFactory(office=office, username="s1")
    seeker.office = fresh(office)  # as the send reads it, with the person
    first, second = availability.counselors_at(seeker.office, SLOT_AT).free
    raced = []

    def race_after_the_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not raced and 'FROM "bookings_counselorhold"' in sql:
            raced.append(sql)
            CounselorHold.objects.create(counselor=first, starts_at=SLOT_AT, holder="test.race")
        return result

    with CaptureQueriesContext(connection) as send, connection.execute_wrapper(race_after_the_read):
        consultation = services.consultation_request(
            user=seeker,
            starts_at=SLOT_AT,
            video_tool=zoom,
            now=NOW,
            purpose="job_consultation",
            requester_name="山田 太郎",
            phone="0184-11-2222",
        )
    tried = [
        q["sql"]
        for q in send.captured_queries
        if q["sql"].startswith("INSERT INTO bookings_counselorhold")
    ]
    assert raced, "the send read who is free"
    assert len(tried) == 2  # the first counselor refused by the constraint, then the second
    assert not any("ROLLBACK TO SAVEPOINT" in q["sql"] for q in send.captured_queries)
    assert consultation.counselor_id == second.pk
    assert PersonHold.objects.filter(user=seeker).count() == 1
    assert consultation.person_hold.starts_at == SLOT_AT


def _kept_names(office) -> list[str]:
    return [c.display_name for c in availability.kept_online_counselors(fresh(office))]


def test_the_kept_counselors_follow_their_names_standing_and_published_times(
    frozen, office, counselor
):
    # REQ CON-1, NFR-4: "any counselor" and a named one read the office's counselors from the
    # cache, kept under its people version (names, standing, office) and places version (who
    # publishes times): each change shows on the next read, and nothing else reads them again
    assert _kept_names(office) == [counselor.display_name]
    read_office = fresh(office)
    with CaptureQueriesContext(connection) as read:
        assert [c.pk for c in availability.kept_online_counselors(read_office)] == [counselor.pk]
    assert len(read) == 0
    User = type(counselor)
    User.objects.filter(pk=counselor.pk).update(last_name="改名")
    assert _kept_names(office) == [User.objects.get(pk=counselor.pk).display_name]
    other = StaffFactory(office=office, username="counselor2", last_name="青木")
    assert len(_kept_names(office)) == 1  # no published times yet: not an online counselor
    weekly(other, datetime.time(9), datetime.time(12))
    assert {c.pk for c in availability.kept_online_counselors(fresh(office))} == {
        other.pk,
        counselor.pk,
    }
    User.objects.filter(pk=other.pk).update(is_active=False)
    elsewhere = Office.objects.create(code="elsewhere", name="他所")
    User.objects.filter(pk=counselor.pk).update(office=elsewhere)
    assert _kept_names(office) == []
