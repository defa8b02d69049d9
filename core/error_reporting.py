"""Error reports to Sentry, only when SENTRY_DSN is set (REQ NFR-6, LOG-2).

Called from the settings. Reports carry what locates a fault (the exception, the stack, the
path, the release and environment, the request id) and no personal data: no user, no IP
address, no cookies, no request body, no query string (an address-bar search could hold a
name or a phone number) and no local variables of the stack's frames.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import sentry_sdk

# What send_default_pii=False leaves in an event's request that may still hold personal data.
PRIVATE_REQUEST_PARTS = ("query_string", "data", "cookies", "env")


def strip_personal_data(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict:
    """before_send: drop the user and the request's query string, body and cookies."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for part in PRIVATE_REQUEST_PARTS:
            request.pop(part, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    return event


def git_revision(base_dir: Path) -> str | None:
    """The checkout's commit, to tag reports when SENTRY_RELEASE is not set."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=base_dir,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def sentry_init(*, dsn: str, environment: str, release: str | None) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=strip_personal_data,
        # Errors only: no traces_sample_rate, so no performance tracing of every request.
    )
