"""Account lifecycle: password age, sessions, suspension, deletion, dormancy, records."""

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.mail import EmailMessage
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import tasks
from accounts.eligibility import booking_block_reason
from accounts.models import SignInEvent, SignInRecord, SuspensionReason, User, UserType
from accounts.services import account_delete, user_suspend, user_unsuspend
from accounts.signals import account_deleting
from core.models import OutboxMessage
from core.outbox import outbox_deliver_due, outbox_enqueue
from terms.models import Consent
from tests.factories import DEFAULT_PASSWORD, OfficeFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")


def _sign_in(client, user, password=DEFAULT_PASSWORD, **extra):
    return client.post(
        reverse("account_login"), {"login": user.username, "password": password}, **extra
    )


# --- Password (REQ REG-4) ------------------------------------------------------------------


def test_an_old_password_brings_a_gentle_reminder_but_no_lockout(client, user, settings):
    # REQ REG-4
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - timedelta(days=settings.PASSWORD_REMINDER_DAYS + 1)
    )
    client.force_login(user)
    response = client.get(PROFILE)
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("account_change_password") in html
    assert "180" in html
    assert response.context["password_is_old"]


def test_a_recent_password_brings_no_reminder(client, user):
    # REQ REG-4
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now())
    client.force_login(user)
    assert not client.get(PROFILE).context["password_is_old"]


def test_changing_the_password_ends_the_other_sessions_and_restarts_its_age(client, user):
    # REQ REG-4, REG-8
    from django.test import Client

    other = Client()
    other.force_login(user)
    assert other.get(PROFILE).status_code == 200
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": DEFAULT_PASSWORD,
            "password1": "new-Secret-2026x",
            "password2": "new-Secret-2026x",
        },
    )
    assert response.status_code == 302
    assert client.get(PROFILE).status_code == 200  # this session continues
    assert other.get(PROFILE).status_code == 302  # the other one is signed out
    user.refresh_from_db()
    assert timezone.now() - user.password_changed_at < timedelta(minutes=1)
    assert SignInRecord.objects.filter(user=user, event=SignInEvent.PASSWORD_CHANGED).exists()


def test_password_reset_by_email_works(client, user):
    # REQ REG-4
    client.post(reverse("account_reset_password"), {"email": user.email})
    outbox_deliver_due()
    body = mail.outbox[-1].body
    link = next(word for word in body.split() if "/accounts/password/reset/key/" in word)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 302
    response = client.post(
        response.url, {"password1": "brand-New-pass-77", "password2": "brand-New-pass-77"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-New-pass-77")
    assert SignInRecord.objects.filter(user=user, event=SignInEvent.PASSWORD_RESET).exists()


# --- Idle sessions (REQ REG-8, NFR-3) -------------------------------------------------------


@pytest.mark.parametrize("is_staff, idle_ok, idle_too_long", [(True, 25, 31), (False, 110, 121)])
def test_sessions_expire_after_inactivity(client, office, is_staff, idle_ok, idle_too_long):
    # REQ REG-8, NFR-3: 30 minutes for staff, 2 hours for users (defaults).
    user = StaffFactory(office=office) if is_staff else UserFactory(office=office)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert _sign_in(client, user).status_code == 302
        assert client.get(PROFILE).status_code == 200
    with time_machine.travel(start + timedelta(minutes=idle_ok), tick=False):
        assert client.get(PROFILE).status_code == 200  # activity moves the expiry on
    later = start + timedelta(minutes=idle_ok + idle_too_long)
    with time_machine.travel(later, tick=False):
        assert client.get(PROFILE).status_code == 302


# --- Suspension (REQ REG-7) -----------------------------------------------------------------


def test_a_suspended_user_is_signed_out_at_once_and_sees_the_office_contacts(client, office):
    # REQ REG-7, OPS-3
    user = UserFactory(office=office)
    staff = StaffFactory(office=office)
    client.force_login(user)
    assert client.get(PROFILE).status_code == 200
    user_suspend(user=user, by=staff, reason=SuspensionReason.THREATS, note="電話で威圧")
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response.url == reverse("accounts:suspended")
    assert "_auth_user_id" not in client.session
    page = client.get(response.url).content.decode()
    assert office.phone in page and office.name in page


def test_a_suspended_user_cannot_sign_in_or_book(client, office):
    # REQ REG-7
    user = UserFactory(office=office)
    user_suspend(user=user, by=StaffFactory(office=office), reason=SuspensionReason.NON_JOB_USE)
    response = _sign_in(client, user)
    assert response.url == reverse("accounts:suspended")
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    reason = booking_block_reason(user)
    assert reason is not None and office.phone in reason


def test_lifting_the_suspension_lets_the_user_back_in(client, office):
    # REQ REG-7
    user = UserFactory(office=office)
    staff = StaffFactory(office=office)
    user_suspend(user=user, by=staff, reason=SuspensionReason.OTHER)
    user_unsuspend(user=user, by=staff)
    assert _sign_in(client, user).status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_staff_suspend_from_the_admin_with_a_reason(client, office):
    # REQ REG-7, STF-3
    from django.contrib.auth.models import Permission

    from tests.auth import login_client, staff_with_mfa

    staff = staff_with_mfa(office=office)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    target = UserFactory(office=office)
    login_client(client, staff)
    url = reverse("admin:accounts_user_changelist")
    data = {"action": "suspend", "_selected_action": [target.pk]}
    assert client.post(url, data).status_code == 200  # the reason form
    data |= {"apply": "1", "reason": SuspensionReason.PROHIBITED_ACTS, "note": ""}
    assert client.post(url, data).status_code == 302
    target.refresh_from_db()
    assert target.suspension_reason == SuspensionReason.PROHIBITED_ACTS
    assert target.suspended_by == staff


# --- Deletion (REQ REG-5) -------------------------------------------------------------------

PERSONAL = {
    "username": "yamada-hanako",
    "email": "hanako.private@example.jp",
    "last_name": "山田",
    "first_name": "花子",
    "name_kana": "ヤマダ　ハナコ",
    "postal_code": "037-0099",
    "address": "青森県五所川原市秘密町9-9",
    "phone": "0173-98-7654",
    "jobseeker_number_status": "number",
    "jobseeker_number": "02010-99887766",
    "is_foreign_national": True,
    "residence_status": "特定技能",
}


def _text_rows_containing(value: str) -> list[str]:
    """Every row of every table whose text columns contain `value`."""
    found = []
    for model in apps.get_models():
        text_fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for name in text_fields:
            if model.objects.filter(**{f"{name}__icontains": value}).exists():
                found.append(f"{model._meta.label}.{name}")
    return found


def test_deletion_erases_personal_data_from_every_table_and_keeps_counts(client, office):
    # REQ REG-5
    user = UserFactory(office=office, **PERSONAL)
    assert _sign_in(client, user).status_code == 302
    SignInRecord.objects.create(user=user, event=SignInEvent.FAILED, at=timezone.now())
    client.post(reverse("account_reset_password"), {"email": user.email})  # a mail in the outbox
    # Rows of the apps above accounts that hold personal data: a booth reservation (a future one,
    # cancelled first) and a consent with IP and browser.
    from terms.services import consent_record
    from tests.booths.factories import ReservationFactory
    from tests.terms.factories import TermsVersionFactory

    ReservationFactory(
        user=user,
        booth__office=office,
        starts_at=timezone.now() + timedelta(days=7),
        requester_name=f"{PERSONAL['last_name']}{PERSONAL['first_name']}",
        phone=PERSONAL["phone"],
        client_number=PERSONAL["jobseeker_number"],
        note=PERSONAL["address"],
    )
    consent_record(
        user=user,
        version=TermsVersionFactory(document__office=office),
        request=RequestFactory().post("/", REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Secret/1"),
    )
    # Someone else's mail whose address contains this user's as a substring must survive.
    bystander = f"x{PERSONAL['email']}"
    outbox_enqueue(message=EmailMessage(subject="s", body="b", to=[bystander]))
    before = User.objects.filter(office=office, user_type=UserType.JOB_SEEKER).count()
    assert _text_rows_containing(PERSONAL["email"])  # the scan does find the data beforehand
    # The audit trail's tables are scanned too, and hold the data before the deletion (STF-2).
    assert {
        "accounts.UserEvent.phone",
        "booths.ReservationEvent.phone",
        "core.AuditEvent.pgh_data",
    } <= set(_text_rows_containing(PERSONAL["phone"]))
    assert "terms.ConsentEvent.user_agent" in _text_rows_containing("Secret/1")

    response = client.post(
        reverse("accounts:delete"), {"password": DEFAULT_PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:deleted")

    # What the deletion cancelled is mailed to the person, and erased once delivered.
    outbox_deliver_due()
    for field, value in PERSONAL.items():
        if isinstance(value, str) and field not in ("jobseeker_number_status", "email"):
            assert _text_rows_containing(value) == [], field
    assert _text_rows_containing(f"{PERSONAL['last_name']}{PERSONAL['first_name']}") == []
    assert _text_rows_containing("Secret/1") == []  # the consent's browser, in its history too
    consent = Consent.objects.get(user=user)
    assert (consent.ip_address, consent.user_agent) == (None, "")
    assert [m.to for m in OutboxMessage.objects.all()] == [[bystander]]
    assert [user.email] not in [m.to for m in mail.outbox if "reset" in m.subject.lower()]
    assert _text_rows_containing(PERSONAL["email"]) == ["core.OutboxMessage.to"]  # only x…
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not SignInRecord.objects.filter(user=user).exists()
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(user.pk) for s in Session.objects.all()
    )
    # The anonymous row keeps the counts by office and user type.
    assert User.objects.filter(office=office, user_type=UserType.JOB_SEEKER).count() == before
    user.refresh_from_db()
    assert user.deleted_at is not None and not user.is_active and not user.has_usable_password()
    assert client.get(PROFILE).status_code == 302
    assert _sign_in(client, user, DEFAULT_PASSWORD).status_code == 200


def test_deletion_needs_the_password_and_the_tick(client, user):
    # REQ REG-5
    client.force_login(user)
    response = client.post(reverse("accounts:delete"), {"password": "wrong", "confirm": "on"})
    assert response.status_code == 200
    response = client.post(reverse("accounts:delete"), {"password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.deleted_at is None


def test_deletion_tells_the_booking_apps_first_inside_the_transaction(user):
    # REQ REG-5: receivers (booths, consultations) cancel future bookings; a failure rolls back.
    seen = []

    def cancel_bookings(sender, user, now, reason, **kwargs):
        seen.append((user.email, reason))
        raise RuntimeError("booking service failed")

    account_deleting.connect(cancel_bookings)
    try:
        with pytest.raises(RuntimeError):
            account_delete(user=user)
    finally:
        account_deleting.disconnect(cancel_bookings)
    assert seen == [(user.email, "self")]
    user.refresh_from_db()
    assert user.deleted_at is None and user.email  # nothing half-done


def test_deletion_delivers_the_mails_its_receivers_queue_and_erases_the_older_ones(user):
    # REQ REG-5 (issue 10.17): the "your bookings were cancelled" mails were queued and then
    # erased with the address, so the person was never told. Older mail is still erased.
    older = outbox_enqueue(message=EmailMessage("reminder", "tomorrow 10:00", to=[user.email]))
    reasons = []

    def tell_the_person(sender, user, now, reason, **kwargs):
        reasons.append(reason)
        outbox_enqueue(message=EmailMessage("cancelled", "your booking", to=[user.email]))

    account_deleting.connect(tell_the_person)
    try:
        account_delete(user=user, reason="dormant")
    finally:
        account_deleting.disconnect(tell_the_person)
    assert reasons == ["dormant"]  # the real cause reaches the receivers
    remaining = list(OutboxMessage.objects.values_list("subject", flat=True))
    assert remaining == ["cancelled"]
    assert not OutboxMessage.objects.filter(pk=older.pk).exists()
    outbox_deliver_due()
    assert [(m.subject, m.to) for m in mail.outbox] == [("cancelled", [user.email])]
    assert not OutboxMessage.objects.exists()  # erased once delivered


def test_one_account_that_cannot_be_deleted_never_stops_the_dormancy_purge(office):
    # REQ REG-6 (issue 10.12): one bad row stopped the batch on every run.
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = UserFactory(office=office, last_activity_at=start)
        second = UserFactory(office=office, last_activity_at=start)
    User.objects.filter(pk__in=[first.pk, second.pk]).update(
        dormancy_warned_at=start + timedelta(days=336)
    )

    def fail_for_first(sender, user, now, reason, **kwargs):
        if user.pk == first.pk:
            raise RuntimeError("a receiver failed")

    account_deleting.connect(fail_for_first)
    try:
        with time_machine.travel(start + timedelta(days=367), tick=False):
            assert tasks.dormancy_purge(timezone.now()) == 1
    finally:
        account_deleting.disconnect(fail_for_first)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.deleted_at is None and first.email
    assert second.deleted_at is not None


# --- Dormancy (REQ REG-6) -------------------------------------------------------------------


def test_dormant_accounts_are_warned_at_eleven_months_and_purged_at_twelve(office):
    # REQ REG-6
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        idle = UserFactory(office=office, last_activity_at=start)
        active = UserFactory(office=office, last_activity_at=start)
        staff = StaffFactory(office=office, last_activity_at=start)

    with time_machine.travel(start + timedelta(days=300), tick=False):
        tasks.dormancy()
        User.objects.filter(pk=active.pk).update(last_activity_at=timezone.now())
    assert User.objects.filter(dormancy_warned_at__isnull=False).count() == 0

    warn_at = start + timedelta(days=336)
    with time_machine.travel(warn_at, tick=False):
        assert tasks.dormancy() == "warned=1 purged=0"
        assert tasks.dormancy() == "warned=0 purged=0"  # twice: no second mail
        outbox_deliver_due()
    assert [m.to for m in mail.outbox] == [[idle.email]]

    with time_machine.travel(start + timedelta(days=366), tick=False):
        assert tasks.dormancy() == "warned=0 purged=1"
        assert tasks.dormancy() == "warned=0 purged=0"  # twice without harm
    idle.refresh_from_db()
    active.refresh_from_db()
    staff.refresh_from_db()
    assert idle.deleted_at is not None and idle.email == ""
    assert active.deleted_at is None
    assert staff.deleted_at is None


def test_signing_in_after_the_warning_keeps_the_account(client, office):
    # REQ REG-6
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        user = UserFactory(office=office, last_activity_at=start)
    with time_machine.travel(start + timedelta(days=340), tick=False):
        tasks.dormancy()
        user.refresh_from_db()
        assert user.dormancy_warned_at is not None
        _sign_in(client, user)
    with time_machine.travel(start + timedelta(days=400), tick=False):
        assert tasks.dormancy() == "warned=0 purged=0"
    user.refresh_from_db()
    assert user.deleted_at is None and user.dormancy_warned_at is None


def test_a_purge_never_comes_without_thirty_days_of_warning(office):
    # REQ REG-6: even if the job did not run for months, the warning comes first.
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        user = UserFactory(office=office, last_activity_at=start)
    with time_machine.travel(start + timedelta(days=500), tick=False):
        assert tasks.dormancy() == "warned=1 purged=0"
    with time_machine.travel(start + timedelta(days=529), tick=False):
        assert tasks.dormancy() == "warned=0 purged=0"
    with time_machine.travel(start + timedelta(days=531), tick=False):
        assert tasks.dormancy() == "warned=0 purged=1"
    user.refresh_from_db()
    assert user.deleted_at is not None


# --- Records (REQ LOG-1) --------------------------------------------------------------------


def test_sign_in_failure_sign_out_are_recorded_with_ip_and_browser(client, user):
    # REQ LOG-1
    browser = {"HTTP_USER_AGENT": "Mozilla/5.0 Test", "REMOTE_ADDR": "198.51.100.7"}
    _sign_in(client, user, "wrong-password-1", **browser)
    _sign_in(client, user, **browser)
    client.post(reverse("account_logout"), **browser)
    events = list(SignInRecord.objects.filter(user=user).order_by("pk"))
    assert [e.event for e in events] == [
        SignInEvent.FAILED,
        SignInEvent.SIGNED_IN,
        SignInEvent.SIGNED_OUT,
    ]
    assert all(e.ip_address == "198.51.100.7" for e in events)
    assert all(e.user_agent == "Mozilla/5.0 Test" for e in events)


def test_records_older_than_the_retention_period_are_purged(user, settings):
    # REQ LOG-1
    now = timezone.now()
    keep = SignInRecord.objects.create(user=user, event=SignInEvent.SIGNED_IN, at=now)
    SignInRecord.objects.create(
        user=user,
        event=SignInEvent.SIGNED_IN,
        at=now - timedelta(days=settings.SIGNIN_RECORD_RETENTION_DAYS + 1),
    )
    assert tasks.purge_signin_records() == "deleted=1"
    assert tasks.purge_signin_records() == "deleted=0"
    assert list(SignInRecord.objects.all()) == [keep]


def test_records_are_visible_only_to_staff_with_the_permission(client, office):
    # REQ LOG-1
    from django.contrib.auth.models import Permission

    from tests.auth import login_client, staff_with_mfa

    user = UserFactory(office=office)
    SignInRecord.objects.create(
        user=user, event=SignInEvent.SIGNED_IN, at=timezone.now(), ip_address="203.0.113.9"
    )
    other_office_user = UserFactory(office=OfficeFactory())
    SignInRecord.objects.create(
        user=other_office_user,
        event=SignInEvent.SIGNED_IN,
        at=timezone.now(),
        ip_address="203.0.113.10",
    )
    url = reverse("admin:accounts_signinrecord_changelist")

    staff = staff_with_mfa(office=office)
    login_client(client, staff)
    assert client.get(url).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_signinrecord"))
    html = client.get(url).content.decode()
    assert "203.0.113.9" in html
    assert "203.0.113.10" not in html  # another office's people
    record = SignInRecord.objects.get(ip_address="203.0.113.9")
    change = client.post(reverse("admin:accounts_signinrecord_change", args=[record.pk]), {})
    assert change.status_code in (302, 403)
    assert SignInRecord.objects.filter(pk=record.pk, ip_address="203.0.113.9").exists()


def test_deletion_ends_every_session_in_a_cached_session_store_too(user, settings):
    # REQ REG-5: with sessions read from the cache (SESSION_ENGINE=cached_db on Redis), the
    # cached copy of each of the person's sessions goes with the stored one
    from importlib import import_module

    from django.test import Client

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    store = import_module(settings.SESSION_ENGINE).SessionStore
    browser = Client()
    assert _sign_in(browser, user).status_code == 302
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert store(session_key=key).load().get("_auth_user_id") == str(user.pk)
    account_delete(user=user)
    assert store(session_key=key).load() == {}
    assert not Session.objects.filter(session_key=key).exists()
