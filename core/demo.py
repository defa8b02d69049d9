"""Demo data steps. Each app registers a step in its AppConfig.ready(); `manage.py demo` runs
them in INSTALLED_APPS order, so a higher app can rely on what a lower one created."""

from __future__ import annotations

from collections.abc import Callable

DemoStep = Callable[[], list[str]]
_steps: list[tuple[str, DemoStep]] = []


def register(app_label: str) -> Callable[[DemoStep], DemoStep]:
    def decorator(func: DemoStep) -> DemoStep:
        _steps.append((app_label, func))
        return func

    return decorator


def steps_in_app_order() -> list[DemoStep]:
    from django.apps import apps

    order = {config.label: index for index, config in enumerate(apps.get_app_configs())}
    return [func for label, func in sorted(_steps, key=lambda step: order.get(step[0], 999))]
