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
