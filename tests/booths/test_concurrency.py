"""Fifty people racing for one slot get exactly one reservation (REQ BTH-2).

Each thread is a separate signed-in user with its own database connection, going through the
real views; they wait at a barrier and then send their check-your-answers page at once.
PostgreSQL's partial unique index decides.
"""

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from booths.models import Reservation
from tests.booths.conftest import NOW
from tests.checkpage import fill_and_check
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 50


def test_fifty_threads_requesting_one_slot_make_one_reservation(booth, request_data):
    # REQ BTH-2
    import time_machine

    users = [UserFactory(office=booth.office, username=f"racer{n}") for n in range(RACERS)]
    url = reverse(
        "booths:request", kwargs={"booth_id": booth.pk, "day": "2026-11-18", "hhmm": "1000"}
    )
    barrier = threading.Barrier(RACERS)
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def race(user):
        try:
            client = Client(raise_request_exception=False)
            client.force_login(user)
            check = fill_and_check(client, url, request_data)
            barrier.wait(timeout=60)
            response = check.send(client)
            with lock:
                results.append((response.status_code, response.content.decode()))
        except BaseException as exc:  # reported below, never swallowed
            with lock:
                errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=race, args=(user,)) for user in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert not errors, errors
    statuses = sorted(code for code, _ in results)
    assert len(results) == RACERS
    assert 500 not in statuses
    assert Reservation.objects.count() == 1
    assert statuses.count(302) == 1
    assert statuses.count(409) == RACERS - 1
    assert all("たった今" in body for code, body in results if code == 409)
