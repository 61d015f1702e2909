-- PL/SQL twin of procedures/postgres/partitions.sql: partition maintenance (seed 004, section 8.4), the
-- Oracle-native way. Same routine names and parameter names as the PL/pgSQL functions, same policy,
-- same rules and messages.
-- Errors: where PostgreSQL raises a SQLSTATE, the twin raises RAISE_APPLICATION_ERROR with the same message:
--   PD001 -> -20001 (not raised here)
--   PD002 -> -20002 (invalid argument)
--   PD003 -> -20003 (unknown table)
-- The mechanism is Oracle's own:
--   * the tables are INTERVAL-partitioned by their DDL (schema/oracle): Oracle creates the partition
--     of a new value when the first row arrives, so there is no default partition to empty and nothing
--     to premake for inserts to work. "Registered" means interval-partitioned (ALL_PART_TABLES.INTERVAL);
--     register_partitioned_table sets the policy's interval (ALTER TABLE ... SET INTERVAL), and
--     unregister_partitioned_table removes it (SET INTERVAL (): plain range partitioning);
--   * premake: the partitions of now + premake intervals (time) or of the highest id's interval +
--     premake (id) are created ahead anyway (LOCK TABLE ... PARTITION FOR (value), which creates an
--     interval partition), so that the first rows of a day never pay for the partition's creation;
--   * names: Oracle names interval partitions SYS_Pnnn; maintenance renames each to the name pg_partman
--     gives it (<table>_pYYYY_MM_DD, <table>_pYYYY_MM, <table>_p<lower id>: partition_child_name), so
--     that partition names, tablepart4copying rows and `pandadb partitions list` read the same in both
--     databases. The id tables start their intervals at 1 (P_INITIAL VALUES LESS THAN (1)), so an id
--     partition's lower bound, and name, is pg_partman's plus one;
--   * retention: partitions whose whole range is older than the policy's retention are dropped
--     (ALTER TABLE ... DROP PARTITION ... UPDATE INDEXES), never the last one, never P_INITIAL (the
--     range section of an interval-partitioned table, which Oracle refuses to drop: ORA-14758);
--   * partition_lift_default_rows / partition_restore_lifted_rows keep their names and answers but have
--     nothing to do: rows never wait in a default partition.
-- The policy is ATLAS_PANDA.PARTITION_POLICY, the twin of doma_panda.partition_policy (revision 0003 loads
-- that one from partitions/policy.tsv; Oracle has no revision 0003): created below when missing and
-- filled by the MERGE below, whose rows are those of partitions/policy.tsv with Oracle's names
-- (tests/test_oracle_procedures_twin.py compares them). pg_partman's part_config has no twin: the table's own
-- interval is the configuration.
-- DDL commits: each table's maintenance is its own transaction (as run_partition_maintenance commits
-- per table in PostgreSQL); the per-table lock is a DBMS_LOCK session lock ('pandadb partition
-- maintenance <table>', PANDADB_SUPPORT), released at the end, because a transaction lock would go at
-- the first DDL.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Types: jsonb is CLOB holding JSON text; text[] and SETOF text are SYS.ODCIVARCHAR2LIST; RETURNS TABLE is a
-- SYS_REFCURSOR; OUT parameters make a procedure; bounds are text ('YYYY-MM-DD HH24:MI:SS' or digits).
-- Tables are named 'OWNER.TABLE' (upper case), partitions lower case as pg_partman's children are.
-- RAISE NOTICE / WARNING are DBMS_OUTPUT lines. Each PL/SQL unit ends with a line holding only '/'.

-- The policy table (the twin of revision 0003's doma_panda.partition_policy), created when missing.
DECLARE
    e_exists EXCEPTION;
    PRAGMA EXCEPTION_INIT(e_exists, -955);
BEGIN
    EXECUTE IMMEDIATE 'CREATE TABLE ATLAS_PANDA.PARTITION_POLICY (
        SCHEMA_NAME VARCHAR2(128) NOT NULL,
        TABLE_NAME VARCHAR2(128) NOT NULL,
        PARTITION_KEY VARCHAR2(128) NOT NULL,
        PARTITION_INTERVAL VARCHAR2(30) NOT NULL,
        PREMAKE NUMBER(10),
        RETENTION VARCHAR2(30),
        HANDLED VARCHAR2(20) NOT NULL,
        CONSTRAINT PARTITION_POLICY_PKEY PRIMARY KEY (SCHEMA_NAME, TABLE_NAME),
        CONSTRAINT PARTITION_POLICY_HANDLED_CHECK CHECK (HANDLED IN (''AUTO'', ''ADD_DAILYPART'', ''MANUAL'', ''STATIC'')),
        CONSTRAINT PARTITION_POLICY_PREMAKE_CHECK CHECK (HANDLED = ''STATIC'' OR PREMAKE > 0))';
EXCEPTION
    WHEN e_exists THEN
        NULL;
END;
/

-- The policy rows: partitions/policy.tsv (schema, table, partition_key, interval, premake, retention,
-- handled) in Oracle's names; re-running updates them, as revision 0003 does.
MERGE INTO ATLAS_PANDA.PARTITION_POLICY p
USING (SELECT 'ATLAS_PANDA' AS SCHEMA_NAME, 'DATASETS' AS TABLE_NAME, 'MODIFICATIONDATE' AS PARTITION_KEY, '1 month' AS PARTITION_INTERVAL, 3 AS PREMAKE, '93 days' AS RETENTION, 'AUTO' AS HANDLED FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'FILESTABLE4', 'MODIFICATIONTIME', '1 day', 3, NULL, 'ADD_DAILYPART' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'HARVESTER_DIALOGS', 'CREATIONTIME', '1 day', 3, '10 days', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'HARVESTER_METRICS', 'CREATION_TIME', '1 day', 3, '7 days', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'HARVESTER_REL_JOBS_WORKERS', 'PANDAID', '100000000', 3, NULL, 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'HARVESTER_WORKERS', 'LASTUPDATE', '1 month', 3, '60 days', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JEDI_DATASET_CONTENTS', 'JEDITASKID', '500000', 3, NULL, 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JEDI_DATASETS', 'JEDITASKID', '500000', 3, NULL, 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JEDI_EVENTS', 'JEDITASKID', '500000', 3, NULL, 'MANUAL' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JEDI_JOB_RETRY_HISTORY', 'INS_UTC_TSTAMP', '1 day', 3, '3 months', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JEDI_JOBPARAMS_TEMPLATE', 'JEDITASKID', '500000', 3, NULL, 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JEDI_OUTPUT_TEMPLATE', 'JEDITASKID', '500000', 3, NULL, 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JEDI_TASKPARAMS', 'JEDITASKID', '500000', 3, NULL, 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JEDI_TASKS', 'JEDITASKID', '500000', 3, NULL, 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JOB_METRICS', 'MODIFICATIONTIME', '1 day', 3, '365 days', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JOBPARAMSTABLE', 'MODIFICATIONTIME', '1 day', 3, NULL, 'ADD_DAILYPART' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JOBS_STATUSLOG', 'MODIFICATIONTIME', '1 day', 3, '93 days', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'JOBSARCHIVED4', 'MODIFICATIONTIME', '1 day', 3, NULL, 'ADD_DAILYPART' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'METATABLE', 'MODIFICATIONTIME', '1 day', 3, NULL, 'ADD_DAILYPART' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'PANDALOG', 'BINTIME', '1 day', 3, '10 days', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'TABLEPART4COPYING', 'COPIED_TO_ARCH', 'values', NULL, NULL, 'STATIC' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'TASK_ATTEMPTS', 'STARTTIME', '1 month', 3, '365 days', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'TASK_METRICS', 'MODIFICATIONTIME', '1 month', 3, '365 days', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'TASKS_STATUSLOG', 'MODIFICATIONTIME', '1 day', 3, '93 days', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDA', 'WORKER_NODE_METRICS', 'TIMESTAMP', '1 day', 3, '365 days', 'AUTO' FROM DUAL
       UNION ALL SELECT 'ATLAS_PANDAMETA', 'USERCACHEUSAGE', 'CREATIONTIME', '1 month', 3, '93 days', 'AUTO' FROM DUAL) s
ON (p.SCHEMA_NAME = s.SCHEMA_NAME AND p.TABLE_NAME = s.TABLE_NAME)
WHEN MATCHED THEN
    UPDATE SET p.PARTITION_KEY = s.PARTITION_KEY, p.PARTITION_INTERVAL = s.PARTITION_INTERVAL, p.PREMAKE = s.PREMAKE,
               p.RETENTION = s.RETENTION, p.HANDLED = s.HANDLED
WHEN NOT MATCHED THEN
    INSERT (SCHEMA_NAME, TABLE_NAME, PARTITION_KEY, PARTITION_INTERVAL, PREMAKE, RETENTION, HANDLED)
    VALUES (s.SCHEMA_NAME, s.TABLE_NAME, s.PARTITION_KEY, s.PARTITION_INTERVAL, s.PREMAKE, s.RETENTION, s.HANDLED);

COMMIT;

-- partition_engine: 'oracle_interval': Oracle's interval partitioning, named and retired by this file
-- (PostgreSQL answers 'pg_partman' or 'pandadb').
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_ENGINE
RETURN VARCHAR2
AS
BEGIN
    RETURN 'oracle_interval';
END PARTITION_ENGINE;
/

-- partition_child_name: the name pg_partman 4.x gives a child (check_name_length(parent, suffix, true)):
-- <parent>_p<suffix>, the parent's name cut so that the whole name fits in 63 bytes (kept in Oracle
-- so that the names are the same in both databases).
--   p_parent_tablename  the parent's table name (no schema)
--   p_suffix            TO_CHAR(lower bound, datetime string) for time, the lower bound for id
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_CHILD_NAME(p_parent_tablename IN VARCHAR2, p_suffix IN VARCHAR2)
RETURN VARCHAR2 DETERMINISTIC
AS
BEGIN
    RETURN LOWER(CASE WHEN LENGTH(p_parent_tablename) + LENGTH(p_suffix) >= 61
                      THEN SUBSTR(p_parent_tablename, 1, 61 - LENGTH(p_suffix)) || '_p' || p_suffix
                      ELSE p_parent_tablename || '_p' || p_suffix END);
END PARTITION_CHILD_NAME;
/

-- partition_is_id_interval: true when a policy interval is a number of ids (id key), false for a time interval.
--   p_partition_interval  the policy's interval: '1 day', '1 month', '500000', ...
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_IS_ID_INTERVAL(p_partition_interval IN VARCHAR2)
RETURN BOOLEAN
AS
BEGIN
    RETURN REGEXP_LIKE(p_partition_interval, '^\s*[0-9]+\s*$');
END PARTITION_IS_ID_INTERVAL;
/

-- partition_datetime_string: pg_partman's suffix format for a time interval ('1 day' -> YYYY_MM_DD,
-- '1 month' -> YYYY_MM); only whole days and months are supported, as in the policy.
--   p_partition_interval  the policy's time interval
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_DATETIME_STRING(p_partition_interval IN VARCHAR2)
RETURN VARCHAR2
AS
    v_interval VARCHAR2(100) := LOWER(REGEXP_REPLACE(TRIM(p_partition_interval), '\s+', ' '));
BEGIN
    IF v_interval IN ('1 day', '1 days', 'day', '24 hours') THEN
        RETURN 'YYYY_MM_DD';
    ELSIF v_interval IN ('1 month', '1 months', 'month', '1 mon', '1 mons') THEN
        RETURN 'YYYY_MM';
    END IF;
    RAISE_APPLICATION_ERROR(-20002, 'partition interval ' || p_partition_interval
                                    || ' is not supported: use 1 day, 1 month or a number of ids');
END PARTITION_DATETIME_STRING;
/

-- partition_time_bucket: the lower bound of the time child holding p_value (day or month start).
--   p_value               a value of the control column
--   p_partition_interval  '1 day' or '1 month'
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_TIME_BUCKET(p_value IN DATE, p_partition_interval IN VARCHAR2)
RETURN DATE
AS
BEGIN
    RETURN TRUNC(p_value, CASE WHEN ATLAS_PANDA.PARTITION_DATETIME_STRING(p_partition_interval) = 'YYYY_MM' THEN 'MM'
                               ELSE 'DD' END);
END PARTITION_TIME_BUCKET;
/

-- partition_policy_for: the policy row of a partitioned table; -20003 when the table has none.
--   p_parent_table  schema-qualified name, e.g. 'ATLAS_PANDA.JOBSARCHIVED4'
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.PARTITION_POLICY_FOR(
    p_parent_table IN VARCHAR2,
    schema_name OUT VARCHAR2, table_name OUT VARCHAR2, partition_key OUT VARCHAR2, partition_interval OUT VARCHAR2,
    premake OUT NUMBER, retention OUT VARCHAR2, handled OUT VARCHAR2)
AS
BEGIN
    SELECT p.SCHEMA_NAME, p.TABLE_NAME, p.PARTITION_KEY, p.PARTITION_INTERVAL, p.PREMAKE, p.RETENTION, p.HANDLED
      INTO schema_name, table_name, partition_key, partition_interval, premake, retention, handled
      FROM ATLAS_PANDA.PARTITION_POLICY p
     WHERE p.SCHEMA_NAME || '.' || p.TABLE_NAME = UPPER(p_parent_table);
EXCEPTION
    WHEN NO_DATA_FOUND THEN
        RAISE_APPLICATION_ERROR(-20003, 'table ' || p_parent_table
            || ' has no partition policy: give a schema-qualified table of partitions/policy.tsv (see pandadb partitions list)');
END PARTITION_POLICY_FOR;
/

-- partition_children: the partitions of a table with their bounds as text (NULL for the open lower end,
-- MAXVALUE and LIST partitions): a cursor of (child_schema, child_table (lower case), is_default 1/0,
-- lower_bound, upper_bound). is_default is the LIST DEFAULT partition (tablepart4copying); P_INITIAL,
-- the range section, is a child like the others (bounds NULL .. its high value).
--   p_parent_table  schema-qualified parent name
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_CHILDREN(p_parent_table IN VARCHAR2)
RETURN SYS_REFCURSOR
AS
    v_owner VARCHAR2(128) := UPPER(REGEXP_SUBSTR(p_parent_table, '^[^.]+'));
    v_table VARCHAR2(128) := UPPER(REGEXP_SUBSTR(p_parent_table, '[^.]+$'));
    v_kind VARCHAR2(30);
    v_names SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_defaults SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_lowers SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_uppers SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_high VARCHAR2(32767);
    v_bound VARCHAR2(100);
    v_previous VARCHAR2(100);
    v_children SYS_REFCURSOR;
BEGIN
    BEGIN
        SELECT PARTITIONING_TYPE INTO v_kind FROM ALL_PART_TABLES WHERE OWNER = v_owner AND TABLE_NAME = v_table;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            v_kind := NULL;
    END;
    FOR p IN (SELECT PARTITION_NAME, HIGH_VALUE FROM ALL_TAB_PARTITIONS
               WHERE TABLE_OWNER = v_owner AND TABLE_NAME = v_table ORDER BY PARTITION_POSITION) LOOP
        v_high := p.HIGH_VALUE;  -- LONG: readable in PL/SQL
        v_bound := NULL;
        IF v_kind = 'RANGE' AND v_high LIKE 'TO_DATE%' THEN
            EXECUTE IMMEDIATE 'SELECT TO_CHAR(' || v_high || ', ''YYYY-MM-DD HH24:MI:SS'') FROM DUAL' INTO v_bound;
        ELSIF v_kind = 'RANGE' AND v_high <> 'MAXVALUE' THEN
            EXECUTE IMMEDIATE 'SELECT TO_CHAR(' || v_high || ') FROM DUAL' INTO v_bound;
        END IF;
        v_names.EXTEND;
        v_names(v_names.COUNT) := LOWER(p.PARTITION_NAME);
        v_defaults.EXTEND;
        v_defaults(v_defaults.COUNT) := CASE WHEN v_kind = 'LIST' AND v_high = 'DEFAULT' THEN 1 ELSE 0 END;
        v_lowers.EXTEND;
        v_lowers(v_lowers.COUNT) := CASE WHEN v_kind = 'RANGE' THEN v_previous END;
        v_uppers.EXTEND;
        v_uppers(v_uppers.COUNT) := v_bound;
        v_previous := v_bound;
    END LOOP;
    OPEN v_children FOR
        SELECT v_owner AS child_schema, n.COLUMN_VALUE AS child_table, d.COLUMN_VALUE AS is_default,
               l.COLUMN_VALUE AS lower_bound, u.COLUMN_VALUE AS upper_bound
          FROM (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_names)) n
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_defaults)) d ON d.k = n.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_lowers)) l ON l.k = n.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_uppers)) u ON u.k = n.k
         ORDER BY n.k;
    RETURN v_children;
END PARTITION_CHILDREN;
/

-- partition_default_name: the default partition of a table, 'OWNER.TABLE PARTITION (NAME)' (NULL when it
-- has none: every interval-partitioned table; only the LIST table tablepart4copying has one).
--   p_parent_table  schema-qualified parent name
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_DEFAULT_NAME(p_parent_table IN VARCHAR2)
RETURN VARCHAR2
AS
    v_children SYS_REFCURSOR := ATLAS_PANDA.PARTITION_CHILDREN(p_parent_table);
    v_schema VARCHAR2(128);
    v_child VARCHAR2(128);
    v_is_default NUMBER;
    v_lower VARCHAR2(100);
    v_upper VARCHAR2(100);
    v_default VARCHAR2(400);
BEGIN
    LOOP
        FETCH v_children INTO v_schema, v_child, v_is_default, v_lower, v_upper;
        EXIT WHEN v_children%NOTFOUND;
        IF v_is_default = 1 THEN
            v_default := UPPER(p_parent_table) || ' PARTITION (' || UPPER(v_child) || ')';
        END IF;
    END LOOP;
    CLOSE v_children;
    RETURN v_default;
END PARTITION_DEFAULT_NAME;
/

-- partition_column_list: the table's stored columns (no virtual ones), quoted, in order.
--   p_table  schema-qualified table name
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_COLUMN_LIST(p_table IN VARCHAR2)
RETURN VARCHAR2
AS
    v_list VARCHAR2(32767);
BEGIN
    SELECT LISTAGG('"' || COLUMN_NAME || '"', ', ') WITHIN GROUP (ORDER BY COLUMN_ID) INTO v_list
      FROM ALL_TAB_COLS
     WHERE OWNER = UPPER(REGEXP_SUBSTR(p_table, '^[^.]+')) AND TABLE_NAME = UPPER(REGEXP_SUBSTR(p_table, '[^.]+$'))
       AND HIDDEN_COLUMN = 'NO' AND VIRTUAL_COLUMN = 'NO';
    RETURN v_list;
END PARTITION_COLUMN_LIST;
/

-- partition_is_registered: whether Oracle maintains the table's partitions itself (it is
-- interval-partitioned: ALL_PART_TABLES.INTERVAL is set).
--   p_parent_table  schema-qualified parent name
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_IS_REGISTERED(p_parent_table IN VARCHAR2)
RETURN BOOLEAN
AS
    v_count PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO v_count FROM ALL_PART_TABLES
     WHERE OWNER = UPPER(REGEXP_SUBSTR(p_parent_table, '^[^.]+'))
       AND TABLE_NAME = UPPER(REGEXP_SUBSTR(p_parent_table, '[^.]+$')) AND INTERVAL IS NOT NULL;
    RETURN v_count > 0;
END PARTITION_IS_REGISTERED;
/

-- create_partition_child: make sure the interval partition whose range starts at p_lower_bound exists
-- and carries pg_partman's name: LOCK TABLE ... PARTITION FOR (bound) creates it when missing, RENAME
-- PARTITION FOR (bound) names it. Returns true when a partition of that name did not exist before.
--   p_parent_table  schema-qualified parent name (must have a policy)
--   p_lower_bound   the range start: a day/month start 'YYYY-MM-DD[ HH24:MI:SS]' (time) or an id
CREATE OR REPLACE FUNCTION ATLAS_PANDA.CREATE_PARTITION_CHILD(p_parent_table IN VARCHAR2, p_lower_bound IN VARCHAR2)
RETURN BOOLEAN
AS
    v_schema VARCHAR2(128); v_table VARCHAR2(128); v_key VARCHAR2(128); v_interval VARCHAR2(30);
    v_premake NUMBER; v_retention VARCHAR2(30); v_handled VARCHAR2(20);
    v_child VARCHAR2(128);
    v_value VARCHAR2(200);
    v_count PLS_INTEGER;
BEGIN
    ATLAS_PANDA.PARTITION_POLICY_FOR(p_parent_table, v_schema, v_table, v_key, v_interval, v_premake, v_retention, v_handled);
    IF ATLAS_PANDA.PARTITION_IS_ID_INTERVAL(v_interval) THEN
        v_child := ATLAS_PANDA.PARTITION_CHILD_NAME(v_table, TO_CHAR(TRUNC(TO_NUMBER(p_lower_bound))));
        v_value := TO_CHAR(TRUNC(TO_NUMBER(p_lower_bound)));
    ELSE
        v_child := ATLAS_PANDA.PARTITION_CHILD_NAME(v_table, TO_CHAR(PANDADB_SUPPORT.to_date_value(p_lower_bound),
                       ATLAS_PANDA.PARTITION_DATETIME_STRING(v_interval)));
        v_value := 'TO_DATE(''' || TO_CHAR(PANDADB_SUPPORT.to_date_value(p_lower_bound), 'YYYY-MM-DD HH24:MI:SS')
                   || ''', ''YYYY-MM-DD HH24:MI:SS'')';
    END IF;
    SELECT COUNT(*) INTO v_count FROM ALL_TAB_PARTITIONS
     WHERE TABLE_OWNER = v_schema AND TABLE_NAME = v_table AND PARTITION_NAME = UPPER(v_child);
    IF v_count > 0 THEN
        RETURN FALSE;
    END IF;
    -- creates the interval partition of the value if it does not exist yet (ends the transaction)
    EXECUTE IMMEDIATE 'LOCK TABLE ' || v_schema || '.' || v_table || ' PARTITION FOR (' || v_value || ') IN SHARE MODE';
    COMMIT;
    EXECUTE IMMEDIATE 'ALTER TABLE ' || v_schema || '.' || v_table || ' RENAME PARTITION FOR (' || v_value || ') TO "'
                      || UPPER(v_child) || '"';
    RETURN TRUE;
END CREATE_PARTITION_CHILD;
/

-- create_partition_for_value: create (if missing) the partition that holds p_value and return its name,
-- e.g. to prepare old days before a bulk load.
--   p_parent_table  schema-qualified parent name (must have a policy)
--   p_value         a value of the control column, as text ('2026-01-01 10:00:00' or '1234567')
CREATE OR REPLACE FUNCTION ATLAS_PANDA.CREATE_PARTITION_FOR_VALUE(p_parent_table IN VARCHAR2, p_value IN VARCHAR2)
RETURN VARCHAR2
AS
    v_schema VARCHAR2(128); v_table VARCHAR2(128); v_key VARCHAR2(128); v_interval VARCHAR2(30);
    v_premake NUMBER; v_retention VARCHAR2(30); v_handled VARCHAR2(20);
    v_lower VARCHAR2(100);
    v_created BOOLEAN;
    v_name VARCHAR2(128);
BEGIN
    ATLAS_PANDA.PARTITION_POLICY_FOR(p_parent_table, v_schema, v_table, v_key, v_interval, v_premake, v_retention, v_handled);
    IF v_handled = 'STATIC' THEN
        RAISE_APPLICATION_ERROR(-20002, 'table ' || p_parent_table || ' has static partitions');
    END IF;
    IF ATLAS_PANDA.PARTITION_IS_ID_INTERVAL(v_interval) THEN
        -- Oracle's id intervals start at 1 (P_INITIAL VALUES LESS THAN (1))
        v_lower := TO_CHAR(TO_NUMBER(p_value) - MOD(TO_NUMBER(p_value) - 1, TO_NUMBER(v_interval)));
        v_name := ATLAS_PANDA.PARTITION_CHILD_NAME(v_table, v_lower);
    ELSE
        v_lower := TO_CHAR(ATLAS_PANDA.PARTITION_TIME_BUCKET(PANDADB_SUPPORT.to_date_value(p_value), v_interval),
                           'YYYY-MM-DD HH24:MI:SS');
        v_name := ATLAS_PANDA.PARTITION_CHILD_NAME(v_table, TO_CHAR(PANDADB_SUPPORT.to_date_value(v_lower),
                                                                    ATLAS_PANDA.PARTITION_DATETIME_STRING(v_interval)));
    END IF;
    v_created := ATLAS_PANDA.CREATE_PARTITION_CHILD(p_parent_table, v_lower);
    RETURN v_name;
END CREATE_PARTITION_FOR_VALUE;
/

-- partition_lift_default_rows: PostgreSQL moves the rows of the default partition aside before it
-- creates the children they belong to. Oracle's interval partitioning puts every row in its own
-- partition at once: there is nothing to lift. Returns NULL (no holding table).
--   p_parent_table  schema-qualified parent name (must have a policy)
--   p_only_bucket   ignored (see above)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_LIFT_DEFAULT_ROWS(p_parent_table IN VARCHAR2,
                                                                  p_only_bucket IN VARCHAR2 DEFAULT NULL)
RETURN VARCHAR2
AS
    v_schema VARCHAR2(128); v_table VARCHAR2(128); v_key VARCHAR2(128); v_interval VARCHAR2(30);
    v_premake NUMBER; v_retention VARCHAR2(30); v_handled VARCHAR2(20);
BEGIN
    ATLAS_PANDA.PARTITION_POLICY_FOR(p_parent_table, v_schema, v_table, v_key, v_interval, v_premake, v_retention, v_handled);
    RETURN NULL;
END PARTITION_LIFT_DEFAULT_ROWS;
/

-- partition_restore_lifted_rows: the other half of partition_lift_default_rows: nothing was lifted.
-- Returns {"rows_moved": 0, "rows_left_in_default": 0, "created": []}.
--   p_parent_table    schema-qualified parent name
--   p_holding_table   what partition_lift_default_rows returned (NULL)
--   p_create_children ignored
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_RESTORE_LIFTED_ROWS(p_parent_table IN VARCHAR2, p_holding_table IN VARCHAR2,
                                                                    p_create_children IN BOOLEAN DEFAULT TRUE)
RETURN CLOB
AS
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    v_result.put('rows_moved', 0);
    v_result.put('rows_left_in_default', 0);
    v_result.put('created', JSON_ARRAY_T());
    RETURN v_result.to_clob();
END PARTITION_RESTORE_LIFTED_ROWS;
/

-- partition_own_create_parent: pg_partman's create_parent() for Oracle: the table is partitioned by
-- its DDL; this creates and names the partitions from the interval of p_start_partition up to now +
-- premake intervals (time) or premake intervals after it (id).
--   p_parent_table       schema-qualified parent name (must have a policy)
--   p_start_partition    the first value to cover (time or id, as text)
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.PARTITION_OWN_CREATE_PARENT(p_parent_table IN VARCHAR2, p_start_partition IN VARCHAR2)
AS
    v_schema VARCHAR2(128); v_table VARCHAR2(128); v_key VARCHAR2(128); v_interval VARCHAR2(30);
    v_premake NUMBER; v_retention VARCHAR2(30); v_handled VARCHAR2(20);
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_base DATE;
    v_start NUMBER;
    v_created BOOLEAN;
BEGIN
    ATLAS_PANDA.PARTITION_POLICY_FOR(p_parent_table, v_schema, v_table, v_key, v_interval, v_premake, v_retention, v_handled);
    IF ATLAS_PANDA.PARTITION_IS_ID_INTERVAL(v_interval) THEN
        v_start := TO_NUMBER(p_start_partition) - MOD(TO_NUMBER(p_start_partition) - 1, TO_NUMBER(v_interval));
        FOR i IN 0 .. v_premake LOOP
            v_created := ATLAS_PANDA.CREATE_PARTITION_CHILD(p_parent_table, TO_CHAR(GREATEST(v_start, 1) + TO_NUMBER(v_interval) * i));
        END LOOP;
    ELSE
        v_base := ATLAS_PANDA.PARTITION_TIME_BUCKET(PANDADB_SUPPORT.to_date_value(p_start_partition), v_interval);
        WHILE v_base < CASE WHEN ATLAS_PANDA.PARTITION_DATETIME_STRING(v_interval) = 'YYYY_MM'
                            THEN ADD_MONTHS(v_now, v_premake) ELSE v_now + v_premake END LOOP
            v_created := ATLAS_PANDA.CREATE_PARTITION_CHILD(p_parent_table, TO_CHAR(v_base, 'YYYY-MM-DD HH24:MI:SS'));
            v_base := CASE WHEN ATLAS_PANDA.PARTITION_DATETIME_STRING(v_interval) = 'YYYY_MM'
                           THEN ADD_MONTHS(v_base, 1) ELSE v_base + 1 END;
        END LOOP;
    END IF;
END PARTITION_OWN_CREATE_PARENT;
/

-- partition_own_run_maintenance: pg_partman's run_maintenance(parent) for Oracle: drop the partitions
-- whose whole range is older than retention (never the last one, never P_INITIAL), premake the
-- partitions up to now + premake intervals (time) or premake intervals past the highest id (id), and
-- give every partition Oracle created for an insert (SYS_Pnnn) its pg_partman name.
--   p_parent_table  schema-qualified parent name, interval-partitioned
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.PARTITION_OWN_RUN_MAINTENANCE(p_parent_table IN VARCHAR2)
AS
    v_schema VARCHAR2(128); v_table VARCHAR2(128); v_key VARCHAR2(128); v_interval VARCHAR2(30);
    v_premake NUMBER; v_retention VARCHAR2(30); v_handled VARCHAR2(20);
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_monthly BOOLEAN;
    v_children SYS_REFCURSOR;
    v_child_schema VARCHAR2(128);
    v_child VARCHAR2(128);
    v_is_default NUMBER;
    v_lower VARCHAR2(100);
    v_upper VARCHAR2(100);
    v_expired SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_unnamed SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_unnamed_lower SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_count NUMBER := 0;
    v_keep_after DATE;
    v_max_id NUMBER;
    v_bucket DATE;
    v_created BOOLEAN;
    v_retention_amount NUMBER;
    v_retention_unit VARCHAR2(20);
    v_retention_start DATE;  -- now - retention ('93 days', '3 months', '1 year')
BEGIN
    ATLAS_PANDA.PARTITION_POLICY_FOR(p_parent_table, v_schema, v_table, v_key, v_interval, v_premake, v_retention, v_handled);
    IF NOT ATLAS_PANDA.PARTITION_IS_REGISTERED(p_parent_table) THEN
        RAISE_APPLICATION_ERROR(-20003, 'table ' || p_parent_table || ' is not registered for partition maintenance');
    END IF;
    v_retention_amount := TO_NUMBER(REGEXP_SUBSTR(v_retention, '[0-9]+'));
    v_retention_unit := LOWER(REGEXP_SUBSTR(v_retention, '[a-zA-Z]+'));
    v_retention_start := CASE WHEN v_retention_unit LIKE 'mon%' THEN ADD_MONTHS(v_now, -v_retention_amount)
                              WHEN v_retention_unit LIKE 'year%' THEN ADD_MONTHS(v_now, -12 * v_retention_amount)
                              WHEN v_retention_unit LIKE 'week%' THEN v_now - 7 * v_retention_amount
                              ELSE v_now - v_retention_amount END;
    v_children := ATLAS_PANDA.PARTITION_CHILDREN(p_parent_table);
    LOOP
        FETCH v_children INTO v_child_schema, v_child, v_is_default, v_lower, v_upper;
        EXIT WHEN v_children%NOTFOUND;
        CONTINUE WHEN v_lower IS NULL;  -- P_INITIAL, the range section
        v_count := v_count + 1;
        IF v_child LIKE 'sys\_p%' ESCAPE '\' THEN
            v_unnamed.EXTEND;
            v_unnamed(v_unnamed.COUNT) := v_child;
            v_unnamed_lower.EXTEND;
            v_unnamed_lower(v_unnamed_lower.COUNT) := v_lower;
        END IF;
        IF v_retention IS NOT NULL AND NOT ATLAS_PANDA.PARTITION_IS_ID_INTERVAL(v_interval)
           AND TO_DATE(v_upper, 'YYYY-MM-DD HH24:MI:SS') < v_retention_start THEN
            v_expired.EXTEND;
            v_expired(v_expired.COUNT) := v_child;
        END IF;
    END LOOP;
    CLOSE v_children;

    -- names first (renaming a partition that is dropped next is harmless)
    FOR i IN 1 .. v_unnamed.COUNT LOOP
        v_created := ATLAS_PANDA.CREATE_PARTITION_CHILD(p_parent_table, v_unnamed_lower(i));
    END LOOP;
    -- retention: oldest first, never the last partition
    FOR i IN 1 .. v_expired.COUNT LOOP
        IF v_count <= 1 THEN
            DBMS_OUTPUT.PUT_LINE('WARNING: retention would drop the last partition of ' || p_parent_table || ': kept');
            EXIT;
        END IF;
        BEGIN
            EXECUTE IMMEDIATE 'ALTER TABLE ' || v_schema || '.' || v_table || ' DROP PARTITION "' || UPPER(v_expired(i))
                              || '" UPDATE INDEXES';
            v_count := v_count - 1;
        EXCEPTION
            WHEN OTHERS THEN
                IF SQLCODE NOT IN (-2149, -14006) THEN  -- renamed or dropped meanwhile: the next run sees it
                    RAISE;
                END IF;
        END;
    END LOOP;
    -- premake
    IF ATLAS_PANDA.PARTITION_IS_ID_INTERVAL(v_interval) THEN
        EXECUTE IMMEDIATE 'SELECT MAX("' || v_key || '") FROM ' || v_schema || '.' || v_table INTO v_max_id;
        IF v_max_id IS NULL THEN
            RETURN;  -- an empty table: nothing to premake from (pg_partman does the same)
        END IF;
        FOR i IN 0 .. v_premake LOOP
            v_created := ATLAS_PANDA.CREATE_PARTITION_CHILD(p_parent_table,
                TO_CHAR(v_max_id - MOD(v_max_id - 1, TO_NUMBER(v_interval)) + TO_NUMBER(v_interval) * i));
        END LOOP;
    ELSE
        v_monthly := ATLAS_PANDA.PARTITION_DATETIME_STRING(v_interval) = 'YYYY_MM';
        v_keep_after := CASE WHEN v_monthly THEN ADD_MONTHS(v_now, v_premake) ELSE v_now + v_premake END;
        v_bucket := ATLAS_PANDA.PARTITION_TIME_BUCKET(v_now, v_interval);
        WHILE v_bucket < v_keep_after LOOP
            v_created := ATLAS_PANDA.CREATE_PARTITION_CHILD(p_parent_table, TO_CHAR(v_bucket, 'YYYY-MM-DD HH24:MI:SS'));
            v_bucket := CASE WHEN v_monthly THEN ADD_MONTHS(v_bucket, 1) ELSE v_bucket + 1 END;
        END LOOP;
    END IF;
END PARTITION_OWN_RUN_MAINTENANCE;
/

-- apply_partition_policy: make the table's interval the policy's (ALTER TABLE ... SET INTERVAL):
-- Oracle's twin of writing the policy into part_config.
--   p_parent_table  schema-qualified parent name, registered
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.APPLY_PARTITION_POLICY(p_parent_table IN VARCHAR2)
AS
    v_schema VARCHAR2(128); v_table VARCHAR2(128); v_key VARCHAR2(128); v_interval VARCHAR2(30);
    v_premake NUMBER; v_retention VARCHAR2(30); v_handled VARCHAR2(20);
    v_wanted VARCHAR2(100);
    v_current VARCHAR2(1000);
BEGIN
    ATLAS_PANDA.PARTITION_POLICY_FOR(p_parent_table, v_schema, v_table, v_key, v_interval, v_premake, v_retention, v_handled);
    IF v_handled = 'STATIC' THEN
        RETURN;
    END IF;
    v_wanted := CASE WHEN ATLAS_PANDA.PARTITION_IS_ID_INTERVAL(v_interval) THEN TRIM(v_interval)
                     WHEN ATLAS_PANDA.PARTITION_DATETIME_STRING(v_interval) = 'YYYY_MM' THEN 'NUMTOYMINTERVAL(1,''MONTH'')'
                     ELSE 'NUMTODSINTERVAL(1,''DAY'')' END;
    SELECT INTERVAL INTO v_current FROM ALL_PART_TABLES WHERE OWNER = v_schema AND TABLE_NAME = v_table;
    IF v_current IS NULL OR REPLACE(UPPER(v_current), ' ', '') <> REPLACE(UPPER(v_wanted), ' ', '') THEN
        EXECUTE IMMEDIATE 'ALTER TABLE ' || v_schema || '.' || v_table || ' SET INTERVAL (' || v_wanted || ')';
    END IF;
END APPLY_PARTITION_POLICY;
/

-- partition_child_names: the sorted names of a table's partitions (P_INITIAL, the range section, excluded).
--   p_parent_table  schema-qualified parent name
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_CHILD_NAMES(p_parent_table IN VARCHAR2)
RETURN SYS.ODCIVARCHAR2LIST
AS
    v_names SYS.ODCIVARCHAR2LIST;
BEGIN
    SELECT LOWER(PARTITION_NAME) BULK COLLECT INTO v_names FROM ALL_TAB_PARTITIONS
     WHERE TABLE_OWNER = UPPER(REGEXP_SUBSTR(p_parent_table, '^[^.]+'))
       AND TABLE_NAME = UPPER(REGEXP_SUBSTR(p_parent_table, '[^.]+$'))
       AND PARTITION_NAME <> 'P_INITIAL'
     ORDER BY LOWER(PARTITION_NAME);
    RETURN v_names;
END PARTITION_CHILD_NAMES;
/

-- register_partitioned_table: put a table of the policy under partition maintenance: interval
-- partitioning with the policy's interval (apply_partition_policy) and its first partitions
-- (partition_own_create_parent from now - premake intervals). Idempotent: a registered table only gets
-- the policy's settings again. Returns {"parent_table", "engine", "status", "created", "dropped",
-- "rows_moved", "rows_left_in_default"}.
--   p_parent_table  schema-qualified parent name, e.g. 'ATLAS_PANDA.JOBSARCHIVED4'
CREATE OR REPLACE FUNCTION ATLAS_PANDA.REGISTER_PARTITIONED_TABLE(p_parent_table IN VARCHAR2)
RETURN CLOB
AS
    v_schema VARCHAR2(128); v_table VARCHAR2(128); v_key VARCHAR2(128); v_interval VARCHAR2(30);
    v_premake NUMBER; v_retention VARCHAR2(30); v_handled VARCHAR2(20);
    v_before SYS.ODCIVARCHAR2LIST;
    v_created JSON_ARRAY_T := JSON_ARRAY_T();
    v_start VARCHAR2(100);
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    ATLAS_PANDA.PARTITION_POLICY_FOR(p_parent_table, v_schema, v_table, v_key, v_interval, v_premake, v_retention, v_handled);
    v_result.put('parent_table', p_parent_table);
    v_result.put('engine', ATLAS_PANDA.PARTITION_ENGINE());
    IF v_handled = 'STATIC' THEN
        v_result.put('status', 'static');
        RETURN v_result.to_clob();
    END IF;
    IF ATLAS_PANDA.PARTITION_IS_REGISTERED(p_parent_table) THEN
        ATLAS_PANDA.APPLY_PARTITION_POLICY(p_parent_table);
        v_result.put('status', 'already registered');
        RETURN v_result.to_clob();
    END IF;
    v_before := ATLAS_PANDA.PARTITION_CHILD_NAMES(p_parent_table);
    ATLAS_PANDA.APPLY_PARTITION_POLICY(p_parent_table);
    IF ATLAS_PANDA.PARTITION_IS_ID_INTERVAL(v_interval) THEN
        EXECUTE IMMEDIATE 'SELECT TO_CHAR(GREATEST(NVL(MAX("' || v_key || '"), 1), 1)) FROM ' || v_schema || '.' || v_table
            INTO v_start;
    ELSE
        v_start := TO_CHAR(CASE WHEN ATLAS_PANDA.PARTITION_DATETIME_STRING(v_interval) = 'YYYY_MM'
                                THEN ADD_MONTHS(ATLAS_PANDA.PANDA_NOW(), -v_premake)
                                ELSE ATLAS_PANDA.PANDA_NOW() - v_premake END, 'YYYY-MM-DD HH24:MI:SS');
    END IF;
    ATLAS_PANDA.PARTITION_OWN_CREATE_PARENT(p_parent_table, v_start);
    FOR r IN (SELECT COLUMN_VALUE AS name FROM TABLE(ATLAS_PANDA.PARTITION_CHILD_NAMES(p_parent_table))
              MINUS SELECT COLUMN_VALUE FROM TABLE(v_before)
              ORDER BY 1) LOOP
        v_created.append(r.name);
    END LOOP;
    v_result.put('status', 'registered');
    v_result.put('created', v_created);
    v_result.put('dropped', JSON_ARRAY_T());
    v_result.put('rows_moved', 0);
    v_result.put('rows_left_in_default', 0);
    RETURN v_result.to_clob();
END REGISTER_PARTITIONED_TABLE;
/

-- maintain_partitioned_table: one maintenance run of one table: register it if needed, then
-- partition_own_run_maintenance (names, retention, premake). One table at a time (a DBMS_LOCK session
-- lock; the DDL commits as it goes). Returns {"parent_table", "engine", "status", "created": [...],
-- "dropped": [...], "rows_moved", "rows_left_in_default"} (rows are never moved in Oracle: 0).
--   p_parent_table  schema-qualified parent name of the policy
CREATE OR REPLACE FUNCTION ATLAS_PANDA.MAINTAIN_PARTITIONED_TABLE(p_parent_table IN VARCHAR2)
RETURN CLOB
AS
    v_schema VARCHAR2(128); v_table VARCHAR2(128); v_key VARCHAR2(128); v_interval VARCHAR2(30);
    v_premake NUMBER; v_retention VARCHAR2(30); v_handled VARCHAR2(20);
    v_lock VARCHAR2(300) := 'pandadb partition maintenance ' || UPPER(p_parent_table);
    v_before SYS.ODCIVARCHAR2LIST;
    v_after SYS.ODCIVARCHAR2LIST;
    v_registered CLOB;
    v_created JSON_ARRAY_T := JSON_ARRAY_T();
    v_dropped JSON_ARRAY_T := JSON_ARRAY_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    ATLAS_PANDA.PARTITION_POLICY_FOR(p_parent_table, v_schema, v_table, v_key, v_interval, v_premake, v_retention, v_handled);
    v_result.put('parent_table', p_parent_table);
    v_result.put('engine', ATLAS_PANDA.PARTITION_ENGINE());
    IF v_handled = 'STATIC' THEN
        v_result.put('status', 'static');
        v_result.put('created', JSON_ARRAY_T());
        v_result.put('dropped', JSON_ARRAY_T());
        v_result.put('rows_moved', 0);
        v_result.put('rows_left_in_default', 0);
        RETURN v_result.to_clob();
    END IF;
    -- one maintenance of a table at a time (pg_advisory_xact_lock waits too); a session lock, as DDL commits
    PANDADB_SUPPORT.session_lock(v_lock);
    BEGIN
        v_before := ATLAS_PANDA.PARTITION_CHILD_NAMES(p_parent_table);
        IF NOT ATLAS_PANDA.PARTITION_IS_REGISTERED(p_parent_table) THEN
            v_registered := ATLAS_PANDA.REGISTER_PARTITIONED_TABLE(p_parent_table);
        ELSE
            ATLAS_PANDA.APPLY_PARTITION_POLICY(p_parent_table);
        END IF;
        ATLAS_PANDA.PARTITION_OWN_RUN_MAINTENANCE(p_parent_table);
        v_after := ATLAS_PANDA.PARTITION_CHILD_NAMES(p_parent_table);
    EXCEPTION
        WHEN OTHERS THEN
            PANDADB_SUPPORT.session_unlock(v_lock);
            RAISE;
    END;
    PANDADB_SUPPORT.session_unlock(v_lock);
    FOR r IN (SELECT COLUMN_VALUE AS name FROM TABLE(v_after) MINUS SELECT COLUMN_VALUE FROM TABLE(v_before) ORDER BY 1) LOOP
        v_created.append(r.name);
    END LOOP;
    FOR r IN (SELECT COLUMN_VALUE AS name FROM TABLE(v_before) MINUS SELECT COLUMN_VALUE FROM TABLE(v_after) ORDER BY 1) LOOP
        v_dropped.append(r.name);
    END LOOP;
    v_result.put('status', CASE WHEN v_registered IS NULL THEN 'maintained' ELSE 'registered' END);
    v_result.put('created', v_created);
    v_result.put('dropped', v_dropped);
    v_result.put('rows_moved', 0);
    v_result.put('rows_left_in_default', 0);
    RETURN v_result.to_clob();
END MAINTAIN_PARTITIONED_TABLE;
/

-- partition_maintenance_tables: the tables a maintenance run covers, in policy order: AUTO and
-- ADD_DAILYPART, and MANUAL ones on request (STATIC never).
--   p_include_manual  true: MANUAL tables too
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_MAINTENANCE_TABLES(p_include_manual IN BOOLEAN DEFAULT FALSE)
RETURN SYS.ODCIVARCHAR2LIST
AS
    v_manual NUMBER(1) := CASE WHEN p_include_manual THEN 1 ELSE 0 END;
    v_tables SYS.ODCIVARCHAR2LIST;
BEGIN
    SELECT SCHEMA_NAME || '.' || TABLE_NAME BULK COLLECT INTO v_tables FROM ATLAS_PANDA.PARTITION_POLICY
     WHERE HANDLED IN ('AUTO', 'ADD_DAILYPART') OR (v_manual = 1 AND HANDLED = 'MANUAL')
     ORDER BY SCHEMA_NAME, TABLE_NAME;
    RETURN v_tables;
END PARTITION_MAINTENANCE_TABLES;
/

-- run_partition_maintenance: the scheduled job (partitions/scheduled_jobs.tsv): maintain every table
-- of the policy, one transaction per table (a failure keeps the tables done before it). Each table's
-- result is a DBMS_OUTPUT line 'pandadb partitions: {json}'.
--   p_include_manual  true: MANUAL tables too (default: AUTO and ADD_DAILYPART)
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.RUN_PARTITION_MAINTENANCE(p_include_manual IN BOOLEAN DEFAULT FALSE)
AS
    v_tables SYS.ODCIVARCHAR2LIST := ATLAS_PANDA.PARTITION_MAINTENANCE_TABLES(p_include_manual);
    v_result CLOB;
BEGIN
    FOR i IN 1 .. v_tables.COUNT LOOP
        v_result := ATLAS_PANDA.MAINTAIN_PARTITIONED_TABLE(v_tables(i));
        DBMS_OUTPUT.PUT_LINE('pandadb partitions: ' || DBMS_LOB.SUBSTR(v_result, 32000, 1));
        COMMIT;
    END LOOP;
END RUN_PARTITION_MAINTENANCE;
/

-- partition_report: every partitioned table of the policy with its partitions, bounds and row
-- estimates (ALL_TAB_PARTITIONS.NUM_ROWS, from the optimizer statistics): a cursor of (parent_table,
-- handled, partition_interval, child_table, is_default, lower_bound, upper_bound, row_estimate,
-- default_rows). default_rows counts the default partition's rows exactly (only tablepart4copying has one).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.PARTITION_REPORT
RETURN SYS_REFCURSOR
AS
    v_parents SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_handled SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_intervals SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_children_names SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_defaults SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_lowers SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_uppers SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_estimates SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_default_rows SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_children SYS_REFCURSOR;
    v_schema VARCHAR2(128);
    v_child VARCHAR2(128);
    v_is_default NUMBER;
    v_lower VARCHAR2(100);
    v_upper VARCHAR2(100);
    v_estimate NUMBER;
    v_rows NUMBER;
    v_report SYS_REFCURSOR;
BEGIN
    FOR p IN (SELECT * FROM ATLAS_PANDA.PARTITION_POLICY ORDER BY SCHEMA_NAME, TABLE_NAME) LOOP
        v_children := ATLAS_PANDA.PARTITION_CHILDREN(p.SCHEMA_NAME || '.' || p.TABLE_NAME);
        LOOP
            FETCH v_children INTO v_schema, v_child, v_is_default, v_lower, v_upper;
            EXIT WHEN v_children%NOTFOUND;
            SELECT MAX(NUM_ROWS) INTO v_estimate FROM ALL_TAB_PARTITIONS
             WHERE TABLE_OWNER = p.SCHEMA_NAME AND TABLE_NAME = p.TABLE_NAME AND PARTITION_NAME = UPPER(v_child);
            v_rows := NULL;
            IF v_is_default = 1 THEN
                EXECUTE IMMEDIATE 'SELECT COUNT(*) FROM ' || p.SCHEMA_NAME || '.' || p.TABLE_NAME || ' PARTITION ("'
                                  || UPPER(v_child) || '")' INTO v_rows;
            END IF;
            v_parents.EXTEND; v_parents(v_parents.COUNT) := p.SCHEMA_NAME || '.' || p.TABLE_NAME;
            v_handled.EXTEND; v_handled(v_handled.COUNT) := p.HANDLED;
            v_intervals.EXTEND; v_intervals(v_intervals.COUNT) := p.PARTITION_INTERVAL;
            v_children_names.EXTEND; v_children_names(v_children_names.COUNT) := v_child;
            v_defaults.EXTEND; v_defaults(v_defaults.COUNT) := v_is_default;
            v_lowers.EXTEND; v_lowers(v_lowers.COUNT) := v_lower;
            v_uppers.EXTEND; v_uppers(v_uppers.COUNT) := v_upper;
            v_estimates.EXTEND; v_estimates(v_estimates.COUNT) := v_estimate;
            v_default_rows.EXTEND; v_default_rows(v_default_rows.COUNT) := v_rows;
        END LOOP;
        CLOSE v_children;
    END LOOP;
    OPEN v_report FOR
        SELECT a.COLUMN_VALUE AS parent_table, b.COLUMN_VALUE AS handled, c.COLUMN_VALUE AS partition_interval,
               d.COLUMN_VALUE AS child_table, e.COLUMN_VALUE AS is_default, f.COLUMN_VALUE AS lower_bound,
               g.COLUMN_VALUE AS upper_bound, h.COLUMN_VALUE AS row_estimate, i.COLUMN_VALUE AS default_rows
          FROM (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_parents)) a
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_handled)) b ON b.k = a.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_intervals)) c ON c.k = a.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_children_names)) d ON d.k = a.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_defaults)) e ON e.k = a.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_lowers)) f ON f.k = a.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_uppers)) g ON g.k = a.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_estimates)) h ON h.k = a.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_default_rows)) i ON i.k = a.k
         ORDER BY a.k;
    RETURN v_report;
END PARTITION_REPORT;
/

-- unregister_partitioned_table: undo register_partitioned_table: the table keeps its partitions and
-- rows but Oracle stops creating partitions (ALTER TABLE ... SET INTERVAL (): plain range
-- partitioning; a row beyond the last partition is then refused, ORA-14400). PostgreSQL moves every
-- child's rows into the default partition and drops the children; Oracle has no default partition to
-- move them to, so nothing is dropped. Returns {"parent_table", "status", "dropped": [], "rows_moved_to_default": 0}.
--   p_parent_table  schema-qualified parent name
CREATE OR REPLACE FUNCTION ATLAS_PANDA.UNREGISTER_PARTITIONED_TABLE(p_parent_table IN VARCHAR2)
RETURN CLOB
AS
    v_schema VARCHAR2(128); v_table VARCHAR2(128); v_key VARCHAR2(128); v_interval VARCHAR2(30);
    v_premake NUMBER; v_retention VARCHAR2(30); v_handled VARCHAR2(20);
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    ATLAS_PANDA.PARTITION_POLICY_FOR(p_parent_table, v_schema, v_table, v_key, v_interval, v_premake, v_retention, v_handled);
    v_result.put('parent_table', p_parent_table);
    IF v_handled = 'STATIC' THEN
        v_result.put('status', 'static');
        RETURN v_result.to_clob();
    END IF;
    IF ATLAS_PANDA.PARTITION_IS_REGISTERED(p_parent_table) THEN
        EXECUTE IMMEDIATE 'ALTER TABLE ' || v_schema || '.' || v_table || ' SET INTERVAL ()';
    END IF;
    v_result.put('status', 'unregistered');
    v_result.put('dropped', JSON_ARRAY_T());
    v_result.put('rows_moved_to_default', 0);
    RETURN v_result.to_clob();
END UNREGISTER_PARTITIONED_TABLE;
/
