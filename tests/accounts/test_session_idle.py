"""The idle timeout without a session write on every page view (REQ REG-8, NFR-3, NFR-4)."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")


def _session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]


def _signed_in(client, user, at):
    with time_machine.travel(at, tick=False):
        client.force_login(user)
        assert client.get(PROFILE).status_code == 200  # the first view records last-seen


@pytest.mark.parametrize("is_staff", [False, True])
def test_a_signed_in_page_view_within_the_window_does_not_write_the_session(
    client, office, settings, is_staff
):
    # REQ NFR-4: a page view reads the session; it writes it at most every few minutes.
    user = StaffFactory(office=office) if is_staff else UserFactory(office=office)
    start = timezone.now()
    _signed_in(client, user, start)
    expire_before = Session.objects.get().expire_date
    window = settings.SESSION_ACTIVITY_WRITE_SECONDS
    later = start + timedelta(seconds=window - 1)
    with time_machine.travel(later, tick=False), CaptureQueriesContext(connection) as queries:
        assert client.get(PROFILE).status_code == 200
    assert _session_writes(queries) == []
    assert Session.objects.get().expire_date == expire_before
    later = start + timedelta(seconds=window + 1)
    with time_machine.travel(later, tick=False), CaptureQueriesContext(connection) as queries:
        assert client.get(PROFILE).status_code == 200
    assert len(_session_writes(queries)) == 1  # the window is over: last-seen moves on
    assert Session.objects.get().expire_date > expire_before


@pytest.mark.parametrize(
    "is_staff, idle_ok_minutes, idle_limit_minutes", [(True, 29, 30), (False, 119, 120)]
)
def test_the_idle_timeout_still_expires_the_session_on_the_server(
    client, office, settings, is_staff, idle_ok_minutes, idle_limit_minutes
):
    # REQ REG-8, NFR-3: counted from the last refresh of last-seen; the session row is deleted.
    user = StaffFactory(office=office) if is_staff else UserFactory(office=office)
    start = timezone.now()
    _signed_in(client, user, start)
    # Views inside the write window do not move last-seen, so they do not extend the session.
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert client.get(PROFILE).status_code == 200
    with time_machine.travel(start + timedelta(minutes=idle_ok_minutes), tick=False):
        assert client.get(PROFILE).status_code == 200  # refreshes last-seen
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    resumed = start + timedelta(minutes=idle_ok_minutes)
    too_long = resumed + timedelta(minutes=idle_limit_minutes, seconds=1)
    with time_machine.travel(too_long, tick=False):
        assert client.get(PROFILE).status_code == 302
    # Gone or expired on the server: the cookie alone can no longer sign anybody in.
    assert not Session.objects.filter(session_key=key, expire_date__gt=too_long).exists()
