"""Publishing is decided by the database, not by two transactions that cannot see each other
(REQ TRM-1; issue 10.18)."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone

from terms.models import TermsVersion, VersionStatus
from terms.services import terms_version_publish
from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_older_draft_cannot_be_published_while_a_newer_one_is_being_published(office):
    # REQ TRM-1: publishing v3 and v2 at once published both (v2 after v3): the check saw
    # nothing because v3 was not committed yet.
    document = TermsDocumentFactory(office=office)
    TermsVersionFactory(document=document, number=1)
    drafts = {
        number: TermsVersionFactory(
            document=document,
            number=number,
            status=VersionStatus.DRAFT,
            effective_from=timezone.now() + timedelta(days=7),
        )
        for number in (2, 3)
    }
    newer_in_flight = threading.Event()
    older_started = threading.Event()
    outcome: dict[str, object] = {}

    def publish_newer():
        try:
            with transaction.atomic():
                terms_version_publish(version=drafts[3])
                newer_in_flight.set()
                older_started.wait(timeout=10)
                time.sleep(0.5)  # the older one is now waiting for this transaction, or not
        finally:
            connections.close_all()

    def publish_older():
        try:
            newer_in_flight.wait(timeout=10)
            older_started.set()
            terms_version_publish(version=drafts[2])
            outcome["older"] = "published"
        except ValidationError as exc:
            outcome["older"] = exc.messages[0]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish_newer), threading.Thread(target=publish_older)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcome["older"] != "published"
    published = TermsVersion.objects.filter(document=document, status=VersionStatus.PUBLISHED)
    assert sorted(published.values_list("number", flat=True)) == [1, 3]
