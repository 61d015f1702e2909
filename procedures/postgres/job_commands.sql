-- Operator commands on jobs (REST job module of seed 000): kill, reassign, the command to the
-- pilot and debug mode. Conventions (errors, where a job lives, concurrency): see the header of jobs.sql.

-- kill_job: kill one job (see kill_jobs). Returns {"job_id", "killed", "message"} and, when refused, "sqlstate".
CREATE OR REPLACE FUNCTION doma_panda.kill_job(p_pandaid bigint, p_requester text, p_is_production boolean, p_kill_code integer,
                                               p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_table text;
    v_job jsonb;
    v_status text;
    v_error_code integer;
    v_error_diag text;
    v_problem text;
BEGIN
    SELECT l.job_table, l.job INTO v_table, v_job FROM doma_panda.job_lock(p_pandaid) l;
    IF v_table IS NULL THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'killed', false, 'message', format('job %s not found', p_pandaid),
                                  'sqlstate', 'PD003');
    END IF;
    -- a psql caller (no requester) may; the services always say who calls
    v_problem := doma_panda.job_access_problem(v_job, 'kill', p_requester, p_requester_vo,
                                               coalesce(p_is_production, p_requester IS NULL));
    IF v_problem IS NOT NULL THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'killed', false, 'message', v_problem, 'sqlstate', 'PD005');
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
-- (produsername or produserid) or the production role may kill, and only jobs of the caller's VO: PD005
-- otherwise (job_access.sql). Returns
-- [{"job_id", "killed", "message"}, ...]; with a single id a refusal raises (PD003/PD004/PD005).
--   p_pandaids       the PandaIDs
--   p_requester      the authenticated user name
--   p_is_production  the requester has the production role
--   p_kill_code      PanDA's kill code (default 9, force kill)
--   p_requester_vo   the requester's VO (NULL from psql)
CREATE OR REPLACE FUNCTION doma_panda.kill_jobs(p_pandaids bigint[], p_requester text, p_is_production boolean,
                                                p_kill_code integer DEFAULT 9, p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_results jsonb := '{}'::jsonb;
    v_position bigint;
BEGIN
    FOREACH v_position IN ARRAY doma_panda.job_positions_in_lock_order(p_pandaids) LOOP
        v_results := v_results || jsonb_build_object(v_position::text,
            doma_panda.kill_job(p_pandaids[v_position], p_requester, p_is_production, p_kill_code, p_requester_vo));
    END LOOP;
    RETURN doma_panda.job_per_id_results(v_results);
END;
$$;

-- reassign_job: reassign one job (see reassign_jobs). Returns {"job_id", "reassigned", "new_job_id",
-- "message"} and, when refused, "sqlstate".
CREATE OR REPLACE FUNCTION doma_panda.reassign_job(p_pandaid bigint, p_requester text DEFAULT NULL,
                                                   p_requester_vo text DEFAULT NULL, p_is_production boolean DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_table text;
    v_job jsonb;
    v_status text;
    v_new_pandaid bigint;
    v_problem text;
BEGIN
    SELECT l.job_table, l.job INTO v_table, v_job FROM doma_panda.job_lock(p_pandaid) l;
    IF v_table IS NULL THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'reassigned', false, 'new_job_id', NULL,
                                  'message', format('job %s not found', p_pandaid), 'sqlstate', 'PD003');
    END IF;
    v_problem := doma_panda.job_access_problem(v_job, 'reassign', p_requester, p_requester_vo,
                                               coalesce(p_is_production, p_requester IS NULL));
    IF v_problem IS NOT NULL THEN
        RETURN jsonb_build_object('job_id', p_pandaid, 'reassigned', false, 'new_job_id', NULL, 'message', v_problem,
                                  'sqlstate', 'PD005');
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
-- [{"job_id", "reassigned", "new_job_id", "message"}, ...]; with a single id a refusal raises. Only the
-- job's owner or the production role, and only jobs of the caller's VO (job_access.sql; PD005).
--   p_pandaids       the PandaIDs
--   p_requester      the authenticated user name (NULL from psql)
--   p_requester_vo   the requester's VO
--   p_is_production  the requester has the production role
CREATE OR REPLACE FUNCTION doma_panda.reassign_jobs(p_pandaids bigint[], p_requester text DEFAULT NULL,
                                                    p_requester_vo text DEFAULT NULL, p_is_production boolean DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_results jsonb := '{}'::jsonb;
    v_position bigint;
BEGIN
    FOREACH v_position IN ARRAY doma_panda.job_positions_in_lock_order(p_pandaids) LOOP
        v_results := v_results || jsonb_build_object(v_position::text,
            doma_panda.reassign_job(p_pandaids[v_position], p_requester, p_requester_vo, p_is_production));
    END LOOP;
    RETURN doma_panda.job_per_id_results(v_results);
END;
$$;

-- set_command: set the command the pilot of a job receives with its next heartbeat answer
-- (REST job/set_command; commandtopilot, e.g. 'tobekilled'). Only for jobs not yet final (PD004);
-- unknown job PD003; an empty command or one longer than 250 characters PD002.
-- Returns {"job_id", "command"}.
--   p_pandaid       the PandaID
--   p_command       the command
--   p_requester_vo  the caller's VO: only jobs of it (PD005; job_access.sql); NULL from psql
CREATE OR REPLACE FUNCTION doma_panda.set_command(p_pandaid bigint, p_command text, p_requester_vo text DEFAULT NULL)
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
    PERFORM doma_panda.require_job_access(v_job, 'set the command of', NULL, p_requester_vo, true);
    PERFORM doma_panda.job_update_row(v_table, p_pandaid, jsonb_build_object('commandtopilot', p_command));
    RETURN jsonb_build_object('job_id', p_pandaid, 'command', p_command);
END;
$$;

-- set_debug_mode: switch a job's debug mode (REST job/set_debug_mode): the 'dm' item of specialhandling,
-- as PanDA's JobSpec.set_debug_mode (the pilot gets debug=True, heartbeats answer 'debug' and the stdout
-- it sends is kept in jobsdebug). Switching off also drops the legacy 'debug' item. Only for jobs not yet
-- final (PD004); unknown job PD003. Returns {"job_id", "debug"}.
--   p_pandaid       the PandaID
--   p_mode          true = debug on, false = off
--   p_requester_vo  the caller's VO: only jobs of it (PD005; job_access.sql); NULL from psql
CREATE OR REPLACE FUNCTION doma_panda.set_debug_mode(p_pandaid bigint, p_mode boolean, p_requester_vo text DEFAULT NULL)
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
    PERFORM doma_panda.require_job_access(v_job, 'set the debug mode of', NULL, p_requester_vo, true);
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
