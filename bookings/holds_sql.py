"""The SQL of the holds the database keeps (REQ CON-7, CON-10), for the migrations of this app
and of each booking model's own app (booths, consultations): this module never names their
tables, they pass them in.

See the docstring of `bookings.models` for the rules themselves.
"""

from __future__ import annotations

# Frozen here for the migrations: the statuses that hold a counselor and a person.
ACTIVE = ("requested", "confirmed", "checked_in")
SPAN = "interval '30 minutes'"

# No two holds of one counselor (one person) overlap, whatever grid each office uses. A range
# over the id stands in for equality, so no extension (btree_gist) is needed; the span is taken
# in UTC, where adding 30 minutes is immutable, as an index expression must be.
NO_OVERLAP = """
ALTER TABLE {table} ADD CONSTRAINT {table}_no_overlap EXCLUDE USING gist (
    int8range({who}, {who}, '[]') WITH &&,
    tsrange(starts_at AT TIME ZONE 'UTC', (starts_at AT TIME ZONE 'UTC') + interval '30 minutes')
        WITH &&
)
"""

# Each hold belongs to its own booking's counselor (person), start and model. Checked at once,
# no cascade: a booking moves only together with a new hold (see bookings.services).
HOLD_KEYS = """
ALTER TABLE {table}
    ADD CONSTRAINT {table}_counselor_hold_matches
        FOREIGN KEY (counselor_hold_id, counselor_id, starts_at, holder)
        REFERENCES bookings_counselorhold (id, counselor_id, starts_at, holder),
    ADD CONSTRAINT {table}_person_hold_matches
        FOREIGN KEY (person_hold_id, user_id, starts_at, holder)
        REFERENCES bookings_personhold (id, user_id, starts_at, holder)
"""
DROP_HOLD_KEYS = """
ALTER TABLE {table}
    DROP CONSTRAINT {table}_counselor_hold_matches,
    DROP CONSTRAINT {table}_person_hold_matches
"""


def _rows(cursor, sql: str, params=()) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def refuse_overlapping_holds(apps, schema_editor) -> None:
    """Stop the migration with a clear message if stored holds already overlap."""
    with schema_editor.connection.cursor() as cursor:
        clashes = _rows(
            cursor,
            f"""SELECT a.counselor_id, a.starts_at, b.starts_at
            FROM bookings_counselorhold a JOIN bookings_counselorhold b
              ON a.counselor_id = b.counselor_id AND a.id < b.id
             AND a.starts_at < b.starts_at + {SPAN} AND b.starts_at < a.starts_at + {SPAN}""",
        )
    if clashes:
        raise RuntimeError(
            "REQ CON-7: these counselors are held twice at one time (counselor id, starts, "
            f"starts): {clashes}. Move or cancel one booking of each pair, then migrate again."
        )


def take_holds(*, table: str, label: str):
    """A RunPython step for one booking table: refuse bookings that are not one slot, or that
    the new rules would find double-booked, with the ids to fix; then claim its counselor holds
    (`holder`) and take a person hold for each active booking with a user."""
    active = "status IN ('requested', 'confirmed', 'checked_in')"

    def run(apps, schema_editor) -> None:
        with schema_editor.connection.cursor() as cursor:
            longer = _rows(
                cursor, f"SELECT id FROM {table} WHERE ends_at <> starts_at + {SPAN} ORDER BY id"
            )
            if longer:
                raise RuntimeError(
                    f"REQ CON-7: {table} rows {[r[0] for r in longer]} are not one 30-minute "
                    "slot (ends_at = starts_at + 30 minutes). Correct them, then migrate again."
                )
            shared = _rows(
                cursor,
                f"""SELECT b.id FROM {table} b JOIN bookings_counselorhold h
                  ON h.id = b.counselor_hold_id
                WHERE h.holder NOT IN ('', %s) OR h.counselor_id <> b.counselor_id
                   OR h.starts_at <> b.starts_at ORDER BY b.id""",
                [label],
            )
            if shared:
                raise RuntimeError(
                    f"REQ CON-7: {table} rows {[r[0] for r in shared]} point to a counselor "
                    "hold of another booking, counselor or time. Release and take their holds "
                    "again (bookings.services), then migrate again."
                )
            cursor.execute(
                f"""UPDATE bookings_counselorhold h SET holder = %s FROM {table} b
                WHERE b.counselor_hold_id = h.id""",
                [label],
            )
            twice = _rows(
                cursor,
                f"""SELECT a.id, b.id FROM {table} a JOIN {table} b
                  ON a.user_id = b.user_id AND a.id < b.id
                 AND a.starts_at < b.starts_at + {SPAN} AND b.starts_at < a.starts_at + {SPAN}
                WHERE a.{active} AND b.{active} ORDER BY a.id, b.id""",
            )
            elsewhere = _rows(
                cursor,
                f"""SELECT b.id, h.holder FROM {table} b JOIN bookings_personhold h
                  ON h.user_id = b.user_id
                 AND h.starts_at < b.starts_at + {SPAN} AND b.starts_at < h.starts_at + {SPAN}
                WHERE b.{active} ORDER BY b.id""",
            )
            if twice or elsewhere:
                raise RuntimeError(
                    f"REQ CON-10: one person is booked twice at one time: {table} pairs "
                    f"{twice}, {table} rows against other bookings {elsewhere}. Move or cancel "
                    "one booking of each, then migrate again."
                )
            cursor.execute(
                f"""WITH taken AS (
                    INSERT INTO bookings_personhold (user_id, starts_at, holder)
                    SELECT user_id, starts_at, %s FROM {table}
                    WHERE {active} AND user_id IS NOT NULL
                    RETURNING id, user_id, starts_at
                )
                UPDATE {table} b SET person_hold_id = taken.id FROM taken
                WHERE b.user_id = taken.user_id AND b.starts_at = taken.starts_at
                  AND b.{active}""",
                [label],
            )
            # Fire the deferred foreign-key checks now: the table is altered next.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    return run
