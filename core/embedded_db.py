"""The embedded PostgreSQL a developer's machine uses when `DATABASE_URL` is unset (REQ NFR-5).

`pgserver` (a dev-lock package, never in production) carries PostgreSQL 16 in its wheel. Its
data lives in `var/pgdata/`; it listens on a Unix socket only (no TCP port to collide with).

    python -m core.embedded_db start   # start unless running; prints "started" or "running"
    python -m core.embedded_db stop    # stop it (`make run` does on exit)
    python -m core.embedded_db url     # the DATABASE_URL of the running server

The development and test settings call `url()` when `DATABASE_URL` is unset, which starts the
server if it is not running, so `manage.py` and `pytest` work on a fresh clone. Production
settings never do: there `DATABASE_URL` is required.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path

PGDATA = Path(__file__).resolve().parent.parent / "var" / "pgdata"


def _running_socket_dir() -> Path | None:
    """The socket folder of the server on PGDATA, from its postmaster.pid, if it is alive."""
    try:
        lines = (PGDATA / "postmaster.pid").read_text().splitlines()
        pid, socket_dir = int(lines[0]), Path(lines[4])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return socket_dir if (socket_dir / ".s.PGSQL.5432").exists() else None


def start() -> bool:
    """Start the server unless it is running; True when this call started it."""
    if _running_socket_dir() is not None:
        return False
    try:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset (a server, CI): harmless here.
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError as error:  # a production install: it has no business here
        raise RuntimeError(
            "DATABASE_URL is unset and the embedded PostgreSQL (pgserver) is not installed: "
            "set DATABASE_URL, or install requirements-dev.lock (make run / make test)"
        ) from error
    PGDATA.mkdir(parents=True, exist_ok=True)
    # Its step-by-step INFO lines (one even at interpreter exit) are not ours to show.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # cleanup_mode=None: the server outlives this process; `stop()` ends it.
    pgserver.get_server(PGDATA, cleanup_mode=None)
    return True


def url(database: str = "postgres") -> str:
    """The DATABASE_URL of the embedded server, starting it when needed."""
    socket_dir = _running_socket_dir()
    if socket_dir is None:
        start()
        socket_dir = _running_socket_dir()
        if socket_dir is None:
            raise RuntimeError(f"the embedded PostgreSQL did not start; see {PGDATA / 'log'}")
    return f"postgres://postgres@/{database}?host={socket_dir}"


def stop() -> bool:
    """Stop the server (fast shutdown: open sessions are ended); True when it was running."""
    if _running_socket_dir() is None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl

    user = "pgserver" if os.geteuid() == 0 else None  # as root, pgserver runs it as this user
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)
    return True


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "url"
    if command == "start":
        print("started" if start() else "running")
    elif command == "stop":
        print("stopped" if stop() else "not running")
    elif command == "url":
        print(url())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
