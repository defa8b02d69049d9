"""Tests: fast hashing, in-memory mail delivery, a per-run cache table."""

import os

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
# A local-memory cache keeps tests independent; the shared cache is a production concern
# and is tested where it matters (rate limits) against the database cache.
CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # noqa: F405
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One file per test run: runs started side by side never share (and corrupt) a database.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")  # noqa: F405
    }
WHITENOISE_AUTOREFRESH = True  # serve from the app folders; no collectstatic needed
