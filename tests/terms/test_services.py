"""Publishing, consent, the gate's question and the announcement job."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.outbox import outbox_deliver_due
from terms.models import Consent, ConsentMethod, VersionStatus
from terms.rendering import compare_texts, render_markdown
from terms.services import (
    consent_needed,
    consent_record,
    terms_announce_upcoming,
    terms_version_create,
    terms_version_publish,
)
from terms.tasks import announce_terms_changes
from tests.factories import StaffFactory, UserFactory
from tests.terms.factories import ConsentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db


def test_consent_is_needed_when_a_newer_version_takes_effect(v1, user):
    # REQ TRM-4
    ConsentFactory(version=v1, user=user)
    assert consent_needed(user=user, service="booth") is None
    v2 = TermsVersionFactory(
        document=v1.document, number=2, effective_from=timezone.now() + timedelta(days=3)
    )
    assert consent_needed(user=user, service="booth") is None  # announced, not yet in effect
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert consent_needed(user=user, service="booth") == v2


def test_a_user_without_any_consent_needs_the_current_version(v1, user):
    # REQ TRM-2
    assert consent_needed(user=user, service="booth") == v1
    assert consent_needed(user=user, service="online") is None  # no such terms at this office


def test_consent_records_who_when_how_and_from_where(v1, user, rf):
    # REQ TRM-2
    request = rf.post("/", HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="203.0.113.5")
    consent = consent_record(user=user, version=v1, request=request)
    assert (consent.method, consent.ip_address, consent.user_agent) == (
        ConsentMethod.ONLINE,
        "203.0.113.5",
        "Firefox/140",
    )
    assert consent.accepted_at is not None


def test_counter_consent_names_the_staff_member(v1, user):
    # REQ TRM-2
    with pytest.raises(ValidationError):
        consent_record(user=user, version=v1, method=ConsentMethod.STAFF)
    staff = StaffFactory(office=user.office)
    consent = consent_record(user=user, version=v1, method=ConsentMethod.STAFF, recorded_by=staff)
    assert consent.recorded_by == staff


def test_a_draft_cannot_be_accepted(booth_terms, user):
    # REQ TRM-2
    draft = TermsVersionFactory(document=booth_terms, status=VersionStatus.DRAFT, published_at=None)
    with pytest.raises(ValidationError):
        consent_record(user=user, version=draft)
    assert Consent.objects.count() == 0


def test_publishing_numbers_a_draft_and_freezes_it(v1):
    # REQ TRM-1
    draft = terms_version_create(
        document=v1.document,
        text="新しい本文",
        summary="変更点",
        effective_from=timezone.now() + timedelta(days=10),
    )
    assert draft.number == 2 and draft.status == VersionStatus.DRAFT
    published = terms_version_publish(version=draft)
    assert published.status == VersionStatus.PUBLISHED
    assert published.published_at is not None
    with pytest.raises(ValidationError):
        terms_version_publish(version=published)


def test_a_version_cannot_be_published_to_take_effect_in_the_past(v1):
    # REQ TRM-3
    draft = terms_version_create(
        document=v1.document,
        text="x",
        summary="",
        effective_from=timezone.now() - timedelta(days=1),
    )
    with pytest.raises(ValidationError) as error:
        terms_version_publish(version=draft)
    assert "effective_from" in error.value.message_dict


def _announce(office, days=7):
    return TermsVersionFactory(
        document__office=office,
        number=2,
        summary="キャンセル方法の追加",
        effective_from=timezone.now() + timedelta(days=days),
    )


def test_announcement_is_mailed_once_per_user_even_when_the_job_runs_twice(office):
    # REQ TRM-3, NTF-1
    seekers = UserFactory.create_batch(3, office=office)
    UserFactory(office=office, verified=False)  # unverified: not a registered user yet
    UserFactory()  # another office
    version = _announce(office)
    assert terms_announce_upcoming() == 3
    assert terms_announce_upcoming() == 0
    assert announce_terms_changes() == "mailed=0"  # the periodic task: nothing left
    outbox_deliver_due()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in seekers)
    body = mail.outbox[0].body
    assert (
        version.effective_from.astimezone(timezone.get_default_timezone()).strftime(
            "%Y年%-m月%-d日"
        )
        in body
    )
    assert "キャンセル方法の追加" in body
    assert version.text.splitlines()[0] in body
    assert office.name in mail.outbox[0].subject


def test_markdown_is_sanitised():
    # REQ TRM-1, NFR-3
    html = str(render_markdown("**太字** <script>alert(1)</script> [x](javascript:alert(1))"))
    assert "<strong>太字</strong>" in html
    assert "<script" not in html
    assert "javascript:" not in html


def test_comparison_marks_added_and_removed_lines():
    # REQ TRM-4
    diff = compare_texts("一\n二\n三", "一\n二改\n三\n四")
    assert [(line.kind, line.text) for line in diff] == [
        ("same", "一"),
        ("removed", "二"),
        ("added", "二改"),
        ("same", "三"),
        ("added", "四"),
    ]


def test_deleting_an_account_erases_where_its_consents_came_from_and_keeps_the_fact(v1, rf):
    # REQ REG-5, TRM-2
    from accounts.services import account_delete

    user = UserFactory(office=v1.document.office)
    request = rf.post("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Browser/9")
    consent_record(user=user, version=v1, request=request)
    account_delete(user=user)
    consent = Consent.objects.get(version=v1)
    assert (consent.ip_address, consent.user_agent) == (None, "")
    assert consent.user_id == user.pk and consent.method == ConsentMethod.ONLINE
