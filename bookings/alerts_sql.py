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
# `EarlierSlotAlert.held_starts`, `no_contact` and `address_verified` are the person's, copied
# onto each of their live alerts and kept true by triggers, whatever writes the rows:
# - a new alert gets them from the tables (BEFORE INSERT: this app's trigger sets the address
#   and clears the rest; each booking model's app adds its own table's facts);
# - a booking inserted, changed (start, status, person, the contact times of the 10-minute
#   rule) or deleted refreshes its person's facts from that booking table (each booking
#   model's app installs `FACTS_FROM_BOOKINGS` on its table);
# - an address added, verified, unverified or deleted refreshes `address_verified`.
# A refresh first takes the person's row FOR KEY SHARE (so it waits for an alert being made
# under `AT_MOST_LIVE`'s FOR UPDATE, and sees it) and locks their live alerts, then reads the
# facts afresh (each statement of a PL/pgSQL function reads what has committed by then): two
# transactions refreshing one person run one after the other and the last sees both changes.
# Facts that change with time are kept as times (the starts), judged by the choice as of its
# moment; an ended alert's facts are no longer kept.
BOOKING_FACTS_FUNCTIONS = """
CREATE OR REPLACE FUNCTION bookings_alert_booking_facts(
    tbl regclass, uid bigint, OUT held timestamptz[], OUT no_contact jsonb
) LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($sql$
        SELECT coalesce(array_agg(starts_at ORDER BY starts_at)
                        FILTER (WHERE status IN ('requested', 'confirmed', 'checked_in')), '{}'),
               coalesce(jsonb_agg(jsonb_build_array(extract(epoch FROM starts_at), status = 'no_show')
                                  ORDER BY starts_at)
                        FILTER (WHERE status = 'no_show'
                                   OR status = 'confirmed' AND checked_in_at IS NULL
                                      AND late_contact_at IS NULL AND joined_at IS NULL
                                      AND reinstated_at IS NULL), '[]')
        FROM %s WHERE user_id = $1 $sql$, tbl)
    INTO held, no_contact USING uid;
END $$;

CREATE OR REPLACE FUNCTION bookings_alert_facts_refresh(tbl regclass, of_service text, uid bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    facts record;
BEGIN
    PERFORM 1 FROM accounts_user WHERE id = uid FOR KEY SHARE;
    PERFORM 1 FROM bookings_earlierslotalert WHERE user_id = uid AND ended_at IS NULL
        FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO facts FROM bookings_alert_booking_facts(tbl, uid);
    UPDATE bookings_earlierslotalert
       SET held_starts = CASE WHEN service = of_service
                              THEN facts.held ELSE held_starts END,
           no_contact = no_contact || jsonb_build_object(of_service, facts.no_contact)
     WHERE user_id = uid AND ended_at IS NULL;
END $$;

-- On a booking table, AFTER each row written; argument: the service.
CREATE OR REPLACE FUNCTION bookings_alert_facts_from_booking() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_user bigint;
    new_user bigint;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_user := OLD.user_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_user := NEW.user_id;
    END IF;
    IF old_user IS NOT NULL THEN
        PERFORM bookings_alert_facts_refresh(TG_RELID, TG_ARGV[0], old_user);
    END IF;
    IF new_user IS NOT NULL AND new_user IS DISTINCT FROM old_user THEN
        PERFORM bookings_alert_facts_refresh(TG_RELID, TG_ARGV[0], new_user);
    END IF;
    RETURN NULL;
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
    NEW.no_contact := NEW.no_contact || jsonb_build_object(TG_ARGV[1], facts.no_contact);
    RETURN NEW;
END $$;
"""
DROP_BOOKING_FACTS_FUNCTIONS = """
DROP FUNCTION IF EXISTS bookings_alert_facts_of_new_alert();
DROP FUNCTION IF EXISTS bookings_alert_facts_from_booking();
DROP FUNCTION IF EXISTS bookings_alert_facts_refresh(regclass, text, bigint);
DROP FUNCTION IF EXISTS bookings_alert_booking_facts(regclass, bigint);
"""

# This app's part: a new alert starts from no booking facts and its person's address; an
# address written refreshes it (allauth's table, below this app).
ADDRESS_FACTS = """
CREATE OR REPLACE FUNCTION bookings_alert_facts_new_alert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.held_starts := '{}';
    NEW.no_contact := '{}';
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

# Each booking model's app, on its table: `.format(table=..., service=...)`. The live alerts
# made before get the table's facts at once.
_FACT_COLUMNS = (
    "starts_at, status, user_id, checked_in_at, late_contact_at, joined_at, reinstated_at"
)
FACTS_FROM_BOOKINGS = f"""
CREATE TRIGGER {{table}}_alert_facts
    AFTER INSERT OR DELETE OR UPDATE OF {_FACT_COLUMNS} ON {{table}}
    FOR EACH ROW EXECUTE FUNCTION bookings_alert_facts_from_booking('{{service}}');
CREATE TRIGGER {{table}}_facts_of_new_alert
    BEFORE INSERT ON bookings_earlierslotalert
    FOR EACH ROW EXECUTE FUNCTION bookings_alert_facts_of_new_alert('{{table}}', '{{service}}');
UPDATE bookings_earlierslotalert alert
   SET held_starts = CASE WHEN alert.service = '{{service}}' THEN facts.held
                          ELSE alert.held_starts END,
       no_contact = alert.no_contact || jsonb_build_object('{{service}}', facts.no_contact)
  FROM (SELECT DISTINCT user_id FROM bookings_earlierslotalert WHERE ended_at IS NULL) person
  CROSS JOIN LATERAL bookings_alert_booking_facts('{{table}}', person.user_id) facts
 WHERE alert.user_id = person.user_id AND alert.ended_at IS NULL;
"""
DROP_FACTS_FROM_BOOKINGS = """
DROP TRIGGER IF EXISTS {table}_alert_facts ON {table};
DROP TRIGGER IF EXISTS {table}_facts_of_new_alert ON bookings_earlierslotalert;
"""
