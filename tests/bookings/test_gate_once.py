"""The gate of the booking pages is computed once a booking (REQ NFR-4, TRM-4, OPS-2): the
consent in effect and the maintenance windows are kept by the office's gate version, which the
database raises with any write of the office's terms versions and of the notices that reach
its people, and compared with the time of each request."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Notice, Office
from terms.models import Consent, TermsDocument, TermsVersion, VersionStatus
from tests.booths.conftest import NOW
from tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db

LATER = NOW + datetime.timedelta(days=3)


def _version(document, number, effective_from):
    return TermsVersion.objects.create(
        document=document,
        number=number,
        text=f"v{number}",
        status=VersionStatus.PUBLISHED,
        published_at=NOW - datetime.timedelta(days=20),
        effective_from=effective_from,
    )


@pytest.fixture
def booth_terms(seeker):
    document = TermsDocument.objects.create(office=seeker.office, service="booth", title="規約")
    Consent.objects.create(
        user=seeker, version=_version(document, 1, NOW - datetime.timedelta(days=9))
    )
    return document


def _form_url(booth) -> str:
    return reverse("booths:request", args=[booth.pk, "2026-11-18", "1000"])


def _gate_queries(captured) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if any(table in query["sql"] for table in ("terms_", "accounts_notice"))
    ]


def test_the_gate_asks_the_database_once_then_keeps_its_answer(
    frozen, client, seeker, booth, booth_terms
):
    # REQ NFR-4: the second step of a booking reads neither terms, consents nor notices
    client.force_login(seeker)
    with CaptureQueriesContext(connection) as first:
        assert client.get(_form_url(booth)).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get(_form_url(booth)).status_code == 200
    assert len(_gate_queries(first)) == 2  # the versions, the notices
    assert _gate_queries(second) == []


def test_the_consents_are_kept_from_sign_in(frozen, client, seeker, booth, booth_terms):
    # REQ NFR-4, TRM-4: sign-in keeps what the person accepted in the session, so even the
    # first gated step reads no consent; someone who has not accepted is still sent to accept.
    client.force_login(seeker)
    with CaptureQueriesContext(connection) as first:
        assert client.get(_form_url(booth)).status_code == 200
    assert not [sql for sql in _gate_queries(first) if "terms_consent" in sql]
    _version(booth_terms, 2, NOW - datetime.timedelta(days=1))  # in effect, not accepted
    client.force_login(seeker)
    response = client.get(_form_url(booth))
    assert response.status_code == 302 and "/terms/accept/booth/" in response["Location"]


def test_a_new_version_gates_at_its_effective_time_without_any_write(
    frozen, client, seeker, booth, booth_terms
):
    # REQ TRM-4: a version announced earlier takes effect at its time, not at a write
    _version(booth_terms, 2, LATER)
    client.force_login(seeker)
    assert client.get(_form_url(booth)).status_code == 200
    version = Office.objects.get(pk=seeker.office_id).gate_version
    frozen.move_to(LATER + datetime.timedelta(minutes=1))
    client.force_login(seeker)  # the sign-in of the fixture's time has aged
    response = client.get(_form_url(booth))
    assert response.status_code == 302 and "/terms/accept/booth/" in response["Location"]
    assert Office.objects.get(pk=seeker.office_id).gate_version == version


def test_a_version_published_to_take_effect_at_once_gates_the_next_step(
    frozen, client, seeker, booth, booth_terms
):
    # REQ TRM-4
    client.force_login(seeker)
    assert client.get(_form_url(booth)).status_code == 200
    _version(booth_terms, 2, NOW - datetime.timedelta(minutes=1))
    response = client.get(_form_url(booth))
    assert response.status_code == 302 and "/terms/accept/booth/" in response["Location"]


def test_accepting_the_new_version_opens_the_gate_again(frozen, client, seeker, booth, booth_terms):
    # REQ TRM-4
    client.force_login(seeker)
    second = _version(booth_terms, 2, NOW - datetime.timedelta(minutes=1))
    assert client.get(_form_url(booth)).status_code == 302
    Consent.objects.create(user=seeker, version=second)
    assert client.get(_form_url(booth)).status_code == 200


@pytest.mark.parametrize("national", [False, True])
def test_a_notice_added_pauses_the_next_step(frozen, client, seeker, booth, national):
    # REQ OPS-2: a window added while the maintenance is kept pauses at once
    client.force_login(seeker)
    assert client.get(_form_url(booth)).status_code == 200
    Notice.objects.create(
        title="保守",
        office_id=None if national else seeker.office_id,
        maintenance_starts_at=NOW - datetime.timedelta(minutes=5),
        maintenance_ends_at=NOW + datetime.timedelta(hours=1),
    )
    assert client.get(_form_url(booth)).status_code == 503


def test_another_offices_notice_leaves_the_kept_windows_alone(frozen, client, seeker, booth):
    # REQ OPS-2, NFR-4
    client.force_login(seeker)
    assert client.get(_form_url(booth)).status_code == 200
    version = Office.objects.get(pk=seeker.office_id).gate_version
    Notice.objects.create(
        title="保守",
        office_id=OfficeFactory(code="other").pk,
        maintenance_starts_at=NOW - datetime.timedelta(minutes=5),
        maintenance_ends_at=NOW + datetime.timedelta(hours=1),
    )
    assert Office.objects.get(pk=seeker.office_id).gate_version == version
    assert client.get(_form_url(booth)).status_code == 200


def test_a_kept_window_starts_and_ends_on_time_without_any_write(frozen, client, seeker, booth):
    # REQ OPS-2
    Notice.objects.create(
        title="保守",
        office_id=seeker.office_id,
        maintenance_starts_at=NOW + datetime.timedelta(hours=1),
        maintenance_ends_at=NOW + datetime.timedelta(hours=2),
    )
    client.force_login(seeker)
    assert client.get(_form_url(booth)).status_code == 200
    frozen.move_to(NOW + datetime.timedelta(hours=1, minutes=1))
    assert client.get(_form_url(booth)).status_code == 503
    frozen.move_to(NOW + datetime.timedelta(hours=2))
    client.force_login(seeker)  # signed in again after two idle hours
    assert client.get(_form_url(booth)).status_code == 200


def test_a_notice_moved_to_another_office_raises_both_versions(db):
    # REQ OPS-2: the office it left and the office it joined
    first, second = OfficeFactory(code="first"), OfficeFactory(code="second")
    notice = Notice.objects.create(title="保守", office_id=first.pk)
    before = dict(Office.objects.values_list("pk", "gate_version"))
    Notice.objects.filter(pk=notice.pk).update(office_id=second.pk)
    after = dict(Office.objects.values_list("pk", "gate_version"))
    assert after[first.pk] > before[first.pk] and after[second.pk] > before[second.pk]


def test_raising_the_gate_version_leaves_no_audit_event(db):
    # REQ STF-2: bookkeeping, like the availability version, is not in the trail
    from accounts.models import OfficeEvent

    office = OfficeFactory(code="quiet")
    events = OfficeEvent.objects.count()
    Notice.objects.create(title="お知らせ", office_id=office.pk)
    assert Office.objects.get(pk=office.pk).gate_version == 1
    assert OfficeEvent.objects.count() == events
