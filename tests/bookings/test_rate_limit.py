"""The booking rate limit in one round trip to the shared cache (REQ NFR-3, NFR-4)."""

import pytest
import redis
from django.core.cache import caches
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from bookings.pages import booking_rate_limited
from config.settings import base as base_settings

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/14"


def _post(user):
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.7")
    request.user = user
    return request


def _limited(user, times: int) -> list[bool]:
    return [booking_rate_limited(_post(user)) for _ in range(times)]


def test_the_limit_refuses_past_the_rate_per_user_and_per_address(frozen, seeker, employer):
    # REQ NFR-3: "2/h/user,3/h/ip": the person's third POST, the address's fourth
    with override_settings(ACCOUNT_RATE_LIMITS={"booking": "2/h/user,3/h/ip"}):
        assert _limited(seeker, 3) == [False, False, True]
        assert _limited(employer, 1) == [True]  # the address's fourth POST


def test_a_new_window_opens_after_the_rate_duration(frozen, seeker):
    # REQ NFR-3
    import datetime

    with override_settings(ACCOUNT_RATE_LIMITS={"booking": "1/h/user"}):
        assert _limited(seeker, 2) == [False, True]
        frozen.shift(datetime.timedelta(hours=1))
        assert _limited(seeker, 1) == [False]


def test_the_limit_holds_on_the_database_cache(frozen, seeker):
    # REQ NFR-3: the counters work on the shared database cache as on Redis
    shared = {**base_settings.CACHES["default"], "LOCATION": "test_booking_rate_cache"}
    with override_settings(CACHES={"default": shared}, ACCOUNT_RATE_LIMITS={"booking": "2/h/user"}):
        call_command("createcachetable", verbosity=0)
        caches["default"].clear()
        assert _limited(seeker, 3) == [False, False, True]


def test_on_redis_every_counter_is_raised_in_one_round_trip(frozen, seeker, monkeypatch):
    # REQ NFR-4
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    shared = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "test-booking-rate",
    }
    with override_settings(CACHES={"default": shared}):
        caches["default"].clear()  # its own database of the Redis: counters of earlier runs
    round_trips = []
    execute = redis.client.Pipeline.execute
    monkeypatch.setattr(
        redis.client.Pipeline,
        "execute",
        lambda pipeline, *a, **k: round_trips.append("pipeline") or execute(pipeline, *a, **k),
    )
    monkeypatch.setattr(
        redis.Redis,
        "execute_command",
        lambda *a, **k: round_trips.append(a[1]) or pytest.fail("a command outside the pipeline"),
    )
    with override_settings(
        CACHES={"default": shared}, ACCOUNT_RATE_LIMITS={"booking": "2/h/user,100/h/ip"}
    ):
        results = _limited(seeker, 3)
    assert results == [False, False, True]
    assert round_trips == ["pipeline"] * 3
