-- Task commands that change a task's attributes (REST API v1 module `task` of seed 000): increase_attempts,
-- enable/disable_job_cloning, change_attribute, change_priority, change_split_rule, change_modification_time.
-- The next generation step reads what they change (task_generation.sql). The conventions, the helpers they
-- share (task_command_task, task_record_command, task_command_answer, task_splitrule_set) and the commands
-- that steer a task's processing are in task_commands.sql.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue

-- increase_attempts: give a task's unfinished input files p_increase more attempts (REST task/increase_attempts):
-- maxattempt + p_increase for master and secondary input files not finished or failed. Legal in the alive
-- statuses and exhausted. Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_increase  the number of attempts to add (0 .. 1000)
CREATE OR REPLACE FUNCTION doma_panda.increase_task_attempts(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                             p_is_production boolean, p_increase integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_files bigint;
BEGIN
    IF p_increase IS NULL OR p_increase < 0 OR p_increase > 1000 THEN
        RAISE EXCEPTION 'increase: must be an integer from 0 to 1000, not %', coalesce(p_increase::text, 'NULL') USING ERRCODE = 'PD002';
    END IF;
    v_task := doma_panda.task_command_task(p_jeditaskid, 'increase_attempts', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'increase_attempts', doma_panda.task_active_statuses() || ARRAY['exhausted']);
    UPDATE doma_panda.jedi_dataset_contents c SET maxattempt = coalesce(c.maxattempt, 0) + p_increase
      FROM doma_panda.jedi_datasets d
     WHERE d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid AND c.jeditaskid = p_jeditaskid
       AND d.type IN ('input', 'pseudo_input') AND c.status NOT IN ('finished', 'failed');
    GET DIAGNOSTICS v_files = ROW_COUNT;
    PERFORM doma_panda.task_record_command(v_task, 'increase_attempts', p_requester,
        jsonb_build_object('increase', p_increase, 'files', v_files), false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'increase_attempts',
        format('%s more attempts for %s files of task %s', p_increase, v_files, p_jeditaskid));
END;
$$;

-- enable_job_cloning: enable job cloning for a task (REST task/enable_job_cloning): split rule UC (1 runonce,
-- 2 storeonce), NC (clones per target, p_multiplicity) and NS (sites per target, p_num_sites). Legal in
-- the alive statuses. Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_mode          'runonce' (default) or 'storeonce'
--   p_multiplicity  number of clones per target (>= 1), NULL: not set
--   p_num_sites     number of sites per target (>= 1), NULL: not set
CREATE OR REPLACE FUNCTION doma_panda.enable_job_cloning(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                         p_is_production boolean, p_mode text DEFAULT NULL,
                                                         p_multiplicity integer DEFAULT NULL, p_num_sites integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_mode text := coalesce(nullif(lower(p_mode), ''), 'runonce');
    v_rule text;
BEGIN
    IF v_mode NOT IN ('runonce', 'storeonce') THEN
        RAISE EXCEPTION 'mode: must be runonce or storeonce, not %', left(p_mode, 50) USING ERRCODE = 'PD002';
    END IF;
    IF p_multiplicity IS NOT NULL AND (p_multiplicity < 1 OR p_multiplicity > 1000) THEN
        RAISE EXCEPTION 'multiplicity: must be from 1 to 1000' USING ERRCODE = 'PD002';
    END IF;
    IF p_num_sites IS NOT NULL AND (p_num_sites < 1 OR p_num_sites > 1000) THEN
        RAISE EXCEPTION 'num_sites: must be from 1 to 1000' USING ERRCODE = 'PD002';
    END IF;
    v_task := doma_panda.task_command_task(p_jeditaskid, 'enable_job_cloning', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'enable_job_cloning', doma_panda.task_active_statuses());
    v_rule := doma_panda.task_splitrule_set(v_task.splitrule, 'UC', CASE v_mode WHEN 'runonce' THEN '1' ELSE '2' END, 'mode');
    IF p_multiplicity IS NOT NULL THEN
        v_rule := doma_panda.task_splitrule_set(v_rule, 'NC', p_multiplicity::text, 'multiplicity');
    END IF;
    IF p_num_sites IS NOT NULL THEN
        v_rule := doma_panda.task_splitrule_set(v_rule, 'NS', p_num_sites::text, 'num_sites');
    END IF;
    UPDATE doma_panda.jedi_tasks t SET splitrule = v_rule WHERE t.jeditaskid = p_jeditaskid;
    PERFORM doma_panda.task_record_command(v_task, 'enable_job_cloning', p_requester, jsonb_strip_nulls(jsonb_build_object(
        'mode', v_mode, 'multiplicity', p_multiplicity, 'num_sites', p_num_sites)), false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'enable_job_cloning', format('job cloning (%s) enabled for task %s', v_mode, p_jeditaskid));
END;
$$;

-- disable_job_cloning: remove the job cloning codes (UC, NC) from a task's split rule (REST
-- task/disable_job_cloning). Legal in the alive statuses. Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
CREATE OR REPLACE FUNCTION doma_panda.disable_job_cloning(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                          p_is_production boolean)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
BEGIN
    v_task := doma_panda.task_command_task(p_jeditaskid, 'disable_job_cloning', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'disable_job_cloning', doma_panda.task_active_statuses());
    UPDATE doma_panda.jedi_tasks t
       SET splitrule = doma_panda.task_splitrule_set(doma_panda.task_splitrule_set(t.splitrule, 'UC', NULL, 'splitrule'), 'NC', NULL, 'splitrule')
     WHERE t.jeditaskid = p_jeditaskid;
    PERFORM doma_panda.task_record_command(v_task, 'disable_job_cloning', p_requester, '{}', false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'disable_job_cloning', format('job cloning disabled for task %s', p_jeditaskid));
END;
$$;

-- change_task_attribute: set ramCount, wallTime, cpuTime or coreCount of a task (REST task/change_attribute;
-- any other name is PD002). Legal in the alive statuses and exhausted. Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_attribute_name  ramCount, wallTime, cpuTime or coreCount (any case)
--   p_value           the new value (>= 0; coreCount >= 1)
CREATE OR REPLACE FUNCTION doma_panda.change_task_attribute(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                            p_is_production boolean, p_attribute_name text, p_value bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_column text := CASE lower(p_attribute_name) WHEN 'ramcount' THEN 'ramcount' WHEN 'walltime' THEN 'walltime'
                                                  WHEN 'cputime' THEN 'cputime' WHEN 'corecount' THEN 'corecount' END;
    v_min integer;
BEGIN
    IF v_column IS NULL THEN
        RAISE EXCEPTION 'attribute_name: must be one of ramCount, wallTime, cpuTime, coreCount, not %',
            coalesce(left(p_attribute_name, 50), 'NULL') USING ERRCODE = 'PD002';
    END IF;
    v_min := CASE WHEN v_column = 'corecount' THEN 1 ELSE 0 END;
    IF p_value IS NULL OR p_value < v_min OR p_value > 2147483647 THEN
        RAISE EXCEPTION 'value: % must be an integer from % to 2147483647', p_attribute_name, v_min USING ERRCODE = 'PD002';
    END IF;
    v_task := doma_panda.task_command_task(p_jeditaskid, 'change_attribute', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'change_attribute', doma_panda.task_active_statuses() || ARRAY['exhausted']);
    EXECUTE format('UPDATE doma_panda.jedi_tasks SET %I = $1 WHERE jeditaskid = $2', v_column) USING p_value::integer, p_jeditaskid;
    PERFORM doma_panda.task_record_command(v_task, 'change_attribute', p_requester,
        jsonb_build_object('attribute_name', v_column, 'value', p_value), false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'change_attribute', format('%s of task %s set to %s', p_attribute_name, p_jeditaskid, p_value));
END;
$$;

-- change_task_priority: set a task's priority (REST task/change_priority): taskpriority and currentpriority,
-- and currentpriority of its jobs still queued (not yet at a pilot). Legal in the alive statuses and
-- exhausted. Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_priority  the new priority (-100000 .. 100000)
CREATE OR REPLACE FUNCTION doma_panda.change_task_priority(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                           p_is_production boolean, p_priority integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_jobs bigint := 0;
    v_n bigint;
BEGIN
    IF p_priority IS NULL OR p_priority < -100000 OR p_priority > 100000 THEN
        RAISE EXCEPTION 'priority: must be an integer from -100000 to 100000' USING ERRCODE = 'PD002';
    END IF;
    v_task := doma_panda.task_command_task(p_jeditaskid, 'change_priority', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'change_priority', doma_panda.task_active_statuses() || ARRAY['exhausted']);
    UPDATE doma_panda.jedi_tasks t SET taskpriority = p_priority, currentpriority = p_priority WHERE t.jeditaskid = p_jeditaskid;
    UPDATE doma_panda.jobsdefined4 j SET currentpriority = p_priority WHERE j.jeditaskid = p_jeditaskid;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_jobs := v_jobs + v_n;
    UPDATE doma_panda.jobswaiting4 j SET currentpriority = p_priority WHERE j.jeditaskid = p_jeditaskid;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_jobs := v_jobs + v_n;
    UPDATE doma_panda.jobsactive4 j SET currentpriority = p_priority
     WHERE j.jeditaskid = p_jeditaskid AND j.jobstatus IN ('activated', 'assigned', 'throttled');
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_jobs := v_jobs + v_n;
    PERFORM doma_panda.task_record_command(v_task, 'change_priority', p_requester,
        jsonb_build_object('priority', p_priority, 'jobs', v_jobs), false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'change_priority',
        format('priority of task %s and %s queued jobs set to %s', p_jeditaskid, v_jobs, p_priority));
END;
$$;

-- change_task_split_rule: set one split-rule code of a task (REST task/change_split_rule): the attribute is a
-- two-letter code of task_split_rules (NF, NE, NG, ...; also IP, MC, MN, MW, TW, US, MX, TN) or its parameter
-- name (nFilesPerJob, ...); the value an integer >= 0. Legal in the alive statuses and exhausted. Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_attribute_name  the code or parameter name
--   p_value           the value
CREATE OR REPLACE FUNCTION doma_panda.change_task_split_rule(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                             p_is_production boolean, p_attribute_name text, p_value bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_code text;
BEGIN
    SELECT c.code INTO v_code
      FROM (SELECT x.param, x.code FROM doma_panda.task_split_rules() x
            UNION ALL VALUES ('ipConnectivity', 'IP'), ('minCpuEfficiency', 'MC'), ('maxNumJobs', 'MN'), ('maxWalltime', 'MW'),
                             ('t1Weight', 'TW'), ('useScout', 'US'), ('maxEventsPerJob', 'MX'), ('tgtMaxOutputForNG', 'TN')) c(param, code)
     WHERE c.code = upper(p_attribute_name) OR c.param = p_attribute_name LIMIT 1;
    IF v_code IS NULL THEN
        RAISE EXCEPTION 'attribute_name: % is no split rule code', coalesce(left(p_attribute_name, 50), 'NULL') USING ERRCODE = 'PD002';
    END IF;
    IF p_value IS NULL OR p_value < 0 OR p_value > 2147483647 THEN
        RAISE EXCEPTION 'value: must be an integer from 0 to 2147483647' USING ERRCODE = 'PD002';
    END IF;
    v_task := doma_panda.task_command_task(p_jeditaskid, 'change_split_rule', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'change_split_rule', doma_panda.task_active_statuses() || ARRAY['exhausted']);
    UPDATE doma_panda.jedi_tasks t SET splitrule = doma_panda.task_splitrule_set(t.splitrule, v_code, p_value::text, 'value')
     WHERE t.jeditaskid = p_jeditaskid;
    PERFORM doma_panda.task_record_command(v_task, 'change_split_rule', p_requester,
        jsonb_build_object('code', v_code, 'value', p_value), false);
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'change_split_rule', format('split rule %s=%s set for task %s', v_code, p_value, p_jeditaskid));
END;
$$;

-- change_task_modification_time: set a task's modificationtime to now + p_positive_hour_offset hours (REST
-- task/change_modification_time; the task timeouts and the task lists ordered by it see it later). Legal in
-- the alive statuses and exhausted. Production role.
--   p_jeditaskid, p_requester, p_requester_vo, p_is_production  as kill_task
--   p_positive_hour_offset  hours to add (0 .. 87600)
CREATE OR REPLACE FUNCTION doma_panda.change_task_modification_time(p_jeditaskid bigint, p_requester text, p_requester_vo text,
                                                                    p_is_production boolean, p_positive_hour_offset integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_time timestamp without time zone;
BEGIN
    IF p_positive_hour_offset IS NULL OR p_positive_hour_offset < 0 OR p_positive_hour_offset > 87600 THEN
        RAISE EXCEPTION 'positive_hour_offset: must be an integer from 0 to 87600' USING ERRCODE = 'PD002';
    END IF;
    v_task := doma_panda.task_command_task(p_jeditaskid, 'change_modification_time', p_requester, p_requester_vo, p_is_production, false);
    PERFORM doma_panda.task_command_status_check(v_task, 'change_modification_time', doma_panda.task_active_statuses() || ARRAY['exhausted']);
    v_time := doma_panda.panda_now() + make_interval(hours => p_positive_hour_offset);
    PERFORM doma_panda.task_record_command(v_task, 'change_modification_time', p_requester,
        jsonb_build_object('positive_hour_offset', p_positive_hour_offset), false);
    UPDATE doma_panda.jedi_tasks t SET modificationtime = v_time WHERE t.jeditaskid = p_jeditaskid;
    RETURN doma_panda.task_command_answer(p_jeditaskid, 'change_modification_time',
        format('modification time of task %s set to %s', p_jeditaskid, v_time));
END;
$$;
