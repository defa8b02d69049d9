"""The shared append-only base (core.append_only), as consents use it (REQ TRM-2, STF-2)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from terms.models import Consent
from tests.factories import UserFactory
from tests.terms.factories import TermsVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def consent():
    version = TermsVersionFactory()
    return Consent.objects.create(user=UserFactory(office=version.document.office), version=version)


def test_the_orm_refuses_to_change_or_delete_a_record(consent):
    # REQ TRM-2: never edited or deleted by the application
    for attempt in (
        lambda: consent.save(),
        lambda: consent.delete(),
        lambda: Consent.objects.filter(pk=consent.pk).update(user_agent="x"),
        lambda: Consent.objects.filter(pk=consent.pk).delete(),
    ):
        with pytest.raises(ValidationError):
            attempt()


def test_the_database_refuses_raw_sql_until_the_protection_is_lifted(consent):
    # REQ STF-2: not even raw SQL changes the evidence, except the sanctioned erasure
    for sql in ("UPDATE terms_consent SET user_agent = 'x'", "DELETE FROM terms_consent"):
        with (
            pytest.raises(ProgrammingError, match="Cannot update or delete"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with transaction.atomic(), Consent.protection_lifted(), connection.cursor() as cursor:
        cursor.execute("UPDATE terms_consent SET user_agent = '' WHERE id = %s", [consent.pk])
        assert cursor.rowcount == 1
