"""A developer's machine: debug on, mail printed to the console, SQLite unless DATABASE_URL."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
WHITENOISE_AUTOREFRESH = True
