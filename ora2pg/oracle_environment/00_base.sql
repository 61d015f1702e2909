-- The environment the PL/SQL twin runs in once ora2pg has converted it (pandadb ora2pg check
-- --procedures; ora2pg/procedures.py load_in_place creates it in the scratch database before the
-- converted routines). Three parts:
--   * orafce, the PostgreSQL extension that ora2pg's output targets for Oracle's built-in packages
--     (DBMS_OUTPUT, DBMS_ASSERT, DBMS_SQL...), created by load_in_place;
--   * in this file, the methods of Oracle's JSON object types that are not a single jsonb operator
--     (ora2pg/procedure_patches/json_types.py json_methods_as_operators rewrites the calls to them),
--     Oracle's || and error numbers;
--   * in the files after it (loaded in file order: 10_dictionary, 20_locks, 30_scheduler,
--     40_packages, 50_dynamic_sql), the rest of Oracle the twin reads or calls that orafce lacks, emulated the way orafce
--     emulates a package (one schema per package, Oracle's member and parameter names, Oracle's
--     return codes): the dictionary views (ALL_TAB_COLUMNS, ALL_TAB_COLS, ALL_TABLES, ALL_PART_TABLES,
--     ALL_PART_KEY_COLUMNS, ALL_TAB_PARTITIONS, USER_SCHEDULER_JOBS, V$LOCK, DBMS_LOCK_ALLOCATED),
--     SYS_CONTEXT, DBMS_LOCK, DBMS_SCHEDULER, DBMS_FLASHBACK, DBMS_LOB.COMPARE, DBMS_UTILITY.COMPILE_SCHEMA,
--     DBMS_SQL.NATIVE and the PARSE / BIND_VARIABLE overloads orafce lacks, RAWTOHEX, SYS_GUID's
--     uuid_generate_v4 and the three-argument TO_DATE of a partition's HIGH_VALUE.
-- Where the converted code finds them: ora2pg drops "SYS." and writes the dictionary views and
-- SYS_CONTEXT unqualified, so they are in schema public (on the default search_path "$user", public
-- and on ora2pg's doma_panda, public); a package is a schema of its name, found whatever the path.
-- orafce keeps its Oracle functions that PostgreSQL also has by name (INSTR, LENGTHB, one-argument
-- TO_CHAR, NVL...) and DUAL in schema oracle: code that calls them unqualified (the twin's dynamic
-- 'SELECT TO_CHAR(<HIGH_VALUE>) FROM DUAL') needs oracle on its search_path.
-- How Oracle's names read here: a dictionary view shows PostgreSQL's lower-case names upper-case, as
-- Oracle stores unquoted names (schema doma_panda is OWNER 'DOMA_PANDA': the converted twin compares
-- against UPPER('doma_panda'), ora2pg having renamed ATLAS_PANDA); a column's DATA_TYPE is the type its
-- Oracle twin column has in schema/oracle (bigint NUMBER(19), integer NUMBER(10), smallint NUMBER(5),
-- boolean NUMBER(1), timestamp DATE, text / json / jsonb CLOB, varchar VARCHAR2...).
-- Package constants (DBMS_LOCK.X_MODE, DBMS_LOCK.MAXWAIT, DBMS_SQL.NATIVE) and Oracle functions called
-- without parentheses (DBMS_FLASHBACK.GET_SYSTEM_CHANGE_NUMBER) are functions of no argument here:
-- PostgreSQL needs the "()" (a procedure patch adds them).
-- Errors Oracle raises by number are raised with the PostgreSQL condition of the same meaning:
-- ORA-27475 unknown job -> 42704 (undefined_object), ORA-27477 job already exists -> 42710
-- (duplicate_object), ORA-20000 of DBMS_UTILITY.COMPILE_SCHEMA (no such schema) -> 3F000
-- (invalid_schema_name); the message starts with the ORA number.
-- Never part of a migrated database: only the scratch copy the twin is verified in.

-- oracle_json_get: JSON_OBJECT_T.get(key) / JSON_ARRAY_T.get(index): the member or element as JSON,
-- NULL when absent. Arrays are 0-based in both.
--   p_value  the object or array
--   p_key    the member's key / the element's index
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_get(p_value jsonb, p_key text)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT p_value -> p_key $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_get(p_value jsonb, p_key integer)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT p_value -> p_key $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_get(p_value jsonb, p_key numeric)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT p_value -> p_key::integer $$;

-- oracle_json_size: JSON_ARRAY_T.get_size() (elements) / JSON_OBJECT_T.get_size() (members)
--   p_value  the array or object
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_size(p_value jsonb)
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(p_value) WHEN 'array' THEN jsonb_array_length(p_value)
                                      WHEN 'object' THEN (SELECT count(*)::integer FROM jsonb_object_keys(p_value)) END
$$;

-- oracle_json_value: JSON_VALUE(p_document, p_path) with Oracle's default NULL ON ERROR: the scalar at
-- the path as text; NULL when the document is not JSON or the path holds no scalar.
--   p_document  JSON text (CLOB) or jsonb
--   p_path      an SQL/JSON path ('$.corepower'; the member-path syntax of Oracle and PostgreSQL is one)
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_value(p_document text, p_path text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_value jsonb;
BEGIN
    v_value := jsonb_path_query_first(p_document::jsonb, p_path::jsonpath);
    RETURN CASE WHEN jsonb_typeof(v_value) IN ('object', 'array') THEN NULL ELSE v_value #>> '{}' END;
EXCEPTION
    WHEN invalid_text_representation OR sql_json_scalar_required OR sql_json_member_not_found THEN
        RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_value(p_document jsonb, p_path text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT doma_panda.oracle_json_value(p_document::text, p_path) $$;
-- (the same for a json column: SCHEDCONFIG_JSON.DATA, a CLOB IS JSON in Oracle)
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_value(p_document json, p_path text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT doma_panda.oracle_json_value(p_document::text, p_path) $$;

-- NVL(n, 1) of a NUMBER(5) column (smallint here): orafce's NVL overloads (anyelement, (bigint, int),
-- (numeric, int)) leave (smallint, integer) ambiguous; in Oracle both are NUMBER, and so is the result
-- (numeric: a division by it is exact, as Oracle's, not PostgreSQL's integer division).
CREATE OR REPLACE FUNCTION doma_panda.nvl(p_value smallint, p_default integer)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(p_value, p_default)::numeric $$;

-- oracle_to_number_or_null: JSON_VALUE(... RETURNING NUMBER NULL ON ERROR): the text as a number,
-- NULL when it is not one.
--   p_text  the value
CREATE OR REPLACE FUNCTION doma_panda.oracle_to_number_or_null(p_text text)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN trim(p_text)::numeric;
EXCEPTION
    WHEN invalid_text_representation THEN
        RETURN NULL;
END;
$$;

-- oracle_sqlcode: Oracle's SQLCODE in an exception handler, from PostgreSQL's SQLSTATE (ora2pg writes
-- SQLCODE as SQLSTATE; ora2pg/procedure_patches/ sqlcode_as_oracle_error_number wraps it in this): the
-- twin's refusals PD001..PD005 are ORA-20001..20005 (RAISE_APPLICATION_ERROR), 45nnn (ora2pg's
-- SQLSTATE of RAISE_APPLICATION_ERROR(-20nnn)) -20nnn, and the conditions the twin tests by number
-- their ORA numbers (NO_DATA_FOUND +100, DUP_VAL_ON_INDEX -1, resource busy -54, not a date -18xx,
-- invalid regular expression -127xx...). A condition without an Oracle twin is -600 (internal error).
--   p_sqlstate  SQLSTATE of the error being handled
CREATE OR REPLACE FUNCTION doma_panda.oracle_sqlcode(p_sqlstate text)
RETURNS integer LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
SELECT CASE
    WHEN p_sqlstate ~ '^PD00[1-9]$' THEN -20000 - substr(p_sqlstate, 5)::integer
    WHEN p_sqlstate ~ '^45[0-9]{3}$' THEN -20000 - substr(p_sqlstate, 3)::integer
    WHEN p_sqlstate = '00000' THEN 0
    WHEN p_sqlstate = 'P0002' THEN 100     -- NO_DATA_FOUND
    WHEN p_sqlstate = 'P0003' THEN -1422   -- TOO_MANY_ROWS
    WHEN p_sqlstate = '23505' THEN -1      -- DUP_VAL_ON_INDEX
    WHEN p_sqlstate = '23502' THEN -1400   -- cannot insert NULL
    WHEN p_sqlstate = '23503' THEN -2291   -- parent key not found
    WHEN p_sqlstate = '55P03' THEN -54     -- resource busy (NOWAIT)
    WHEN p_sqlstate = '40P01' THEN -60     -- deadlock detected
    WHEN p_sqlstate = '22012' THEN -1476   -- divisor is equal to zero
    WHEN p_sqlstate = '22P02' THEN -1722   -- invalid number
    WHEN p_sqlstate = '22003' THEN -1426   -- numeric overflow
    WHEN p_sqlstate = '22001' THEN -12899  -- value too large for column
    WHEN p_sqlstate = '22007' THEN -1861   -- literal does not match format string
    WHEN p_sqlstate = '22008' THEN -1847   -- day of month must be between 1 and last day of month
    WHEN p_sqlstate = '2201B' THEN -12726  -- unmatched bracket in regular expression
    WHEN p_sqlstate = '42P01' THEN -942    -- table or view does not exist
    WHEN p_sqlstate = '42703' THEN -904    -- invalid identifier
    ELSE -600
END
$$;
