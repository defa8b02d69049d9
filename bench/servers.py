"""Start and stop what the harness measures: gunicorn, job workers, a local SMTP server.

Everything listens on 127.0.0.1 and is ended by its own process id (never by name).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .client import wait_until_up

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SETTINGS = "config.settings.bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
        SITE_URL=env.get("SITE_URL", "http://127.0.0.1:8100"),
    )
    env.update(extra)
    return env


def manage(database_url: str, *args: str, timeout: float = 1800, **extra: str) -> str:
    """Run a management command against `database_url`; its output, or an error with it."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=django_env(database_url, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Process:
    """A child process in its own process group, ended by its id."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path):
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_handle = open(log, "ab")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            os.kill(self.proc.pid, sig)

    def stop(self, grace: float = 10.0) -> int | None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=grace)
        self._log_handle.close()
        return self.proc.returncode


class Gunicorn(Process):
    def __init__(
        self,
        database_url: str,
        port: int,
        log: Path,
        *,
        workers: int = 2,
        worker_class: str = "sync",
        threads: int = 1,
        nice: int = 0,
        **extra: str,
    ):
        self.port = port
        self.nice = nice
        argv = [
            *(["nice", "-n", str(nice)] if nice else []),
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            # Not the production ../gunicorn.conf.py that gunicorn would read from the working
            # directory (worker recycling, access log): the figures stay comparable.
            "--config",
            str(ROOT / "bench" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
        ]
        super().__init__(argv, django_env(database_url, **extra), log)

    def wait_up(self, seconds: float = 60.0) -> None:
        wait_until_up(self.port, "/", seconds)
        if self.nice:
            prioritise(self.pid, self.nice)

    def worker_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(round(int(line.split()[1]) / 1024, 1))
            except OSError:
                continue
        return sizes


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cpu": f"{os.cpu_count()} × {model}",
        "memory": memory,
        "python": sys.version.split()[0],
        "commit": commit + (" (with local changes)" if dirty else ""),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def wait_for(predicate, seconds: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def prioritise(pid: int, nice: int) -> bool:
    """Give process `pid` and its scheduling autogroup the priority `nice` (root only).

    With autogroups (Linux's default for sessions), a process's nice only counts within its
    session's group; the group's own nice, in /proc/PID/autogroup, is what other sessions see.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
        autogroup = Path(f"/proc/{pid}/autogroup")
        if autogroup.exists():
            autogroup.write_text(str(nice))
    except OSError:
        return False
    return True


def on_sigterm_exit() -> None:
    """SIGTERM ends the harness through its `finally` blocks, so its servers stop too."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def prioritise_database(database_url: str, nice: int) -> int:
    """Give the PostgreSQL backends serving `database_url` the harness's priority (root only).

    On a machine shared with other work this keeps the measured stack (gunicorn, its database
    backends, the load tool) ahead of the rest; it changes no figure of the stack itself.
    """
    import psycopg

    name = database_url.rsplit("/", 1)[-1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres") as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchall()
        ]
    return sum(1 for pid in pids if prioritise(pid, nice))


class DatabasePriority:
    """Keeps the PostgreSQL backends of one database at the harness's priority, every second.

    PostgreSQL starts each backend in a session (and so a scheduling autogroup) of its own, and
    connections are renewed (CONN_MAX_AGE), so one call is not enough. Bounded: stops with
    stop() or after `seconds`.
    """

    def __init__(self, database_url: str, nice: int, seconds: float = 3600):
        import threading

        self.url, self.nice, self.seconds = database_url, nice, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        if self.nice:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self.nice:
            prioritise_database(self.url, 0)  # PostgreSQL serves others too: back to normal

    def _run(self) -> None:
        deadline = time.monotonic() + self.seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            # The database restarting, say: try again in a second.
            with contextlib.suppress(Exception):
                prioritise_database(self.url, self.nice)
            self._stop.wait(1.0)
