"""Staff manage their own office's terms in the admin (REQ TRM-1, TRM-2, STF-2, STF-3)."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from terms.models import Consent, ConsentMethod, TermsVersion, VersionStatus
from tests.auth import login_client, staff_with_mfa
from tests.factories import OfficeFactory, UserFactory
from tests.terms.factories import ConsentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def counselor(office):
    user = staff_with_mfa(office=office)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="terms"))
    return user


def test_published_version_cannot_be_changed_through_the_admin(client, counselor, v1):
    # REQ TRM-1
    login_client(client, counselor)
    url = reverse("admin:terms_termsversion_change", args=[v1.pk])
    page = client.get(url).content.decode()
    assert 'name="text"' not in page
    client.post(url, {"text": "管理画面から書き換え", "number": 1, "document": v1.document_id})
    v1.refresh_from_db()
    assert "管理画面から書き換え" not in v1.text


def test_staff_publish_a_draft_with_the_admin_action(client, counselor, booth_terms):
    # REQ TRM-1, STF-3
    login_client(client, counselor)
    draft = TermsVersionFactory(
        document=booth_terms,
        number=1,
        status=VersionStatus.DRAFT,
        published_at=None,
        effective_from=timezone.now() + datetime.timedelta(days=7),
    )
    client.post(
        reverse("admin:terms_termsversion_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED


def test_staff_never_see_another_offices_terms(client, counselor):
    # REQ STF-2
    other = TermsVersionFactory(document__office=OfficeFactory(code="elsewhere"))
    login_client(client, counselor)
    listing = client.get(reverse("admin:terms_termsversion_changelist")).content.decode()
    assert str(other) not in listing
    response = client.get(reverse("admin:terms_termsversion_change", args=[other.pk]))
    assert response.status_code in (302, 404)
    assert TermsVersion.objects.get(pk=other.pk).text == other.text


def test_staff_record_a_consent_given_at_the_counter(client, counselor, v1):
    # REQ TRM-2
    visitor = UserFactory(office=counselor.office)
    login_client(client, counselor)
    response = client.post(
        reverse("admin:terms_consent_add"), {"user": visitor.pk, "version": v1.pk}
    )
    assert response.status_code == 302
    consent = Consent.objects.get(user=visitor)
    assert consent.method == ConsentMethod.STAFF
    assert consent.recorded_by == counselor


def test_consents_are_read_only_in_the_admin(client, counselor, v1):
    # REQ TRM-2
    consent = ConsentFactory(version=v1, user=UserFactory(office=counselor.office))
    login_client(client, counselor)
    change = client.get(reverse("admin:terms_consent_change", args=[consent.pk])).content.decode()
    assert 'name="user"' not in change
    response = client.post(
        reverse("admin:terms_consent_delete", args=[consent.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Consent.objects.filter(pk=consent.pk).exists()


def test_terms_with_versions_cannot_be_moved_in_the_admin(client, counselor, v1):
    # REQ TRM-2
    login_client(client, counselor)
    url = reverse("admin:terms_termsdocument_change", args=[v1.document.pk])
    page = client.get(url).content.decode()
    assert 'name="service"' not in page and 'name="office"' not in page
    client.post(url, {"title": "題名", "service": "online", "office": v1.document.office_id})
    v1.document.refresh_from_db()
    assert v1.document.service == "booth"
