-- The environment the PL/SQL twin runs in once ora2pg has converted it (pandadb ora2pg check
-- --procedures; ora2pg/procedures.py load_in_place creates it in the scratch database before the
-- converted routines). Three parts:
--   * orafce, the PostgreSQL extension that ora2pg's output targets for Oracle's built-in packages
--     (DBMS_OUTPUT, DBMS_ASSERT, DBMS_SQL...), created by load_in_place;
--   * below, the methods of Oracle's JSON object types that are not a single jsonb operator
--     (ora2pg/procedure_patches.py json_methods_as_operators rewrites the calls to them);
--   * below, the rest of Oracle the twin reads or calls that orafce lacks, emulated the way orafce
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
-- SQLCODE as SQLSTATE; procedure_patches.py sqlcode_as_oracle_error_number wraps it in this): the
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

-- ====================================================================================================
-- The dictionary views. Only what a user schema holds is shown (not pg_catalog, information_schema,
-- pg_toast): the twin reads its own tables. A partition of a partitioned table is not a table in
-- Oracle, so ALL_TABLES / ALL_TAB_COLS leave PostgreSQL's partitions out (ALL_TAB_PARTITIONS has them).
-- ====================================================================================================

-- oracle_column_type: the Oracle data type of a PostgreSQL column, as its twin in schema/oracle is
-- declared and as ALL_TAB_COLS describes it (DATA_TYPE, DATA_LENGTH in bytes, DATA_PRECISION,
-- DATA_SCALE, CHAR_LENGTH). Helper of ALL_TAB_COLS, not an Oracle object.
--   p_type_oid  pg_attribute.atttypid
--   p_typmod    pg_attribute.atttypmod (-1: none)
CREATE OR REPLACE FUNCTION public.oracle_column_type(p_type_oid oid, p_typmod integer,
    OUT data_type varchar, OUT data_length integer, OUT data_precision integer, OUT data_scale integer,
    OUT char_length integer)
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE t.typname
               WHEN 'int8' THEN 'NUMBER' WHEN 'int4' THEN 'NUMBER' WHEN 'int2' THEN 'NUMBER'
               WHEN 'bool' THEN 'NUMBER' WHEN 'numeric' THEN 'NUMBER' WHEN 'oid' THEN 'NUMBER'
               WHEN 'xid' THEN 'NUMBER' WHEN 'xid8' THEN 'NUMBER'
               WHEN 'float8' THEN 'BINARY_DOUBLE' WHEN 'float4' THEN 'BINARY_FLOAT'
               WHEN 'varchar' THEN 'VARCHAR2' WHEN 'bpchar' THEN 'CHAR'
               WHEN 'text' THEN 'CLOB' WHEN 'json' THEN 'CLOB' WHEN 'jsonb' THEN 'CLOB' WHEN 'xml' THEN 'CLOB'
               WHEN 'timestamp' THEN 'DATE' WHEN 'date' THEN 'DATE'
               WHEN 'timestamptz' THEN 'TIMESTAMP(' || (CASE WHEN p_typmod >= 0 THEN p_typmod ELSE 6 END)::text
                                       || ') WITH TIME ZONE'
               WHEN 'interval' THEN 'INTERVAL DAY(2) TO SECOND(6)'
               WHEN 'bytea' THEN 'BLOB' WHEN 'uuid' THEN 'RAW'
               ELSE upper(format_type(p_type_oid, p_typmod)) END,
           CASE WHEN t.typname IN ('int8', 'int4', 'int2', 'bool', 'numeric', 'oid', 'xid', 'xid8') THEN 22
                WHEN t.typname = 'float8' THEN 8 WHEN t.typname = 'float4' THEN 4
                WHEN t.typname IN ('varchar', 'bpchar') THEN CASE WHEN p_typmod >= 4 THEN p_typmod - 4 ELSE 4000 END
                WHEN t.typname IN ('text', 'json', 'jsonb', 'xml', 'bytea') THEN 4000
                WHEN t.typname IN ('timestamp', 'date') THEN 7 WHEN t.typname = 'timestamptz' THEN 13
                WHEN t.typname = 'interval' THEN 11 WHEN t.typname = 'uuid' THEN 16
                ELSE 0 END,
           CASE t.typname WHEN 'int8' THEN 19 WHEN 'int4' THEN 10 WHEN 'int2' THEN 5 WHEN 'bool' THEN 1
                          WHEN 'numeric' THEN CASE WHEN p_typmod >= 4 THEN ((p_typmod - 4) >> 16) & 65535 END
                          WHEN 'interval' THEN 2 END,
           CASE WHEN t.typname IN ('int8', 'int4', 'int2', 'bool') THEN 0
                WHEN t.typname = 'numeric' THEN CASE WHEN p_typmod >= 4 THEN (p_typmod - 4) & 65535 END
                WHEN t.typname = 'timestamptz' THEN CASE WHEN p_typmod >= 0 THEN p_typmod ELSE 6 END
                WHEN t.typname = 'interval' THEN 6 END,
           CASE WHEN t.typname IN ('varchar', 'bpchar') THEN CASE WHEN p_typmod >= 4 THEN p_typmod - 4 ELSE 4000 END
                ELSE 0 END
      FROM pg_type t WHERE t.oid = p_type_oid
$$;

-- ALL_TAB_COLS: the columns of the tables and views (hidden ones included; PostgreSQL has none).
-- Columns: OWNER, TABLE_NAME, COLUMN_NAME (upper case), DATA_TYPE, DATA_LENGTH, DATA_PRECISION,
-- DATA_SCALE (see oracle_column_type), NULLABLE ('Y'/'N'), COLUMN_ID (1.. in column order, no gaps
-- for dropped columns), DATA_DEFAULT (the default's text), CHAR_LENGTH, CHAR_USED ('B' for
-- VARCHAR2/CHAR: schema/oracle declares byte lengths), HIDDEN_COLUMN ('NO'), VIRTUAL_COLUMN ('YES' for
-- a generated column), SEGMENT_COLUMN_ID, INTERNAL_COLUMN_ID.
CREATE OR REPLACE VIEW public.all_tab_cols AS
SELECT upper(n.nspname)::varchar(128) AS owner,
       upper(c.relname)::varchar(128) AS table_name,
       upper(a.attname)::varchar(128) AS column_name,
       o.data_type::varchar(128) AS data_type,
       o.data_length,
       o.data_precision,
       o.data_scale,
       (CASE WHEN a.attnotnull THEN 'N' ELSE 'Y' END)::varchar(1) AS nullable,
       (SELECT count(*) FROM pg_attribute p
         WHERE p.attrelid = a.attrelid AND p.attnum BETWEEN 1 AND a.attnum AND NOT p.attisdropped)::integer AS column_id,
       pg_get_expr(d.adbin, d.adrelid) AS data_default,
       o.char_length,
       (CASE WHEN o.data_type IN ('VARCHAR2', 'CHAR') THEN 'B' END)::varchar(1) AS char_used,
       'NO'::varchar(3) AS hidden_column,
       (CASE WHEN a.attgenerated <> '' THEN 'YES' ELSE 'NO' END)::varchar(3) AS virtual_column,
       (CASE WHEN a.attgenerated = '' THEN a.attnum END)::integer AS segment_column_id,
       a.attnum::integer AS internal_column_id
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 CROSS JOIN LATERAL public.oracle_column_type(a.atttypid, a.atttypmod) o
 WHERE a.attnum > 0 AND NOT a.attisdropped
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%';

-- ALL_TAB_COLUMNS: ALL_TAB_COLS without the hidden columns, and without HIDDEN_COLUMN, VIRTUAL_COLUMN,
-- SEGMENT_COLUMN_ID, INTERNAL_COLUMN_ID (Oracle's ALL_TAB_COLUMNS has none of them).
-- Columns: OWNER, TABLE_NAME, COLUMN_NAME, DATA_TYPE, DATA_LENGTH, DATA_PRECISION, DATA_SCALE,
-- NULLABLE, COLUMN_ID, DATA_DEFAULT, CHAR_LENGTH, CHAR_USED.
CREATE OR REPLACE VIEW public.all_tab_columns AS
SELECT owner, table_name, column_name, data_type, data_length, data_precision, data_scale, nullable,
       column_id, data_default, char_length, char_used
  FROM public.all_tab_cols
 WHERE hidden_column = 'NO';

-- ALL_TABLES: the tables (a partitioned table once, its partitions not).
-- Columns: OWNER, TABLE_NAME, TABLESPACE_NAME (NULL for a partitioned table, as in Oracle), STATUS
-- ('VALID'), NUM_ROWS (the planner's estimate, reltuples; NULL before the first ANALYZE as before
-- Oracle's first statistics; a partitioned table sums its analysed partitions), BLOCKS, PARTITIONED
-- ('YES'/'NO'), TEMPORARY ('Y'/'N').
CREATE OR REPLACE VIEW public.all_tables AS
SELECT upper(n.nspname)::varchar(128) AS owner,
       upper(c.relname)::varchar(128) AS table_name,
       (CASE WHEN c.relkind = 'p' THEN NULL ELSE upper(coalesce(ts.spcname, 'pg_default')) END)::varchar(30)
           AS tablespace_name,
       'VALID'::varchar(8) AS status,
       (CASE WHEN c.relkind = 'p'
             THEN (SELECT sum(ch.reltuples) FILTER (WHERE ch.reltuples >= 0)
                     FROM pg_inherits i JOIN pg_class ch ON ch.oid = i.inhrelid WHERE i.inhparent = c.oid)
             WHEN c.reltuples >= 0 THEN c.reltuples END)::bigint AS num_rows,
       c.relpages::bigint AS blocks,
       (CASE WHEN c.relkind = 'p' THEN 'YES' ELSE 'NO' END)::varchar(3) AS partitioned,
       (CASE WHEN c.relpersistence = 't' THEN 'Y' ELSE 'N' END)::varchar(1) AS temporary
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%';

-- oracle_partition_interval: the INTERVAL clause Oracle would show for a partitioned table, NULL when
-- PostgreSQL does not create its partitions itself. PostgreSQL has no interval partitioning: the
-- tables under partition maintenance (pg_partman's partman.part_config, or pandadb's own
-- doma_panda.part_config where pg_partman is not installed) are the ones whose partitions appear
-- without DDL, as Oracle's interval-partitioned tables. '1 day' -> NUMTODSINTERVAL(1,'DAY'),
-- '1 month' -> NUMTOYMINTERVAL(1,'MONTH'), an id interval -> its number. Helper of ALL_PART_TABLES and
-- ALL_TAB_PARTITIONS, not an Oracle object.
--   p_parent  the partitioned table
CREATE OR REPLACE FUNCTION public.oracle_partition_interval(p_parent regclass)
RETURNS varchar
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_config regclass := coalesce(to_regclass('partman.part_config'), to_regclass('doma_panda.part_config'));
    v_interval text;
    v_value interval;
BEGIN
    IF v_config IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT partition_interval FROM %s WHERE parent_table = $1', v_config)
       INTO v_interval
      USING (SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.oid = p_parent);
    IF v_interval IS NULL THEN
        RETURN NULL;
    ELSIF v_interval ~ '^\s*[0-9]+\s*$' THEN
        RETURN trim(v_interval);
    END IF;
    v_value := v_interval::interval;
    IF extract(day FROM v_value) = 0 AND date_trunc('month', v_value) = v_value THEN
        RETURN format('NUMTOYMINTERVAL(%s,''MONTH'')', extract(year FROM v_value) * 12 + extract(month FROM v_value));
    ELSIF date_trunc('day', v_value) = v_value AND extract(month FROM v_value) = 0 AND extract(year FROM v_value) = 0 THEN
        RETURN format('NUMTODSINTERVAL(%s,''DAY'')', extract(day FROM v_value));
    END IF;
    RETURN format('NUMTODSINTERVAL(%s,''SECOND'')', extract(epoch FROM v_value));
END;
$$;

-- ALL_PART_TABLES: the partitioned tables.
-- Columns: OWNER, TABLE_NAME, PARTITIONING_TYPE ('RANGE', 'LIST', 'HASH'), SUBPARTITIONING_TYPE
-- ('NONE', or the type of the partitions' own partitioning), PARTITION_COUNT (1048575 for an interval
-- table, as Oracle shows), PARTITIONING_KEY_COUNT, SUBPARTITIONING_KEY_COUNT, STATUS ('VALID'),
-- INTERVAL (see oracle_partition_interval), AUTOLIST ('NO').
CREATE OR REPLACE VIEW public.all_part_tables AS
SELECT upper(n.nspname)::varchar(128) AS owner,
       upper(c.relname)::varchar(128) AS table_name,
       (CASE pt.partstrat WHEN 'r' THEN 'RANGE' WHEN 'l' THEN 'LIST' WHEN 'h' THEN 'HASH' END)::varchar(9)
           AS partitioning_type,
       coalesce((SELECT CASE sub.partstrat WHEN 'r' THEN 'RANGE' WHEN 'l' THEN 'LIST' WHEN 'h' THEN 'HASH' END
                   FROM pg_inherits i JOIN pg_partitioned_table sub ON sub.partrelid = i.inhrelid
                  WHERE i.inhparent = c.oid LIMIT 1), 'NONE')::varchar(9) AS subpartitioning_type,
       (CASE WHEN public.oracle_partition_interval(c.oid) IS NOT NULL THEN 1048575
             ELSE (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid) END)::integer AS partition_count,
       pt.partnatts::integer AS partitioning_key_count,
       0 AS subpartitioning_key_count,
       'VALID'::varchar(8) AS status,
       public.oracle_partition_interval(c.oid)::varchar(1000) AS interval,
       'NO'::varchar(3) AS autolist
  FROM pg_partitioned_table pt
  JOIN pg_class c ON c.oid = pt.partrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT c.relispartition;

-- ALL_PART_KEY_COLUMNS: the partitioning key columns of the partitioned tables (a key expression,
-- which Oracle does not allow, is left out).
-- Columns: OWNER, NAME (the table), OBJECT_TYPE ('TABLE'), COLUMN_NAME, COLUMN_POSITION.
CREATE OR REPLACE VIEW public.all_part_key_columns AS
SELECT upper(n.nspname)::varchar(128) AS owner,
       upper(c.relname)::varchar(128) AS name,
       'TABLE'::varchar(11) AS object_type,
       upper(a.attname)::varchar(4000) AS column_name,
       k.position::integer AS column_position
  FROM pg_partitioned_table pt
  JOIN pg_class c ON c.oid = pt.partrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, position)
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
 WHERE NOT c.relispartition;

-- oracle_partition_high_value: a partition's HIGH_VALUE as Oracle writes it: the exclusive upper bound
-- of a range partition (a date key as TO_DATE(' 2026-01-02 00:00:00', 'SYYYY-MM-DD HH24:MI:SS',
-- 'NLS_CALENDAR=GREGORIAN'), a number as its digits, MAXVALUE), the values of a list partition
-- ('Y'), DEFAULT for a list table's default partition, MAXVALUE for a range table's default partition
-- (the partition above the others that Oracle's range tables have instead), NULL for hash. A
-- multi-column key keeps PostgreSQL's literals. Helper of ALL_TAB_PARTITIONS, not an Oracle object.
--   p_partition  the partition
CREATE OR REPLACE FUNCTION public.oracle_partition_high_value(p_partition regclass)
RETURNS varchar
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_bound text;
    v_strategy "char";
    v_key_type text;
    v_values text;
BEGIN
    SELECT pg_get_expr(c.relpartbound, c.oid), pt.partstrat,
           CASE WHEN pt.partnatts = 1 THEN format_type(a.atttypid, NULL) END
      INTO v_bound, v_strategy, v_key_type
      FROM pg_class c
      JOIN pg_inherits i ON i.inhrelid = c.oid
      JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
      LEFT JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE c.oid = p_partition;
    IF v_bound IS NULL OR v_strategy = 'h' THEN
        RETURN NULL;
    ELSIF v_bound = 'DEFAULT' THEN
        RETURN CASE WHEN v_strategy = 'l' THEN 'DEFAULT' ELSE 'MAXVALUE' END;
    ELSIF v_strategy = 'l' THEN
        RETURN (regexp_match(v_bound, '^FOR VALUES IN \((.*)\)$'))[1];
    END IF;
    v_values := (regexp_match(v_bound, ' TO \((.*)\)$'))[1];
    IF v_key_type IN ('timestamp without time zone', 'timestamp with time zone', 'date') AND v_values LIKE '''%' THEN
        RETURN format('TO_DATE('' %s'', ''SYYYY-MM-DD HH24:MI:SS'', ''NLS_CALENDAR=GREGORIAN'')',
                      to_char(trim(BOTH '''' FROM v_values)::timestamp, 'YYYY-MM-DD HH24:MI:SS'));
    ELSIF v_key_type IN ('smallint', 'integer', 'bigint', 'numeric') THEN
        RETURN trim(BOTH '''' FROM v_values);  -- PostgreSQL quotes a number bound: '500000'
    END IF;
    RETURN v_values;
END;
$$;

-- ALL_TAB_PARTITIONS: the partitions of the partitioned tables.
-- Columns: TABLE_OWNER, TABLE_NAME, COMPOSITE ('YES' when the partition is itself partitioned),
-- PARTITION_NAME (the PostgreSQL partition's name, upper case), SUBPARTITION_COUNT, HIGH_VALUE (see
-- oracle_partition_high_value), HIGH_VALUE_LENGTH, PARTITION_POSITION (1.. in bound order, the default
-- partition last; dates compare as their TO_DATE text, which is ISO), TABLESPACE_NAME, NUM_ROWS (reltuples; NULL before the first ANALYZE), BLOCKS,
-- INTERVAL ('YES' for the partitions of a table under partition maintenance, but not its default
-- partition; see oracle_partition_interval).
CREATE OR REPLACE VIEW public.all_tab_partitions AS
SELECT table_owner, table_name, composite, partition_name, subpartition_count, high_value,
       length(high_value)::integer AS high_value_length,
       row_number() OVER (PARTITION BY table_owner, table_name
                          ORDER BY is_default OR high_value = 'MAXVALUE',
                                   CASE WHEN high_value ~ '^-?[0-9]+(\.[0-9]+)?$' THEN high_value::numeric END NULLS LAST,
                                   high_value)::integer AS partition_position,
       tablespace_name, num_rows, blocks,
       (CASE WHEN NOT is_default AND public.oracle_partition_interval(parent_oid) IS NOT NULL THEN 'YES' ELSE 'NO' END)::varchar(3)
           AS interval
  FROM (SELECT upper(pn.nspname)::varchar(128) AS table_owner,
               upper(p.relname)::varchar(128) AS table_name,
               (CASE WHEN ch.relkind = 'p' THEN 'YES' ELSE 'NO' END)::varchar(3) AS composite,
               upper(ch.relname)::varchar(128) AS partition_name,
               (SELECT count(*) FROM pg_inherits s WHERE s.inhparent = ch.oid)::integer AS subpartition_count,
               public.oracle_partition_high_value(ch.oid) AS high_value,
               pg_get_expr(ch.relpartbound, ch.oid) = 'DEFAULT' AS is_default,
               (CASE WHEN ch.relkind = 'p' THEN NULL ELSE upper(coalesce(ts.spcname, 'pg_default')) END)::varchar(30)
                   AS tablespace_name,
               (CASE WHEN ch.reltuples >= 0 THEN ch.reltuples END)::bigint AS num_rows,
               ch.relpages::bigint AS blocks,
               p.oid AS parent_oid
          FROM pg_inherits i
          JOIN pg_class ch ON ch.oid = i.inhrelid AND ch.relispartition
          JOIN pg_class p ON p.oid = i.inhparent AND NOT p.relispartition
          JOIN pg_namespace pn ON pn.oid = p.relnamespace
          LEFT JOIN pg_tablespace ts ON ts.oid = ch.reltablespace) partitions;

-- TO_DATE(char, fmt, nlsparam): Oracle's three-argument TO_DATE, as a partition's HIGH_VALUE calls it
-- (the twin evaluates HIGH_VALUE by dynamic SQL). The 'S' of SYYYY (sign of the year: BC) is dropped:
-- PostgreSQL reads a plain YYYY; only the Gregorian calendar exists.
--   p_text    the date text (' 2026-01-02 00:00:00')
--   p_format  the Oracle format ('SYYYY-MM-DD HH24:MI:SS')
--   p_nls     'NLS_CALENDAR=GREGORIAN' or NULL; any other calendar is an error
CREATE OR REPLACE FUNCTION public.to_date(p_text text, p_format text, p_nls text)
RETURNS timestamp(0) without time zone
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_nls IS NOT NULL AND upper(replace(p_nls, ' ', '')) <> 'NLS_CALENDAR=GREGORIAN' THEN
        RAISE EXCEPTION 'TO_DATE: p_nls % is not supported (only NLS_CALENDAR=GREGORIAN)', p_nls
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN to_timestamp(trim(p_text), replace(upper(p_format), 'SYYYY', 'YYYY'))::timestamp(0) without time zone;
END;
$$;

-- ====================================================================================================
-- SYS_CONTEXT and DBMS_LOCK over PostgreSQL's advisory locks, with V$LOCK and DBMS_LOCK_ALLOCATED.
-- A DBMS_LOCK lock numbered L is the advisory lock (1521, L): the two-key form, so it never meets a
-- lock the PostgreSQL routines take with one bigint key; their two-key locks use hashtext() of a
-- text as first key, which is not 1521 for any key text they use. Oracle's lock modes map onto the
-- two modes of an advisory lock: S_MODE and SS_MODE shared, X_MODE, SX_MODE and SSX_MODE exclusive
-- (SS and SX, compatible with each other in Oracle, exclude each other here); NL_MODE holds nothing.
-- ====================================================================================================

-- SYS_CONTEXT(namespace, parameter [, length]): the USERENV parameters the twin reads, with the
-- PostgreSQL session standing for the Oracle session: SID and SESSIONID (the backend's process id,
-- as V$LOCK.SID), SESSION_USER, CURRENT_USER, CURRENT_SCHEMA, DB_NAME (upper case, as Oracle
-- stores them), SERVER_HOST (the database machine's host name), HOST and IP_ADDRESS (the client's),
-- MODULE (application_name), INSTANCE ('1'). Another USERENV parameter raises ORA-02003 (invalid
-- USERENV parameter); another namespace is an application context, none of which is set: NULL.
--   p_namespace  'USERENV' (any case)
--   p_parameter  the parameter (any case)
--   p_length     the longest result (default 256, at most 4000)
CREATE OR REPLACE FUNCTION public.sys_context(p_namespace text, p_parameter text, p_length integer DEFAULT 256)
RETURNS varchar
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_value text;
BEGIN
    IF upper(p_namespace) <> 'USERENV' THEN
        RETURN NULL;
    END IF;
    v_value := CASE upper(p_parameter)
        WHEN 'SID' THEN pg_backend_pid()::text
        WHEN 'SESSIONID' THEN pg_backend_pid()::text
        WHEN 'SESSION_USER' THEN upper(session_user)
        WHEN 'CURRENT_USER' THEN upper(current_user)
        WHEN 'CURRENT_SCHEMA' THEN upper(current_schema())
        WHEN 'DB_NAME' THEN upper(current_database())
        WHEN 'HOST' THEN coalesce(host(inet_client_addr()), 'localhost')
        WHEN 'IP_ADDRESS' THEN host(inet_client_addr())
        WHEN 'MODULE' THEN nullif(current_setting('application_name'), '')
        WHEN 'INSTANCE' THEN '1'
        WHEN 'SERVER_HOST' THEN public.oracle_server_host()
    END;
    IF v_value IS NULL AND upper(p_parameter) NOT IN ('IP_ADDRESS', 'MODULE') THEN
        RAISE EXCEPTION 'ORA-02003: invalid USERENV parameter: p_parameter %', p_parameter
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN left(v_value, least(coalesce(p_length, 256), 4000));
END;
$$;

-- oracle_server_host: the host name of the database machine (SYS_CONTEXT('USERENV', 'SERVER_HOST')):
-- the kernel's host name where the session may read server files, else the server's address, else
-- 'localhost'. Helper of SYS_CONTEXT, not an Oracle object.
CREATE OR REPLACE FUNCTION public.oracle_server_host()
RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN lower(trim(E' \n' FROM pg_read_file('/proc/sys/kernel/hostname')));
EXCEPTION
    WHEN OTHERS THEN  -- no privilege to read server files, or not Linux
        RETURN coalesce(host(inet_server_addr()), 'localhost');
END;
$$;

CREATE SCHEMA IF NOT EXISTS dbms_lock;

-- DBMS_LOCK's constants (Oracle's values): the lock modes NL_MODE 1, SS_MODE 2, SX_MODE 3, S_MODE 4,
-- SSX_MODE 5, X_MODE 6, and MAXWAIT 32767 (a timeout of MAXWAIT seconds waits for ever).
CREATE OR REPLACE FUNCTION dbms_lock.nl_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE OR REPLACE FUNCTION dbms_lock.ss_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 2';
CREATE OR REPLACE FUNCTION dbms_lock.sx_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 3';
CREATE OR REPLACE FUNCTION dbms_lock.s_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 4';
CREATE OR REPLACE FUNCTION dbms_lock.ssx_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 5';
CREATE OR REPLACE FUNCTION dbms_lock.x_mode() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 6';
CREATE OR REPLACE FUNCTION dbms_lock.maxwait() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 32767';

-- dbms_lock.allocations: the lock names ALLOCATE_UNIQUE gave a number (read through the view
-- DBMS_LOCK_ALLOCATED). No unique key on purpose: an allocation is written in the caller's
-- transaction (PostgreSQL has no autonomous transaction), and a unique key would make a second
-- session allocating the same name wait for the first one's COMMIT, where Oracle does not wait. The
-- number of a name is a hash of the name, so two sessions allocating it write the same row; the view
-- shows it once. Storage of the emulation, not an Oracle object.
CREATE TABLE IF NOT EXISTS dbms_lock.allocations (
    name varchar(128) NOT NULL,
    lockid integer NOT NULL,
    expiration timestamp(0) without time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS allocations_name_idx ON dbms_lock.allocations (name);
CREATE INDEX IF NOT EXISTS allocations_lockid_idx ON dbms_lock.allocations (lockid);

-- DBMS_LOCK_ALLOCATED (SYS.DBMS_LOCK_ALLOCATED; ora2pg drops "SYS."): the allocated lock names.
-- Columns: NAME, LOCKID (1073741824 .. 1999999999, Oracle's range for allocated locks), EXPIRATION.
CREATE OR REPLACE VIEW public.dbms_lock_allocated AS
SELECT name, lockid, max(expiration) AS expiration
  FROM dbms_lock.allocations
 GROUP BY name, lockid;

-- dbms_lock.allocate_unique: DBMS_LOCK.ALLOCATE_UNIQUE(lockname, lockhandle OUT, expiration_secs): the
-- handle of the lock named lockname (the same name gives the same lock in every session). The number
-- is the name's hash in Oracle's range, the next free one if another name has it. Unlike Oracle's,
-- it does not COMMIT the caller's transaction (a function cannot); nothing is lost if the caller
-- rolls back, as the same name gets the same number again.
--   lockname         the lock's name, 1 to 128 characters (names beginning ORA$ are Oracle's)
--   lockhandle       OUT: the handle for REQUEST, CONVERT and RELEASE
--   expiration_secs  how long the allocation is kept at least (default 864000, 10 days)
CREATE OR REPLACE PROCEDURE dbms_lock.allocate_unique(lockname varchar, OUT lockhandle text,
                                                      expiration_secs integer DEFAULT 864000)
LANGUAGE plpgsql AS $$
DECLARE
    c_first_id CONSTANT bigint := 1073741824;
    c_id_count CONSTANT bigint := 926258176;  -- 1073741824 .. 1999999999
    v_lockid bigint;
BEGIN
    IF lockname IS NULL OR length(lockname) NOT BETWEEN 1 AND 128 THEN
        RAISE EXCEPTION 'DBMS_LOCK.ALLOCATE_UNIQUE: lockname must have 1 to 128 characters, got %',
            coalesce(length(lockname)::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    ELSIF upper(lockname) LIKE 'ORA$%' THEN
        RAISE EXCEPTION 'DBMS_LOCK.ALLOCATE_UNIQUE: lockname % begins with ORA$ (reserved by Oracle)', lockname
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT a.lockid INTO v_lockid FROM dbms_lock.allocations a WHERE a.name = lockname LIMIT 1;
    IF v_lockid IS NULL THEN
        v_lockid := c_first_id + ((hashtextextended(lockname, 0) % c_id_count) + c_id_count) % c_id_count;
        WHILE EXISTS (SELECT 1 FROM dbms_lock.allocations a WHERE a.lockid = v_lockid AND a.name <> lockname) LOOP
            v_lockid := c_first_id + (v_lockid - c_first_id + 1) % c_id_count;
        END LOOP;
        INSERT INTO dbms_lock.allocations (name, lockid, expiration)
        VALUES (lockname, v_lockid, localtimestamp(0) + make_interval(secs => coalesce(expiration_secs, 864000)));
    END IF;
    lockhandle := v_lockid::text;
END;
$$;

-- dbms_lock.allocate_unique_autonomous: DBMS_LOCK.ALLOCATE_UNIQUE_AUTONOMOUS(lockname, lockhandle OUT,
-- expiration_secs): ALLOCATE_UNIQUE without committing the caller's transaction (what Oracle's does
-- with an autonomous transaction; here the allocation is written in the caller's transaction, see
-- dbms_lock.allocations). Parameters as ALLOCATE_UNIQUE.
CREATE OR REPLACE PROCEDURE dbms_lock.allocate_unique_autonomous(lockname varchar, OUT lockhandle text,
                                                                 expiration_secs integer DEFAULT 864000)
LANGUAGE plpgsql AS $$
BEGIN
    CALL dbms_lock.allocate_unique(lockname, lockhandle, expiration_secs);
END;
$$;

-- dbms_lock.handle_lockid: the lock number of a handle ALLOCATE_UNIQUE gave, NULL for anything else
-- (REQUEST and RELEASE return 5, illegal lock handle). Helper, not an Oracle member.
--   p_lockhandle  the handle
CREATE OR REPLACE FUNCTION dbms_lock.handle_lockid(p_lockhandle varchar)
RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_lockhandle ~ '^[0-9]{10}$' AND p_lockhandle::bigint BETWEEN 1073741824 AND 1999999999
                THEN p_lockhandle::integer END
$$;

-- dbms_lock.held_mode: the advisory mode in which this session holds lock p_lockid ('ExclusiveLock',
-- 'ShareLock'), NULL when it does not. Helper, not an Oracle member.
--   p_lockid  the lock number
CREATE OR REPLACE FUNCTION dbms_lock.held_mode(p_lockid integer)
RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT l.mode FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid = 1521 AND l.objid = p_lockid AND l.objsubid = 2 AND l.pid = pg_backend_pid() AND l.granted
     LIMIT 1
$$;

-- dbms_lock.request_lock: REQUEST's work once its arguments are checked. Returns Oracle's codes:
-- 0 granted, 1 timeout, 2 deadlock, 4 already held by this session (in any mode). Helper, not an
-- Oracle member.
--   p_lockid             the lock number
--   p_lockmode           1 .. 6 (see the section's header)
--   p_timeout            seconds to wait (0: do not wait; MAXWAIT or more: wait for ever)
--   p_release_on_commit  true: a transaction-level advisory lock (released at COMMIT / ROLLBACK),
--                        false: a session-level one (kept until RELEASE or the session ends)
CREATE OR REPLACE FUNCTION dbms_lock.request_lock(p_lockid integer, p_lockmode integer, p_timeout numeric,
                                                  p_release_on_commit boolean)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_shared boolean := p_lockmode IN (2, 4);
    v_callers_lock_timeout text := current_setting('lock_timeout');
    v_result integer;
BEGIN
    IF p_lockmode = 1 THEN
        RETURN 0;  -- NL_MODE: compatible with every mode, nothing to hold
    ELSIF dbms_lock.held_mode(p_lockid) IS NOT NULL THEN
        RETURN 4;
    ELSIF p_timeout = 0 THEN
        RETURN CASE WHEN CASE WHEN p_release_on_commit AND v_shared THEN pg_try_advisory_xact_lock_shared(1521, p_lockid)
                              WHEN p_release_on_commit THEN pg_try_advisory_xact_lock(1521, p_lockid)
                              WHEN v_shared THEN pg_try_advisory_lock_shared(1521, p_lockid)
                              ELSE pg_try_advisory_lock(1521, p_lockid) END
                    THEN 0 ELSE 1 END;
    END IF;
    -- wait at most p_timeout seconds: lock_timeout bounds the wait, deadlock detection ends a deadlock
    PERFORM set_config('lock_timeout',
                       CASE WHEN p_timeout >= 32767 THEN '0' ELSE greatest(1, round(p_timeout * 1000))::text || 'ms' END,
                       true);
    BEGIN
        IF p_release_on_commit AND v_shared THEN
            PERFORM pg_advisory_xact_lock_shared(1521, p_lockid);
        ELSIF p_release_on_commit THEN
            PERFORM pg_advisory_xact_lock(1521, p_lockid);
        ELSIF v_shared THEN
            PERFORM pg_advisory_lock_shared(1521, p_lockid);
        ELSE
            PERFORM pg_advisory_lock(1521, p_lockid);
        END IF;
        v_result := 0;
    EXCEPTION
        WHEN lock_not_available THEN
            v_result := 1;
        WHEN deadlock_detected THEN
            v_result := 2;
    END;
    PERFORM set_config('lock_timeout', v_callers_lock_timeout, true);
    RETURN v_result;
END;
$$;

-- dbms_lock.request: DBMS_LOCK.REQUEST(id, lockmode, timeout, release_on_commit) RETURN INTEGER: take
-- the lock numbered id. Returns 0 granted, 1 timeout, 2 deadlock, 3 parameter error, 4 already held
-- by this session.
--   id                 the lock number, 0 .. 1999999999 (0 .. 1073741823 are the user's own numbers)
--   lockmode           NL_MODE .. X_MODE (default X_MODE)
--   timeout            seconds to wait (default MAXWAIT: for ever; 0: do not wait)
--   release_on_commit  release at COMMIT / ROLLBACK (default false: at RELEASE or the session's end)
CREATE OR REPLACE FUNCTION dbms_lock.request(id numeric, lockmode integer DEFAULT 6, timeout numeric DEFAULT 32767,
                                             release_on_commit boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF id IS NULL OR id <> trunc(id) OR id NOT BETWEEN 0 AND 1999999999 OR lockmode IS NULL
       OR lockmode NOT BETWEEN 1 AND 6 OR timeout < 0 THEN
        RETURN 3;
    END IF;
    RETURN dbms_lock.request_lock(id::integer, lockmode, coalesce(timeout, 32767), coalesce(release_on_commit, false));
END;
$$;

-- dbms_lock.request: DBMS_LOCK.REQUEST(lockhandle, lockmode, timeout, release_on_commit) RETURN INTEGER:
-- take the lock of a handle ALLOCATE_UNIQUE gave. Returns as REQUEST(id, ...), and 5 for a handle
-- ALLOCATE_UNIQUE did not give.
--   lockhandle         the handle
--   lockmode, timeout, release_on_commit  as REQUEST(id, ...)
CREATE OR REPLACE FUNCTION dbms_lock.request(lockhandle varchar, lockmode integer DEFAULT 6,
                                             timeout numeric DEFAULT 32767, release_on_commit boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF dbms_lock.handle_lockid(lockhandle) IS NULL THEN
        RETURN 5;
    END IF;
    RETURN dbms_lock.request(dbms_lock.handle_lockid(lockhandle)::numeric, lockmode, timeout, release_on_commit);
END;
$$;

-- dbms_lock.release: DBMS_LOCK.RELEASE(id) RETURN INTEGER: release the lock numbered id. Returns 0
-- released, 3 parameter error, 4 not held by this session. A lock taken with release_on_commit =>
-- TRUE cannot be released before COMMIT / ROLLBACK in PostgreSQL (Oracle releases it): an error
-- (0A000) says so rather than returning 0 with the lock still held.
--   id  the lock number
CREATE OR REPLACE FUNCTION dbms_lock.release(id numeric)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_mode text;
    v_released boolean;
    v_callers_messages text;
BEGIN
    IF id IS NULL OR id <> trunc(id) OR id NOT BETWEEN 0 AND 1999999999 THEN
        RETURN 3;
    END IF;
    v_mode := dbms_lock.held_mode(id::integer);
    IF v_mode IS NULL THEN
        RETURN 4;
    END IF;
    -- a transaction-level lock is not a session-level one: PostgreSQL warns and returns false
    v_callers_messages := current_setting('client_min_messages');
    PERFORM set_config('client_min_messages', 'error', true);
    v_released := CASE WHEN v_mode = 'ShareLock' THEN pg_advisory_unlock_shared(1521, id::integer)
                       ELSE pg_advisory_unlock(1521, id::integer) END;
    PERFORM set_config('client_min_messages', v_callers_messages, true);
    IF NOT v_released THEN
        RAISE EXCEPTION 'DBMS_LOCK.RELEASE: lock % was requested with release_on_commit => TRUE: PostgreSQL releases it only at COMMIT or ROLLBACK', id
            USING ERRCODE = 'feature_not_supported';
    END IF;
    RETURN 0;
END;
$$;

-- dbms_lock.release: DBMS_LOCK.RELEASE(lockhandle) RETURN INTEGER: release the lock of a handle.
-- Returns as RELEASE(id), and 5 for a handle ALLOCATE_UNIQUE did not give.
--   lockhandle  the handle
CREATE OR REPLACE FUNCTION dbms_lock.release(lockhandle varchar)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF dbms_lock.handle_lockid(lockhandle) IS NULL THEN
        RETURN 5;
    END IF;
    RETURN dbms_lock.release(dbms_lock.handle_lockid(lockhandle)::numeric);
END;
$$;

-- V$LOCK: the DBMS_LOCK user locks (TYPE 'UL') held or awaited by the sessions of this database
-- (Oracle's other lock types, TM and TX, are PostgreSQL's table and transaction locks: not shown).
-- Columns: SID (the backend's process id, SYS_CONTEXT('USERENV', 'SID')), TYPE ('UL'), ID1 (the lock
-- number), ID2 (0), LMODE (the mode held: 6 exclusive, 4 shared, 0 while waiting), REQUEST (the mode
-- awaited, 0 when held), CTIME (seconds waited so far, 0 when held: PostgreSQL does not record when a
-- lock was granted), BLOCK (1 when a held lock makes another session wait).
CREATE OR REPLACE VIEW public."v$lock" AS
SELECT l.pid::integer AS sid,
       'UL'::varchar(2) AS type,
       l.objid::bigint AS id1,
       0::bigint AS id2,
       (CASE WHEN NOT l.granted THEN 0 WHEN l.mode = 'ExclusiveLock' THEN 6 ELSE 4 END)::integer AS lmode,
       (CASE WHEN l.granted THEN 0 WHEN l.mode = 'ExclusiveLock' THEN 6 ELSE 4 END)::integer AS request,
       (CASE WHEN l.granted THEN 0 ELSE floor(extract(epoch FROM clock_timestamp() - l.waitstart)) END)::integer AS ctime,
       (CASE WHEN l.granted AND EXISTS (SELECT 1 FROM pg_locks w
                                         WHERE w.locktype = 'advisory' AND w.database = l.database
                                           AND w.classid = l.classid AND w.objid = l.objid
                                           AND w.objsubid = l.objsubid AND NOT w.granted)
             THEN 1 ELSE 0 END)::integer AS block
  FROM pg_locks l
 WHERE l.locktype = 'advisory' AND l.classid = 1521 AND l.objsubid = 2
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database());

-- ====================================================================================================
-- DBMS_SCHEDULER (CREATE_JOB, DROP_JOB) with USER_SCHEDULER_JOBS. The jobs are recorded, not run:
-- PostgreSQL has no job scheduler of its own (pandadb's scheduler service or pg_cron run the
-- registry there); what the twin's load_scheduled_jobs defines can be read back and compared.
-- ====================================================================================================

CREATE SCHEMA IF NOT EXISTS dbms_scheduler;

-- dbms_scheduler.jobs: the jobs CREATE_JOB defined (read through USER_SCHEDULER_JOBS). Storage of the
-- emulation, not an Oracle object.
CREATE TABLE IF NOT EXISTS dbms_scheduler.jobs (
    owner varchar(128) NOT NULL,
    job_name varchar(128) NOT NULL,
    job_type varchar(16),
    job_action text,
    number_of_arguments integer NOT NULL,
    start_date timestamp with time zone,
    repeat_interval varchar(4000),
    end_date timestamp with time zone,
    job_class varchar(128),
    enabled boolean NOT NULL,
    auto_drop boolean NOT NULL,
    comments varchar(4000),
    PRIMARY KEY (owner, job_name)
);

-- dbms_scheduler.job_name_parts: 'OWNER.NAME' or 'NAME' as Oracle reads an unquoted job name (upper
-- case; the owner defaults to the current schema). Helper, not an Oracle member.
--   p_job_name  the job name as given to CREATE_JOB / DROP_JOB
CREATE OR REPLACE FUNCTION dbms_scheduler.job_name_parts(p_job_name varchar, OUT owner varchar, OUT job_name varchar)
LANGUAGE sql STABLE AS $$
    SELECT upper(CASE WHEN position('.' IN p_job_name) > 0 THEN split_part(p_job_name, '.', 1) ELSE current_schema() END),
           upper(CASE WHEN position('.' IN p_job_name) > 0 THEN split_part(p_job_name, '.', 2) ELSE p_job_name END)
$$;

-- dbms_scheduler.create_job: DBMS_SCHEDULER.CREATE_JOB(job_name, job_type, job_action, ...): define a
-- job (the PL/SQL block / stored procedure form). ORA-27477 (SQLSTATE 42710) when the job exists.
--   job_name             '[OWNER.]NAME'
--   job_type             'PLSQL_BLOCK', 'STORED_PROCEDURE', ...
--   job_action           the block or the procedure's name
--   number_of_arguments  of a stored procedure (default 0)
--   start_date, repeat_interval, end_date  the calendar (repeat_interval: 'FREQ=...;INTERVAL=...')
--   job_class            default 'DEFAULT_JOB_CLASS'
--   enabled              default false
--   auto_drop            default true
--   comments             free text
CREATE OR REPLACE PROCEDURE dbms_scheduler.create_job(
    job_name varchar, job_type varchar, job_action varchar, number_of_arguments integer DEFAULT 0,
    start_date timestamp with time zone DEFAULT NULL, repeat_interval varchar DEFAULT NULL,
    end_date timestamp with time zone DEFAULT NULL, job_class varchar DEFAULT 'DEFAULT_JOB_CLASS',
    enabled boolean DEFAULT false, auto_drop boolean DEFAULT true, comments varchar DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    v_name record := dbms_scheduler.job_name_parts(job_name);
BEGIN
    IF job_name IS NULL OR job_type IS NULL OR job_action IS NULL THEN
        RAISE EXCEPTION 'DBMS_SCHEDULER.CREATE_JOB: job_name, job_type and job_action must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO dbms_scheduler.jobs (owner, job_name, job_type, job_action, number_of_arguments, start_date,
                                     repeat_interval, end_date, job_class, enabled, auto_drop, comments)
    VALUES (v_name.owner, v_name.job_name, upper(job_type), job_action, coalesce(number_of_arguments, 0),
            start_date, repeat_interval, end_date, job_class, coalesce(enabled, false), coalesce(auto_drop, true),
            comments);
EXCEPTION
    WHEN unique_violation THEN
        RAISE EXCEPTION 'ORA-27477: "%"."%" already exists', v_name.owner, v_name.job_name
            USING ERRCODE = 'duplicate_object';
END;
$$;

-- dbms_scheduler.drop_job: DBMS_SCHEDULER.DROP_JOB(job_name, force, defer, commit_semantics): remove a
-- job. ORA-27475 (SQLSTATE 42704) when there is no such job.
--   job_name          '[OWNER.]NAME' (Oracle also takes a comma-separated list: so does this)
--   force, defer      stop a running job first / when it ends (no job runs here: no effect)
--   commit_semantics  default 'STOP_ON_FIRST_ERROR'
CREATE OR REPLACE PROCEDURE dbms_scheduler.drop_job(job_name varchar, force boolean DEFAULT false,
                                                    defer boolean DEFAULT false,
                                                    commit_semantics varchar DEFAULT 'STOP_ON_FIRST_ERROR')
LANGUAGE plpgsql AS $$
DECLARE
    v_item text;
    v_name record;
BEGIN
    FOREACH v_item IN ARRAY string_to_array(job_name, ',') LOOP
        v_name := dbms_scheduler.job_name_parts(trim(v_item));
        DELETE FROM dbms_scheduler.jobs j WHERE j.owner = v_name.owner AND j.job_name = v_name.job_name;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ORA-27475: unknown job "%"."%"', v_name.owner, v_name.job_name
                USING ERRCODE = 'undefined_object';
        END IF;
    END LOOP;
END;
$$;

-- USER_SCHEDULER_JOBS: the jobs CREATE_JOB defined (the scratch database stands for one Oracle
-- user, the twin's schema: every job is shown).
-- Columns: JOB_NAME, JOB_TYPE, JOB_ACTION, NUMBER_OF_ARGUMENTS, START_DATE, REPEAT_INTERVAL, END_DATE,
-- JOB_CLASS, ENABLED ('TRUE'/'FALSE'), AUTO_DROP ('TRUE'/'FALSE'), STATE ('SCHEDULED'/'DISABLED'),
-- COMMENTS.
CREATE OR REPLACE VIEW public.user_scheduler_jobs AS
SELECT j.job_name, j.job_type, j.job_action, j.number_of_arguments, j.start_date, j.repeat_interval, j.end_date,
       j.job_class,
       (CASE WHEN j.enabled THEN 'TRUE' ELSE 'FALSE' END)::varchar(5) AS enabled,
       (CASE WHEN j.auto_drop THEN 'TRUE' ELSE 'FALSE' END)::varchar(5) AS auto_drop,
       (CASE WHEN j.enabled THEN 'SCHEDULED' ELSE 'DISABLED' END)::varchar(15) AS state,
       j.comments
  FROM dbms_scheduler.jobs j;

-- ====================================================================================================
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
-- (procedure_patches.py oracle_search_path), so text || text resolves to this operator in them only.
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
-- writes every one-argument TRUNC as date_trunc('day', x); on a number it is trunc(n). (procedure_patches.py
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
-- RAISE_APPLICATION_ERROR at run time (procedure_patches.py computed_error_number_as_sqlstate): the
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
-- Dynamic SQL. The twin builds SQL text at run time (EXECUTE IMMEDIATE, OPEN ... FOR): ora2pg cannot
-- convert text it never sees, so procedure_patches.py dynamic_sql_translated passes every EXECUTE's text
-- through oracle_dynamic_sql, which rewrites the Oracle-only parts the twin's dynamic SQL uses.
-- ====================================================================================================

-- oracle_sql_closing: the position of the ')' closing the '(' at p_open in p_sql (string literals and
-- quoted names skipped); 0 when unbalanced. Helper of oracle_dynamic_sql, not an Oracle object.
--   p_sql   SQL text
--   p_open  position of a '('
CREATE OR REPLACE FUNCTION doma_panda.oracle_sql_closing(p_sql text, p_open integer)
RETURNS integer LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    v_depth integer := 0;
    v_i integer := p_open;
    v_char text;
BEGIN
    WHILE v_i <= length(p_sql) LOOP
        v_char := substr(p_sql, v_i, 1);
        IF v_char IN ('''', '"') THEN
            v_i := strpos(substr(p_sql, v_i + 1), v_char) + v_i;  -- '' inside a literal: two literals, same depth
        ELSIF v_char = '(' THEN
            v_depth := v_depth + 1;
        ELSIF v_char = ')' THEN
            v_depth := v_depth - 1;
            IF v_depth = 0 THEN
                RETURN v_i;
            END IF;
        END IF;
        v_i := v_i + 1;
    END LOOP;
    RETURN 0;
END;
$$;

-- oracle_sql_split: p_sql split at its top-level commas (not inside brackets, literals or quoted names).
-- Helper of oracle_dynamic_sql, not an Oracle object.
--   p_sql  SQL text (an argument list)
CREATE OR REPLACE FUNCTION doma_panda.oracle_sql_split(p_sql text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    v_parts text[] := '{}';
    v_depth integer := 0;
    v_start integer := 1;
    v_i integer := 1;
    v_char text;
BEGIN
    WHILE v_i <= length(p_sql) LOOP
        v_char := substr(p_sql, v_i, 1);
        IF v_char IN ('''', '"') THEN
            v_i := strpos(substr(p_sql, v_i + 1), v_char) + v_i;
        ELSIF v_char = '(' THEN
            v_depth := v_depth + 1;
        ELSIF v_char = ')' THEN
            v_depth := v_depth - 1;
        ELSIF v_char = ',' AND v_depth = 0 THEN
            v_parts := v_parts || btrim(substr(p_sql, v_start, v_i - v_start));
            v_start := v_i + 1;
        END IF;
        v_i := v_i + 1;
    END LOOP;
    RETURN v_parts || btrim(substr(p_sql, v_start));
END;
$$;

-- oracle_partition_sql: Oracle's partition syntax in dynamic SQL, as PostgreSQL says it (a partition is a
-- table of its own there, in its parent's schema, named as the dictionary views list it, lower case):
--   * OWNER.TABLE PARTITION (NAME) (a partition-extended table name: the rows of that partition) is
--     OWNER.name, the partition's table;
--   * ALTER TABLE OWNER.TABLE DROP PARTITION NAME [UPDATE INDEXES] (the partition and its rows go; the
--     indexes stay usable) is DROP TABLE OWNER.name;
--   * DELETE FROM t alias WHERE c AND ROWNUM <= n (at most n of the rows satisfying c) deletes the rows
--     whose (tableoid, ctid) are among the first n such rows;
--   * ALTER SESSION SET DDL_LOCK_TIMEOUT = n (DDL waits up to n seconds for a lock, then ORA-00054) is
--     SET lock_timeout to n seconds, 0 (Oracle's default) RESET lock_timeout;
--   * a quoted upper-case name ("MODIFICATIONTIME", the unquoted name in Oracle) is quoted lower case.
-- Helper of oracle_dynamic_sql, not an Oracle object.
--   p_sql  SQL text (after the bind placeholders are numbered)
CREATE OR REPLACE FUNCTION doma_panda.oracle_partition_sql(p_sql text)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    v_sql text := p_sql;
    v_match text[];
    v_name text := '[A-Za-z_][A-Za-z0-9_$#]*';
BEGIN
    v_match := regexp_match(v_sql, '^\s*ALTER\s+SESSION\s+SET\s+DDL_LOCK_TIMEOUT\s*=\s*([0-9]+)\s*$', 'i');
    IF v_match IS NOT NULL THEN
        RETURN CASE WHEN v_match[1]::integer = 0 THEN 'RESET lock_timeout'
                    ELSE format('SET lock_timeout = %L', v_match[1] || 's') END;
    END IF;
    v_match := regexp_match(v_sql, '^\s*ALTER\s+TABLE\s+(' || v_name || ')\.("?' || v_name
                                   || '"?)\s+DROP\s+PARTITION\s+("?' || v_name || '"?)(\s+UPDATE\s+(GLOBAL\s+)?INDEXES)?\s*$', 'i');
    IF v_match IS NOT NULL THEN
        RETURN format('DROP TABLE %s.%I', v_match[1], lower(btrim(v_match[3], '"')));
    END IF;
    LOOP
        v_match := regexp_match(v_sql, '(' || v_name || ')\.("?' || v_name || '"?)\s+PARTITION\s*\(\s*("?'
                                       || v_name || '"?)\s*\)', 'i');
        EXIT WHEN v_match IS NULL;
        v_sql := regexp_replace(v_sql, '(' || v_name || ')\.("?' || v_name || '"?)\s+PARTITION\s*\(\s*("?'
                                       || v_name || '"?)\s*\)', v_match[1] || '.' || quote_ident(lower(btrim(v_match[3], '"'))), 'i');
    END LOOP;
    -- a quoted upper-case name is the unquoted name in Oracle ("MODIFICATIONTIME"): PostgreSQL's is lower case
    -- (two characters at least: the "T" of a date format 'YYYY-MM-DD"T"HH24:MI:SS' in a literal is no name)
    LOOP
        v_match := regexp_match(v_sql, '"([A-Z][A-Z0-9_$#]+)"');
        EXIT WHEN v_match IS NULL;
        v_sql := replace(v_sql, '"' || v_match[1] || '"', '"' || lower(v_match[1]) || '"');
    END LOOP;
    v_match := regexp_match(v_sql, '^\s*DELETE\s+FROM\s+(\S+)\s+(' || v_name || ')\s+WHERE\s+(.*)\s+AND\s+ROWNUM\s*<=\s*(\S+)\s*$', 'is');
    IF v_match IS NOT NULL THEN
        v_sql := format('DELETE FROM %s %s WHERE (%s.tableoid, %s.ctid) IN (SELECT %s.tableoid, %s.ctid FROM %s %s WHERE %s LIMIT %s)',
                        v_match[1], v_match[2], v_match[2], v_match[2], v_match[2], v_match[2], v_match[1], v_match[2],
                        v_match[3], v_match[4]);
    END IF;
    RETURN v_sql;
END;
$$;

-- oracle_dynamic_sql: the PostgreSQL text of SQL the twin builds at run time (EXECUTE IMMEDIATE, OPEN
-- FOR): bind placeholders :1 / :name become $1, $2... (Oracle binds the USING values by position of
-- occurrence in SQL); FOR UPDATE OF t.column becomes FOR UPDATE OF t; JSON_OBJECT('k' VALUE v, ...
-- [NULL|ABSENT ON NULL] [RETURNING t]) becomes
-- jsonb_build_object calls of at most 50 pairs joined by || (a function takes at most 100 arguments; a
-- job row has more columns); JSON_ARRAYAGG(v [FORMAT JSON] [ORDER BY ...] [RETURNING t]) becomes
-- jsonb_agg. Text without them is returned as it is.
--   p_sql  the SQL text
CREATE OR REPLACE FUNCTION doma_panda.oracle_dynamic_sql(p_sql text)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    v_sql text := p_sql;
    v_out text := '';
    v_i integer := 1;
    v_char text;
    v_end integer;
    v_bind integer := 0;
    v_match text[];
    v_open integer;
    v_close integer;
    v_inner text;
    v_items text[];
    v_pair text[];
    v_chunks text[];
    v_chunk text[];
    v_absent boolean;
    v_value text;
    v_order text;
BEGIN
    IF v_sql IS NULL THEN
        RETURN NULL;
    END IF;
    -- bind placeholders, outside literals and quoted names, not the :: of a cast
    WHILE v_i <= length(v_sql) LOOP
        v_char := substr(v_sql, v_i, 1);
        IF v_char IN ('''', '"') THEN
            v_end := strpos(substr(v_sql, v_i + 1), v_char) + v_i;
            IF v_end = v_i THEN
                v_end := length(v_sql);
            END IF;
            v_out := v_out || substr(v_sql, v_i, v_end - v_i + 1);
            v_i := v_end + 1;
            CONTINUE;
        END IF;
        v_match := regexp_match(substr(v_sql, v_i), '^:([A-Za-z0-9_]+)');
        IF v_match IS NOT NULL AND substr(v_sql, v_i - 1, 1) <> ':' THEN
            v_bind := v_bind + 1;
            v_out := v_out || '$' || v_bind;
            v_i := v_i + 1 + length(v_match[1]);
            CONTINUE;
        END IF;
        v_out := v_out || v_char;
        v_i := v_i + 1;
    END LOOP;
    v_sql := v_out;
    -- Oracle's partition syntax (oracle_partition_sql)
    v_sql := doma_panda.oracle_partition_sql(v_sql);
    -- FOR UPDATE OF t.column (Oracle names a column of each table to lock) is FOR UPDATE OF t
    v_sql := regexp_replace(v_sql, '(FOR\s+UPDATE\s+OF\s+)(\w+)\.\w+', '\1\2', 'gi');
    -- JSON_OBJECT, innermost last: each pass rewrites the first one left
    LOOP
        v_open := position('JSON_OBJECT(' IN upper(v_sql));
        EXIT WHEN v_open = 0;
        v_close := doma_panda.oracle_sql_closing(v_sql, v_open + 11);
        EXIT WHEN v_close = 0;
        v_inner := substr(v_sql, v_open + 12, v_close - v_open - 12);
        v_absent := v_inner ~* '\mABSENT\s+ON\s+NULL\s*(RETURNING\s+\w+(\s*\(\s*\d+\s*\))?\s*)?$';
        v_inner := regexp_replace(v_inner, '(\s+(NULL|ABSENT)\s+ON\s+NULL|\s+RETURNING\s+\w+(\s*\(\s*\d+\s*\))?)+\s*$', '', 'i');
        v_items := doma_panda.oracle_sql_split(v_inner);
        v_chunks := '{}';
        v_chunk := '{}';
        FOR k IN 1 .. coalesce(array_length(v_items, 1), 0) LOOP
            v_pair := regexp_match(v_items[k], '^(.*?)\s+VALUE\s+(.*)$', 'is');
            IF v_pair IS NULL THEN
                v_pair := ARRAY[v_items[k], v_items[k]];
            END IF;
            v_value := v_pair[2];
            IF v_value ~* '\s+FORMAT\s+JSON\s*$' THEN
                v_value := '(' || regexp_replace(v_value, '\s+FORMAT\s+JSON\s*$', '', 'i') || ')::jsonb';
            END IF;
            v_chunk := v_chunk || (regexp_replace(v_pair[1], '^KEY\s+', '', 'i') || ', ' || v_value);
            IF array_length(v_chunk, 1) = 50 OR k = array_length(v_items, 1) THEN
                v_chunks := v_chunks || ('jsonb_build_object(' || array_to_string(v_chunk, ', ') || ')');
                v_chunk := '{}';
            END IF;
        END LOOP;
        v_inner := CASE WHEN coalesce(array_length(v_chunks, 1), 0) = 0 THEN '''{}''::jsonb'
                        ELSE '(' || array_to_string(v_chunks, ' || ') || ')' END;
        IF v_absent THEN
            v_inner := 'jsonb_strip_nulls(' || v_inner || ')';
        END IF;
        v_sql := substr(v_sql, 1, v_open - 1) || v_inner || substr(v_sql, v_close + 1);
    END LOOP;
    -- JSON_ARRAYAGG
    LOOP
        v_open := position('JSON_ARRAYAGG(' IN upper(v_sql));
        EXIT WHEN v_open = 0;
        v_close := doma_panda.oracle_sql_closing(v_sql, v_open + 13);
        EXIT WHEN v_close = 0;
        v_inner := substr(v_sql, v_open + 14, v_close - v_open - 14);
        v_inner := regexp_replace(v_inner, '(\s+(NULL|ABSENT)\s+ON\s+NULL|\s+RETURNING\s+\w+(\s*\(\s*\d+\s*\))?)+\s*$', '', 'i');
        v_match := regexp_match(v_inner, '^(.*?)(\s+ORDER\s+BY\s+.*)?$', 'is');
        v_value := v_match[1];
        v_order := coalesce(v_match[2], '');
        IF v_value ~* '\s+FORMAT\s+JSON\s*$' THEN
            v_value := '(' || regexp_replace(v_value, '\s+FORMAT\s+JSON\s*$', '', 'i') || ')::jsonb';
        END IF;
        v_sql := substr(v_sql, 1, v_open - 1) || 'jsonb_agg(' || v_value || v_order || ')' || substr(v_sql, v_close + 1);
    END LOOP;
    RETURN v_sql;
END;
$$;
