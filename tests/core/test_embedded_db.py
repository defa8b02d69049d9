"""The embedded PostgreSQL of a machine without DATABASE_URL (core/embedded_db.py)."""

import psycopg

from core import embedded_db


def test_the_embedded_server_starts_once_answers_on_its_url_and_stops(tmp_path, monkeypatch):
    # REQ NFR-5: one engine everywhere; a fresh clone needs nothing installed but Python
    monkeypatch.setattr(embedded_db, "PGDATA", tmp_path / "pgdata")
    assert embedded_db.start() is True
    try:
        assert embedded_db.start() is False  # already running: left as it is
        with psycopg.connect(embedded_db.url()) as connection:
            (version,) = connection.execute("SHOW server_version_num").fetchone()
        assert int(version) >= 160000
    finally:
        assert embedded_db.stop() is True
    assert embedded_db.stop() is False
    assert embedded_db._running_socket_dir() is None
