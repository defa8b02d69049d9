"""Writes on accounts: profile, suspension, deletion, sign-in records (REQ REG-*, LOG-1)."""

from __future__ import annotations

from datetime import datetime, timedelta

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.outbox import outbox_erase_for_addresses

from .models import SignInEvent, SignInRecord, User
from .signals import account_deleting

# How often the last-activity time is written: often enough for a one-year dormancy rule,
# rarely enough that a page view almost never writes.
ACTIVITY_RESOLUTION = timedelta(hours=12)
USER_AGENT_MAX = 300


def user_profile_update(*, user: User, data: dict) -> User:
    """Save the profile fields of a job seeker or employer (REQ REG-2, REG-3)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.deleted_at is not None:
            raise ValidationError(_("This account has been deleted."))
        for name, value in data.items():
            setattr(locked, name, value)
        try:
            locked.save(update_fields=list(data))
        except IntegrityError as exc:
            raise ValidationError(_("The profile could not be saved. Check the numbers.")) from exc
    return locked


def user_suspend(*, user: User, by: User, reason: str, note: str = "") -> User:
    """Suspend an account: it is signed out on its next request and cannot sign in (REQ REG-7)."""
    if user.pk == by.pk:
        raise ValidationError(_("You cannot suspend your own account."))
    with transaction.atomic():
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
    with transaction.atomic():
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


def password_is_old(user: User, *, now: datetime, max_age_days: int) -> bool:
    changed = user.password_changed_at or user.date_joined
    return now - changed > timedelta(days=max_age_days)


def client_ip(request) -> str | None:
    try:
        return get_adapter().get_client_ip(request)
    except PermissionDenied:
        return None


def client_details(request) -> tuple[str | None, str]:
    """The terminal identification recorded with sign-ins, consents and the like (LOG-1):
    the client's IP address (through allauth, which knows the trusted proxies) and browser."""
    if request is None:
        return None, ""
    return client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]


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
    of `accounts.signals.account_deleting`, inside this transaction. The User row stays, with
    nothing but its type, office and dates, so anonymised counts and the bookings that point to
    it keep adding up. Idempotent: deleting a deleted account does nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.deleted_at is not None:
            return locked
        account_deleting.send(sender=User, user=locked, now=now, reason=reason)
        emails = {
            locked.email.lower(),
            *(e.lower() for e in locked.emailaddress_set.values_list("email", flat=True)),
        }
        emails.discard("")
        session_keys = set(
            locked.signin_records.exclude(session_key="").values_list("session_key", flat=True)
        )
        Session.objects.filter(session_key__in=session_keys).delete()
        EmailAddress.objects.filter(user=locked).delete()
        Authenticator.objects.filter(user=locked).delete()
        SignInRecord.objects.filter(user=locked).delete()
        outbox_erase_for_addresses(addresses=emails)
        anonymous_name = f"deleted-{locked.pk}"
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(locked.pk)
        ).update(object_repr=anonymous_name)
        for field in ANONYMISED_FIELDS:
            setattr(locked, field, "")
        locked.username = anonymous_name
        locked.period_of_stay_until = None
        locked.is_foreign_national = False
        locked.is_active = False
        locked.is_staff = False
        locked.is_superuser = False
        locked.set_unusable_password()
        locked.last_login = None
        locked.deleted_at = now
        locked.save()
        locked.groups.clear()
        locked.user_permissions.clear()
    return locked


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
