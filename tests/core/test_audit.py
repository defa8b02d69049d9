"""The audit trail (REQ STF-2), recorded by database triggers: every insert, update and delete
of the tracked models leaves an event row, in the same transaction, with who (or which job),
when and the values before → after, whatever wrote it (a service, the admin, a queryset
update, a cascade, raw SQL); nobody changes or deletes event rows, consents or access records,
not even by raw SQL; staff see their own office's trail; counselors cannot change other staff
accounts."""

import datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from pghistory.core import event_models

from accounts.access import AccessKind, AccessRecord, access_record
from accounts.models import User
from accounts.roles import ensure_counselor_group
from accounts.services import user_profile_update, user_suspend, user_unsuspend
from bookings import services as bookings
from bookings.closures import closure_create
from bookings.models import OfficeClosure
from bookings.tasks import bookings_record_no_shows
from booths import services as booth_services
from booths.models import Reservation, Status
from consultations.models import CounselorVideoDefault
from core.audit import AuditEvent, AuditPaginator, acting_as, audit_events_of
from terms.models import Consent, ConsentMethod, VersionStatus
from terms.services import consent_record, terms_version_publish
from tests.auth import login_client, staff_with_mfa
from tests.booths.conftest import NOW, SLOT_AT, tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
from tests.consultations.factories import VideoToolFactory
from tests.factories import OfficeFactory, StaffFactory, UserFactory
from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def booth(office):
    return BoothFactory(office=office, name="ブースA")


@pytest.fixture
def staff(office):
    return StaffFactory(office=office)


def counselor(office):
    user = staff_with_mfa(office=office)
    user.groups.add(ensure_counselor_group())
    return user


def events_of(obj) -> list[AuditEvent]:
    """The object's trail, newest first."""
    return list(audit_events_of(obj).select_related("user"))


def all_event_ids() -> set[str]:
    return set(AuditEvent.objects.values_list("pgh_slug", flat=True))


def new_events_of(obj, before: set[str]) -> list[AuditEvent]:
    return [event for event in events_of(obj) if event.pgh_slug not in before]


# --- One event per change, with who and before → after --------------------------------------


def _confirm(ctx):
    r = ReservationFactory(booth=ctx["booth"])
    ctx["skip"] = all_event_ids()
    bookings.booking_confirm(booking=r, staff=ctx["staff"], phoned_at=NOW)
    return r, "status", ["requested", "confirmed"]


def _move(ctx):
    r = ReservationFactory(booth=ctx["booth"])
    ctx["skip"] = all_event_ids()
    booth_services.reservation_move(
        reservation=r, staff=ctx["staff"], booth=ctx["booth"], starts_at=tokyo(2026, 11, 18, 11)
    )
    return r, "starts_at", [None, None]


def _late_contact(ctx):
    r = ReservationFactory(booth=ctx["booth"], starts_at=tokyo(2026, 11, 16, 10, 0), confirmed=True)
    ctx["skip"] = all_event_ids()
    bookings.booking_record_late_contact(booking=r, staff=ctx["staff"])
    return r, "late_contact_at", [None, None]


def _check_in(ctx):
    r = ReservationFactory(booth=ctx["booth"], starts_at=tokyo(2026, 11, 16, 10, 0), confirmed=True)
    ctx["skip"] = all_event_ids()
    bookings.booking_start(booking=r, staff=ctx["staff"])
    return r, "status", ["confirmed", "checked_in"]


def _complete(ctx):
    r = ReservationFactory(
        booth=ctx["booth"],
        starts_at=tokyo(2026, 11, 16, 10, 0),
        status=Status.CHECKED_IN,
        actual_started_at=NOW,
        checked_in_at=NOW,
    )
    ctx["skip"] = all_event_ids()
    bookings.booking_complete(booking=r, staff=ctx["staff"])
    return r, "status", ["checked_in", "completed"]


def _no_show_by_staff(ctx):
    r = ReservationFactory(booth=ctx["booth"], starts_at=tokyo(2026, 11, 16, 9, 30), confirmed=True)
    ctx["skip"] = all_event_ids()
    bookings.booking_mark_no_show(booking=r, staff=ctx["staff"])
    return r, "status", ["confirmed", "no_show"]


def _suspend(ctx):
    person = UserFactory(office=ctx["office"])
    ctx["skip"] = all_event_ids()
    user_suspend(user=person, by=ctx["staff"], reason="other", note="電話で確認")
    return person, "suspension_note", ["", "電話で確認"]


def _lift(ctx):
    person = UserFactory(office=ctx["office"])
    user_suspend(user=person, by=ctx["staff"], reason="other")
    ctx["skip"] = all_event_ids()
    user_unsuspend(user=person, by=ctx["staff"])
    return person, "suspension_reason", ["other", ""]


def _publish(ctx):
    version = TermsVersionFactory(
        document=TermsDocumentFactory(office=ctx["office"]),
        status=VersionStatus.DRAFT,
        published_at=None,
        effective_from=NOW + datetime.timedelta(days=7),
    )
    ctx["skip"] = all_event_ids()
    terms_version_publish(version=version)
    return version, "status", ["draft", "published"]


def _counter_consent(ctx):
    version = TermsVersionFactory(document=TermsDocumentFactory(office=ctx["office"]))
    person = UserFactory(office=ctx["office"])
    consent = consent_record(
        user=person, version=version, method=ConsentMethod.STAFF, recorded_by=ctx["staff"]
    )
    return consent, "method", [None, "staff"]


def _closure(ctx):
    closure_create(
        office=ctx["office"], date=datetime.date(2026, 11, 20), reason="研修", staff=ctx["staff"]
    )
    return OfficeClosure.objects.get(), "reason", [None, "研修"]


CHANGES = {
    "confirm": _confirm,
    "move": _move,
    "late contact": _late_contact,
    "check-in": _check_in,
    "complete": _complete,
    "no-show by staff": _no_show_by_staff,
    "suspend": _suspend,
    "lift suspension": _lift,
    "publish": _publish,
    "counter consent": _counter_consent,
    "closure": _closure,
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_each_staff_change_leaves_exactly_one_event_with_who_and_before_and_after(
    name, frozen, office, booth, staff
):
    # REQ STF-2
    ctx = {"office": office, "booth": booth, "staff": staff}
    before = all_event_ids()
    with acting_as(user=staff), transaction.atomic():
        obj, field, pair = CHANGES[name](ctx)
    (event,) = new_events_of(obj, ctx.get("skip", before))
    assert event.user == staff and event.by == str(staff)
    assert event.pgh_obj_id == str(obj.pk)
    assert event.at is not None
    old, new = event.changes[field]
    assert old != new
    for expected, got in zip(pair, (old, new), strict=True):
        if expected is not None:
            assert got == expected
    # The office's list holds it, another office's does not (the office each row points to).
    assert AuditEvent.objects.for_staff(staff).filter(pgh_slug=event.pgh_slug).exists()
    stranger = StaffFactory(office=OfficeFactory(code="elsewhere"))
    assert not AuditEvent.objects.for_staff(stranger).filter(pgh_slug=event.pgh_slug).exists()


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_rolled_back_change_leaves_no_event(name, frozen, office, booth, staff):
    # REQ STF-2: the event row is written in the change's own transaction
    ctx = {"office": office, "booth": booth, "staff": staff}
    before = all_event_ids()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), acting_as(user=staff), transaction.atomic():
        obj, *_ = CHANGES[name](ctx)
        assert events_of(obj)
        raise Abort
    assert all_event_ids() == before


# --- Whatever path wrote it -----------------------------------------------------------------


def test_a_bulk_update_leaves_an_event_per_row_with_the_actor(frozen, booth, staff):
    # REQ STF-2: a queryset update() bypasses save() and signals, not the triggers
    first, second = (ReservationFactory(booth=booth, starts_at=SLOT_AT + h) for h in HOURS)
    with acting_as(user=staff):
        assert Reservation.objects.filter(booth=booth).update(note="電話あり") == 2
    for reservation in (first, second):
        event = events_of(reservation)[0]
        assert event.pgh_label == "update" and event.user == staff
        assert event.changes == {"note": ["", "電話あり"]}


HOURS = (datetime.timedelta(0), datetime.timedelta(hours=1))


def test_a_cascade_delete_leaves_a_delete_event_with_the_actor(office, staff):
    # REQ STF-2: rows a cascade removes (a counselor's default meeting link with its tool)
    tool = VideoToolFactory(office=office)
    link = CounselorVideoDefault.objects.create(
        counselor=staff, video_tool=tool, join_url="https://meet.example.jp/abc"
    )
    link_pk = link.pk
    with acting_as(user=staff):
        tool.delete()
    assert not CounselorVideoDefault.objects.filter(pk=link_pk).exists()
    event = events_of(link)[0]
    assert event.pgh_label == "delete" and event.user == staff
    assert event.changes["join_url"] == ["https://meet.example.jp/abc", None]
    assert AuditEvent.objects.for_staff(staff).filter(pgh_slug=event.pgh_slug).exists()


def test_a_raw_sql_update_leaves_an_event_with_the_actor(frozen, booth, staff):
    # REQ STF-2: even SQL the ORM never saw
    reservation = ReservationFactory(booth=booth, phone="0173-00-0000")
    with acting_as(user=staff), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE booths_reservation SET phone = %s WHERE id = %s",
            ["0173-99-9999", reservation.pk],
        )
    event = events_of(reservation)[0]
    assert event.pgh_label == "update" and event.user == staff
    assert event.changes == {"phone": ["0173-00-0000", "0173-99-9999"]}


def test_a_jobs_change_names_the_job(frozen, booth):
    # REQ STF-2, BTH-6: a periodic job's changes name the job
    reservation = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 9, 30), confirmed=True
    )
    bookings_record_no_shows()  # the periodic task, as a worker runs it
    event = events_of(reservation)[0]
    assert event.user is None and event.by == "job:bookings_record_no_shows"
    assert event.changes["status"] == ["confirmed", "no_show"]


def test_a_change_outside_requests_and_jobs_is_the_systems(frozen, booth, staff):
    # REQ STF-2
    reservation = ReservationFactory(booth=booth)
    bookings.booking_confirm(booking=reservation, staff=staff, phoned_at=NOW)
    event = events_of(reservation)[0]
    assert event.user is None and event.by == "system"


def test_a_nested_actor_gives_the_outer_one_back(frozen, booth, staff):
    # REQ STF-2: a service acting for a named staff member inside a job's block
    first, second = (ReservationFactory(booth=booth, starts_at=SLOT_AT + h) for h in HOURS)
    with acting_as(label="job:demo"):
        with acting_as(user=staff):
            Reservation.objects.filter(pk=first.pk).update(note="a")
        Reservation.objects.filter(pk=second.pk).update(note="b")
    assert events_of(first)[0].user == staff
    assert events_of(second)[0].by == "job:demo"


@pytest.mark.parametrize("name", ["suspend", "counter consent", "closure"])
def test_a_service_that_names_the_staff_member_attributes_the_change_to_them(
    name, frozen, office, booth, staff
):
    # REQ STF-2: even outside a request (the shell, a job), the named staff member acted
    ctx = {"office": office, "booth": booth, "staff": staff}
    with acting_as(label="job:demo"):
        obj, *_ = CHANGES[name](ctx)
    assert events_of(obj)[0].user == staff


def test_a_consent_recorded_at_the_counter_in_the_admin_is_recorded_once(client, office):
    # REQ STF-2, TRM-2: one insert event, by the counselor, with the method
    staff = counselor(office)
    version = TermsVersionFactory(document=TermsDocumentFactory(office=office))
    person = UserFactory(office=office)
    login_client(client, staff)
    response = client.post(
        reverse("admin:terms_consent_add"), {"user": person.pk, "version": version.pk}
    )
    assert response.status_code == 302
    (event,) = events_of(Consent.objects.get(user=person))
    assert event.pgh_label == "insert" and event.user == staff
    assert event.changes["method"] == [None, "staff"]
    assert AuditEvent.objects.for_staff(staff).filter(pgh_slug=event.pgh_slug).exists()


def _through_middleware(user, write):
    """Handle one request as `user` (None: not signed in) whose view calls `write(request)`."""
    from django.contrib.auth.models import AnonymousUser

    from core.middleware import AuditContextMiddleware

    request = RequestFactory().post("/somewhere/")
    request.user = user or AnonymousUser()
    AuditContextMiddleware(write)(request)


def test_a_request_is_its_users_and_a_sign_in_during_it_counts_from_then_on(frozen, booth):
    # REQ STF-2: the middleware names the request's user; a visitor until someone signs in
    person = UserFactory(office=booth.office)
    before, after = (ReservationFactory(booth=booth, starts_at=SLOT_AT + h) for h in HOURS)

    def view(request):
        Reservation.objects.filter(pk=before.pk).update(note="a")
        request.user = person  # what django.contrib.auth.login() does
        Reservation.objects.filter(pk=after.pk).update(note="b")

    _through_middleware(None, view)
    assert events_of(before)[0].user is None
    assert events_of(before)[0].by in ("visitor (not signed in)", "未ログインの利用者")
    assert events_of(after)[0].user == person
    staff = StaffFactory(office=booth.office)
    _through_middleware(staff, lambda request: Reservation.objects.filter(pk=before.pk).delete())
    assert events_of(before)[0].pgh_label == "delete" and events_of(before)[0].user == staff


def test_a_booking_made_by_a_user_and_its_cancellation_are_theirs(frozen, booth, office):
    # REQ STF-2
    seeker = UserFactory(office=office)
    with acting_as(user=seeker):
        reservation = booth_services.reservation_request(
            user=seeker,
            booth=booth,
            starts_at=SLOT_AT,
            purpose="job_consultation",
            requester_name="山田 太郎",
            phone="0173-11-2222",
        )
        bookings.booking_cancel_online(booking=reservation, user=seeker)
    cancelled, created = events_of(reservation)
    assert created.pgh_label == "insert" and created.user == seeker
    assert created.changes["status"] == [None, "requested"]
    assert "form_token" not in created.pgh_data  # a token is never tracked
    assert cancelled.user == seeker
    assert cancelled.changes["cancelled_via"] == ["", "online"]


def test_a_profile_change_records_before_and_after(office):
    # REQ STF-2
    person = UserFactory(office=office, phone="0184-00-1234")
    user_profile_update(user=person, data={"phone": "0184-99-8888"})
    assert events_of(person)[0].changes == {"phone": ["0184-00-1234", "0184-99-8888"]}


def test_page_views_and_bookkeeping_leave_no_event(office):
    # REQ STF-2: the activity time, the facts version and the .ics sequence are not tracked
    person = UserFactory(office=office)
    before = all_event_ids()
    User.objects.filter(pk=person.pk).update(
        last_activity_at=NOW, last_login=NOW, booking_facts_version=99
    )
    assert new_events_of(person, before) == []


# --- Admin forms, deletions, actions, History ------------------------------------------------


def test_an_admin_form_save_is_recorded_and_shows_in_the_history(client, office):
    # REQ STF-2
    staff = counselor(office)
    person = UserFactory(office=office, phone="0184-00-1234", address="秋田県試験市1-1")
    login_client(client, staff)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name in form.fields and not form.fields[name].disabled
    }
    data.update(phone="0184-55-6666", date_joined_0="2026-11-01", date_joined_1="09:00:00")
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = events_of(person)[0]
    assert event.pgh_label == "update" and event.user == staff
    assert event.changes["phone"] == ["0184-00-1234", "0184-55-6666"]
    assert "address" not in event.changes  # unchanged fields are not listed
    history = client.get(reverse("admin:accounts_user_history", args=[person.pk]))
    assert history.status_code == 200
    assert "0184-55-6666" in history.content.decode()


def test_the_history_page_of_another_offices_object_is_not_shown(client, office):
    # REQ STF-2: the History page reads through the admin's office-scoped queryset
    theirs = UserFactory(office=OfficeFactory(code="other"), phone="0184-77-7777")
    user_profile_update(user=theirs, data={"phone": "0184-77-0000"})
    login_client(client, counselor(office))
    response = client.get(reverse("admin:accounts_user_history", args=[theirs.pk]))
    assert response.status_code in (302, 403, 404)
    assert "0184-77-0000" not in response.content.decode()


def test_an_admin_deletion_records_what_was_deleted(client, office):
    # REQ STF-2
    staff = counselor(office)
    login_client(client, staff)
    closure = OfficeClosure.objects.create(
        office=office, date=datetime.date(2026, 12, 1), reason="設備点検"
    )
    url = reverse("admin:bookings_officeclosure_delete", args=[closure.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not OfficeClosure.objects.filter(pk=closure.pk).exists()
    event = events_of(closure)[0]
    assert event.pgh_label == "delete" and event.user == staff
    assert event.changes["reason"] == ["設備点検", None]


def test_an_admin_action_through_a_service_is_recorded_once(frozen, client, office, booth):
    # REQ STF-2
    staff = counselor(office)
    login_client(client, staff)
    reservation = ReservationFactory(
        booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0), confirmed=True
    )
    before = all_event_ids()
    client.post(
        reverse("admin:booths_reservation_changelist"),
        {"action": "start", "_selected_action": [reservation.pk]},
    )
    (event,) = new_events_of(reservation, before)
    assert event.user == staff and event.changes["status"] == ["confirmed", "checked_in"]


def _all_history_text() -> str:
    return str(list(AuditEvent.objects.values_list("pgh_data", flat=True)))


def test_passwords_and_secrets_never_reach_the_trail(client, office):
    # REQ STF-2: never password hashes, tokens or keys; that a staff member set one, yes
    for model in event_models():
        tracked = {f.name for f in model._meta.fields if not f.name.startswith("pgh_")}
        assert not tracked & {"password", "form_token", "secret", "key"}, model
    superuser = staff_with_mfa(office=office, is_superuser=True)
    person = UserFactory(office=office)
    login_client(client, superuser)
    url = reverse("admin:auth_user_password_change", args=[person.pk])
    response = client.post(
        url, {"password1": "new-Secret-horse-77", "password2": "new-Secret-horse-77"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    event = events_of(person)[0]
    assert event.user == superuser and list(event.changes) == ["password_changed_at"]
    dumped = _all_history_text()
    assert person.password not in dumped and "new-Secret-horse-77" not in dumped
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": "first-Secret-horse-88",
            "password2": "first-Secret-horse-88",
        },
    )
    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    created = events_of(newcomer)[-1]
    assert created.pgh_label == "insert" and created.changes["username"] == [None, "newcomer"]
    dumped = _all_history_text()
    assert "first-Secret-horse-88" not in dumped and newcomer.password not in dumped


# --- Seeing and protecting the trail ---------------------------------------------------------


def test_counselors_see_only_their_own_offices_trail(client, office):
    # REQ STF-2
    mine = UserFactory(office=office)
    theirs = UserFactory(office=OfficeFactory(code="other"))
    for person in (mine, theirs):
        user_profile_update(user=person, data={"phone": "0184-99-0000"})
    mine_event, theirs_event = events_of(mine)[0], events_of(theirs)[0]
    changelist = reverse("admin:core_auditevent_changelist")
    login_client(client, counselor(office))
    response = client.get(changelist)
    shown = {event.pgh_slug for event in response.context["cl"].result_list}
    assert mine_event.pgh_slug in shown and theirs_event.pgh_slug not in shown
    # The list pages hold 100 rows; the count covers the office's whole trail.
    assert response.context["cl"].result_count == AuditEvent.objects.references(office).count()
    url = reverse("admin:core_auditevent_change", args=[theirs_event.pgh_slug])
    assert client.get(url).status_code in (302, 403, 404)
    assert (
        client.get(reverse("admin:core_auditevent_change", args=[mine_event.pgh_slug])).status_code
        == 200
    )
    for wrong in ("accounts.User:1", "nothing", "accounts.UserEvent:x"):
        url = reverse("admin:core_auditevent_change", args=[wrong])
        assert client.get(url).status_code in (302, 404), wrong
    login_client(client, staff_with_mfa(office=office, is_superuser=True))
    shown = {event.pgh_slug for event in client.get(changelist).context["cl"].result_list}
    assert {mine_event.pgh_slug, theirs_event.pgh_slug} <= shown


def test_the_audit_list_pages_hold_the_whole_trail_in_order(frozen, office, booth, staff):
    # REQ STF-2: pages are chosen by sort key and built alone; together they are the trail
    with acting_as(user=staff):
        for hour in range(3):
            reservation = ReservationFactory(
                booth=booth, starts_at=SLOT_AT + datetime.timedelta(hours=hour)
            )
            bookings.booking_confirm(booking=reservation, staff=staff, phoned_at=NOW)
    trail = AuditEvent.objects.for_staff(staff).order_by("-pgh_created_at", "-pgh_slug")
    expected = [(event.pgh_slug, event.changes) for event in trail]
    assert len(expected) >= 7  # the booth, three reservations inserted and confirmed
    pages = AuditPaginator(trail, 2)
    got = [(event.pgh_slug, event.changes) for n in pages.page_range for event in pages.page(n)]
    assert got == expected
    assert all(event.user == staff for event in pages.page(1))


def _refused(sql: str, params=()) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        return True
    return False


def test_nobody_changes_or_deletes_the_trail_consents_or_access_records(client, office):
    # REQ STF-2, TRM-2, LOG-1: the database refuses, raw SQL included
    person = UserFactory(office=office)
    user_profile_update(user=person, data={"phone": "0184-12-3456"})
    event = events_of(person)[0]
    event_model = apps.get_model(event.pgh_model)
    table = event_model._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic():
        event_model.objects.filter(pgh_id=event.pgh_id).update(pgh_label="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        event_model.objects.filter(pgh_id=event.pgh_id).delete()
    assert _refused(f'UPDATE "{table}" SET phone = %s', ["forged"])
    assert _refused(f'DELETE FROM "{table}"')
    # Every event table carries the same guard (an empty table has no row to refuse).
    with connection.cursor() as cursor:
        for model in event_models():
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass"
                " AND tgname LIKE 'pgtrigger_append_only_%%' AND tgenabled = 'O'",
                [model._meta.db_table],
            )
            assert cursor.fetchone() == (1,), model
    consent = consent_record(
        user=person, version=TermsVersionFactory(document=TermsDocumentFactory(office=office))
    )
    assert _refused("UPDATE terms_consent SET method = 'staff' WHERE id = %s", [consent.pk])
    assert _refused("DELETE FROM terms_consent WHERE id = %s", [consent.pk])
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5")
    request.user = person
    record = access_record(kind=AccessKind.BOOKING, subject=person, request=request)
    assert _refused("UPDATE accounts_accessrecord SET ip_address = NULL WHERE id = %s", [record.pk])
    assert _refused("DELETE FROM accounts_accessrecord WHERE id = %s", [record.pk])
    assert Consent.objects.filter(pk=consent.pk, method="online").exists()
    assert AccessRecord.objects.filter(pk=record.pk, ip_address="203.0.113.5").exists()
    assert events_of(person)[0].changes == {"phone": [event.changes["phone"][0], "0184-12-3456"]}
    # Nor through the admin: the list is read-only for everyone.
    login_client(client, staff_with_mfa(office=office, is_superuser=True))
    assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    url = reverse("admin:core_auditevent_delete", args=[event.pgh_slug])
    assert client.post(url, {"post": "yes"}).status_code == 403
    url = reverse("admin:core_auditevent_change", args=[event.pgh_slug])
    assert client.post(url, {}).status_code == 403
    changelist = client.get(reverse("admin:core_auditevent_changelist"))
    assert changelist.status_code == 200 and "action-select" not in changelist.content.decode()


def test_a_counselor_cannot_change_another_staff_members_account(client, office):
    # REQ STF-2: only superusers manage staff (403/404 on every view and action)
    me = counselor(office)
    colleague = StaffFactory(office=office, email="colleague@example.jp")
    person = UserFactory(office=office)
    login_client(client, me)
    for name in (
        "accounts_user_change",
        "auth_user_password_change",
        "accounts_user_history",
        "accounts_user_delete",
    ):
        url = reverse(f"admin:{name}", args=[colleague.pk])
        assert client.get(url).status_code in (403, 404), name
        assert client.post(url, {"email": "x@example.jp", "is_active": ""}).status_code in (
            403,
            404,
        ), name
    changelist = reverse("admin:accounts_user_changelist")
    for action in ("suspend", "lift_suspension"):
        response = client.post(
            changelist,
            {
                "action": action,
                "_selected_action": [colleague.pk],
                "apply": "1",
                "reason": "other",
                "note": "",
            },
        )
        assert response.status_code in (403, 404), action
    colleague.refresh_from_db()
    assert colleague.email == "colleague@example.jp" and colleague.is_active
    assert colleague.suspended_at is None
    # Their own account and the office's users stay theirs to manage.
    assert client.get(reverse("admin:accounts_user_change", args=[me.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_user_change", args=[person.pk])).status_code == 200
    superuser = staff_with_mfa(office=office, is_superuser=True)
    login_client(client, superuser)
    url = reverse("admin:accounts_user_change", args=[colleague.pk])
    assert client.get(url).status_code == 200


def test_the_counselor_role_may_read_the_audit_list(office):
    # REQ STF-2
    me = counselor(office)
    me = User.objects.get(pk=me.pk)
    assert me.has_perm("core.view_auditevent")
    assert not me.has_perm("accounts.view_accessrecord")
    assert not Permission.objects.filter(
        content_type=ContentType.objects.get_for_model(AuditEvent, for_concrete_model=False),
        codename__in=["add_auditevent", "change_auditevent", "delete_auditevent"],
        group__name="counselors",
    ).exists()
