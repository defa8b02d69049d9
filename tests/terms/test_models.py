"""Versions are frozen once published; consents are append-only (REQ TRM-1, TRM-2)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from terms.models import Consent, TermsVersion, VersionStatus
from tests.terms.factories import ConsentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db


def test_published_text_cannot_be_changed_through_the_model(v1):
    # REQ TRM-1
    v1.text = "書き換えた本文"
    with pytest.raises(ValidationError):
        v1.save()
    v1.refresh_from_db()
    assert "書き換えた本文" not in v1.text


def test_published_text_cannot_be_changed_through_a_queryset_update(v1):
    # REQ TRM-1
    with pytest.raises(ValidationError):
        TermsVersion.objects.filter(pk=v1.pk).update(text="書き換え")
    assert TermsVersion.objects.get(pk=v1.pk).text == v1.text


def test_a_published_version_cannot_be_deleted(v1):
    # REQ TRM-1, TRM-2: what people accepted is kept
    with pytest.raises(ValidationError):
        v1.delete()
    assert TermsVersion.objects.filter(pk=v1.pk).exists()


def test_a_draft_can_still_be_edited(booth_terms):
    # REQ TRM-1
    draft = TermsVersionFactory(document=booth_terms, status=VersionStatus.DRAFT, published_at=None)
    draft.text = "下書きを直しました"
    draft.save()
    assert TermsVersion.objects.get(pk=draft.pk).text == "下書きを直しました"


def test_version_numbers_are_unique_per_document(v1):
    # REQ TRM-1
    with pytest.raises(IntegrityError), transaction.atomic():
        TermsVersionFactory(document=v1.document, number=1)


def test_a_published_version_must_carry_its_publication_date(booth_terms):
    # REQ TRM-1, TRM-3
    with pytest.raises(IntegrityError), transaction.atomic():
        TermsVersion.objects.create(
            document=booth_terms,
            number=9,
            text="x",
            status=VersionStatus.PUBLISHED,
            published_at=None,
            effective_from=timezone.now(),
        )


def test_consents_are_never_updated_or_deleted(v1, user):
    # REQ TRM-2
    consent = ConsentFactory(version=v1, user=user)
    consent.user_agent = "changed"
    with pytest.raises(ValidationError):
        consent.save()
    with pytest.raises(ValidationError):
        consent.delete()
    with pytest.raises(ValidationError):
        Consent.objects.filter(pk=consent.pk).update(user_agent="changed")
    with pytest.raises(ValidationError):
        Consent.objects.filter(pk=consent.pk).delete()
    assert Consent.objects.get(pk=consent.pk).user_agent == ""


def test_current_version_is_the_newest_one_in_effect(v1, booth_terms):
    # REQ TRM-1, TRM-3
    TermsVersionFactory(
        document=booth_terms, number=2, effective_from=timezone.now() + timedelta(days=5)
    )
    assert TermsVersion.objects.current_for(office=booth_terms.office, service="booth") == v1
    assert TermsVersion.objects.upcoming().get().number == 2


def test_terms_with_versions_cannot_move_to_another_service_or_office(v1):
    # REQ TRM-2: a consent to booth terms must never become a consent to other terms.
    from terms.models import TermsDocument
    from tests.factories import OfficeFactory

    document = v1.document
    document.service = "online"
    with pytest.raises(ValidationError):
        document.save()
    with pytest.raises(ValidationError):
        TermsDocument.objects.filter(pk=document.pk).update(office=OfficeFactory(code="x2"))
    document.refresh_from_db()
    assert (document.service, document.office_id) == ("booth", v1.document.office_id)
    document.title = "新しい題名"
    document.save()  # the title may still change


def test_a_published_version_cannot_be_deleted_through_a_queryset(v1):
    # REQ TRM-1, TRM-2
    with pytest.raises(ValidationError):
        TermsVersion.objects.filter(pk=v1.pk).delete()
    assert TermsVersion.objects.filter(pk=v1.pk).exists()


def test_a_user_with_consents_cannot_be_hard_deleted(v1, user):
    # REQ TRM-2: erasing an account anonymises it; the consent rows stay untouched.
    from django.db.models import ProtectedError

    consent = ConsentFactory(version=v1, user=user)
    with pytest.raises(ProtectedError):
        user.delete()
    assert Consent.objects.get(pk=consent.pk).user_id == user.pk
