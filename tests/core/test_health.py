"""The load balancers' health endpoint (REQ NFR-6): database, caches, the job queue's lag."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.models import Notice
from config.settings import base as base_settings
from tests.auth import login_client
from tests.factories import OfficeFactory, UserFactory
from tests.terms.factories import TermsVersionFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
LAG = "JobQueueLag()"


def _job(*, waited: datetime.timedelta, status: str = "todo", scheduled_in=None) -> int:
    """A job of procrastinate's table, deferred `waited` ago (its trigger records the event)."""
    scheduled_at = timezone.now() + scheduled_in if scheduled_in is not None else None
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, status, scheduled_at) "
            "VALUES ('default', 'health_test', %s, %s) RETURNING id",
            [status, scheduled_at],
        )
        (job_id,) = cursor.fetchone()
    _age(job_id, waited)
    return job_id


def _age(job_id: int, waited: datetime.timedelta) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_events SET at = %s WHERE job_id = %s AND type = 'deferred'",
            [timezone.now() - waited, job_id],
        )


def test_health_answers_200_with_every_check_ok_and_sets_no_cookie(client):
    # REQ NFR-6: a load balancer's probe, with no session, cookie or sign-in
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "Database(alias='default')",
        "SharedCache(alias='default')",
        "SharedCache(alias='grids')",
        LAG,
    }
    assert set(body.values()) == {"OK"}
    assert not response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_probes_leave_no_row_in_the_database_cache(client):
    # REQ NFR-6: the production default cache lives in the database; a probe every few
    # seconds must not fill it
    shared = {**base_settings.CACHES["default"], "LOCATION": "test_health_cache"}
    assert shared["BACKEND"] == "core.cache.DatabaseCache"
    with override_settings(CACHES={**settings.CACHES, "default": shared}):
        call_command("createcachetable", verbosity=0)
        for _ in range(3):
            response = client.get("/health/")
            assert response.json()["SharedCache(alias='default')"] == "OK"
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM test_health_cache")
            assert cursor.fetchone() == (0,)


def test_health_is_answered_over_plain_http_when_pages_redirect_to_https(client):
    # REQ NFR-6, NFR-3: the proxy probes a server directly, without TLS
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert client.get("/health/").status_code == 200
        assert client.get("/").status_code == 301


def test_health_answers_during_maintenance_and_behind_the_terms_gate(client):
    # REQ NFR-6, OPS-2, TRM-4: neither the maintenance pause nor the gate applies to it
    office = OfficeFactory()
    TermsVersionFactory(document__office=office)
    now = timezone.now()
    notice = Notice.objects.create(
        title="メンテナンス",
        published_at=now - datetime.timedelta(days=1),
        maintenance_starts_at=now - datetime.timedelta(minutes=5),
        maintenance_ends_at=now + datetime.timedelta(hours=1),
    )
    login_client(client, UserFactory(office=office))
    assert client.get("/booths/now/").status_code == 503  # paused
    assert client.get("/health/").status_code == 200
    notice.delete()
    gated = client.get("/booths/now/")
    assert gated.status_code == 302 and gated["Location"].startswith("/terms/accept/booth/")
    assert client.get("/health/").status_code == 200


@override_settings(HEALTH_MAX_JOB_LAG_SECONDS=600)
def test_a_due_job_waiting_longer_than_the_limit_makes_the_server_unhealthy(client):
    # REQ NFR-6: the job queue's lag
    oldest = _job(waited=datetime.timedelta(minutes=9))
    _job(waited=datetime.timedelta(minutes=1))  # queued behind it
    assert client.get("/health/").status_code == 200
    _age(oldest, datetime.timedelta(minutes=11))
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()[LAG] == "unavailable"
    assert response.json()["Database(alias='default')"] == "OK"


@override_settings(HEALTH_MAX_JOB_LAG_SECONDS=600)
def test_jobs_not_waiting_do_not_count_as_lag(client):
    # REQ NFR-6: running, finished and not yet due jobs are not late
    old = datetime.timedelta(hours=2)
    _job(waited=old, status="doing")
    _job(waited=old, status="succeeded")
    _job(waited=old, scheduled_in=datetime.timedelta(minutes=5))
    assert client.get("/health/").status_code == 200
    # A retry scheduled 20 minutes ago and still not run is late, whenever it was deferred.
    _job(waited=datetime.timedelta(0), scheduled_in=-datetime.timedelta(minutes=20))
    assert client.get("/health/").status_code == 503


def test_health_answers_503_without_details_when_the_database_is_down():
    # REQ NFR-6: production settings, PostgreSQL unreachable, the proxy's plain-HTTP probe
    script = (
        "import django;django.setup();from django.test import Client;"
        "r=Client().get('/health/',HTTP_HOST='hellowork.example.jp');"
        "print(r.status_code);print(r.content.decode())"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE",)},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "hellowork.example.jp",
        "SITE_URL": "https://hellowork.example.jp",
        "DATABASE_URL": "postgres://hellowork:secret@127.0.0.1:9/hellowork",
        "LOG_LEVEL": "CRITICAL",
    }
    env.pop("CACHE_URL", None)  # the default: the cache lives in the database too
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    status, body = result.stdout.split("\n", 1)
    assert status == "503", result.stdout + result.stderr
    checks = json.loads(body)
    assert checks["Database(alias='default')"] == "unavailable"
    assert checks["SharedCache(alias='default')"] == "unavailable"
    assert set(checks.values()) <= {"OK", "unavailable"}
    for private in ("127.0.0.1", "hellowork:", "secret", "port", "connection"):
        assert private not in body
