"""What one whole booking costs in queries, through the pages (REQ NFR-4).

One booth booking and one online booking by a signed-in person who accepted the terms in
effect, from the day page that links to the slot: the form (GET), its POST answered with
"check your answers", and the send. Counted as a running server makes them: each test runs
in real transactions (no test transaction around it turning every BEGIN into a SAVEPOINT),
and twice: the person's first booking in a fresh process and session (the process's kept
office data and the session's consent are read once), then a second booking in the same
session (what every later booking costs). The ceilings are what each costs today; a change
that adds a query fails here and prints where each request's queries went.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from bookings.calendar import TOKYO
from booths.models import Reservation
from consultations.models import Consultation
from terms.models import Consent, TermsDocument, TermsVersion, VersionStatus
from tests.booths.conftest import NOW
from tests.checkpage import CheckPage

pytestmark = pytest.mark.django_db(transaction=True)

# Per session engine: (first booking of a session in a fresh process, every later booking).
# "db" is a default install's; "cached_db" the one production runs with Redis as CACHE_URL
# (README, Configuration), where each request reads its session from the cache (the test's
# local-memory cache stands in for Redis).
DB = "django.contrib.sessions.backends.db"
CACHED_DB = "django.contrib.sessions.backends.cached_db"
BOOTH_CEILINGS = {DB: (17, 14), CACHED_DB: (14, 11)}
ONLINE_CEILINGS = {DB: (21, 18), CACHED_DB: (18, 15)}
engines = pytest.mark.parametrize("engine", [DB, CACHED_DB], ids=["db", "cached_db"])
PGHISTORY_CONTEXT = re.compile(r"^SELECT set_config\('pghistory.*?;\s*", re.S)


def _accepted_terms(user, service: str) -> None:
    document = TermsDocument.objects.create(office=user.office, service=service, title="規約")
    version = TermsVersion.objects.create(
        document=document,
        number=1,
        text="v1",
        status=VersionStatus.PUBLISHED,
        published_at=NOW - datetime.timedelta(days=9),
        effective_from=NOW - datetime.timedelta(days=9),
    )
    Consent.objects.create(user=user, version=version)


def _at(hhmm: str) -> datetime.datetime:
    return datetime.datetime(2026, 11, 18, int(hhmm[:2]), int(hhmm[2:]), tzinfo=TOKYO)


def _shown(sql: str) -> str:
    # The audit trail's context (django-pghistory) prefixes each write: show the write.
    return PGHISTORY_CONTEXT.sub("", sql)[:140]


def _book_through_pages(client, day_url: str, url: str, data: dict, ceiling: int):
    """The three requests of one booking, their queries counted one by one, after the day
    page that links to the slot; the response of the send."""
    assert client.get(day_url).status_code == 200
    split = {}
    with CaptureQueriesContext(connection) as form:
        assert client.get(url).status_code == 200
    split["form GET"] = form
    with CaptureQueriesContext(connection) as post:
        check = CheckPage(client.post(url, data))
    split["form POST"] = post
    with CaptureQueriesContext(connection) as send:
        response = check.send(client)
    split["send POST"] = send
    total = sum(len(captured) for captured in split.values())
    report = "\n".join(
        f"{name}: {len(captured)}\n"
        + "\n".join(f"    {_shown(query['sql'])}" for query in captured.captured_queries)
        for name, captured in split.items()
    )
    print(f"\n{total} queries: " + ", ".join(f"{n} {len(c)}" for n, c in split.items()))
    assert total <= ceiling, f"{total} queries > {ceiling}:\n{report}"
    # Each write of the send is one statement that cannot fail: no savepoint around the holds
    # and the row; the mail's delivery deferred by the database with the outbox row.
    sent = [query["sql"] for query in send.captured_queries]
    assert not [sql for sql in sent if "SAVEPOINT" in sql or "procrastinate" in sql], report
    return response


@engines
def test_a_whole_booth_booking_stays_within_its_queries(
    frozen, client, settings, engine, seeker, booth
):
    # REQ NFR-4: ≤ BOOTH_CEILINGS queries for form, check and send together
    settings.SESSION_ENGINE = engine
    _accepted_terms(seeker, "booth")
    client.force_login(seeker)
    data = {
        "purpose": "job_consultation",
        "requester_name": "山田 太郎",
        "phone": "0173-11-2222",
        "client_number": "",
        "companions": ["interpreter"],
        "note": "",
    }
    day_url = reverse("booths:day", args=[booth.pk, "2026-11-18"])
    for hhmm, ceiling in zip(("1000", "1100"), BOOTH_CEILINGS[engine], strict=True):
        url = reverse(
            "booths:request", kwargs={"booth_id": booth.pk, "day": "2026-11-18", "hhmm": hhmm}
        )
        response = _book_through_pages(client, day_url, url, data, ceiling)
        booked = Reservation.objects.get(user=seeker, starts_at=_at(hhmm))
        assert response["Location"] == booked.get_absolute_url()
    assert ProcrastinateJob.objects.filter(task_name="deliver_mail").count() == 2


@engines
def test_a_whole_online_booking_stays_within_its_queries(
    frozen, client, settings, engine, seeker, counselor, zoom
):
    # REQ NFR-4: ≤ ONLINE_CEILINGS queries for form, check and send together
    settings.SESSION_ENGINE = engine
    _accepted_terms(seeker, "online")
    client.force_login(seeker)
    data = {
        "purpose": "job_consultation",
        "video_tool": zoom.pk,
        "requester_name": "山田 太郎",
        "phone": "0173-11-2222",
        "client_number": "",
        "companions": ["interpreter"],
        "note": "",
    }
    day_url = reverse("consultations:day", args=["any", "2026-11-18"])
    for hhmm, ceiling in zip(("1000", "1100"), ONLINE_CEILINGS[engine], strict=True):
        url = reverse(
            "consultations:request", kwargs={"who": "any", "day": "2026-11-18", "hhmm": hhmm}
        )
        response = _book_through_pages(client, day_url, url, data, ceiling)
        booked = Consultation.objects.get(user=seeker, starts_at=_at(hhmm))
        assert response["Location"] == booked.get_absolute_url()


def test_two_requests_book_from_the_day_page_and_the_next_booking_reads_no_booth_or_closure(
    frozen, client, settings, seeker, booth, employer
):
    # REQ NFR-4: the purpose picked with the slot, the slot link opens "check your answers"
    # and the send books: two requests. The booth's row and the closed days are kept under the
    # office's places version, which a booking does not raise: after one person's booking,
    # the next person's (straight from a link, no day page between) reads neither.
    settings.SESSION_ENGINE = CACHED_DB
    _accepted_terms(seeker, "booth")
    Consent.objects.create(user=employer, version=TermsVersion.objects.get())
    client.force_login(seeker)
    assert client.get(reverse("booths:day", args=[booth.pk, "2026-11-18"])).status_code == 200
    for person, hhmm, purpose, ceiling in (
        (seeker, "1000", "job_consultation", 13),
        (employer, "1100", "interview", 12),
    ):
        client.force_login(person)
        url = reverse(
            "booths:request", kwargs={"booth_id": booth.pk, "day": "2026-11-18", "hhmm": hhmm}
        )
        with CaptureQueriesContext(connection) as opened:
            check = CheckPage(client.get(f"{url}?purpose={purpose}"))
        with CaptureQueriesContext(connection) as sent:
            response = check.send(client)
        booked = Reservation.objects.get(user=person, starts_at=_at(hhmm))
        assert response["Location"] == booked.get_absolute_url()
        queries = [q["sql"] for q in opened.captured_queries + sent.captured_queries]
        print(f"\n{len(queries)} queries: check GET {len(opened)}, send POST {len(sent)}")
        assert len(queries) <= ceiling, "\n".join(_shown(sql) for sql in queries)
        if person is employer:
            place_reads = [
                sql
                for sql in queries
                if re.search(r'FROM "(booths_booth|bookings_officeclosure)"', sql)
            ]
            assert place_reads == [], place_reads
