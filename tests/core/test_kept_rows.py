"""What a cold office's or person's first booking page reads, by statements kept once a
process: the same rows as the ORM's, for every office and person (REQ NFR-4, TRM-1, OPS-1,
REG-1, OFF-4, BTH-1)."""

import datetime
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts import maintenance
from accounts.eligibility import has_verified_email
from accounts.models import Notice, Office
from bookings.availability import closures_for
from bookings.models import OfficeClosure
from booths.models import Booth
from core import statements
from core.models import OutboxMessage
from core.statements import kept_rows
from terms import gate
from tests.booths.factories import BoothFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_statements")]


def test_kept_rows_are_the_querysets_rows_and_built_once():
    # REQ NFR-4
    offices = [OfficeFactory(code=f"k{n}", name=f"ハローワーク{n}") for n in range(3)]
    calls = mock.Mock(
        side_effect=lambda given: Office.objects.filter(pk=given["office"]).values_list(
            "pk", "code", "opens_at"
        )
    )
    for office in offices:
        rows = kept_rows(
            "t", calls, {"office": office.pk}, stand_ins=lambda n: {"office": -100 - n}
        )
        assert rows == list(
            Office.objects.filter(pk=office.pk).values_list("pk", "code", "opens_at")
        )
    # the converters check, the two stand-ins, the check of the first real call: then none
    assert calls.call_count == 4


def test_rows_a_field_converts_are_read_through_the_orm():
    # REQ NFR-4: a field whose values the ORM converts (JSON here) is never read raw
    message = OutboxMessage.objects.create(
        subject="s", body="b", from_email="f@example.com", to=["a@example.com"]
    )

    def queryset(given):
        return OutboxMessage.objects.filter(pk=given["message"]).values_list("pk", "to")

    for _ in range(2):
        rows = kept_rows(
            "json", queryset, {"message": message.pk}, stand_ins=lambda n: {"message": -n}
        )
        assert rows == [(message.pk, ["a@example.com"])]
    assert statements.kept("json") is None  # nothing kept: the ORM each call


def test_the_verified_address_is_read_for_each_person():
    # REQ REG-1
    verified, unverified, none = UserFactory(), UserFactory(), UserFactory()
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    EmailAddress.objects.filter(user=none).delete()
    assert [has_verified_email(user) for user in (verified, unverified, none, verified)] == [
        True,
        False,
        False,
        True,
    ]


def test_closures_and_booth_rows_and_terms_and_maintenance_match_the_orms():
    # REQ OFF-4, BTH-1, TRM-1, OPS-1: each office its own, whichever office asked first
    first, second = OfficeFactory(code="c1"), OfficeFactory(code="c2")
    day = datetime.date(2026, 12, 1)
    OfficeClosure.objects.create(office=first, date=day)
    OfficeClosure.objects.create(office=second, date=day + datetime.timedelta(days=1))
    assert closures_for(first.pk, day, day + datetime.timedelta(days=3)) == {day}
    assert closures_for(second.pk, day, day + datetime.timedelta(days=3)) == {
        day + datetime.timedelta(days=1)
    }
    assert closures_for(second.pk, day, day) == frozenset()

    now = timezone.now()
    Notice.objects.create(
        office=second,
        title="保守",
        body="-",
        maintenance_starts_at=now + datetime.timedelta(hours=1),
        maintenance_ends_at=now + datetime.timedelta(hours=2),
    )
    for office in (first, second):
        office.refresh_from_db()
        expected = list(
            Notice.objects.for_office(office.pk)
            .filter(maintenance_starts_at__isnull=False, maintenance_ends_at__gt=now)
            .values_list("maintenance_starts_at", "maintenance_ends_at")
        )
        assert maintenance._windows(office, now) == (now, expected)
        for service in ("booth", "online"):
            assert list(gate._published(office, service)) == list(
                gate.TermsVersion.objects.published()
                .filter(document__office=office, document__service=service)
                .values_list("document_id", "number", "effective_from")
            )
    assert maintenance._windows(second, now)[1]  # the second office's window was read


def test_a_booth_row_is_only_of_an_open_booth_of_the_persons_office(client):
    # REQ BTH-1: someone else's office's booth, or a closed one, is not found
    from booths.views import _booth_for

    office, other = OfficeFactory(code="b1"), OfficeFactory(code="b2")
    open_booth = BoothFactory(office=office)
    closed = BoothFactory(office=office, is_active=False)
    elsewhere = BoothFactory(office=other)
    person = UserFactory(office=Office.objects.get(pk=office.pk))
    assert _booth_for(person, open_booth.pk).name == Booth.objects.get(pk=open_booth.pk).name
    for booth in (closed, elsewhere):
        with pytest.raises(Exception) as refused:
            _booth_for(person, booth.pk)
        assert refused.type.__name__ == "Http404"
