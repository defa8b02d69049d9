"""Settings shared by every environment. Everything configurable comes from the environment."""

import hashlib
from pathlib import Path

import environ
import pghistory

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The name mails greet people with; with SITE_URL's host it is also written to the Sites row
# at every migrate, so nothing says "example.com" (REQ NTF-1).
SITE_NAME = env("SITE_NAME", default="ハローワーク オンライン相談")
SITE_ID = 1
# `manage.py demo` creates staff with a published password and TOTP secret: never in production.
DEMO_DATA_ALLOWED = True
# Client IPs (REQ NFR-3, LOG-1): how many reverse proxies in front of the app append to
# X-Forwarded-For (1 behind one nginx), or the header a trusted proxy sets instead. Read by
# accounts.terminal.client_ip, the one lookup for sign-in records, consents and rate limits.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("TRUSTED_CLIENT_IP_HEADER", default="") or None

INSTALLED_APPS = [
    # First, so its admin templates (the search box that posts, REQ LOG-2) override the admin's.
    "core",
    # django.contrib.admin with a site that requires a second factor (REQ REG-8).
    "accounts.admin_config.HelloWorkAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.forms",
    # The job queue (periodic work and mail) lives in PostgreSQL: no other server. Its tables
    # are also read by the health endpoint's lag check (core/health.py).
    "procrastinate.contrib.django",
    # The audit trail recorded by database triggers; append-only tables (REQ STF-2).
    "pgtrigger",
    "pghistory",
    # Project apps, lowest first: core <- accounts <- terms <- bookings <- {consultations,
    # booths} <- workplace.
    # They come before allauth so their templates override allauth's (core is first, above).
    "accounts",
    "terms",
    "bookings",
    "consultations",
    "booths",
    "workplace",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
]

MIDDLEWARE = [
    # First: every response, redirects included, carries the request id its log lines carry.
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Suspension, staff idle timeout, activity, password reminder (REQ REG-4, 6, 7, 8).
    "accounts.middleware.AccountStateMiddleware",
    # Changes are attributed to the request's user; admin searches stay out of URLs
    # (REQ STF-2, LOG-1, LOG-2). After CsrfViewMiddleware: the search post is checked first.
    "core.middleware.AuditContextMiddleware",
    "core.middleware.AdminSearchMiddleware",
]

# The audit trail (core/audit.py, REQ STF-2): who acted is stored on each event row (no
# context table to upsert on every write); event tables refuse UPDATE and DELETE; foreign keys
# copied into event rows are not indexed (each index costs every booking write), only the
# tracked object and what `audit_track(indexes=...)` names.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
PGHISTORY_APPEND_ONLY = True
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)

ROOT_URLCONF = "config.urls"
# Project templates may override Django's form templates (templates/django/forms/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# One engine: PostgreSQL (REQ NFR-5). DATABASE_URL names the server; production requires it.
# Unset on a developer's machine, the development and test settings use the embedded server
# under var/pgdata (core/embedded_db.py), started on first use.


def database_config(url: str) -> dict:
    config = env.db_url_config(url)
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASE_URL = env("DATABASE_URL", default="")
DATABASES = {"default": database_config(DATABASE_URL)} if DATABASE_URL else {}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Shared by every worker process: rate limits and locks are meaningless in a per-process cache.
# Nothing may evict a live entry, or an attacker could flood the cache to lift sign-in locks
# (REQ NFR-3): the database cache runs on core.cache.DatabaseCache, which only removes expired
# entries; a Redis cache must run with `maxmemory-policy noeviction` (README, Security).
CACHES = {
    "default": env.cache("CACHE_URL", default="dbcache://django_cache"),
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    CACHES["default"]["BACKEND"] = "core.cache.DatabaseCache"
    # Beyond this many rows a write first sweeps the expired ones; live ones always stay.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 100_000)
# Rendered availability grids and booths, in each server process: keyed by the office's data
# version, so an entry is never stale and a change needs no invalidation (core/versioning.py,
# bookings/gridcache.py, REQ NFR-4).
# ~5 kB an entry: at most ~50 MB a worker.
CACHES["grids"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "availability-grids",
    "OPTIONS": {"MAX_ENTRIES": env.int("GRID_CACHE_ENTRIES", default=10000)},
}
# Or one cache every server shares (GRID_CACHE_URL, e.g. the Redis of CACHE_URL): what one
# worker builds serves all of them. Every entry there expires (a day at most).
if env("GRID_CACHE_URL", default=""):
    CACHES["grids"] = {**env.cache("GRID_CACHE_URL"), "TIMEOUT": 86400}
# With a shared one, each process also keeps copies of the entries it read, up to this many
# bytes, so a page asks the network once an entry (core.versioning.ProcessCopies).
GRID_PROCESS_COPY_BYTES = env.int("GRID_PROCESS_COPY_BYTES", default=16 * 1024 * 1024)
# Entries are of one database (a shared Redis may serve several installations), and a release
# that changes what they hold or how they look never reads an older one.
_DATABASE = env.db_url_config(DATABASE_URL) if DATABASE_URL else {"NAME": "embedded"}
CACHES["grids"]["KEY_PREFIX"] = (
    "grids-"
    + hashlib.blake2b(
        repr([_DATABASE.get(part) for part in ("HOST", "PORT", "NAME")]).encode()
        + b"".join(
            (BASE_DIR / name).read_bytes()
            for name in (
                "core/versioning.py",
                "bookings/gridcache.py",
                "bookings/pages.py",
                "terms/gate.py",
                "accounts/maintenance.py",
                "booths/availability.py",
                "booths/views.py",
                "bookings/templates/bookings/_month_table.html",
                "booths/templates/booths/_day_grid.html",
                # The staff pages' kept rows (workplace.kept).
                "workplace/kept.py",
                "workplace/rows.py",
                "workplace/entries.py",
                "workplace/day_sheet.py",
                "workplace/call_list.py",
            )
        ),
        digest_size=6,
    ).hexdigest()
)

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
# The person's list of all their bookings (workplace), named here so that the booking apps
# below it link to it without naming it (bookings.templatetags.booking_links).
BOOKINGS_LIST_URL = "workplace:my_reservations"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# allauth's pages and mails name a person as every page does: by name, not login ID (STF-1).
ACCOUNT_USER_DISPLAY = "accounts.adapter.user_display"
# Mixed into every sign-up form by allauth: consent to the office's terms (REQ TRM-2).
ACCOUNT_SIGNUP_FORM_CLASS = "terms.forms.SignupConsentForm"
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = env.int("EMAIL_CONFIRMATION_EXPIRE_DAYS", default=1)
ACCOUNT_SESSION_REMEMBER = False  # shared terminals: sessions end with the browser
ACCOUNT_USERNAME_MIN_LENGTH = 4
ACCOUNT_EMAIL_NOTIFICATIONS = True  # "your password was changed" and the like, via the outbox


def _allauth_forms(prefix: str, keys: list[str]) -> dict[str, str]:
    """allauth's forms with the character rule (see accounts/allauth_forms.py)."""
    return {
        key: f"accounts.allauth_forms.{prefix}"
        + "".join(part.capitalize() for part in key.split("_"))
        + "Form"
        for key in keys
    }


ACCOUNT_FORMS = {
    **_allauth_forms(
        "Account",
        [
            "login",
            "add_email",
            "change_email",
            "change_password",
            "set_password",
            "reset_password",
            "reset_password_from_key",
            "user_token",
            "reauthenticate",
            "request_login_code",
            "confirm_login_code",
            "confirm_email_verification_code",
            "confirm_password_reset_code",
            "change_phone",
            "verify_phone",
        ],
    ),
    # The job seeker's sign-up at /accounts/signup/; the employer's is accounts:signup_employer.
    "signup": "accounts.forms.JobSeekerSignupForm",
}
MFA_FORMS = _allauth_forms(
    "MFA",
    [
        "authenticate",
        "reauthenticate",
        "activate_totp",
        "deactivate_totp",
        "generate_recovery_codes",
        "add_webauthn",
        "edit_webauthn",
        "signup_webauthn",
        "authenticate_webauthn",
        "login_webauthn",
        "reauthenticate_webauthn",
    ],
)
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    # Booking POSTs (request, cancel, ad-hoc use, join) per user and per address (REQ NFR-3).
    "booking": "30/h/user,120/h/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="Hello Work Online")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# Idle timeouts, enforced on the server by accounts.middleware.AccountStateMiddleware from a
# last-seen time kept in the session. It is refreshed at most every SESSION_ACTIVITY_WRITE_SECONDS,
# so a signed-in page view does not write the session row each time (REQ NFR-4).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS_USER", default=2 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = False
# Sessions live in the database. With Redis as the shared cache they are read from Redis and
# the database stays the record (cached_db): a page view then makes no session query
# (README, Configuration; REQ NFR-4).
SESSION_ENGINE = env(
    "SESSION_ENGINE",
    default="django.contrib.sessions.backends."
    + ("cached_db" if "redis" in CACHES["default"]["BACKEND"].lower() else "db"),
)
SESSION_IDLE_SECONDS_STAFF = env.int("SESSION_IDLE_SECONDS_STAFF", default=30 * 60)
SESSION_ACTIVITY_WRITE_SECONDS = env.int("SESSION_ACTIVITY_WRITE_SECONDS", default=5 * 60)
PASSWORD_REMINDER_DAYS = env.int("PASSWORD_REMINDER_DAYS", default=180)
# Accounts unused this long are erased; the warning goes out this many days before (REQ REG-6).
ACCOUNT_DORMANT_AFTER_DAYS = env.int("ACCOUNT_DORMANT_AFTER_DAYS", default=365)
ACCOUNT_DORMANT_WARNING_DAYS = env.int("ACCOUNT_DORMANT_WARNING_DAYS", default=30)
# Sign-in records are kept this long (REQ LOG-1).
SIGNIN_RECORD_RETENTION_DAYS = env.int("SIGNIN_RECORD_RETENTION_DAYS", default=365)
# Access records (bookings, joins, staff views of personal data) are kept this long (REQ LOG-1);
# they take the terminal identification from the project's one client-IP lookup.
ACCESS_RECORD_RETENTION_DAYS = env.int("ACCESS_RECORD_RETENTION_DAYS", default=365)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language on every page: "2026年11月24日（火）", "Tue 24 Nov 2026".
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- E-mail ---------------------------------------------------------------------------------
# EMAIL_URL configures *delivery*. The product never sends directly: it stores each message in
# the outbox within the transaction that caused it, and the `deliver_mail` task sends it.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Hello Work Online <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# 20 attempts with back-off capped at 6 h keep retrying for about three days.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=20)
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# Delivered mail is deleted from the outbox this many days after it was sent (REQ LOG-2).
OUTBOX_SENT_RETENTION_DAYS = env.int("OUTBOX_SENT_RETENTION_DAYS", default=30)

# --- Periodic work and mail: procrastinate workers (`manage.py procrastinate worker`) ---------
# A worker that starts after an outage defers each periodic task's last missed run if it is
# less than a day old (the database keeps one run per schedule slot), so a daily purge is never
# skipped by a restart at the wrong time.
PROCRASTINATE_PERIODIC_DEFAULTS = {"max_delay": 24 * 3600}
# Finished jobs stay visible in the admin (job lag, failures) this long.
JOB_HISTORY_DAYS = env.int("JOB_HISTORY_DAYS", default=7)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Health endpoint (core/health.py) ------------------------------------------------------
# The load balancer's probe is plain HTTP straight to a server: answered, never redirected.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
# A due job waiting longer than this makes /health/ answer 503 (REQ NFR-6).
HEALTH_MAX_JOB_LAG_SECONDS = env.int("HEALTH_MAX_JOB_LAG_SECONDS", default=600)

# --- Logging: no personal data; request lines only ------------------------------------------
# Each line names the request it belongs to (core/request_id.py; "-" outside a request).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Every process lists the job schedule on start-up and each booking defers a mail
        # task: left out. Workers still log each job they run (procrastinate.worker).
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
        "procrastinate.jobs": {"level": "WARNING"},
    },
}

# --- Error reporting: only when SENTRY_DSN is set (core/error_reporting.py) -------------------
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from core.error_reporting import git_revision, sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        # "production", "local", …: the settings module's name unless told otherwise.
        environment=env("SENTRY_ENVIRONMENT", default="")
        or env("DJANGO_SETTINGS_MODULE", default="unknown").rsplit(".", 1)[-1],
        release=env("SENTRY_RELEASE", default="") or git_revision(BASE_DIR),
    )
