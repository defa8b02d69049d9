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
from django.db import DatabaseError
from django.db.models import Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from health_check import Cache, HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

OK = "OK"
UNAVAILABLE = "unavailable"


@dataclasses.dataclass
class SharedCache(Cache):
    """The library's cache check, for a cache that may live in the database (the default
    `dbcache`): a database outage is the cache being unavailable, not an unexpected error.
    The probe's key is removed again, so probes every few seconds leave no rows behind."""

    cache_key: str | None = dataclasses.field(default=None, repr=False)

    def check_status(self):
        try:
            super().check_status()
            caches[self.alias].delete(self.cache_key)
        except DatabaseError as error:
            raise ServiceUnavailable("cache") from error


@dataclasses.dataclass
class JobQueueLag(HealthCheck):
    """Unhealthy when a due job has waited longer than HEALTH_MAX_JOB_LAG_SECONDS.

    A job is due since its `scheduled_at` (a scheduled job or a retry), or else since it was
    deferred (procrastinate's `deferred` event). Only `todo` jobs count: a job being run
    ("doing") is not waiting.
    """

    def check_status(self):
        from procrastinate.contrib.django.models import ProcrastinateEvent, ProcrastinateJob

        now = timezone.now()
        deferred_at = (
            ProcrastinateEvent.objects.filter(job=OuterRef("pk"), type="deferred")
            .order_by()
            .values("at")[:1]
        )
        try:
            oldest = (
                ProcrastinateJob.objects.filter(status="todo")
                .filter(Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=now))
                .aggregate(due_since=Min(Coalesce("scheduled_at", Subquery(deferred_at))))
            )["due_since"]
        except DatabaseError as error:
            raise ServiceUnavailable("job queue") from error
        limit = timedelta(seconds=settings.HEALTH_MAX_JOB_LAG_SECONDS)
        if oldest is not None and now - oldest > limit:
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
