"""Errors go to Sentry only with a DSN, and without personal data (REQ NFR-6, LOG-2)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from core.error_reporting import strip_personal_data

ROOT = Path(__file__).resolve().parent.parent.parent
# A DSN nothing listens on: the client is configured, nothing is ever delivered.
DSN = "http://0123456789abcdef@127.0.0.1:9/1"
SHOW_CLIENT = (
    "import django,json,sentry_sdk;django.setup();c=sentry_sdk.get_client();"
    "o=c.options;print(json.dumps([c.is_active()]+[o.get(k) for k in ("
    "'send_default_pii','include_local_variables','max_request_body_size','release',"
    "'environment')]))"
)


def _client(**env) -> list:
    result = subprocess.run(
        [sys.executable, "-c", SHOW_CLIENT],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")},
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_nothing_is_reported_without_a_dsn():
    # REQ NFR-6
    assert _client()[0] is False


def test_reports_carry_the_release_and_environment_and_no_personal_data():
    # REQ NFR-6, LOG-2
    active, pii, local_variables, body, release, environment = _client(
        SENTRY_DSN=DSN, SENTRY_RELEASE="hellowork@2026.12.1", SENTRY_ENVIRONMENT="staging"
    )
    assert active is True
    assert (pii, local_variables, body) == (False, False, "never")
    assert (release, environment) == ("hellowork@2026.12.1", "staging")


def test_the_release_defaults_to_the_checked_out_revision():
    # REQ NFR-6
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    *_, release, environment = _client(SENTRY_DSN=DSN)
    assert release == revision
    assert environment == "test"  # the settings module's name


def test_an_event_loses_the_user_query_string_body_and_cookies():
    # REQ LOG-2: a search typed into the address bar, a form's fields, the session
    event = {
        "user": {"id": 7, "username": "seeker1"},
        "request": {
            "url": "https://hellowork.example.jp/admin/accounts/user/?q=山田",
            "method": "POST",
            "query_string": "q=山田",
            "data": {"phone": "0173-11-2222"},
            "cookies": {"sessionid": "abc"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
            "headers": {"User-Agent": "Firefox"},
        },
        "exception": {"values": [{"type": "ValueError"}]},
    }
    cleaned = strip_personal_data(event)
    assert "user" not in cleaned
    assert cleaned["request"] == {
        "url": "https://hellowork.example.jp/admin/accounts/user/",
        "method": "POST",
        "headers": {"User-Agent": "Firefox"},
    }
    assert cleaned["exception"] == {"values": [{"type": "ValueError"}]}
