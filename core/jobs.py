"""Periodic jobs. Each app registers its own in its AppConfig.ready(); `run_jobs` runs them.

Every job must be idempotent and safe when several copies run at once on several machines:
it claims rows with conditional updates or row locks, never with in-process state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

JobFunc = Callable[[datetime], object]
_registry: dict[str, JobFunc] = {}


def register(name: str) -> Callable[[JobFunc], JobFunc]:
    def decorator(func: JobFunc) -> JobFunc:
        _registry[name] = func
        return func

    return decorator


def registered_jobs() -> dict[str, JobFunc]:
    return dict(_registry)


@register("deliver_mail")
def deliver_mail(now: datetime) -> object:
    from .outbox import outbox_deliver_due

    return outbox_deliver_due()


@register("outbox_purge_sent")
def purge_sent_mail(now: datetime) -> object:
    from datetime import timedelta

    from django.conf import settings

    from .outbox import outbox_purge_sent

    retention = timedelta(days=settings.OUTBOX_SENT_RETENTION_DAYS)
    return f"deleted={outbox_purge_sent(before=now - retention)}"


@register("access_records_purge")
def purge_access_records(now: datetime) -> object:
    """Access records older than ACCESS_RECORD_RETENTION_DAYS are deleted (REQ LOG-1)."""
    from datetime import timedelta

    from django.conf import settings

    from .access import access_records_purge

    retention = timedelta(days=settings.ACCESS_RECORD_RETENTION_DAYS)
    return f"deleted={access_records_purge(before=now - retention)}"
