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
