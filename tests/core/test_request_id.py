"""Every log line of a request and its response carry one request id (REQ NFR-6, LOG-2)."""

import logging
import re

import pytest

from core.request_id import NO_REQUEST, RequestIdFilter, current_request_id

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def records():
    """What Django's request logger writes, through the project's filter."""
    caught: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    handler.emit = caught.append
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield caught
    logger.removeHandler(handler)


def test_a_well_formed_incoming_request_id_is_kept_and_echoed(client):
    # REQ NFR-6: the proxy's id ties its log line to ours
    for incoming in ("2f1c9a7e5b3d4c6e8f0a1b2c3d4e5f60", "lb-7.request_ID-42"):
        response = client.get("/health/", HTTP_X_REQUEST_ID=incoming)
        assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["short", "x" * 65, "山田太郎さんの電話0312345678", "id with spaces 123", "-leading-dash-1"],
)
def test_a_malformed_incoming_request_id_is_replaced(client, incoming):
    # REQ LOG-2: a client's header can't write text (or a name) into the logs
    response = client.get("/health/", HTTP_X_REQUEST_ID=incoming)
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_each_request_without_an_id_gets_its_own(client):
    # REQ NFR-6
    first, second = (client.get("/health/")["X-Request-ID"] for _ in range(2))
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second)
    assert first != second


def test_the_log_lines_of_a_request_carry_its_id(client, records):
    # REQ NFR-6: Django's "Not Found" line is written after the middleware returned
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-0123456789")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-0123456789"
    assert [record.request_id for record in records] == ["req-0123456789"]
    # Outside a request (the worker, a command) lines say so.
    assert current_request_id.get() == NO_REQUEST
