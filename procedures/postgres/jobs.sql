-- The job lifecycle as stored logic (seed 004 sections 2.5, 2.8-2.9, 7.2; REST API v1 job and pilot
-- modules of seed 000): submit, activate, update (heartbeats and transitions), kill, reassign, pilot
-- commands, debug mode, status and description. Dispatch (acquire_jobs) is in dispatch.sql, the retry
-- rules in retry.sql, the timeout rules in watchdog.sql.
--
-- Every public function is one transaction and returns the `data` of the API envelope. Rule violations
-- raise SQLSTATE PD002 (invalid input), PD003 (unknown job), PD004 (illegal state transition) or PD005
-- (not allowed), with a message naming the problem; the database is then unchanged.
--
-- Where a job lives: jobswaiting4 (waiting, pending), jobsdefined4 (defined, assigned), jobsactive4
-- (activated, throttled, sent, starting, running, holding, merging, transferring), jobsarchived4
-- (finished, failed, cancelled, closed). A move is DELETE ... RETURNING + INSERT in one transaction.
-- Concurrency: a job's row is locked (SELECT ... FOR UPDATE) before anything is decided about it; the
-- live tables are searched in the direction jobs move (waiting -> defined -> active -> archived), each
-- statement with a fresh snapshot, so a job that a concurrent transaction moves is found in its new table.

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
    RETURN v_row || jsonb_build_object('retry', v_retry);
END;
$$;

-- job_update_task_counters: the JEDI bookkeeping of a job that reached a final status. When the job has
-- a jeditaskid, its files' jedi_dataset_contents rows become 'finished' (finished job) or 'failed' (input
-- files of a job that ended otherwise) and jedi_datasets.nfilesfinished / nfilesfailed count them; when a
-- new attempt takes over the work, its input files are handed to the new PandaID instead (attemptnr + 1).
--   p_job          the archived job row as JSON
--   p_new_pandaid  the new attempt's PandaID, or NULL
CREATE OR REPLACE FUNCTION doma_panda.job_update_task_counters(p_job jsonb, p_new_pandaid bigint)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_task_id bigint := (p_job ->> 'jeditaskid')::bigint;
    v_pandaid bigint := (p_job ->> 'pandaid')::bigint;
    v_finished boolean := (p_job ->> 'jobstatus') = 'finished';
    v_now timestamp without time zone := doma_panda.panda_now();
BEGIN
    IF v_task_id IS NULL THEN
        RETURN;
    END IF;
    IF p_new_pandaid IS NOT NULL THEN
        UPDATE doma_panda.jedi_dataset_contents c
           SET pandaid = p_new_pandaid, attemptnr = coalesce(c.attemptnr, 0) + 1,
               failedattempt = coalesce(c.failedattempt, 0) + CASE WHEN p_job ->> 'jobstatus' = 'failed' THEN 1 ELSE 0 END
          FROM doma_panda.filestable4 f
         WHERE f.pandaid = v_pandaid AND f.type IN ('input', 'pseudo_input')
           AND c.jeditaskid = f.jeditaskid AND c.datasetid = f.datasetid AND c.fileid = f.fileid;
        RETURN;
    END IF;
    -- lock the datasets in one order: concurrent jobs of a task update the same counters
    PERFORM 1 FROM doma_panda.jedi_datasets d
     WHERE d.jeditaskid = v_task_id
       AND d.datasetid IN (SELECT f.datasetid FROM doma_panda.filestable4 f WHERE f.pandaid = v_pandaid)
     ORDER BY d.datasetid
       FOR UPDATE;
    WITH done AS (
        UPDATE doma_panda.jedi_dataset_contents c
           SET status = CASE WHEN v_finished THEN 'finished' ELSE 'failed' END,
               failedattempt = coalesce(c.failedattempt, 0) + CASE WHEN v_finished THEN 0 ELSE 1 END
          FROM doma_panda.filestable4 f
         WHERE f.pandaid = v_pandaid AND (v_finished OR f.type IN ('input', 'pseudo_input'))
           AND c.jeditaskid = f.jeditaskid AND c.datasetid = f.datasetid AND c.fileid = f.fileid
           AND c.status NOT IN ('finished', 'failed')
        RETURNING c.jeditaskid, c.datasetid
    ), per_dataset AS (
        SELECT jeditaskid, datasetid, count(*) AS n FROM done GROUP BY jeditaskid, datasetid
    )
    UPDATE doma_panda.jedi_datasets d
       SET nfilesfinished = coalesce(d.nfilesfinished, 0) + CASE WHEN v_finished THEN p.n ELSE 0 END,
           nfilesfailed = coalesce(d.nfilesfailed, 0) + CASE WHEN v_finished THEN 0 ELSE p.n END,
           modificationtime = v_now
      FROM per_dataset p
     WHERE d.jeditaskid = p.jeditaskid AND d.datasetid = p.datasetid;
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

-- submit_jobs: insert new jobs (REST job/submit). Each spec's keys are job table column names,
-- case-insensitive (JobSpec spellings computingSite, prodSourceLabel, ... work), plus "jobParameters"
-- (stored in jobparamstable), "metadata" (metatable) and "files" (a list of filestable4 objects).
-- The status (default 'defined') picks the table: defined/assigned -> jobsdefined4, waiting/pending ->
-- jobswaiting4, activated/throttled -> jobsactive4. The server sets PandaID (jobsdefined4_pandaid_seq),
-- creation/modification/state-change times; defaults: produsername/produserid = p_submitter,
-- currentpriority = assignedpriority, gshare = the matching leaf share (job_global_share), resource_type
-- from corecount and minramcount. Unknown keys or values of the wrong type: PD002 naming them, nothing
-- written. Returns [{"PandaID", "jobName", "jobStatus"}, ...] in input order.
--   p_job_specs  a JSON array of job objects
--   p_submitter  the authenticated submitter (user name), or NULL
CREATE OR REPLACE FUNCTION doma_panda.submit_jobs(p_job_specs jsonb, p_submitter text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_job_columns text[] := doma_panda.job_table_columns('jobsdefined4');
    v_spec jsonb;
    v_index bigint;
    v_what text;
    v_job jsonb;
    v_unknown text;
    v_status text;
    v_table text;
    v_pandaid bigint;
    v_parameters jsonb;
    v_metadata jsonb;
    v_files jsonb;
    v_result jsonb := '[]'::jsonb;
BEGIN
    IF p_job_specs IS NULL OR jsonb_typeof(p_job_specs) <> 'array' OR jsonb_array_length(p_job_specs) = 0 THEN
        RAISE EXCEPTION 'jobs must be a non-empty JSON array of job objects' USING ERRCODE = 'PD002';
    END IF;
    FOR v_spec, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(p_job_specs) WITH ORDINALITY e ORDER BY e.ordinality LOOP
        v_what := format('job spec %s', v_index);
        IF jsonb_typeof(v_spec) <> 'object' THEN
            RAISE EXCEPTION '%: must be a JSON object', v_what USING ERRCODE = 'PD002';
        END IF;
        -- keys are case-insensitive; a JSON null means "not given"
        SELECT coalesce(jsonb_object_agg(lower(e.key), e.value), '{}'::jsonb) INTO v_job
          FROM jsonb_each(v_spec) e WHERE jsonb_typeof(e.value) <> 'null';
        v_parameters := v_job -> 'jobparameters';
        v_metadata := v_job -> 'metadata';
        v_files := v_job -> 'files';
        v_job := v_job - 'jobparameters' - 'metadata' - 'files';
        SELECT string_agg(k, ', ' ORDER BY k) INTO v_unknown FROM jsonb_object_keys(v_job) k WHERE k <> ALL (v_job_columns);
        IF v_unknown IS NOT NULL THEN
            RAISE EXCEPTION '%: unknown keys % (keys are job table column names, jobParameters, metadata and files)',
                v_what, v_unknown USING ERRCODE = 'PD002';
        END IF;
        IF v_job ? 'pandaid' THEN
            RAISE EXCEPTION '%: PandaID is assigned by the server; leave it out', v_what USING ERRCODE = 'PD002';
        END IF;
        IF jsonb_typeof(v_parameters) NOT IN ('string') OR jsonb_typeof(v_metadata) NOT IN ('string') THEN
            RAISE EXCEPTION '%: jobParameters and metadata must be strings', v_what USING ERRCODE = 'PD002';
        END IF;
        v_status := coalesce(v_job ->> 'jobstatus', 'defined');
        IF v_status NOT IN ('defined', 'assigned', 'waiting', 'pending', 'activated', 'throttled') THEN
            RAISE EXCEPTION '%: a new job''s status must be defined, assigned, waiting, pending, activated or throttled, not %',
                v_what, v_status USING ERRCODE = 'PD002';
        END IF;
        v_table := doma_panda.job_table_for_status(v_status);
        IF v_job ? 'gshare' AND NOT EXISTS (SELECT 1 FROM doma_panda.global_shares s WHERE s.name = v_job ->> 'gshare') THEN
            RAISE EXCEPTION '%: global share % does not exist (doma_panda.global_shares)', v_what, v_job ->> 'gshare'
                USING ERRCODE = 'PD002';
        END IF;
        -- types first, so that the defaults below read valid values
        v_job := doma_panda.job_integral_numbers(v_table, v_job);
        PERFORM doma_panda.job_check_values(v_table, v_job, v_what);
        v_pandaid := nextval('doma_panda.jobsdefined4_pandaid_seq');
        v_job := jsonb_strip_nulls(jsonb_build_object(
                     'produsername', p_submitter, 'produserid', p_submitter,
                     'currentpriority', v_job -> 'assignedpriority',
                     'gshare', doma_panda.job_global_share(v_job),
                     'resource_type', doma_panda.job_resource_type((v_job ->> 'corecount')::bigint,
                                                                    (v_job ->> 'minramcount')::bigint)))
                 || v_job
                 || jsonb_build_object('pandaid', v_pandaid, 'jobstatus', v_status, 'creationtime', v_now,
                                       'modificationtime', v_now, 'statechangetime', v_now);
        PERFORM doma_panda.job_check_values(v_table, v_job, v_what);
        PERFORM doma_panda.job_insert_row(v_table, v_job);
        IF v_parameters IS NOT NULL THEN
            INSERT INTO doma_panda.jobparamstable (pandaid, modificationtime, jobparameters)
            VALUES (v_pandaid, v_now, v_parameters #>> '{}');
        END IF;
        IF v_metadata IS NOT NULL THEN
            INSERT INTO doma_panda.metatable (pandaid, modificationtime, metadata) VALUES (v_pandaid, v_now, v_metadata #>> '{}');
        END IF;
        PERFORM doma_panda.job_insert_files(v_pandaid, v_files, v_job, v_now, v_what);
        PERFORM doma_panda.job_log_status(v_job);
        v_result := v_result || jsonb_build_array(jsonb_build_object(
            'PandaID', v_pandaid, 'jobName', v_job -> 'jobname', 'jobStatus', v_status));
    END LOOP;
    RETURN v_result;
END;
$$;

-- job_per_id_results: the per-id results of activate/kill/reassign, keyed by input position, as an array
-- in input order. With a single id a refusal is raised instead (the API answers that job's error);
-- with several, each refusal is reported in its result ("sqlstate" is dropped from the answer).
--   p_results  {"<position>": {... "sqlstate" when refused}, ...}
CREATE OR REPLACE FUNCTION doma_panda.job_per_id_results(p_results jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_results jsonb;
BEGIN
    SELECT jsonb_agg(e.value ORDER BY e.key::integer) INTO v_results FROM jsonb_each(p_results) e;
    IF jsonb_array_length(v_results) = 1 AND v_results -> 0 ->> 'sqlstate' IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = v_results -> 0 ->> 'sqlstate', MESSAGE = v_results -> 0 ->> 'message';
    END IF;
    RETURN (SELECT jsonb_agg(r - 'sqlstate' ORDER BY o) FROM jsonb_array_elements(v_results) WITH ORDINALITY AS x(r, o));
END;
$$;

-- job_check_ids: refuse (PD002) a missing or empty list of PandaIDs.
CREATE OR REPLACE FUNCTION doma_panda.job_check_ids(p_pandaids bigint[])
RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_pandaids IS NULL OR cardinality(p_pandaids) = 0 OR array_position(p_pandaids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'job_ids must be a non-empty list of PandaIDs' USING ERRCODE = 'PD002';
    END IF;
END;
$$;

-- activate_job: activate one job (see activate_jobs). Returns {"job_id", "activated", "job_status",
-- "message"} and, when refused, "sqlstate".
--   p_pandaid  the PandaID
CREATE OR REPLACE FUNCTION doma_panda.activate_job(p_pandaid bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_table text;
    v_job jsonb;
    v_now timestamp without time zone := doma_panda.panda_now();
    v_missing integer;
BEGIN
    SELECT l.job_table, l.job INTO v_table, v_job FROM doma_panda.job_lock(p_pandaid) l;
    IF v_table IS NULL THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'activated', false, 'job_status', NULL,
                                  'message', format('job %s not found', p_pandaid), 'sqlstate', 'PD003');
    END IF;
    IF v_job ->> 'jobstatus' NOT IN ('defined', 'assigned', 'waiting') THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'activated', false, 'job_status', v_job ->> 'jobstatus',
                                  'message', format('job %s is %s: only defined, assigned or waiting jobs are activated',
                                                    p_pandaid, v_job ->> 'jobstatus'),
                                  'sqlstate', 'PD004');
    END IF;
    SELECT count(*) INTO v_missing FROM doma_panda.filestable4 f
     WHERE f.pandaid = p_pandaid AND f.type = 'input' AND f.status IS DISTINCT FROM 'ready';
    IF v_missing > 0 THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'activated', false, 'job_status', v_job ->> 'jobstatus',
                                  'message', format('job %s waits for %s input files to be ready', p_pandaid, v_missing));
    END IF;
    PERFORM doma_panda.job_move_row(v_table, 'jobsactive4', p_pandaid,
        jsonb_build_object('jobstatus', 'activated', 'modificationtime', v_now, 'statechangetime', v_now));
    RETURN jsonb_build_object('job_id', p_pandaid, 'activated', true, 'job_status', 'activated', 'message', 'activated');
END;
$$;

-- activate_jobs: defined, assigned or waiting jobs -> activated (moved to jobsactive4) when their input
-- data is available: every input file has status 'ready' (or the job has no input file). A job whose
-- inputs are not ready stays as it is (activated false, not an error). Returns
-- [{"job_id", "activated", "job_status", "message"}, ...] in input order; with a single id an unknown job
-- raises PD003 and a job in another status PD004; with several ids these are reported per job.
--   p_pandaids  the PandaIDs
CREATE OR REPLACE FUNCTION doma_panda.activate_jobs(p_pandaids bigint[])
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_results jsonb := '{}'::jsonb;
    v_id bigint;
    v_position bigint;
BEGIN
    PERFORM doma_panda.job_check_ids(p_pandaids);
    -- in PandaID order: concurrent callers with overlapping lists lock jobs in the same order
    FOR v_id, v_position IN SELECT x.id, x.o FROM unnest(p_pandaids) WITH ORDINALITY AS x(id, o) ORDER BY x.id, x.o LOOP
        v_results := v_results || jsonb_build_object(v_position::text, doma_panda.activate_job(v_id));
    END LOOP;
    RETURN doma_panda.job_per_id_results(v_results);
END;
$$;

-- job_transition_allowed: the moves a pilot may report (seed 004 section 2.5): forward through
-- sent -> starting -> running -> holding -> merging -> transferring, to a final status (finished,
-- failed, cancelled) from any of them, and the same status again (heartbeat) except 'sent'.
--   p_from  the job's status
--   p_to    the reported status
CREATE OR REPLACE FUNCTION doma_panda.job_transition_allowed(p_from text, p_to text)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    WITH flow(states) AS (SELECT ARRAY['sent', 'starting', 'running', 'holding', 'merging', 'transferring'])
    SELECT CASE
        WHEN array_position(states, p_from) IS NULL THEN false
        WHEN p_to IN ('finished', 'failed', 'cancelled') THEN true
        WHEN array_position(states, p_to) IS NULL THEN false
        ELSE array_position(states, p_to) > array_position(states, p_from) OR (p_to = p_from AND p_from <> 'sent')
    END
      FROM flow;
$$;

-- update_job_column_map: update_job's API parameters (seed 000) and the job columns they are stored in.
-- core_count is the core count the job used: actualcorecount, as PanDA's dispatcher stores it.
CREATE OR REPLACE FUNCTION doma_panda.update_job_column_map()
RETURNS TABLE (api_name text, column_name text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('job_sub_status', 'jobsubstatus'), ('start_time', 'starttime'), ('end_time', 'endtime'),
           ('pilot_timing', 'pilottiming'), ('node', 'modificationhost'), ('scheduler_id', 'schedulerid'),
           ('pilot_id', 'pilotid'), ('batch_id', 'batchid'), ('trans_exit_code', 'transexitcode'),
           ('pilot_error_code', 'piloterrorcode'), ('pilot_error_diag', 'piloterrordiag'),
           ('exe_error_code', 'exeerrorcode'), ('exe_error_diag', 'exeerrordiag'), ('n_events', 'nevents'),
           ('n_input_files', 'ninputfiles'), ('cpu_consumption_time', 'cpuconsumptiontime'),
           ('cpu_consumption_unit', 'cpuconsumptionunit'), ('cpu_conversion_factor', 'cpuconversion'),
           ('core_count', 'actualcorecount'), ('mean_core_count', 'meancorecount'),
           ('max_rss', 'maxrss'), ('max_vmem', 'maxvmem'), ('max_swap', 'maxswap'), ('max_pss', 'maxpss'),
           ('avg_rss', 'avgrss'), ('avg_vmem', 'avgvmem'), ('avg_swap', 'avgswap'), ('avg_pss', 'avgpss'),
           ('tot_rchar', 'totrchar'), ('tot_wchar', 'totwchar'), ('tot_rbytes', 'totrbytes'), ('tot_wbytes', 'totwbytes'),
           ('rate_rchar', 'raterchar'), ('rate_wchar', 'ratewchar'), ('rate_rbytes', 'raterbytes'),
           ('rate_wbytes', 'ratewbytes'), ('cpu_architecture_level', 'cpu_architecture_level'),
           ('job_metrics', 'jobmetrics');
$$;

-- job_text_value: a request value as text (strings as they are, other JSON as its text).
CREATE OR REPLACE FUNCTION doma_panda.job_text_value(p_value jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(p_value) = 'string' THEN p_value #>> '{}' ELSE p_value::text END;
$$;

-- update_job: a pilot's heartbeat and status report (REST pilot/update_job). Stores every metric of the
-- request in its job column (update_job_column_map; strings longer than their column are cut as PanDA's
-- JobSpec does), meta_data in metatable, job_metrics also in job_metrics, job_output_report in
-- job_output_report, pilot_log in pandalog (type 'pilotLog'), stdout in jobsdebug; refreshes the
-- heartbeat (modificationtime) on every call. Status moves: only forward (job_transition_allowed) and
-- only for dispatched jobs (sent ... transferring); a final status never changes; anything else is PD004
-- naming from and to, with the database unchanged. The first 'running' sets starttime (unless given).
-- A final status archives the job (job_finalize); a job told 'tobekilled' that reports 'failed' is
-- recorded 'cancelled' (it was aborted on request). A failed job is judged by the retry rules.
-- Returns {"StatusCode": 0, "command": commandtopilot, 'debug' for a job in debug mode, or "NULL"}.
--   p_pandaid     the PandaID
--   p_job_status  the reported status, NULL for a pure heartbeat
--   p_request     the other update_job API parameters by their API names (job_sub_status, start_time, ...)
CREATE OR REPLACE FUNCTION doma_panda.update_job(p_pandaid bigint, p_job_status text, p_request jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_what text := format('update_job of job %s', p_pandaid);
    v_request jsonb;
    v_unknown text;
    v_changes jsonb;
    v_table text;
    v_job jsonb;
    v_from text;
    v_to text := p_job_status;
    v_row jsonb;
    v_final boolean;
    v_command text;
BEGIN
    IF p_pandaid IS NULL THEN
        RAISE EXCEPTION 'job_id is required' USING ERRCODE = 'PD002';
    END IF;
    IF p_request IS NOT NULL AND jsonb_typeof(p_request) <> 'object' THEN
        RAISE EXCEPTION '%: the request must be a JSON object', v_what USING ERRCODE = 'PD002';
    END IF;
    SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) INTO v_request
      FROM jsonb_each(coalesce(p_request, '{}'::jsonb)) e WHERE jsonb_typeof(e.value) <> 'null';
    SELECT string_agg(k, ', ' ORDER BY k) INTO v_unknown
      FROM jsonb_object_keys(v_request) k
     WHERE k NOT IN (SELECT m.api_name FROM doma_panda.update_job_column_map() m)
       AND k NOT IN ('job_id', 'job_status', 'attempt_nr', 'site_name', 'corrupted_files', 'job_output_report',
                     'pilot_log', 'meta_data', 'stdout', 'timeout');
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION '%: unknown parameters %', v_what, v_unknown USING ERRCODE = 'PD002';
    END IF;
    IF p_job_status IS NOT NULL AND doma_panda.job_table_for_status(p_job_status) IS NULL THEN
        RAISE EXCEPTION '%: job_status % is no job status (report starting, running, holding, merging, transferring, finished or failed)',
            v_what, p_job_status USING ERRCODE = 'PD002';
    END IF;
    -- the request in column names; strings cut to their column's length
    SELECT coalesce(jsonb_object_agg(m.column_name,
               CASE WHEN a.atttypid = 'character varying'::regtype AND a.atttypmod > 4
                    THEN to_jsonb(left(doma_panda.job_text_value(e.value), a.atttypmod - 4))
                    ELSE e.value END), '{}'::jsonb)
      INTO v_changes
      FROM jsonb_each(v_request) e
      JOIN doma_panda.update_job_column_map() m ON m.api_name = e.key
      JOIN pg_attribute a ON a.attrelid = 'doma_panda.jobsactive4'::regclass AND a.attname = m.column_name;
    v_changes := doma_panda.job_integral_numbers('jobsactive4', v_changes);
    PERFORM doma_panda.job_check_values('jobsactive4', v_changes, v_what);
    IF v_request ? 'attempt_nr' THEN
        PERFORM doma_panda.job_check_values('jobsactive4', jsonb_build_object('attemptnr', v_request -> 'attempt_nr'), v_what);
    END IF;

    SELECT l.job_table, l.job INTO v_table, v_job FROM doma_panda.job_lock(p_pandaid) l;
    IF v_table IS NULL THEN
        RAISE EXCEPTION 'job % not found', p_pandaid USING ERRCODE = 'PD003';
    END IF;
    v_from := v_job ->> 'jobstatus';
    IF v_table = 'jobsarchived4' THEN
        RAISE EXCEPTION 'job % is already % (final): its status never changes%', p_pandaid, v_from,
            CASE WHEN p_job_status IS NULL THEN '' ELSE format(', refused %s -> %s', v_from, p_job_status) END
            USING ERRCODE = 'PD004';
    END IF;
    IF v_from NOT IN ('sent', 'starting', 'running', 'holding', 'merging', 'transferring') THEN
        RAISE EXCEPTION 'job % is %: update_job applies to jobs dispatched to a pilot (sent to transferring)%', p_pandaid, v_from,
            CASE WHEN p_job_status IS NULL THEN '' ELSE format(', refused %s -> %s', v_from, p_job_status) END
            USING ERRCODE = 'PD004';
    END IF;
    IF v_request ? 'attempt_nr' AND (v_request ->> 'attempt_nr')::numeric <> (v_job ->> 'attemptnr')::numeric THEN
        RAISE EXCEPTION 'job %: attempt_nr % is not the job''s attempt %', p_pandaid, v_request ->> 'attempt_nr', v_job ->> 'attemptnr'
            USING ERRCODE = 'PD004';
    END IF;
    IF p_job_status IS NOT NULL AND NOT doma_panda.job_transition_allowed(v_from, p_job_status) THEN
        RAISE EXCEPTION 'illegal transition of job %: % -> % (jobs move forward: sent, starting, running, holding, merging, transferring, then finished, failed or cancelled)',
            p_pandaid, v_from, p_job_status USING ERRCODE = 'PD004';
    END IF;

    IF v_to = 'failed' AND v_job ->> 'commandtopilot' = 'tobekilled' THEN
        v_to := 'cancelled';
    END IF;
    v_final := coalesce(v_to IN ('finished', 'failed', 'cancelled'), false);
    v_changes := v_changes || jsonb_build_object('modificationtime', v_now);
    IF v_to IS NOT NULL AND v_to <> v_from THEN
        v_changes := v_changes || jsonb_build_object('jobstatus', v_to, 'statechangetime', v_now);
        IF v_to = 'running' AND NOT v_changes ? 'starttime' AND doma_panda.job_is_epoch(v_job ->> 'starttime') THEN
            v_changes := v_changes || jsonb_build_object('starttime', v_now);
        END IF;
    END IF;
    IF v_final THEN
        v_row := doma_panda.job_finalize(v_table, v_job, v_changes);
    ELSE
        v_row := doma_panda.job_update_row(v_table, p_pandaid, v_changes);
    END IF;

    IF v_request ? 'meta_data' THEN
        UPDATE doma_panda.metatable SET metadata = doma_panda.job_text_value(v_request -> 'meta_data'), modificationtime = v_now
         WHERE pandaid = p_pandaid;
        IF NOT FOUND THEN
            INSERT INTO doma_panda.metatable (pandaid, modificationtime, metadata)
            VALUES (p_pandaid, v_now, doma_panda.job_text_value(v_request -> 'meta_data'));
        END IF;
    END IF;
    IF v_request ? 'job_metrics' THEN
        UPDATE doma_panda.job_metrics SET data = doma_panda.job_text_value(v_request -> 'job_metrics'), modificationtime = v_now
         WHERE pandaid = p_pandaid;
        IF NOT FOUND THEN
            INSERT INTO doma_panda.job_metrics (pandaid, jeditaskid, creationtime, modificationtime, data)
            VALUES (p_pandaid, (v_row ->> 'jeditaskid')::bigint, v_now, v_now, doma_panda.job_text_value(v_request -> 'job_metrics'));
        END IF;
    END IF;
    IF v_request ? 'job_output_report' THEN
        INSERT INTO doma_panda.job_output_report (pandaid, prodsourcelabel, jobstatus, attemptnr, data, timestamp)
        VALUES (p_pandaid, v_row ->> 'prodsourcelabel', v_row ->> 'jobstatus', (v_row ->> 'attemptnr')::smallint,
                doma_panda.job_text_value(v_request -> 'job_output_report'), v_now)
        ON CONFLICT (pandaid, attemptnr) DO UPDATE
            SET data = EXCLUDED.data, jobstatus = EXCLUDED.jobstatus, timestamp = EXCLUDED.timestamp;
    END IF;
    IF v_request ? 'pilot_log' THEN
        INSERT INTO doma_panda.pandalog (bintime, name, module, type, pid, loglevel, levelname, time, filename, line, message)
        VALUES (v_now, 'panda.mon.prod', 'update_job', 'pilotLog', p_pandaid, 20, 'INFO',
                to_char(v_now, 'YYYY-MM-DD HH24:MI:SS'), 'pilot', 0,
                left(format('PandaID=%s %s', p_pandaid, doma_panda.job_text_value(v_request -> 'pilot_log')), 4000));
    END IF;
    IF v_request ? 'stdout' THEN
        INSERT INTO doma_panda.jobsdebug (pandaid, stdout) VALUES (p_pandaid, left(doma_panda.job_text_value(v_request -> 'stdout'), 2048))
        ON CONFLICT (pandaid) DO UPDATE SET stdout = EXCLUDED.stdout;
    END IF;

    IF NOT v_final THEN
        v_command := coalesce(v_row ->> 'commandtopilot',
                              CASE WHEN doma_panda.job_has_flag(v_row ->> 'specialhandling', '{dm,debug}') THEN 'debug' END);
    END IF;
    RETURN jsonb_build_object('StatusCode', 0, 'command', coalesce(v_command, 'NULL'));
END;
$$;

-- update_jobs_bulk: update_job for each element of a list (REST pilot/update_jobs_bulk), each applied
-- independently in its own subtransaction; jobs are locked in PandaID order (fewer deadlocks between
-- concurrent bulk calls). Returns, in input order, [{"success", "message", "data"}, ...] where data is
-- update_job's answer, or {"job_id", "sqlstate"} of the refusal.
--   p_job_list  [{"job_id": n, "job_status": s, <update_job parameters>}, ...]
CREATE OR REPLACE FUNCTION doma_panda.update_jobs_bulk(p_job_list jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_item jsonb;
    v_index bigint;
    v_answers jsonb := '{}'::jsonb;
BEGIN
    IF p_job_list IS NULL OR jsonb_typeof(p_job_list) <> 'array' THEN
        RAISE EXCEPTION 'job_list must be a JSON array of job objects' USING ERRCODE = 'PD002';
    END IF;
    FOR v_item, v_index IN
        SELECT e.value, e.ordinality FROM jsonb_array_elements(p_job_list) WITH ORDINALITY e
         ORDER BY CASE WHEN e.value ->> 'job_id' ~ '^[0-9]{1,18}$' THEN (e.value ->> 'job_id')::bigint END NULLS LAST, e.ordinality
    LOOP
        BEGIN
            IF jsonb_typeof(v_item) <> 'object' OR NOT v_item ? 'job_id' THEN
                RAISE EXCEPTION 'element %: must be a JSON object with job_id', v_index USING ERRCODE = 'PD002';
            END IF;
            IF v_item ->> 'job_id' !~ '^[0-9]{1,18}$' THEN
                RAISE EXCEPTION 'element %: job_id % is not a PandaID', v_index, v_item -> 'job_id' USING ERRCODE = 'PD002';
            END IF;
            v_answers := v_answers || jsonb_build_object(v_index::text, jsonb_build_object(
                'success', true, 'message', '',
                'data', doma_panda.update_job((v_item ->> 'job_id')::bigint, v_item ->> 'job_status', v_item - 'job_id' - 'job_status')));
        EXCEPTION WHEN OTHERS THEN
            v_answers := v_answers || jsonb_build_object(v_index::text, jsonb_build_object(
                'success', false, 'message', SQLERRM,
                'data', jsonb_build_object('job_id', v_item -> 'job_id', 'sqlstate', SQLSTATE)));
        END;
    END LOOP;
    RETURN (SELECT coalesce(jsonb_agg(v_answers -> o::text ORDER BY o), '[]'::jsonb)
              FROM generate_series(1, jsonb_array_length(p_job_list)) AS o);
END;
$$;

-- get_job_status: status and pending pilot command of jobs (REST job/get_status, pilot/get_job_status).
-- Returns [{"job_id", "status" (NULL for an unknown job), "command" (commandtopilot or "NULL")}, ...].
--   p_pandaids  the PandaIDs
CREATE OR REPLACE FUNCTION doma_panda.get_job_status(p_pandaids bigint[])
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM doma_panda.job_check_ids(p_pandaids);
    RETURN (
        SELECT jsonb_agg(jsonb_build_object('job_id', ids.id, 'status', s.jobstatus, 'command', coalesce(s.commandtopilot, 'NULL'))
                         ORDER BY ids.o)
          FROM unnest(p_pandaids) WITH ORDINALITY AS ids(id, o)
          LEFT JOIN LATERAL (
              SELECT x.jobstatus, x.commandtopilot FROM (
                  SELECT j.jobstatus, j.commandtopilot, 1 AS pref, j.modificationtime FROM doma_panda.jobsactive4 j WHERE j.pandaid = ids.id
                  UNION ALL
                  SELECT j.jobstatus, j.commandtopilot, 2, j.modificationtime FROM doma_panda.jobsdefined4 j WHERE j.pandaid = ids.id
                  UNION ALL
                  SELECT j.jobstatus, j.commandtopilot, 3, j.modificationtime FROM doma_panda.jobswaiting4 j WHERE j.pandaid = ids.id
                  UNION ALL
                  SELECT j.jobstatus, j.commandtopilot, 4, j.modificationtime FROM doma_panda.jobsarchived4 j WHERE j.pandaid = ids.id
                  UNION ALL
                  SELECT j.jobstatus, j.commandtopilot, 5, j.modificationtime FROM doma_pandaarch.jobsarchived j WHERE j.pandaid = ids.id
              ) x
              ORDER BY x.pref, x.modificationtime DESC
              LIMIT 1) s ON true);
END;
$$;

-- job_description: one job with its parameters, metadata and files, or NULL when unknown: the job
-- columns (lower-case names), "jobParameters" (jobparamstable), "metadata" (metatable) and "files"
-- (its filestable4 rows in order). With p_include_archive, doma_pandaarch (jobsarchived,
-- jobparamstable_arch, metatable_arch, filestable_arch) is searched after the live tables.
--   p_pandaid          the PandaID
--   p_include_archive  also search the archive schema
CREATE OR REPLACE FUNCTION doma_panda.job_description(p_pandaid bigint, p_include_archive boolean)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_job jsonb;
    v_archived boolean := false;
    v_parameters text;
    v_metadata text;
    v_files jsonb;
BEGIN
    SELECT to_jsonb(j) INTO v_job FROM doma_panda.jobsactive4 j WHERE j.pandaid = p_pandaid;
    IF v_job IS NULL THEN
        SELECT to_jsonb(j) INTO v_job FROM doma_panda.jobsdefined4 j WHERE j.pandaid = p_pandaid;
    END IF;
    IF v_job IS NULL THEN
        SELECT to_jsonb(j) INTO v_job FROM doma_panda.jobswaiting4 j WHERE j.pandaid = p_pandaid;
    END IF;
    IF v_job IS NULL THEN
        SELECT to_jsonb(j) INTO v_job FROM doma_panda.jobsarchived4 j WHERE j.pandaid = p_pandaid
         ORDER BY j.modificationtime DESC LIMIT 1;
    END IF;
    IF v_job IS NULL AND p_include_archive THEN
        SELECT to_jsonb(j) INTO v_job FROM doma_pandaarch.jobsarchived j WHERE j.pandaid = p_pandaid
         ORDER BY j.modificationtime DESC LIMIT 1;
        v_archived := v_job IS NOT NULL;
    END IF;
    IF v_job IS NULL THEN
        RETURN NULL;
    END IF;
    IF v_archived THEN
        SELECT p.jobparameters INTO v_parameters FROM doma_pandaarch.jobparamstable_arch p
         WHERE p.pandaid = p_pandaid ORDER BY p.modificationtime DESC LIMIT 1;
        SELECT m.metadata INTO v_metadata FROM doma_pandaarch.metatable_arch m
         WHERE m.pandaid = p_pandaid ORDER BY m.modificationtime DESC LIMIT 1;
        SELECT jsonb_agg(to_jsonb(f) ORDER BY f.row_id) INTO v_files FROM doma_pandaarch.filestable_arch f WHERE f.pandaid = p_pandaid;
    ELSE
        SELECT p.jobparameters INTO v_parameters FROM doma_panda.jobparamstable p
         WHERE p.pandaid = p_pandaid ORDER BY p.modificationtime DESC LIMIT 1;
        SELECT m.metadata INTO v_metadata FROM doma_panda.metatable m
         WHERE m.pandaid = p_pandaid ORDER BY m.modificationtime DESC LIMIT 1;
        SELECT jsonb_agg(to_jsonb(f) ORDER BY f.row_id) INTO v_files FROM doma_panda.filestable4 f WHERE f.pandaid = p_pandaid;
    END IF;
    RETURN (v_job - 'jobparameters')
           || jsonb_build_object('jobParameters', coalesce(v_parameters, v_job ->> 'jobparameters'),
                                 'metadata', coalesce(v_metadata, v_job ->> 'metadata'),
                                 'files', coalesce(v_files, '[]'::jsonb));
END;
$$;

-- get_description: jobs with their parameters and files (REST job/get_description and
-- get_description_incl_archive). Returns one entry per id, in order: the description or NULL.
--   p_pandaids          the PandaIDs
--   p_include_archive   also search doma_pandaarch
CREATE OR REPLACE FUNCTION doma_panda.get_description(p_pandaids bigint[], p_include_archive boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM doma_panda.job_check_ids(p_pandaids);
    RETURN (SELECT jsonb_agg(coalesce(doma_panda.job_description(ids.id, coalesce(p_include_archive, false)), 'null'::jsonb)
                             ORDER BY ids.o)
              FROM unnest(p_pandaids) WITH ORDINALITY AS ids(id, o));
END;
$$;

-- kill_job: kill one job (see kill_jobs). Returns {"job_id", "killed", "message"} and, when refused, "sqlstate".
CREATE OR REPLACE FUNCTION doma_panda.kill_job(p_pandaid bigint, p_requester text, p_is_production boolean, p_kill_code integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_table text;
    v_job jsonb;
    v_status text;
    v_error_code integer;
    v_error_diag text;
BEGIN
    SELECT l.job_table, l.job INTO v_table, v_job FROM doma_panda.job_lock(p_pandaid) l;
    IF v_table IS NULL THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'killed', false, 'message', format('job %s not found', p_pandaid),
                                  'sqlstate', 'PD003');
    END IF;
    IF NOT coalesce(p_is_production, false)
       AND p_requester IS DISTINCT FROM v_job ->> 'produsername' AND p_requester IS DISTINCT FROM v_job ->> 'produserid' THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'killed', false,
                                  'message', format('%s may not kill job %s of %s: only its owner or the production role may',
                                                    coalesce(p_requester, 'an anonymous requester'), p_pandaid,
                                                    coalesce(v_job ->> 'produsername', 'nobody')),
                                  'sqlstate', 'PD005');
    END IF;
    v_status := v_job ->> 'jobstatus';
    IF v_table = 'jobsarchived4' THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'killed', false,
                                  'message', format('job %s is already %s (final)', p_pandaid, v_status), 'sqlstate', 'PD004');
    END IF;
    -- PanDA's kill codes: 2/4 expired, 3 aborted, 8 reassigned, anything else (9 = force) killed
    v_error_code := CASE p_kill_code WHEN 2 THEN 102 WHEN 4 THEN 102 WHEN 3 THEN 103 WHEN 8 THEN 105 ELSE 100 END;
    v_error_diag := left(format('killed by %s', coalesce(p_requester, 'unknown')), 250);
    IF v_status IN ('sent', 'starting', 'running') THEN
        IF v_job ->> 'commandtopilot' = 'tobekilled' THEN
            RETURN jsonb_build_object('job_id', p_pandaid, 'killed', true,
                                      'message', format('job %s is already being killed by its pilot', p_pandaid));
        END IF;
        PERFORM doma_panda.job_update_row(v_table, p_pandaid, jsonb_build_object(
            'commandtopilot', 'tobekilled', 'taskbuffererrorcode', v_error_code, 'taskbuffererrordiag', v_error_diag));
        RETURN jsonb_build_object('job_id', p_pandaid, 'killed', true,
                                  'message', format('job %s is %s: its pilot is told to kill it (tobekilled)', p_pandaid, v_status));
    END IF;
    PERFORM doma_panda.job_finalize(v_table, v_job, jsonb_build_object(
        'jobstatus', 'cancelled', 'taskbuffererrorcode', v_error_code, 'taskbuffererrordiag', v_error_diag));
    RETURN jsonb_build_object('job_id', p_pandaid, 'killed', true, 'message', format('job %s cancelled (was %s)', p_pandaid, v_status));
END;
$$;

-- kill_jobs: kill jobs (REST job/kill). A job not yet at a pilot (pending ... activated, throttled) or
-- whose pilot is gone (holding, merging, transferring) is cancelled at once (moved to jobsarchived4 with
-- status 'cancelled' -- a manual abort; PanDA's 'closed' is kept for jobs the system terminates); for a
-- sent, starting or running job commandtopilot becomes 'tobekilled' and the pilot, obeying, reports
-- it (recorded as cancelled). taskbuffererrorcode/diag record the kill: 100 EC_Kill 'killed by <requester>'
-- (kill codes 2/4: 102 EC_Expire, 3: 103 EC_Aborted, 8: 105 EC_Reassigned). Only the job's owner
-- (produsername or produserid) or the production role may kill: PD005 otherwise. Returns
-- [{"job_id", "killed", "message"}, ...]; with a single id a refusal raises (PD003/PD004/PD005).
--   p_pandaids       the PandaIDs
--   p_requester      the authenticated user name
--   p_is_production  the requester has the production role
--   p_kill_code      PanDA's kill code (default 9, force kill)
CREATE OR REPLACE FUNCTION doma_panda.kill_jobs(p_pandaids bigint[], p_requester text, p_is_production boolean,
                                                p_kill_code integer DEFAULT 9)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_results jsonb := '{}'::jsonb;
    v_id bigint;
    v_position bigint;
BEGIN
    PERFORM doma_panda.job_check_ids(p_pandaids);
    -- in PandaID order: concurrent callers with overlapping lists lock jobs in the same order
    FOR v_id, v_position IN SELECT x.id, x.o FROM unnest(p_pandaids) WITH ORDINALITY AS x(id, o) ORDER BY x.id, x.o LOOP
        v_results := v_results || jsonb_build_object(v_position::text, doma_panda.kill_job(v_id, p_requester, p_is_production, p_kill_code));
    END LOOP;
    RETURN doma_panda.job_per_id_results(v_results);
END;
$$;

-- reassign_job: reassign one job (see reassign_jobs). Returns {"job_id", "reassigned", "new_job_id",
-- "message"} and, when refused, "sqlstate".
CREATE OR REPLACE FUNCTION doma_panda.reassign_job(p_pandaid bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_table text;
    v_job jsonb;
    v_status text;
    v_new_pandaid bigint;
BEGIN
    SELECT l.job_table, l.job INTO v_table, v_job FROM doma_panda.job_lock(p_pandaid) l;
    IF v_table IS NULL THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'reassigned', false, 'new_job_id', NULL,
                                  'message', format('job %s not found', p_pandaid), 'sqlstate', 'PD003');
    END IF;
    v_status := v_job ->> 'jobstatus';
    IF v_status NOT IN ('pending', 'defined', 'assigned', 'waiting', 'activated', 'throttled') THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'reassigned', false, 'new_job_id', NULL,
                                  'message', format('job %s is %s: only jobs not yet dispatched (pending, defined, assigned, waiting, activated, throttled) are reassigned; kill a dispatched job instead',
                                                    p_pandaid, v_status),
                                  'sqlstate', 'PD004');
    END IF;
    v_new_pandaid := doma_panda.job_new_attempt(v_job, jsonb_build_object(
        'jobstatus', CASE WHEN v_status IN ('activated', 'throttled') THEN 'activated' ELSE v_status END), 'retry');
    PERFORM doma_panda.job_finalize(v_table, v_job, jsonb_build_object(
        'jobstatus', 'closed', 'taskbuffererrorcode', 105,
        'taskbuffererrordiag', format('reassigned by request: new attempt %s', v_new_pandaid)), v_new_pandaid);
    RETURN jsonb_build_object('job_id', p_pandaid, 'reassigned', true, 'new_job_id', v_new_pandaid,
                              'message', format('job %s closed and re-queued as job %s', p_pandaid, v_new_pandaid));
END;
$$;

-- reassign_jobs: send jobs not yet dispatched back to be re-brokered (REST job/reassign), as PanDA does
-- for JEDI jobs: the job is closed (taskbuffererrorcode 105 EC_Reassigned) and a new attempt (new
-- PandaID, attemptnr + 1, parentid = the old PandaID, same files and parameters, jedi_job_retry_history
-- relation 'retry') is queued in its place -- status activated for an activated/throttled job, the old
-- status otherwise. Without a brokerage in this database the new attempt keeps the queue. Returns
-- [{"job_id", "reassigned", "new_job_id", "message"}, ...]; with a single id a refusal raises.
--   p_pandaids  the PandaIDs
CREATE OR REPLACE FUNCTION doma_panda.reassign_jobs(p_pandaids bigint[])
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_results jsonb := '{}'::jsonb;
    v_id bigint;
    v_position bigint;
BEGIN
    PERFORM doma_panda.job_check_ids(p_pandaids);
    -- in PandaID order: concurrent callers with overlapping lists lock jobs in the same order
    FOR v_id, v_position IN SELECT x.id, x.o FROM unnest(p_pandaids) WITH ORDINALITY AS x(id, o) ORDER BY x.id, x.o LOOP
        v_results := v_results || jsonb_build_object(v_position::text, doma_panda.reassign_job(v_id));
    END LOOP;
    RETURN doma_panda.job_per_id_results(v_results);
END;
$$;

-- set_command: set the command the pilot of a job receives with its next heartbeat answer
-- (REST job/set_command; commandtopilot, e.g. 'tobekilled'). Only for jobs not yet final (PD004);
-- unknown job PD003; an empty command or one longer than 250 characters PD002.
-- Returns {"job_id", "command"}.
--   p_pandaid  the PandaID
--   p_command  the command
CREATE OR REPLACE FUNCTION doma_panda.set_command(p_pandaid bigint, p_command text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_table text;
    v_job jsonb;
BEGIN
    IF p_pandaid IS NULL THEN
        RAISE EXCEPTION 'job_id is required' USING ERRCODE = 'PD002';
    END IF;
    IF coalesce(p_command, '') = '' OR length(p_command) > 250 THEN
        RAISE EXCEPTION 'command must be a non-empty string of at most 250 characters' USING ERRCODE = 'PD002';
    END IF;
    SELECT l.job_table, l.job INTO v_table, v_job FROM doma_panda.job_lock(p_pandaid) l;
    IF v_table IS NULL THEN
        RAISE EXCEPTION 'job % not found', p_pandaid USING ERRCODE = 'PD003';
    END IF;
    IF v_table = 'jobsarchived4' THEN
        RAISE EXCEPTION 'job % is already % (final): no pilot will read a command', p_pandaid, v_job ->> 'jobstatus'
            USING ERRCODE = 'PD004';
    END IF;
    PERFORM doma_panda.job_update_row(v_table, p_pandaid, jsonb_build_object('commandtopilot', p_command));
    RETURN jsonb_build_object('job_id', p_pandaid, 'command', p_command);
END;
$$;

-- set_debug_mode: switch a job's debug mode (REST job/set_debug_mode): the 'dm' item of specialhandling,
-- as PanDA's JobSpec.set_debug_mode (the pilot gets debug=True, heartbeats answer 'debug' and the stdout
-- it sends is kept in jobsdebug). Switching off also drops the legacy 'debug' item. Only for jobs not yet
-- final (PD004); unknown job PD003. Returns {"job_id", "debug"}.
--   p_pandaid  the PandaID
--   p_mode     true = debug on, false = off
CREATE OR REPLACE FUNCTION doma_panda.set_debug_mode(p_pandaid bigint, p_mode boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_table text;
    v_job jsonb;
    v_items text[];
BEGIN
    IF p_pandaid IS NULL OR p_mode IS NULL THEN
        RAISE EXCEPTION 'job_id and mode are required' USING ERRCODE = 'PD002';
    END IF;
    SELECT l.job_table, l.job INTO v_table, v_job FROM doma_panda.job_lock(p_pandaid) l;
    IF v_table IS NULL THEN
        RAISE EXCEPTION 'job % not found', p_pandaid USING ERRCODE = 'PD003';
    END IF;
    IF v_table = 'jobsarchived4' THEN
        RAISE EXCEPTION 'job % is already % (final): its debug mode cannot change', p_pandaid, v_job ->> 'jobstatus'
            USING ERRCODE = 'PD004';
    END IF;
    SELECT coalesce(array_agg(i ORDER BY o), '{}') INTO v_items
      FROM unnest(string_to_array(coalesce(v_job ->> 'specialhandling', ''), ',')) WITH ORDINALITY AS x(i, o)
     WHERE i <> '' AND i NOT IN ('dm', 'debug');
    IF p_mode THEN
        v_items := v_items || 'dm'::text;
    END IF;
    IF length(array_to_string(v_items, ',')) > 80 THEN
        RAISE EXCEPTION 'job %: specialhandling would exceed 80 characters', p_pandaid USING ERRCODE = 'PD002';
    END IF;
    PERFORM doma_panda.job_update_row(v_table, p_pandaid,
        jsonb_build_object('specialhandling', nullif(array_to_string(v_items, ','), '')));
    RETURN jsonb_build_object('job_id', p_pandaid, 'debug', p_mode);
END;
$$;
