"""A local benchmark: the production settings, served over plain HTTP on 127.0.0.1.

Only what a benchmark on one machine needs differs from production: defaults for the secrets
and addresses (the environment still wins), no HTTPS redirect and no Secure-only cookies on the
loopback, and the `bench` app with its same-bytes floor view. DEBUG stays off, static files come
from whitenoise's manifest storage (run `collectstatic` first: `make bench` does).
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-secret-key-only-for-local-benchmarks-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8100")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hw_bench_10k")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
# As behind a proxy that names the client: the load comes from one socket address, and the
# per-address rate limits must see the many people it stands for (bench/client.py sends it).
os.environ.setdefault("TRUSTED_CLIENT_IP_HEADER", "X-Real-IP")

from .production import *  # noqa: F403
from .production import BASE_DIR, INSTALLED_APPS, LOGGING, SESSION_SAVE_EVERY_REQUEST, env

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
# The project's URLs plus the floor view (bench/urls.py).
ROOT_URLCONF = "bench.urls"

# Plain HTTP on the loopback: cookies must travel without TLS.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "var" / "bench-static"))

# Request lines are gunicorn's business (off in the harness); warnings and errors still show.
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": env("LOG_LEVEL", default="WARNING")}}

# For an A/B run against the old behaviour (a session write on every signed-in request).
SESSION_SAVE_EVERY_REQUEST = env.bool(
    "SESSION_SAVE_EVERY_REQUEST", default=SESSION_SAVE_EVERY_REQUEST
)
