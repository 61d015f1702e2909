-- PL/SQL twin of procedures/postgres/windows.sql: sliding windows, the tables PanDA keeps only for a
-- while (seed 004, sections 8.3.1 and 8.4). Same routine names, parameter names, retentions, rules and
-- messages as the PL/pgSQL routines; the windows are run by the scheduled job 'sliding_windows'.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Errors: where PostgreSQL raises a SQLSTATE, the twin raises RAISE_APPLICATION_ERROR with the same message:
--   PD001 -> -20001 (not raised here)
--   PD002 -> -20002 (invalid argument)
--   PD003 -> -20003 (unknown table)
-- Oracle's form of the two phases:
--   * the tables are interval-partitioned by their DDL (schema/oracle): a table's partitions come from
--     ALL_TAB_PARTITIONS, their bounds from HIGH_VALUE (evaluated: it is a LONG holding an expression);
--     the lower bound of a partition is the upper bound of the one before it. P_INITIAL, the range
--     section below the first interval, can never be dropped (ORA-14758): it is treated as PostgreSQL
--     treats the default partition (rows deleted, never dropped);
--   * 'partitions' phase: ALTER TABLE ... DROP PARTITION ... UPDATE INDEXES with DDL_LOCK_TIMEOUT 2 (the
--     twin of lock_timeout '2s'); a partition that stays busy (ORA-00054) is left for the next run.
--     DROP PARTITION is DDL and COMMITs: the rows deleted before it are committed with it (PostgreSQL
--     keeps the whole run in the caller's transaction). DDL_LOCK_TIMEOUT is set back to 0 afterwards;
--   * 'rows' phase: DELETE ... WHERE <expired> AND ROWNUM <= batch size, repeated until a batch is not
--     full (the twin of the ctid batches), on the table or on single partitions
--     (DELETE FROM t PARTITION (p)).
-- Concurrent runs for the same table do not race: each takes a DBMS_LOCK user lock named
-- 'pandadb.sliding_windows <table>' with PANDADB_SUPPORT.try_session_lock (a session lock, because the
-- DDL of the 'partitions' phase commits, which would release a transaction lock) and skips when it is
-- held. integer parameters are INTEGER (NUMBER(38), as PostgreSQL's integer: no fraction);
-- regclass parameters are VARCHAR2 'OWNER.TABLE' names; a leaf partition is
-- 'OWNER.TABLE PARTITION (NAME)'; RETURNS TABLE is a SYS_REFCURSOR, SETOF regclass a SYS.ODCIVARCHAR2LIST.
-- RAISE NOTICE is DBMS_OUTPUT.PUT_LINE. Each PL/SQL unit ends with a line holding only '/'.


-- range_partition_bounds: the partitions of a range-partitioned table with their bounds as text
-- ('YYYY-MM-DD HH24:MI:SS' for dates, digits for numbers; NULL for the open lower end and MAXVALUE), and
-- which one is the range section P_INITIAL (is_default 1/0, see the header): a cursor of
-- (partition_table, is_default, lower_bound, upper_bound, is_partitioned), is_partitioned 1 when the
-- partition has subpartitions.
--   p_parent_table  the partitioned table, 'OWNER.TABLE'
CREATE OR REPLACE FUNCTION ATLAS_PANDA.RANGE_PARTITION_BOUNDS(p_parent_table IN VARCHAR2)
RETURN SYS_REFCURSOR
AS
    v_owner VARCHAR2(128) := UPPER(REGEXP_SUBSTR(p_parent_table, '^[^.]+'));
    v_table VARCHAR2(128) := UPPER(REGEXP_SUBSTR(p_parent_table, '[^.]+$'));
    v_names SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_defaults SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_lowers SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_uppers SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_subpartitioned SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_high VARCHAR2(32767);
    v_bound VARCHAR2(100);
    v_previous VARCHAR2(100);
    v_bounds SYS_REFCURSOR;
BEGIN
    FOR p IN (SELECT PARTITION_NAME, HIGH_VALUE, INTERVAL, SUBPARTITION_COUNT
                FROM ALL_TAB_PARTITIONS WHERE TABLE_OWNER = v_owner AND TABLE_NAME = v_table
               ORDER BY PARTITION_POSITION) LOOP
        v_high := p.HIGH_VALUE;  -- LONG: readable in PL/SQL
        IF v_high IS NULL OR v_high = 'MAXVALUE' THEN
            v_bound := NULL;
        ELSIF v_high LIKE 'TO_DATE%' OR v_high LIKE 'TIMESTAMP%' THEN
            EXECUTE IMMEDIATE 'SELECT TO_CHAR(' || v_high || ', ''YYYY-MM-DD HH24:MI:SS'') FROM DUAL' INTO v_bound;
        ELSE
            EXECUTE IMMEDIATE 'SELECT TO_CHAR(' || v_high || ') FROM DUAL' INTO v_bound;
        END IF;
        v_names.EXTEND;
        v_names(v_names.COUNT) := v_owner || '.' || v_table || ' PARTITION (' || p.PARTITION_NAME || ')';
        v_defaults.EXTEND;
        v_defaults(v_defaults.COUNT) := CASE WHEN p.INTERVAL = 'NO' THEN 1 ELSE 0 END;
        v_lowers.EXTEND;
        v_lowers(v_lowers.COUNT) := v_previous;
        v_uppers.EXTEND;
        v_uppers(v_uppers.COUNT) := v_bound;
        v_subpartitioned.EXTEND;
        v_subpartitioned(v_subpartitioned.COUNT) := CASE WHEN p.SUBPARTITION_COUNT > 0 THEN 1 ELSE 0 END;
        v_previous := v_bound;
    END LOOP;
    OPEN v_bounds FOR
        SELECT n.COLUMN_VALUE AS partition_table, d.COLUMN_VALUE AS is_default, l.COLUMN_VALUE AS lower_bound,
               u.COLUMN_VALUE AS upper_bound, s.COLUMN_VALUE AS is_partitioned
          FROM (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_names)) n
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_defaults)) d ON d.k = n.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_lowers)) l ON l.k = n.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_uppers)) u ON u.k = n.k
          JOIN (SELECT COLUMN_VALUE, ROWNUM AS k FROM TABLE(v_subpartitioned)) s ON s.k = n.k
         ORDER BY n.k;
    RETURN v_bounds;
END RANGE_PARTITION_BOUNDS;
/


-- is_range_partitioned_by: true when the table is partitioned by RANGE on exactly this one column,
-- so that its partition bounds are bounds of that column.
--   p_table        the table, 'OWNER.TABLE'
--   p_column_name  the column
CREATE OR REPLACE FUNCTION ATLAS_PANDA.IS_RANGE_PARTITIONED_BY(p_table IN VARCHAR2, p_column_name IN VARCHAR2)
RETURN BOOLEAN
AS
    v_count PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO v_count
      FROM ALL_PART_TABLES t
      JOIN ALL_PART_KEY_COLUMNS k ON k.OWNER = t.OWNER AND k.NAME = t.TABLE_NAME AND k.OBJECT_TYPE = 'TABLE'
     WHERE t.OWNER = UPPER(REGEXP_SUBSTR(p_table, '^[^.]+')) AND t.TABLE_NAME = UPPER(REGEXP_SUBSTR(p_table, '[^.]+$'))
       AND t.PARTITIONING_TYPE = 'RANGE' AND t.PARTITIONING_KEY_COUNT = 1
       AND k.COLUMN_NAME = UPPER(p_column_name);
    RETURN v_count > 0;
END IS_RANGE_PARTITIONED_BY;
/


-- delete_expired_rows: delete the rows of one table (or one partition) that satisfy an expiry
-- condition, in batches (see the file header); returns the number of rows deleted.
--   p_table              'OWNER.TABLE' or 'OWNER.TABLE PARTITION (NAME)'
--   p_expired_condition  an SQL condition on the row, aliased 'expired', with :boundary = the boundary;
--                        internal: written by the window procedures of this file, never user input
--   p_boundary           the time the condition compares with
--   p_batch_size         rows per DELETE
CREATE OR REPLACE FUNCTION ATLAS_PANDA.DELETE_EXPIRED_ROWS(p_table IN VARCHAR2, p_expired_condition IN VARCHAR2,
                                                          p_boundary IN DATE, p_batch_size IN INTEGER)
RETURN NUMBER
AS
    v_deleted_in_batch NUMBER;
    v_deleted_total NUMBER := 0;
BEGIN
    LOOP
        EXECUTE IMMEDIATE 'DELETE FROM ' || p_table || ' expired WHERE (' || p_expired_condition
                          || ') AND ROWNUM <= :batch_size'
            USING p_boundary, p_batch_size;
        v_deleted_in_batch := SQL%ROWCOUNT;
        v_deleted_total := v_deleted_total + v_deleted_in_batch;
        EXIT WHEN v_deleted_in_batch < p_batch_size;
    END LOOP;
    RETURN v_deleted_total;
END DELETE_EXPIRED_ROWS;
/


-- detach_and_drop_partition: drop a partition, waiting at most 2 seconds (DDL_LOCK_TIMEOUT) for the
-- table's lock; returns false (with a DBMS_OUTPUT line) when it could not, so the caller leaves it for
-- the next run. Commits (DDL).
--   p_parent_table     the partitioned table, 'OWNER.TABLE'
--   p_partition_table  the partition, 'OWNER.TABLE PARTITION (NAME)'
CREATE OR REPLACE FUNCTION ATLAS_PANDA.DETACH_AND_DROP_PARTITION(p_parent_table IN VARCHAR2, p_partition_table IN VARCHAR2)
RETURN BOOLEAN
AS
    v_partition VARCHAR2(128) := REGEXP_SUBSTR(p_partition_table, 'PARTITION \(([^)]+)\)', 1, 1, NULL, 1);
BEGIN
    EXECUTE IMMEDIATE 'ALTER SESSION SET DDL_LOCK_TIMEOUT = 2';
    BEGIN
        EXECUTE IMMEDIATE 'ALTER TABLE ' || p_parent_table || ' DROP PARTITION "' || v_partition || '" UPDATE INDEXES';
    EXCEPTION
        WHEN OTHERS THEN
            EXECUTE IMMEDIATE 'ALTER SESSION SET DDL_LOCK_TIMEOUT = 0';
            IF SQLCODE = -54 THEN  -- resource busy
                DBMS_OUTPUT.PUT_LINE('partition ' || p_partition_table || ' of ' || p_parent_table
                                     || ' is busy: left for the next sliding-window run');
                RETURN FALSE;
            ELSIF SQLCODE IN (-2149, -14006, -14758) THEN  -- dropped meanwhile, or the range section
                DBMS_OUTPUT.PUT_LINE('partition ' || p_partition_table || ' of ' || p_parent_table
                                     || ' is gone already: ' || SQLERRM);
                RETURN FALSE;
            END IF;
            RAISE;
    END;
    EXECUTE IMMEDIATE 'ALTER SESSION SET DDL_LOCK_TIMEOUT = 0';
    RETURN TRUE;
END DETACH_AND_DROP_PARTITION;
/


-- drop_expired_partitions: drop the partitions of a table range-partitioned by p_column_name whose
-- upper bound is at or before p_boundary (all their rows are expired); never P_INITIAL, never a
-- partition bounded by MAXVALUE; returns how many were dropped. Does nothing on a table not
-- range-partitioned by that column.
--   p_table        the partitioned table, 'OWNER.TABLE'
--   p_column_name  its partition key column (a DATE)
--   p_boundary     rows older than this are expired
CREATE OR REPLACE FUNCTION ATLAS_PANDA.DROP_EXPIRED_PARTITIONS(p_table IN VARCHAR2, p_column_name IN VARCHAR2,
                                                              p_boundary IN DATE)
RETURN NUMBER
AS
    v_bounds SYS_REFCURSOR;
    v_partition VARCHAR2(400);
    v_is_default NUMBER;
    v_lower VARCHAR2(100);
    v_upper VARCHAR2(100);
    v_is_partitioned NUMBER;
    v_expired SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_dropped NUMBER := 0;
BEGIN
    IF NOT ATLAS_PANDA.IS_RANGE_PARTITIONED_BY(p_table, p_column_name) THEN
        RETURN 0;
    END IF;
    -- oldest first (the cursor is in partition order); collected first: each drop commits
    v_bounds := ATLAS_PANDA.RANGE_PARTITION_BOUNDS(p_table);
    LOOP
        FETCH v_bounds INTO v_partition, v_is_default, v_lower, v_upper, v_is_partitioned;
        EXIT WHEN v_bounds%NOTFOUND;
        IF v_is_default = 0 AND v_upper IS NOT NULL
           AND TO_DATE(v_upper, 'YYYY-MM-DD HH24:MI:SS') <= p_boundary THEN
            v_expired.EXTEND;
            v_expired(v_expired.COUNT) := v_partition;
        END IF;
    END LOOP;
    CLOSE v_bounds;
    FOR i IN 1 .. v_expired.COUNT LOOP
        IF ATLAS_PANDA.DETACH_AND_DROP_PARTITION(p_table, v_expired(i)) THEN
            v_dropped := v_dropped + 1;
        END IF;
    END LOOP;
    RETURN v_dropped;
END DROP_EXPIRED_PARTITIONS;
/


-- tables_holding_expired_rows: what the 'rows' phase must look at: the table itself when it is not
-- partitioned; otherwise every partition, except, when the table is range-partitioned by
-- p_column_name, the partitions that start at or after the boundary (nothing expired there) and those
-- that end at or before it (dropped whole by the 'partitions' phase; P_INITIAL is always looked at).
--   p_table        the table, 'OWNER.TABLE'
--   p_column_name  its time column
--   p_boundary     rows older than this are expired
CREATE OR REPLACE FUNCTION ATLAS_PANDA.TABLES_HOLDING_EXPIRED_ROWS(p_table IN VARCHAR2, p_column_name IN VARCHAR2,
                                                                  p_boundary IN DATE)
RETURN SYS.ODCIVARCHAR2LIST
AS
    v_targets SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_partitioned PLS_INTEGER;
    v_bounds SYS_REFCURSOR;
    v_partition VARCHAR2(400);
    v_is_default NUMBER;
    v_lower VARCHAR2(100);
    v_upper VARCHAR2(100);
    v_is_partitioned NUMBER;
BEGIN
    SELECT COUNT(*) INTO v_partitioned FROM ALL_PART_TABLES
     WHERE OWNER = UPPER(REGEXP_SUBSTR(p_table, '^[^.]+')) AND TABLE_NAME = UPPER(REGEXP_SUBSTR(p_table, '[^.]+$'));
    IF v_partitioned = 0 OR NOT ATLAS_PANDA.IS_RANGE_PARTITIONED_BY(p_table, p_column_name) THEN
        -- a plain table, or one partitioned by another key: the whole table (one DELETE covers its partitions)
        v_targets.EXTEND;
        v_targets(1) := UPPER(p_table);
        RETURN v_targets;
    END IF;
    v_bounds := ATLAS_PANDA.RANGE_PARTITION_BOUNDS(p_table);
    LOOP
        FETCH v_bounds INTO v_partition, v_is_default, v_lower, v_upper, v_is_partitioned;
        EXIT WHEN v_bounds%NOTFOUND;
        CONTINUE WHEN v_is_default = 0 AND v_lower IS NOT NULL
                      AND TO_DATE(v_lower, 'YYYY-MM-DD HH24:MI:SS') >= p_boundary;
        CONTINUE WHEN v_is_default = 0 AND v_upper IS NOT NULL
                      AND TO_DATE(v_upper, 'YYYY-MM-DD HH24:MI:SS') <= p_boundary;
        v_targets.EXTEND;
        v_targets(v_targets.COUNT) := v_partition;
    END LOOP;
    CLOSE v_bounds;
    RETURN v_targets;
END TABLES_HOLDING_EXPIRED_ROWS;
/


-- check_sliding_window_arguments: raise -20003 for an unknown table and -20002 for a retention or batch
-- size below 1 or an unknown phase, naming what is wrong.
--   p_table_name, p_retention_days, p_batch_size, p_phase  as in panda_table_sl_window
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.CHECK_SLIDING_WINDOW_ARGUMENTS(
    p_table_name IN VARCHAR2, p_retention_days IN INTEGER, p_batch_size IN INTEGER, p_phase IN VARCHAR2)
AS
    v_count PLS_INTEGER := 0;
BEGIN
    IF p_table_name IS NOT NULL THEN
        SELECT COUNT(*) INTO v_count FROM ALL_TABLES
         WHERE OWNER = UPPER(REGEXP_SUBSTR(p_table_name, '^[^.]+'))
           AND TABLE_NAME = UPPER(REGEXP_SUBSTR(p_table_name, '[^.]+$')) AND INSTR(p_table_name, '.') > 0;
    END IF;
    IF p_table_name IS NULL OR v_count = 0 THEN
        RAISE_APPLICATION_ERROR(-20003, 'sliding window: table ' || NVL(p_table_name, 'NULL') || ' does not exist');
    END IF;
    IF p_retention_days IS NULL OR p_retention_days < 1 OR p_retention_days <> TRUNC(p_retention_days) THEN
        RAISE_APPLICATION_ERROR(-20002, 'sliding window of ' || p_table_name
            || ': retention must be a whole number of days >= 1, not ' || NVL(TO_CHAR(p_retention_days), 'NULL'));
    END IF;
    IF p_batch_size IS NULL OR p_batch_size < 1 THEN
        RAISE_APPLICATION_ERROR(-20002, 'sliding window of ' || p_table_name || ': batch size must be >= 1, not '
                                        || NVL(TO_CHAR(p_batch_size), 'NULL'));
    END IF;
    IF p_phase IS NULL OR p_phase NOT IN ('all', 'rows', 'partitions') THEN
        RAISE_APPLICATION_ERROR(-20002, 'sliding window of ' || p_table_name || ': phase must be all, rows or partitions, not '
                                        || NVL(p_phase, 'NULL'));
    END IF;
END CHECK_SLIDING_WINDOW_ARGUMENTS;
/


-- panda_table_sl_window: the sliding window of one table (upstream PANDA_TABLE_SL_WINDOW, extended
-- to partitions and plain tables): rows whose p_column_name is older than now - p_retention_days go.
--   p_table_name        the table, e.g. 'ATLAS_PANDA.JOBS_STATUSLOG'
--   p_column_name       its time column, e.g. 'modificationtime'
--   p_retention_days    days of rows to keep (> 0)
--   p_batch_size        rows per DELETE (> 0)
--   p_phase             'all' (rows, then partitions), 'rows' (delete the expired rows outside the
--                       partitions that expire whole) or 'partitions' (drop those partitions)
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.PANDA_TABLE_SL_WINDOW(
    p_table_name IN VARCHAR2, p_column_name IN VARCHAR2, p_retention_days IN INTEGER,
    p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
    v_target VARCHAR2(261) := UPPER(p_table_name);
    v_column_type VARCHAR2(128);
    v_lock VARCHAR2(300) := 'pandadb.sliding_windows ' || UPPER(p_table_name);
    v_boundary DATE;
    v_leaves SYS.ODCIVARCHAR2LIST;
    v_rows_deleted NUMBER := 0;
    v_partitions_dropped NUMBER := 0;
BEGIN
    ATLAS_PANDA.CHECK_SLIDING_WINDOW_ARGUMENTS(p_table_name, p_retention_days, p_batch_size, p_phase);
    BEGIN
        SELECT DATA_TYPE INTO v_column_type FROM ALL_TAB_COLUMNS
         WHERE OWNER = REGEXP_SUBSTR(v_target, '^[^.]+') AND TABLE_NAME = REGEXP_SUBSTR(v_target, '[^.]+$')
           AND COLUMN_NAME = UPPER(p_column_name);
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            v_column_type := NULL;
    END;
    IF v_column_type IS NULL OR NOT (v_column_type = 'DATE' OR v_column_type LIKE 'TIMESTAMP%') THEN
        RAISE_APPLICATION_ERROR(-20002, 'sliding window: ' || v_target || ' has no timestamp column '
                                        || NVL(p_column_name, 'NULL'));
    END IF;
    IF NOT PANDADB_SUPPORT.try_session_lock(v_lock) THEN
        DBMS_OUTPUT.PUT_LINE('sliding window of ' || v_target || ' is running in another session: this run is skipped');
        RETURN;
    END IF;
    BEGIN
        v_boundary := ATLAS_PANDA.PANDA_NOW() - p_retention_days;
        IF p_phase IN ('all', 'rows') THEN
            v_leaves := ATLAS_PANDA.TABLES_HOLDING_EXPIRED_ROWS(v_target, p_column_name, v_boundary);
            FOR i IN 1 .. v_leaves.COUNT LOOP
                v_rows_deleted := v_rows_deleted + ATLAS_PANDA.DELETE_EXPIRED_ROWS(
                    v_leaves(i), 'expired."' || UPPER(p_column_name) || '" < :boundary', v_boundary, p_batch_size);
            END LOOP;
        END IF;
        IF p_phase IN ('all', 'partitions') THEN
            v_partitions_dropped := ATLAS_PANDA.DROP_EXPIRED_PARTITIONS(v_target, p_column_name, v_boundary);
        END IF;
    EXCEPTION
        WHEN OTHERS THEN
            PANDADB_SUPPORT.session_unlock(v_lock);
            RAISE;
    END;
    PANDADB_SUPPORT.session_unlock(v_lock);
    DBMS_OUTPUT.PUT_LINE('sliding window of ' || v_target || ' (' || p_retention_days || ' days, before '
                         || TO_CHAR(v_boundary, 'YYYY-MM-DD HH24:MI:SS') || '): ' || v_rows_deleted || ' rows deleted, '
                         || v_partitions_dropped || ' partitions dropped');
END PANDA_TABLE_SL_WINDOW;
/


-- The windows. p_retention_days defaults to the upstream offset named in each comment (see the
-- PostgreSQL file for the sources); p_batch_size and p_phase as in panda_table_sl_window.

-- jobs_statuslog_sl_window: job state transitions, by modificationtime. 93 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JOBS_STATUSLOG_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 93, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.JOBS_STATUSLOG', 'modificationtime', p_retention_days, p_batch_size, p_phase);
END JOBS_STATUSLOG_SL_WINDOW;
/

-- tasks_statuslog_sl_window: task state transitions, by modificationtime. 93 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.TASKS_STATUSLOG_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 93, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.TASKS_STATUSLOG', 'modificationtime', p_retention_days, p_batch_size, p_phase);
END TASKS_STATUSLOG_SL_WINDOW;
/

-- harvester_workers_sl_window: harvester workers, by lastupdate. 60 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.HARVESTER_WORKERS_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 60, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.HARVESTER_WORKERS', 'lastupdate', p_retention_days, p_batch_size, p_phase);
END HARVESTER_WORKERS_SL_WINDOW;
/

-- harvester_rel_jobs_workers_sl_window: worker-job relations, by lastupdate (the table is partitioned
-- by pandaid, so rows are deleted). 60 days, as the workers.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.HARVESTER_REL_JOBS_WORKERS_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 60, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.HARVESTER_REL_JOBS_WORKERS', 'lastupdate', p_retention_days,
                                      p_batch_size, p_phase);
END HARVESTER_REL_JOBS_WORKERS_SL_WINDOW;
/

-- harvester_dialogs_sl_window: harvester error messages, by creationtime. 10 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.HARVESTER_DIALOGS_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 10, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.HARVESTER_DIALOGS', 'creationtime', p_retention_days, p_batch_size, p_phase);
END HARVESTER_DIALOGS_SL_WINDOW;
/

-- harvester_metrics_sl_window: harvester service metrics, by creation_time. 7 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.HARVESTER_METRICS_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 7, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.HARVESTER_METRICS', 'creation_time', p_retention_days, p_batch_size, p_phase);
END HARVESTER_METRICS_SL_WINDOW;
/

-- pandalog_sl_window: the server's log table, by bintime. 10 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.PANDALOG_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 10, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.PANDALOG', 'bintime', p_retention_days, p_batch_size, p_phase);
END PANDALOG_SL_WINDOW;
/

-- datasets_sl_window: PanDA's own datasets (not JEDI's), by modificationdate. 93 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.DATASETS_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 93, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.DATASETS', 'modificationdate', p_retention_days, p_batch_size, p_phase);
END DATASETS_SL_WINDOW;
/

-- job_metrics_sl_window: per-job metrics, by modificationtime. 365 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JOB_METRICS_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 365, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.JOB_METRICS', 'modificationtime', p_retention_days, p_batch_size, p_phase);
END JOB_METRICS_SL_WINDOW;
/

-- task_metrics_sl_window: per-task metrics, by modificationtime. 365 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.TASK_METRICS_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 365, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.TASK_METRICS', 'modificationtime', p_retention_days, p_batch_size, p_phase);
END TASK_METRICS_SL_WINDOW;
/

-- worker_node_metrics_sl_window: daily worker-node statistics, by "TIMESTAMP". 365 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.WORKER_NODE_METRICS_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 365, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.WORKER_NODE_METRICS', 'timestamp', p_retention_days, p_batch_size, p_phase);
END WORKER_NODE_METRICS_SL_WINDOW;
/

-- task_attempts_sl_window: task attempts, by starttime. 365 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.TASK_ATTEMPTS_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 365, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.TASK_ATTEMPTS', 'starttime', p_retention_days, p_batch_size, p_phase);
END TASK_ATTEMPTS_SL_WINDOW;
/

-- usercacheusage_sl_window: the user sandbox cache bookkeeping (ATLAS_PANDAMETA), by creationtime. 93 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.USERCACHEUSAGE_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 93, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDAMETA.USERCACHEUSAGE', 'creationtime', p_retention_days, p_batch_size, p_phase);
END USERCACHEUSAGE_SL_WINDOW;
/

-- job_output_report_sl_window: output reports the Adder never picked up, by "TIMESTAMP" (a plain
-- table: rows are deleted). 30 days.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JOB_OUTPUT_REPORT_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 30, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
BEGIN
    ATLAS_PANDA.PANDA_TABLE_SL_WINDOW('ATLAS_PANDA.JOB_OUTPUT_REPORT', 'timestamp', p_retention_days, p_batch_size, p_phase);
END JOB_OUTPUT_REPORT_SL_WINDOW;
/


-- jedi_events_partition_is_over: true when a jedi_events partition (a range of jeditaskid) can go
-- whole: it holds events, every task of its range and every task its event rows name is over (done,
-- finished, failed, broken, aborted) and was last modified before p_boundary, and the range lies
-- entirely below the newest task (no future task can fall into it).
--   p_partition_table  the partition, 'ATLAS_PANDA.JEDI_EVENTS PARTITION (NAME)'
--   p_first_task       its lower bound (first jeditaskid)
--   p_end_task         its upper bound (first jeditaskid after it)
--   p_boundary         tasks modified before this are old enough
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JEDI_EVENTS_PARTITION_IS_OVER(
    p_partition_table IN VARCHAR2, p_first_task IN NUMBER, p_end_task IN NUMBER, p_boundary IN DATE)
RETURN BOOLEAN
AS
    v_newest NUMBER;
    v_is_over NUMBER;
BEGIN
    SELECT MAX(JEDITASKID) INTO v_newest FROM ATLAS_PANDA.JEDI_TASKS;
    IF v_newest IS NULL OR p_end_task > v_newest THEN
        RETURN FALSE;
    END IF;
    EXECUTE IMMEDIATE
        'SELECT CASE WHEN EXISTS (SELECT 1 FROM ' || p_partition_table || ')'
        || '   AND NOT EXISTS (SELECT 1 FROM ATLAS_PANDA.JEDI_TASKS t WHERE t.JEDITASKID >= :first_task'
        || '                     AND t.JEDITASKID < :end_task'
        || '                     AND NOT (t.STATUS IN (''done'', ''finished'', ''failed'', ''broken'', ''aborted'')'
        || '                              AND t.MODIFICATIONTIME < :boundary))'
        || '   AND NOT EXISTS (SELECT 1 FROM ' || p_partition_table || ' e WHERE NOT EXISTS ('
        || '         SELECT 1 FROM ATLAS_PANDA.JEDI_TASKS t WHERE t.JEDITASKID = e.JEDITASKID'
        || '            AND t.STATUS IN (''done'', ''finished'', ''failed'', ''broken'', ''aborted'')'
        || '            AND t.MODIFICATIONTIME < :boundary))'
        || ' THEN 1 ELSE 0 END FROM DUAL'
        INTO v_is_over USING p_first_task, p_end_task, p_boundary, p_boundary;
    RETURN v_is_over = 1;
END JEDI_EVENTS_PARTITION_IS_OVER;
/


-- jedi_events_sl_window: the event ranges of tasks that are over (done, finished, failed, broken,
-- aborted) and were last modified more than p_retention_days ago. 'partitions' phase: the partitions
-- where every task is over (jedi_events_partition_is_over) are dropped; 'rows' phase: the other events
-- of such tasks are deleted in batches (the tasks' modificationtime is the clock). 30 days:
-- DELETE_JEDI_EVENTS_PROC (t.MODIFICATIONTIME < sysdate - 30).
--   p_retention_days, p_batch_size, p_phase  as in panda_table_sl_window
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JEDI_EVENTS_SL_WINDOW(
    p_retention_days IN INTEGER DEFAULT 30, p_batch_size IN INTEGER DEFAULT 10000, p_phase IN VARCHAR2 DEFAULT 'all')
AS
    v_lock VARCHAR2(100) := 'pandadb.sliding_windows ATLAS_PANDA.JEDI_EVENTS';
    v_boundary DATE;
    v_bounds SYS_REFCURSOR;
    v_partition VARCHAR2(400);
    v_is_default NUMBER;
    v_lower VARCHAR2(100);
    v_upper VARCHAR2(100);
    v_is_partitioned NUMBER;
    v_over SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_rest SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_rows_deleted NUMBER := 0;
    v_partitions_dropped NUMBER := 0;
BEGIN
    ATLAS_PANDA.CHECK_SLIDING_WINDOW_ARGUMENTS('ATLAS_PANDA.JEDI_EVENTS', p_retention_days, p_batch_size, p_phase);
    IF NOT PANDADB_SUPPORT.try_session_lock(v_lock) THEN
        DBMS_OUTPUT.PUT_LINE('sliding window of ATLAS_PANDA.JEDI_EVENTS is running in another session: this run is skipped');
        RETURN;
    END IF;
    BEGIN
        v_boundary := ATLAS_PANDA.PANDA_NOW() - p_retention_days;
        v_bounds := ATLAS_PANDA.RANGE_PARTITION_BOUNDS('ATLAS_PANDA.JEDI_EVENTS');
        LOOP
            FETCH v_bounds INTO v_partition, v_is_default, v_lower, v_upper, v_is_partitioned;
            EXIT WHEN v_bounds%NOTFOUND;
            IF v_lower IS NOT NULL AND v_upper IS NOT NULL AND v_is_default = 0
               AND ATLAS_PANDA.JEDI_EVENTS_PARTITION_IS_OVER(v_partition, TO_NUMBER(v_lower), TO_NUMBER(v_upper),
                                                             v_boundary) THEN
                v_over.EXTEND;
                v_over(v_over.COUNT) := v_partition;
            ELSE
                v_rest.EXTEND;
                v_rest(v_rest.COUNT) := v_partition;
            END IF;
        END LOOP;
        CLOSE v_bounds;
        IF p_phase IN ('all', 'rows') THEN
            FOR i IN 1 .. v_rest.COUNT LOOP
                v_rows_deleted := v_rows_deleted + ATLAS_PANDA.DELETE_EXPIRED_ROWS(v_rest(i),
                    'EXISTS (SELECT 1 FROM ATLAS_PANDA.JEDI_TASKS t WHERE t.JEDITASKID = expired.JEDITASKID'
                    || ' AND t.STATUS IN (''done'', ''finished'', ''failed'', ''broken'', ''aborted'')'
                    || ' AND t.MODIFICATIONTIME < :boundary)', v_boundary, p_batch_size);
            END LOOP;
        END IF;
        IF p_phase IN ('all', 'partitions') THEN
            FOR i IN 1 .. v_over.COUNT LOOP
                IF ATLAS_PANDA.DETACH_AND_DROP_PARTITION('ATLAS_PANDA.JEDI_EVENTS', v_over(i)) THEN
                    v_partitions_dropped := v_partitions_dropped + 1;
                END IF;
            END LOOP;
        END IF;
    EXCEPTION
        WHEN OTHERS THEN
            PANDADB_SUPPORT.session_unlock(v_lock);
            RAISE;
    END;
    PANDADB_SUPPORT.session_unlock(v_lock);
    DBMS_OUTPUT.PUT_LINE('sliding window of ATLAS_PANDA.JEDI_EVENTS (' || p_retention_days || ' days, tasks over before '
                         || TO_CHAR(v_boundary, 'YYYY-MM-DD HH24:MI:SS') || '): ' || v_rows_deleted || ' rows deleted, '
                         || v_partitions_dropped || ' partitions dropped');
END JEDI_EVENTS_SL_WINDOW;
/


-- run_sliding_windows: every sliding window with its default retention (the scheduled job
-- 'sliding_windows'). All windows delete their expired rows first, then all drop their expired
-- partitions. Skips when another session is running it.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.RUN_SLIDING_WINDOWS
AS
    v_lock CONSTANT VARCHAR2(100) := 'pandadb.sliding_windows run_sliding_windows';
    v_phases CONSTANT SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST('rows', 'partitions');
    v_phase VARCHAR2(20);
BEGIN
    IF NOT PANDADB_SUPPORT.try_session_lock(v_lock) THEN
        DBMS_OUTPUT.PUT_LINE('run_sliding_windows is running in another session: this run is skipped');
        RETURN;
    END IF;
    BEGIN
        FOR i IN 1 .. v_phases.COUNT LOOP
            v_phase := v_phases(i);
            ATLAS_PANDA.JOBS_STATUSLOG_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.TASKS_STATUSLOG_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.HARVESTER_WORKERS_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.HARVESTER_REL_JOBS_WORKERS_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.HARVESTER_DIALOGS_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.HARVESTER_METRICS_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.PANDALOG_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.DATASETS_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.JEDI_EVENTS_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.JOB_METRICS_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.TASK_METRICS_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.WORKER_NODE_METRICS_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.TASK_ATTEMPTS_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.USERCACHEUSAGE_SL_WINDOW(p_phase => v_phase);
            ATLAS_PANDA.JOB_OUTPUT_REPORT_SL_WINDOW(p_phase => v_phase);
        END LOOP;
    EXCEPTION
        WHEN OTHERS THEN
            PANDADB_SUPPORT.session_unlock(v_lock);
            RAISE;
    END;
    PANDADB_SUPPORT.session_unlock(v_lock);
END RUN_SLIDING_WINDOWS;
/
