"""The shared cache that holds rate limits and locks (REQ NFR-3).

Django's database cache culls a third of its entries, live or not, once it holds MAX_ENTRIES:
anyone able to create cache keys (failed sign-ins under made-up names do) could then erase an
account's sign-in lock. This backend only ever removes entries that have expired, so a lock
lasts exactly as long as its rate window. The table stays bounded all the same: every entry the
application writes has a timeout, and the number of keys one address can create is itself
rate-limited per IP.
"""

from __future__ import annotations

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections


class DatabaseCache(DjangoDatabaseCache):
    """The database cache without eviction of live entries."""

    def _cull(self, db, cursor, now, num):
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        expires = connection.ops.quote_name("expires")
        cursor.execute(
            f"DELETE FROM {table} WHERE {expires} < %s",
            [connection.ops.adapt_datetimefield_value(now)],
        )
