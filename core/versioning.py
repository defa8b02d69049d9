"""Data versions: numbers the database raises whenever what a booking page shows changes
(REQ NFR-4, BTH-2, BTH-6, BTH-7).

The numbers live in the tables of an app above this one, which names them as targets
(`accounts.versions`): an office's availability version (its bookings of either service,
booths and closures: what its month and day grids show) and a person's booking facts version
(their bookings of either service and e-mail addresses: whether they may book, their
no-contact cancellations), an office's gate version (its terms versions and the notices
that reach its people, its own and national ones: what the consent and maintenance gates read)
and an office's places version (its booths and closures, not its bookings: what outlives a
booking, such as a booth's row and the closed days).

Triggers on those tables raise the number in the same transaction as the change, whoever writes
it: a service, the admin, a bulk update, a migration or a raw statement. A guard trigger keeps
each number from ever going down (a full `save()` of a row loaded earlier writes the value it
read). Pages read both numbers with the signed-in user and their office, in the query they make
anyway, and keep what they derive under them (`office_cached` below and
bookings/gridcache.py for the office's, bookings/pagefacts.py for the person's): a
change is seen on the very next page load, and nothing has to be invalidated.

The triggers fire once per statement with the changed rows as transition tables. Migrations
install them (`install` / `uninstall` in a RunPython).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import math
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TLRUCache
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

# Where pages keep what they derive from an office's data: settings CACHES["grids"] (each
# process's local memory, or a Redis all servers share).
CACHE_ALIAS = "grids"
# What a version counts: the table and column it lives in, e.g. ("shop_item", "version").
Target = tuple[str, str]


@dataclass(frozen=True)
class Watched:
    """A table whose changes raise a version (`target`: the table and column of the version,
    given by the app that owns it).

    `ids` is the SQL that gives the ids of the target's rows for the rows of a relation named
    `{rows}` (columns `columns`), e.g. "SELECT office_id FROM {rows}".
    """

    table: str
    columns: tuple[str, ...]
    ids: str
    target: Target

    @property
    def name(self) -> str:
        return f"{self.table}_{self.target[1]}"


def _bump(target: Target, where: str) -> str:
    table, column = target
    return f"UPDATE {table} SET {column} = {column} + 1 WHERE {where}"


def _triggers(watched: Watched) -> list[str]:
    name, table = watched.name, watched.table
    new, old = (watched.ids.format(rows=rows) for rows in ("changed_new", "changed_old"))
    # The ids as one array, matched by the primary key: `id = ANY (ARRAY(…))` is an index scan
    # whatever the planner thinks of the transition tables' size. `IN (…) OR IN (…)` was a
    # filter over the whole target table (every user, on each status change), and even one
    # `IN (… UNION …)` may be planned as a join that reads the table whole (REQ NFR-4).
    statements = []
    for suffix, event, referencing, ids in (
        ("ins", "INSERT", "NEW TABLE AS changed_new", new),
        (
            "upd",
            "UPDATE",
            "OLD TABLE AS changed_old NEW TABLE AS changed_new",
            f"{new} UNION {old}",
        ),
        ("del", "DELETE", "OLD TABLE AS changed_old", old),
    ):
        where = f"id = ANY (ARRAY({ids}))"
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}_{suffix}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_bump(watched.target, where)}; RETURN NULL; END $$",
            f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}_{suffix}()",
        ]
    return statements


def _guard_name(target: Target) -> str:
    return f"{target[0]}_{target[1]}_never_down"


def _guard(target: Target) -> list[str]:
    table, column = target
    name = _guard_name(target)
    return [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.{column} < OLD.{column} THEN NEW.{column} := OLD.{column}; END IF; "
        "RETURN NEW; END $$",
        f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


def create_sql(watched: list[Watched], *, guards=()) -> list[str]:
    statements = [statement for target in guards for statement in _guard(target)]
    for item in watched:
        statements += _triggers(item)
    return statements


def drop_sql(watched: list[Watched], *, guards=()) -> list[str]:
    names = [(_guard_name(target), target[0]) for target in guards]
    names += [(f"{w.name}_{s}", w.table) for w in watched for s in ("ins", "upd", "del")]
    return [
        statement
        for name, table in names
        for statement in (
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"DROP FUNCTION IF EXISTS {name}()",
        )
    ]


def function_sql(watched: list[Watched]) -> list[str]:
    """The trigger functions alone (CREATE OR REPLACE), for a migration that changes their
    bodies on a database whose triggers exist."""
    return [s for item in watched for s in _triggers(item) if s.startswith("CREATE OR REPLACE")]


def replace_functions(watched: list[Watched]):
    """The RunPython operation of a migration that rewrites these triggers' functions."""
    from django.db import migrations

    def install(apps, schema_editor):
        for statement in function_sql(watched):
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(install, migrations.RunPython.noop)


def operations(watched: list[Watched], *, guards=()):
    """The RunPython operation of a migration that installs these triggers (and the guards
    that keep the versions of `guards`, targets, from going down)."""
    from django.db import migrations

    def install(apps, schema_editor):
        for statement in create_sql(watched, guards=guards):
            schema_editor.execute(statement, params=None)

    def uninstall(apps, schema_editor):
        for statement in drop_sql(watched, guards=guards):
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(install, uninstall)


class ProcessCopies:
    """Each process's copies of what it read from a shared grids cache (a Redis all servers
    share): a page then asks the network once an entry, not each time (REQ NFR-4).

    An entry's key already names the data version it was built from, so a copy can never be
    older than the shared entry: a change makes a new key in every process at once, and
    nothing has to be invalidated here either. A copy is dropped at its entry's `until` (a
    moment by the wall clock, as the shared entry's timeout is), or least recently used first
    when the copies pass `max_bytes`. Text is kept as it is (it cannot be changed in place);
    anything else as its pickle, so each read gets objects of its own, as from the shared
    cache.
    """

    def __init__(self, max_bytes: int):
        self._lock = threading.Lock()  # the development server runs a thread a request
        self._entries = TLRUCache(
            maxsize=max_bytes,
            ttu=lambda _key, entry, _now: entry[0],
            timer=time.time,
            getsizeof=lambda entry: len(entry[1]) + 100,
        )

    def get(self, key: str, now: datetime.datetime | None):
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or (now is not None and now.timestamp() >= entry[0]):
            return None
        payload = entry[1]
        return payload if isinstance(payload, str) else pickle.loads(payload)

    def put(self, key: str, value, until: datetime.datetime | None) -> None:
        payload = value if isinstance(value, str) else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        deadline = until.timestamp() if until is not None else math.inf
        # One larger than all the copies may be is read from the shared cache each time.
        with self._lock, contextlib.suppress(ValueError):
            self._entries[key] = (deadline, payload)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_copies: ProcessCopies | None = None


def process_copies() -> ProcessCopies | None:
    """This process's copies of the grids cache's entries, or None when that cache is each
    process's own memory already (settings CACHES["grids"])."""
    global _copies
    if isinstance(caches[CACHE_ALIAS], LocMemCache):
        return None
    if _copies is None:
        _copies = ProcessCopies(settings.GRID_PROCESS_COPY_BYTES)
    return _copies


def forget_kept() -> None:
    """Empty the grids cache and this process's copies of it (tests; a first visit timed)."""
    caches[CACHE_ALIAS].clear()
    if _copies is not None:
        _copies.clear()


def office_cached(
    kind: str,
    parts: tuple,
    *,
    office,
    build: Callable[[], object],
    until: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
    version: str = "availability_version",
):
    """What `build()` derives from `office`'s data, from the "grids" cache while the office's
    data version is the one it saw (and, with `until`, no later than that moment of `now`'s
    clock, when time alone changes it). `version`: the office's column that counts the data
    it derives from ("gate_version" for its terms and notices).

    `office` must have been read in this request, so its `availability_version` is the one
    committed now; `parts` names everything else the value depends on. A `None` from `build()`
    is not kept. With a shared grids cache, the process keeps a copy of what it read
    (`ProcessCopies`).
    """
    key = hashlib.blake2b(
        repr((kind, office.pk, getattr(office, version), until, *parts)).encode(),
        digest_size=20,
    ).hexdigest()
    found = cached_get(key, now, until=until)
    if found is None:
        found = build()
        if found is not None:
            cached_set(key, found, until=until, now=now)
    return found


def cached_get(key: str, now: datetime.datetime | None, *, until: datetime.datetime | None = None):
    """The grids cache's entry `key` (this process's copy first, which ends at `until`), or
    None."""
    copies = process_copies()
    found = copies.get(key, now) if copies is not None else None
    if found is None:
        found = caches[CACHE_ALIAS].get(key)
        if found is not None and copies is not None:
            copies.put(key, found, until)
    return found


def cached_set(
    key: str, value, *, until: datetime.datetime | None, now: datetime.datetime | None
) -> None:
    """Keep `value` under `key` in the grids cache (and this process's copies) until `until`
    (by `now`'s clock), or for the cache's own timeout: a new version makes a new key anyway."""
    timeout = {} if until is None else {"timeout": max((until - now).total_seconds(), 0.001)}
    caches[CACHE_ALIAS].set(key, value, **timeout)
    copies = process_copies()
    if copies is not None:
        copies.put(key, value, until)
