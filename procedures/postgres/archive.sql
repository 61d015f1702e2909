-- Archival (seed 004, section 8.5, PostgreSQL form): daily partitions of jobsarchived4, filestable4,
-- metatable and jobparamstable whose range ended more than ARCHIVE_AFTER_DAYS days ago are copied to
-- doma_pandaarch (jobsarchived, filestable_arch, metatable_arch, jobparamstable_arch), verified
-- there, and only then dropped. doma_panda.tablepart4copying tracks each partition:
--   no row / 'N'                      due, not copied yet
--   'Y', deleted_on NULL              copied (committed together with the copy), not yet verified and dropped
--   'Y', data_verif_passed 'YES', deleted_on set   verified and dropped
-- Crash safety: the copy of a partition is one transaction with its 'Y' row; verify + drop is a second
-- transaction. A crash inside either loses nothing (it rolls back); a crash between them leaves a
-- 'Y' row whose partition still exists, and the next run verifies and drops it. Before copying, the
-- archive rows with the keys of the partition's rows are deleted, so a repeated copy never duplicates.
-- Row counts are in doma_panda.archive_partition_log.
--
-- Test-only failure injection: SET pandadb.archive_test_failure = 'mid_copy' | 'after_copy' | 'before_drop'.

-- archive_targets: the archived tables, their archive table and the column that identifies a row
-- (a job's pandaid, a file's row_id: unique across all partitions of the table).
CREATE OR REPLACE FUNCTION doma_panda.archive_targets()
RETURNS TABLE (table_name text, source_table text, archive_table text, key_column text, table_order integer)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('jobsarchived4', 'doma_panda.jobsarchived4', 'doma_pandaarch.jobsarchived', 'pandaid', 1),
           ('filestable4', 'doma_panda.filestable4', 'doma_pandaarch.filestable_arch', 'row_id', 2),
           ('metatable', 'doma_panda.metatable', 'doma_pandaarch.metatable_arch', 'pandaid', 3),
           ('jobparamstable', 'doma_panda.jobparamstable', 'doma_pandaarch.jobparamstable_arch', 'pandaid', 4);
$$;

-- archive_target_for: the archive_targets() row of a table; PD002 for a table that is not archived.
--   p_table_name  'jobsarchived4', 'filestable4', 'metatable' or 'jobparamstable'
CREATE OR REPLACE FUNCTION doma_panda.archive_target_for(
    p_table_name text, OUT source_table text, OUT archive_table text, OUT key_column text)
RETURNS record
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT t.source_table, t.archive_table, t.key_column INTO source_table, archive_table, key_column
      FROM doma_panda.archive_targets() t WHERE t.table_name = p_table_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not archived: give jobsarchived4, filestable4, metatable or jobparamstable', p_table_name
            USING ERRCODE = 'PD002';
    END IF;
END;
$$;

-- archive_column_list: the columns the source and the archive table both have, in the source's
-- order, quoted and comma separated (the archive tables differ slightly from the live ones).
--   p_source_table   schema-qualified live table
--   p_archive_table  schema-qualified archive table
CREATE OR REPLACE FUNCTION doma_panda.archive_column_list(p_source_table text, p_archive_table text)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(quote_ident(s.attname), ', ' ORDER BY s.attnum)
      FROM pg_attribute s
      JOIN pg_attribute a ON a.attrelid = p_archive_table::regclass AND a.attname = s.attname
                         AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     WHERE s.attrelid = p_source_table::regclass AND s.attnum > 0 AND NOT s.attisdropped;
$$;

-- archive_after_days: the age (days) after which a partition is archived: p_older_than_days, else
-- gdpconfig pandaserver/archive/ARCHIVE_AFTER_DAYS, else 3. PD002 for a negative number.
--   p_older_than_days  NULL: the gdpconfig value
CREATE OR REPLACE FUNCTION doma_panda.archive_after_days(p_older_than_days integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_days integer := coalesce(p_older_than_days,
                               doma_panda.get_config_value('archive', 'ARCHIVE_AFTER_DAYS')::integer, 3);
BEGIN
    IF v_days < 0 THEN
        RAISE EXCEPTION 'older-than days must be 0 or more, got %', v_days USING ERRCODE = 'PD002';
    END IF;
    RETURN v_days;
END;
$$;

-- archive_candidates: the partitions due for archival (their range ended at least p_older_than_days
-- days before doma_panda.panda_now()), oldest first, with their state: 'to copy' or 'copied'
-- (copied, waiting to be verified and dropped).
--   p_older_than_days  NULL: gdpconfig ARCHIVE_AFTER_DAYS (3)
CREATE OR REPLACE FUNCTION doma_panda.archive_candidates(p_older_than_days integer DEFAULT NULL)
RETURNS TABLE (table_name text, partition_name text, lower_bound timestamp without time zone,
               upper_bound timestamp without time zone, state text)
LANGUAGE sql STABLE AS $$
    SELECT t.table_name, ch.child_table, ch.lower_bound::timestamp, ch.upper_bound::timestamp,
           CASE WHEN EXISTS (SELECT 1 FROM doma_panda.tablepart4copying c
                              WHERE c.table_name = t.table_name AND c.partition_name = ch.child_table
                                AND c.copied_to_arch = 'Y' AND c.deleted_on IS NULL)
                THEN 'copied' ELSE 'to copy' END
      FROM doma_panda.archive_targets() t
     CROSS JOIN LATERAL doma_panda.partition_children(t.source_table) ch
     WHERE NOT ch.is_default AND ch.upper_bound IS NOT NULL
       AND ch.upper_bound::timestamp <= doma_panda.panda_now()
                                        - make_interval(days => doma_panda.archive_after_days(p_older_than_days))
     ORDER BY ch.lower_bound::timestamp, t.table_order;
$$;

-- archive_register_candidates: give every partition due for archival its tablepart4copying row
-- ('N') so that pending work is visible; returns how many were added.
--   p_older_than_days  NULL: gdpconfig ARCHIVE_AFTER_DAYS (3)
CREATE OR REPLACE FUNCTION doma_panda.archive_register_candidates(p_older_than_days integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_added integer;
BEGIN
    INSERT INTO doma_panda.tablepart4copying (table_name, partition_name, copied_to_arch)
    SELECT c.table_name, c.partition_name, 'N' FROM doma_panda.archive_candidates(p_older_than_days) c
     WHERE c.state = 'to copy'
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_added = ROW_COUNT;
    RETURN v_added;
END;
$$;

-- archive_copy_rows: copy a partition's rows into its archive table (internal: the callers lock).
-- The archive rows with the same keys are deleted first, so a repeated copy is exact.
-- Returns {"rows_copied": n, "rows_replaced": m}.
--   p_table_name      the archived table ('jobsarchived4', ...)
--   p_partition_name  one of its partitions (schema doma_panda)
CREATE OR REPLACE FUNCTION doma_panda.archive_copy_rows(p_table_name text, p_partition_name text)
RETURNS jsonb
LANGUAGE plpgsql
-- the archive is (much) bigger than a partition: look its rows up by key, never scan it whole
SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    v_target record;
    v_columns text;
    v_replaced bigint;
    v_copied bigint;
BEGIN
    SELECT * INTO v_target FROM doma_panda.archive_target_for(p_table_name);
    v_columns := doma_panda.archive_column_list(v_target.source_table, v_target.archive_table);
    EXECUTE format('DELETE FROM %s a USING doma_panda.%I p WHERE a.%I = p.%I',
                   v_target.archive_table, p_partition_name, v_target.key_column, v_target.key_column);
    GET DIAGNOSTICS v_replaced = ROW_COUNT;
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM doma_panda.%I',
                   v_target.archive_table, v_columns, v_columns, p_partition_name);
    GET DIAGNOSTICS v_copied = ROW_COUNT;
    RETURN jsonb_build_object('rows_copied', v_copied, 'rows_replaced', v_replaced);
END;
$$;

-- archive_verified_rows: how many archive rows are twins of the partition's rows (same key, same
-- modificationtime): equal to the partition's row count when each row is in the archive exactly once (internal).
--   p_table_name      the archived table
--   p_partition_name  one of its partitions
CREATE OR REPLACE FUNCTION doma_panda.archive_verified_rows(p_table_name text, p_partition_name text)
RETURNS bigint
LANGUAGE plpgsql
-- the archive is (much) bigger than a partition: look its rows up by key, never scan it whole
SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    v_target record;
    v_verified bigint;
BEGIN
    SELECT * INTO v_target FROM doma_panda.archive_target_for(p_table_name);
    EXECUTE format('SELECT count(*) FROM doma_panda.%1$I p JOIN %2$s a ON a.%3$I = p.%3$I AND a.modificationtime = p.modificationtime',
                   p_partition_name, v_target.archive_table, v_target.key_column)
       INTO v_verified;
    RETURN v_verified;
END;
$$;

-- archive_copy_partition: step 1 of archiving a partition, one transaction: copy its rows to the
-- archive table and mark it copied ('N' -> 'Y') in tablepart4copying. Writers of the partition wait
-- (SHARE lock) until the copy commits. A partition already copied is left alone.
-- Returns {"table_name", "partition_name", "status": copied|already copied|busy, "rows_copied", ...}.
--   p_table_name      'jobsarchived4', 'filestable4', 'metatable' or 'jobparamstable'
--   p_partition_name  a range partition of it, e.g. 'jobsarchived4_p2026_01_01'
CREATE OR REPLACE FUNCTION doma_panda.archive_copy_partition(p_table_name text, p_partition_name text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_target record;
    v_child record;
    v_copy jsonb;
    v_now timestamp without time zone := doma_panda.panda_now();
BEGIN
    SELECT * INTO v_target FROM doma_panda.archive_target_for(p_table_name);
    -- one archiver per partition; another run that holds it is doing this very work
    IF NOT pg_try_advisory_xact_lock(hashtext('pandadb archive'), hashtext(p_partition_name)) THEN
        RETURN jsonb_build_object('table_name', p_table_name, 'partition_name', p_partition_name, 'status', 'busy');
    END IF;
    SELECT * INTO v_child FROM doma_panda.partition_children(v_target.source_table)
     WHERE child_table = p_partition_name AND NOT is_default;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM doma_panda.tablepart4copying WHERE table_name = p_table_name
                      AND partition_name = p_partition_name AND copied_to_arch = 'Y' AND deleted_on IS NOT NULL) THEN
            -- a concurrent run archived it meanwhile
            RETURN jsonb_build_object('table_name', p_table_name, 'partition_name', p_partition_name, 'status', 'already dropped');
        END IF;
        RAISE EXCEPTION 'partition % of % does not exist (see pandadb archive status)', p_partition_name, p_table_name
            USING ERRCODE = 'PD003';
    END IF;
    EXECUTE format('LOCK TABLE doma_panda.%I IN SHARE MODE', p_partition_name);
    IF EXISTS (SELECT 1 FROM doma_panda.tablepart4copying WHERE table_name = p_table_name AND partition_name = p_partition_name
                  AND copied_to_arch = 'Y' AND deleted_on IS NULL) THEN
        RETURN jsonb_build_object('table_name', p_table_name, 'partition_name', p_partition_name, 'status', 'already copied');
    END IF;
    v_copy := doma_panda.archive_copy_rows(p_table_name, p_partition_name);
    IF current_setting('pandadb.archive_test_failure', true) = 'mid_copy' THEN
        RAISE EXCEPTION 'pandadb.archive_test_failure = mid_copy: failing inside the copy of %', p_partition_name;
    END IF;
    -- a 'Y' row of an earlier partition of the same name (archived and dropped) makes way for this one
    DELETE FROM doma_panda.tablepart4copying
     WHERE table_name = p_table_name AND partition_name = p_partition_name AND copied_to_arch = 'Y';
    UPDATE doma_panda.tablepart4copying
       SET copied_to_arch = 'Y', copying_done_on = v_now, deleted_on = NULL, data_verif_passed = NULL, data_verified_on = NULL
     WHERE table_name = p_table_name AND partition_name = p_partition_name AND copied_to_arch = 'N';
    IF NOT FOUND THEN
        INSERT INTO doma_panda.tablepart4copying (table_name, partition_name, copied_to_arch, copying_done_on)
        VALUES (p_table_name, p_partition_name, 'Y', v_now);
    END IF;
    INSERT INTO doma_panda.archive_partition_log AS l (table_name, partition_name, lower_bound, upper_bound,
                                                       rows_copied, copies, copy_xid, copied_on)
    VALUES (p_table_name, p_partition_name, v_child.lower_bound::timestamp, v_child.upper_bound::timestamp,
            (v_copy->>'rows_copied')::bigint, 1, pg_current_xact_id(), v_now)
    ON CONFLICT (table_name, partition_name) DO UPDATE
       SET lower_bound = EXCLUDED.lower_bound, upper_bound = EXCLUDED.upper_bound, rows_copied = EXCLUDED.rows_copied,
           rows_verified = NULL, copies = l.copies + 1, copy_xid = EXCLUDED.copy_xid, copied_on = EXCLUDED.copied_on,
           verified_on = NULL, dropped_on = NULL;
    RETURN jsonb_build_object('table_name', p_table_name, 'partition_name', p_partition_name, 'status', 'copied')
           || v_copy;
END;
$$;

-- archive_verify_and_drop_partition: step 2 of archiving a partition, one transaction: with writers
-- locked out, check that every row of the partition is in the archive exactly once (twins by key and
-- modificationtime) and that no row was written since the copy (xmin younger than the copy's
-- transaction); else copy again and check again; then drop the partition and record it
-- (data_verif_passed 'YES', data_verified_on, deleted_on). A partition that does not verify is kept
-- (data_verif_passed 'NO'). When job ends keep the parent table busy for half a second the drop is left to
-- the next run (status busy). Returns {"status": dropped|verify failed|already dropped|busy, ...}.
--   p_table_name      'jobsarchived4', 'filestable4', 'metatable' or 'jobparamstable'
--   p_partition_name  a partition copied by archive_copy_partition
CREATE OR REPLACE FUNCTION doma_panda.archive_verify_and_drop_partition(p_table_name text, p_partition_name text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_target record;
    v_rows bigint;
    v_verified bigint;
    v_changed bigint;
    v_copy_xid xid8;
    v_recopy jsonb;
    v_now timestamp without time zone := doma_panda.panda_now();
    v_result jsonb := jsonb_build_object('table_name', p_table_name, 'partition_name', p_partition_name);
    v_callers_lock_timeout text := current_setting('lock_timeout');
BEGIN
    SELECT * INTO v_target FROM doma_panda.archive_target_for(p_table_name);
    IF NOT pg_try_advisory_xact_lock(hashtext('pandadb archive'), hashtext(p_partition_name)) THEN
        RETURN v_result || jsonb_build_object('status', 'busy');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM doma_panda.partition_children(v_target.source_table)
                    WHERE child_table = p_partition_name AND NOT is_default) THEN
        IF EXISTS (SELECT 1 FROM doma_panda.tablepart4copying WHERE table_name = p_table_name
                      AND partition_name = p_partition_name AND copied_to_arch = 'Y' AND deleted_on IS NOT NULL) THEN
            RETURN v_result || jsonb_build_object('status', 'already dropped');
        END IF;
        RAISE EXCEPTION 'partition % of % does not exist (see pandadb archive status)', p_partition_name, p_table_name
            USING ERRCODE = 'PD003';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM doma_panda.tablepart4copying WHERE table_name = p_table_name
                      AND partition_name = p_partition_name AND copied_to_arch = 'Y' AND deleted_on IS NULL) THEN
        RAISE EXCEPTION 'partition % is not copied to the archive yet: archive_copy_partition comes first', p_partition_name
            USING ERRCODE = 'PD004';
    END IF;
    EXECUTE format('LOCK TABLE doma_panda.%I IN SHARE MODE', p_partition_name);
    SELECT copy_xid INTO v_copy_xid FROM doma_panda.archive_partition_log
     WHERE table_name = p_table_name AND partition_name = p_partition_name;
    -- rows inserted or updated after the copy committed are younger than the copy's transaction
    EXECUTE format('SELECT count(*), count(*) FILTER (WHERE %L::xid8 IS NULL OR age(xmin) < age(%L::xid8::xid))'
                   ' FROM doma_panda.%I', v_copy_xid, v_copy_xid, p_partition_name) INTO v_rows, v_changed;
    v_verified := doma_panda.archive_verified_rows(p_table_name, p_partition_name);
    IF v_changed > 0 OR v_verified <> v_rows THEN
        -- rows were written after the copy (late updates); nobody can write now: copy again
        v_recopy := doma_panda.archive_copy_rows(p_table_name, p_partition_name);
        v_verified := doma_panda.archive_verified_rows(p_table_name, p_partition_name);
        UPDATE doma_panda.archive_partition_log SET rows_copied = (v_recopy->>'rows_copied')::bigint, copies = copies + 1,
                                                    copy_xid = pg_current_xact_id()
         WHERE table_name = p_table_name AND partition_name = p_partition_name;
    END IF;
    UPDATE doma_panda.archive_partition_log SET rows_verified = v_verified, verified_on = v_now
     WHERE table_name = p_table_name AND partition_name = p_partition_name;
    IF v_verified <> v_rows THEN
        UPDATE doma_panda.tablepart4copying SET data_verif_passed = 'NO', data_verified_on = v_now
         WHERE table_name = p_table_name AND partition_name = p_partition_name AND copied_to_arch = 'Y';
        RETURN v_result || jsonb_build_object('status', 'verify failed', 'rows_in_partition', v_rows, 'rows_verified', v_verified);
    END IF;
    UPDATE doma_panda.tablepart4copying SET data_verif_passed = 'YES', data_verified_on = v_now
     WHERE table_name = p_table_name AND partition_name = p_partition_name AND copied_to_arch = 'Y';
    IF current_setting('pandadb.archive_test_failure', true) = 'before_drop' THEN
        RAISE EXCEPTION 'pandadb.archive_test_failure = before_drop: failing before dropping %', p_partition_name;
    END IF;
    -- the drop needs the parent table exclusively, while job ends hold it (row exclusive) and may wait for
    -- this partition, which we hold (share): wait briefly, well under deadlock_timeout, else leave the
    -- partition for the next run ('busy'; verified again then) instead of deadlocking with a job end
    PERFORM set_config('lock_timeout', '500ms', true);
    BEGIN
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', v_target.source_table);
    EXCEPTION WHEN lock_not_available THEN
        PERFORM set_config('lock_timeout', v_callers_lock_timeout, true);
        RETURN v_result || jsonb_build_object('status', 'busy', 'waiting_for', v_target.source_table);
    END;
    PERFORM set_config('lock_timeout', v_callers_lock_timeout, true);
    EXECUTE format('DROP TABLE doma_panda.%I', p_partition_name);
    UPDATE doma_panda.tablepart4copying SET deleted_on = v_now
     WHERE table_name = p_table_name AND partition_name = p_partition_name AND copied_to_arch = 'Y';
    UPDATE doma_panda.archive_partition_log SET dropped_on = v_now
     WHERE table_name = p_table_name AND partition_name = p_partition_name;
    RETURN v_result || jsonb_build_object('status', 'dropped', 'rows_in_partition', v_rows, 'rows_verified', v_verified,
                                          'recopied', v_recopy IS NOT NULL);
END;
$$;

-- archive_old_partitions: the scheduled job (partitions/scheduled_jobs.tsv): archive every partition
-- due, oldest first, one transaction per step (copy; verify + drop) so that a crash loses at most
-- the step in progress, which the next run redoes. Each step's result is sent as a NOTICE
-- 'pandadb archive: {json}' (pandadb archive run shows them). CALL it outside an explicit
-- transaction block, as pg_cron and psql do.
--   p_older_than_days  archive partitions whose range ended this many days ago; NULL: gdpconfig
--                      pandaserver/archive/ARCHIVE_AFTER_DAYS (3)
CREATE OR REPLACE PROCEDURE doma_panda.archive_old_partitions(p_older_than_days integer DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    v_days integer := doma_panda.archive_after_days(p_older_than_days);
    v_candidate record;
    v_result jsonb;
BEGIN
    PERFORM doma_panda.archive_register_candidates(v_days);
    COMMIT;
    FOR v_candidate IN SELECT * FROM doma_panda.archive_candidates(v_days) LOOP
        IF v_candidate.state = 'to copy' THEN
            v_result := doma_panda.archive_copy_partition(v_candidate.table_name, v_candidate.partition_name);
            RAISE NOTICE 'pandadb archive: %', v_result::text;
            COMMIT;
            CONTINUE WHEN v_result->>'status' NOT IN ('copied', 'already copied');
            IF current_setting('pandadb.archive_test_failure', true) = 'after_copy' THEN
                RAISE EXCEPTION 'pandadb.archive_test_failure = after_copy: stopping after the copy of %',
                    v_candidate.partition_name;
            END IF;
        END IF;
        v_result := doma_panda.archive_verify_and_drop_partition(v_candidate.table_name, v_candidate.partition_name);
        RAISE NOTICE 'pandadb archive: %', v_result::text;
        COMMIT;
    END LOOP;
END;
$$;

-- archive_status: tablepart4copying with the row counts of archive_partition_log, newest first.
CREATE OR REPLACE FUNCTION doma_panda.archive_status()
RETURNS TABLE (table_name text, partition_name text, copied_to_arch text, copying_done_on timestamp without time zone,
               data_verif_passed text, data_verified_on timestamp without time zone, deleted_on timestamp without time zone,
               rows_copied bigint, rows_verified bigint, copies integer)
LANGUAGE sql STABLE AS $$
    SELECT c.table_name, c.partition_name, c.copied_to_arch, c.copying_done_on, c.data_verif_passed, c.data_verified_on,
           c.deleted_on, l.rows_copied, l.rows_verified, l.copies
      FROM doma_panda.tablepart4copying c
      LEFT JOIN doma_panda.archive_partition_log l ON l.table_name = c.table_name AND l.partition_name = c.partition_name
     ORDER BY l.lower_bound DESC NULLS FIRST, c.partition_name DESC, c.table_name;
$$;

-- archive_table_counts: the rows of each archive table (exact counts, or the planner's estimates).
--   p_exact  false: pg_class.reltuples (fast on big archives)
CREATE OR REPLACE FUNCTION doma_panda.archive_table_counts(p_exact boolean DEFAULT true)
RETURNS TABLE (archive_table text, row_count bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_target record;
BEGIN
    FOR v_target IN SELECT * FROM doma_panda.archive_targets() ORDER BY table_order LOOP
        archive_table := v_target.archive_table;
        IF p_exact THEN
            EXECUTE format('SELECT count(*) FROM %s', v_target.archive_table) INTO row_count;
        ELSE
            SELECT greatest(reltuples, 0)::bigint INTO row_count FROM pg_class WHERE oid = v_target.archive_table::regclass;
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;
