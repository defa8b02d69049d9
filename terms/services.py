"""Writes of the terms app: publishing versions, recording consent, announcing changes."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.terminal import client_details
from core.audit import acting_as, audit_erase
from core.outbox import mail_subject, outbox_enqueue

from .gate import version_in_effect
from .models import (
    Consent,
    ConsentMethod,
    TermsDocument,
    TermsVersion,
    VersionStatus,
)


def consent_needed(*, user, service: str, now: datetime | None = None) -> TermsVersion | None:
    """The version in effect that this user has not accepted yet, or None (REQ TRM-4)."""
    if user.office_id is None:
        return None
    current = TermsVersion.objects.current_for(office=user.office, service=service, now=now)
    if current is None:
        return None
    accepted = Consent.objects.filter(
        user=user, version__document=current.document, version__number__gte=current.number
    ).exists()
    return None if accepted else current


def users_without_consent(
    *, office, user_ids: dict[str, set[int]], now=None
) -> dict[str, set[int]]:
    """Of the people of `office` each service names (`{service: user ids}`), those who have not
    accepted that service's terms in effect (REQ TRM-4): for staff pages over many bookings.

    One query whatever the services and people: which version is in effect comes from the
    kept gate (`terms.gate.version_in_effect`), and one query reads the consents of all."""
    now = now or timezone.now()
    wanted = {}
    for service, ids in user_ids.items():
        current = version_in_effect(office, service, now) if ids else None
        if current is not None:
            wanted[service] = (current, set(ids))
    if not wanted:
        return {service: set() for service in user_ids}
    accepted_q = models.Q()
    for (document_id, number), ids in wanted.values():
        accepted_q |= models.Q(
            user_id__in=sorted(ids), version__document_id=document_id, version__number__gte=number
        )
    accepted = set(
        Consent.objects.filter(accepted_q)
        .order_by()
        .values_list("version__document_id", "user_id")
        .distinct()
    )
    return {
        service: (
            {pk for pk in wanted[service][1] if (wanted[service][0][0], pk) not in accepted}
            if service in wanted
            else set()
        )
        for service in user_ids
    }


def last_accepted_version(*, user, document: TermsDocument) -> TermsVersion | None:
    consent = (
        Consent.objects.filter(user=user, version__document=document)
        .select_related("version")
        .order_by("-version__number")
        .first()
    )
    return consent.version if consent else None


@transaction.atomic
def consent_record(
    *,
    user: User,
    version: TermsVersion,
    request=None,
    method: str = ConsentMethod.ONLINE,
    recorded_by: User | None = None,
) -> Consent:
    """Record that `user` accepted `version` (REQ TRM-2). Staff at the counter name themselves."""
    if not version.is_published:
        raise ValidationError(_("Only a published version can be accepted."))
    if method == ConsentMethod.STAFF and recorded_by is None:
        raise ValidationError(_("A consent recorded at the counter names the staff member."))
    ip_address, user_agent = client_details(request)
    # At the counter, the trail names the staff member (REQ STF-2).
    with acting_as(user=recorded_by) if recorded_by else nullcontext():
        return Consent.objects.create(
            user=user,
            version=version,
            method=method,
            recorded_by=recorded_by,
            ip_address=ip_address,
            user_agent=user_agent,
        )


def consents_anonymise_for_user(*, user: User) -> int:
    """Erase the IP address and browser of a deleted account's consents (REQ REG-5).

    The only change the application ever makes to a consent row: the plain QuerySet bypasses
    the model's guard and `protection_lifted` the database's, on purpose, in the deletion's
    transaction; user, version, time and method stay.
    """
    erased = {"ip_address": None, "user_agent": ""}
    audit_erase(Consent, values=erased, user=user)
    with Consent.protection_lifted():
        return models.QuerySet(Consent).filter(user=user).update(**erased)


def consents_record_for_office(*, user: User, office, request=None) -> list[Consent]:
    """At sign-up: accept every terms document of the office that has a version in effect."""
    consents = []
    for document in TermsDocument.objects.filter(office=office):
        version = TermsVersion.objects.current_for(office=office, service=document.service)
        if version is not None:
            consents.append(consent_record(user=user, version=version, request=request))
    return consents


@transaction.atomic
def terms_version_create(
    *, document: TermsDocument, text: str, summary: str, effective_from: datetime
) -> TermsVersion:
    """A new draft with the next number. The document's row lock makes two staff members
    creating drafts at once take numbers one after the other."""
    list(TermsDocument.objects.select_for_update().filter(pk=document.pk))
    latest = document.versions.aggregate(latest=Max("number"))["latest"] or 0
    return TermsVersion.objects.create(
        document=document,
        number=latest + 1,
        text=text,
        summary=summary,
        effective_from=effective_from,
    )


@transaction.atomic
def terms_version_publish(*, version: TermsVersion, now: datetime | None = None) -> TermsVersion:
    """Draft → published. From then on its text and dates are frozen.

    The document's row is locked first, so two publications of the same document happen one
    after the other and the second sees the first: "a newer version is already published" is
    decided by the database, not by two transactions that cannot see each other.
    """
    now = now or timezone.now()
    list(TermsDocument.objects.select_for_update().filter(pk=version.document_id))
    locked = TermsVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != VersionStatus.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    if locked.effective_from < now.replace(second=0, microsecond=0):
        raise ValidationError({"effective_from": _("The effective date cannot be in the past.")})
    newer = TermsVersion.objects.published().filter(
        document=locked.document, number__gt=locked.number
    )
    if newer.exists():
        raise ValidationError(_("A newer version of these terms is already published."))
    TermsVersion.objects.filter(pk=locked.pk).update(
        status=VersionStatus.PUBLISHED, published_at=now
    )
    locked.refresh_from_db()
    return locked


def _announcement_recipients(version: TermsVersion):
    return (
        User.objects.filter(
            office=version.document.office, is_active=True, emailaddress__verified=True
        )
        .exclude(user_type="staff")
        .distinct()
    )


def terms_announce_upcoming(*, now: datetime | None = None) -> int:
    """Mail each registered user of the office once about a version taking effect later
    (REQ TRM-3). The claim on `announced_at` makes a second run, or a parallel one, a no-op."""
    now = now or timezone.now()
    mailed = 0
    for version_id in (
        TermsVersion.objects.upcoming(now)
        .filter(announced_at__isnull=True)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            claimed = TermsVersion.objects.filter(pk=version_id, announced_at__isnull=True).update(
                announced_at=now
            )
            if not claimed:
                continue
            version = TermsVersion.objects.select_related("document__office").get(pk=version_id)
            for user in _announcement_recipients(version):
                outbox_enqueue(message=_announcement_mail(version=version, user=user))
                mailed += 1
    return mailed


def _announcement_mail(*, version: TermsVersion, user: User) -> EmailMessage:
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "version": version,
            "current": TermsVersion.objects.current_for(
                office=version.document.office, service=version.document.service
            ),
            "office": version.document.office,
            "site_url": settings.SITE_URL,
            "user": user,
        }
        subject = mail_subject(
            version.document.office.name,
            render_to_string("terms/email/announcement_subject.txt", context),
        )
        body = render_to_string("terms/email/announcement_body.txt", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])
