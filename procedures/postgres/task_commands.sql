-- Task commands (REST API v1 module `task` of seed 000; seed 004 sections 2.4, 2.13 and chapter 20): kill,
-- kill_unfinished_jobs, finish, pause, resume, release, avalanche, retry, reactivate, reassign, reload_input,
-- increase_attempts, enable/disable_job_cloning, change_attribute, change_priority, change_split_rule,
-- change_modification_time. The commands that change a task's attributes (increase_attempts, job cloning,
-- change_attribute, change_priority, change_split_rule, change_modification_time) are in
-- task_attribute_commands.sql; the engine's side, the command step that finishes what these start
-- (task_command_step, run_task_commands), is in task_command_steps.sql.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- Each command is ONE function, one transaction: it locks the task row (FOR UPDATE: a generation step
-- holding the task is waited for, and the generator skips a task a command holds), checks the caller and
-- the task's status, changes what it changes and writes tasks_statuslog (task_set_status for a status
-- change; a row with the command as reason otherwise). Refusals, with the database unchanged:
--   PD002 bad parameter (named), PD003 unknown task, PD004 the command is not legal in the task's status
--   (the message names the status), PD005 the caller may not (another VO's task; a task of another user
--   without the production role; a production-only command without it).
-- Who may (seed 000): kill, kill_unfinished_jobs, finish, retry, reassign: the task's owner (jedi_tasks.username)
-- or the production role; every other command: the production role only. Nobody touches another VO's task.
--
-- The command table is DEFT's doma_deft.prodsys_comm (comm_task, comm_cmd, comm_owner, comm_ts (epoch
-- seconds), comm_comment (the requester), comm_parameters (JSON)): every accepted command is recorded
-- there; comm_owner 'DEFT' while the engine still has to act on it, 'JEDI' once it is done. The commands
-- the engine finishes are:
--   kill      -> 'aborting' at once, every live job killed in the same transaction (not yet at a pilot:
--                cancelled at once; at a pilot: commandtopilot tobekilled); the command step turns the task
--                'aborted' when no live job is left.
--   finish    -> 'finishing'; soft: no new job is generated, running ones end; hard: live jobs killed as for
--                kill. The command step ends the task when no live job is left: 'done' when every input file
--                finished, else 'finished'.
--   retry     -> 'toretry' (the parameters kept in the command row); the command step applies it: new task
--                parameters merged, failed input files 'ready' again with new attempts, counters recounted,
--                child tasks retried (unless no_child_retry), the task's attemptnr + 1, then 'ready'
--                ('registered' when the task never got datasets: the Task Refiner takes it again; 'defined'
--                when it has no input files yet: the Contents Feeder does).
--   reload_input -> 'toincexec'; the command step adds the input files the replica catalogue gained since
--                the task was fed, then 'ready'.
-- The generator only takes ready / scouted / running (and pending) tasks, so paused, aborting, finishing,
-- toretry and toincexec tasks get no new job: pause and soft finish act on the engine through the status.
-- Reassign, release, avalanche, priority and attribute changes change the task row, which the next
-- generation step reads (site / cloud / nucleus for brokerage, the split rule, priorities).

-- task_active_statuses: statuses in which a task is alive (commands that steer processing apply).
CREATE OR REPLACE FUNCTION doma_panda.task_active_statuses()
RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['registered', 'defined', 'assigning', 'ready', 'pending', 'scouting', 'scouted', 'running',
                 'prepared', 'topreprocess', 'preprocessing', 'paused', 'throttled', 'staging'];
$$;

-- task_command_task: lock a task for a command and check the caller. Returns the task row.
--   p_jeditaskid       the task
--   p_command          the command name (for messages)
--   p_requester        the authenticated user name
--   p_requester_vo     the caller's VO (NULL: any; the services always pass it)
--   p_is_production    whether the caller has the production role
--   p_owner_allowed    true: the task's owner may too; false: production role only
CREATE OR REPLACE FUNCTION doma_panda.task_command_task(p_jeditaskid bigint, p_command text, p_requester text,
                                                        p_requester_vo text, p_is_production boolean,
                                                        p_owner_allowed boolean)
RETURNS doma_panda.jedi_tasks
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
BEGIN
    IF p_jeditaskid IS NULL THEN
        RAISE EXCEPTION 'task_id: a JEDI task ID is required' USING ERRCODE = 'PD002';
    END IF;
    SELECT * INTO v_task FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', p_jeditaskid USING ERRCODE = 'PD003';
    END IF;
    IF p_requester_vo IS NOT NULL AND v_task.vo IS DISTINCT FROM p_requester_vo THEN
        RAISE EXCEPTION '%: task % belongs to VO %, not to %', p_command, p_jeditaskid, coalesce(v_task.vo, 'none'),
            p_requester_vo USING ERRCODE = 'PD005';
    END IF;
    IF NOT coalesce(p_is_production, false) THEN
        IF NOT p_owner_allowed THEN
            RAISE EXCEPTION '%: the production role is required', p_command USING ERRCODE = 'PD005';
        ELSIF p_requester IS DISTINCT FROM v_task.username THEN
            RAISE EXCEPTION '%: % may not steer task % of %: only its owner or the production role may', p_command,
                coalesce(p_requester, 'an anonymous requester'), p_jeditaskid, v_task.username USING ERRCODE = 'PD005';
        END IF;
    END IF;
    RETURN v_task;
END;
$$;

-- task_command_status_check: PD004 unless the task's status is one of p_allowed.
--   p_task      the task row
--   p_command   the command name
--   p_allowed   the statuses the command is legal in
CREATE OR REPLACE FUNCTION doma_panda.task_command_status_check(p_task doma_panda.jedi_tasks, p_command text, p_allowed text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT (p_task.status = ANY (p_allowed)) THEN
        RAISE EXCEPTION '%: task % is %; the command is only legal in %', p_command, p_task.jeditaskid, p_task.status,
            array_to_string(p_allowed, ', ') USING ERRCODE = 'PD004';
    END IF;
END;
$$;

-- task_record_command: record a command in doma_deft.prodsys_comm and, when the command left the task's status
-- as it was, log it in tasks_statuslog (a row with the status and the command as reason; a status change was
-- logged by task_set_status with the command as reason): every command is in the log.
--   p_task        the task row (as locked by the command)
--   p_command     the command name
--   p_requester   who gave it
--   p_parameters  its parameters (JSON)
--   p_pending     true: the engine still has to act (comm_owner DEFT); false: done (JEDI)
CREATE OR REPLACE FUNCTION doma_panda.task_record_command(p_task doma_panda.jedi_tasks, p_command text, p_requester text,
                                                          p_parameters jsonb, p_pending boolean)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO doma_deft.prodsys_comm (comm_task, comm_meta, comm_owner, comm_cmd, comm_ts, comm_comment, comm_parameters)
    VALUES (p_task.jeditaskid, NULL, CASE WHEN p_pending THEN 'DEFT' ELSE 'JEDI' END, p_command,
            extract(epoch FROM doma_panda.panda_now())::bigint, left(coalesce(p_requester, 'unknown'), 128),
            coalesce(p_parameters, '{}'::jsonb)::text);
    IF (SELECT t.status FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_task.jeditaskid) = p_task.status THEN
        PERFORM doma_panda.task_log_status(p_task.jeditaskid, p_task.status, p_task.attemptnr,
            left(format('%s by %s %s', p_command, coalesce(p_requester, 'unknown'), coalesce(p_parameters, '{}'::jsonb)::text), 255));
    END IF;
    UPDATE doma_panda.jedi_tasks t SET modificationtime = doma_panda.panda_now() WHERE t.jeditaskid = p_task.jeditaskid;
END;
$$;

-- task_live_pandaids: the task's jobs that are not final (jobsdefined4, jobswaiting4, jobsactive4).
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_live_pandaids(p_jeditaskid bigint)
RETURNS bigint[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(p ORDER BY p), '{}') FROM (
        SELECT j.pandaid AS p FROM doma_panda.jobsdefined4 j WHERE j.jeditaskid = p_jeditaskid
        UNION ALL SELECT j.pandaid FROM doma_panda.jobswaiting4 j WHERE j.jeditaskid = p_jeditaskid
        UNION ALL SELECT j.pandaid FROM doma_panda.jobsactive4 j WHERE j.jeditaskid = p_jeditaskid) x;
$$;

-- task_kill_live_jobs: kill the task's live jobs (kill_job of job_commands.sql, with the authority the task
-- command was given). Returns the number of jobs killed or told to die.
--   p_jeditaskid    the task
--   p_requester     who commands
--   p_kill_code     PanDA's kill code (9 force kill, 8 reassigned, ...)
--   p_only_queued   true: only jobs not yet at a pilot (soft reassign)
CREATE OR REPLACE FUNCTION doma_panda.task_kill_live_jobs(p_jeditaskid bigint, p_requester text, p_kill_code integer,
                                                          p_only_queued boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_result jsonb;
    v_killed integer := 0;
BEGIN
    FOREACH v_id IN ARRAY doma_panda.task_live_pandaids(p_jeditaskid) LOOP
        IF p_only_queued AND EXISTS (SELECT 1 FROM doma_panda.jobsactive4 j WHERE j.pandaid = v_id
                                        AND j.jobstatus IN ('sent', 'starting', 'running', 'holding', 'transferring', 'merging')) THEN
            CONTINUE;
        END IF;
        v_result := doma_panda.kill_job(v_id, p_requester, true, p_kill_code);
        IF (v_result ->> 'killed')::boolean THEN
            v_killed := v_killed + 1;
        END IF;
    END LOOP;
    RETURN v_killed;
END;
$$;

-- task_command_answer: the answer of a command: {"jediTaskID", "command", "status", "message"}.
CREATE OR REPLACE FUNCTION doma_panda.task_command_answer(p_jeditaskid bigint, p_command text, p_message text)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('jediTaskID', p_jeditaskid, 'command', p_command, 'message', p_message,
                              'status', (SELECT t.status FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid));
$$;

-- task_splitrule_set: a split rule with one code set (replacing its old value) or removed (p_value NULL).
-- PD002 naming p_param when the result does not fit jedi_tasks.splitrule (200 characters).
--   p_splitrule  the split rule ("NF=2,US=1,...")
--   p_code       the two-letter code
--   p_value      the value, or NULL to remove the code
--   p_param      the parameter name for the message
CREATE OR REPLACE FUNCTION doma_panda.task_splitrule_set(p_splitrule text, p_code text, p_value text, p_param text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_rule text;
BEGIN
    SELECT nullif(string_agg(r, ',' ORDER BY n), '') INTO v_rule
      FROM unnest(string_to_array(coalesce(p_splitrule, ''), ',')) WITH ORDINALITY AS x(r, n)
     WHERE r <> '' AND r NOT LIKE p_code || '=%';
    IF p_value IS NOT NULL THEN
        v_rule := concat_ws(',', v_rule, p_code || '=' || p_value);
    END IF;
    IF length(v_rule) > 200 THEN
        RAISE EXCEPTION '%: the split rule would exceed 200 characters', p_param USING ERRCODE = 'PD002';
    END IF;
    RETURN v_rule;
END;
$$;

-- kill_task: kill a task (REST task/kill): -> 'aborting' and its live jobs killed in this transaction; the
-- command step makes it 'aborted' once no live job is left. Legal in every status but the final ones and
-- aborting. Owner or production role. Returns task_command_answer.
--   p_jeditaskid     the task
--   p_requester      the authenticated user name
--   p_requester_vo   the caller's VO
--   p_is_production  whether the caller has the production role
--   p_broadcast      broadcast the kill to the pilots (the jobs at pilots are told tobekilled in any case;
--                    recorded with the command)
CREATE OR REPLACE FUNCTION doma_panda.kill_task(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                p_is_production boolean, p_broadcast boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_killed integer;
BEGIN
    v_task := doma_panda.task_command_task(p_jeditaskid, 'kill', p_requester, p_requester_vo, p_is_production, true);
    PERFORM doma_panda.task_command_status_check(v_task, 'kill',
        doma_panda.task_active_statuses() || ARRAY['exhausted', 'finishing', 'toretry', 'toincexec', 'rerefine', 'tobroken']);
    PERFORM doma_panda.task_set_status(p_jeditaskid, 'aborting', format('killed by %s', coalesce(p_requester, 'unknown')));
    v_killed := doma_panda.task_kill_live_jobs(p_jeditaskid, p_requester, 9);
    PERFORM doma_panda.task_record_command(v_task, 'kill', p_requester,
        jsonb_build_object('broadcast', coalesce(p_broadcast, false), 'jobs_killed', v_killed), true);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'kill',
        format('task %s is aborting: %s live jobs killed', p_jeditaskid, v_killed));
END;
$$;

-- kill_unfinished_jobs: kill every live job of a task (REST task/kill_unfinished_jobs); the task's status is
-- left alone (its cancelled jobs' files go back to the generator while attempts are left). Legal in any
-- status. Owner or production role. Returns task_command_answer.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_kill_code  PanDA's kill code (default 9)
CREATE OR REPLACE FUNCTION doma_panda.kill_unfinished_jobs(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                           p_is_production boolean, p_kill_code integer DEFAULT 9)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_killed integer;
BEGIN
    v_task := doma_panda.task_command_task(p_jeditaskid, 'kill_unfinished_jobs', p_requester, p_requester_vo, p_is_production, true);
    v_killed := doma_panda.task_kill_live_jobs(p_jeditaskid, p_requester, coalesce(p_kill_code, 9));
    PERFORM doma_panda.task_record_command(v_task, 'kill_unfinished_jobs', p_requester, jsonb_build_object('jobs_killed', v_killed), false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'kill_unfinished_jobs', format('%s unfinished jobs of task %s killed', v_killed, p_jeditaskid));
END;
$$;

-- finish_task: finish a task (REST task/finish): -> 'finishing'. soft: no new job, the running ones end; hard
-- (not soft): its live jobs are killed now. The command step ends the task ('done' / 'finished') once no live
-- job is left. Legal in the alive statuses and exhausted; a soft-finishing task may be finished hard.
-- Owner or production role. Returns task_command_answer.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_soft       soft finish
--   p_broadcast  broadcast to the pilots (recorded)
CREATE OR REPLACE FUNCTION doma_panda.finish_task(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                  p_is_production boolean, p_soft boolean DEFAULT false,
                                                  p_broadcast boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_killed integer := 0;
BEGIN
    v_task := doma_panda.task_command_task(p_jeditaskid, 'finish', p_requester, p_requester_vo, p_is_production, true);
    PERFORM doma_panda.task_command_status_check(v_task, 'finish',
        doma_panda.task_active_statuses() || ARRAY['exhausted']
        || CASE WHEN coalesce(p_soft, false) THEN ARRAY[]::text[] ELSE ARRAY['finishing'] END);
    PERFORM doma_panda.task_set_status(p_jeditaskid, 'finishing',
        format('%s finish by %s', CASE WHEN coalesce(p_soft, false) THEN 'soft' ELSE 'hard' END, coalesce(p_requester, 'unknown')));
    IF NOT coalesce(p_soft, false) THEN
        v_killed := doma_panda.task_kill_live_jobs(p_jeditaskid, p_requester, 9);
    END IF;
    PERFORM doma_panda.task_record_command(v_task, 'finish', p_requester,
        jsonb_build_object('soft', coalesce(p_soft, false), 'broadcast', coalesce(p_broadcast, false), 'jobs_killed', v_killed), true);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'finish',
        format('task %s is finishing (%s)', p_jeditaskid, CASE WHEN coalesce(p_soft, false) THEN 'soft: running jobs end'
                                                              ELSE format('hard: %s live jobs killed', v_killed) END));
END;
$$;

-- pause_task: pause a task (REST task/pause): -> 'paused' (task_set_status keeps the previous status in
-- oldstatus); the generator ignores paused tasks. Legal in the alive statuses but paused. Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
CREATE OR REPLACE FUNCTION doma_panda.pause_task(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                 p_is_production boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
BEGIN
    v_task := doma_panda.task_command_task(p_jeditaskid, 'pause', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'pause', array_remove(doma_panda.task_active_statuses(), 'paused'));
    PERFORM doma_panda.task_set_status(p_jeditaskid, 'paused', format('paused by %s', coalesce(p_requester, 'unknown')));
    PERFORM doma_panda.task_record_command(v_task, 'pause', p_requester, '{}', false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'pause', format('task %s paused (was %s)', p_jeditaskid, v_task.status));
END;
$$;

-- resume_task: resume a task (REST task/resume): paused or throttled -> its previous status (oldstatus; 'ready'
-- when that is no status to go back to, or 'pending', whose own previous status is lost); staging -> 'defined' (the Contents Feeder takes it on). Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
CREATE OR REPLACE FUNCTION doma_panda.resume_task(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                  p_is_production boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_target text;
BEGIN
    v_task := doma_panda.task_command_task(p_jeditaskid, 'resume', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'resume', ARRAY['paused', 'throttled', 'staging']);
    IF v_task.status = 'staging' THEN
        v_target := 'defined';
    ELSIF v_task.oldstatus = ANY (doma_panda.task_active_statuses())
          AND v_task.oldstatus NOT IN ('paused', 'throttled', 'staging', 'pending') THEN
        v_target := v_task.oldstatus;
    ELSE
        v_target := 'ready';
    END IF;
    PERFORM doma_panda.task_set_status(p_jeditaskid, v_target, format('resumed by %s', coalesce(p_requester, 'unknown')));
    PERFORM doma_panda.task_record_command(v_task, 'resume', p_requester, '{}', false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'resume', format('task %s resumed: %s -> %s', p_jeditaskid, v_task.status, v_target));
END;
$$;

-- avalanche_task: end the scouting of a scouting task now (REST task/avalanche): -> 'scouted', and the next
-- generation step makes the avalanche. Only in 'scouting'. Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
CREATE OR REPLACE FUNCTION doma_panda.avalanche_task(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                     p_is_production boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
BEGIN
    v_task := doma_panda.task_command_task(p_jeditaskid, 'avalanche', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'avalanche', ARRAY['scouting']);
    PERFORM doma_panda.task_set_status(p_jeditaskid, 'scouted', format('avalanche by %s', coalesce(p_requester, 'unknown')));
    PERFORM doma_panda.task_record_command(v_task, 'avalanche', p_requester, '{}', false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'avalanche', format('task %s goes to the avalanche', p_jeditaskid));
END;
$$;

-- release_task: release a task (REST task/release): a scouting task goes to the avalanche ('scouted'); a task
-- that has not scouted yet (registered, defined, assigning, ready, pending, staging) will skip scouting
-- (split rule US=1). Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
CREATE OR REPLACE FUNCTION doma_panda.release_task(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                   p_is_production boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
BEGIN
    v_task := doma_panda.task_command_task(p_jeditaskid, 'release', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'release',
        ARRAY['scouting', 'registered', 'defined', 'assigning', 'ready', 'pending', 'staging']);
    UPDATE doma_panda.jedi_tasks t SET splitrule = doma_panda.task_splitrule_set(t.splitrule, 'US', '1', 'splitrule')
     WHERE t.jeditaskid = p_jeditaskid;
    IF v_task.status = 'scouting' THEN
        PERFORM doma_panda.task_set_status(p_jeditaskid, 'scouted', format('released by %s', coalesce(p_requester, 'unknown')));
    END IF;
    PERFORM doma_panda.task_record_command(v_task, 'release', p_requester, '{}', false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'release',
        CASE WHEN v_task.status = 'scouting' THEN format('task %s goes to the avalanche', p_jeditaskid)
             ELSE format('task %s will skip scouting', p_jeditaskid) END);
END;
$$;

-- retry_task: retry a task (REST task/retry): failed, finished, exhausted or broken -> 'toretry'; the command
-- step (task_command_step) applies it and makes the task 'ready' (see the top of this file). A task that was
-- retried TASK_RETRY_HARD_LIMIT times (gdpconfig jedi, default 10: "hard exhausted", too faulty) is refused
-- unless p_ignore_hard_exhausted. Own tasks without, others' tasks with the production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_new_parameters         task parameters merged into the task's (a JSON object; ramCount, coreCount,
--                            walltime, cpuTime, taskPriority also set the task's columns)
--   p_no_child_retry         true: the child tasks (parent_tid) are not retried
--   p_discard_events         true: the task's events not done are discarded (jedi_events status 5, discarded)
--   p_disable_staging_mode   true: a task with staged input skips the staging state (recorded)
--   p_keep_gshare_priority   true: the task keeps its share and current priority (else currentpriority = taskpriority)
--   p_ignore_hard_exhausted  true: retry even beyond the hard limit
CREATE OR REPLACE FUNCTION doma_panda.retry_task(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                 p_is_production boolean, p_new_parameters jsonb DEFAULT NULL,
                                                 p_no_child_retry boolean DEFAULT false, p_discard_events boolean DEFAULT false,
                                                 p_disable_staging_mode boolean DEFAULT false,
                                                 p_keep_gshare_priority boolean DEFAULT false,
                                                 p_ignore_hard_exhausted boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_limit numeric;
    v_key text;
BEGIN
    IF p_new_parameters IS NOT NULL AND jsonb_typeof(p_new_parameters) <> 'object' THEN
        RAISE EXCEPTION 'new_parameters: must be a JSON object' USING ERRCODE = 'PD002';
    END IF;
    FOREACH v_key IN ARRAY ARRAY['ramCount', 'coreCount', 'walltime', 'cpuTime', 'taskPriority'] LOOP
        PERFORM doma_panda.task_param_int(coalesce(p_new_parameters, '{}'), v_key, 0);   -- PD002 naming a bad value
    END LOOP;
    v_task := doma_panda.task_command_task(p_jeditaskid, 'retry', p_requester, p_requester_vo, p_is_production, true);
    PERFORM doma_panda.task_command_status_check(v_task, 'retry', ARRAY['failed', 'finished', 'exhausted', 'broken']);
    v_limit := doma_panda.task_config_number('TASK_RETRY_HARD_LIMIT', 10, v_task.vo);
    IF coalesce(v_task.attemptnr, 0) >= v_limit AND NOT coalesce(p_ignore_hard_exhausted, false) THEN
        RAISE EXCEPTION 'retry: task % is hard exhausted (retried % times, limit %); use ignore_hard_exhausted',
            p_jeditaskid, v_task.attemptnr, v_limit USING ERRCODE = 'PD004';
    END IF;
    PERFORM doma_panda.task_set_status(p_jeditaskid, 'toretry', format('retry by %s', coalesce(p_requester, 'unknown')));
    PERFORM doma_panda.task_record_command(v_task, 'retry', p_requester, jsonb_build_object(
        'new_parameters', p_new_parameters, 'no_child_retry', coalesce(p_no_child_retry, false),
        'discard_events', coalesce(p_discard_events, false), 'disable_staging_mode', coalesce(p_disable_staging_mode, false),
        'keep_gshare_priority', coalesce(p_keep_gshare_priority, false),
        'ignore_hard_exhausted', coalesce(p_ignore_hard_exhausted, false), 'from', v_task.status), true);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'retry', format('retry of task %s is registered', p_jeditaskid));
END;
$$;

-- reactivate_task: recycle a done or finished task (REST task/reactivate): its master input files are all
-- processed again (status 'ready', attemptnr 0 unless p_keep_attempt_nr, then maxattempt is raised by the
-- task's maxAttempt so they have attempts), dataset counters reset, the task -> 'ready' (logged as
-- "reactivated"); new jobs come from the generator, then the task ends done/finished again.
-- p_trigger_job_generation runs a generation step in this transaction. Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_keep_attempt_nr         keep the files' attempt numbers
--   p_trigger_job_generation  generate jobs now
CREATE OR REPLACE FUNCTION doma_panda.reactivate_task(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                      p_is_production boolean, p_keep_attempt_nr boolean DEFAULT false,
                                                      p_trigger_job_generation boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_max_attempt bigint;
    v_generated jsonb;
BEGIN
    v_task := doma_panda.task_command_task(p_jeditaskid, 'reactivate', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'reactivate', ARRAY['done', 'finished']);
    v_max_attempt := coalesce(doma_panda.task_rule_number(v_task.splitrule, doma_panda.task_params(p_jeditaskid), 'maxAttempt'), 3);
    UPDATE doma_panda.jedi_dataset_contents c
       SET status = 'ready', pandaid = NULL,
           attemptnr = CASE WHEN coalesce(p_keep_attempt_nr, false) THEN c.attemptnr ELSE 0 END,
           maxattempt = CASE WHEN coalesce(p_keep_attempt_nr, false) THEN coalesce(c.attemptnr, 0) + v_max_attempt
                             ELSE greatest(coalesce(c.maxattempt, 0), v_max_attempt) END
      FROM doma_panda.jedi_datasets d
     WHERE d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid AND c.jeditaskid = p_jeditaskid
       AND d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL;
    UPDATE doma_panda.jedi_datasets d
       SET status = 'ready', nfilesused = 0, nfilesfinished = 0, nfilesfailed = 0, modificationtime = doma_panda.panda_now()
     WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL;
    UPDATE doma_panda.jedi_datasets d SET status = 'ready', modificationtime = doma_panda.panda_now()
     WHERE d.jeditaskid = p_jeditaskid AND d.type NOT IN ('input', 'pseudo_input');
    UPDATE doma_panda.jedi_tasks t SET progress = 0, failurerate = NULL, endtime = NULL WHERE t.jeditaskid = p_jeditaskid;
    PERFORM doma_panda.task_set_status(p_jeditaskid, 'ready', format('reactivated (recycled) by %s', coalesce(p_requester, 'unknown')));
    PERFORM doma_panda.task_record_command(v_task, 'reactivate', p_requester, jsonb_build_object(
        'keep_attempt_nr', coalesce(p_keep_attempt_nr, false), 'trigger_job_generation', coalesce(p_trigger_job_generation, false)), false);
    IF coalesce(p_trigger_job_generation, false) THEN
        v_generated := doma_panda.generate_task_jobs(p_jeditaskid);
    END IF;
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'reactivate', format('task %s reactivated%s', p_jeditaskid,
        CASE WHEN v_generated IS NOT NULL THEN format(': %s jobs generated', coalesce(v_generated ->> 'jobs', '0')) ELSE '' END));
END;
$$;

-- reassign_task: reassign a task to a site, a cloud or a nucleus (REST task/reassign): exactly one of them;
-- the task's site/cloud/nucleus is set (the others cleared) and the next generation step brokers there.
-- Live jobs are killed (kill code 8, reassigned) so that their files are generated again at the new place:
-- p_mode 'soft' (or p_soft) kills only the jobs not yet at a pilot, 'nokill' none. Legal in the alive
-- statuses and exhausted. Owner or production role. The site must be a registered queue or site (PD002).
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_site, p_cloud, p_nucleus  the new place
--   p_soft                      soft reassign
--   p_mode                      'soft' or 'nokill' (NULL: kill every live job)
CREATE OR REPLACE FUNCTION doma_panda.reassign_task(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                    p_is_production boolean, p_site text DEFAULT NULL,
                                                    p_cloud text DEFAULT NULL, p_nucleus text DEFAULT NULL,
                                                    p_soft boolean DEFAULT false, p_mode text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_mode text := CASE WHEN nullif(p_mode, '') IS NOT NULL THEN lower(p_mode)
                        WHEN coalesce(p_soft, false) THEN 'soft' ELSE 'kill' END;
    v_killed integer := 0;
BEGIN
    IF (nullif(p_site, '') IS NOT NULL)::int + (nullif(p_cloud, '') IS NOT NULL)::int + (nullif(p_nucleus, '') IS NOT NULL)::int <> 1 THEN
        RAISE EXCEPTION 'site: give exactly one of site, cloud and nucleus' USING ERRCODE = 'PD002';
    END IF;
    IF v_mode NOT IN ('soft', 'nokill', 'kill') THEN
        RAISE EXCEPTION 'mode: must be soft or nokill, not %', left(p_mode, 50) USING ERRCODE = 'PD002';
    END IF;
    IF length(p_site) > 60 OR length(p_cloud) > 10 OR length(p_nucleus) > 52 THEN
        RAISE EXCEPTION 'site: the site (60), cloud (10) or nucleus (52) name is too long' USING ERRCODE = 'PD002';
    END IF;
    IF nullif(p_site, '') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM doma_panda.schedconfig_json s WHERE s.panda_queue = p_site)
       AND NOT EXISTS (SELECT 1 FROM doma_panda.site s WHERE s.site_name = p_site) THEN
        RAISE EXCEPTION 'site: % is no registered queue or site', p_site USING ERRCODE = 'PD002';
    END IF;
    v_task := doma_panda.task_command_task(p_jeditaskid, 'reassign', p_requester, p_requester_vo, p_is_production, true);
    PERFORM doma_panda.task_command_status_check(v_task, 'reassign', doma_panda.task_active_statuses() || ARRAY['exhausted']);
    UPDATE doma_panda.jedi_tasks t
       SET site = nullif(p_site, ''), cloud = nullif(p_cloud, ''), nucleus = nullif(p_nucleus, '')
     WHERE t.jeditaskid = p_jeditaskid;
    IF v_mode <> 'nokill' THEN
        v_killed := doma_panda.task_kill_live_jobs(p_jeditaskid, p_requester, 8, v_mode = 'soft');
    END IF;
    PERFORM doma_panda.task_record_command(v_task, 'reassign', p_requester, jsonb_strip_nulls(jsonb_build_object(
        'site', nullif(p_site, ''), 'cloud', nullif(p_cloud, ''), 'nucleus', nullif(p_nucleus, ''), 'mode', v_mode,
        'jobs_killed', v_killed)), false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'reassign', format('task %s reassigned to %s %s (%s jobs killed)',
        p_jeditaskid, CASE WHEN nullif(p_site, '') IS NOT NULL THEN 'site' WHEN nullif(p_cloud, '') IS NOT NULL THEN 'cloud' ELSE 'nucleus' END,
        coalesce(nullif(p_site, ''), nullif(p_cloud, ''), p_nucleus), v_killed));
END;
$$;

-- reload_input: reload a task's input (REST task/reload_input): -> 'toincexec'; the command step adds the input
-- files the replica catalogue gained since the task was fed and makes the task 'ready'. Legal in ready,
-- pending, scouting, scouted, running, paused, throttled, exhausted, finished, done (a task beyond the hard
-- retry limit only with p_ignore_hard_exhausted). Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_ignore_hard_exhausted  as retry_task
CREATE OR REPLACE FUNCTION doma_panda.reload_input(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                   p_is_production boolean, p_ignore_hard_exhausted boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_limit numeric;
BEGIN
    v_task := doma_panda.task_command_task(p_jeditaskid, 'reload_input', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'reload_input',
        ARRAY['ready', 'pending', 'scouting', 'scouted', 'running', 'paused', 'throttled', 'exhausted', 'finished', 'done']);
    v_limit := doma_panda.task_config_number('TASK_RETRY_HARD_LIMIT', 10, v_task.vo);
    IF coalesce(v_task.attemptnr, 0) >= v_limit AND NOT coalesce(p_ignore_hard_exhausted, false) THEN
        RAISE EXCEPTION 'reload_input: task % is hard exhausted (retried % times, limit %); use ignore_hard_exhausted',
            p_jeditaskid, v_task.attemptnr, v_limit USING ERRCODE = 'PD004';
    END IF;
    PERFORM doma_panda.task_set_status(p_jeditaskid, 'toincexec', format('reload_input by %s', coalesce(p_requester, 'unknown')));
    PERFORM doma_panda.task_record_command(v_task, 'reload_input', p_requester,
        jsonb_build_object('ignore_hard_exhausted', coalesce(p_ignore_hard_exhausted, false), 'from', v_task.status), true);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'reload_input', format('reload of the input of task %s is registered', p_jeditaskid));
END;
$$;
