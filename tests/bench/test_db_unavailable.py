"""A clear 503 page while the database is unreachable, a 500 for anything else (REQ NFR-3)."""

import pytest
from django.db import OperationalError

from core.middleware_db import database_unavailable


@pytest.fixture
def failing_client(client, settings):
    settings.ROOT_URLCONF = "tests.bench.urls_db_unavailable"
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("path", ["/operational/", "/interface/"])
def test_a_database_outage_answers_503_with_a_retry_time_not_a_traceback(failing_client, path):
    # REQ NFR-3: requests during a PostgreSQL restart get a clear page and can be retried.
    response = failing_client.get(path)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "ただいま一時的に利用できません" in html and "Temporarily unavailable" in html
    assert "Traceback" not in html and "OperationalError" not in html


def test_other_errors_keep_the_500_page(failing_client):
    # REQ NFR-3
    response = failing_client.get("/bug/")
    assert response.status_code == 500


def test_the_database_error_is_found_along_the_exception_chain():
    # REQ NFR-3
    try:
        try:
            raise OperationalError("gone")
        except OperationalError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert database_unavailable(outer)
    assert not database_unavailable(ValueError("no"))
    assert not database_unavailable(None)


def test_the_project_answers_503_while_the_database_is_unreachable():
    # REQ NFR-3: the project's own URLconf uses the handler, not only the test's
    from config import urls

    assert urls.handler500 == "core.middleware_db.server_error"
