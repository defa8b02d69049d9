"""Writes on accounts: profile, suspension, deletion, sign-in records (REQ REG-*, LOG-1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import acting_as, audit_erase
from core.outbox import (
    mail_subject,
    outbox_enqueue,
    outbox_erase_for_addresses,
    outbox_last_pk,
)

from . import numbers
from .access import access_records_erase_person
from .models import (
    JOBSEEKER_NUMBER_CONSTRAINT,
    JobseekerNumberMove,
    JobseekerNumberStatus,
    SignInEvent,
    SignInRecord,
    User,
    UserType,
)
from .signals import account_deleting
from .terminal import client_details

# How often the last-activity time is written: often enough for a one-year dormancy rule,
# rarely enough that a page view almost never writes.
ACTIVITY_RESOLUTION = timedelta(hours=12)


RESIDENCE_FIELDS = ("is_foreign_national", "residence_status", "period_of_stay_until")


def user_profile_update(*, user: User, data: dict) -> User:
    """Save the profile fields of a job seeker or employer (REQ REG-2, REG-3).

    A foreign national's declaration stays once made: only staff withdraw it (in the admin).
    Every change of the residence data is recorded in the account's admin history and the
    office is told by mail.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.deleted_at is not None:
            raise ValidationError(_("This account has been deleted."))
        if locked.is_foreign_national and data.get("is_foreign_national", True) is False:
            raise ValidationError(
                _(
                    "You declared that you are a foreign national. Only your Hello Work office "
                    "can change this: please contact them."
                ),
                code="declaration_kept",
            )
        residence_before = {name: getattr(locked, name) for name in RESIDENCE_FIELDS}
        for name, value in data.items():
            setattr(locked, name, value)
        try:
            with transaction.atomic():
                locked.save(update_fields=list(data))
        except IntegrityError as exc:
            if is_jobseeker_number_taken(exc):
                # Lost a race with another account for the number (REQ REG-9).
                raise ValidationError(
                    {"jobseeker_number": jobseeker_number_message(locked.office)}
                ) from exc
            raise ValidationError(_("The profile could not be saved. Check the numbers.")) from exc
        changed = [
            name for name in RESIDENCE_FIELDS if getattr(locked, name) != residence_before[name]
        ]
        if changed:
            _residence_change_record(user=locked, changed=changed)
    return locked


def is_jobseeker_number_taken(exc: IntegrityError) -> bool:
    """The IntegrityError is the one-number-one-account constraint (REQ REG-9)."""
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    return getattr(diag, "constraint_name", None) == JOBSEEKER_NUMBER_CONSTRAINT


def jobseeker_number_message(office) -> str:
    """The one answer to a job-seeker number that can't be used, malformed or already someone's
    (REQ REG-9): whom to call, and no hint that another account exists."""
    if office is not None and office.phone:
        return _(
            "This job-seeker number can't be used. Check that it is the 13 digits on your "
            "job-seeker card (NNNNN-NNNNNNNN). If it is, please call your Hello Work office: "
            "%(phone)s."
        ) % {"phone": office.phone}
    return _(
        "This job-seeker number can't be used. Check that it is the 13 digits on your "
        "job-seeker card (NNNNN-NNNNNNNN). If it is, please call your Hello Work office."
    )


def _may_act_for_office(by: User, *users: User) -> bool:
    return by.is_superuser or (
        by.is_staff and by.office_id is not None and all(u.office_id == by.office_id for u in users)
    )


def jobseeker_number_move(
    *, number: str, to_user: User, by: User, reason: str
) -> JobseekerNumberMove:
    """Give a job-seeker number held by one active account to another, e.g. the new login of a
    person who lost theirs (REQ REG-9, seed 000 Art 6-3), with the reason recorded.

    Staff of the accounts' office only (superusers: any). A suspended account keeps its number
    until the suspension is lifted, so a move never carries anyone past a suspension. The audit
    trail names `by` on both accounts' changes; the move record keeps the reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the move.")})
    normalised = numbers.normalise_jobseeker_number(number or "")
    if normalised is None:
        raise ValidationError({"number": _("Enter the job-seeker number as 13 digits.")})
    with transaction.atomic(), acting_as(user=by):
        holder = User.objects.holding_jobseeker_number(normalised).select_for_update().first()
        target = User.objects.select_for_update().get(pk=to_user.pk)
        if holder is None:
            raise ValidationError(
                {"number": _("No active account holds this number: enter it on the account.")}
            )
        if holder.pk == target.pk:
            raise ValidationError({"number": _("This account already holds the number.")})
        if not _may_act_for_office(by, holder, target):
            raise ValidationError(_("Only staff of the accounts' office can move the number."))
        if target.deleted_at is not None or target.user_type != UserType.JOB_SEEKER:
            raise ValidationError(_("The number can go to an active job seeker's account only."))
        if holder.suspended_at is not None:
            raise ValidationError(
                _("The account holding the number is suspended: lift the suspension first.")
            )
        holder.jobseeker_number = ""
        holder.save(update_fields=["jobseeker_number"])
        target.jobseeker_number = normalised
        target.jobseeker_number_status = JobseekerNumberStatus.NUMBER
        try:
            with transaction.atomic():
                target.save(update_fields=["jobseeker_number", "jobseeker_number_status"])
        except IntegrityError as exc:
            raise ValidationError(
                {"number": _("Another account took the number meanwhile.")}
            ) from exc
        move = JobseekerNumberMove.objects.create(
            moved_by=by, from_user=holder, to_user=target, reason=reason
        )
    to_user.refresh_from_db()
    return move


def _residence_change_record(*, user: User, changed: list[str]) -> None:
    """Record a change of residence data made by the user and tell their office (REQ REG-3)."""
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[user],
        action_flag=CHANGE,
        change_message=[
            {"changed": {"fields": [str(User._meta.get_field(n).verbose_name) for n in changed]}}
        ],
        single_object=True,
    )
    office = user.office
    if office is None or not office.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "user": user,
            "office": office,
            "fields": [User._meta.get_field(name).verbose_name for name in changed],
            "admin_url": settings.SITE_URL + reverse("admin:accounts_user_change", args=[user.pk]),
        }
        subject = mail_subject(
            office.name, render_to_string("accounts/email/residence_changed_subject.txt", context)
        )
        body = render_to_string("accounts/email/residence_changed_message.txt", context)
    outbox_enqueue(message=EmailMessage(subject=subject, body=body, to=[office.email]))


def user_suspend(*, user: User, by: User, reason: str, note: str = "") -> User:
    """Suspend an account: it is signed out on its next request and cannot sign in (REQ REG-7)."""
    if user.pk == by.pk:
        raise ValidationError(_("You cannot suspend your own account."))
    # The trail names the staff member who suspended (REQ STF-2).
    with transaction.atomic(), acting_as(user=by):
        updated = User.objects.filter(pk=user.pk, deleted_at__isnull=True).update(
            suspended_at=timezone.now(),
            suspension_reason=reason,
            suspension_note=note,
            suspended_by=by,
        )
        if not updated:
            raise ValidationError(_("This account has been deleted."))
        user.refresh_from_db()
    return user


def user_unsuspend(*, user: User, by: User) -> User:
    """Lift a suspension (REQ REG-7)."""
    with transaction.atomic(), acting_as(user=by):
        User.objects.filter(pk=user.pk).update(
            suspended_at=None, suspension_reason="", suspension_note="", suspended_by=None
        )
        user.refresh_from_db()
    return user


def user_touch_activity(*, user: User, now: datetime) -> None:
    """Remember that the account is in use (REQ REG-6). Cheap: a conditional update."""
    last = user.last_activity_at
    if last is not None and now - last < ACTIVITY_RESOLUTION and user.dormancy_warned_at is None:
        return
    User.objects.filter(pk=user.pk).update(last_activity_at=now, dormancy_warned_at=None)
    user.last_activity_at, user.dormancy_warned_at = now, None


def password_changed(*, user: User, now: datetime | None = None) -> None:
    """Start the password's age again (REQ REG-4)."""
    now = now or timezone.now()
    User.objects.filter(pk=user.pk).update(password_changed_at=now)
    user.password_changed_at = now


def user_email_set_by_staff(*, user: User, email: str, request=None) -> None:
    """An address staff typed in the admin becomes the account's only, primary address in
    allauth's records too, unverified: allauth sends the verification link, so sign-in by
    e-mail and password reset go to the new address only once it is proven (REQ REG-1)."""
    email = (email or "").strip()
    with transaction.atomic():
        EmailAddress.objects.filter(user=user).exclude(email__iexact=email).delete()
        if not email:
            return
        address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
        if address is None:
            address = EmailAddress.objects.create(
                user=user, email=email, primary=True, verified=False
            )
        elif not address.primary:
            address.primary = True
            address.save(update_fields=["primary"])
        if not address.verified:
            address.send_confirmation(request)


def password_set_by_staff(*, user: User, request) -> None:
    """A password set in the admin starts the password's age again and is recorded like any
    other password change (REQ REG-4, LOG-1)."""
    # The audit trail shows `password_changed_at` changing, never the hash (REQ STF-2).
    password_changed(user=user)
    signin_record(request=request, user=user, event=SignInEvent.PASSWORD_CHANGED)


def password_is_old(user: User, *, now: datetime, max_age_days: int) -> bool:
    changed = user.password_changed_at or user.date_joined
    return now - changed > timedelta(days=max_age_days)


LOGIN_MAX_LENGTH = 254  # the longest e-mail address; login IDs are shorter


def account_for_login(login: object) -> User | None:
    """The one account a login spelling names (login ID or any of its e-mail addresses),
    case-insensitively, or None. Bounded before any query (REQ NFR-3)."""
    if not isinstance(login, str):
        return None
    login = login.strip()
    if not login or len(login) > LOGIN_MAX_LENGTH:
        return None
    user_ids = set(
        User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).values_list(
            "pk", flat=True
        )[:2]
    )
    if "@" in login:
        user_ids |= set(
            EmailAddress.objects.filter(email__iexact=login).values_list("user_id", flat=True)[:2]
        )
    if len(user_ids) != 1:
        return None
    return User.objects.filter(pk=user_ids.pop()).first()


def login_failure_key(login: object) -> str:
    """What failed sign-ins are counted against: the account, whichever spelling was typed
    (login ID or e-mail), so a lock under one holds under the other (REQ NFR-3)."""
    user = account_for_login(login)
    if user is not None:
        return f"#account-{user.pk}"
    return login.strip().lower()[:LOGIN_MAX_LENGTH] if isinstance(login, str) else ""


def signin_record(*, request, user: User | None, event: str) -> SignInRecord:
    """Record a sign-in event with time, IP address and browser (REQ LOG-1)."""
    session = getattr(request, "session", None)
    session_key = (session.session_key or "") if session is not None else ""
    if event in (SignInEvent.SIGNED_OUT, SignInEvent.FAILED):
        session_key = ""
    ip_address, user_agent = client_details(request)
    return SignInRecord.objects.create(
        user=user if user is not None and user.pk else None,
        event=event,
        at=timezone.now(),
        ip_address=ip_address,
        user_agent=user_agent,
        session_key=session_key,
    )


def signin_records_purge(*, before: datetime, batch: int = 5000) -> int:
    """Delete records older than the retention period (REQ LOG-1). Safe to run concurrently."""
    total = 0
    while True:
        ids = list(SignInRecord.objects.filter(at__lt=before).values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        total += SignInRecord.objects.filter(pk__in=ids).delete()[0]


def account_delete(*, user: User, reason: str = "self", now: datetime | None = None) -> User:
    """Erase an account's personal data, keeping an anonymous row for statistics (REQ REG-5).

    Other apps cancel the user's future bookings and erase their own personal data in receivers
    of `accounts.signals.account_deleting`, inside this transaction; `reason` ("self",
    "dormant", "staff") tells them why, so they record the real cause. The mails they queue there (what
    was cancelled) are kept and delivered; every earlier mail to the person's addresses is
    erased. The User row stays, with nothing but its type, office and dates, so anonymised
    counts and the bookings that point to it keep adding up. Idempotent: deleting a deleted
    account does nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.deleted_at is not None:
            return locked
        queued_before = outbox_last_pk()
        account_deleting.send(sender=User, user=locked, now=now, reason=reason)
        emails = {
            locked.email.lower(),
            *(e.lower() for e in locked.emailaddress_set.values_list("email", flat=True)),
        }
        emails.discard("")
        session_keys = set(
            locked.signin_records.exclude(session_key="").values_list("session_key", flat=True)
        )
        # Through the configured engine, so a cached copy goes with the stored one.
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        for session_key in session_keys:
            store.delete(session_key)
        EmailAddress.objects.filter(user=locked).delete()
        Authenticator.objects.filter(user=locked).delete()
        SignInRecord.objects.filter(user=locked).delete()
        outbox_erase_for_addresses(addresses=emails, up_to_pk=queued_before)
        anonymous_name = f"deleted-{locked.pk}"
        names = {locked.username, str(locked), locked.get_full_name()}
        access_records_erase_person(user_id=locked.pk, names=names, anonymous_name=anonymous_name)
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(locked.pk)
        ).update(object_repr=anonymous_name)
        erased = {
            **dict.fromkeys(ANONYMISED_FIELDS, ""),
            "username": anonymous_name,
            "period_of_stay_until": None,
            "is_foreign_national": False,
        }
        for field, value in erased.items():
            setattr(locked, field, value)
        locked.is_active = False
        locked.is_staff = False
        locked.is_superuser = False
        locked.set_unusable_password()
        locked.last_login = None
        locked.deleted_at = now
        locked.save()
        locked.groups.clear()
        locked.user_permissions.clear()
        # The trail keeps that and when the account changed, not what it said (REQ REG-5).
        audit_erase(User, values=erased, pgh_obj=locked)
    return locked


def account_erase_by_staff(
    *, user: User, by: User, reason: str, note: str = "", now: datetime | None = None
) -> User:
    """Erase an account for prohibited acts (REQ REG-10, seed 000 Art 14/15): the erasure of
    REG-5 (`account_delete`: future bookings cancelled and the person mailed about each), then
    a mail that the office erased the account, and who, when and why kept on the anonymous row.

    Only staff of the person's office (superusers: any); staff accounts only by superusers.
    """
    now = now or timezone.now()
    if user.pk == by.pk:
        raise ValidationError(_("You cannot erase your own account."))
    with transaction.atomic(), acting_as(user=by):
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not _may_act_for_office(by, locked) or (locked.is_staff and not by.is_superuser):
            raise ValidationError(_("Only staff of the person's office can erase this account."))
        if locked.deleted_at is not None:
            raise ValidationError(_("This account has been deleted."))
        address, office = locked.email, locked.office
        erased = account_delete(user=locked, reason="staff", now=now)
        User.objects.filter(pk=erased.pk).update(
            erased_by=by, erasure_reason=reason, erasure_note=note
        )
        if address:
            _erasure_mail(address=address, office=office, now=now)
        erased.refresh_from_db()
    return erased


def _erasure_mail(*, address: str, office, now: datetime) -> None:
    """Queued after the erasure, so it is not among the person's mails the erasure removes."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {"office": office, "erased_at": now}
        subject = mail_subject(
            office.name if office else settings.SITE_NAME,
            render_to_string("accounts/email/erased_by_staff_subject.txt", context),
        )
        body = render_to_string("accounts/email/erased_by_staff_message.txt", context)
    outbox_enqueue(message=EmailMessage(subject=subject, body=body, to=[address]))


ANONYMISED_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "name_kana",
    "postal_code",
    "address",
    "phone",
    "jobseeker_number",
    "establishment_name",
    "establishment_number",
    "residence_status",
    "suspension_note",
]


def site_sync_from_settings(*, using: str = "default") -> None:
    """Write SITE_NAME and SITE_URL's host to the Sites row, so anything that asks the Sites
    framework (allauth outside a request, the admin) agrees with the mails (REQ NTF-1).
    Runs after every migrate."""
    from django.contrib.sites.models import Site

    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain[:100], "name": settings.SITE_NAME[:50]}
    )
    Site.objects.clear_cache()
