"""Periodic jobs of accounts: dormant accounts (REQ REG-6) and record retention (REQ LOG-1).

All run daily (`core.tasks.periodic_job`) and are idempotent: a warning is claimed with a
conditional UPDATE, a purge locks the row (SKIP LOCKED) and re-checks it, so a run that died
half-way and is run again finds only what is left.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from core.outbox import mail_subject, outbox_enqueue
from core.tasks import periodic_job

from .access import access_records_purge
from .models import User
from .services import account_delete, signin_records_purge

logger = logging.getLogger(__name__)
BATCH = 500


def _dormancy_limits(now: datetime) -> tuple[datetime, datetime]:
    after = timedelta(days=settings.ACCOUNT_DORMANT_AFTER_DAYS)
    warning = timedelta(days=settings.ACCOUNT_DORMANT_WARNING_DAYS)
    return now - (after - warning), now - after


def _warning_message(user: User, *, purge_on: datetime) -> EmailMessage:
    with translation.override(settings.LANGUAGE_CODE):
        context = {"user": user, "purge_on": purge_on, "SITE_URL": settings.SITE_URL}
        subject = mail_subject(
            settings.SITE_NAME,
            render_to_string("accounts/email/dormancy_warning_subject.txt", context),
        )
        body = render_to_string("accounts/email/dormancy_warning_message.txt", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])


def dormancy_warn(now: datetime) -> int:
    """E-mail accounts unused for 11 months that they will be purged in 30 days."""
    warn_before, _ = _dormancy_limits(now)
    purge_on = now + timedelta(days=settings.ACCOUNT_DORMANT_WARNING_DAYS)
    candidates = (
        User.objects.customers()
        .last_active_before(warn_before)
        .filter(dormancy_warned_at__isnull=True)
        .exclude(email="")
    )
    warned = 0
    for pk in list(candidates.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            claimed = candidates.filter(pk=pk).update(dormancy_warned_at=now)
            if claimed:
                outbox_enqueue(message=_warning_message(User.objects.get(pk=pk), purge_on=purge_on))
                warned += 1
    return warned


def dormancy_purge(now: datetime) -> int:
    """Erase accounts unused for a year whose warning went out at least 30 days ago."""
    _, purge_before = _dormancy_limits(now)
    warned_before = now - timedelta(days=settings.ACCOUNT_DORMANT_WARNING_DAYS)
    candidates = (
        User.objects.customers()
        .last_active_before(purge_before)
        .filter(dormancy_warned_at__lte=warned_before)
    )
    purged = 0
    for pk in list(candidates.values_list("pk", flat=True)[:BATCH]):
        try:
            with transaction.atomic():
                user = candidates.select_for_update(skip_locked=True).filter(pk=pk).first()
                if user is None:
                    continue
                account_delete(user=user, reason="dormant", now=now)
        except Exception:
            # One account that cannot be deleted never stops the batch; it is retried on the
            # next run. Only its id is logged (REQ LOG-2).
            logger.exception("dormancy purge failed for user id %s", pk)
            continue
        purged += 1
    return purged


@periodic_job(name="accounts_dormancy", cron="30 18 * * *")  # 03:30 in Tokyo
def dormancy(now: datetime) -> str:
    return f"warned={dormancy_warn(now)} purged={dormancy_purge(now)}"


@periodic_job(name="accounts_signin_records_purge", cron="50 18 * * *")  # 03:50 in Tokyo
def purge_signin_records(now: datetime) -> str:
    before = now - timedelta(days=settings.SIGNIN_RECORD_RETENTION_DAYS)
    return f"deleted={signin_records_purge(before=before)}"


# The name it had in core: the schedule stored for it goes on.
@periodic_job(name="access_records_purge", cron="20 18 * * *")  # 03:20 in Tokyo
def purge_access_records(now: datetime) -> str:
    """Access records older than ACCESS_RECORD_RETENTION_DAYS are deleted (REQ LOG-1)."""
    before = now - timedelta(days=settings.ACCESS_RECORD_RETENTION_DAYS)
    return f"deleted={access_records_purge(before=before)}"
