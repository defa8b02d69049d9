"""The SQL of the earlier-slot alerts' rules (REQ ALR-1), for this app's migration and for each
booking model's own app (booths, consultations), which installs `ENDED_BY_BOOKING` on its
table: this module never names their tables, they pass them in."""

from __future__ import annotations

from .alert_models import MAX_LIVE_ALERTS

# At most MAX_LIVE_ALERTS alerts a person not ended; counted under the person's row lock so
# two forms sent at once can't both pass.
AT_MOST_LIVE = f"""
CREATE OR REPLACE FUNCTION bookings_alert_at_most_live() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ended_at IS NOT NULL THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM accounts_user WHERE id = NEW.user_id FOR UPDATE;
    IF (SELECT count(*) FROM bookings_earlierslotalert
        WHERE user_id = NEW.user_id AND ended_at IS NULL AND id IS DISTINCT FROM NEW.id
       ) >= {MAX_LIVE_ALERTS} THEN
        RAISE EXCEPTION 'REQ ALR-1: at most {MAX_LIVE_ALERTS} earlier-slot alerts a person'
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'bookings_earlierslotalert_at_most_live';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bookings_earlierslotalert_at_most_live
    BEFORE INSERT OR UPDATE OF ended_at, user_id ON bookings_earlierslotalert
    FOR EACH ROW EXECUTE FUNCTION bookings_alert_at_most_live();
"""
DROP_AT_MOST_LIVE = """
DROP TRIGGER IF EXISTS bookings_earlierslotalert_at_most_live ON bookings_earlierslotalert;
DROP FUNCTION IF EXISTS bookings_alert_at_most_live();
"""

# A booking made (or moved) into the range of its person's alert of that service ends the
# alert; the person's alert mail of that very slot counts as filled through the alert.
# Arguments: the service ("booth", "online").
ENDED_BY_BOOKING_FUNCTION = """
CREATE OR REPLACE FUNCTION bookings_alert_ended_by_booking() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    day date := (NEW.starts_at AT TIME ZONE 'Asia/Tokyo')::date;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.starts_at = NEW.starts_at
       AND OLD.status IN ('requested', 'confirmed', 'checked_in') THEN
        RETURN NULL;
    END IF;
    UPDATE bookings_earlierslotalert SET ended_at = now(), end_reason = 'booked'
     WHERE user_id = NEW.user_id AND service = TG_ARGV[0] AND ended_at IS NULL
       AND first_day <= day AND last_day >= day;
    UPDATE bookings_alertmail SET filled_at = now()
     WHERE user_id = NEW.user_id AND service = TG_ARGV[0] AND starts_at = NEW.starts_at
       AND filled_at IS NULL;
    RETURN NULL;
END $$;
"""
DROP_ENDED_BY_BOOKING_FUNCTION = "DROP FUNCTION IF EXISTS bookings_alert_ended_by_booking();"

_WHEN = "NEW.user_id IS NOT NULL AND NEW.status IN ('requested', 'confirmed', 'checked_in')"
ENDED_BY_BOOKING = f"""
CREATE TRIGGER {{table}}_ends_alerts_on_insert
    AFTER INSERT ON {{table}} FOR EACH ROW WHEN ({_WHEN})
    EXECUTE FUNCTION bookings_alert_ended_by_booking('{{service}}');
CREATE TRIGGER {{table}}_ends_alerts_on_update
    AFTER UPDATE OF starts_at, status ON {{table}} FOR EACH ROW WHEN ({_WHEN})
    EXECUTE FUNCTION bookings_alert_ended_by_booking('{{service}}');
"""
DROP_ENDED_BY_BOOKING = """
DROP TRIGGER IF EXISTS {table}_ends_alerts_on_insert ON {table};
DROP TRIGGER IF EXISTS {table}_ends_alerts_on_update ON {table};
"""

# --- The facts the freeing job's choice reads, kept on each live alert (REQ ALR-1, NFR-4) ---
#
# `EarlierSlotAlert.held_starts`, `no_contact_*` and `address_verified` are the person's, copied
# onto each of their live alerts and kept true by triggers, whatever writes the rows:
# - a new alert gets them from the tables (BEFORE INSERT: this app's trigger sets the address
#   and clears the rest; each booking model's app adds its own table's facts);
# - each statement that inserts, updates or deletes bookings refreshes, in one UPDATE, that
#   table's part of the facts of the people whose bookings it wrote (statement triggers each
#   booking model's app installs with `facts_from_bookings`; row triggers on booking tables
#   read no table, tests/bookings/test_write_plans.py);
# - an address added, verified, unverified or deleted refreshes `address_verified`.
# The refresh reads the bookings in a VOLATILE function: when two transactions write one
# person's bookings at once, the second UPDATE waits for the first's lock on the alert, then
# re-evaluates the row and the function reads what the first committed (checked by hand with
# two sessions, the first sleeping before COMMIT). A new alert and the same person's bookings
# written at once are ordered by the person's row: the alert locks it (FOR UPDATE) before it
# reads the facts, each refresh locks it (FOR KEY SHARE) before it updates the alerts, so one
# waits for the other's commit and then reads it (tests/bookings/test_alert_facts.py).
# Facts that change with time are kept as times (the starts), judged by the choice as of its
# moment; an ended alert's facts are no longer kept.
BOOKING_FACTS_FUNCTIONS = """
CREATE OR REPLACE FUNCTION bookings_alert_booking_facts(
    tbl regclass, uid bigint,
    OUT held timestamptz[], OUT no_contact_starts timestamptz[], OUT no_contact_recorded boolean[]
) LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($sql$
        SELECT coalesce(array_agg(starts_at ORDER BY starts_at)
                        FILTER (WHERE status IN ('requested', 'confirmed', 'checked_in')), '{}'),
               coalesce(array_agg(starts_at ORDER BY starts_at) FILTER (WHERE no_contact), '{}'),
               coalesce(array_agg(status = 'no_show' ORDER BY starts_at) FILTER (WHERE no_contact),
                        '{}')
        FROM (SELECT starts_at, status,
                     status = 'no_show'
                     OR status = 'confirmed' AND checked_in_at IS NULL
                        AND late_contact_at IS NULL AND joined_at IS NULL
                        AND reinstated_at IS NULL AS no_contact
              FROM %s WHERE user_id = $1) booking $sql$, tbl)
    INTO held, no_contact_starts, no_contact_recorded USING uid;
END $$;

-- An alert's no-contact lists with one service's part replaced by `starts`/`recorded`.
CREATE OR REPLACE FUNCTION bookings_alert_no_contact_merged(
    old_starts timestamptz[], old_recorded boolean[], old_services text[],
    of_service text, starts timestamptz[], recorded boolean[],
    OUT merged_starts timestamptz[], OUT merged_recorded boolean[], OUT merged_services text[]
) LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(start), '{}'), coalesce(array_agg(was_recorded), '{}'),
           coalesce(array_agg(service), '{}')
    FROM (SELECT start, was_recorded, service
          FROM unnest(old_starts, old_recorded, old_services) kept (start, was_recorded, service)
          WHERE service <> of_service
          UNION ALL
          SELECT start, was_recorded, of_service
          FROM unnest(starts, recorded) fresh (start, was_recorded)) booking
$$;

-- An alert's booking facts with `tbl`'s part read afresh (VOLATILE: each of its statements
-- reads what has committed by then, so an UPDATE that waited for another transaction's lock
-- on the alert and re-evaluates the row reads that transaction's bookings too).
CREATE OR REPLACE FUNCTION bookings_alert_facts_refreshed(
    uid bigint, alert_service text,
    held timestamptz[], starts timestamptz[], recorded boolean[], services text[],
    tbl regclass, of_service text,
    OUT held_starts timestamptz[], OUT no_contact_starts timestamptz[],
    OUT no_contact_recorded boolean[], OUT no_contact_services text[]
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    facts record;
BEGIN
    SELECT * INTO facts FROM bookings_alert_booking_facts(tbl, uid);
    held_starts := CASE WHEN alert_service = of_service THEN facts.held ELSE held END;
    SELECT * INTO no_contact_starts, no_contact_recorded, no_contact_services
    FROM bookings_alert_no_contact_merged(
        starts, recorded, services, of_service,
        facts.no_contact_starts, facts.no_contact_recorded);
END $$;

-- On the alerts' table, BEFORE INSERT, from each booking model's app; arguments: its table,
-- its service.
CREATE OR REPLACE FUNCTION bookings_alert_facts_of_new_alert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    facts record;
BEGIN
    SELECT * INTO facts FROM bookings_alert_booking_facts(TG_ARGV[0]::regclass, NEW.user_id);
    IF NEW.service = TG_ARGV[1] THEN
        NEW.held_starts := facts.held;
    END IF;
    SELECT * INTO NEW.no_contact_starts, NEW.no_contact_recorded, NEW.no_contact_services
    FROM bookings_alert_no_contact_merged(
        NEW.no_contact_starts, NEW.no_contact_recorded, NEW.no_contact_services,
        TG_ARGV[1], facts.no_contact_starts, facts.no_contact_recorded);
    RETURN NEW;
END $$;
"""
DROP_BOOKING_FACTS_FUNCTIONS = """
DROP FUNCTION IF EXISTS bookings_alert_facts_of_new_alert();
DROP FUNCTION IF EXISTS bookings_alert_facts_refreshed(
    bigint, text, timestamptz[], timestamptz[], boolean[], text[], regclass, text);
DROP FUNCTION IF EXISTS bookings_alert_no_contact_merged(
    timestamptz[], boolean[], text[], text, timestamptz[], boolean[]);
DROP FUNCTION IF EXISTS bookings_alert_booking_facts(regclass, bigint);
"""

# This app's part: a new alert starts from no booking facts and its person's address; an
# address written refreshes it (allauth's table, below this app).
ADDRESS_FACTS = """
CREATE OR REPLACE FUNCTION bookings_alert_facts_new_alert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.held_starts := '{}';
    NEW.no_contact_starts := '{}';
    NEW.no_contact_recorded := '{}';
    NEW.no_contact_services := '{}';
    NEW.address_verified := EXISTS (
        SELECT 1 FROM account_emailaddress WHERE user_id = NEW.user_id AND verified);
    RETURN NEW;
END $$;
CREATE TRIGGER bookings_earlierslotalert_facts
    BEFORE INSERT ON bookings_earlierslotalert
    FOR EACH ROW EXECUTE FUNCTION bookings_alert_facts_new_alert();

CREATE OR REPLACE FUNCTION bookings_alert_address_refresh(uid bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM accounts_user WHERE id = uid FOR KEY SHARE;
    PERFORM 1 FROM bookings_earlierslotalert WHERE user_id = uid AND ended_at IS NULL
        FOR UPDATE;
    IF FOUND THEN
        UPDATE bookings_earlierslotalert
           SET address_verified = EXISTS (
               SELECT 1 FROM account_emailaddress WHERE user_id = uid AND verified)
         WHERE user_id = uid AND ended_at IS NULL;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION bookings_alert_facts_from_address() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM bookings_alert_address_refresh(OLD.user_id);
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.user_id <> OLD.user_id) THEN
        PERFORM bookings_alert_address_refresh(NEW.user_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bookings_alert_facts
    AFTER INSERT OR DELETE OR UPDATE OF user_id, verified ON account_emailaddress
    FOR EACH ROW EXECUTE FUNCTION bookings_alert_facts_from_address();

UPDATE bookings_earlierslotalert alert SET address_verified = EXISTS (
    SELECT 1 FROM account_emailaddress WHERE user_id = alert.user_id AND verified)
 WHERE ended_at IS NULL;
"""
DROP_ADDRESS_FACTS = """
DROP TRIGGER IF EXISTS bookings_alert_facts ON account_emailaddress;
DROP FUNCTION IF EXISTS bookings_alert_facts_from_address();
DROP FUNCTION IF EXISTS bookings_alert_address_refresh(bigint);
DROP TRIGGER IF EXISTS bookings_earlierslotalert_facts ON bookings_earlierslotalert;
DROP FUNCTION IF EXISTS bookings_alert_facts_new_alert();
"""

# Each booking model's app, on its table: `facts_from_bookings(table, service)`. Statement
# triggers (set-wise, like the data versions': a sweep of many bookings is one statement), one
# UPDATE each: the live alerts of the people whose bookings were written get that table's part
# of their facts read afresh. The live alerts made before get the table's facts at once.
_EVENTS = (
    ("ins", "INSERT", "NEW TABLE AS changed_new", "SELECT user_id FROM changed_new"),
    (
        "upd",
        "UPDATE",
        "OLD TABLE AS changed_old NEW TABLE AS changed_new",
        "SELECT user_id FROM changed_new UNION SELECT user_id FROM changed_old",
    ),
    ("del", "DELETE", "OLD TABLE AS changed_old", "SELECT user_id FROM changed_old"),
)


def facts_from_bookings(table: str, service: str) -> str:
    statements = []
    for suffix, event, referencing, people in _EVENTS:
        name = f"{table}_alert_facts_{suffix}"
        statements.append(f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The people's rows, in one order: a new alert of theirs holds its person's row from before
    -- it reads the facts until it commits (`AT_MOST_LIVE`), so either this waits for that alert
    -- and the UPDATE below (a new statement) sees it, or the alert waits for this transaction
    -- and reads its bookings.
    PERFORM 1 FROM accounts_user WHERE id = ANY (ARRAY({people})) ORDER BY id FOR KEY SHARE;
    UPDATE bookings_earlierslotalert alert
       SET (held_starts, no_contact_starts, no_contact_recorded, no_contact_services) = (
           SELECT * FROM bookings_alert_facts_refreshed(
               alert.user_id, alert.service, alert.held_starts, alert.no_contact_starts,
               alert.no_contact_recorded, alert.no_contact_services, '{table}', '{service}'))
     WHERE alert.user_id = ANY (ARRAY({people})) AND alert.ended_at IS NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER {name} AFTER {event} ON {table}
    REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}();""")
    statements.append(f"""
CREATE TRIGGER {table}_facts_of_new_alert
    BEFORE INSERT ON bookings_earlierslotalert
    FOR EACH ROW EXECUTE FUNCTION bookings_alert_facts_of_new_alert('{table}', '{service}');
UPDATE bookings_earlierslotalert alert
   SET (held_starts, no_contact_starts, no_contact_recorded, no_contact_services) = (
       SELECT * FROM bookings_alert_facts_refreshed(
           alert.user_id, alert.service, alert.held_starts, alert.no_contact_starts,
           alert.no_contact_recorded, alert.no_contact_services, '{table}', '{service}'))
 WHERE alert.ended_at IS NULL;""")
    return "\n".join(statements)


def drop_facts_from_bookings(table: str) -> str:
    return "\n".join(
        [
            f"DROP TRIGGER IF EXISTS {table}_alert_facts_{suffix} ON {table};\n"
            f"DROP FUNCTION IF EXISTS {table}_alert_facts_{suffix}();"
            for suffix, *_rest in _EVENTS
        ]
        + [f"DROP TRIGGER IF EXISTS {table}_facts_of_new_alert ON bookings_earlierslotalert;"]
    )
