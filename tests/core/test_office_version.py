"""The office's data version and the person's booking facts version are raised by the database
for every change of the data pages keep under them, whoever writes it, and never go down
(REQ NFR-4, BTH-2, BTH-7)."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Office, User
from bookings.models import OfficeClosure
from booths.models import Booth, Reservation
from consultations.models import (
    AvailabilityException,
    Consultation,
    CounselorVideoDefault,
    ExceptionKind,
    VideoTool,
)
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.consultations.conftest import weekly
from tests.consultations.factories import ConsultationFactory, VideoToolFactory
from tests.factories import OfficeFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def version(row) -> int:
    """The office's data version, or the person's booking facts version."""
    if isinstance(row, User):
        return User.objects.values_list("booking_facts_version", flat=True).get(pk=row.pk)
    return Office.objects.values_list("availability_version", flat=True).get(pk=row.pk)


class Raised:
    """Asserts that the block raised the version of each office or person given."""

    def __init__(self, *offices):
        self.offices = offices

    def __enter__(self):
        self.before = [version(office) for office in self.offices]

    def __exit__(self, *exc):
        if exc[0] is None:
            after = [version(office) for office in self.offices]
            assert all(a > b for a, b in zip(after, self.before, strict=True)), (
                self.before,
                after,
            )


def test_a_reservation_raises_its_booth_office_and_its_person_on_every_change():
    # REQ NFR-4, BTH-2, BTH-7: insert, update (also a queryset's), delete
    office, other = OfficeFactory(), OfficeFactory()
    booth = BoothFactory(office=office)
    person, bystander = UserFactory(office=office), UserFactory(office=office)
    with Raised(office, person):
        reservation = ReservationFactory(booth=booth, user=person)
    unchanged = version(other), version(bystander)
    with Raised(office, person):
        Reservation.objects.filter(pk=reservation.pk).update(phone="0184-99-0000")
    with Raised(office, person):
        reservation.delete()
    assert (version(other), version(bystander)) == unchanged


def test_a_booth_a_closure_and_a_consultation_raise_their_office():
    # REQ NFR-4, OFF-2, CON-1
    office = OfficeFactory()
    with Raised(office):
        booth = BoothFactory(office=office)
    with Raised(office):
        Booth.objects.filter(pk=booth.pk).update(is_active=False)
    with Raised(office):
        closure = OfficeClosure.objects.create(office=office, date=datetime.date(2026, 12, 1))
    with Raised(office):
        closure.delete()
    person = UserFactory(office=office)
    with Raised(office, person):
        consultation = ConsultationFactory(office=office, user=person)
    with Raised(office, person):
        Consultation.objects.filter(pk=consultation.pk).update(phone="0184-99-0000")


def _places(office) -> int:
    return Office.objects.values_list("places_version", flat=True).get(pk=office.pk)


def test_published_times_video_tools_and_their_defaults_raise_the_places_version():
    # REQ NFR-4: what a booking reads of the counselors' published times, the video tools and
    # the default links is kept under the places version (consultations 0017)
    office = OfficeFactory()
    counselor = StaffFactory(office=office)
    changes = [
        lambda: VideoToolFactory(office=office),
        lambda: weekly(counselor, datetime.time(9), datetime.time(17)),
        lambda: AvailabilityException.objects.create(
            counselor=counselor,
            office=office,
            starts_at=datetime.datetime(2026, 12, 1, 1, tzinfo=datetime.UTC),
            kind=ExceptionKind.WITHDRAWN,
        ),
        lambda: CounselorVideoDefault.objects.create(
            counselor=counselor,
            video_tool=VideoTool.objects.get(office=office),
            join_url="https://zoom.us/j/1",
        ),
        lambda: CounselorVideoDefault.objects.all().delete(),
    ]
    for change in changes:
        seen = _places(office)
        change()
        assert _places(office) > seen


def test_booths_and_closures_raise_the_places_version_and_bookings_do_not():
    # REQ NFR-4: what is kept of an office's booths and closed days outlives its bookings
    office = OfficeFactory()
    seen = _places(office)
    booth = BoothFactory(office=office)
    assert _places(office) > seen
    seen = _places(office)
    Booth.objects.filter(pk=booth.pk).update(name="B")
    assert _places(office) > seen
    seen = _places(office)
    closure = OfficeClosure.objects.create(office=office, date=datetime.date(2026, 12, 1))
    assert _places(office) > seen
    seen = _places(office)
    closure.delete()
    assert _places(office) > seen
    tool = VideoToolFactory(office=office)
    counselor = StaffFactory(office=office)
    seen, availability = _places(office), version(office)
    reservation = ReservationFactory(booth=booth, user=UserFactory(office=office))
    Reservation.objects.filter(pk=reservation.pk).update(phone="0184-99-0000")
    ConsultationFactory(
        office=office, user=UserFactory(office=office), video_tool=tool, counselor=counselor
    )
    assert _places(office) == seen and version(office) > availability
    loaded = Office.objects.get(pk=office.pk)
    BoothFactory(office=office)
    loaded.name = "ハローワーク改名"
    loaded.save()  # a stale save never lowers it
    assert _places(office) > loaded.places_version


def test_a_change_of_a_person_e_mail_addresses_raises_their_version():
    # REQ NFR-4, REG-1: whether a person may book follows their verified address
    person = UserFactory(verified=False)
    with Raised(person):
        address = EmailAddress.objects.create(user=person, email=person.email, verified=False)
    with Raised(person):
        EmailAddress.objects.filter(pk=address.pk).update(verified=True)
    with Raised(person):
        address.delete()


def test_a_raw_statement_raises_the_version_too():
    # REQ NFR-4: the database does it, not the application's code paths
    booth = BoothFactory()
    reservation = ReservationFactory(booth=booth)
    with Raised(booth.office), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Reservation._meta.db_table} SET phone = %s WHERE id = %s",
            ["0184-99-0000", reservation.pk],
        )


def test_a_stale_save_of_the_office_never_lowers_the_version():
    # REQ NFR-4: an office loaded before a change and saved after it keeps the newer number
    office = OfficeFactory()
    loaded = Office.objects.get(pk=office.pk)
    BoothFactory(office=office)
    raised = version(office)
    assert raised > loaded.availability_version
    loaded.name = "ハローワーク改名"
    loaded.save()
    assert version(office) == raised
    assert Office.objects.get(pk=office.pk).name == "ハローワーク改名"


def test_a_stale_save_of_the_person_never_lowers_their_version():
    # REQ NFR-4: a profile saved from a user loaded before a booking keeps the newer number
    person = UserFactory()
    loaded = User.objects.get(pk=person.pk)
    ReservationFactory(user=person, booth=BoothFactory(office=person.office))
    raised = version(person)
    assert raised > loaded.booking_facts_version
    loaded.phone = "0184-55-6666"
    loaded.save()
    assert version(person) == raised


LATER = datetime.datetime(
    2026, 11, 19, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=9))
)


def _rows_read() -> dict[str, int]:
    """Rows this transaction has read from the tables the versions live in, by any scan."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, seq_tup_read + coalesce(idx_tup_fetch, 0) "
            "FROM pg_stat_xact_user_tables WHERE relname IN ('accounts_user', 'accounts_office')"
        )
        return dict(cursor.fetchall())


def test_every_watched_write_raises_its_versions_through_the_index_not_a_table_scan():
    # REQ NFR-4: `IN (…) OR IN (…)` read every user on each status change. Each version bump
    # must read only the rows it raises, by the primary key.
    office = OfficeFactory()
    person = UserFactory(office=office)
    User.objects.bulk_create(
        User(username=f"bystander{n}", email=f"b{n}@example.jp", office=office) for n in range(60)
    )
    Office.objects.bulk_create(
        Office(code=f"other{n}", name=f"other {n}", address="x", phone="0173") for n in range(60)
    )
    booth = BoothFactory(office=office)
    reservation = ReservationFactory(booth=booth, user=person)
    # An hour after the reservation: one person is never booked twice at once (REQ CON-10).
    consultation = ConsultationFactory(
        office=office, user=person, starts_at=reservation.starts_at + datetime.timedelta(hours=1)
    )
    address = EmailAddress.objects.create(user=person, email="second@example.jp", verified=False)
    closure = OfficeClosure.objects.create(office=office, date=datetime.date(2026, 12, 1))
    with connection.cursor() as cursor:
        # A table this small is cheapest to scan whole; priced out, every plan that can reach
        # the rows by the primary key does (PostgreSQL 15 and 16 alike), and one that cannot
        # (a filter over the table) still scans it. Plans cached before are made again.
        cursor.execute(
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; "
            "SET LOCAL enable_mergejoin = off; DISCARD PLANS"
        )
    writes = [
        (office, lambda: Reservation.objects.filter(pk=reservation.pk).update(phone="0184-99")),
        (person, lambda: Reservation.objects.filter(pk=reservation.pk).update(phone="0184-98")),
        (office, lambda: Consultation.objects.filter(pk=consultation.pk).update(note="moved")),
        (person, lambda: Consultation.objects.filter(pk=consultation.pk).update(note="again")),
        (office, lambda: Booth.objects.filter(pk=booth.pk).update(name="B")),
        (person, lambda: EmailAddress.objects.filter(pk=address.pk).update(verified=True)),
        (office, lambda: OfficeClosure.objects.filter(pk=closure.pk).update(reason="lifted")),
        (office, insert := lambda: ReservationFactory(booth=booth, user=person, starts_at=LATER)),
        (office, lambda: closure.delete()),
        (person, lambda: address.delete()),
        (office, lambda: reservation.delete()),
        (person, lambda: consultation.delete()),
    ]
    for target, write in writes:
        with Raised(target), CaptureQueriesContext(connection) as sent:
            before = _rows_read()
            write()
            read = {table: rows - before[table] for table, rows in _rows_read().items()}
        # The bump reads its one row (a row the write's foreign keys check is read again; a
        # booking's write locks its person's row for their alerts' kept facts, REQ ALR-1); a
        # new booking also moves its person's last use by the primary key (REQ REG-6). A scan
        # would read the 60 bystanders.
        limit = 4 if write is insert else 3
        # On failure: what the write sent (its triggers' statements are theirs to explain).
        assert max(read.values()) <= limit, (
            read,
            write.__code__.co_firstlineno,
            [query["sql"][:200] for query in sent.captured_queries],
        )


def _people_version(office) -> int:
    return Office.objects.values_list("people_version", flat=True).get(pk=office.pk)


def test_a_consent_and_a_persons_name_or_standing_raise_the_people_version_and_activity_not():
    # REQ NFR-4, TRM-4, STF-1: the day sheet keys its consent marks and counselors' names by it;
    # the writes every request makes (last activity, the facts version) must not raise it
    from terms.models import ConsentMethod
    from terms.services import consent_record
    from tests.terms.factories import TermsVersionFactory

    office, elsewhere = OfficeFactory(), OfficeFactory()
    person = UserFactory(office=office)
    terms = TermsVersionFactory(document__office=office)
    start = _people_version(office)
    consent_record(user=person, version=terms, method=ConsentMethod.ONLINE)
    assert _people_version(office) == start + 1
    User.objects.filter(pk=person.pk).update(
        last_activity_at=datetime.datetime(2026, 11, 16, tzinfo=datetime.UTC)
    )
    User.objects.filter(pk=person.pk).update(booking_facts_version=99)
    assert _people_version(office) == start + 1
    person.last_name = "改名"
    person.save()
    assert _people_version(office) == start + 2
    person.office = elsewhere
    before_elsewhere = _people_version(elsewhere)
    person.save(update_fields=["office"])
    assert _people_version(office) == start + 3
    assert _people_version(elsewhere) == before_elsewhere + 1
