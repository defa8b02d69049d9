"""The health endpoint load balancers probe (REQ NFR-6), on django-health-check's view.

`/health/` answers 200 when this server can serve: the database answers, both caches keep a
value, and the job queue is not lagging; 503 otherwise. The body names each check with "OK" or
"unavailable", never an exception's text or a host name: the probe may come from outside the
private network. It needs no session, cookie, CSRF token or sign-in; it is no booking view, so
neither the maintenance pause nor the terms gate (both decorators) applies; and its path is in
SECURE_REDIRECT_EXEMPT, so the proxy's plain-HTTP probe gets an answer, not a redirect to HTTPS.

The checks run one after another in the request's thread, on the worker's persistent
connection: a thread pool (the library's default) would open a new connection per probe.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.db import DatabaseError, router, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from health_check import Cache, HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from procrastinate.contrib.django.models import ProcrastinateEvent, ProcrastinateJob

OK = "OK"
UNAVAILABLE = "unavailable"


@dataclasses.dataclass
class SharedCache(Cache):
    """The library's cache check, for a cache that may live in the database (the default
    `dbcache`): a database outage is the cache being unavailable, not an unexpected error.

    Probes every few seconds leave nothing behind: in the database cache the write and the
    read happen in a transaction that is rolled back (so no commit waits for the disk either);
    elsewhere (memory, Redis) the key is deleted again.
    """

    cache_key: str | None = dataclasses.field(default=None, repr=False)

    def check_status(self):
        cache = caches[self.alias]
        try:
            if isinstance(cache, BaseDatabaseCache):
                with transaction.atomic(using=router.db_for_write(cache.cache_model_class)):
                    super().check_status()
                    transaction.set_rollback(True)
            else:
                super().check_status()
                cache.delete(self.cache_key)
        except DatabaseError as error:
            raise ServiceUnavailable("cache") from error


@dataclasses.dataclass
class JobQueueLag(HealthCheck):
    """Unhealthy when a due job has waited longer than HEALTH_MAX_JOB_LAG_SECONDS.

    Only `todo` jobs wait ("doing" ones are being run). A job with a `scheduled_at` (a
    scheduled job, a retry) is due since then; any other since it was deferred (procrastinate's
    `deferred` event), and of those the oldest is the one with the smallest id. Two small
    queries whatever the backlog: the probe must stay fast when the queue is long.
    """

    def check_status(self):
        cutoff = timezone.now() - timedelta(seconds=settings.HEALTH_MAX_JOB_LAG_SECONDS)
        waiting = ProcrastinateJob.objects.filter(status="todo")
        oldest_unscheduled = waiting.filter(scheduled_at__isnull=True).order_by("id")[:1]
        try:
            late = (
                waiting.filter(scheduled_at__lte=cutoff).exists()
                or ProcrastinateEvent.objects.filter(
                    job__in=oldest_unscheduled.values("id"), type="deferred", at__lte=cutoff
                ).exists()
            )
        except DatabaseError as error:
            raise ServiceUnavailable("job queue") from error
        if late:
            raise ServiceUnavailable("job queue lag")


@method_decorator(never_cache, name="get")
class HealthView(HealthCheckView):
    checks = (
        "health_check.Database",
        ("core.health.SharedCache", {"alias": "default"}),
        ("core.health.SharedCache", {"alias": "grids"}),
        "core.health.JobQueueLag",
    )
    use_threading = False

    def get(self, request, *args, **kwargs):
        errors = self.check()
        body = {
            label: UNAVAILABLE if plugin.errors else OK for label, plugin in self.plugins.items()
        }
        return JsonResponse(body, status=503 if errors else 200)
