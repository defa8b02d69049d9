"""A developer's machine: debug on, mail printed to the console, the embedded PostgreSQL unless
DATABASE_URL names a server."""

from .base import *  # noqa: F403
from .base import DATABASES, database_config, env

if not DATABASES:
    from core import embedded_db

    DATABASES = {"default": database_config(embedded_db.url())}

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
WHITENOISE_AUTOREFRESH = True
