-- The job lifecycle as stored logic (seed 004 sections 2.5, 2.8-2.9, 7.2; REST API v1 job and pilot
-- modules of seed 000): submit, activate, update (heartbeats and transitions), status and description.
-- The row plumbing they share is in job_rows.sql; kill, reassign, pilot commands and debug mode in
-- job_commands.sql; dispatch (acquire_jobs) in dispatch.sql, the retry rules in retry.sql, the timeout
-- rules in watchdog.sql.
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

-- submit_jobs: insert new jobs (REST job/submit). Each spec's keys are job table column names,
-- case-insensitive (JobSpec spellings computingSite, prodSourceLabel, ... work), plus "jobParameters"
-- (stored in jobparamstable), "metadata" (metatable) and "files" (a list of filestable4 objects).
-- A spec may also be a serialized JobSpec as panda-client sends it (job_spec_from_state, job_spec.sql).
-- The rules of job_submission_rules apply (computingSite a registered queue; managed jobs need the
-- production role, PD005; the job carries the caller's VO and its queue's cloud).
-- A given status picks the table: defined/assigned -> jobsdefined4, waiting/pending -> jobswaiting4,
-- activated/throttled -> jobsactive4. Without one the job is set up at once (job_setup_new_job,
-- job_setup.sql): activated when its inputs are ready, else assigned. The server sets PandaID
-- (jobsdefined4_pandaid_seq), creation/modification/state-change times; defaults: produsername/produserid
-- = p_submitter, currentpriority = assignedpriority, gshare = the matching leaf share (job_global_share),
-- resource_type from corecount and minramcount. Unknown keys or values of the wrong type: PD002 naming
-- them, nothing written. Returns, in input order, {"PandaID", "jobName", "jobStatus"} per job object and
-- PanDA's [PandaID, jobDefinitionID, jobName or {"jobsetID"}] per serialized JobSpec (job_spec_answer).
--   p_job_specs      a JSON array of job objects or serialized JobSpecs
--   p_submitter      the authenticated submitter (user name), or NULL
--   p_is_production  the submitter has the production role; NULL: a trusted caller (psql, scheduler)
--   p_vo             the VO of the submitter's token, or NULL
CREATE OR REPLACE FUNCTION doma_panda.submit_jobs(p_job_specs jsonb, p_submitter text DEFAULT NULL,
                                                  p_is_production boolean DEFAULT NULL, p_vo text DEFAULT NULL)
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
    v_serialized boolean;
    v_spec_keys jsonb;
    v_result jsonb := '[]'::jsonb;
BEGIN
    IF p_job_specs IS NULL OR jsonb_typeof(p_job_specs) <> 'array' OR jsonb_array_length(p_job_specs) = 0 THEN
        RAISE EXCEPTION 'jobs must be a non-empty JSON array of job objects' USING ERRCODE = 'PD002';
    END IF;
    FOR v_spec, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(p_job_specs) WITH ORDINALITY e ORDER BY e.ordinality LOOP
        v_what := format('job spec %s', v_index);
        v_serialized := jsonb_typeof(v_spec) = 'array';
        IF v_serialized THEN
            v_spec := doma_panda.job_spec_from_state(v_spec, v_what);
        END IF;
        IF jsonb_typeof(v_spec) <> 'object' THEN
            RAISE EXCEPTION '%: must be a JSON object', v_what USING ERRCODE = 'PD002';
        END IF;
        -- keys are case-insensitive; a JSON null means "not given"
        SELECT coalesce(jsonb_object_agg(lower(e.key), e.value), '{}'::jsonb) INTO v_job
          FROM jsonb_each(v_spec) e WHERE jsonb_typeof(e.value) <> 'null';
        v_spec_keys := v_job;
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
        v_job := doma_panda.job_submission_rules(v_job, p_is_production, p_vo, v_what);
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
        IF NOT v_spec_keys ? 'jobstatus' THEN
            v_status := doma_panda.job_setup_new_job(v_pandaid);
        END IF;
        v_result := v_result || jsonb_build_array(CASE WHEN v_serialized THEN doma_panda.job_spec_answer(v_job)
            ELSE jsonb_build_object('PandaID', v_pandaid, 'jobName', v_job -> 'jobname', 'jobStatus', v_status) END);
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

-- job_positions_in_lock_order: the 1-based positions of a list of PandaIDs, in the order the jobs are to be
-- locked: by PandaID, so that concurrent callers with overlapping lists lock jobs in the same order and
-- cannot deadlock. Refuses (PD002) a missing or empty list or a NULL id (job_check_ids).
--   p_pandaids  the PandaIDs, as the caller gave them
CREATE OR REPLACE FUNCTION doma_panda.job_positions_in_lock_order(p_pandaids bigint[])
RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM doma_panda.job_check_ids(p_pandaids);
    RETURN ARRAY(SELECT x.o FROM unnest(p_pandaids) WITH ORDINALITY AS x(id, o) ORDER BY x.id, x.o);
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
    v_position bigint;
BEGIN
    FOREACH v_position IN ARRAY doma_panda.job_positions_in_lock_order(p_pandaids) LOOP
        v_results := v_results || jsonb_build_object(v_position::text,
            doma_panda.activate_job(p_pandaids[v_position]));
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
    -- one expression without FROM: inlined into the caller (a query with FROM would be planned on every call)
    SELECT CASE
        WHEN array_position(ARRAY['sent', 'starting', 'running', 'holding', 'merging', 'transferring'], p_from) IS NULL THEN false
        WHEN p_to IN ('finished', 'failed', 'cancelled') THEN true
        WHEN array_position(ARRAY['sent', 'starting', 'running', 'holding', 'merging', 'transferring'], p_to) IS NULL THEN false
        ELSE array_position(ARRAY['sent', 'starting', 'running', 'holding', 'merging', 'transferring'], p_to)
               > array_position(ARRAY['sent', 'starting', 'running', 'holding', 'merging', 'transferring'], p_from)
             OR (p_to = p_from AND p_from <> 'sent')
    END;
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
-- only for dispatched jobs (sent ... transferring); a final status never changes (the same final report sent
-- again, after a lost answer, is acknowledged without change); anything else is PD004
-- naming from and to, with the database unchanged. The first 'running' sets starttime (unless given).
-- A final status archives the job (job_finalize); a job told 'tobekilled' that reports 'failed' is
-- recorded 'cancelled' (it was aborted on request). A failed job is judged by the retry rules.
-- Returns {"StatusCode": 0, "command": commandtopilot, 'debug' for a job in debug mode, or "NULL"}.
-- Speed (pandadb bench heartbeat): a heartbeat of an active job takes the static path: valid values are
-- judged by one cast of the request to a jobsactive4 record (the naming checks run only when it fails),
-- the row is locked and updated with static statements (planned once per session) instead of the
-- dynamic job_lock / job_update_row ones (planned on every call).
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
    v_values doma_panda.jobsactive4;
BEGIN
    IF p_pandaid IS NULL THEN
        RAISE EXCEPTION 'job_id is required' USING ERRCODE = 'PD002';
    END IF;
    IF p_request IS NOT NULL AND jsonb_typeof(p_request) <> 'object' THEN
        RAISE EXCEPTION '%: the request must be a JSON object', v_what USING ERRCODE = 'PD002';
    END IF;
    IF p_request IS NULL OR NOT jsonb_path_exists(p_request, 'strict $.* ? (@ == null)') THEN
        v_request := coalesce(p_request, '{}'::jsonb);  -- no null value to drop (no query)
    ELSE
        SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) INTO v_request
          FROM jsonb_each(p_request) e WHERE jsonb_typeof(e.value) <> 'null';
    END IF;
    -- one query: the unknown parameters, and the request in column names with strings cut to their
    -- column's length (looked up per given key: a join with pg_attribute read every column of jobsactive4)
    SELECT string_agg(e.k, ', ' ORDER BY e.k)
               FILTER (WHERE m.api_name IS NULL AND k NOT IN ('job_id', 'job_status', 'attempt_nr', 'site_name', 'corrupted_files',
                                                             'job_output_report', 'pilot_log', 'meta_data', 'stdout', 'timeout')),
           coalesce(jsonb_object_agg(m.column_name,
                        CASE WHEN t.length > 0 THEN to_jsonb(left(doma_panda.job_text_value(e.value), t.length)) ELSE e.value END)
                        FILTER (WHERE m.api_name IS NOT NULL), '{}'::jsonb)
      INTO v_unknown, v_changes
      FROM jsonb_each(v_request) AS e(k, value)
      LEFT JOIN doma_panda.update_job_column_map() m ON m.api_name = e.k
     CROSS JOIN LATERAL (
        SELECT (SELECT CASE WHEN a.atttypid = 'character varying'::regtype AND a.atttypmod > 4 THEN a.atttypmod - 4 ELSE 0 END
                  FROM pg_attribute a
                 WHERE a.attrelid = 'doma_panda.jobsactive4'::regclass AND a.attname = m.column_name) AS length) t;
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION '%: unknown parameters %', v_what, v_unknown USING ERRCODE = 'PD002';
    END IF;
    IF p_job_status IS NOT NULL AND doma_panda.job_table_for_status(p_job_status) IS NULL THEN
        RAISE EXCEPTION '%: job_status % is no job status (report starting, running, holding, merging, transferring, finished or failed)',
            v_what, p_job_status USING ERRCODE = 'PD002';
    END IF;
    -- integral numbers written with a fraction (1000.0) made integers; only when a number could be one
    IF v_changes::text ~ '[0-9][.eE]' THEN
        v_changes := doma_panda.job_integral_numbers('jobsactive4', v_changes);
    END IF;
    -- the common case of valid values costs one cast; job_check_values names the culprit otherwise
    BEGIN
        IF jsonb_path_exists(v_changes, 'strict $.* ? (@.type() == "object" || @.type() == "array")') THEN
            RAISE EXCEPTION USING ERRCODE = 'PD002';
        END IF;
        v_values := jsonb_populate_record(NULL::doma_panda.jobsactive4, v_changes
                                          || jsonb_build_object('attemptnr', v_request -> 'attempt_nr'));
    EXCEPTION WHEN data_exception OR SQLSTATE 'PD002' THEN
        PERFORM doma_panda.job_check_values('jobsactive4', v_changes, v_what);
        IF v_request ? 'attempt_nr' THEN
            PERFORM doma_panda.job_check_values('jobsactive4', jsonb_build_object('attemptnr', v_request -> 'attempt_nr'), v_what);
        END IF;
        RAISE;  -- not reached: job_check_values refuses the same values
    END;

    -- an active job (the heartbeat's case) is locked here, with the columns read below (the whole row only
    -- for a final status: job_finalize archives it); job_lock searches every job table otherwise
    IF p_job_status IN ('finished', 'failed', 'cancelled') THEN
        SELECT 'jobsactive4', to_jsonb(j) INTO v_table, v_job FROM doma_panda.jobsactive4 j WHERE j.pandaid = p_pandaid FOR UPDATE;
    ELSE
        SELECT 'jobsactive4', jsonb_build_object('jobstatus', j.jobstatus, 'attemptnr', j.attemptnr,
                                                 'commandtopilot', j.commandtopilot, 'starttime', j.starttime)
          INTO v_table, v_job
          FROM doma_panda.jobsactive4 j WHERE j.pandaid = p_pandaid FOR UPDATE;
    END IF;
    IF v_table IS NULL THEN
        SELECT l.job_table, l.job INTO v_table, v_job FROM doma_panda.job_lock(p_pandaid) l;
    END IF;
    IF v_table IS NULL THEN
        RAISE EXCEPTION 'job % not found', p_pandaid USING ERRCODE = 'PD003';
    END IF;
    v_from := v_job ->> 'jobstatus';
    -- a pilot that lost the answer to its final report sends it again: the same outcome is acknowledged, not
    -- refused (a killed job the pilot reports failed was recorded cancelled)
    IF v_table = 'jobsarchived4' AND (p_job_status = v_from OR (v_from = 'cancelled' AND p_job_status = 'failed')) THEN
        RETURN jsonb_build_object('StatusCode', 0, 'command', 'NULL');
    END IF;
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
    ELSIF v_table = 'jobsactive4'
          AND v_changes - ARRAY['jobsubstatus', 'starttime', 'endtime', 'pilottiming', 'modificationhost', 'schedulerid',
                                'pilotid', 'batchid', 'transexitcode', 'piloterrorcode', 'piloterrordiag', 'exeerrorcode',
                                'exeerrordiag', 'nevents', 'ninputfiles', 'cpuconsumptiontime', 'cpuconsumptionunit',
                                'cpuconversion', 'actualcorecount', 'meancorecount', 'maxrss', 'maxvmem', 'maxswap', 'maxpss',
                                'avgrss', 'avgvmem', 'avgswap', 'avgpss', 'totrchar', 'totwchar', 'totrbytes', 'totwbytes',
                                'raterchar', 'ratewchar', 'raterbytes', 'ratewbytes', 'cpu_architecture_level', 'jobmetrics',
                                'modificationtime', 'jobstatus', 'statechangetime'] = '{}'::jsonb THEN
        -- the static twin of job_update_row for the columns update_job sets (update_job_column_map's and the
        -- status/time columns; any other column takes job_update_row): same row, same status log
        v_values := jsonb_populate_record(NULL::doma_panda.jobsactive4, v_changes);
        UPDATE doma_panda.jobsactive4 AS j SET
            jobsubstatus = CASE WHEN v_changes ? 'jobsubstatus' THEN v_values.jobsubstatus ELSE j.jobsubstatus END,
            starttime = CASE WHEN v_changes ? 'starttime' THEN v_values.starttime ELSE j.starttime END,
            endtime = CASE WHEN v_changes ? 'endtime' THEN v_values.endtime ELSE j.endtime END,
            pilottiming = CASE WHEN v_changes ? 'pilottiming' THEN v_values.pilottiming ELSE j.pilottiming END,
            modificationhost = CASE WHEN v_changes ? 'modificationhost' THEN v_values.modificationhost ELSE j.modificationhost END,
            schedulerid = CASE WHEN v_changes ? 'schedulerid' THEN v_values.schedulerid ELSE j.schedulerid END,
            pilotid = CASE WHEN v_changes ? 'pilotid' THEN v_values.pilotid ELSE j.pilotid END,
            batchid = CASE WHEN v_changes ? 'batchid' THEN v_values.batchid ELSE j.batchid END,
            transexitcode = CASE WHEN v_changes ? 'transexitcode' THEN v_values.transexitcode ELSE j.transexitcode END,
            piloterrorcode = CASE WHEN v_changes ? 'piloterrorcode' THEN v_values.piloterrorcode ELSE j.piloterrorcode END,
            piloterrordiag = CASE WHEN v_changes ? 'piloterrordiag' THEN v_values.piloterrordiag ELSE j.piloterrordiag END,
            exeerrorcode = CASE WHEN v_changes ? 'exeerrorcode' THEN v_values.exeerrorcode ELSE j.exeerrorcode END,
            exeerrordiag = CASE WHEN v_changes ? 'exeerrordiag' THEN v_values.exeerrordiag ELSE j.exeerrordiag END,
            nevents = CASE WHEN v_changes ? 'nevents' THEN v_values.nevents ELSE j.nevents END,
            ninputfiles = CASE WHEN v_changes ? 'ninputfiles' THEN v_values.ninputfiles ELSE j.ninputfiles END,
            cpuconsumptiontime = CASE WHEN v_changes ? 'cpuconsumptiontime' THEN v_values.cpuconsumptiontime ELSE j.cpuconsumptiontime END,
            cpuconsumptionunit = CASE WHEN v_changes ? 'cpuconsumptionunit' THEN v_values.cpuconsumptionunit ELSE j.cpuconsumptionunit END,
            cpuconversion = CASE WHEN v_changes ? 'cpuconversion' THEN v_values.cpuconversion ELSE j.cpuconversion END,
            actualcorecount = CASE WHEN v_changes ? 'actualcorecount' THEN v_values.actualcorecount ELSE j.actualcorecount END,
            meancorecount = CASE WHEN v_changes ? 'meancorecount' THEN v_values.meancorecount ELSE j.meancorecount END,
            maxrss = CASE WHEN v_changes ? 'maxrss' THEN v_values.maxrss ELSE j.maxrss END,
            maxvmem = CASE WHEN v_changes ? 'maxvmem' THEN v_values.maxvmem ELSE j.maxvmem END,
            maxswap = CASE WHEN v_changes ? 'maxswap' THEN v_values.maxswap ELSE j.maxswap END,
            maxpss = CASE WHEN v_changes ? 'maxpss' THEN v_values.maxpss ELSE j.maxpss END,
            avgrss = CASE WHEN v_changes ? 'avgrss' THEN v_values.avgrss ELSE j.avgrss END,
            avgvmem = CASE WHEN v_changes ? 'avgvmem' THEN v_values.avgvmem ELSE j.avgvmem END,
            avgswap = CASE WHEN v_changes ? 'avgswap' THEN v_values.avgswap ELSE j.avgswap END,
            avgpss = CASE WHEN v_changes ? 'avgpss' THEN v_values.avgpss ELSE j.avgpss END,
            totrchar = CASE WHEN v_changes ? 'totrchar' THEN v_values.totrchar ELSE j.totrchar END,
            totwchar = CASE WHEN v_changes ? 'totwchar' THEN v_values.totwchar ELSE j.totwchar END,
            totrbytes = CASE WHEN v_changes ? 'totrbytes' THEN v_values.totrbytes ELSE j.totrbytes END,
            totwbytes = CASE WHEN v_changes ? 'totwbytes' THEN v_values.totwbytes ELSE j.totwbytes END,
            raterchar = CASE WHEN v_changes ? 'raterchar' THEN v_values.raterchar ELSE j.raterchar END,
            ratewchar = CASE WHEN v_changes ? 'ratewchar' THEN v_values.ratewchar ELSE j.ratewchar END,
            raterbytes = CASE WHEN v_changes ? 'raterbytes' THEN v_values.raterbytes ELSE j.raterbytes END,
            ratewbytes = CASE WHEN v_changes ? 'ratewbytes' THEN v_values.ratewbytes ELSE j.ratewbytes END,
            cpu_architecture_level = CASE WHEN v_changes ? 'cpu_architecture_level' THEN v_values.cpu_architecture_level
                                          ELSE j.cpu_architecture_level END,
            jobmetrics = CASE WHEN v_changes ? 'jobmetrics' THEN v_values.jobmetrics ELSE j.jobmetrics END,
            modificationtime = CASE WHEN v_changes ? 'modificationtime' THEN v_values.modificationtime ELSE j.modificationtime END,
            jobstatus = CASE WHEN v_changes ? 'jobstatus' THEN v_values.jobstatus ELSE j.jobstatus END,
            statechangetime = CASE WHEN v_changes ? 'statechangetime' THEN v_values.statechangetime ELSE j.statechangetime END
         WHERE j.pandaid = p_pandaid
        RETURNING jsonb_build_object('pandaid', j.pandaid, 'jeditaskid', j.jeditaskid, 'prodsourcelabel', j.prodsourcelabel,
                                     'jobstatus', j.jobstatus, 'attemptnr', j.attemptnr, 'commandtopilot', j.commandtopilot,
                                     'specialhandling', j.specialhandling, 'modificationtime', j.modificationtime,
                                     'cloud', j.cloud, 'computingsite', j.computingsite, 'modificationhost', j.modificationhost)
          INTO v_row;
        IF v_changes ? 'jobstatus' THEN
            PERFORM doma_panda.job_log_status(v_row);
        END IF;
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
-- Returns [{"job_id", "status", "command" (commandtopilot or "NULL")}, ...]; a job that does not exist, or
-- belongs to another VO than the caller's (job_access.sql), has status "unknown". When none of the jobs is
-- known the call is refused (PD003), so that a mistyped id is not answered with success.
--   p_pandaids      the PandaIDs
--   p_requester_vo  the caller's VO (NULL from psql: every job)
CREATE OR REPLACE FUNCTION doma_panda.get_job_status(p_pandaids bigint[], p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_result jsonb;
BEGIN
    PERFORM doma_panda.job_check_ids(p_pandaids);
    SELECT jsonb_agg(jsonb_build_object('job_id', ids.id, 'status', coalesce(s.jobstatus, 'unknown'),
                                        'command', coalesce(s.commandtopilot, 'NULL'))
                     ORDER BY ids.o)
      INTO v_result
      FROM unnest(p_pandaids) WITH ORDINALITY AS ids(id, o)
      LEFT JOIN LATERAL (
          SELECT x.jobstatus, x.commandtopilot FROM (
              SELECT j.jobstatus, j.commandtopilot, j.vo, 1 AS pref, j.modificationtime FROM doma_panda.jobsactive4 j WHERE j.pandaid = ids.id
              UNION ALL
              SELECT j.jobstatus, j.commandtopilot, j.vo, 2, j.modificationtime FROM doma_panda.jobsdefined4 j WHERE j.pandaid = ids.id
              UNION ALL
              SELECT j.jobstatus, j.commandtopilot, j.vo, 3, j.modificationtime FROM doma_panda.jobswaiting4 j WHERE j.pandaid = ids.id
              UNION ALL
              SELECT j.jobstatus, j.commandtopilot, j.vo, 4, j.modificationtime FROM doma_panda.jobsarchived4 j WHERE j.pandaid = ids.id
              UNION ALL
              SELECT j.jobstatus, j.commandtopilot, j.vo, 5, j.modificationtime FROM doma_pandaarch.jobsarchived j WHERE j.pandaid = ids.id
          ) x
          WHERE doma_panda.job_visible_to(x.vo, p_requester_vo)
          ORDER BY x.pref, x.modificationtime DESC
          LIMIT 1) s ON true;
    IF NOT jsonb_path_exists(v_result, '$[*] ? (@.status != "unknown")') THEN
        RAISE EXCEPTION 'no job of % is known%', array_to_string(p_pandaids, ', '),
            CASE WHEN p_requester_vo IS NULL THEN '' ELSE ' in VO ' || p_requester_vo END USING ERRCODE = 'PD003';
    END IF;
    RETURN v_result;
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
