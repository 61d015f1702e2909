-- PL/SQL twin of procedures/postgres/clock.sql: the clock every time-dependent procedure reads.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Errors: PostgreSQL's SQLSTATE PD001 is RAISE_APPLICATION_ERROR(-20001, <same message>) here, and so on:
--   PD002 -> -20002 (invalid input), PD003 -> -20003 (unknown object), PD004 -> -20004 (illegal state
--   transition), PD005 -> -20005 (not allowed), P0001 -> -20000 (RAISE without ERRCODE). No routine of
--   this file raises any of them.
-- The clock: PostgreSQL reads the setting pandadb.clock (SET pandadb.clock = '2026-01-01 12:00:00').
-- Oracle has no user-defined settings, so the twin reads the package variable PANDADB_SUPPORT.CLOCK
-- (procedures/oracle/00_support.sql), one per session like a SET (there is no SET LOCAL twin: unpin it yourself):
--   BEGIN ATLAS_PANDA.PANDADB_SUPPORT.SET_CLOCK('2026-01-01 12:00:00'); END;   -- pin
--   BEGIN ATLAS_PANDA.PANDADB_SUPPORT.SET_CLOCK(NULL); END;                    -- the real UTC time again
-- A package variable (not an application context) because it needs no CREATE CONTEXT privilege and
-- PL/SQL reads it without a context switch; SQL reaches it through PANDA_NOW().
-- Each PL/SQL unit ends with a line holding only '/' (SQL*Plus and the offline migration script).
-- Files are applied in name order and reference each other: a unit created before one it calls is
-- INVALID until Oracle recompiles it at its first call (workers.sql, the last file, recompiles the
-- schema's invalid units at its end).

-- panda_now: the current UTC time as DATE (or the pinned PANDADB_SUPPORT.CLOCK).
-- PostgreSQL's timestamp(0) without time zone is Oracle's DATE (whole seconds, no time zone, UTC).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PANDA_NOW
RETURN DATE
AS
BEGIN
    RETURN NVL(ATLAS_PANDA.PANDADB_SUPPORT.clock, CAST(SYS_EXTRACT_UTC(SYSTIMESTAMP) AS DATE));
END PANDA_NOW;
/
