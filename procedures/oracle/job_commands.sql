-- PL/SQL twin of procedures/postgres/job_commands.sql.
-- Operator commands on jobs (REST job module of seed 000): kill, reassign, the command to the
-- pilot and debug mode.
-- Same routine names, parameter names, rules and messages as the PL/pgSQL functions, in schema ATLAS_PANDA.
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

-- kill_job: kill one job (see kill_jobs). Returns {"job_id", "killed", "message"} and, when refused, "sqlstate".
-- Who may kill is PostgreSQL's job_access_problem (job_access.sql, no twin yet), written out here: a job of
-- another VO than p_requester_vo is refused, and (unless the production role; NULL counts as it when there
-- is no requester, a SQL*Plus caller) a job whose produsername and produserid are not p_requester.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.KILL_JOB(p_pandaid IN NUMBER, p_requester IN VARCHAR2, p_is_production IN BOOLEAN,
                                               p_kill_code IN NUMBER, p_requester_vo IN VARCHAR2 DEFAULT NULL)
RETURN CLOB
AS
    v_table VARCHAR2(30);
    v_text CLOB;
    v_job JSON_OBJECT_T;
    v_status VARCHAR2(64);
    v_error_code NUMBER;
    v_error_diag VARCHAR2(250);
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    v_done CLOB;
    v_job_vo VARCHAR2(4000);
    v_owner_name VARCHAR2(4000);
    v_owner_id VARCHAR2(4000);
BEGIN
    v_result.put('job_id', p_pandaid);
    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        v_result.put('killed', FALSE);
        v_result.put('message', 'job ' || p_pandaid || ' not found');
        v_result.put('sqlstate', 'PD003');
        RETURN v_result.to_clob();
    END IF;
    v_job := JSON_OBJECT_T.parse(v_text);
    v_job_vo := PANDADB_SUPPORT.member_text(v_job, 'vo');
    v_owner_name := PANDADB_SUPPORT.member_text(v_job, 'produsername');
    v_owner_id := PANDADB_SUPPORT.member_text(v_job, 'produserid');
    -- job_visible_to: callers and jobs without a VO see and are seen by everyone
    IF p_requester_vo IS NOT NULL AND v_job_vo IS NOT NULL AND v_job_vo <> p_requester_vo THEN
        v_result.put('killed', FALSE);
        v_result.put('message', 'job ' || p_pandaid || ' belongs to VO ' || v_job_vo || ': a caller of VO ' || p_requester_vo
                                || ' may not kill it');
        v_result.put('sqlstate', 'PD005');
        RETURN v_result.to_clob();
    END IF;
    -- the requester IS DISTINCT FROM the owner's name and from the owner's id
    IF NOT NVL(p_is_production, p_requester IS NULL)
       AND ((p_requester IS NULL AND v_owner_name IS NOT NULL) OR (p_requester IS NOT NULL AND v_owner_name IS NULL)
            OR p_requester <> v_owner_name)
       AND ((p_requester IS NULL AND v_owner_id IS NOT NULL) OR (p_requester IS NOT NULL AND v_owner_id IS NULL)
            OR p_requester <> v_owner_id) THEN
        v_result.put('killed', FALSE);
        v_result.put('message', NVL(p_requester, 'an anonymous requester') || ' may not kill job ' || p_pandaid || ' of '
                                || NVL(v_owner_name, 'nobody') || ': only its owner or the production role may');
        v_result.put('sqlstate', 'PD005');
        RETURN v_result.to_clob();
    END IF;
    v_status := PANDADB_SUPPORT.member_text(v_job, 'jobstatus');
    IF v_table = 'jobsarchived4' THEN
        v_result.put('killed', FALSE);
        v_result.put('message', 'job ' || p_pandaid || ' is already ' || v_status || ' (final)');
        v_result.put('sqlstate', 'PD004');
        RETURN v_result.to_clob();
    END IF;
    -- PanDA's kill codes: 2/4 expired, 3 aborted, 8 reassigned, anything else (9 = force) killed
    v_error_code := CASE p_kill_code WHEN 2 THEN 102 WHEN 4 THEN 102 WHEN 3 THEN 103 WHEN 8 THEN 105 ELSE 100 END;
    v_error_diag := SUBSTR('killed by ' || NVL(p_requester, 'unknown'), 1, 250);
    IF v_status IN ('sent', 'starting', 'running') THEN
        IF PANDADB_SUPPORT.member_text(v_job, 'commandtopilot') = 'tobekilled' THEN
            v_result.put('killed', TRUE);
            v_result.put('message', 'job ' || p_pandaid || ' is already being killed by its pilot');
            RETURN v_result.to_clob();
        END IF;
        v_changes.put('commandtopilot', 'tobekilled');
        v_changes.put('taskbuffererrorcode', v_error_code);
        v_changes.put('taskbuffererrordiag', v_error_diag);
        v_done := ATLAS_PANDA.JOB_UPDATE_ROW(v_table, p_pandaid, v_changes.to_clob());
        v_result.put('killed', TRUE);
        v_result.put('message', 'job ' || p_pandaid || ' is ' || v_status || ': its pilot is told to kill it (tobekilled)');
        RETURN v_result.to_clob();
    END IF;
    v_changes.put('jobstatus', 'cancelled');
    v_changes.put('taskbuffererrorcode', v_error_code);
    v_changes.put('taskbuffererrordiag', v_error_diag);
    v_done := ATLAS_PANDA.JOB_FINALIZE(v_table, v_text, v_changes.to_clob());
    v_result.put('killed', TRUE);
    v_result.put('message', 'job ' || p_pandaid || ' cancelled (was ' || v_status || ')');
    RETURN v_result.to_clob();
END KILL_JOB;
/

-- kill_jobs: kill jobs (REST job/kill). A job not yet at a pilot (pending ... activated, throttled) or
-- whose pilot is gone (holding, merging, transferring) is cancelled at once (moved to jobsarchived4 with
-- status 'cancelled' -- a manual abort; PanDA's 'closed' is kept for jobs the system terminates); for a
-- sent, starting or running job commandtopilot becomes 'tobekilled' and the pilot, obeying, reports
-- it (recorded as cancelled). taskbuffererrorcode/diag record the kill: 100 EC_Kill 'killed by <requester>'
-- (kill codes 2/4: 102 EC_Expire, 3: 103 EC_Aborted, 8: 105 EC_Reassigned). Only the job's owner
-- (produsername or produserid) or the production role may kill: PD005 otherwise. Returns
-- [{"job_id", "killed", "message"}, ...]; with a single id a refusal raises (-20003/-20004/-20005).
--   p_pandaids       the PandaIDs
--   p_requester      the authenticated user name
--   p_is_production  the requester has the production role
--   p_kill_code      PanDA's kill code (default 9, force kill)
-- The caller's VO (p_requester_vo) is checked by PostgreSQL's job_access.sql only, until its twin exists.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.KILL_JOBS(p_pandaids IN SYS.ODCINUMBERLIST, p_requester IN VARCHAR2,
                                                p_is_production IN BOOLEAN, p_kill_code IN NUMBER DEFAULT 9,
                                                p_requester_vo IN VARCHAR2 DEFAULT NULL)
RETURN CLOB
AS
    v_results JSON_OBJECT_T := JSON_OBJECT_T();
    v_positions SYS.ODCINUMBERLIST := ATLAS_PANDA.JOB_POSITIONS_IN_LOCK_ORDER(p_pandaids);
BEGIN
    FOR k IN 1 .. v_positions.COUNT LOOP
        v_results.put(TO_CHAR(v_positions(k)), JSON_OBJECT_T.parse(
            ATLAS_PANDA.KILL_JOB(p_pandaids(v_positions(k)), p_requester, p_is_production, p_kill_code)));
    END LOOP;
    RETURN ATLAS_PANDA.JOB_PER_ID_RESULTS(v_results.to_clob());
END KILL_JOBS;
/

-- reassign_job: reassign one job (see reassign_jobs). Returns {"job_id", "reassigned", "new_job_id",
-- "message"} and, when refused, "sqlstate".
-- The caller (p_requester, p_requester_vo, p_is_production) is checked by PostgreSQL's job_access.sql only, until
-- its twin exists.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.REASSIGN_JOB(p_pandaid IN NUMBER, p_requester IN VARCHAR2 DEFAULT NULL,
                                                   p_requester_vo IN VARCHAR2 DEFAULT NULL,
                                                   p_is_production IN BOOLEAN DEFAULT NULL)
RETURN CLOB
AS
    v_table VARCHAR2(30);
    v_text CLOB;
    v_job JSON_OBJECT_T;
    v_status VARCHAR2(64);
    v_new_pandaid NUMBER;
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    v_done CLOB;
BEGIN
    v_result.put('job_id', p_pandaid);
    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        v_result.put('reassigned', FALSE);
        v_result.put_null('new_job_id');
        v_result.put('message', 'job ' || p_pandaid || ' not found');
        v_result.put('sqlstate', 'PD003');
        RETURN v_result.to_clob();
    END IF;
    v_job := JSON_OBJECT_T.parse(v_text);
    v_status := PANDADB_SUPPORT.member_text(v_job, 'jobstatus');
    IF v_status NOT IN ('pending', 'defined', 'assigned', 'waiting', 'activated', 'throttled') THEN
        v_result.put('reassigned', FALSE);
        v_result.put_null('new_job_id');
        v_result.put('message', 'job ' || p_pandaid || ' is ' || v_status || ': only jobs not yet dispatched (pending, '
                                || 'defined, assigned, waiting, activated, throttled) are reassigned; kill a dispatched job instead');
        v_result.put('sqlstate', 'PD004');
        RETURN v_result.to_clob();
    END IF;
    v_changes.put('jobstatus', CASE WHEN v_status IN ('activated', 'throttled') THEN 'activated' ELSE v_status END);
    v_new_pandaid := ATLAS_PANDA.JOB_NEW_ATTEMPT(v_text, v_changes.to_clob(), 'retry');
    v_changes := JSON_OBJECT_T();
    v_changes.put('jobstatus', 'closed');
    v_changes.put('taskbuffererrorcode', 105);
    v_changes.put('taskbuffererrordiag', 'reassigned by request: new attempt ' || v_new_pandaid);
    v_done := ATLAS_PANDA.JOB_FINALIZE(v_table, v_text, v_changes.to_clob(), v_new_pandaid);
    v_result.put('reassigned', TRUE);
    v_result.put('new_job_id', v_new_pandaid);
    v_result.put('message', 'job ' || p_pandaid || ' closed and re-queued as job ' || v_new_pandaid);
    RETURN v_result.to_clob();
END REASSIGN_JOB;
/

-- reassign_jobs: send jobs not yet dispatched back to be re-brokered (REST job/reassign), as PanDA does
-- for JEDI jobs: the job is closed (taskbuffererrorcode 105 EC_Reassigned) and a new attempt (new
-- PandaID, attemptnr + 1, parentid = the old PandaID, same files and parameters, jedi_job_retry_history
-- relation 'retry') is queued in its place -- status activated for an activated/throttled job, the old
-- status otherwise. Without a brokerage in this database the new attempt keeps the queue. Returns
-- [{"job_id", "reassigned", "new_job_id", "message"}, ...]; with a single id a refusal raises.
--   p_pandaids  the PandaIDs
CREATE OR REPLACE FUNCTION ATLAS_PANDA.REASSIGN_JOBS(p_pandaids IN SYS.ODCINUMBERLIST, p_requester IN VARCHAR2 DEFAULT NULL,
                                                    p_requester_vo IN VARCHAR2 DEFAULT NULL,
                                                    p_is_production IN BOOLEAN DEFAULT NULL)
RETURN CLOB
AS
    v_results JSON_OBJECT_T := JSON_OBJECT_T();
    v_positions SYS.ODCINUMBERLIST := ATLAS_PANDA.JOB_POSITIONS_IN_LOCK_ORDER(p_pandaids);
BEGIN
    FOR k IN 1 .. v_positions.COUNT LOOP
        v_results.put(TO_CHAR(v_positions(k)), JSON_OBJECT_T.parse(
            ATLAS_PANDA.REASSIGN_JOB(p_pandaids(v_positions(k)))));
    END LOOP;
    RETURN ATLAS_PANDA.JOB_PER_ID_RESULTS(v_results.to_clob());
END REASSIGN_JOBS;
/

-- set_command: set the command the pilot of a job receives with its next heartbeat answer
-- (REST job/set_command; commandtopilot, e.g. 'tobekilled'). Only for jobs not yet final (-20004);
-- unknown job -20003; an empty command or one longer than 250 characters -20002.
-- Returns {"job_id", "command"}.
--   p_pandaid  the PandaID
--   p_command  the command
-- The caller's VO (p_requester_vo) is checked by PostgreSQL's job_access.sql only, until its twin exists.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SET_COMMAND(p_pandaid IN NUMBER, p_command IN VARCHAR2,
                                                  p_requester_vo IN VARCHAR2 DEFAULT NULL)
RETURN CLOB
AS
    v_table VARCHAR2(30);
    v_text CLOB;
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    v_done CLOB;
BEGIN
    IF p_pandaid IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'job_id is required');
    END IF;
    IF p_command IS NULL OR LENGTH(p_command) > 250 THEN
        RAISE_APPLICATION_ERROR(-20002, 'command must be a non-empty string of at most 250 characters');
    END IF;
    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        RAISE_APPLICATION_ERROR(-20003, 'job ' || p_pandaid || ' not found');
    END IF;
    IF v_table = 'jobsarchived4' THEN
        RAISE_APPLICATION_ERROR(-20004, 'job ' || p_pandaid || ' is already '
            || PANDADB_SUPPORT.member_text(JSON_OBJECT_T.parse(v_text), 'jobstatus')
            || ' (final): no pilot will read a command');
    END IF;
    v_changes.put('commandtopilot', p_command);
    v_done := ATLAS_PANDA.JOB_UPDATE_ROW(v_table, p_pandaid, v_changes.to_clob());
    v_result.put('job_id', p_pandaid);
    v_result.put('command', p_command);
    RETURN v_result.to_clob();
END SET_COMMAND;
/

-- set_debug_mode: switch a job's debug mode (REST job/set_debug_mode): the 'dm' item of specialhandling,
-- as PanDA's JobSpec.set_debug_mode (the pilot gets debug=True, heartbeats answer 'debug' and the stdout
-- it sends is kept in jobsdebug). Switching off also drops the legacy 'debug' item. Only for jobs not yet
-- final (-20004); unknown job -20003. Returns {"job_id", "debug"}.
--   p_pandaid  the PandaID
--   p_mode     TRUE = debug on, FALSE = off
-- The caller's VO (p_requester_vo) is checked by PostgreSQL's job_access.sql only, until its twin exists.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.SET_DEBUG_MODE(p_pandaid IN NUMBER, p_mode IN BOOLEAN,
                                                     p_requester_vo IN VARCHAR2 DEFAULT NULL)
RETURN CLOB
AS
    v_table VARCHAR2(30);
    v_text CLOB;
    v_special_handling VARCHAR2(4000);
    v_items VARCHAR2(4000);
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    v_done CLOB;
BEGIN
    IF p_pandaid IS NULL OR p_mode IS NULL THEN
        RAISE_APPLICATION_ERROR(-20002, 'job_id and mode are required');
    END IF;
    ATLAS_PANDA.JOB_LOCK(p_pandaid, v_table, v_text);
    IF v_table IS NULL THEN
        RAISE_APPLICATION_ERROR(-20003, 'job ' || p_pandaid || ' not found');
    END IF;
    IF v_table = 'jobsarchived4' THEN
        RAISE_APPLICATION_ERROR(-20004, 'job ' || p_pandaid || ' is already '
            || PANDADB_SUPPORT.member_text(JSON_OBJECT_T.parse(v_text), 'jobstatus')
            || ' (final): its debug mode cannot change');
    END IF;
    -- the items other than dm and debug, in their order
    v_special_handling := PANDADB_SUPPORT.member_text(JSON_OBJECT_T.parse(v_text), 'specialhandling');
    SELECT LISTAGG(item, ',') WITHIN GROUP (ORDER BY position) INTO v_items
      FROM (SELECT REGEXP_SUBSTR(v_special_handling, '[^,]+', 1, LEVEL) AS item, LEVEL AS position
              FROM DUAL
            CONNECT BY LEVEL <= REGEXP_COUNT(v_special_handling, '[^,]+'))
     WHERE item NOT IN ('dm', 'debug');
    IF p_mode THEN
        v_items := v_items || CASE WHEN v_items IS NOT NULL THEN ',' END || 'dm';
    END IF;
    IF LENGTH(v_items) > 80 THEN
        RAISE_APPLICATION_ERROR(-20002, 'job ' || p_pandaid || ': specialhandling would exceed 80 characters');
    END IF;
    IF v_items IS NULL THEN
        v_changes.put_null('specialhandling');
    ELSE
        v_changes.put('specialhandling', v_items);
    END IF;
    v_done := ATLAS_PANDA.JOB_UPDATE_ROW(v_table, p_pandaid, v_changes.to_clob());
    v_result.put('job_id', p_pandaid);
    v_result.put('debug', p_mode);
    RETURN v_result.to_clob();
END SET_DEBUG_MODE;
/
