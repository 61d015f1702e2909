-- Sliding windows: the tables PanDA keeps only for a while (seed 004, sections 8.3.1 and 8.4:
-- "old temporary entries are deleted through a sliding window procedure").
--
-- One procedure per table, <table>_sl_window(p_retention_days, ...), with upstream's retention as the
-- default, and doma_panda.run_sliding_windows() that runs them all with their defaults (the scheduled
-- job 'sliding_windows' of partitions/scheduled_jobs.tsv). "Now" is doma_panda.panda_now(); a row is
-- expired when its time column is older than now - p_retention_days (a row exactly at the boundary stays).
--
-- How expired rows go, on a table range-partitioned by its time column:
--   * 'partitions' phase: each partition whose upper bound is at or before the boundary holds only
--     expired rows and is detached and dropped whole (never the <table>_default partition). DETACH
--     needs an ACCESS EXCLUSIVE lock on the parent: it waits at most 2 seconds (lock_timeout) and a
--     partition it cannot lock is left for the next run, so busy writers are never stalled;
--   * 'rows' phase: the expired rows of the other partitions (the default partition and the one
--     straddling the boundary; partitions that start after the boundary are not read) are DELETEd.
-- On other tables only the 'rows' phase applies.
-- Deletes are batched: one pass over the table collects row ids, and every p_batch_size of them
-- are deleted with one DELETE ... WHERE ctid = ANY(...) that re-checks the expiry (a row updated in
-- between is left for the next run). A procedure called inside a transaction block cannot COMMIT, so
-- all batches of a call belong to the caller's transaction; batching bounds each statement's size,
-- and a failed run deletes nothing.
-- Concurrent runs for the same table do not race: each takes a transaction-level advisory lock keyed
-- on ('pandadb.sliding_windows', table) with pg_try_advisory_xact_lock and skips when it is held.


-- range_partition_bounds: the direct partitions of a range-partitioned table with their bounds as
-- text (NULL for MINVALUE / MAXVALUE), and which one is the default partition.
--   p_parent_table  the partitioned table
CREATE OR REPLACE FUNCTION doma_panda.range_partition_bounds(p_parent_table regclass)
RETURNS TABLE (partition_table regclass, is_default boolean, lower_bound text, upper_bound text, is_partitioned boolean)
LANGUAGE sql STABLE AS $$
    SELECT child.oid::regclass,
           pg_get_expr(child.relpartbound, child.oid) = 'DEFAULT',
           nullif(btrim(substring(pg_get_expr(child.relpartbound, child.oid) FROM '^FOR VALUES FROM \((.*)\) TO \(.*\)$'), ''''),
                  'MINVALUE'),
           nullif(btrim(substring(pg_get_expr(child.relpartbound, child.oid) FROM '^FOR VALUES FROM \(.*\) TO \((.*)\)$'), ''''),
                  'MAXVALUE'),
           child.relkind = 'p'
      FROM pg_inherits inh
      JOIN pg_class child ON child.oid = inh.inhrelid
     WHERE inh.inhparent = p_parent_table;
$$;


-- is_range_partitioned_by: true when the table is partitioned by RANGE on exactly this one column,
-- so that its partition bounds are bounds of that column.
--   p_table        the table
--   p_column_name  the column
CREATE OR REPLACE FUNCTION doma_panda.is_range_partitioned_by(p_table regclass, p_column_name text)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT pt.partstrat = 'r' AND pt.partnatts = 1 AND att.attname = p_column_name
          FROM pg_partitioned_table pt
          JOIN pg_attribute att ON att.attrelid = pt.partrelid AND att.attnum = pt.partattrs[0]
         WHERE pt.partrelid = p_table), false);
$$;


-- delete_expired_rows: delete the rows of one plain table (or leaf partition) that satisfy an expiry
-- condition, in batches (see the file header); returns the number of rows deleted.
--   p_table              the table or leaf partition (not a partitioned table: it has no ctid)
--   p_expired_condition  an SQL condition on the row, aliased 'expired', with $1 = the boundary;
--                        internal: written by the window procedures of this file, never user input
--   p_boundary           the timestamp the condition compares with
--   p_batch_size         rows per DELETE
CREATE OR REPLACE FUNCTION doma_panda.delete_expired_rows(
    p_table regclass, p_expired_condition text, p_boundary timestamp without time zone, p_batch_size integer)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    expired_row record;
    batch tid[] := '{}';
    batch_length integer := 0;
    deleted_in_batch bigint;
    deleted_total bigint := 0;
    delete_batch_sql text := format('DELETE FROM %s AS expired WHERE ctid = ANY($2) AND (%s)', p_table, p_expired_condition);
BEGIN
    FOR expired_row IN EXECUTE format('SELECT ctid AS row_id FROM %s AS expired WHERE %s', p_table, p_expired_condition)
                       USING p_boundary LOOP
        batch_length := batch_length + 1;
        batch[batch_length] := expired_row.row_id;  -- in-place append (expanded array)
        IF batch_length >= p_batch_size THEN
            EXECUTE delete_batch_sql USING p_boundary, batch;
            GET DIAGNOSTICS deleted_in_batch = ROW_COUNT;
            deleted_total := deleted_total + deleted_in_batch;
            batch := '{}';
            batch_length := 0;
        END IF;
    END LOOP;
    IF batch_length > 0 THEN
        EXECUTE delete_batch_sql USING p_boundary, batch;
        GET DIAGNOSTICS deleted_in_batch = ROW_COUNT;
        deleted_total := deleted_total + deleted_in_batch;
    END IF;
    RETURN deleted_total;
END;
$$;


-- detach_and_drop_partition: detach a partition from its parent and drop it, waiting at most
-- 2 seconds for the parent's lock; returns false (with a NOTICE) when it could not, so the caller
-- leaves it for the next run. The caller's lock_timeout is restored afterwards.
--   p_parent_table     the partitioned table
--   p_partition_table  the partition to drop
CREATE OR REPLACE FUNCTION doma_panda.detach_and_drop_partition(p_parent_table regclass, p_partition_table regclass)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    callers_lock_timeout text := current_setting('lock_timeout');
    partition_name text := p_partition_table::text;
BEGIN
    PERFORM set_config('lock_timeout', '2s', true);
    BEGIN
        EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', p_parent_table, p_partition_table);
        EXECUTE format('DROP TABLE %s', p_partition_table);
    EXCEPTION
        WHEN lock_not_available THEN
            PERFORM set_config('lock_timeout', callers_lock_timeout, true);
            RAISE NOTICE 'partition % of % is busy: left for the next sliding-window run', partition_name, p_parent_table;
            RETURN false;
        WHEN undefined_table OR invalid_object_definition OR object_not_in_prerequisite_state THEN
            -- dropped or detached meanwhile (e.g. by partition maintenance)
            PERFORM set_config('lock_timeout', callers_lock_timeout, true);
            RAISE NOTICE 'partition % of % is gone already: %', partition_name, p_parent_table, SQLERRM;
            RETURN false;
    END;
    PERFORM set_config('lock_timeout', callers_lock_timeout, true);
    RETURN true;
END;
$$;


-- drop_expired_partitions: detach and drop the partitions of a table range-partitioned by
-- p_column_name whose upper bound is at or before p_boundary (all their rows are expired); never the
-- default partition, never a partition with an unbounded (MAXVALUE) upper bound; returns how many
-- were dropped. Does nothing on a table not range-partitioned by that column.
--   p_table        the partitioned table
--   p_column_name  its partition key column (a timestamp)
--   p_boundary     rows older than this are expired
CREATE OR REPLACE FUNCTION doma_panda.drop_expired_partitions(
    p_table regclass, p_column_name text, p_boundary timestamp without time zone)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    part record;
    dropped integer := 0;
BEGIN
    IF NOT doma_panda.is_range_partitioned_by(p_table, p_column_name) THEN
        RETURN 0;
    END IF;
    FOR part IN
        SELECT b.partition_table
          FROM doma_panda.range_partition_bounds(p_table) b
         WHERE NOT b.is_default AND b.upper_bound IS NOT NULL
           AND b.upper_bound::timestamp without time zone <= p_boundary
         ORDER BY b.upper_bound::timestamp without time zone
    LOOP
        IF doma_panda.detach_and_drop_partition(p_table, part.partition_table) THEN
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END;
$$;


-- tables_holding_expired_rows: the plain tables (leaf partitions) of p_table whose rows the 'rows'
-- phase must look at: the table itself when it is not partitioned; otherwise every leaf, except, when
-- the table is range-partitioned by p_column_name, the partitions that start at or after the boundary
-- (nothing expired there) and those that end at or before it (dropped whole by the 'partitions' phase).
--   p_table        the table
--   p_column_name  its time column
--   p_boundary     rows older than this are expired
CREATE OR REPLACE FUNCTION doma_panda.tables_holding_expired_rows(
    p_table regclass, p_column_name text, p_boundary timestamp without time zone)
RETURNS SETOF regclass
LANGUAGE plpgsql STABLE AS $$
DECLARE
    part record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = p_table) THEN
        RETURN NEXT p_table;
        RETURN;
    END IF;
    IF NOT doma_panda.is_range_partitioned_by(p_table, p_column_name) THEN
        RETURN QUERY SELECT relid FROM pg_partition_tree(p_table) WHERE isleaf;
        RETURN;
    END IF;
    FOR part IN SELECT * FROM doma_panda.range_partition_bounds(p_table) LOOP
        CONTINUE WHEN NOT part.is_default AND part.lower_bound IS NOT NULL
                      AND part.lower_bound::timestamp without time zone >= p_boundary;
        CONTINUE WHEN NOT part.is_default AND part.upper_bound IS NOT NULL
                      AND part.upper_bound::timestamp without time zone <= p_boundary;
        IF part.is_partitioned THEN
            RETURN QUERY SELECT relid FROM pg_partition_tree(part.partition_table) WHERE isleaf;
        ELSE
            RETURN NEXT part.partition_table;
        END IF;
    END LOOP;
END;
$$;


-- check_sliding_window_arguments: raise PD003 for an unknown table and PD002 for a retention or batch
-- size below 1 or an unknown phase, naming what is wrong.
--   p_table_name, p_retention_days, p_batch_size, p_phase  as in panda_table_sl_window
CREATE OR REPLACE FUNCTION doma_panda.check_sliding_window_arguments(
    p_table_name text, p_retention_days integer, p_batch_size integer, p_phase text)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_table_name IS NULL OR to_regclass(p_table_name) IS NULL THEN
        RAISE EXCEPTION 'sliding window: table % does not exist', coalesce(p_table_name, 'NULL') USING ERRCODE = 'PD003';
    END IF;
    IF p_retention_days IS NULL OR p_retention_days < 1 THEN
        RAISE EXCEPTION 'sliding window of %: retention must be a whole number of days >= 1, not %',
            p_table_name, coalesce(p_retention_days::text, 'NULL') USING ERRCODE = 'PD002';
    END IF;
    IF p_batch_size IS NULL OR p_batch_size < 1 THEN
        RAISE EXCEPTION 'sliding window of %: batch size must be >= 1, not %', p_table_name, coalesce(p_batch_size::text, 'NULL')
            USING ERRCODE = 'PD002';
    END IF;
    IF p_phase IS NULL OR p_phase NOT IN ('all', 'rows', 'partitions') THEN
        RAISE EXCEPTION 'sliding window of %: phase must be all, rows or partitions, not %', p_table_name,
            coalesce(p_phase, 'NULL') USING ERRCODE = 'PD002';
    END IF;
END;
$$;


-- panda_table_sl_window: the sliding window of one table (upstream PANDA_TABLE_SL_WINDOW, extended
-- to partitions and plain tables): rows whose p_column_name is older than now - p_retention_days go.
--   p_table_name        the table, e.g. 'doma_panda.jobs_statuslog'
--   p_column_name       its time column, e.g. 'modificationtime'
--   p_retention_days    days of rows to keep (> 0)
--   p_batch_size        rows per DELETE (> 0)
--   p_phase             'all' (rows, then partitions), 'rows' (delete the expired rows outside the
--                       partitions that expire whole) or 'partitions' (drop those partitions)
CREATE OR REPLACE PROCEDURE doma_panda.panda_table_sl_window(
    p_table_name text, p_column_name text, p_retention_days integer,
    p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
DECLARE
    target regclass := to_regclass(p_table_name);
    column_type regtype;
    boundary timestamp without time zone;
    leaf regclass;
    rows_deleted bigint := 0;
    partitions_dropped integer := 0;
BEGIN
    PERFORM doma_panda.check_sliding_window_arguments(p_table_name, p_retention_days, p_batch_size, p_phase);
    SELECT atttypid::regtype INTO column_type
      FROM pg_attribute WHERE attrelid = target AND attname = p_column_name AND attnum > 0 AND NOT attisdropped;
    IF column_type IS NULL OR column_type NOT IN ('timestamp without time zone'::regtype, 'date'::regtype) THEN
        RAISE EXCEPTION 'sliding window: % has no timestamp column %', target, coalesce(p_column_name, 'NULL')
            USING ERRCODE = 'PD002';
    END IF;
    -- keyed on the table's oid: the same table whatever the caller's search_path
    IF NOT pg_try_advisory_xact_lock(hashtext('pandadb.sliding_windows'), hashtext(target::oid::text)) THEN
        RAISE NOTICE 'sliding window of % is running in another session: this run is skipped', target;
        RETURN;
    END IF;

    boundary := doma_panda.panda_now() - make_interval(days => p_retention_days);
    IF p_phase IN ('all', 'rows') THEN
        FOR leaf IN SELECT * FROM doma_panda.tables_holding_expired_rows(target, p_column_name, boundary) LOOP
            rows_deleted := rows_deleted + doma_panda.delete_expired_rows(
                leaf, format('expired.%I < $1', p_column_name), boundary, p_batch_size);
        END LOOP;
    END IF;
    IF p_phase IN ('all', 'partitions') THEN
        partitions_dropped := doma_panda.drop_expired_partitions(target, p_column_name, boundary);
    END IF;
    RAISE NOTICE 'sliding window of % (% days, before %): % rows deleted, % partitions dropped',
        target, p_retention_days, boundary, rows_deleted, partitions_dropped;
END;
$$;


-- The windows. p_retention_days defaults to the upstream offset named in each comment;
-- p_batch_size and p_phase as in panda_table_sl_window.

-- jobs_statuslog_sl_window: job state transitions, by modificationtime.
-- 93 days: JOBS_STATUSLOG_SL_WINDOW(DAYS_OFFSET default 93), scheduled as JOBS_STATUSLOG_SL_WINDOW(93).
CREATE OR REPLACE PROCEDURE doma_panda.jobs_statuslog_sl_window(
    p_retention_days integer DEFAULT 93, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.jobs_statuslog', 'modificationtime', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- tasks_statuslog_sl_window: task state transitions, by modificationtime.
-- 93 days: TASKS_STATUSLOG_SL_WINDOW(DAYS_OFFSET default 93).
CREATE OR REPLACE PROCEDURE doma_panda.tasks_statuslog_sl_window(
    p_retention_days integer DEFAULT 93, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.tasks_statuslog', 'modificationtime', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- harvester_workers_sl_window: harvester workers, by lastupdate.
-- 60 days: HARVESTER_WORKERS_SL_WINDOW(DAYS_OFFSET default 60), scheduled with 60.
CREATE OR REPLACE PROCEDURE doma_panda.harvester_workers_sl_window(
    p_retention_days integer DEFAULT 60, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.harvester_workers', 'lastupdate', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- harvester_rel_jobs_workers_sl_window: worker-job relations, by lastupdate (the table is partitioned
-- by pandaid, so rows are deleted, using harv_work_reljobs_lastupd_idx).
-- 60 days: upstream has no window of its own; the relations live as long as their workers
-- (HARVESTER_WORKERS_SL_WINDOW, 60 days).
CREATE OR REPLACE PROCEDURE doma_panda.harvester_rel_jobs_workers_sl_window(
    p_retention_days integer DEFAULT 60, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.harvester_rel_jobs_workers', 'lastupdate', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- harvester_dialogs_sl_window: harvester error messages, by creationtime.
-- 10 days: scheduled as PANDA_TABLE_SL_WINDOW('HARVESTER_DIALOGS', 'CREATIONTIME', 10).
CREATE OR REPLACE PROCEDURE doma_panda.harvester_dialogs_sl_window(
    p_retention_days integer DEFAULT 10, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.harvester_dialogs', 'creationtime', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- harvester_metrics_sl_window: harvester service metrics, by creation_time.
-- 7 days: the upstream PostgreSQL setup (pg_PARTITION.sql, pg_partman retention '7 days').
CREATE OR REPLACE PROCEDURE doma_panda.harvester_metrics_sl_window(
    p_retention_days integer DEFAULT 7, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.harvester_metrics', 'creation_time', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- pandalog_sl_window: the server's log table, by bintime.
-- 10 days: scheduled as PANDALOG_SL_WINDOW('PANDALOG', 10).
CREATE OR REPLACE PROCEDURE doma_panda.pandalog_sl_window(
    p_retention_days integer DEFAULT 10, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.pandalog', 'bintime', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- datasets_sl_window: PanDA's own datasets (not JEDI's), by modificationdate.
-- 93 days: DATASETS_90DAYS_SL_WINDOW(DAYS_OFFSET default 93).
CREATE OR REPLACE PROCEDURE doma_panda.datasets_sl_window(
    p_retention_days integer DEFAULT 93, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.datasets', 'modificationdate', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- job_metrics_sl_window: per-job metrics, by modificationtime.
-- 365 days: the upstream PostgreSQL setup (patch 0.0.23, pg_partman retention '12 months').
CREATE OR REPLACE PROCEDURE doma_panda.job_metrics_sl_window(
    p_retention_days integer DEFAULT 365, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.job_metrics', 'modificationtime', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- task_metrics_sl_window: per-task metrics, by modificationtime.
-- 365 days: the upstream PostgreSQL setup (patch 0.0.23, pg_partman retention '12 months').
CREATE OR REPLACE PROCEDURE doma_panda.task_metrics_sl_window(
    p_retention_days integer DEFAULT 365, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.task_metrics', 'modificationtime', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- worker_node_metrics_sl_window: daily worker-node statistics, by "timestamp".
-- 365 days: the upstream PostgreSQL setup (patch 0.0.25, pg_partman retention '12 months').
CREATE OR REPLACE PROCEDURE doma_panda.worker_node_metrics_sl_window(
    p_retention_days integer DEFAULT 365, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.worker_node_metrics', 'timestamp', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- task_attempts_sl_window: task attempts, by starttime.
-- 365 days: scheduled as PANDA_TABLE_SL_WINDOW('TASK_ATTEMPTS', 'STARTTIME', 365).
CREATE OR REPLACE PROCEDURE doma_panda.task_attempts_sl_window(
    p_retention_days integer DEFAULT 365, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.task_attempts', 'starttime', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- usercacheusage_sl_window: the user sandbox cache bookkeeping (doma_pandameta), by creationtime.
-- 93 days: the upstream PostgreSQL setup (pg_PARTITION.sql, pg_partman retention '3 months').
CREATE OR REPLACE PROCEDURE doma_panda.usercacheusage_sl_window(
    p_retention_days integer DEFAULT 93, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_pandameta.usercacheusage', 'creationtime', p_retention_days, p_batch_size, p_phase);
END;
$$;

-- job_output_report_sl_window: output reports the Adder never picked up, by "timestamp" (a plain
-- table: rows are deleted). 30 days: upstream has no database window (the Adder deletes the report
-- it processes); a month is the retention of the jobs themselves in jobsarchived4.
CREATE OR REPLACE PROCEDURE doma_panda.job_output_report_sl_window(
    p_retention_days integer DEFAULT 30, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
BEGIN
    CALL doma_panda.panda_table_sl_window('doma_panda.job_output_report', 'timestamp', p_retention_days, p_batch_size, p_phase);
END;
$$;


-- jedi_events_partition_is_over: true when a jedi_events partition (a range of jeditaskid) can go
-- whole: it holds events, every task of its range and every task its event rows name is over (done,
-- finished, failed, broken, aborted) and was last modified before p_boundary, and the range lies
-- entirely below the newest task (no future task can fall into it). Upstream DELETE_JEDI_EVENTS_PROC
-- checked the event rows only (and skipped empty partitions); checking the tasks of the range too
-- keeps a partition whose tasks have no events yet. Empty partitions are partition maintenance's business.
--   p_partition_table  the partition
--   p_first_task       its lower bound (first jeditaskid)
--   p_end_task         its upper bound (first jeditaskid after it)
--   p_boundary         tasks modified before this are old enough
CREATE OR REPLACE FUNCTION doma_panda.jedi_events_partition_is_over(
    p_partition_table regclass, p_first_task bigint, p_end_task bigint, p_boundary timestamp without time zone)
RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    is_over boolean;
BEGIN
    IF p_end_task > (SELECT max(jeditaskid) FROM doma_panda.jedi_tasks) IS NOT FALSE THEN
        RETURN false;
    END IF;
    EXECUTE format(
        'SELECT EXISTS (SELECT 1 FROM %1$s)'
        '   AND NOT EXISTS (SELECT 1 FROM doma_panda.jedi_tasks t WHERE t.jeditaskid >= $1 AND t.jeditaskid < $2'
        '                     AND NOT (t.status IN (''done'', ''finished'', ''failed'', ''broken'', ''aborted'')'
        '                              AND t.modificationtime < $3))'
        '   AND NOT EXISTS (SELECT 1 FROM %1$s e WHERE NOT EXISTS ('
        '         SELECT 1 FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = e.jeditaskid'
        '            AND t.status IN (''done'', ''finished'', ''failed'', ''broken'', ''aborted'') AND t.modificationtime < $3))',
        p_partition_table)
      INTO is_over USING p_first_task, p_end_task, p_boundary;
    RETURN is_over;
END;
$$;


-- jedi_events_sl_window: the event ranges of tasks that are over (done, finished, failed, broken,
-- aborted) and were last modified more than p_retention_days ago. 'partitions' phase: the partitions
-- where every task is over (jedi_events_partition_is_over) are detached and dropped; 'rows' phase: the
-- other events of such tasks are deleted in batches (the tasks' modificationtime is the clock: events
-- have no time of their own).
-- 30 days: DELETE_JEDI_EVENTS_PROC (t.MODIFICATIONTIME < sysdate - 30).
--   p_retention_days, p_batch_size, p_phase  as in panda_table_sl_window
CREATE OR REPLACE PROCEDURE doma_panda.jedi_events_sl_window(
    p_retention_days integer DEFAULT 30, p_batch_size integer DEFAULT 10000, p_phase text DEFAULT 'all')
LANGUAGE plpgsql AS $$
DECLARE
    boundary timestamp without time zone;
    part record;
    rows_deleted bigint := 0;
    partitions_dropped integer := 0;
BEGIN
    PERFORM doma_panda.check_sliding_window_arguments('doma_panda.jedi_events', p_retention_days, p_batch_size, p_phase);
    IF NOT pg_try_advisory_xact_lock(hashtext('pandadb.sliding_windows'),
                                     hashtext('doma_panda.jedi_events'::regclass::oid::text)) THEN
        RAISE NOTICE 'sliding window of doma_panda.jedi_events is running in another session: this run is skipped';
        RETURN;
    END IF;
    boundary := doma_panda.panda_now() - make_interval(days => p_retention_days);
    FOR part IN
        SELECT b.*, b.lower_bound IS NOT NULL AND b.upper_bound IS NOT NULL AND NOT b.is_default
                    AND doma_panda.jedi_events_partition_is_over(b.partition_table, b.lower_bound::bigint,
                                                                 b.upper_bound::bigint, boundary) AS is_over
          FROM doma_panda.range_partition_bounds('doma_panda.jedi_events') b
         ORDER BY b.is_default, b.lower_bound::bigint
    LOOP
        IF part.is_over THEN
            IF p_phase IN ('all', 'partitions')
               AND doma_panda.detach_and_drop_partition('doma_panda.jedi_events', part.partition_table) THEN
                partitions_dropped := partitions_dropped + 1;
            END IF;
        ELSIF p_phase IN ('all', 'rows') THEN
            rows_deleted := rows_deleted + (
                SELECT coalesce(sum(doma_panda.delete_expired_rows(
                           leaf.relid,
                           'EXISTS (SELECT 1 FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = expired.jeditaskid'
                           ' AND t.status IN (''done'', ''finished'', ''failed'', ''broken'', ''aborted'')'
                           ' AND t.modificationtime < $1)',
                           boundary, p_batch_size)), 0)
                  FROM pg_partition_tree(part.partition_table) leaf WHERE leaf.isleaf);
        END IF;
    END LOOP;
    RAISE NOTICE 'sliding window of doma_panda.jedi_events (% days, tasks over before %): % rows deleted, % partitions dropped',
        p_retention_days, boundary, rows_deleted, partitions_dropped;
END;
$$;


-- run_sliding_windows: every sliding window with its default retention (the scheduled job
-- 'sliding_windows'). All windows delete their expired rows first, then all drop their expired
-- partitions, so the parents' ACCESS EXCLUSIVE locks (held to the end of the transaction) are taken
-- last and held briefly. Skips when another session is running it.
CREATE OR REPLACE PROCEDURE doma_panda.run_sliding_windows()
LANGUAGE plpgsql AS $$
DECLARE
    phase text;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('pandadb.sliding_windows'), hashtext('run_sliding_windows')) THEN
        RAISE NOTICE 'run_sliding_windows is running in another session: this run is skipped';
        RETURN;
    END IF;
    FOREACH phase IN ARRAY ARRAY['rows', 'partitions'] LOOP
        CALL doma_panda.jobs_statuslog_sl_window(p_phase => phase);
        CALL doma_panda.tasks_statuslog_sl_window(p_phase => phase);
        CALL doma_panda.harvester_workers_sl_window(p_phase => phase);
        CALL doma_panda.harvester_rel_jobs_workers_sl_window(p_phase => phase);
        CALL doma_panda.harvester_dialogs_sl_window(p_phase => phase);
        CALL doma_panda.harvester_metrics_sl_window(p_phase => phase);
        CALL doma_panda.pandalog_sl_window(p_phase => phase);
        CALL doma_panda.datasets_sl_window(p_phase => phase);
        CALL doma_panda.jedi_events_sl_window(p_phase => phase);
        CALL doma_panda.job_metrics_sl_window(p_phase => phase);
        CALL doma_panda.task_metrics_sl_window(p_phase => phase);
        CALL doma_panda.worker_node_metrics_sl_window(p_phase => phase);
        CALL doma_panda.task_attempts_sl_window(p_phase => phase);
        CALL doma_panda.usercacheusage_sl_window(p_phase => phase);
        CALL doma_panda.job_output_report_sl_window(p_phase => phase);
    END LOOP;
END;
$$;
