"""The office's data version: a number the database raises whenever what an office's booking
pages show changes (REQ NFR-4, BTH-2, BTH-6).

Triggers on the tables the pages read (bookings of either service, booths, closures) raise
`accounts_office.availability_version` in the same transaction as the change, whoever writes
it: a service, the admin, a bulk update, a migration or a raw statement. A guard trigger on the
office keeps the number from ever going down (a full `save()` of an office loaded earlier writes
the value it read). Pages read the number with the signed-in user's office, in the query they
make anyway, and keep what they derive from an office's data in the process's cache under it
(consultations/gridcache.py): a change is seen on the very next page load, and nothing has to
be invalidated.

The triggers are written here once for both databases: PostgreSQL fires once per statement
with the changed rows as transition tables, SQLite once per row. Migrations install them
(`install` / `uninstall` in a RunPython).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import caches

# The per-process cache (Django's local-memory backend, settings CACHES["grids"]).
CACHE_ALIAS = "grids"
OFFICE_TABLE = "accounts_office"
VERSION_COLUMN = "availability_version"


@dataclass(frozen=True)
class Watched:
    """A table whose rows belong to offices.

    `offices` is the SQL that gives the office ids of the rows of a relation named `{rows}`
    (columns `columns`), e.g. "SELECT office_id FROM {rows}".
    """

    table: str
    columns: tuple[str, ...]
    offices: str

    @property
    def name(self) -> str:
        return f"{self.table}_office_version"


def _bump(where: str) -> str:
    return f"UPDATE {OFFICE_TABLE} SET {VERSION_COLUMN} = {VERSION_COLUMN} + 1 WHERE {where}"


def _postgresql(watched: Watched) -> list[str]:
    name, table = watched.name, watched.table
    new = f"id IN ({watched.offices.format(rows='changed_new')})"
    old = f"id IN ({watched.offices.format(rows='changed_old')})"
    statements = []
    for suffix, event, referencing, where in (
        ("ins", "INSERT", "NEW TABLE AS changed_new", new),
        ("upd", "UPDATE", "OLD TABLE AS changed_old NEW TABLE AS changed_new", f"{new} OR {old}"),
        ("del", "DELETE", "OLD TABLE AS changed_old", old),
    ):
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}_{suffix}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_bump(where)}; RETURN NULL; END $$",
            f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}_{suffix}()",
        ]
    return statements


def _sqlite(watched: Watched) -> list[str]:
    def rows(record: str) -> str:
        columns = ", ".join(f"{record}.{column} AS {column}" for column in watched.columns)
        return f"(SELECT {columns})"

    new = f"id IN ({watched.offices.format(rows=rows('NEW'))})"
    old = f"id IN ({watched.offices.format(rows=rows('OLD'))})"
    return [
        f"CREATE TRIGGER {watched.name}_{suffix} AFTER {event} ON {watched.table} "
        f"FOR EACH ROW BEGIN {_bump(where)}; END"
        for suffix, event, where in (
            ("ins", "INSERT", new),
            ("upd", "UPDATE", f"{new} OR {old}"),
            ("del", "DELETE", old),
        )
    ]


GUARD = f"{OFFICE_TABLE}_version_never_down"


def _guard(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.{VERSION_COLUMN} < OLD.{VERSION_COLUMN} THEN "
            f"NEW.{VERSION_COLUMN} := OLD.{VERSION_COLUMN}; END IF; RETURN NEW; END $$",
            f"CREATE TRIGGER {GUARD} BEFORE UPDATE ON {OFFICE_TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {GUARD}()",
        ]
    return [
        f"CREATE TRIGGER {GUARD} AFTER UPDATE OF {VERSION_COLUMN} ON {OFFICE_TABLE} "
        f"FOR EACH ROW WHEN NEW.{VERSION_COLUMN} < OLD.{VERSION_COLUMN} BEGIN "
        f"UPDATE {OFFICE_TABLE} SET {VERSION_COLUMN} = OLD.{VERSION_COLUMN} WHERE id = NEW.id; END"
    ]


def _vendor_check(vendor: str) -> None:
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"office version triggers for {vendor}")


def create_sql(vendor: str, watched: list[Watched], *, guard: bool = False) -> list[str]:
    _vendor_check(vendor)
    statements = _guard(vendor) if guard else []
    for item in watched:
        statements += _postgresql(item) if vendor == "postgresql" else _sqlite(item)
    return statements


def drop_sql(vendor: str, watched: list[Watched], *, guard: bool = False) -> list[str]:
    _vendor_check(vendor)
    names = [(GUARD, OFFICE_TABLE)] if guard else []
    names += [(f"{w.name}_{s}", w.table) for w in watched for s in ("ins", "upd", "del")]
    if vendor == "postgresql":
        return [
            statement
            for name, table in names
            for statement in (
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"DROP FUNCTION IF EXISTS {name}()",
            )
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name, _table in names]


def operations(watched: list[Watched], *, guard: bool = False):
    """The RunPython operation of a migration that installs these triggers."""
    from django.db import migrations

    def install(apps, schema_editor):
        for statement in create_sql(schema_editor.connection.vendor, watched, guard=guard):
            schema_editor.execute(statement, params=None)

    def uninstall(apps, schema_editor):
        for statement in drop_sql(schema_editor.connection.vendor, watched, guard=guard):
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(install, uninstall)


def office_cached(kind: str, parts: tuple, *, office, build: Callable[[], object]):
    """What `build()` derives from `office`'s data, from this process's cache while the
    office's data version is the one it saw.

    `office` must have been read in this request, so its `availability_version` is the one
    committed now; `parts` names everything else the value depends on. A `None` from `build()`
    is not kept.
    """
    key = hashlib.blake2b(
        repr((kind, office.pk, office.availability_version, *parts)).encode(), digest_size=20
    ).hexdigest()
    cache = caches[CACHE_ALIAS]
    found = cache.get(key)
    if found is None:
        found = build()
        if found is not None:
            cache.set(key, found, timeout=None)
    return found
