"""`make run` serves and mails the same address (REQ NTF-1)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_derives_the_mailed_site_url_from_host_and_port():
    # REQ NTF-1: `make run PORT=8101` mails links to port 8101, unless SITE_URL is set
    def site_url(*args, **env):
        return subprocess.run(
            ["make", "-s", "print-site-url", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin", **env},
        ).stdout.strip()

    assert site_url("PORT=8101") == "http://127.0.0.1:8101"
    assert site_url("HOST=0.0.0.0", "PORT=9000") == "http://0.0.0.0:9000"
    assert site_url(SITE_URL="https://hw.example.jp") == "https://hw.example.jp"
