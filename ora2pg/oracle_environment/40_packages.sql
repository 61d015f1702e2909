-- Part of the Oracle environment of the converted PL/SQL twin (see 00_base.sql); loaded in file order.

-- The remaining package members and functions the twin calls.
-- ====================================================================================================

-- dbms_utility.compile_schema: DBMS_UTILITY.COMPILE_SCHEMA(schema, compile_all, reuse_settings):
-- PL/pgSQL compiles a routine at its first call, so there is nothing to recompile; the schema must
-- exist (ORA-20000 otherwise, SQLSTATE 3F000). Added to orafce's dbms_utility.
--   schema          the schema (any case)
--   compile_all     default true
--   reuse_settings  default false
CREATE OR REPLACE PROCEDURE dbms_utility.compile_schema(schema varchar, compile_all boolean DEFAULT true,
                                                        reuse_settings boolean DEFAULT false)
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = lower(schema)) THEN
        RAISE EXCEPTION 'ORA-20000: Insufficient privileges or schema "%" does not exist', schema
            USING ERRCODE = 'invalid_schema_name';
    END IF;
END;
$$;

CREATE SCHEMA IF NOT EXISTS dbms_flashback;

-- dbms_flashback.get_system_change_number: DBMS_FLASHBACK.GET_SYSTEM_CHANGE_NUMBER RETURN NUMBER: the
-- database's current change number: PostgreSQL's next transaction id (the xmax of the current
-- snapshot), like the SCN a counter of the whole database that only grows.
CREATE OR REPLACE FUNCTION dbms_flashback.get_system_change_number()
RETURNS numeric
LANGUAGE sql VOLATILE AS $$ SELECT pg_snapshot_xmax(pg_current_snapshot())::text::numeric $$;

CREATE SCHEMA IF NOT EXISTS dbms_lob;

-- dbms_lob.compare: DBMS_LOB.COMPARE(lob_1, lob_2, amount, offset_1, offset_2) RETURN INTEGER: 0 when
-- the amount characters (bytes for a BLOB) from offset_1 of lob_1 and from offset_2 of lob_2 are the
-- same, -1 / 1 when lob_1's are lower / higher (binary order); NULL when a LOB is NULL or an amount or
-- offset is below 1.
--   lob_1, lob_2        the CLOBs (text) or BLOBs (bytea)
--   amount              default 2^32 - 1 (to the end)
--   offset_1, offset_2  1-based, default 1
CREATE OR REPLACE FUNCTION dbms_lob.compare(lob_1 text, lob_2 text, amount bigint DEFAULT 4294967295,
                                            offset_1 bigint DEFAULT 1, offset_2 bigint DEFAULT 1)
RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN lob_1 IS NULL OR lob_2 IS NULL OR amount IS NULL OR offset_1 IS NULL OR offset_2 IS NULL
                  OR amount < 1 OR offset_1 < 1 OR offset_2 < 1 THEN NULL
                WHEN substr(lob_1, offset_1::integer, least(amount, 2147483647)::integer) COLLATE "C"
                   = substr(lob_2, offset_2::integer, least(amount, 2147483647)::integer) COLLATE "C" THEN 0
                WHEN substr(lob_1, offset_1::integer, least(amount, 2147483647)::integer) COLLATE "C"
                   < substr(lob_2, offset_2::integer, least(amount, 2147483647)::integer) COLLATE "C" THEN -1
                ELSE 1 END
$$;
CREATE OR REPLACE FUNCTION dbms_lob.compare(lob_1 bytea, lob_2 bytea, amount bigint DEFAULT 4294967295,
                                            offset_1 bigint DEFAULT 1, offset_2 bigint DEFAULT 1)
RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN lob_1 IS NULL OR lob_2 IS NULL OR amount IS NULL OR offset_1 IS NULL OR offset_2 IS NULL
                  OR amount < 1 OR offset_1 < 1 OR offset_2 < 1 THEN NULL
                WHEN substr(lob_1, offset_1::integer, least(amount, 2147483647)::integer)
                   = substr(lob_2, offset_2::integer, least(amount, 2147483647)::integer) THEN 0
                WHEN substr(lob_1, offset_1::integer, least(amount, 2147483647)::integer)
                   < substr(lob_2, offset_2::integer, least(amount, 2147483647)::integer) THEN -1
                ELSE 1 END
$$;

-- dbms_sql.native: DBMS_SQL.NATIVE, the language flag of PARSE (Oracle's value 1). Added to orafce's
-- dbms_sql.
CREATE OR REPLACE FUNCTION dbms_sql.native() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1';

-- dbms_sql.parse: DBMS_SQL.PARSE(c, statement, language_flag): orafce's PARSE(c, statement) with
-- Oracle's third argument (the statement is PostgreSQL's whatever the flag says). Added to orafce's
-- dbms_sql.
--   c              the cursor (OPEN_CURSOR)
--   statement      the SQL text, binds as :name
--   language_flag  NATIVE (1), V6 (0) or V7 (2)
CREATE OR REPLACE PROCEDURE dbms_sql.parse(c integer, statement text, language_flag integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF language_flag IS NULL OR language_flag NOT IN (0, 1, 2) THEN
        RAISE EXCEPTION 'DBMS_SQL.PARSE: language_flag must be NATIVE (1), V6 (0) or V7 (2), got %', language_flag
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    CALL dbms_sql.parse(c, statement::oracle.varchar2);
END;
$$;

-- dbms_sql.bind_variable: DBMS_SQL.BIND_VARIABLE(c, name, value, out_value_size): orafce's
-- BIND_VARIABLE(c, name, value) with Oracle's fourth argument (the size of an OUT value: no statement
-- here returns into a bind). Added to orafce's dbms_sql.
--   c               the cursor
--   name            the bind's name (':name' or 'name')
--   value           the value
--   out_value_size  the longest value an OUT bind may return
CREATE OR REPLACE PROCEDURE dbms_sql.bind_variable(c integer, name text, value anyelement, out_value_size integer)
LANGUAGE plpgsql AS $$
BEGIN
    CALL dbms_sql.bind_variable(c, name::oracle.varchar2, value);
END;
$$;

-- RAWTOHEX(raw): a RAW's bytes as upper-case hexadecimal digits. The twin calls it on SYS_GUID(),
-- which ora2pg writes uuid_generate_v4() (the uuid-ossp extension, created below): 32 digits.
--   p_raw  the bytes (bytea) or the GUID (uuid)
CREATE OR REPLACE FUNCTION public.rawtohex(p_raw bytea)
RETURNS varchar LANGUAGE sql IMMUTABLE AS $$ SELECT upper(encode(p_raw, 'hex')) $$;
CREATE OR REPLACE FUNCTION public.rawtohex(p_raw uuid)
RETURNS varchar LANGUAGE sql IMMUTABLE AS $$ SELECT upper(replace(p_raw::text, '-', '')) $$;

-- uuid_generate_v4(): ora2pg's SYS_GUID(); from PostgreSQL's uuid-ossp extension.
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" SCHEMA public;

-- Oracle keeps JSON documents in CLOB columns (with an IS JSON check) where PostgreSQL has json/jsonb
-- columns: the twin inserts and updates them with text. Casts let text be stored in them (the I/O
-- conversion, which rejects text that is not JSON as the IS JSON check does). text -> jsonb is implicit:
-- the twin passes JSON between its routines as CLOB text, and the converted routines whose PostgreSQL
-- counterparts take jsonb take jsonb (procedures.py json_signature_as_postgres).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_cast WHERE castsource = 'text'::regtype AND casttarget = 'json'::regtype) THEN
        CREATE CAST (text AS json) WITH INOUT AS ASSIGNMENT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_cast WHERE castsource = 'text'::regtype AND casttarget = 'jsonb'::regtype) THEN
        CREATE CAST (text AS jsonb) WITH INOUT AS IMPLICIT;
    END IF;
END;
$$;

-- A json column (SCHEDCONFIG_JSON.DATA: a CLOB IS JSON in Oracle) given to a routine that takes the CLOB
-- (WATCHDOG_QUEUE_ENABLED(q.DATA)), jsonb once the routine keeps PostgreSQL's signature: PostgreSQL's own
-- json -> jsonb cast is for assignment only, so the call would find no function. It is made implicit in
-- this scratch database (pg_cast is per database; needs a superuser, else left as it is).
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        UPDATE pg_catalog.pg_cast SET castcontext = 'i'
         WHERE castsource = 'json'::regtype AND casttarget = 'jsonb'::regtype AND castcontext <> 'i';
    END IF;
END;
$$;

-- Oracle NUMBER(1) flag columns are PostgreSQL booleans (the project's encoding: schema/oracle's NUMBER(1)
-- is schema/postgres's boolean, ora2pg.conf REPLACE_AS_BOOLEAN NUMBER:1). The twin compares them with 1 and
-- 0 and stores NUMBER(1) values (0/1) in them: flag = 1 / flag <> 0 compare as true / false (operators in
-- doma_panda, so only the converted routines, whose search_path starts with doma_panda, see them), and
-- a NUMBER(1) value (smallint, numeric) is stored in and read from a boolean column by assignment casts
-- (1 true, 0 false, as the Oracle CHECK (col IN (0, 1)) allows).
--   p_flag, p_number  the boolean and the number
CREATE OR REPLACE FUNCTION doma_panda.oracle_flag_equals(p_flag boolean, p_number integer)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT p_flag = (p_number <> 0) $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_flag_equals(p_number integer, p_flag boolean)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT p_flag = (p_number <> 0) $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_flag_differs(p_flag boolean, p_number integer)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT p_flag <> (p_number <> 0) $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_flag_differs(p_number integer, p_flag boolean)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT p_flag <> (p_number <> 0) $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_number_as_flag(p_number smallint)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT p_number <> 0 $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_number_as_flag(p_number numeric)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT p_number <> 0 $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_flag_as_smallint(p_flag boolean)
RETURNS smallint LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN p_flag THEN 1 WHEN NOT p_flag THEN 0 END::smallint $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_flag_as_numeric(p_flag boolean)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN p_flag THEN 1 WHEN NOT p_flag THEN 0 END::numeric $$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_operator WHERE oprname = '=' AND oprnamespace = 'doma_panda'::regnamespace) THEN
        CREATE OPERATOR doma_panda.= (LEFTARG = boolean, RIGHTARG = integer, FUNCTION = doma_panda.oracle_flag_equals);
        CREATE OPERATOR doma_panda.= (LEFTARG = integer, RIGHTARG = boolean, FUNCTION = doma_panda.oracle_flag_equals);
        CREATE OPERATOR doma_panda.<> (LEFTARG = boolean, RIGHTARG = integer, FUNCTION = doma_panda.oracle_flag_differs);
        CREATE OPERATOR doma_panda.<> (LEFTARG = integer, RIGHTARG = boolean, FUNCTION = doma_panda.oracle_flag_differs);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_cast WHERE castsource = 'smallint'::regtype AND casttarget = 'boolean'::regtype) THEN
        CREATE CAST (smallint AS boolean) WITH FUNCTION doma_panda.oracle_number_as_flag(smallint) AS ASSIGNMENT;
        CREATE CAST (numeric AS boolean) WITH FUNCTION doma_panda.oracle_number_as_flag(numeric) AS ASSIGNMENT;
        CREATE CAST (boolean AS smallint) WITH FUNCTION doma_panda.oracle_flag_as_smallint(boolean) AS ASSIGNMENT;
        CREATE CAST (boolean AS numeric) WITH FUNCTION doma_panda.oracle_flag_as_numeric(boolean) AS ASSIGNMENT;
    END IF;
END;
$$;

-- Oracle's || ignores NULL operands ('a' || NULL is 'a'; NULL || NULL is NULL); PostgreSQL's gives NULL.
-- The converted routines run with doma_panda before pg_catalog in their search_path
-- (ora2pg/procedure_patches/ oracle_search_path), so text || text resolves to this operator in them only.
--   p_left, p_right  the operands
CREATE OR REPLACE FUNCTION doma_panda.oracle_concat(p_left text, p_right text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_left IS NULL AND p_right IS NULL THEN NULL
                ELSE pg_catalog.textcat(coalesce(p_left, ''), coalesce(p_right, '')) END
$$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_operator WHERE oprname = '||' AND oprnamespace = 'doma_panda'::regnamespace) THEN
        CREATE OPERATOR doma_panda.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = doma_panda.oracle_concat);
    END IF;
END;
$$;

-- NLSSORT(x, 'NLS_SORT=BINARY') (Oracle's byte order) is written by ora2pg as x COLLATE "BINARY": the
-- collation of that name is PostgreSQL's byte order, "C" (in doma_panda, on the converted routines' path).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'BINARY' AND collnamespace = 'doma_panda'::regnamespace) THEN
        CREATE COLLATION doma_panda."BINARY" FROM "C";
    END IF;
END;
$$;

-- Oracle converts a NUMBER to text in its canonical form (TO_CHAR(n): 300/60 is '5', 12.50 is '12.5',
-- 0.5 is '.5'); PostgreSQL's numeric keeps its scale ('5.0000000000000000'). text || x and x || text
-- (x not text: PostgreSQL's anynonarray forms, which these hide on the converted routines' search_path)
-- write a number as Oracle does, anything else as PostgreSQL does, and ignore NULL as Oracle's || does.
--   p_number  the number; p_left, p_right  the operands
CREATE OR REPLACE FUNCTION doma_panda.oracle_number_text(p_number numeric)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(trim_scale(p_number)::text, '^(-?)0\.', '\1.')
$$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_value_text(p_value anynonarray)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF pg_typeof(p_value) IN ('numeric'::regtype, 'double precision'::regtype, 'real'::regtype) THEN
        RETURN doma_panda.oracle_number_text(p_value::text::numeric);
    END IF;
    RETURN p_value::text;
END;
$$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_concat_value(p_left text, p_right anynonarray)
RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT doma_panda.oracle_concat(p_left, doma_panda.oracle_value_text(p_right)) $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_concat_value(p_left anynonarray, p_right text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT doma_panda.oracle_concat(doma_panda.oracle_value_text(p_left), p_right) $$;

-- Oracle's DATE - DATE is a NUMBER of days; PostgreSQL's timestamp - timestamp is an interval. Where the
-- converted code goes on with the difference as a number ((d1 - d2) * 86400 + n), the interval is its
-- length in days: interval + number, interval - number.
--   p_interval, p_number  the operands
CREATE OR REPLACE FUNCTION doma_panda.oracle_days_plus(p_interval interval, p_number numeric)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT extract(epoch FROM p_interval) / 86400 + p_number $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_days_minus(p_interval interval, p_number numeric)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT extract(epoch FROM p_interval) / 86400 - p_number $$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_operator WHERE oprname = '+' AND oprnamespace = 'doma_panda'::regnamespace) THEN
        CREATE OPERATOR doma_panda.|| (LEFTARG = text, RIGHTARG = anynonarray, FUNCTION = doma_panda.oracle_concat_value);
        CREATE OPERATOR doma_panda.|| (LEFTARG = anynonarray, RIGHTARG = text, FUNCTION = doma_panda.oracle_concat_value);
        CREATE OPERATOR doma_panda.+ (LEFTARG = interval, RIGHTARG = numeric, FUNCTION = doma_panda.oracle_days_plus);
        CREATE OPERATOR doma_panda.- (LEFTARG = interval, RIGHTARG = numeric, FUNCTION = doma_panda.oracle_days_minus);
    END IF;
END;
$$;

-- TRUNC(n) of a NUMBER that ora2pg cannot type (TRUNC(PANDADB_SUPPORT.to_number_text(t))): ora2pg
-- writes every one-argument TRUNC as date_trunc('day', x); on a number it is trunc(n). (ora2pg/procedure_patches/
-- rewrites the calls whose argument it can type; this catches the rest.)
--   p_unit   'day' (ora2pg's unit for TRUNC without a format)
--   p_value  the number
CREATE OR REPLACE FUNCTION public.date_trunc(p_unit text, p_value numeric)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
BEGIN
    IF p_unit <> 'day' THEN
        RAISE EXCEPTION 'TRUNC of a number with the format %', p_unit USING ERRCODE = '22023';
    END IF;
    RETURN trunc(p_value);
END;
$$;

-- oracle_sqlstate: the SQLSTATE PostgreSQL raises for an Oracle error number given to
-- RAISE_APPLICATION_ERROR at run time (ora2pg/procedure_patches/ computed_error_number_as_sqlstate): the
-- twin's refusals ORA-20001..20005 are PD001..PD005; another -20nnn is 45nnn (ora2pg's own mapping of
-- a literal number).
--   p_number  the Oracle error number (-20000 .. -20999)
CREATE OR REPLACE FUNCTION doma_panda.oracle_sqlstate(p_number numeric)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
    SELECT CASE WHEN p_number BETWEEN -20005 AND -20001 THEN 'PD00' || (-20000 - p_number)::integer
                ELSE '45' || lpad(((-p_number)::integer % 1000)::text, 3, '0') END
$$;

-- Oracle's NUMBER division is exact (GLOBAL_SHARES.VALUE / SUM(VALUE) is a fraction); PostgreSQL divides
-- integers (smallint, integer, bigint: the NUMBER(5/10/19) columns) with truncation. The converted routines
-- run with doma_panda before pg_catalog in their search_path, so an integer / integer there is
-- doma_panda.oracle_divide, the exact division (a numeric), as in Oracle.
DO $$
DECLARE
    v_left text;
    v_right text;
BEGIN
    FOREACH v_left IN ARRAY ARRAY['smallint', 'integer', 'bigint'] LOOP
        FOREACH v_right IN ARRAY ARRAY['smallint', 'integer', 'bigint'] LOOP
            EXECUTE format('CREATE OR REPLACE FUNCTION doma_panda.oracle_divide(p_dividend %s, p_divisor %s) '
                           'RETURNS numeric LANGUAGE sql IMMUTABLE '
                           'AS $f$ SELECT p_dividend::numeric OPERATOR(pg_catalog./) p_divisor::numeric $f$',
                           v_left, v_right);
            IF NOT EXISTS (SELECT 1 FROM pg_operator WHERE oprname = '/' AND oprnamespace = 'doma_panda'::regnamespace
                              AND oprleft = v_left::regtype AND oprright = v_right::regtype) THEN
                EXECUTE format('CREATE OPERATOR doma_panda./ (LEFTARG = %s, RIGHTARG = %s, FUNCTION = doma_panda.oracle_divide)',
                               v_left, v_right);
            END IF;
        END LOOP;
    END LOOP;
END;
$$;

-- ====================================================================================================
