-- The clock every time-dependent procedure reads (watchdog timeouts, windows, archival, aggregates).
-- Tests and operators can pin it per session or transaction:  SET pandadb.clock = '2026-01-01 12:00:00';
-- Unset or empty: the current UTC time. PanDA stores UTC timestamps without time zone.

-- panda_now: the current UTC time as timestamp without time zone (or the pinned pandadb.clock).
CREATE OR REPLACE FUNCTION doma_panda.panda_now()
RETURNS timestamp without time zone
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('pandadb.clock', true), '')::timestamp without time zone,
                    (now() AT TIME ZONE 'UTC')::timestamp(0) without time zone);
$$;
