-- Row plumbing of the job tables shared by jobs.sql, job_commands.sql, dispatch.sql, retry.sql and
-- watchdog.sql: finding and locking a job, moving its row between the job tables, logging its status,
-- checking values against the columns, finalising it, tagging shares and resource types, inserting files.
-- Conventions (errors, where a job lives, concurrency): see the header of jobs.sql.

-- job_precise_now: the pinned pandadb.clock, else the current UTC time with microseconds.
-- jobs_statuslog.modiftime_extended uses it to order the transitions of one second.
CREATE OR REPLACE FUNCTION doma_panda.job_precise_now()
RETURNS timestamp without time zone
LANGUAGE sql VOLATILE AS $$
    SELECT coalesce(nullif(current_setting('pandadb.clock', true), '')::timestamp without time zone,
                    clock_timestamp() AT TIME ZONE 'UTC');
$$;

-- job_table_for_status: the job table that holds jobs of a status; NULL for a word that is no job status.
--   p_job_status  a job status (seed 004 section 2.5)
CREATE OR REPLACE FUNCTION doma_panda.job_table_for_status(p_job_status text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_job_status IN ('defined', 'assigned') THEN 'jobsdefined4'
        WHEN p_job_status IN ('waiting', 'pending') THEN 'jobswaiting4'
        WHEN p_job_status IN ('activated', 'throttled', 'sent', 'starting', 'running', 'holding', 'merging',
                              'transferring') THEN 'jobsactive4'
        WHEN p_job_status IN ('finished', 'failed', 'cancelled', 'closed') THEN 'jobsarchived4'
    END;
$$;

-- job_table_columns: the column names of a doma_panda table, in table order.
--   p_table  the table name without schema (e.g. 'jobsactive4', 'filestable4')
CREATE OR REPLACE FUNCTION doma_panda.job_table_columns(p_table text)
RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT array_agg(a.attname::text ORDER BY a.attnum)
      FROM pg_attribute a
     WHERE a.attrelid = to_regclass('doma_panda.' || quote_ident(p_table)) AND a.attnum > 0 AND NOT a.attisdropped;
$$;

-- job_check_values: refuse (PD002) values that do not fit the columns of a doma_panda table, naming
-- the key. Values are judged by casting them to the column types (jsonb_populate_record), which also
-- checks lengths of varchar columns; JSON objects and arrays are refused for every column.
--   p_table   the table whose column types judge the values
--   p_values  {column: value}; keys must be columns of p_table
--   p_what    what the values are, for the message (e.g. 'job spec 2')
CREATE OR REPLACE FUNCTION doma_panda.job_check_values(p_table text, p_values jsonb, p_what text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_key text;
    v_value jsonb;
    v_type text;
BEGIN
    SELECT e.key INTO v_key FROM jsonb_each(p_values) e WHERE jsonb_typeof(e.value) IN ('object', 'array') ORDER BY e.key LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%: % must be a single value, not a JSON %', p_what, v_key, jsonb_typeof(p_values -> v_key)
            USING ERRCODE = 'PD002';
    END IF;
    BEGIN  -- all at once first: the common case of valid input costs one cast
        EXECUTE format('SELECT jsonb_populate_record(NULL::doma_panda.%I, $1)', p_table) USING p_values;
        RETURN;
    EXCEPTION WHEN data_exception THEN
        NULL;  -- one of them is wrong: find it below to name it
    END;
    FOR v_key, v_value IN SELECT e.key, e.value FROM jsonb_each(p_values) e ORDER BY e.key LOOP
        BEGIN
            EXECUTE format('SELECT jsonb_populate_record(NULL::doma_panda.%I, $1)', p_table)
                USING jsonb_build_object(v_key, v_value);
        EXCEPTION WHEN data_exception THEN
            SELECT format_type(a.atttypid, a.atttypmod) INTO v_type
              FROM pg_attribute a
             WHERE a.attrelid = to_regclass('doma_panda.' || quote_ident(p_table)) AND a.attname = v_key;
            RAISE EXCEPTION '%: % = % does not fit its type %', p_what, v_key, v_value, v_type USING ERRCODE = 'PD002';
        END;
    END LOOP;
END;
$$;

-- job_integral_numbers: JSON numbers with an integral value (1000.0, as JSON encoders of floats write
-- them) made integers for the integer columns of a doma_panda table, so that they cast; other values as given.
--   p_table   the table whose column types apply
--   p_values  {column: value}
CREATE OR REPLACE FUNCTION doma_panda.job_integral_numbers(p_table text, p_values jsonb)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_object_agg(e.key,
               CASE WHEN jsonb_typeof(e.value) = 'number'
                         AND a.atttypid IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
                         AND (e.value::text)::numeric = trunc((e.value::text)::numeric)
                    THEN to_jsonb(trunc((e.value::text)::numeric))
                    ELSE e.value END), '{}'::jsonb)
      FROM jsonb_each(p_values) e
      LEFT JOIN pg_attribute a ON a.attrelid = to_regclass('doma_panda.' || quote_ident(p_table)) AND a.attname = e.key
                              AND NOT a.attisdropped;
$$;

-- job_lock: find a job and lock its row (FOR UPDATE). Returns its table and the row as JSON, both
-- NULL when no job has that PandaID. Final (archived) rows never change and are read without a lock.
--   p_pandaid  the PandaID
CREATE OR REPLACE FUNCTION doma_panda.job_lock(p_pandaid bigint, OUT job_table text, OUT job jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    -- twice: a job moved by a transaction that commits between two of the statements is found on the second pass
    FOR pass IN 1..2 LOOP
        SELECT 'jobswaiting4', to_jsonb(j) INTO job_table, job
          FROM doma_panda.jobswaiting4 j WHERE j.pandaid = p_pandaid FOR UPDATE;
        EXIT WHEN FOUND;
        SELECT 'jobsdefined4', to_jsonb(j) INTO job_table, job
          FROM doma_panda.jobsdefined4 j WHERE j.pandaid = p_pandaid FOR UPDATE;
        EXIT WHEN FOUND;
        SELECT 'jobsactive4', to_jsonb(j) INTO job_table, job
          FROM doma_panda.jobsactive4 j WHERE j.pandaid = p_pandaid FOR UPDATE;
        EXIT WHEN FOUND;
        SELECT 'jobsarchived4', to_jsonb(j) INTO job_table, job
          FROM doma_panda.jobsarchived4 j WHERE j.pandaid = p_pandaid ORDER BY j.modificationtime DESC LIMIT 1;
        EXIT WHEN FOUND;
        job_table := NULL;
        job := NULL;
    END LOOP;
END;
$$;

-- job_log_status: one jobs_statuslog row for a job row in its (new) status.
--   p_job  the job row as JSON (pandaid, modificationtime, jobstatus, prodsourcelabel, cloud, computingsite, modificationhost)
CREATE OR REPLACE FUNCTION doma_panda.job_log_status(p_job jsonb)
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO doma_panda.jobs_statuslog (pandaid, modificationtime, jobstatus, prodsourcelabel, cloud, computingsite,
                                          modificationhost, modiftime_extended)
    VALUES ((p_job ->> 'pandaid')::bigint, (p_job ->> 'modificationtime')::timestamp, p_job ->> 'jobstatus',
            p_job ->> 'prodsourcelabel', p_job ->> 'cloud', p_job ->> 'computingsite', p_job ->> 'modificationhost',
            doma_panda.job_precise_now());
$$;

-- job_insert_row: insert a row given as JSON into a doma_panda table; keys that are no column of the
-- table are ignored, absent columns take their defaults.
--   p_table  the table name without schema
--   p_row    {column: value}
CREATE OR REPLACE FUNCTION doma_panda.job_insert_row(p_table text, p_row jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_columns text;
BEGIN
    SELECT string_agg(quote_ident(c), ', ') INTO v_columns
      FROM unnest(doma_panda.job_table_columns(p_table)) AS c
     WHERE p_row ? c;
    EXECUTE format('INSERT INTO doma_panda.%I (%s) SELECT %s FROM jsonb_populate_record(NULL::doma_panda.%I, $1)',
                   p_table, v_columns, v_columns, p_table) USING p_row;
END;
$$;

-- job_update_row: set columns of one job row; logs the status when p_changes holds 'jobstatus'
-- (callers include it only when the status changes). Returns the updated row.
--   p_table    the job table holding the (locked) row
--   p_pandaid  the PandaID
--   p_changes  {column: new value}; a JSON null sets the column to NULL
CREATE OR REPLACE FUNCTION doma_panda.job_update_row(p_table text, p_pandaid bigint, p_changes jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_assignments text;
    v_row jsonb;
BEGIN
    SELECT string_agg(format('%I = c.%I', c, c), ', ') INTO v_assignments
      FROM unnest(doma_panda.job_table_columns(p_table)) AS c
     WHERE p_changes ? c AND c <> 'pandaid';
    EXECUTE format('UPDATE doma_panda.%I AS j SET %s FROM jsonb_populate_record(NULL::doma_panda.%I, $1) AS c '
                   'WHERE j.pandaid = $2 RETURNING to_jsonb(j)', p_table, v_assignments, p_table)
       INTO v_row USING p_changes, p_pandaid;
    IF v_row IS NULL THEN
        RAISE EXCEPTION 'job % is not in %', p_pandaid, p_table USING ERRCODE = 'PD003';
    END IF;
    IF p_changes ? 'jobstatus' THEN
        PERFORM doma_panda.job_log_status(v_row);
    END IF;
    RETURN v_row;
END;
$$;

-- job_move_row: move one job row to another job table (DELETE ... RETURNING + INSERT), applying
-- p_changes on the way, and log its status. Returns the row as inserted.
--   p_from, p_to  the job tables
--   p_pandaid     the PandaID (its row should be locked by the caller)
--   p_changes     {column: new value}, normally with the new 'jobstatus'
CREATE OR REPLACE FUNCTION doma_panda.job_move_row(p_from text, p_to text, p_pandaid bigint, p_changes jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_row jsonb;
BEGIN
    EXECUTE format('DELETE FROM doma_panda.%I AS j WHERE j.pandaid = $1 RETURNING to_jsonb(j)', p_from)
       INTO v_row USING p_pandaid;
    IF v_row IS NULL THEN
        RAISE EXCEPTION 'job % is not in %', p_pandaid, p_from USING ERRCODE = 'PD003';
    END IF;
    v_row := v_row || p_changes;
    PERFORM doma_panda.job_insert_row(p_to, v_row);
    PERFORM doma_panda.job_log_status(v_row);
    RETURN v_row;
END;
$$;

-- job_is_epoch: true when a job timestamp is unset (NULL or the tables' default 1970-01-01).
CREATE OR REPLACE FUNCTION doma_panda.job_is_epoch(p_value text)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_value IS NULL OR p_value::timestamp <= '1970-01-01 00:00:00'::timestamp;
$$;

-- job_has_flag: true when a job's specialhandling (comma-separated items) holds an item.
--   p_special_handling  the specialhandling column
--   p_items             the item spellings that mean the flag (e.g. '{dm,debug}')
CREATE OR REPLACE FUNCTION doma_panda.job_has_flag(p_special_handling text, p_items text[])
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_to_array(p_special_handling, ',') && p_items, false);
$$;

-- job_finalize: move a job to jobsarchived4 in a final status (finished, failed, cancelled, closed),
-- as PanDA's archiveJob does: the row with p_changes applied (modification/state-change time now, end
-- time now unless known), its output and log files 'ready' (finished) or 'failed', the modification time
-- of its parameters and metadata rows set to the job's (they are archived with its partition; filestable4
-- rows stay where they are), the task's file counters. A failed job is judged by the retry rules
-- (retry.sql) and may get a new attempt. Returns the archived row with "retry" (the decision) added.
--   p_from           the job table the (locked) row is in
--   p_job            the row as JSON
--   p_changes        {column: value}, with the final 'jobstatus'
--   p_new_pandaid    the new attempt already made for this job (reassign), if any
CREATE OR REPLACE FUNCTION doma_panda.job_finalize(p_from text, p_job jsonb, p_changes jsonb, p_new_pandaid bigint DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_pandaid bigint := (p_job ->> 'pandaid')::bigint;
    v_status text := p_changes ->> 'jobstatus';
    v_changes jsonb;
    v_row jsonb;
    v_retry jsonb;
BEGIN
    IF doma_panda.job_table_for_status(v_status) IS DISTINCT FROM 'jobsarchived4' THEN
        RAISE EXCEPTION 'job_finalize: % is not a final status', v_status USING ERRCODE = 'PD004';
    END IF;
    v_changes := jsonb_build_object('modificationtime', v_now, 'statechangetime', v_now);
    IF doma_panda.job_is_epoch(p_job ->> 'endtime') THEN
        v_changes := v_changes || jsonb_build_object('endtime', v_now);
    END IF;
    v_row := doma_panda.job_move_row(p_from, 'jobsarchived4', v_pandaid, v_changes || p_changes);
    UPDATE doma_panda.filestable4
       SET status = CASE WHEN v_status = 'finished' THEN 'ready' ELSE 'failed' END
     WHERE pandaid = v_pandaid AND type IN ('output', 'log');
    UPDATE doma_panda.jobparamstable SET modificationtime = (v_row ->> 'modificationtime')::timestamp WHERE pandaid = v_pandaid;
    UPDATE doma_panda.metatable SET modificationtime = (v_row ->> 'modificationtime')::timestamp WHERE pandaid = v_pandaid;
    IF v_status = 'failed' AND p_new_pandaid IS NULL THEN
        v_retry := doma_panda.apply_retry_rules(v_row);
    END IF;
    PERFORM doma_panda.job_update_task_counters(v_row, coalesce(p_new_pandaid, (v_retry ->> 'new_pandaid')::bigint));
    PERFORM doma_panda.event_ranges_job_ended(v_row);  -- events.sql: its event ranges done / back to the jobset
    RETURN v_row || jsonb_build_object('retry', v_retry);
END;
$$;

-- job_update_task_counters: the JEDI bookkeeping of a job that reached a final status: task_job_ended
-- (task_progress.sql) updates its files' jedi_dataset_contents rows, the dataset counters, hands the files
-- to a new attempt (attemptnr + 1) and finalises the task when its input is processed.
--   p_job          the archived job row as JSON
--   p_new_pandaid  the new attempt's PandaID, or NULL
CREATE OR REPLACE FUNCTION doma_panda.job_update_task_counters(p_job jsonb, p_new_pandaid bigint)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- the task side (files, dataset counters, task finalisation) is task_job_ended in task_progress.sql
    PERFORM doma_panda.task_job_ended(p_job, p_new_pandaid);
END;
$$;

-- job_global_share: the leaf global share a new job is tagged with (seed 004 section 14.2): the most
-- specific leaf of doma_panda.global_shares whose regular expressions (prodsourcelabel, workinggroup,
-- processingtype) match the job's attributes in full and whose vo, when set, is the job's; NULL when none.
--   p_job  the job spec as JSON (lower-case column names)
CREATE OR REPLACE FUNCTION doma_panda.job_global_share(p_job jsonb)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT s.name::text
      FROM doma_panda.global_shares s
     WHERE NOT EXISTS (SELECT 1 FROM doma_panda.global_shares c WHERE c.parent = s.name)
       AND (s.prodsourcelabel IS NULL OR coalesce(p_job ->> 'prodsourcelabel', 'managed') ~ ('^(' || s.prodsourcelabel || ')$'))
       AND (s.workinggroup IS NULL OR coalesce(p_job ->> 'workinggroup', '') ~ ('^(' || s.workinggroup || ')$'))
       AND (s.processingtype IS NULL OR coalesce(p_job ->> 'processingtype', '') ~ ('^(' || s.processingtype || ')$'))
       AND (s.vo IS NULL OR p_job ->> 'vo' IS NULL OR s.vo = p_job ->> 'vo')
     ORDER BY (s.prodsourcelabel IS NOT NULL)::int + (s.workinggroup IS NOT NULL)::int + (s.processingtype IS NOT NULL)::int DESC,
              s.name
     LIMIT 1;
$$;

-- job_resource_type: the resource type (doma_panda.resource_types) of a job's cores and memory:
-- the first type whose core and memory-per-core bounds hold, 'Undefined' (the catch-all) otherwise.
--   p_core_count   the job's corecount (NULL = 1)
--   p_min_ram      the job's minramcount in MB (NULL = 0)
CREATE OR REPLACE FUNCTION doma_panda.job_resource_type(p_core_count bigint, p_min_ram bigint)
RETURNS text
LANGUAGE sql STABLE AS $$
    WITH job AS (SELECT greatest(coalesce(p_core_count, 1), 1) AS cores, coalesce(p_min_ram, 0) AS ram)
    SELECT coalesce((
        SELECT r.resource_name::text
          FROM doma_panda.resource_types r, job
         WHERE r.resource_name <> 'Undefined'
           AND coalesce(r.mincore, 1) <= job.cores AND (r.maxcore IS NULL OR job.cores <= r.maxcore)
           AND (r.minrampercore IS NULL OR job.ram / job.cores >= r.minrampercore)
           AND (r.maxrampercore IS NULL OR job.ram / job.cores <= r.maxrampercore)
         ORDER BY r.resource_name
         LIMIT 1), 'Undefined');
$$;

-- job_insert_files: the files of a new job (filestable4), in the given order (row_id follows it).
-- Keys are filestable4 column names, case-insensitive (FileSpec spellings: lfn, GUID, type, dataset,
-- scope, fsize, checksum, status, prodDBlock, dispatchDBlock, destinationDBlock, destinationSE, ...);
-- lfn and type are required. Input files default to status 'ready' (their data is in place: this
-- system moves no data), output and log files to 'unknown'.
--   p_pandaid  the new job's PandaID
--   p_files    a JSON array of file objects (or NULL)
--   p_job      the job row as JSON (its jeditaskid is the files' default)
--   p_now      the creation time
--   p_what     the job spec, for messages
CREATE OR REPLACE FUNCTION doma_panda.job_insert_files(p_pandaid bigint, p_files jsonb, p_job jsonb,
                                                      p_now timestamp without time zone, p_what text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_file jsonb;
    v_index bigint;
    v_what text;
    v_unknown text;
    v_allowed text[] := array_remove(array_remove(array_remove(doma_panda.job_table_columns('filestable4'),
                                     'row_id'), 'pandaid'), 'modificationtime');
    v_count integer := 0;
BEGIN
    IF p_files IS NULL OR jsonb_typeof(p_files) = 'null' THEN
        RETURN 0;
    END IF;
    IF jsonb_typeof(p_files) <> 'array' THEN
        RAISE EXCEPTION '%: files must be a JSON array of file objects', p_what USING ERRCODE = 'PD002';
    END IF;
    FOR v_file, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(p_files) WITH ORDINALITY e ORDER BY e.ordinality LOOP
        v_what := format('%s file %s', p_what, v_index);
        IF jsonb_typeof(v_file) <> 'object' THEN
            RAISE EXCEPTION '%: must be a JSON object', v_what USING ERRCODE = 'PD002';
        END IF;
        SELECT coalesce(jsonb_object_agg(lower(e.key), e.value), '{}'::jsonb) INTO v_file
          FROM jsonb_each(v_file) e WHERE jsonb_typeof(e.value) <> 'null';
        SELECT string_agg(k, ', ' ORDER BY k) INTO v_unknown FROM jsonb_object_keys(v_file) k WHERE k <> ALL (v_allowed);
        IF v_unknown IS NOT NULL THEN
            RAISE EXCEPTION '%: unknown keys % (file keys are filestable4 column names)', v_what, v_unknown
                USING ERRCODE = 'PD002';
        END IF;
        IF coalesce(v_file ->> 'lfn', '') = '' THEN
            RAISE EXCEPTION '%: lfn is required', v_what USING ERRCODE = 'PD002';
        END IF;
        IF coalesce(v_file ->> 'type', '') NOT IN ('input', 'output', 'log', 'pseudo_input', 'lib', 'zipinput', 'zipoutput',
                                                   'trn_log', 'trn_output') THEN
            RAISE EXCEPTION '%: type % is not one of input, output, log, pseudo_input, lib, zipinput, zipoutput, trn_log, trn_output',
                v_what, coalesce(v_file ->> 'type', 'NULL') USING ERRCODE = 'PD002';
        END IF;
        v_file := jsonb_build_object('status', CASE WHEN v_file ->> 'type' = 'input' THEN 'ready' ELSE 'unknown' END)
                  || jsonb_strip_nulls(jsonb_build_object('jeditaskid', p_job -> 'jeditaskid'))
                  || v_file
                  || jsonb_build_object('row_id', nextval('doma_panda.filestable4_row_id_seq'), 'pandaid', p_pandaid,
                                        'modificationtime', p_now);
        v_file := doma_panda.job_integral_numbers('filestable4', v_file);
        PERFORM doma_panda.job_check_values('filestable4', v_file, v_what);
        PERFORM doma_panda.job_insert_row('filestable4', v_file);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END;
$$;
