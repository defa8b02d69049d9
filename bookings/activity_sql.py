"""The database's record of a person's use of the service (REQ REG-6), for the migrations of
each booking model's own app (booths, consultations): this module never names their tables,
they pass them in.

The dormancy purge (`accounts.tasks`) reads `User.last_activity_at`. Signing in and using the
site move it (`accounts.services.user_touch_activity`); these triggers move it for the use
that happens without the person at a screen: a booking made (by them, or by staff for a
caller), confirmed by phone, a late call, a join, a check-in, a completed use. Each such row
carries the moment in its own columns, so the person's last use becomes the latest of them,
never earlier than it was, and a warning sent before it no longer counts: the person is warned
again a month before a purge. A trigger holds the rule whatever writes the booking (a
service, the admin, a bulk insert, a raw statement), and costs one index lookup of the user
row, which the booking's own version trigger updates in the same transaction anyway.
"""

from __future__ import annotations

# Frozen here for the migrations: the columns whose moments are a use by the person.
USE_COLUMNS = (
    "created_at",
    "phoned_at",
    "late_contact_at",
    "joined_at",
    "checked_in_at",
    "actual_started_at",
    "completed_at",
)
USERS = "accounts_user"


def _use_at(row: str) -> str:
    # GREATEST skips NULLs: the latest moment the row records.
    return "GREATEST(" + ", ".join(f"{row}.{column}" for column in USE_COLUMNS) + ")"


def _touch(*, use_at: str, user_id: str) -> str:
    return (
        f"UPDATE {USERS} SET last_activity_at = {use_at}, dormancy_warned_at = NULL "
        f"WHERE id = {user_id} AND deleted_at IS NULL "
        f"AND (last_activity_at IS NULL OR last_activity_at < {use_at})"
    )


def create_sql(table: str) -> list[str]:
    changed = " OR ".join(
        f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in ("user_id", *USE_COLUMNS)
    )
    return [
        f"CREATE OR REPLACE FUNCTION {table}_person_used() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN {_touch(use_at=_use_at('NEW'), user_id='NEW.user_id')}; RETURN NULL; "
        "END $$",
        f"CREATE TRIGGER {table}_person_used_ins AFTER INSERT ON {table} FOR EACH ROW "
        f"WHEN (NEW.user_id IS NOT NULL) EXECUTE FUNCTION {table}_person_used()",
        f"CREATE TRIGGER {table}_person_used_upd AFTER UPDATE ON {table} FOR EACH ROW "
        f"WHEN (NEW.user_id IS NOT NULL AND ({changed})) EXECUTE FUNCTION {table}_person_used()",
    ]


def drop_sql(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_person_used_ins ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_person_used_upd ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_person_used()",
    ]


def backfill_sql(table: str) -> str:
    """The bookings stored before the triggers: each person's latest use among them."""
    return (
        f"UPDATE {USERS} u SET last_activity_at = b.use_at, dormancy_warned_at = NULL "
        f"FROM (SELECT user_id, MAX({_use_at(table)}) AS use_at FROM {table} "
        "WHERE user_id IS NOT NULL GROUP BY user_id) b "
        "WHERE u.id = b.user_id AND u.deleted_at IS NULL "
        "AND (u.last_activity_at IS NULL OR u.last_activity_at < b.use_at)"
    )


def operations(table: str):
    """The migration's operation: the triggers on `table`, then the backfill."""
    from django.db import migrations

    def install(apps, schema_editor):
        for statement in [*create_sql(table), backfill_sql(table)]:
            schema_editor.execute(statement, params=None)

    def uninstall(apps, schema_editor):
        for statement in drop_sql(table):
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(install, uninstall)
