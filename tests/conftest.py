"""Fixtures shared by the whole suite."""

import os
import shutil

import pytest

from tests.factories import OfficeFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Playwright's sync API keeps an event loop running in the main thread; the ORM calls that
# browser tests make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    browser_missing = shutil.which(CHROMIUM) is None
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
            if browser_missing and not os.environ.get("CI"):
                item.add_marker(
                    pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (CI fails here)")
                )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database's tables are never analysed by autovacuum during the run, on every
    server alike. The plan tests (tests/bookings/test_write_plans.py,
    tests/core/test_office_version.py) price out whole reads and then expect an index lookup
    wherever one can serve; on a test's few rows, statistics gathered in the middle of the run
    (the embedded PostgreSQL runs autovacuum, the project's servers here do not) make the
    planner read a small index whole instead, so the same code passed or failed by timing."""
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            """
            DO $$ DECLARE t regclass; BEGIN
                FOR t IN SELECT c.oid::regclass FROM pg_class c
                         JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.relkind = 'r' AND n.nspname = current_schema()
                LOOP
                    EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = false)', t);
                END LOOP;
            END $$
            """
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"Chromium is required for browser tests and is missing at {CHROMIUM}")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits live in the cache; each test starts with none used up. The per-process
    cache of office data starts empty too: a test's rolled-back rows give the next test the
    same ids and office versions again, which a real database never does for committed data.
    So do the kept rights of people (accounts.rights) and the kept pages (core.kept_pages)."""
    from django.core.cache import cache

    from accounts import rights
    from core import kept_pages
    from core.versioning import forget_kept

    cache.clear()
    forget_kept()
    rights.forget_all()
    kept_pages.forget_all()
    yield


COMMITTING_FIXTURES = {"transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def _job_queue_emptied_after_committing_tests(request):
    """A test that commits leaves its deferred jobs behind, and Django's flush does not know
    procrastinate's tables (unmanaged models): they are emptied here, so no later test finds
    another test's jobs."""
    yield
    marker = request.node.get_closest_marker("django_db")
    commits = (marker is not None and marker.kwargs.get("transaction")) or (
        COMMITTING_FIXTURES & set(request.fixturenames)
    )
    if not commits:
        return
    from django.db import connection

    with request.getfixturevalue("django_db_blocker").unblock(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers,"
            " procrastinate_workers CASCADE"
        )


@pytest.fixture
def office(db):
    return OfficeFactory()


@pytest.fixture
def user(db, office):
    return UserFactory(office=office)


@pytest.fixture
def fresh_statements():
    """The statements kept once a process (core.statements) built afresh for the test."""
    from core import statements

    statements.forget()
    yield
    statements.forget()
