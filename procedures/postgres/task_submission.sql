-- Tasks in the database, the beginning (seed 004 sections 2.4 and 7.1, REST API v1 task/submit of seed 000):
-- the task status helper every task step uses, the task parameter readers and submission (submit_task).
-- The Task Refiner is in task_refiner.sql, the Contents Feeder in task_contents.sql, the replica catalogue in
-- replicas.sql; job generation, brokerage and task progress in task_generation*.sql, task_brokerage*.sql,
-- task_progress*.sql.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- The task states (section 2.4): submit_task inserts the task 'registered'; refine_task turns it
-- 'defined' (or 'broken' with an errordialog naming the bad parameter); the Contents Feeder fills its
-- datasets and turns it 'ready' (or keeps it 'pending' with the reason while input is missing); the Job
-- Generator takes 'ready' tasks on (scouting, running, ...).
--
-- EVERY task status change goes through doma_panda.task_set_status(p_jeditaskid, p_status, p_diagnostic):
-- it sets jedi_tasks.status, oldstatus, statechangetime, modificationtime (and errordialog when a
-- diagnostic is given; starttime on the first scouting/running, endtime on a final status) and writes the
-- tasks_statuslog row. The caller's transaction holds the task row lock from then on.
--
-- Rule violations raise SQLSTATE PD002 (bad input, naming the parameter), PD003 (unknown task) or PD005
-- (not allowed); the database is then unchanged. Refinement problems are no errors: the task goes
-- 'broken' and errordialog names the parameter.

-- task_statuses: the task statuses of seed 004 section 2.4 (plus 'exhausted' of chapter 15 and
-- 'staging' of the data carousel).
CREATE OR REPLACE FUNCTION doma_panda.task_statuses()
RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['registered', 'defined', 'assigning', 'ready', 'pending', 'scouting', 'scouted', 'running',
                 'prepared', 'done', 'failed', 'finished', 'aborting', 'aborted', 'finishing', 'topreprocess',
                 'preprocessing', 'tobroken', 'broken', 'toretry', 'toincexec', 'rerefine', 'paused',
                 'throttled', 'exhausted', 'staging', 'passed'];
$$;

-- task_final_statuses: statuses in which a task does nothing more (a duplicate taskName may be reused).
CREATE OR REPLACE FUNCTION doma_panda.task_final_statuses()
RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['done', 'finished', 'failed', 'broken', 'aborted', 'exhausted'];
$$;

-- task_host: the modificationhost written to tasks_statuslog: the session's pandadb.host setting, else
-- its application_name, else the client address.
CREATE OR REPLACE FUNCTION doma_panda.task_host()
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT left(coalesce(nullif(current_setting('pandadb.host', true), ''),
                         nullif(current_setting('application_name', true), ''),
                         host(inet_client_addr()), 'local'), 128);
$$;

-- task_set_status: change a task's status (the one helper for every task transition) and log it in
-- tasks_statuslog. Locks the task row (kept until the caller's transaction ends). When the status does
-- not change, only errordialog (if p_diagnostic is given) and modificationtime are updated and nothing is
-- logged. Returns the previous status.
--   p_jeditaskid  the task
--   p_status      the new status (a status of section 2.4; PD002 otherwise)
--   p_diagnostic  the reason: stored in jedi_tasks.errordialog (510 chars) and tasks_statuslog.reason
--                 (255 chars); NULL keeps errordialog as it is
CREATE OR REPLACE FUNCTION doma_panda.task_set_status(p_jeditaskid bigint, p_status text, p_diagnostic text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_old text;
    v_attemptnr smallint;
BEGIN
    IF p_status IS NULL OR p_status <> ALL (doma_panda.task_statuses()) THEN
        RAISE EXCEPTION 'p_status: % is no task status', coalesce(p_status, 'NULL') USING ERRCODE = 'PD002';
    END IF;
    SELECT t.status, t.attemptnr INTO v_old, v_attemptnr
      FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', p_jeditaskid USING ERRCODE = 'PD003';
    END IF;
    IF v_old = p_status THEN
        UPDATE doma_panda.jedi_tasks t
           SET errordialog = coalesce(left(p_diagnostic, 510), t.errordialog), modificationtime = v_now
         WHERE t.jeditaskid = p_jeditaskid;
        RETURN v_old;
    END IF;
    UPDATE doma_panda.jedi_tasks t
       SET status = p_status, oldstatus = v_old, statechangetime = v_now, modificationtime = v_now,
           realmodificationtime = v_now,
           errordialog = coalesce(left(p_diagnostic, 510), t.errordialog),
           starttime = CASE WHEN p_status IN ('scouting', 'running') THEN coalesce(t.starttime, v_now) ELSE t.starttime END,
           endtime = CASE WHEN p_status = ANY (doma_panda.task_final_statuses()) THEN v_now ELSE t.endtime END
     WHERE t.jeditaskid = p_jeditaskid;
    PERFORM doma_panda.task_log_status(p_jeditaskid, p_status, v_attemptnr, p_diagnostic);
    RETURN v_old;
END;
$$;

-- task_log_status: one tasks_statuslog row (used by task_set_status and for the first status of a new task).
--   p_jeditaskid  the task
--   p_status      its new status
--   p_attemptnr   the task's attemptnr
--   p_reason      why (255 chars kept), or NULL
CREATE OR REPLACE FUNCTION doma_panda.task_log_status(p_jeditaskid bigint, p_status text, p_attemptnr smallint,
                                                     p_reason text)
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO doma_panda.tasks_statuslog (jeditaskid, modificationtime, status, modificationhost, attemptnr, reason)
    VALUES (p_jeditaskid, doma_panda.job_precise_now(), p_status, doma_panda.task_host(), p_attemptnr, left(p_reason, 255));
$$;

-- task_param_int: an integer task parameter, NULL when absent or JSON null. Accepts a JSON integer or a
-- string of digits; anything else, or a value below p_min, raises PD002 naming the parameter.
--   p_params  the task parameters
--   p_key     the parameter name (as the client spells it)
--   p_min     the smallest allowed value
CREATE OR REPLACE FUNCTION doma_panda.task_param_int(p_params jsonb, p_key text, p_min bigint DEFAULT 0)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_value jsonb := p_params -> p_key;
    v_text text;
BEGIN
    IF v_value IS NULL OR jsonb_typeof(v_value) = 'null' THEN
        RETURN NULL;
    END IF;
    v_text := v_value #>> '{}';
    IF jsonb_typeof(v_value) NOT IN ('number', 'string') OR v_text !~ '^\s*[+-]?\d{1,18}(\.0*)?\s*$'
       OR trunc(v_text::numeric) < p_min THEN
        RAISE EXCEPTION '%: must be an integer >= %, not %', p_key, p_min, left(v_value::text, 100) USING ERRCODE = 'PD002';
    END IF;
    RETURN trunc(v_text::numeric)::bigint;
END;
$$;

-- task_param_text: a text task parameter, NULL when absent, JSON null or empty. Numbers are taken as their
-- text; other JSON types, or a text longer than p_max_length, raise PD002 naming the parameter.
--   p_params      the task parameters
--   p_key         the parameter name
--   p_max_length  the column width it goes to
CREATE OR REPLACE FUNCTION doma_panda.task_param_text(p_params jsonb, p_key text, p_max_length integer)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_value jsonb := p_params -> p_key;
BEGIN
    IF v_value IS NULL OR jsonb_typeof(v_value) = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(v_value) NOT IN ('string', 'number') THEN
        RAISE EXCEPTION '%: must be a string, not %', p_key, left(v_value::text, 100) USING ERRCODE = 'PD002';
    END IF;
    IF length(v_value #>> '{}') > p_max_length THEN
        RAISE EXCEPTION '%: longer than % characters', p_key, p_max_length USING ERRCODE = 'PD002';
    END IF;
    RETURN nullif(v_value #>> '{}', '');
END;
$$;

-- task_param_flag: a boolean task parameter: true for JSON true, a non-zero number or the strings
-- true/yes/1 (any case); false when absent, null, false, 0 or ''; anything else raises PD002.
--   p_params  the task parameters
--   p_key     the parameter name
CREATE OR REPLACE FUNCTION doma_panda.task_param_flag(p_params jsonb, p_key text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_value jsonb := p_params -> p_key;
BEGIN
    IF v_value IS NULL OR jsonb_typeof(v_value) = 'null' THEN
        RETURN false;
    ELSIF jsonb_typeof(v_value) = 'boolean' THEN
        RETURN v_value::text::boolean;
    ELSIF jsonb_typeof(v_value) = 'number' THEN
        RETURN (v_value::text)::numeric <> 0;
    ELSIF jsonb_typeof(v_value) = 'string' AND lower(v_value #>> '{}') IN ('true', 'yes', '1', 'on') THEN
        RETURN true;
    ELSIF jsonb_typeof(v_value) = 'string' AND lower(v_value #>> '{}') IN ('false', 'no', '0', 'off', '') THEN
        RETURN false;
    END IF;
    RAISE EXCEPTION '%: must be true or false, not %', p_key, left(v_value::text, 100) USING ERRCODE = 'PD002';
END;
$$;

-- task_user_labels / task_production_labels: the prodSourceLabels of user tasks (anyone may submit
-- them) and the others (production role only).
CREATE OR REPLACE FUNCTION doma_panda.task_user_labels()
RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['user', 'panda'];
$$;

CREATE OR REPLACE FUNCTION doma_panda.task_production_labels()
RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['managed', 'test', 'ptest', 'prod_test', 'rc_test', 'rc_test2', 'rc_alrb', 'install'];
$$;

-- submit_task: register a task (REST task/submit, panda-client insertTaskParams; Task Refiner input).
-- Checks what identifies the task: taskName (required, 256 chars), prodSourceLabel (default 'user'; user
-- and panda for everyone, managed/test/... for the production role only: PD005), userName (the requester
-- for non-production callers; production callers may name another user), vo (the requester's VO unless a
-- production caller names one), taskPriority and parent_tid (integers), taskType, processingType,
-- workingGroup, campaign (strings that fit their columns). Everything else is checked by the Task Refiner,
-- which breaks the task naming the bad parameter. Stores the parameters (with the resolved userName, vo,
-- prodSourceLabel and parent_tid) in jedi_taskparams and the task row 'registered' (logged). The new
-- jediTaskID comes from doma_deft.prodsys2_task_id_seq.
-- A task with the same taskName by the same user that is not final (task_final_statuses) is a duplicate:
-- nothing is written and the answer carries PanDA's code 2 ("duplication in JEDI") and the existing id.
-- Concurrent submissions of one name by one user are serialised by a transaction advisory lock.
-- Returns {"returnCode": 0 | 2, "message": "... jediTaskID=N ...", "jediTaskID": N}.
--   p_task_params    the task parameters (a JSON object)
--   p_requester      the authenticated user name
--   p_requester_vo   the authenticated user's VO
--   p_is_production  whether the requester has the production role
--   p_parent_tid     the parent task (REST parent_tid); overrides the parameters' parent_tid
CREATE OR REPLACE FUNCTION doma_panda.submit_task(p_task_params jsonb, p_requester text, p_requester_vo text,
                                                 p_is_production boolean, p_parent_tid bigint DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_params jsonb := p_task_params;
    v_name text;
    v_label text;
    v_user text;
    v_vo text;
    v_priority bigint;
    v_parent bigint;
    v_existing record;
    v_id bigint;
BEGIN
    IF v_params IS NULL OR jsonb_typeof(v_params) <> 'object' THEN
        RAISE EXCEPTION 'task_parameters: must be a JSON object of task parameters' USING ERRCODE = 'PD002';
    END IF;
    v_name := doma_panda.task_param_text(v_params, 'taskName', 256);
    IF v_name IS NULL THEN
        RAISE EXCEPTION 'taskName: missing (every task needs a name)' USING ERRCODE = 'PD002';
    END IF;
    v_label := coalesce(doma_panda.task_param_text(v_params, 'prodSourceLabel', 20), 'user');
    IF v_label <> ALL (doma_panda.task_user_labels() || doma_panda.task_production_labels()) THEN
        RAISE EXCEPTION 'prodSourceLabel: % is not one of %', v_label,
            array_to_string(doma_panda.task_user_labels() || doma_panda.task_production_labels(), ', ')
            USING ERRCODE = 'PD002';
    END IF;
    IF NOT coalesce(p_is_production, false) AND v_label <> ALL (doma_panda.task_user_labels()) THEN
        RAISE EXCEPTION 'prodSourceLabel %: only the production role may submit tasks other than user tasks (user, panda)',
            v_label USING ERRCODE = 'PD005';
    END IF;
    IF coalesce(p_is_production, false) THEN
        v_user := coalesce(doma_panda.task_param_text(v_params, 'userName', 128), p_requester);
        v_vo := coalesce(doma_panda.task_param_text(v_params, 'vo', 32), p_requester_vo);
    ELSE
        PERFORM doma_panda.task_param_text(v_params, 'userName', 128);
        PERFORM doma_panda.task_param_text(v_params, 'vo', 32);
        v_user := p_requester;
        v_vo := coalesce(p_requester_vo, doma_panda.task_param_text(v_params, 'vo', 32));
    END IF;
    IF v_user IS NULL OR v_user = '' THEN
        RAISE EXCEPTION 'userName: missing (no authenticated user)' USING ERRCODE = 'PD002';
    END IF;
    IF v_vo IS NULL OR v_vo = '' THEN
        RAISE EXCEPTION 'vo: missing' USING ERRCODE = 'PD002';
    END IF;
    v_priority := doma_panda.task_param_int(v_params, 'taskPriority', 0);
    v_parent := coalesce(p_parent_tid, doma_panda.task_param_int(v_params, 'parent_tid', 1));
    IF v_parent IS NOT NULL AND NOT EXISTS (SELECT 1 FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = v_parent) THEN
        RAISE EXCEPTION 'parent_tid: task % does not exist', v_parent USING ERRCODE = 'PD002';
    END IF;
    PERFORM doma_panda.task_param_text(v_params, 'taskType', 64), doma_panda.task_param_text(v_params, 'processingType', 64),
            doma_panda.task_param_text(v_params, 'workingGroup', 32), doma_panda.task_param_text(v_params, 'campaign', 32);

    -- one submission of a name per user at a time, then the duplicate check sees every committed task
    PERFORM pg_advisory_xact_lock(hashtextextended('pandadb.task_submit:' || v_user || ':' || v_name, 0));
    SELECT t.jeditaskid, t.status INTO v_existing
      FROM doma_panda.jedi_tasks t
     WHERE t.username = v_user AND t.taskname = v_name AND t.status <> ALL (doma_panda.task_final_statuses())
     ORDER BY t.jeditaskid DESC LIMIT 1;
    IF FOUND THEN
        RETURN jsonb_build_object('returnCode', 2, 'jediTaskID', v_existing.jeditaskid,
            'message', format('jediTaskID=%s is already active (status %s) with taskName=%s for user %s: duplicated tasks are refused',
                              v_existing.jeditaskid, v_existing.status, v_name, v_user));
    END IF;

    v_id := nextval('doma_deft.prodsys2_task_id_seq');
    v_params := v_params || jsonb_strip_nulls(jsonb_build_object('userName', v_user, 'vo', v_vo, 'prodSourceLabel', v_label,
                                                                 'parent_tid', v_parent));
    INSERT INTO doma_panda.jedi_taskparams (jeditaskid, taskparams) VALUES (v_id, v_params::text);
    INSERT INTO doma_panda.jedi_tasks (jeditaskid, taskname, status, username, creationdate, modificationtime,
                                       statechangetime, realmodificationtime, vo, prodsourcelabel, workinggroup,
                                       tasktype, processingtype, taskpriority, currentpriority, parent_tid, campaign,
                                       attemptnr, progress, failurerate)
    VALUES (v_id, v_name, 'registered', v_user, v_now, v_now, v_now, v_now, v_vo, v_label,
            doma_panda.task_param_text(v_params, 'workingGroup', 32), doma_panda.task_param_text(v_params, 'taskType', 64),
            doma_panda.task_param_text(v_params, 'processingType', 64), v_priority, v_priority, v_parent,
            doma_panda.task_param_text(v_params, 'campaign', 32), 0, 0, 0);
    PERFORM doma_panda.task_log_status(v_id, 'registered', 0::smallint, NULL);
    RETURN jsonb_build_object('returnCode', 0, 'jediTaskID', v_id, 'message', format('succeeded. new jediTaskID=%s', v_id));
END;
$$;

-- get_task_status: the status of tasks (REST task/get_status): with one id its status as text, with
-- several {"<jediTaskID>": status}; PD003 when a single task does not exist (unknown ones of several
-- are left out).
--   p_jeditaskids  the tasks
CREATE OR REPLACE FUNCTION doma_panda.get_task_status(p_jeditaskids bigint[])
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_status text;
BEGIN
    IF p_jeditaskids IS NULL OR cardinality(p_jeditaskids) = 0 OR array_position(p_jeditaskids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'task_id: a JEDI task ID is required' USING ERRCODE = 'PD002';
    END IF;
    IF cardinality(p_jeditaskids) = 1 THEN
        SELECT t.status INTO v_status FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskids[1];
        IF NOT FOUND THEN
            RAISE EXCEPTION 'task % does not exist', p_jeditaskids[1] USING ERRCODE = 'PD003';
        END IF;
        RETURN to_jsonb(v_status);
    END IF;
    RETURN (SELECT coalesce(jsonb_object_agg(t.jeditaskid::text, t.status), '{}'::jsonb)
              FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = ANY (p_jeditaskids));
END;
$$;
