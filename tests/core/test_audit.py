"""The audit trail (REQ STF-2): every change leaves one record, in the same transaction, with
who (or which job), when, which object and before → after; nobody edits or deletes records;
counselors cannot change other staff accounts."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from accounts.roles import ensure_counselor_group
from accounts.services import user_profile_update, user_suspend, user_unsuspend
from booths import services as booth_services
from booths.models import Status
from consultations import bookings
from consultations.models import OfficeClosure
from consultations.services import closure_create
from consultations.tasks import bookings_record_no_shows
from core.audit import AuditRecord, acting_as, audit_record
from terms.models import ConsentMethod, VersionStatus
from terms.services import consent_record, terms_version_publish
from tests.auth import login_client, staff_with_mfa
from tests.booths.conftest import NOW, SLOT_AT, tokyo
from tests.booths.factories import BoothFactory, ReservationFactory
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


def records_of(obj):
    return list(AuditRecord.objects.for_object(obj))


def only_new_record(before_ids):
    new = list(AuditRecord.objects.exclude(pk__in=before_ids))
    assert len(new) == 1, [(r.action, r.object_repr) for r in new]
    return new[0]


def existing_ids():
    return set(AuditRecord.objects.values_list("pk", flat=True))


# --- One record per change, with before → after ------------------------------------------------


def _confirm(ctx):
    r = ReservationFactory(booth=ctx["booth"])
    bookings.booking_confirm(booking=r, staff=ctx["staff"], phoned_at=NOW)
    return r, "transition:confirmed", "status", ["requested", "confirmed"]


def _move(ctx):
    r = ReservationFactory(booth=ctx["booth"])
    booth_services.reservation_move(
        reservation=r, staff=ctx["staff"], booth=ctx["booth"], starts_at=tokyo(2026, 11, 18, 11)
    )
    return r, "transition:move", "starts_at", ["2026-11-18T10:00:00+09:00", None]


def _late_contact(ctx):
    r = ReservationFactory(booth=ctx["booth"], starts_at=tokyo(2026, 11, 16, 10, 0))
    bookings.booking_record_late_contact(booking=r, staff=ctx["staff"])
    return r, "transition:late_contact", "late_contact_at", [None, None]


def _check_in(ctx):
    r = ReservationFactory(booth=ctx["booth"], starts_at=tokyo(2026, 11, 16, 10, 0))
    bookings.booking_start(booking=r, staff=ctx["staff"])
    return r, "transition:checked_in", "status", ["requested", "checked_in"]


def _complete(ctx):
    r = ReservationFactory(
        booth=ctx["booth"],
        starts_at=tokyo(2026, 11, 16, 10, 0),
        status=Status.CHECKED_IN,
        actual_started_at=NOW,
        checked_in_at=NOW,
    )
    bookings.booking_complete(booking=r, staff=ctx["staff"])
    return r, "transition:completed", "status", ["checked_in", "completed"]


def _no_show_by_staff(ctx):
    r = ReservationFactory(booth=ctx["booth"], starts_at=tokyo(2026, 11, 16, 9, 30))
    bookings.booking_mark_no_show(booking=r, staff=ctx["staff"])
    return r, "transition:no_show", "status", ["requested", "no_show"]


def _suspend(ctx):
    person = UserFactory(office=ctx["office"])
    user_suspend(user=person, by=ctx["staff"], reason="other", note="電話で確認")
    return person, "suspend", "suspension_note", ["", "電話で確認"]


def _lift(ctx):
    person = UserFactory(office=ctx["office"])
    user_suspend(user=person, by=ctx["staff"], reason="other")
    ctx["skip"] = existing_ids()
    user_unsuspend(user=person, by=ctx["staff"])
    return person, "lift_suspension", "suspension_reason", ["other", ""]


def _publish(ctx):
    version = TermsVersionFactory(
        document=TermsDocumentFactory(office=ctx["office"]),
        status=VersionStatus.DRAFT,
        published_at=None,
        effective_from=NOW + datetime.timedelta(days=7),
    )
    terms_version_publish(version=version)
    return version, "publish", "status", ["draft", "published"]


def _counter_consent(ctx):
    version = TermsVersionFactory(document=TermsDocumentFactory(office=ctx["office"]))
    person = UserFactory(office=ctx["office"])
    consent = consent_record(
        user=person, version=version, method=ConsentMethod.STAFF, recorded_by=ctx["staff"]
    )
    return consent, "consent", "method", [None, "staff"]


def _closure(ctx):
    closure_create(
        office=ctx["office"], date=datetime.date(2026, 11, 20), reason="研修", staff=ctx["staff"]
    )
    return OfficeClosure.objects.get(), "create", "reason", [None, "研修"]


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
def test_each_staff_change_leaves_exactly_one_record_with_before_and_after(
    name, frozen, office, booth, staff
):
    # REQ STF-2
    ctx = {"office": office, "booth": booth, "staff": staff}
    # The fixtures' own rows were made by factories, not by the application.
    before = existing_ids()
    with acting_as(user=staff), transaction.atomic():
        obj, action, field, pair = CHANGES[name](ctx)
    record = only_new_record(ctx.get("skip", before))
    assert record.action == action
    assert record.actor == staff and record.actor_label == ""
    assert record.object_id == str(obj.pk)
    assert record.office_id == office.pk
    assert record.at is not None
    assert field in record.changes
    old, new = record.changes[field]
    assert old != new
    for expected, got in zip(pair, (old, new), strict=True):
        if expected is not None:
            assert got == expected


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_rolled_back_change_leaves_no_record(name, frozen, office, booth, staff):
    # REQ STF-2: the record is written in the change's own transaction
    ctx = {"office": office, "booth": booth, "staff": staff}
    before = existing_ids()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), acting_as(user=staff), transaction.atomic():
        obj, *_ = CHANGES[name](ctx)
        assert AuditRecord.objects.for_object(obj).exists()
        raise Abort
    assert existing_ids() == before


def test_a_consent_recorded_at_the_counter_in_the_admin_is_recorded_once(client, office):
    # REQ STF-2, TRM-2: the admin's save goes through the service; one record, by the counselor
    staff = counselor(office)
    version = TermsVersionFactory(document=TermsDocumentFactory(office=office))
    person = UserFactory(office=office)
    login_client(client, staff)
    response = client.post(
        reverse("admin:terms_consent_add"), {"user": person.pk, "version": version.pk}
    )
    assert response.status_code == 302
    (record,) = AuditRecord.objects.filter(content_type__model="consent")
    assert record.action == "consent" and record.actor == staff
    assert record.changes["method"] == [None, "staff"] and record.office_id == office.pk


def test_the_no_show_job_is_recorded_as_the_job(frozen, booth):
    # REQ STF-2, BTH-6: a periodic job's change names the job
    reservation = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 9, 30))
    bookings_record_no_shows()  # the periodic task, as a worker runs it
    (record,) = records_of(reservation)
    assert record.actor is None and record.actor_label == "job:bookings_record_no_shows"
    assert record.action == "transition:no_show"
    assert record.changes["status"] == ["requested", "no_show"]


def test_a_change_outside_requests_and_jobs_is_the_systems(frozen, booth, staff):
    # REQ STF-2
    reservation = ReservationFactory(booth=booth)
    bookings.booking_confirm(booking=reservation, staff=staff, phoned_at=NOW)
    (record,) = records_of(reservation)
    assert record.actor is None and record.actor_label == "system"


def test_a_booking_made_by_a_user_and_its_cancellation_are_recorded(frozen, booth, office):
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
    created, cancelled = reversed(records_of(reservation))
    assert created.action == "create" and created.actor == seeker
    assert created.changes["status"] == [None, "requested"]
    assert "form_token" not in created.changes
    assert cancelled.action == "transition:cancelled"
    assert cancelled.changes["cancelled_via"] == ["", "online"]


def test_a_profile_change_records_before_and_after(office):
    # REQ STF-2
    person = UserFactory(office=office, phone="0184-00-1234")
    user_profile_update(user=person, data={"phone": "0184-99-8888"})
    (record,) = records_of(person)
    assert record.action == "update_profile"
    assert record.changes == {"phone": ["0184-00-1234", "0184-99-8888"]}


# --- Admin forms, deletions, actions ---------------------------------------------------------


def test_an_admin_form_save_records_the_changed_fields_and_shows_in_the_history(client, office):
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
    (record,) = records_of(person)
    assert record.action == "update" and record.actor == staff
    assert record.changes["phone"] == ["0184-00-1234", "0184-55-6666"]
    assert "address" not in record.changes  # unchanged fields are not listed
    history = client.get(reverse("admin:accounts_user_history", args=[person.pk]))
    assert history.status_code == 200
    assert "0184-55-6666" in history.content.decode()


def test_an_admin_deletion_records_what_was_deleted(client, office):
    # REQ STF-2
    staff = counselor(office)
    login_client(client, staff)
    closure = OfficeClosure.objects.create(
        office=office, date=datetime.date(2026, 12, 1), reason="設備点検"
    )
    pk, text = closure.pk, str(closure)
    url = reverse("admin:consultations_officeclosure_delete", args=[pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not OfficeClosure.objects.filter(pk=pk).exists()
    record = AuditRecord.objects.get(object_id=str(pk), action="delete")
    assert record.object_repr == text and record.actor == staff
    assert record.changes["reason"] == ["設備点検", None]


def test_an_admin_action_through_a_service_is_recorded_once(frozen, client, office, booth):
    # REQ STF-2: the service's record; the admin adds no second one
    staff = counselor(office)
    login_client(client, staff)
    reservation = ReservationFactory(booth=booth, starts_at=tokyo(2026, 11, 16, 10, 0))
    client.post(
        reverse("admin:booths_reservation_changelist"),
        {"action": "start", "_selected_action": [reservation.pk]},
    )
    (record,) = records_of(reservation)
    assert record.action == "transition:checked_in" and record.actor == staff


def test_password_changes_never_reach_the_records(client, office):
    # REQ STF-2: never password hashes or secrets
    superuser = staff_with_mfa(office=office, is_superuser=True)
    person = UserFactory(office=office)
    login_client(client, superuser)
    url = reverse("admin:auth_user_password_change", args=[person.pk])
    response = client.post(
        url, {"password1": "new-Secret-horse-77", "password2": "new-Secret-horse-77"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    (record,) = records_of(person)
    assert record.action == "set_password" and record.changes == {}
    dumped = str(list(AuditRecord.objects.values_list("changes", flat=True)))
    assert person.password not in dumped and "new-Secret-horse-77" not in dumped
    assert "password" not in dumped
    # Nor does the first password typed into the admin's add form.
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
    (created,) = records_of(newcomer)
    assert created.action == "create" and created.changes["username"] == [None, "newcomer"]
    dumped = str(list(AuditRecord.objects.values_list("changes", flat=True)))
    assert "first-Secret-horse-88" not in dumped and newcomer.password not in dumped
    assert "password" not in dumped
    # Even a caller that passes a secret by mistake does not get it stored.
    record = audit_record(obj=person, action="update", changes={"password": ["a", "b"]})
    assert record.changes == {}


# --- Seeing and protecting the records -------------------------------------------------------


def test_counselors_see_only_their_own_offices_records(client, office):
    # REQ STF-2
    other = OfficeFactory(code="other")
    mine = UserFactory(office=office, username="mine1")
    theirs = UserFactory(office=other, username="theirs1")
    for person in (mine, theirs):
        user_profile_update(user=person, data={"phone": "0184-99-0000"})
    staff = counselor(office)
    login_client(client, staff)
    html = client.get(reverse("admin:core_auditrecord_changelist")).content.decode()
    assert "mine1" in html and "theirs1" not in html
    record = AuditRecord.objects.for_object(theirs).get()
    assert client.get(reverse("admin:core_auditrecord_change", args=[record.pk])).status_code in (
        302,
        403,
        404,
    )
    superuser = staff_with_mfa(office=office, is_superuser=True)
    login_client(client, superuser)
    html = client.get(reverse("admin:core_auditrecord_changelist")).content.decode()
    assert "mine1" in html and "theirs1" in html


def test_nobody_edits_or_deletes_records_in_the_application(client, office):
    # REQ STF-2
    person = UserFactory(office=office)
    record = audit_record(obj=person, action="update", changes={"phone": ["1", "2"]})
    record.action = "forged"
    with pytest.raises(ValidationError):
        record.save()
    with pytest.raises(ValidationError):
        record.delete()
    with pytest.raises(ValidationError):
        AuditRecord.objects.filter(pk=record.pk).update(action="forged")
    with pytest.raises(ValidationError):
        AuditRecord.objects.all().delete()
    superuser = staff_with_mfa(office=office, is_superuser=True)
    login_client(client, superuser)
    assert client.get(reverse("admin:core_auditrecord_add")).status_code == 403
    assert client.get(reverse("admin:core_auditrecord_delete", args=[record.pk])).status_code == 403
    change = client.post(reverse("admin:core_auditrecord_change", args=[record.pk]), {})
    assert change.status_code == 403
    changelist = client.get(reverse("admin:core_auditrecord_changelist"))
    assert changelist.status_code == 200 and "action-select" not in changelist.content.decode()
    assert AuditRecord.objects.get(pk=record.pk).action == "update"


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
    assert me.has_perm("core.view_auditrecord")
    assert not me.has_perm("core.view_accessrecord")
    assert not Permission.objects.filter(
        content_type=ContentType.objects.get_for_model(AuditRecord),
        codename__in=["add_auditrecord", "change_auditrecord", "delete_auditrecord"],
        group__name="counselors",
    ).exists()
