"""Tests: fast hashing, in-memory mail delivery, the embedded PostgreSQL unless DATABASE_URL."""

from .base import *  # noqa: F403
from .base import DATABASES, database_config

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
# A local-memory cache keeps tests independent; the shared cache is a production concern
# and is tested where it matters (rate limits) against the database cache.
CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # noqa: F405
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
if not DATABASES:
    from core import embedded_db

    DATABASES = {"default": database_config(embedded_db.url())}
WHITENOISE_AUTOREFRESH = True  # serve from the app folders; no collectstatic needed
