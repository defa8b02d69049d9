"""Which settings a process runs with (REQ NFR-3, NFR-6).

With DJANGO_ENV=production, `manage.py` (and so cron, the worker and the release step) and the
WSGI application default to the production settings, and refuse the development ones named
explicitly: a command started without DJANGO_SETTINGS_MODULE, or with a stale one, never runs
with DEBUG on and the published development key against the live database. Without DJANGO_ENV,
`manage.py` keeps the development default and the WSGI application the production one.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from django.core.exceptions import ImproperlyConfigured

PRODUCTION = "production"
PRODUCTION_SETTINGS = "config.settings.production"
# Settings with DEBUG on, the published development key or secrets' defaults.
DEVELOPMENT_SETTINGS = ("config.settings.local", "config.settings.test", "config.settings.bench")


def use_settings(default: str, environ: MutableMapping[str, str] = os.environ) -> str:
    """Set DJANGO_SETTINGS_MODULE for this process and return it.

    Raises ImproperlyConfigured when DJANGO_ENV=production names development settings.
    """
    if environ.get("DJANGO_ENV", "") != PRODUCTION:
        return environ.setdefault("DJANGO_SETTINGS_MODULE", default)
    module = environ.setdefault("DJANGO_SETTINGS_MODULE", PRODUCTION_SETTINGS)
    if module in DEVELOPMENT_SETTINGS:
        raise ImproperlyConfigured(
            f"DJANGO_ENV=production refuses DJANGO_SETTINGS_MODULE={module}: those are "
            f"development settings (debug, a published key). Unset DJANGO_SETTINGS_MODULE "
            f"or set it to {PRODUCTION_SETTINGS}."
        )
    return module
