"""Access records (REQ LOG-1) and admin searches kept out of URLs (REQ LOG-2)."""

import datetime
import html
import re
from urllib.parse import quote

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.access import (
    AccessKind,
    AccessRecord,
    access_record,
    access_record_page,
    search_hash,
)
from accounts.admin_site import list_is_personal
from accounts.roles import ensure_counselor_group
from accounts.services import account_delete
from accounts.tasks import purge_access_records
from bookings import services as bookings
from booths import services as booth_services
from consultations import services as consultation_services
from core.audit import acting_as
from tests.auth import login_client, staff_with_mfa
from tests.booths.conftest import NOW, SLOT_AT
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.consultations.conftest import checklist
from tests.consultations.factories import ConsultationFactory, VideoToolFactory
from tests.factories import OfficeFactory, UserFactory
from tests.terms.factories import ConsentFactory, TermsDocumentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"
IP = "203.0.113.7"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def booth(office):
    return BoothFactory(office=office, name="ブースA")


def counselor(office, *, access_records=False):
    user = staff_with_mfa(office=office)
    user.groups.add(ensure_counselor_group())
    if access_records:
        user.user_permissions.add(Permission.objects.get(codename="view_accessrecord"))
    return user


def person_request(user, path="/booths/"):
    request = RequestFactory().post(path, REMOTE_ADDR=IP, HTTP_USER_AGENT=BROWSER)
    request.user = user
    return request


def test_a_booking_and_its_cancellation_are_recorded_with_ip_and_browser(frozen, office, booth):
    # REQ LOG-1
    seeker = UserFactory(office=office)
    with acting_as(request=person_request(seeker)):
        reservation = booth_services.reservation_request(
            user=seeker,
            booth=booth,
            starts_at=SLOT_AT,
            purpose="job_consultation",
            requester_name="山田 太郎",
            phone="0173-11-2222",
        )
        bookings.booking_cancel_online(booking=reservation, user=seeker)
    booked, cancelled = AccessRecord.objects.order_by("pk")
    assert booked.kind == AccessKind.BOOKING and cancelled.kind == AccessKind.CANCELLATION
    for record in (booked, cancelled):
        assert record.actor == seeker and record.subject == seeker
        assert record.ip_address == IP and record.user_agent == BROWSER
        assert record.office_id == office.pk and record.at == timezone.now()


def test_a_cancellation_through_the_page_is_recorded(frozen, client, office, booth):
    # REQ LOG-1: the middleware gives the booking code the request
    seeker = UserFactory(office=office)
    reservation = ReservationFactory(booth=booth, user=seeker)
    client.force_login(seeker)
    response = client.post(
        reverse("booths:cancel", args=[reservation.pk]),
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=BROWSER,
    )
    assert response.status_code == 302
    record = AccessRecord.objects.get()
    assert record.kind == AccessKind.CANCELLATION and record.subject == seeker
    assert (record.ip_address, record.user_agent) == (IP, BROWSER)


def test_a_join_is_recorded_with_ip_and_browser(frozen, office):
    # REQ LOG-1, CON-3
    seeker = UserFactory(office=office)
    zoom = VideoToolFactory(office=office)
    consultation = ConsultationFactory(
        office=office, user=seeker, video_tool=zoom, starts_at=NOW, join_url="https://zoom.us/j/1"
    )
    consultation_services.consultation_join(
        consultation=consultation,
        user=seeker,
        request=person_request(seeker),
        checklist=checklist(zoom),
        now=NOW,
    )
    record = AccessRecord.objects.get()
    assert record.kind == AccessKind.JOIN and record.subject == seeker and record.actor == seeker
    assert (record.ip_address, record.user_agent) == (IP, BROWSER)


def test_nothing_is_recorded_without_a_request(office):
    # REQ LOG-1: jobs and the shell leave audit records, not access records
    assert access_record(kind=AccessKind.BOOKING, subject=UserFactory(office=office)) is None
    assert not AccessRecord.objects.exists()


def test_every_admin_change_view_of_a_persons_data_is_recorded(frozen, client, office, booth):
    # REQ LOG-1: users, reservations, consultations, consents
    staff = counselor(office)
    seeker = UserFactory(office=office)
    version = TermsVersionFactory(document=TermsDocumentFactory(office=office))
    pages = {
        "accounts_user_change": seeker,
        "booths_reservation_change": ReservationFactory(booth=booth, user=seeker),
        "consultations_consultation_change": ConsultationFactory(
            # An hour after the reservation: one person is never booked twice at once (CON-10).
            office=office,
            user=seeker,
            starts_at=SLOT_AT + datetime.timedelta(hours=1),
        ),
        "terms_consent_change": ConsentFactory(user=seeker, version=version),
    }
    login_client(client, staff)
    for name, obj in pages.items():
        response = client.get(
            reverse(f"admin:{name}", args=[obj.pk]), REMOTE_ADDR=IP, HTTP_USER_AGENT=BROWSER
        )
        assert response.status_code == 200, name
    records = list(AccessRecord.objects.order_by("pk"))
    assert len(records) == len(pages)
    for record, obj in zip(records, pages.values(), strict=True):
        assert record.kind == AccessKind.ADMIN_VIEW
        assert record.actor == staff and record.subject == seeker
        assert record.object_repr == str(obj)[:200]
        assert (record.ip_address, record.user_agent) == (IP, BROWSER)
        assert record.office_id == office.pk


def test_a_staff_page_of_several_people_leaves_one_record_naming_each_once(office):
    # REQ LOG-1: the day sheet, the call list and a caller search call this; one record per
    # page shown, everyone in the order shown, with the staff member's IP and browser
    staff = counselor(office)
    people = [UserFactory(office=office) for _ in range(3)]
    request = person_request(staff, path="/admin/booths/day/")
    with CaptureQueriesContext(connection) as queries:
        shown = access_record_page(request, AccessKind.DAY_SHEET, [*people, people[0], None])
    assert shown == 3 and len(queries) == 1
    record = AccessRecord.objects.get()
    assert record.kind == AccessKind.DAY_SHEET and record.actor == staff
    assert record.subject is None and record.subjects == [p.pk for p in people]
    assert (record.office_id, record.path) == (office.pk, "/admin/booths/day/")
    assert (record.ip_address, record.user_agent) == (IP, BROWSER)
    assert access_record_page(request, AccessKind.DAY_SHEET, [None]) == 0
    assert AccessRecord.objects.count() == 1


def test_people_of_another_office_on_a_page_are_recorded_under_theirs(office):
    # REQ LOG-1: who may see a record is unchanged: each office's auditors see the pages that
    # showed their people, as they saw a record per person before
    staff = counselor(office)
    other = OfficeFactory(code="other")
    mine = [UserFactory(office=office) for _ in range(2)]
    theirs = UserFactory(office=other)
    request = person_request(staff, path="/admin/booths/calls/")
    assert access_record_page(request, AccessKind.CALL_LIST, [mine[0], theirs, mine[1]]) == 3
    records = {r.office_id: r.subjects for r in AccessRecord.objects.all()}
    assert records == {office.pk: [mine[0].pk, mine[1].pk], other.pk: [theirs.pk]}
    # Ids alone (no office known) are the page's office's.
    assert access_record_page(request, AccessKind.CALL_LIST, [theirs.pk, mine[0].pk]) == 2
    latest = AccessRecord.objects.order_by("-pk").first()
    assert latest.office_id == office.pk and latest.subjects == [theirs.pk, mine[0].pk]


def test_an_auditor_finds_every_page_that_showed_a_person(client, office):
    # REQ LOG-1: by the query set and by the admin's search for the person's login ID; the
    # record lists everyone it named
    staff = counselor(office)
    wanted = UserFactory(office=office, username="wanted1", last_name="探索", first_name="一郎")
    others = [UserFactory(office=office, username=f"other{n}") for n in range(2)]
    request = person_request(staff, path="/admin/booths/calls/")
    access_record_page(request, AccessKind.CALL_LIST, [others[0], wanted])
    access_record_page(request, AccessKind.DAY_SHEET, others)
    own = access_record(kind=AccessKind.BOOKING, subject=wanted, request=person_request(wanted))
    pages = AccessRecord.objects.filter(kind=AccessKind.CALL_LIST)
    assert set(AccessRecord.objects.about(wanted)) == {own, *pages}
    assert set(AccessRecord.objects.about(others[1].pk)) == set(
        AccessRecord.objects.filter(kind=AccessKind.DAY_SHEET)
    )
    auditor = counselor(office, access_records=True)
    login_client(client, auditor)
    found = _search(client, reverse("admin:accounts_accessrecord_changelist"), "WANTED1")
    assert set(found.context["cl"].result_list) == {own, *pages}
    record = pages.get()
    page = client.get(reverse("admin:accounts_accessrecord_change", args=[record.pk]))
    assert html.escape(str(wanted)) in page.content.decode()
    assert html.escape(str(others[0])) in page.content.decode()


def test_the_lookup_of_a_person_in_page_records_uses_their_index(office):
    # REQ LOG-1, NFR-4: an auditor's lookup stays an index scan as the records grow
    staff = counselor(office)
    person = UserFactory(office=office)
    access_record_page(person_request(staff), AccessKind.CALL_LIST, [person])
    query = AccessRecord.objects.filter(subjects__contains=[person.pk])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "accounts_access_subjects_idx" in plan


def test_only_staff_with_the_permission_see_access_records_of_their_office(client, office):
    # REQ LOG-1: only authorised staff, scoped to their office
    other = OfficeFactory(code="other")
    mine = UserFactory(office=office, username="mine1", last_name="自所", first_name="一郎")
    theirs = UserFactory(office=other, username="theirs1", last_name="他所", first_name="二郎")
    for subject in (mine, theirs):
        access_record(kind=AccessKind.BOOKING, subject=subject, request=person_request(subject))
    changelist = reverse("admin:accounts_accessrecord_changelist")
    login_client(client, counselor(office))
    assert client.get(changelist).status_code == 403
    login_client(client, counselor(office, access_records=True))
    html = client.get(changelist).content.decode()
    # Staff read people by name (STF-1).
    assert "自所 一郎" in html and "他所 二郎" not in html
    record = AccessRecord.objects.get(subject=mine)
    assert client.get(reverse("admin:accounts_accessrecord_add")).status_code == 403
    assert client.post(
        reverse("admin:accounts_accessrecord_change", args=[record.pk])
    ).status_code == (403)
    assert (
        client.post(reverse("admin:accounts_accessrecord_delete", args=[record.pk])).status_code
        == 403
    )
    # The ORM refuses first (core.append_only), and the database whatever asks (raw SQL:
    # test_the_database_refuses_to_change_or_delete_an_access_record).
    with pytest.raises(ValidationError):
        AccessRecord.objects.filter(pk=record.pk).update(ip_address=None)
    with pytest.raises(ValidationError):
        record.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        models.QuerySet(AccessRecord).filter(pk=record.pk).update(ip_address=None)
    # The two, and the auditor's view of the list (itself a list of people's data).
    assert AccessRecord.objects.exclude(kind=AccessKind.ADMIN_LIST).count() == 2
    assert AccessRecord.objects.filter(kind=AccessKind.ADMIN_LIST).count() == 1


def test_the_purge_job_deletes_records_older_than_the_retention(settings, office):
    # REQ LOG-1: retention configurable, purged by a job
    settings.ACCESS_RECORD_RETENTION_DAYS = 30
    subject = UserFactory(office=office)
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=31), tick=False):
        access_record(kind=AccessKind.BOOKING, subject=subject, request=person_request(subject))
    with time_machine.travel(now - datetime.timedelta(days=29), tick=False):
        kept = access_record(
            kind=AccessKind.BOOKING, subject=subject, request=person_request(subject)
        )
    assert purge_access_records() == "deleted=1"
    assert list(AccessRecord.objects.all()) == [kept]


# --- Lists and searches of people's data (REQ LOG-1) -----------------------------------------

PERSONAL_LISTS = {
    "accounts.User",
    "accounts.JobseekerNumberMove",
    "accounts.SignInRecord",
    "accounts.AccessRecord",
    "terms.Consent",
    "consultations.OnlineApproval",
    "consultations.Consultation",
    "booths.Reservation",
    "core.AuditEvent",
    "account.EmailAddress",
    "mfa.Authenticator",
}


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _search(client, url: str, term: str):
    """The admin's search box: a POST, then the list it redirects to."""
    response = client.post(url, {"_search": "1", "q": term})
    assert response.status_code == 302
    return client.get(response["Location"], REMOTE_ADDR=IP, HTTP_USER_AGENT=BROWSER)


def _holds_text(record: AccessRecord, text: str) -> bool:
    values = [str(getattr(record, field.attname)) for field in AccessRecord._meta.concrete_fields]
    return any(text.lower() in value.lower() for value in values)


def test_the_lists_of_peoples_data_are_the_ones_recorded():
    # REQ LOG-1: reservations (phones), users and HR accounts (addresses), consultations,
    # consents, sign-ins, access and audit lists; not offices, booths or terms
    recorded = {
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if list_is_personal(model_admin)
    }
    assert recorded == PERSONAL_LISTS


def test_every_list_of_peoples_data_shown_writes_one_access_record(client, office):
    # REQ LOG-1: who, when, which list; one INSERT per list shown
    staff = staff_with_mfa(office=office, is_superuser=True)
    UserFactory(office=office, username="listed1")
    login_client(client, staff)
    for model, model_admin in admin.site._registry.items():
        if not list_is_personal(model_admin):
            assert client.get(_changelist(model)).status_code == 200
            continue
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_changelist(model), REMOTE_ADDR=IP, HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 200, model
        # (pghistory puts its context before a request's first write, in the same statement.)
        inserts = [q for q in queries if 'INSERT INTO "accounts_accessrecord"' in q["sql"]]
        assert len(inserts) == 1, model
    records = list(AccessRecord.objects.filter(kind=AccessKind.ADMIN_LIST).order_by("pk"))
    assert AccessRecord.objects.count() == len(records) == len(PERSONAL_LISTS)
    assert {record.path for record in records} == {
        _changelist(model) for model, ma in admin.site._registry.items() if list_is_personal(ma)
    }
    for record in records:
        assert record.actor == staff and record.office_id == office.pk
        assert record.object_repr and record.search_hash == "" and record.subject_id is None
        assert (record.ip_address, record.user_agent) == (IP, BROWSER)


@pytest.mark.parametrize(
    ("model", "term"),
    [
        ("booths_reservation", "0173-12-3456"),
        ("consultations_consultation", "山田 太郎"),
        ("accounts_user", "finder@example.jp"),
    ],
)
def test_a_search_of_peoples_data_is_recorded_with_its_terms_only_hashed(
    client, office, booth, model, term
):
    # REQ LOG-1, LOG-2: one record of the search, its terms as a keyed hash, never in the clear
    UserFactory(office=office, email="finder@example.jp")
    ReservationFactory(booth=booth)
    ConsultationFactory(office=office, starts_at=SLOT_AT + datetime.timedelta(hours=1))
    login_client(client, counselor(office))
    response = _search(client, reverse(f"admin:{model}_changelist"), term)
    assert response.status_code == 200 and response.context["cl"].result_count == 1
    record = AccessRecord.objects.get()
    assert record.kind == AccessKind.ADMIN_SEARCH and record.path.endswith(
        model.replace("_", "/", 1) + "/"
    )
    assert record.search_hash == search_hash(term) and len(record.search_hash) == 64
    for part in (term, *term.split(), term.replace("-", "")):
        assert not _holds_text(record, part)
    # The same terms typed alike (full-width digits, other spacing and case) hash alike.
    assert search_hash(f"  {term.upper()} ".replace("0", "０")) == record.search_hash
    assert search_hash(term + "x") != record.search_hash


def test_the_search_hash_is_keyed_by_the_secret_key(settings):
    # REQ LOG-1: a list of guessed names hashed elsewhere does not find what was searched
    hashed = search_hash("山田")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert search_hash("山田") != hashed
    assert search_hash("   ") == ""


def test_an_auditor_finds_who_searched_for_given_terms(client, office):
    # REQ LOG-1: typing the terms into the access records' search finds the searches
    searcher = counselor(office)
    login_client(client, searcher)
    _search(client, reverse("admin:accounts_user_changelist"), "検索 太郎")
    _search(client, reverse("admin:accounts_user_changelist"), "別の人")
    auditor = counselor(office, access_records=True)
    login_client(client, auditor)
    found = _search(client, reverse("admin:accounts_accessrecord_changelist"), "検索　太郎")
    page = found.content.decode()
    assert html.escape(str(searcher)) in page
    searched = AccessRecord.objects.filter(kind=AccessKind.ADMIN_SEARCH, actor=searcher)
    first, _second = searched.order_by("pk")
    assert list(found.context["cl"].result_list) == [first]
    assert first.search_hash == search_hash("検索 太郎")


# --- Real people and a real office, append-only (issue 20) ----------------------------------


def _constraints_checked_now():
    # Foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED); a test never commits.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_an_access_record_points_to_a_real_office(office):
    # REQ LOG-1: the office is a foreign key the database checks
    subject = UserFactory(office=office)
    record = access_record(
        kind=AccessKind.BOOKING, subject=subject, request=person_request(subject)
    )
    assert AccessRecord.objects.select_related("office").get(pk=record.pk).office == office
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRecord.objects.create(kind=AccessKind.EXPORT, office_id=office.pk + 1000)
        _constraints_checked_now()
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRecord.objects.create(kind=AccessKind.EXPORT, subject_id=subject.pk + 1000)
        _constraints_checked_now()
    assert list(AccessRecord.objects.all()) == [record]


def test_the_database_refuses_to_change_or_delete_an_access_record(office):
    # REQ LOG-1: append-only, raw SQL included, under the accounts table and trigger
    subject = UserFactory(office=office)
    record = access_record(
        kind=AccessKind.BOOKING, subject=subject, request=person_request(subject)
    )
    table = AccessRecord._meta.db_table
    assert table == "accounts_accessrecord"
    for sql in (
        f"UPDATE {table} SET ip_address = NULL, office_id = NULL WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="Cannot update or delete"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    record = AccessRecord.objects.get(pk=record.pk)
    assert record.ip_address == IP and record.office_id == office.pk


def test_people_and_offices_with_access_records_are_kept(office):
    # REQ LOG-1, REG-5: a record keeps whose data it was until its retention ends. Emptying
    # its people or office on a deletion would be an UPDATE the trigger refuses, so the
    # deletion is refused first; an account is erased by anonymising, the record stays.
    staff = staff_with_mfa(office=office)
    subject = UserFactory(office=office, username="subject1")
    quiet_office = OfficeFactory(code="quiet")  # no people: only the record holds it
    record = access_record(
        kind=AccessKind.EXPORT,
        subject=subject,
        obj=subject,
        request=person_request(staff, path="/admin/"),
        office_id=quiet_office.pk,
    )
    for doomed in (subject, staff, quiet_office):
        with pytest.raises(ProtectedError), transaction.atomic():
            doomed.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_office WHERE id = %s", [quiet_office.pk])
        _constraints_checked_now()
    account_delete(user=subject)
    record = AccessRecord.objects.get(pk=record.pk)
    assert record.subject_id == subject.pk and record.actor_id == staff.pk
    assert record.office_id == quiet_office.pk
    assert "subject1" not in record.object_repr and record.ip_address == IP  # the staff's own
    account_delete(user=staff)
    assert AccessRecord.objects.get(pk=record.pk).ip_address is None


def test_a_page_record_is_append_only_kept_through_erasure_and_purged(settings, office):
    # REQ LOG-1, REG-5: nobody changes a page record, raw SQL included; erasing a person
    # named on it keeps that the page showed them; a person it names is not deleted; the
    # retention purge deletes it like any record
    settings.ACCESS_RECORD_RETENTION_DAYS = 30
    staff = staff_with_mfa(office=office)
    named = UserFactory(office=office, username="named1")
    other = UserFactory(office=office)
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=31), tick=False):
        access_record_page(person_request(staff), AccessKind.CALL_LIST, [named, other])
    old = AccessRecord.objects.get()
    for sql in (
        "UPDATE accounts_accessrecord SET subjects = '{}' WHERE id = %s",
        "DELETE FROM accounts_accessrecord WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [old.pk])
    with pytest.raises(ValidationError):
        AccessRecord.objects.filter(pk=old.pk).update(subjects=[other.pk])
    with pytest.raises(IntegrityError, match="named by an access record"), transaction.atomic():
        models.QuerySet(type(named)).filter(pk=named.pk).delete()
    account_delete(user=named)
    assert AccessRecord.objects.get(pk=old.pk).subjects == [named.pk, other.pk]
    assert list(AccessRecord.objects.about(named)) == [old]
    access_record_page(person_request(staff), AccessKind.DAY_SHEET, [other])
    assert purge_access_records() == "deleted=1"
    assert list(AccessRecord.objects.values_list("kind", "subjects")) == [
        (AccessKind.DAY_SHEET, [other.pk])
    ]


# --- LOG-2: admin searches stay out of URLs ---------------------------------------------------


def _urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|action|src)="([^"]*)"', html)


def test_an_admin_search_by_name_never_reaches_a_url(client, office):
    # REQ LOG-2
    staff = counselor(office)
    UserFactory(office=office, username="findme", last_name="検索")
    UserFactory(office=office, username="someone", last_name="別人")
    login_client(client, staff)
    changelist = reverse("admin:accounts_user_changelist")
    page = client.get(changelist).content.decode()
    assert 'method="post" role="search"' in page  # the search box posts
    term, encoded = "検索", quote("検索")

    response = client.post(f"{changelist}?is_active__exact=1", {"_search": "1", "q": term})
    assert response.status_code == 302
    location = response["Location"]
    assert encoded not in location and term not in location
    assert not re.search(r"(?:^|[?&])q=", location)
    assert "is_active__exact=1" in location and "qt=" in location

    result = client.get(location)
    html = result.content.decode()
    assert result.status_code == 200
    assert "findme" in html and "someone" not in html  # the search still works
    assert f'value="{term}"' in html  # shown in the box, inside the page only
    urls = [url.replace("&amp;", "&") for url in _urls_in(html)]
    for url in urls:
        assert encoded not in url and term not in url
        assert not re.search(r"(?:^|[?&])q=", url) and "q%3D" not in url
    # Sorting, filters and "back to the list" from a change view carry the token instead.
    token = location.split("qt=")[1].split("&")[0]
    assert any(f"qt={token}" in url or f"qt%3D{token}" in url for url in urls)


def test_a_search_typed_into_the_address_bar_is_moved_out_of_the_url(client, office):
    # REQ LOG-2: the term does not spread into the links of the page
    login_client(client, counselor(office))
    changelist = reverse("admin:accounts_user_changelist")
    response = client.get(changelist, {"q": "山田"})
    assert response.status_code == 302
    assert "q=" not in response["Location"].replace("qt=", "")


def test_a_forged_search_post_is_refused(office):
    # REQ LOG-2, NFR-3: the search post needs the CSRF token like any other post
    from django.test import Client

    client = login_client(Client(enforce_csrf_checks=True), counselor(office))
    response = client.post(reverse("admin:accounts_user_changelist"), {"_search": "1", "q": "x"})
    assert response.status_code == 403


# --- LOG-2: the admin's autocomplete posts -----------------------------------------------------

AUTOCOMPLETE = {"app_label": "booths", "model_name": "reservation", "field_name": "user"}


def test_the_autocomplete_never_takes_typed_terms_from_a_url(client, office):
    # REQ LOG-2: Django's autocomplete answered ?term=<name> on every keystroke
    UserFactory(office=office, username="yamada1", last_name="鈴木")
    login_client(client, counselor(office))
    response = client.get(reverse("admin:autocomplete"), {"term": "鈴木", **AUTOCOMPLETE})
    assert response.status_code == 405
    assert "yamada1" not in response.content.decode()
    assert not AccessRecord.objects.exists()


def test_the_autocomplete_answers_a_post_and_records_it_hashed(client, office):
    # REQ LOG-2, LOG-1: the term in the body; the list of people it showed is recorded
    suzuki = UserFactory(office=office, username="yamada1", last_name="鈴木")
    UserFactory(office=office, username="sato1", last_name="佐藤")
    staff = counselor(office)
    staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    login_client(client, staff)
    response = client.post(reverse("admin:autocomplete"), {"term": "鈴木", **AUTOCOMPLETE})
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == [str(suzuki)]
    record = AccessRecord.objects.get()
    assert record.kind == AccessKind.ADMIN_SEARCH and record.actor == staff
    assert record.search_hash == search_hash("鈴木") and not _holds_text(record, "鈴木")
    assert record.path == reverse("admin:autocomplete")


def test_a_forged_autocomplete_post_is_refused(office):
    # REQ LOG-2, NFR-3: the post needs the CSRF token, which the widget's script sends
    from django.test import Client

    client = login_client(Client(enforce_csrf_checks=True), counselor(office))
    response = client.post(reverse("admin:autocomplete"), {"term": "x", **AUTOCOMPLETE})
    assert response.status_code == 403
