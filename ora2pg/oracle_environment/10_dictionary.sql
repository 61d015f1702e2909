-- Part of the Oracle environment of the converted PL/SQL twin (see 00_base.sql); loaded in file order.

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
