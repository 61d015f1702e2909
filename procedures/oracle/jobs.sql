-- PL/SQL twin of procedures/postgres/jobs.sql: the job lifecycle as stored logic (submit, activate,
-- update, status and description; row plumbing in job_rows.sql, operator commands in job_commands.sql). Same routine names,
-- parameter names, rules and messages as the PL/pgSQL functions, in schema ATLAS_PANDA.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Errors: where PostgreSQL raises a SQLSTATE, the twin raises RAISE_APPLICATION_ERROR with the same message:
--   PD001 -> -20001 (not raised here)
--   PD002 -> -20002 (invalid input)
--   PD003 -> -20003 (unknown job)
--   PD004 -> -20004 (illegal state transition)
--   PD005 -> -20005 (not allowed: only in the per-job results of kill_jobs, raised by job_per_id_results)
-- A per-job result's "sqlstate" keeps the PostgreSQL code ('PD003', ...); job_per_id_results raises
-- -2000n for 'PD00n'. update_jobs_bulk reports an Oracle error as "sqlstate" 'PD00n' for -2000n and
-- 'ORA-nnnnn' otherwise, its message without the 'ORA-nnnnn: ' prefix (PostgreSQL's SQLERRM).
-- Types: jsonb parameters and results are CLOB holding JSON text (JSON_OBJECT_T / JSON_ARRAY_T inside);
-- bigint[] is SYS.ODCINUMBERLIST, text[] SYS.ODCIVARCHAR2LIST; boolean parameters and results are PL/SQL
-- BOOLEAN (python-oracledb binds Python bools to them; not callable from SQL before Oracle 23);
-- RETURNS TABLE is a SYS_REFCURSOR; timestamps are DATE (UTC), written in JSON as 'YYYY-MM-DD"T"HH24:MI:SS'.
-- A job row as JSON is what to_jsonb gives in PostgreSQL: lower-case column names
-- (PANDADB_SUPPORT.row_json_sql); rows are inserted and updated from JSON with DBMS_SQL and typed binds
-- (the twin of jsonb_populate_record). job_check_values judges a value by the column type of
-- ALL_TAB_COLUMNS: its message names the Oracle type (NUMBER(10), VARCHAR2(64)), not PostgreSQL's.
-- Oracle has no empty string ('' is NULL): coalesce(x, '') = '' tests are x IS NULL here; a missing
-- workinggroup or processingtype matches no global-share pattern (PostgreSQL matches '' against it).
-- Subtransactions (update_jobs_bulk) are savepoints. Each PL/SQL unit ends with a line holding only '/'.

-- submit_jobs: insert new jobs (REST job/submit). Each spec's keys are job table column names,
-- case-insensitive (JobSpec spellings computingSite, prodSourceLabel, ... work), plus "jobParameters"
-- (stored in jobparamstable), "metadata" (metatable) and "files" (a list of filestable4 objects).
-- The status (default 'defined') picks the table: defined/assigned -> jobsdefined4, waiting/pending ->
-- jobswaiting4, activated/throttled -> jobsactive4. The server sets PandaID (JOBSDEFINED4_PANDAID_SEQ),
-- creation/modification/state-change times; defaults: produsername/produserid = p_submitter,
-- currentpriority = assignedpriority, gshare = the matching leaf share (job_global_share), resource_type
-- from corecount and minramcount. Unknown keys or values of the wrong type: -20002 naming them, nothing
-- written. Returns [{"PandaID", "jobName", "jobStatus"}, ...] in input order.
-- Without a status the job is set up at once, as PostgreSQL's job_setup_new_job does: activated when its
-- inputs are ready, else assigned. The job carries p_vo. Not yet in this twin (PostgreSQL job_spec.sql,
-- PostgreSQL only for now): serialized JobSpecs, the submission rules (production role, VO, registered
-- queue and its cloud).
--   p_job_specs      a JSON array of job objects
--   p_submitter      the authenticated submitter (user name), or NULL
--   p_is_production  the submitter has the production role; NULL: a trusted caller
--   p_vo             the VO of the submitter's token, or NULL
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SUBMIT_JOBS(p_job_specs IN CLOB, p_submitter IN VARCHAR2 DEFAULT NULL,
                                                  p_is_production IN BOOLEAN DEFAULT NULL, p_vo IN VARCHAR2 DEFAULT NULL)
RETURN CLOB
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_job_columns SYS.ODCIVARCHAR2LIST := ATLAS_PANDA.JOB_TABLE_COLUMNS('jobsdefined4');
    v_element JSON_ELEMENT_T;
    v_specs JSON_ARRAY_T;
    v_what VARCHAR2(100);
    v_job JSON_OBJECT_T;
    v_defaults JSON_OBJECT_T;
    v_unknown VARCHAR2(32767);
    v_status VARCHAR2(64);
    v_status_given BOOLEAN;
    v_setup JSON_OBJECT_T;
    v_table VARCHAR2(30);
    v_pandaid NUMBER;
    v_parameters JSON_ELEMENT_T;
    v_metadata JSON_ELEMENT_T;
    v_files JSON_ELEMENT_T;
    v_count PLS_INTEGER;
    v_text CLOB;
    v_answer JSON_OBJECT_T;
    v_result JSON_ARRAY_T := JSON_ARRAY_T();
BEGIN
    IF p_job_specs IS NOT NULL THEN
        v_element := JSON_ELEMENT_T.parse(p_job_specs);
    END IF;
    IF v_element IS NULL OR NOT v_element.is_array() OR TREAT(v_element AS JSON_ARRAY_T).get_size() = 0 THEN
        RAISE_APPLICATION_ERROR(-20002, 'jobs must be a non-empty JSON array of job objects');
    END IF;
    v_specs := TREAT(v_element AS JSON_ARRAY_T);
    FOR i IN 0 .. v_specs.get_size() - 1 LOOP
        v_what := 'job spec ' || (i + 1);
        IF NOT v_specs.get(i).is_object() THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': must be a JSON object');
        END IF;
        -- keys are case-insensitive; a JSON null means "not given"
        v_job := PANDADB_SUPPORT.lower_keys(TREAT(v_specs.get(i) AS JSON_OBJECT_T));
        v_parameters := v_job.get('jobparameters');
        v_metadata := v_job.get('metadata');
        v_files := v_job.get('files');
        v_job := PANDADB_SUPPORT.without_keys(v_job, SYS.ODCIVARCHAR2LIST('jobparameters', 'metadata', 'files'));
        v_unknown := PANDADB_SUPPORT.unknown_keys(v_job, v_job_columns);
        IF v_unknown IS NOT NULL THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': unknown keys ' || v_unknown
                                            || ' (keys are job table column names, jobParameters, metadata and files)');
        END IF;
        IF v_job.has('pandaid') THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': PandaID is assigned by the server; leave it out');
        END IF;
        IF (v_parameters IS NOT NULL AND NOT v_parameters.is_string())
           OR (v_metadata IS NOT NULL AND NOT v_metadata.is_string()) THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': jobParameters and metadata must be strings');
        END IF;
        v_status_given := PANDADB_SUPPORT.member_text(v_job, 'jobstatus') IS NOT NULL;
        v_status := NVL(PANDADB_SUPPORT.member_text(v_job, 'jobstatus'), 'defined');
        IF v_status NOT IN ('defined', 'assigned', 'waiting', 'pending', 'activated', 'throttled') THEN
            RAISE_APPLICATION_ERROR(-20002,
                v_what || ': a new job''s status must be defined, assigned, waiting, pending, activated or throttled, not '
                || v_status);
        END IF;
        v_table := ATLAS_PANDA.JOB_TABLE_FOR_STATUS(v_status);
        IF v_job.has('gshare') THEN
            SELECT COUNT(*) INTO v_count FROM ATLAS_PANDA.GLOBAL_SHARES s
             WHERE s.NAME = PANDADB_SUPPORT.member_text(v_job, 'gshare');
            IF v_count = 0 THEN
                RAISE_APPLICATION_ERROR(-20002, v_what || ': global share ' || PANDADB_SUPPORT.member_text(v_job, 'gshare')
                                                || ' does not exist (ATLAS_PANDA.GLOBAL_SHARES)');
            END IF;
        END IF;
        -- types first, so that the defaults below read valid values
        v_job := JSON_OBJECT_T.parse(ATLAS_PANDA.JOB_INTEGRAL_NUMBERS(v_table, v_job.to_clob()));
        ATLAS_PANDA.JOB_CHECK_VALUES(v_table, v_job.to_clob(), v_what);
        v_pandaid := ATLAS_PANDA.JOBSDEFINED4_PANDAID_SEQ.NEXTVAL;
        v_defaults := JSON_OBJECT_T();
        IF p_submitter IS NOT NULL THEN
            v_defaults.put('produsername', p_submitter);
            v_defaults.put('produserid', p_submitter);
        END IF;
        IF v_job.has('assignedpriority') THEN
            v_defaults.put('currentpriority', v_job.get('assignedpriority'));
        END IF;
        IF ATLAS_PANDA.JOB_GLOBAL_SHARE(v_job.to_clob()) IS NOT NULL THEN
            v_defaults.put('gshare', ATLAS_PANDA.JOB_GLOBAL_SHARE(v_job.to_clob()));
        END IF;
        v_defaults.put('resource_type', ATLAS_PANDA.JOB_RESOURCE_TYPE(PANDADB_SUPPORT.member_number(v_job, 'corecount'),
                                                                      PANDADB_SUPPORT.member_number(v_job, 'minramcount')));
        PANDADB_SUPPORT.merge_members(v_defaults, v_job);
        v_job := v_defaults;
        v_job.put('pandaid', v_pandaid);
        v_job.put('jobstatus', v_status);
        v_job.put('creationtime', PANDADB_SUPPORT.date_text(v_now));
        v_job.put('modificationtime', PANDADB_SUPPORT.date_text(v_now));
        v_job.put('statechangetime', PANDADB_SUPPORT.date_text(v_now));
        IF p_vo IS NOT NULL THEN
            v_job.put('vo', p_vo);  -- the job carries the VO of the submitter's token
        END IF;
        ATLAS_PANDA.JOB_CHECK_VALUES(v_table, v_job.to_clob(), v_what);
        ATLAS_PANDA.JOB_INSERT_ROW(v_table, v_job.to_clob());
        IF v_parameters IS NOT NULL THEN
            v_text := ATLAS_PANDA.JOB_TEXT_VALUE(v_parameters.to_clob());
            INSERT INTO ATLAS_PANDA.JOBPARAMSTABLE (PANDAID, MODIFICATIONTIME, JOBPARAMETERS) VALUES (v_pandaid, v_now, v_text);
        END IF;
        IF v_metadata IS NOT NULL THEN
            v_text := ATLAS_PANDA.JOB_TEXT_VALUE(v_metadata.to_clob());
            INSERT INTO ATLAS_PANDA.METATABLE (PANDAID, MODIFICATIONTIME, METADATA) VALUES (v_pandaid, v_now, v_text);
        END IF;
        v_count := ATLAS_PANDA.JOB_INSERT_FILES(v_pandaid, CASE WHEN v_files IS NOT NULL THEN v_files.to_clob() END,
                                                v_job.to_clob(), v_now, v_what);
        ATLAS_PANDA.JOB_LOG_STATUS(v_job.to_clob());
        IF NOT v_status_given THEN
            -- the setupper's decision (PostgreSQL job_setup_new_job): activated when every input file is
            -- ready, else assigned (stays in jobsdefined4); both transitions are logged
            v_setup := JSON_OBJECT_T.parse(ATLAS_PANDA.ACTIVATE_JOB(v_pandaid));
            IF v_setup.get_boolean('activated') THEN
                v_status := 'activated';
            ELSE
                v_setup := JSON_OBJECT_T();
                v_setup.put('jobstatus', 'assigned');
                v_setup.put('modificationtime', PANDADB_SUPPORT.date_text(v_now));
                v_setup.put('statechangetime', PANDADB_SUPPORT.date_text(v_now));
                v_text := ATLAS_PANDA.JOB_UPDATE_ROW('jobsdefined4', v_pandaid, v_setup.to_clob());
                v_status := 'assigned';
            END IF;
        END IF;
        v_answer := JSON_OBJECT_T();
        v_answer.put('PandaID', v_pandaid);
        IF v_job.has('jobname') THEN
            v_answer.put('jobName', v_job.get('jobname'));
        ELSE
            v_answer.put_null('jobName');
        END IF;
        v_answer.put('jobStatus', v_status);
        v_result.append(v_answer);
    END LOOP;
    RETURN v_result.to_clob();
END SUBMIT_JOBS;
/

-- job_per_id_results: the per-id results of activate/kill/reassign, keyed by input position, as an array
-- in input order. With a single id a refusal is raised instead (the API answers that job's error):
-- 'PD00n' is raised as -2000n; with several, each refusal is reported in its result ("sqlstate" is
-- dropped from the answer).
--   p_results  {"<position>": {... "sqlstate" when refused}, ...}
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_PER_ID_RESULTS(p_results IN CLOB)
RETURN CLOB
AS
    v_results JSON_OBJECT_T := JSON_OBJECT_T.parse(p_results);
    v_keys JSON_KEY_LIST := v_results.get_keys();
    v_ordered JSON_ARRAY_T := JSON_ARRAY_T();
    v_first JSON_OBJECT_T;
    v_code PLS_INTEGER;
    v_entry JSON_OBJECT_T;
    v_answer JSON_ARRAY_T := JSON_ARRAY_T();
BEGIN
    FOR position IN 1 .. v_keys.COUNT LOOP
        v_entry := v_results.get_object(TO_CHAR(position));
        v_ordered.append(v_entry);
    END LOOP;
    IF v_ordered.get_size() = 1 THEN
        v_first := TREAT(v_ordered.get(0) AS JSON_OBJECT_T);
        IF PANDADB_SUPPORT.member_text(v_first, 'sqlstate') IS NOT NULL THEN
            v_code := -20000 - TO_NUMBER(SUBSTR(PANDADB_SUPPORT.member_text(v_first, 'sqlstate'), 3));
            RAISE_APPLICATION_ERROR(v_code, PANDADB_SUPPORT.member_text(v_first, 'message'));
        END IF;
    END IF;
    FOR i IN 0 .. v_ordered.get_size() - 1 LOOP
        v_entry := TREAT(v_ordered.get(i) AS JSON_OBJECT_T).clone();
        v_entry.remove('sqlstate');
        v_answer.append(v_entry);
    END LOOP;
    RETURN v_answer.to_clob();
END JOB_PER_ID_RESULTS;
/

-- job_check_ids: refuse (-20002) a missing or empty list of PandaIDs.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JOB_CHECK_IDS(p_pandaids IN SYS.ODCINUMBERLIST)
AS
    v_nulls PLS_INTEGER := 0;
BEGIN
    IF p_pandaids IS NOT NULL THEN
        FOR i IN 1 .. p_pandaids.COUNT LOOP
            v_nulls := v_nulls + CASE WHEN p_pandaids(i) IS NULL THEN 1 ELSE 0 END;
        END LOOP;
    END IF;
    IF p_pandaids IS NULL OR p_pandaids.COUNT = 0 OR v_nulls > 0 THEN
        RAISE_APPLICATION_ERROR(-20002, 'job_ids must be a non-empty list of PandaIDs');
    END IF;
END JOB_CHECK_IDS;
/

-- job_positions_in_lock_order: the 1-based positions of a list of PandaIDs, in the order the jobs are to be
-- locked: by PandaID, so that concurrent callers with overlapping lists lock jobs in the same order and
-- cannot deadlock. Refuses (-20002) a missing or empty list or a NULL id (job_check_ids).
--   p_pandaids  the PandaIDs, as the caller gave them
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_POSITIONS_IN_LOCK_ORDER(p_pandaids IN SYS.ODCINUMBERLIST)
RETURN SYS.ODCINUMBERLIST
AS
    v_positions SYS.ODCINUMBERLIST;
BEGIN
    ATLAS_PANDA.JOB_CHECK_IDS(p_pandaids);
    SELECT o BULK COLLECT INTO v_positions
      FROM (SELECT COLUMN_VALUE AS id, ROWNUM AS o FROM TABLE(p_pandaids))
     ORDER BY id, o;
    RETURN v_positions;
END JOB_POSITIONS_IN_LOCK_ORDER;
/

-- activate_job: activate one job (see activate_jobs). Returns {"job_id", "activated", "job_status",
-- "message"} and, when refused, "sqlstate".
--   p_pandaid  the PandaID
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ACTIVATE_JOB(p_pandaid IN NUMBER)
RETURN CLOB
AS
    v_table VARCHAR2(30);
    v_text CLOB;
    v_job JSON_OBJECT_T;
    v_status VARCHAR2(64);
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_missing NUMBER;
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    v_result.put('job_id', p_pandaid);
    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        v_result.put('activated', FALSE);
        v_result.put_null('job_status');
        v_result.put('message', 'job ' || p_pandaid || ' not found');
        v_result.put('sqlstate', 'PD003');
        RETURN v_result.to_clob();
    END IF;
    v_job := JSON_OBJECT_T.parse(v_text);
    v_status := PANDADB_SUPPORT.member_text(v_job, 'jobstatus');
    IF v_status NOT IN ('defined', 'assigned', 'waiting') THEN
        v_result.put('activated', FALSE);
        v_result.put('job_status', v_status);
        v_result.put('message', 'job ' || p_pandaid || ' is ' || v_status
                                || ': only defined, assigned or waiting jobs are activated');
        v_result.put('sqlstate', 'PD004');
        RETURN v_result.to_clob();
    END IF;
    SELECT COUNT(*) INTO v_missing FROM ATLAS_PANDA.FILESTABLE4 f
     WHERE f.PANDAID = p_pandaid AND f."TYPE" = 'input' AND (f.STATUS IS NULL OR f.STATUS <> 'ready');
    IF v_missing > 0 THEN
        v_result.put('activated', FALSE);
        v_result.put('job_status', v_status);
        v_result.put('message', 'job ' || p_pandaid || ' waits for ' || v_missing || ' input files to be ready');
        RETURN v_result.to_clob();
    END IF;
    v_changes.put('jobstatus', 'activated');
    v_changes.put('modificationtime', PANDADB_SUPPORT.date_text(v_now));
    v_changes.put('statechangetime', PANDADB_SUPPORT.date_text(v_now));
    v_text := ATLAS_PANDA.JOB_MOVE_ROW(v_table, 'jobsactive4', p_pandaid, v_changes.to_clob());
    v_result.put('activated', TRUE);
    v_result.put('job_status', 'activated');
    v_result.put('message', 'activated');
    RETURN v_result.to_clob();
END ACTIVATE_JOB;
/

-- activate_jobs: defined, assigned or waiting jobs -> activated (moved to jobsactive4) when their input
-- data is available: every input file has status 'ready' (or the job has no input file). A job whose
-- inputs are not ready stays as it is (activated false, not an error). Returns
-- [{"job_id", "activated", "job_status", "message"}, ...] in input order; with a single id an unknown job
-- raises -20003 and a job in another status -20004; with several ids these are reported per job.
--   p_pandaids  the PandaIDs
CREATE OR REPLACE FUNCTION ATLAS_PANDA.ACTIVATE_JOBS(p_pandaids IN SYS.ODCINUMBERLIST)
RETURN CLOB
AS
    v_results JSON_OBJECT_T := JSON_OBJECT_T();
    v_positions SYS.ODCINUMBERLIST := ATLAS_PANDA.JOB_POSITIONS_IN_LOCK_ORDER(p_pandaids);
BEGIN
    FOR k IN 1 .. v_positions.COUNT LOOP
        v_results.put(TO_CHAR(v_positions(k)), JSON_OBJECT_T.parse(
            ATLAS_PANDA.ACTIVATE_JOB(p_pandaids(v_positions(k)))));
    END LOOP;
    RETURN ATLAS_PANDA.JOB_PER_ID_RESULTS(v_results.to_clob());
END ACTIVATE_JOBS;
/

-- job_transition_allowed: the moves a pilot may report (seed 004 section 2.5): forward through
-- sent -> starting -> running -> holding -> merging -> transferring, to a final status (finished,
-- failed, cancelled) from any of them, and the same status again (heartbeat) except 'sent'.
--   p_from  the job's status
--   p_to    the reported status
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_TRANSITION_ALLOWED(p_from IN VARCHAR2, p_to IN VARCHAR2)
RETURN BOOLEAN
AS
    -- the positions of the statuses in the pilot's order (NULL: not a status a pilot reports from or to)
    v_from_position PLS_INTEGER := CASE p_from WHEN 'sent' THEN 1 WHEN 'starting' THEN 2 WHEN 'running' THEN 3
                                               WHEN 'holding' THEN 4 WHEN 'merging' THEN 5 WHEN 'transferring' THEN 6 END;
    v_to_position PLS_INTEGER := CASE p_to WHEN 'sent' THEN 1 WHEN 'starting' THEN 2 WHEN 'running' THEN 3
                                           WHEN 'holding' THEN 4 WHEN 'merging' THEN 5 WHEN 'transferring' THEN 6 END;
BEGIN
    IF v_from_position IS NULL THEN
        RETURN FALSE;
    ELSIF p_to IN ('finished', 'failed', 'cancelled') THEN
        RETURN TRUE;
    ELSIF v_to_position IS NULL THEN
        RETURN FALSE;
    END IF;
    RETURN v_to_position > v_from_position OR (p_to = p_from AND p_from <> 'sent');
END JOB_TRANSITION_ALLOWED;
/

-- update_job_column_map: update_job's API parameters (seed 000) and the job columns they are stored in,
-- as a cursor of (api_name, column_name).
-- core_count is the core count the job used: actualcorecount, as PanDA's dispatcher stores it.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.UPDATE_JOB_COLUMN_MAP
RETURN SYS_REFCURSOR
AS
    v_map SYS_REFCURSOR;
BEGIN
    OPEN v_map FOR
        SELECT SUBSTR(COLUMN_VALUE, 1, INSTR(COLUMN_VALUE, '=') - 1) AS api_name,
               SUBSTR(COLUMN_VALUE, INSTR(COLUMN_VALUE, '=') + 1) AS column_name
          FROM TABLE(SYS.ODCIVARCHAR2LIST(
               'job_sub_status=jobsubstatus', 'start_time=starttime', 'end_time=endtime',
               'pilot_timing=pilottiming', 'node=modificationhost', 'scheduler_id=schedulerid',
               'pilot_id=pilotid', 'batch_id=batchid', 'trans_exit_code=transexitcode',
               'pilot_error_code=piloterrorcode', 'pilot_error_diag=piloterrordiag',
               'exe_error_code=exeerrorcode', 'exe_error_diag=exeerrordiag', 'n_events=nevents',
               'n_input_files=ninputfiles', 'cpu_consumption_time=cpuconsumptiontime',
               'cpu_consumption_unit=cpuconsumptionunit', 'cpu_conversion_factor=cpuconversion',
               'core_count=actualcorecount', 'mean_core_count=meancorecount',
               'max_rss=maxrss', 'max_vmem=maxvmem', 'max_swap=maxswap', 'max_pss=maxpss',
               'avg_rss=avgrss', 'avg_vmem=avgvmem', 'avg_swap=avgswap', 'avg_pss=avgpss',
               'tot_rchar=totrchar', 'tot_wchar=totwchar', 'tot_rbytes=totrbytes', 'tot_wbytes=totwbytes',
               'rate_rchar=raterchar', 'rate_wchar=ratewchar', 'rate_rbytes=raterbytes',
               'rate_wbytes=ratewbytes', 'cpu_architecture_level=cpu_architecture_level',
               'job_metrics=jobmetrics'));
    RETURN v_map;
END UPDATE_JOB_COLUMN_MAP;
/

-- job_text_value: a request value as text (strings as they are, other JSON as its text).
--   p_value  one JSON value (JSON text)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_TEXT_VALUE(p_value IN CLOB)
RETURN CLOB
AS
    v_element JSON_ELEMENT_T;
    v_wrapper JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    v_element := JSON_ELEMENT_T.parse(p_value);
    IF v_element.is_string() THEN
        -- the string's value, unescaped: read back as a member (get_clob: no VARCHAR2 length limit)
        v_wrapper.put('v', v_element);
        RETURN v_wrapper.get_clob('v');
    END IF;
    RETURN v_element.to_clob();
END JOB_TEXT_VALUE;
/

-- update_job: a pilot's heartbeat and status report (REST pilot/update_job). Stores every metric of the
-- request in its job column (update_job_column_map; strings longer than their column are cut as PanDA's
-- JobSpec does), meta_data in metatable, job_metrics also in job_metrics, job_output_report in
-- job_output_report, pilot_log in pandalog (type 'pilotLog'), stdout in jobsdebug; refreshes the
-- heartbeat (modificationtime) on every call. Status moves: only forward (job_transition_allowed) and
-- only for dispatched jobs (sent ... transferring); a final status never changes (the same final report sent
-- again is acknowledged without change); anything else is -20004
-- naming from and to, with the database unchanged. The first 'running' sets starttime (unless given).
-- A final status archives the job (job_finalize); a job told 'tobekilled' that reports 'failed' is
-- recorded 'cancelled' (it was aborted on request). A failed job is judged by the retry rules.
-- Returns {"StatusCode": 0, "command": commandtopilot, 'debug' for a job in debug mode, or "NULL"}.
--   p_pandaid     the PandaID
--   p_job_status  the reported status, NULL for a pure heartbeat
--   p_request     the other update_job API parameters by their API names (job_sub_status, start_time, ...)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.UPDATE_JOB(p_pandaid IN NUMBER, p_job_status IN VARCHAR2, p_request IN CLOB)
RETURN CLOB
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_what VARCHAR2(100) := 'update_job of job ' || p_pandaid;
    v_element JSON_ELEMENT_T;
    v_request JSON_OBJECT_T := JSON_OBJECT_T();
    v_allowed SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST('job_id', 'job_status', 'attempt_nr', 'site_name',
        'corrupted_files', 'job_output_report', 'pilot_log', 'meta_data', 'stdout', 'timeout');
    v_map SYS_REFCURSOR;
    v_api_name VARCHAR2(100);
    v_column VARCHAR2(100);
    v_type VARCHAR2(100);
    v_unknown VARCHAR2(32767);
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_check JSON_OBJECT_T;
    v_table VARCHAR2(30);
    v_text CLOB;
    v_job JSON_OBJECT_T;
    v_from VARCHAR2(64);
    v_to VARCHAR2(64) := p_job_status;
    v_row JSON_OBJECT_T;
    v_final BOOLEAN;
    v_command VARCHAR2(4000);
    v_text_value CLOB;
    v_attemptnr NUMBER;
    v_row_status VARCHAR2(64);
    v_row_label VARCHAR2(64);
    v_row_task NUMBER;
    v_answer JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    IF p_pandaid IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'job_id is required');
    END IF;
    IF p_request IS NOT NULL THEN
        v_element := JSON_ELEMENT_T.parse(p_request);
        IF NOT v_element.is_object() THEN
            RAISE_APPLICATION_ERROR(-20002, v_what || ': the request must be a JSON object');
        END IF;
        v_request := PANDADB_SUPPORT.without_nulls(TREAT(v_element AS JSON_OBJECT_T));
    END IF;
    v_map := ATLAS_PANDA.UPDATE_JOB_COLUMN_MAP();
    LOOP
        FETCH v_map INTO v_api_name, v_column;
        EXIT WHEN v_map%NOTFOUND;
        v_allowed.EXTEND;
        v_allowed(v_allowed.COUNT) := v_api_name;
        -- the request in column names; strings cut to their column's length
        IF v_request.has(v_api_name) THEN
            v_type := PANDADB_SUPPORT.column_type('ATLAS_PANDA', 'jobsactive4', v_column);
            IF REGEXP_LIKE(v_type, '^VARCHAR2\([0-9]+\)$') AND PANDADB_SUPPORT.member_type(v_request, v_api_name) <> 'null' THEN
                v_changes.put(v_column, SUBSTR(DBMS_LOB.SUBSTR(
                                                   ATLAS_PANDA.JOB_TEXT_VALUE(v_request.get(v_api_name).to_clob()), 32767, 1), 1,
                                               -- the length in the brackets (not the 2 of VARCHAR2)
                                               TO_NUMBER(RTRIM(SUBSTR(v_type, INSTR(v_type, '(') + 1), ')'))));
            ELSE
                v_changes.put(v_column, v_request.get(v_api_name));
            END IF;
        END IF;
    END LOOP;
    CLOSE v_map;
    v_unknown := PANDADB_SUPPORT.unknown_keys(v_request, v_allowed);
    IF v_unknown IS NOT NULL THEN
        RAISE_APPLICATION_ERROR(-20002, v_what || ': unknown parameters ' || v_unknown);
    END IF;
    IF p_job_status IS NOT NULL AND ATLAS_PANDA.JOB_TABLE_FOR_STATUS(p_job_status) IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, v_what || ': job_status ' || p_job_status
            || ' is no job status (report starting, running, holding, merging, transferring, finished or failed)');
    END IF;
    v_changes := JSON_OBJECT_T.parse(ATLAS_PANDA.JOB_INTEGRAL_NUMBERS('jobsactive4', v_changes.to_clob()));
    ATLAS_PANDA.JOB_CHECK_VALUES('jobsactive4', v_changes.to_clob(), v_what);
    IF v_request.has('attempt_nr') THEN
        v_check := JSON_OBJECT_T();
        v_check.put('attemptnr', v_request.get('attempt_nr'));
        ATLAS_PANDA.JOB_CHECK_VALUES('jobsactive4', v_check.to_clob(), v_what);
    END IF;

    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        RAISE_APPLICATION_ERROR(-20003, 'job ' || p_pandaid || ' not found');
    END IF;
    v_job := JSON_OBJECT_T.parse(v_text);
    v_from := PANDADB_SUPPORT.member_text(v_job, 'jobstatus');
    -- the same final report sent again (a lost answer) is acknowledged without change
    IF v_table = 'jobsarchived4' AND (p_job_status = v_from OR (v_from = 'cancelled' AND p_job_status = 'failed')) THEN
        RETURN '{"StatusCode": 0, "command": "NULL"}';
    END IF;
    IF v_table = 'jobsarchived4' THEN
        RAISE_APPLICATION_ERROR(-20004, 'job ' || p_pandaid || ' is already ' || v_from
                                        || ' (final): its status never changes'
                                        || CASE WHEN p_job_status IS NULL THEN NULL ELSE ', refused ' || v_from || ' -> ' || p_job_status END);
    END IF;
    IF v_from NOT IN ('sent', 'starting', 'running', 'holding', 'merging', 'transferring') THEN
        RAISE_APPLICATION_ERROR(-20004, 'job ' || p_pandaid || ' is ' || v_from
                                        || ': update_job applies to jobs dispatched to a pilot (sent to transferring)'
                                        || CASE WHEN p_job_status IS NULL THEN NULL ELSE ', refused ' || v_from || ' -> ' || p_job_status END);
    END IF;
    IF v_request.has('attempt_nr')
       AND PANDADB_SUPPORT.member_number(v_request, 'attempt_nr') <> PANDADB_SUPPORT.member_number(v_job, 'attemptnr') THEN
        RAISE_APPLICATION_ERROR(-20004, 'job ' || p_pandaid || ': attempt_nr ' || PANDADB_SUPPORT.member_text(v_request, 'attempt_nr')
                                        || ' is not the job''s attempt ' || PANDADB_SUPPORT.member_text(v_job, 'attemptnr'));
    END IF;
    IF p_job_status IS NOT NULL AND NOT ATLAS_PANDA.JOB_TRANSITION_ALLOWED(v_from, p_job_status) THEN
        RAISE_APPLICATION_ERROR(-20004, 'illegal transition of job ' || p_pandaid || ': ' || v_from || ' -> ' || p_job_status
            || ' (jobs move forward: sent, starting, running, holding, merging, transferring, then finished, failed or cancelled)');
    END IF;

    IF v_to = 'failed' AND PANDADB_SUPPORT.member_text(v_job, 'commandtopilot') = 'tobekilled' THEN
        v_to := 'cancelled';
    END IF;
    v_final := NVL(v_to IN ('finished', 'failed', 'cancelled'), FALSE);
    v_changes.put('modificationtime', PANDADB_SUPPORT.date_text(v_now));
    IF v_to IS NOT NULL AND v_to <> v_from THEN
        v_changes.put('jobstatus', v_to);
        v_changes.put('statechangetime', PANDADB_SUPPORT.date_text(v_now));
        IF v_to = 'running' AND NOT v_changes.has('starttime')
           AND ATLAS_PANDA.JOB_IS_EPOCH(PANDADB_SUPPORT.member_text(v_job, 'starttime')) THEN
            v_changes.put('starttime', PANDADB_SUPPORT.date_text(v_now));
        END IF;
    END IF;
    IF v_final THEN
        v_row := JSON_OBJECT_T.parse(ATLAS_PANDA.JOB_FINALIZE(v_table, v_text, v_changes.to_clob()));
    ELSE
        v_row := JSON_OBJECT_T.parse(ATLAS_PANDA.JOB_UPDATE_ROW(v_table, p_pandaid, v_changes.to_clob()));
    END IF;

    -- JSON_OBJECT_T values cannot appear in SQL: read into variables first
    v_attemptnr := PANDADB_SUPPORT.member_number(v_row, 'attemptnr');
    v_row_status := PANDADB_SUPPORT.member_text(v_row, 'jobstatus');
    v_row_label := PANDADB_SUPPORT.member_text(v_row, 'prodsourcelabel');
    v_row_task := PANDADB_SUPPORT.member_number(v_row, 'jeditaskid');
    IF v_request.has('meta_data') THEN
        v_text_value := ATLAS_PANDA.JOB_TEXT_VALUE(v_request.get('meta_data').to_clob());
        UPDATE ATLAS_PANDA.METATABLE SET METADATA = v_text_value, MODIFICATIONTIME = v_now WHERE PANDAID = p_pandaid;
        IF SQL%ROWCOUNT = 0 THEN
            INSERT INTO ATLAS_PANDA.METATABLE (PANDAID, MODIFICATIONTIME, METADATA) VALUES (p_pandaid, v_now, v_text_value);
        END IF;
    END IF;
    IF v_request.has('job_metrics') THEN
        v_text_value := ATLAS_PANDA.JOB_TEXT_VALUE(v_request.get('job_metrics').to_clob());
        UPDATE ATLAS_PANDA.JOB_METRICS SET DATA = v_text_value, MODIFICATIONTIME = v_now WHERE PANDAID = p_pandaid;
        IF SQL%ROWCOUNT = 0 THEN
            INSERT INTO ATLAS_PANDA.JOB_METRICS (PANDAID, JEDITASKID, CREATIONTIME, MODIFICATIONTIME, DATA)
            VALUES (p_pandaid, v_row_task, v_now, v_now, v_text_value);
        END IF;
    END IF;
    IF v_request.has('job_output_report') THEN
        v_text_value := ATLAS_PANDA.JOB_TEXT_VALUE(v_request.get('job_output_report').to_clob());
        MERGE INTO ATLAS_PANDA.JOB_OUTPUT_REPORT r
        USING (SELECT p_pandaid AS PANDAID, v_attemptnr AS ATTEMPTNR FROM DUAL) s
           ON (r.PANDAID = s.PANDAID AND r.ATTEMPTNR = s.ATTEMPTNR)
         WHEN MATCHED THEN
            UPDATE SET r.DATA = v_text_value, r.JOBSTATUS = v_row_status, r."TIMESTAMP" = v_now
         WHEN NOT MATCHED THEN
            INSERT (PANDAID, PRODSOURCELABEL, JOBSTATUS, ATTEMPTNR, DATA, "TIMESTAMP")
            VALUES (s.PANDAID, v_row_label, v_row_status, s.ATTEMPTNR, v_text_value, v_now);
    END IF;
    IF v_request.has('pilot_log') THEN
        v_text_value := SUBSTR('PandaID=' || p_pandaid || ' '
                               || DBMS_LOB.SUBSTR(ATLAS_PANDA.JOB_TEXT_VALUE(v_request.get('pilot_log').to_clob()), 4000, 1),
                               1, 4000);
        INSERT INTO ATLAS_PANDA.PANDALOG (BINTIME, NAME, MODULE, "TYPE", PID, LOGLEVEL, LEVELNAME, "TIME", FILENAME, LINE, MESSAGE)
        VALUES (v_now, 'panda.mon.prod', 'update_job', 'pilotLog', p_pandaid, 20, 'INFO',
                TO_CHAR(v_now, 'YYYY-MM-DD HH24:MI:SS'), 'pilot', 0, v_text_value);
    END IF;
    IF v_request.has('stdout') THEN
        v_text_value := DBMS_LOB.SUBSTR(ATLAS_PANDA.JOB_TEXT_VALUE(v_request.get('stdout').to_clob()), 2048, 1);
        MERGE INTO ATLAS_PANDA.JOBSDEBUG d
        USING (SELECT p_pandaid AS PANDAID FROM DUAL) s
           ON (d.PANDAID = s.PANDAID)
         WHEN MATCHED THEN UPDATE SET d.STDOUT = v_text_value
         WHEN NOT MATCHED THEN INSERT (PANDAID, STDOUT) VALUES (s.PANDAID, v_text_value);
    END IF;

    IF NOT v_final THEN
        v_command := NVL(PANDADB_SUPPORT.member_text(v_row, 'commandtopilot'),
                         CASE WHEN ATLAS_PANDA.JOB_HAS_FLAG(PANDADB_SUPPORT.member_text(v_row, 'specialhandling'),
                                                            SYS.ODCIVARCHAR2LIST('dm', 'debug')) THEN 'debug' END);
    END IF;
    v_answer.put('StatusCode', 0);
    v_answer.put('command', NVL(v_command, 'NULL'));
    RETURN v_answer.to_clob();
END UPDATE_JOB;
/

-- update_jobs_bulk: update_job for each element of a list (REST pilot/update_jobs_bulk), each applied
-- independently (a savepoint per element: PostgreSQL's subtransaction); jobs are locked in PandaID order
-- (fewer deadlocks between concurrent bulk calls). Returns, in input order, [{"success", "message",
-- "data"}, ...] where data is update_job's answer, or {"job_id", "sqlstate"} of the refusal.
--   p_job_list  [{"job_id": n, "job_status": s, <update_job parameters>}, ...]
CREATE OR REPLACE FUNCTION ATLAS_PANDA.UPDATE_JOBS_BULK(p_job_list IN CLOB)
RETURN CLOB
AS
    v_element JSON_ELEMENT_T;
    v_list JSON_ARRAY_T;
    v_item JSON_ELEMENT_T;
    v_object JSON_OBJECT_T;
    v_answers JSON_OBJECT_T := JSON_OBJECT_T();
    v_answer JSON_OBJECT_T;
    v_data JSON_OBJECT_T;
    v_result JSON_ARRAY_T := JSON_ARRAY_T();
    v_order SYS.ODCINUMBERLIST := SYS.ODCINUMBERLIST();
    v_ids SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
    v_index PLS_INTEGER;
    v_state VARCHAR2(20);
BEGIN
    IF p_job_list IS NOT NULL THEN
        v_element := JSON_ELEMENT_T.parse(p_job_list);
    END IF;
    IF v_element IS NULL OR NOT v_element.is_array() THEN
        RAISE_APPLICATION_ERROR(-20002, 'job_list must be a JSON array of job objects');
    END IF;
    v_list := TREAT(v_element AS JSON_ARRAY_T);
    FOR i IN 0 .. v_list.get_size() - 1 LOOP
        v_ids.EXTEND;
        IF v_list.get(i).is_object() THEN
            v_ids(v_ids.COUNT) := PANDADB_SUPPORT.member_text(TREAT(v_list.get(i) AS JSON_OBJECT_T), 'job_id');
        END IF;
    END LOOP;
    SELECT o BULK COLLECT INTO v_order
      FROM (SELECT COLUMN_VALUE AS id, ROWNUM AS o FROM TABLE(v_ids))
     ORDER BY CASE WHEN REGEXP_LIKE(id, '^[0-9]{1,18}$') THEN TO_NUMBER(id) END NULLS LAST, o;
    FOR k IN 1 .. v_order.COUNT LOOP
        v_index := v_order(k);
        v_item := v_list.get(v_index - 1);
        v_answer := JSON_OBJECT_T();
        SAVEPOINT update_jobs_bulk_item;
        BEGIN
            IF NOT v_item.is_object() OR NOT TREAT(v_item AS JSON_OBJECT_T).has('job_id') THEN
                RAISE_APPLICATION_ERROR(-20002, 'element ' || v_index || ': must be a JSON object with job_id');
            END IF;
            v_object := TREAT(v_item AS JSON_OBJECT_T);
            IF NOT REGEXP_LIKE(PANDADB_SUPPORT.member_text(v_object, 'job_id'), '^[0-9]{1,18}$') THEN
                RAISE_APPLICATION_ERROR(-20002, 'element ' || v_index || ': job_id ' || v_object.get('job_id').to_string()
                                                || ' is not a PandaID');
            END IF;
            v_answer.put('success', TRUE);
            v_answer.put('message', '');
            v_answer.put('data', JSON_OBJECT_T.parse(ATLAS_PANDA.UPDATE_JOB(
                TO_NUMBER(PANDADB_SUPPORT.member_text(v_object, 'job_id')), PANDADB_SUPPORT.member_text(v_object, 'job_status'),
                PANDADB_SUPPORT.without_keys(v_object, SYS.ODCIVARCHAR2LIST('job_id', 'job_status')).to_clob())));
        EXCEPTION
            WHEN OTHERS THEN
                ROLLBACK TO SAVEPOINT update_jobs_bulk_item;
                v_state := CASE WHEN SQLCODE BETWEEN -20005 AND -20001 THEN 'PD00' || TO_CHAR(-20000 - SQLCODE)
                                ELSE 'ORA-' || LPAD(TO_CHAR(-SQLCODE), 5, '0') END;
                v_data := JSON_OBJECT_T();
                IF v_item.is_object() AND TREAT(v_item AS JSON_OBJECT_T).has('job_id') THEN
                    v_data.put('job_id', TREAT(v_item AS JSON_OBJECT_T).get('job_id'));
                ELSE
                    v_data.put_null('job_id');
                END IF;
                v_data.put('sqlstate', v_state);
                v_answer := JSON_OBJECT_T();
                v_answer.put('success', FALSE);
                v_answer.put('message', REGEXP_REPLACE(SQLERRM, '^ORA-[0-9]{5}: ', ''));
                v_answer.put('data', v_data);
        END;
        v_answers.put(TO_CHAR(v_index), v_answer);
    END LOOP;
    FOR i IN 1 .. v_list.get_size() LOOP
        v_result.append(v_answers.get(TO_CHAR(i)));
    END LOOP;
    RETURN v_result.to_clob();
END UPDATE_JOBS_BULK;
/

-- get_job_status: status and pending pilot command of jobs (REST job/get_status, pilot/get_job_status).
-- Returns [{"job_id", "status" (NULL for an unknown job), "command" (commandtopilot or "NULL")}, ...].
--   p_pandaids  the PandaIDs
CREATE OR REPLACE FUNCTION ATLAS_PANDA.GET_JOB_STATUS(p_pandaids IN SYS.ODCINUMBERLIST, p_requester_vo IN VARCHAR2 DEFAULT NULL)
RETURN CLOB
AS
    v_result CLOB;
    v_known NUMBER;
    v_ids VARCHAR2(32767);
BEGIN
    ATLAS_PANDA.JOB_CHECK_IDS(p_pandaids);
    -- a job of another VO than the caller's is as unknown as a job that does not exist (job_access.sql)
    SELECT JSON_ARRAYAGG(JSON_OBJECT('job_id' VALUE ids.id, 'status' VALUE NVL(s.JOBSTATUS, 'unknown'),
                                     'command' VALUE NVL(s.COMMANDTOPILOT, 'NULL') NULL ON NULL)
                         ORDER BY ids.o RETURNING CLOB),
           COUNT(s.JOBSTATUS)
      INTO v_result, v_known
      FROM (SELECT COLUMN_VALUE AS id, ROWNUM AS o FROM TABLE(p_pandaids)) ids
      OUTER APPLY (
          SELECT x.JOBSTATUS, x.COMMANDTOPILOT FROM (
              SELECT j.JOBSTATUS, j.COMMANDTOPILOT, j.VO, 1 AS pref, j.MODIFICATIONTIME FROM ATLAS_PANDA.JOBSACTIVE4 j WHERE j.PANDAID = ids.id
              UNION ALL
              SELECT j.JOBSTATUS, j.COMMANDTOPILOT, j.VO, 2, j.MODIFICATIONTIME FROM ATLAS_PANDA.JOBSDEFINED4 j WHERE j.PANDAID = ids.id
              UNION ALL
              SELECT j.JOBSTATUS, j.COMMANDTOPILOT, j.VO, 3, j.MODIFICATIONTIME FROM ATLAS_PANDA.JOBSWAITING4 j WHERE j.PANDAID = ids.id
              UNION ALL
              SELECT j.JOBSTATUS, j.COMMANDTOPILOT, j.VO, 4, j.MODIFICATIONTIME FROM ATLAS_PANDA.JOBSARCHIVED4 j WHERE j.PANDAID = ids.id
              UNION ALL
              SELECT j.JOBSTATUS, j.COMMANDTOPILOT, j.VO, 5, j.MODIFICATIONTIME FROM ATLAS_PANDAARCH.JOBSARCHIVED j WHERE j.PANDAID = ids.id
          ) x
          WHERE p_requester_vo IS NULL OR x.VO IS NULL OR x.VO = p_requester_vo
          ORDER BY x.pref, x.MODIFICATIONTIME DESC
          FETCH FIRST 1 ROWS ONLY) s;
    IF v_known = 0 THEN
        SELECT LISTAGG(COLUMN_VALUE, ', ') WITHIN GROUP (ORDER BY ROWNUM) INTO v_ids FROM TABLE(p_pandaids);
        RAISE_APPLICATION_ERROR(-20003, 'no job of ' || v_ids || ' is known'
            || CASE WHEN p_requester_vo IS NOT NULL THEN ' in VO ' || p_requester_vo END);
    END IF;
    RETURN v_result;
END GET_JOB_STATUS;
/

-- job_description: one job with its parameters, metadata and files, or NULL when unknown: the job
-- columns (lower-case names), "jobParameters" (jobparamstable), "metadata" (metatable) and "files"
-- (its filestable4 rows in order). With p_include_archive, ATLAS_PANDAARCH (jobsarchived,
-- jobparamstable_arch, metatable_arch, filestable_arch) is searched after the live tables.
--   p_pandaid          the PandaID
--   p_include_archive  also search the archive schema
CREATE OR REPLACE FUNCTION ATLAS_PANDA.JOB_DESCRIPTION(p_pandaid IN NUMBER, p_include_archive IN BOOLEAN)
RETURN CLOB
AS
    -- the tables searched in turn for the job (the archive schema's last, with p_include_archive only)
    v_owners SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST('ATLAS_PANDA', 'ATLAS_PANDA', 'ATLAS_PANDA', 'ATLAS_PANDA',
                                                          'ATLAS_PANDAARCH');
    v_tables SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST('jobsactive4', 'jobsdefined4', 'jobswaiting4', 'jobsarchived4',
                                                          'jobsarchived');
    v_text CLOB;
    v_job JSON_OBJECT_T;
    v_archived BOOLEAN := FALSE;
    v_parameters CLOB;
    v_metadata CLOB;
    v_files CLOB;
    v_schema VARCHAR2(30) := 'ATLAS_PANDA';
    v_suffix VARCHAR2(10);  -- of the parameter and metadata tables: '' live, '_ARCH' in the archive schema
BEGIN
    FOR i IN 1 .. CASE WHEN p_include_archive THEN 5 ELSE 4 END LOOP
        BEGIN
            EXECUTE IMMEDIATE 'SELECT ' || PANDADB_SUPPORT.row_json_sql(v_owners(i), v_tables(i), 'j') || ' FROM '
                || v_owners(i) || '.' || UPPER(v_tables(i))
                || ' j WHERE j.PANDAID = :1 ORDER BY j.MODIFICATIONTIME DESC FETCH FIRST 1 ROWS ONLY'
                INTO v_text USING p_pandaid;
        EXCEPTION
            WHEN NO_DATA_FOUND THEN
                v_text := NULL;
        END;
        IF v_text IS NOT NULL THEN
            v_archived := i = 5;
            EXIT;
        END IF;
    END LOOP;
    IF v_text IS NULL THEN
        RETURN NULL;
    END IF;
    v_job := JSON_OBJECT_T.parse(v_text);
    IF v_archived THEN
        v_schema := 'ATLAS_PANDAARCH';
        v_suffix := '_ARCH';
    END IF;
    -- the newest parameters and metadata rows (dynamic SQL: the archive schema is another owner's)
    BEGIN
        EXECUTE IMMEDIATE 'SELECT t.JOBPARAMETERS FROM ' || v_schema || '.JOBPARAMSTABLE' || v_suffix
            || ' t WHERE t.PANDAID = :1 ORDER BY t.MODIFICATIONTIME DESC FETCH FIRST 1 ROWS ONLY' INTO v_parameters USING p_pandaid;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            v_parameters := NULL;
    END;
    BEGIN
        EXECUTE IMMEDIATE 'SELECT t.METADATA FROM ' || v_schema || '.METATABLE' || v_suffix
            || ' t WHERE t.PANDAID = :1 ORDER BY t.MODIFICATIONTIME DESC FETCH FIRST 1 ROWS ONLY' INTO v_metadata USING p_pandaid;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            v_metadata := NULL;
    END;
    IF v_archived THEN
        EXECUTE IMMEDIATE 'SELECT JSON_ARRAYAGG(' || PANDADB_SUPPORT.row_json_sql(v_schema, 'filestable_arch', 'f')
            || ' FORMAT JSON ORDER BY f.ROW_ID RETURNING CLOB) FROM ATLAS_PANDAARCH.FILESTABLE_ARCH f WHERE f.PANDAID = :1'
            INTO v_files USING p_pandaid;
    ELSE
        EXECUTE IMMEDIATE 'SELECT JSON_ARRAYAGG(' || PANDADB_SUPPORT.row_json_sql(v_schema, 'filestable4', 'f')
            || ' FORMAT JSON ORDER BY f.ROW_ID RETURNING CLOB) FROM ATLAS_PANDA.FILESTABLE4 f WHERE f.PANDAID = :1'
            INTO v_files USING p_pandaid;
    END IF;
    v_job.put('jobParameters', NVL(v_parameters, v_job.get_clob('jobparameters')));
    v_job.put('metadata', NVL(v_metadata, v_job.get_clob('metadata')));
    v_job.remove('jobparameters');
    v_job.put('files', JSON_ARRAY_T.parse(NVL(v_files, TO_CLOB('[]'))));
    RETURN v_job.to_clob();
END JOB_DESCRIPTION;
/

-- get_description: jobs with their parameters and files (REST job/get_description and
-- get_description_incl_archive). Returns one entry per id, in order: the description or null.
--   p_pandaids          the PandaIDs
--   p_include_archive   also search ATLAS_PANDAARCH
CREATE OR REPLACE FUNCTION ATLAS_PANDA.GET_DESCRIPTION(p_pandaids IN SYS.ODCINUMBERLIST,
                                                      p_include_archive IN BOOLEAN DEFAULT FALSE)
RETURN CLOB
AS
    v_result JSON_ARRAY_T := JSON_ARRAY_T();
    v_description CLOB;
BEGIN
    ATLAS_PANDA.JOB_CHECK_IDS(p_pandaids);
    FOR i IN 1 .. p_pandaids.COUNT LOOP
        v_description := ATLAS_PANDA.JOB_DESCRIPTION(p_pandaids(i), NVL(p_include_archive, FALSE));
        IF v_description IS NULL THEN
            v_result.append_null();
        ELSE
            v_result.append(JSON_OBJECT_T.parse(v_description));
        END IF;
    END LOOP;
    RETURN v_result.to_clob();
END GET_DESCRIPTION;
/
