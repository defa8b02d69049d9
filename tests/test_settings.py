"""Production settings are safe; configuration comes from the environment."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# A server nothing listens on: these commands must decide before they touch a database.
NO_DATABASE = "postgres://postgres@127.0.0.1:9/never-connected"


def test_production_settings_pass_the_deploy_check():
    # REQ NFR-3
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
        },
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "hellowork.example.jp",
        "SITE_URL": "https://hellowork.example.jp",
        "DATABASE_URL": NO_DATABASE,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    # REQ NFR-3
    env = {
        **{
            k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY")
        },
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "ALLOWED_HOSTS": "hellowork.example.jp",
        "DATABASE_URL": NO_DATABASE,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_japanese_first_in_tokyo_time():
    # REQ NFR-1, OFF-3
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True
    assert [code for code, _ in settings.LANGUAGES] == ["ja", "en"]


def test_the_default_cache_is_shared_between_processes_outside_tests():
    # Rate limits and locks need one cache for every worker (NFR-3).
    # REQ NFR-6: several servers share one cache
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings.local';"
            "django.setup();from django.conf import settings;"
            "print(settings.CACHES['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "CACHE_URL"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # The database cache that never evicts a live entry (see tests/accounts/test_security.py).
    assert result.stdout.strip() == "core.cache.DatabaseCache"


def test_demo_data_is_refused_with_the_production_settings():
    # REQ NFR-3: the demo creates a superuser with a published password and TOTP secret.
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
        },
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "hellowork.example.jp",
        "SITE_URL": "https://hellowork.example.jp",
        "DATABASE_URL": NO_DATABASE,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    # Refused by the settings before any connection: nothing can have been written.
    assert "Demo data is refused" in result.stderr


def test_client_ip_settings_come_from_the_environment():
    # REQ NFR-3: the trusted proxy count (and header) reach allauth's own setting names.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings.local';"
            "django.setup();from django.conf import settings;"
            "print(settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER)",
        ],
        cwd=ROOT,
        env={**os.environ, "TRUSTED_PROXY_COUNT": "2", "TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["2", "X-Real-IP"], result.stderr


def test_sessions_are_read_from_redis_when_it_is_the_shared_cache():
    # REQ NFR-4: with Redis as the shared cache, a page view makes no session query
    def engine(**extra) -> str:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings.local';"
                "django.setup();from django.conf import settings;print(settings.SESSION_ENGINE)",
            ],
            cwd=ROOT,
            env={
                **{k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "SESSION_ENGINE")},
                **extra,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout.strip()

    assert engine() == "django.contrib.sessions.backends.db"
    assert (
        engine(CACHE_URL="redis://127.0.0.1:6379/0") == "django.contrib.sessions.backends.cached_db"
    )


def test_grid_cache_keys_belong_to_one_database():
    # REQ NFR-4: two installations (or the benchmark's two databases) on one Redis never read
    # each other's grids
    def prefix(database_url: str) -> str:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings.local';"
                "django.setup();from django.conf import settings;"
                "print(settings.CACHES['grids']['KEY_PREFIX'])",
            ],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout.strip()

    one = prefix("postgres://postgres@127.0.0.1:5432/one")
    assert one.startswith("grids-") and one == prefix("postgres://postgres@127.0.0.1:5432/one")
    assert one != prefix("postgres://postgres@127.0.0.1:5432/two")


def _settings_module_chosen(command: list[str], **extra) -> subprocess.CompletedProcess:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE")
        },
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "hellowork.example.jp",
        "SITE_URL": "https://hellowork.example.jp",
        "DATABASE_URL": NO_DATABASE,
        **extra,
    }
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PRINT_SETTINGS = [
    "manage.py",
    "shell",
    "-v",
    "0",
    "-c",
    "from django.conf import settings as s;print(s.SETTINGS_MODULE, s.DEBUG)",
]


def test_manage_py_runs_the_production_settings_when_django_env_is_production():
    # REQ NFR-3, NFR-6: a command from cron or a shell without DJANGO_SETTINGS_MODULE
    production = _settings_module_chosen(PRINT_SETTINGS, DJANGO_ENV="production")
    assert production.stdout.split() == ["config.settings.production", "False"], production.stderr
    development = _settings_module_chosen(PRINT_SETTINGS)
    assert development.stdout.split() == ["config.settings.local", "True"], development.stderr


def test_development_settings_are_refused_when_django_env_is_production():
    # REQ NFR-3, NFR-6: manage.py and the WSGI application, with a clear message, no traceback
    for module in ("config.settings.local", "config.settings.test"):
        for command in (PRINT_SETTINGS, ["-c", "import config.wsgi"]):
            result = _settings_module_chosen(
                command, DJANGO_ENV="production", DJANGO_SETTINGS_MODULE=module
            )
            assert result.returncode != 0
            assert f"DJANGO_ENV=production refuses DJANGO_SETTINGS_MODULE={module}" in (
                result.stderr
            )
            assert result.stdout == ""
    refused = _settings_module_chosen(
        PRINT_SETTINGS, DJANGO_ENV="production", DJANGO_SETTINGS_MODULE="config.settings.local"
    )
    assert "Traceback" not in refused.stderr
