"""The checked-in files an operator runs: gunicorn's settings, the units, the env example
(REQ NFR-6, LOG-2)."""

import configparser
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NO_DATABASE = "postgres://postgres@127.0.0.1:9/never-connected"


def _gunicorn_settings(**env) -> dict:
    saved = dict(os.environ)
    try:
        for name in ("WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"):
            os.environ.pop(name, None)
        os.environ.update(env)
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_gunicorn_workers_follow_the_cpus_unless_set():
    # REQ NFR-6
    assert _gunicorn_settings()["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert _gunicorn_settings(WEB_CONCURRENCY="3")["workers"] == 3
    assert _gunicorn_settings(FORWARDED_ALLOW_IPS="10.0.0.10")["forwarded_allow_ips"] == (
        "10.0.0.10"
    )
    assert 0 < _gunicorn_settings()["max_requests_jitter"] < _gunicorn_settings()["max_requests"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_access_log_has_the_path_and_request_id_but_no_query_string():
    # REQ LOG-2, NFR-6: gunicorn with the checked-in settings, one request with a phone number
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "SENTRY_DSN")},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": NO_DATABASE,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/health/?name=yamada&phone=0312345678",
            headers={"X-Request-ID": "probe-0123456789"},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                response = urllib.request.urlopen(request, timeout=10)
                break
            except urllib.error.HTTPError as error:  # 503: no database here
                response = error
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert response.headers["X-Request-ID"] == "probe-0123456789"
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    lines = [line for line in output.splitlines() if '"GET /health/ HTTP/1.1"' in line]
    assert len(lines) == 1, output
    assert lines[0].endswith(" probe-0123456789")
    assert "0312345678" not in output and "yamada" not in output and "?" not in lines[0]


def _unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / name)
    return parser["Service"]


def test_the_units_run_the_production_settings_and_stop_gracefully():
    # REQ NFR-6: systemd gives each process longer than it needs to finish its work
    web, worker, release = (
        _unit(f"hellowork-{name}.service") for name in ("web", "worker@", "release")
    )
    for service in (web, worker, release):
        assert service["Environment"] == "DJANGO_ENV=production"
        assert service["EnvironmentFile"] == "/etc/hellowork/hellowork.env"
    assert "gunicorn -c gunicorn.conf.py" in web["ExecStart"]
    graceful = _gunicorn_settings()["graceful_timeout"]
    assert web["KillSignal"] == "SIGTERM" and int(web["TimeoutStopSec"]) > graceful
    # One unit per queue (hellowork-worker@default, @mail): mail never holds the periodic jobs.
    assert "manage.py procrastinate worker --queues %i" in worker["ExecStart"]
    finish = int(re.search(r"--shutdown-graceful-timeout (\d+)", worker["ExecStart"])[1])
    assert worker["KillSignal"] == "SIGTERM" and int(worker["TimeoutStopSec"]) > finish
    assert release["ExecStart"] == "/bin/sh deploy/release.sh"
    procfile = (ROOT / "Procfile").read_text()
    for queue in ("default", "mail"):
        command = worker["ExecStart"].split("python ", 1)[1].replace("%i", queue)
        assert command in procfile


def test_the_env_example_names_every_configuration_variable():
    # REQ NFR-6: README's Configuration table and the example an operator copies agree
    readme = (ROOT / "README.md").read_text()
    table = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    documented = {
        name
        for row in table.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])
    }
    example = (DEPLOY / "hellowork.env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert {"SECRET_KEY", "SENTRY_DSN", "GUNICORN_BIND", "DJANGO_ENV"} <= documented
    assert sorted(documented - named) == []
    assert sorted(named - documented) == []
