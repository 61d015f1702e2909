-- The job retry module (seed 004 chapter 20; PanDA's taskbuffer/retryModule.py) and new job attempts.
--
-- When a job fails (update_job, the watchdog), apply_retry_rules judges it with the rules of
-- doma_panda.retryerrors (error source + code, optional errordiag regular expression matched at the start
-- of the diagnostic like Python's re.match, optional scope: architecture = cmtconfig, release =
-- atlasrelease, workqueue_id; expired rules ignored) and their action in doma_panda.retryactions:
--   no_retry          no new attempt
--   limit_retry       parameters 'maxAttempt=N': the job is retried while attemptnr < N (and < maxattempt)
--   increase_memory   the new attempt asks for the next 1000 MB step per core above the larger of its
--                     request (minramcount) and its measured PSS (parameter 'step=MB' changes the step)
--   increase_cputime  the new attempt gets maxcpucount and maxwalltime x 1.5 (parameter 'factor=F')
-- A rule is active when both retryerrors.active and retryactions.active are 'Y'; a passive rule is only
-- logged (pandalog, type 'retryModule', PanDA's message format). As in PanDA, the first error source of
-- the job (pilot, exe, sup, ddm, brokerage, jobDispatcher, taskBuffer) that rules match is acted upon.
-- Without a stopping rule a failed job gets a new attempt while attemptnr < maxattempt: a new PandaID,
-- attemptnr + 1, status activated at the same queue, its files and parameters copied, recorded in
-- jedi_job_retry_history (relationtype 'retry') when the job belongs to a JEDI task. A job of a JEDI task
-- that takes no more work (finishing after a soft finish, aborting, broken or ended) gets no new attempt:
-- its input files then count as failed (task_progress.sql), as JEDI does not retry for such a task.

-- retry_rule_parameters: a rule's parameters ('maxAttempt=3&step=500', also ',' or ';' separated) as JSON.
CREATE OR REPLACE FUNCTION doma_panda.retry_rule_parameters(p_parameters text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(trim(split_part(item, '=', 1)), trim(substr(item, strpos(item, '=') + 1))), '{}'::jsonb)
      FROM regexp_split_to_table(coalesce(p_parameters, ''), '[&,;]') AS item
     WHERE strpos(item, '=') > 1;
$$;

-- retry_diag_matches: Python's re.match(pattern, diag): the pattern matches at the start of the diagnostic.
-- A pattern PostgreSQL cannot compile matches nothing (PanDA logs it and skips the rule).
CREATE OR REPLACE FUNCTION doma_panda.retry_diag_matches(p_pattern text, p_diag text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN coalesce(p_diag, '') ~ ('^(?:' || p_pattern || ')');
EXCEPTION WHEN invalid_regular_expression THEN
    RETURN false;
END;
$$;

-- job_errors: the error codes a job carries, in PanDA's order of sources, with their diagnostics.
--   p_job  the job row as JSON
CREATE OR REPLACE FUNCTION doma_panda.job_errors(p_job jsonb)
RETURNS TABLE (error_position integer, error_source text, error_code bigint, error_diag text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT e.pos, e.source, (p_job ->> e.code_column)::bigint, p_job ->> e.diag_column
      FROM (VALUES (1, 'pilotErrorCode', 'piloterrorcode', 'piloterrordiag'),
                   (2, 'exeErrorCode', 'exeerrorcode', 'exeerrordiag'),
                   (3, 'supErrorCode', 'superrorcode', 'superrordiag'),
                   (4, 'ddmErrorCode', 'ddmerrorcode', 'ddmerrordiag'),
                   (5, 'brokerageErrorCode', 'brokerageerrorcode', 'brokerageerrordiag'),
                   (6, 'jobDispatcherErrorCode', 'jobdispatchererrorcode', 'jobdispatchererrordiag'),
                   (7, 'taskBufferErrorCode', 'taskbuffererrorcode', 'taskbuffererrordiag')) AS e(pos, source, code_column, diag_column)
     WHERE coalesce((p_job ->> e.code_column)::bigint, 0) <> 0;
$$;

-- retry_matching_rules: the retry rules that match a failed job's errors (source, code, diagnostic,
-- scope, not expired), with whether each is applied (active) or only logged (passive).
--   p_job  the job row as JSON
--   p_now  the current time (expiration)
CREATE OR REPLACE FUNCTION doma_panda.retry_matching_rules(p_job jsonb, p_now timestamp without time zone)
RETURNS TABLE (error_position integer, error_source text, error_code bigint, error_diag text,
               retryerror_id bigint, retry_action text, applied boolean, parameters jsonb, rule_diag text)
LANGUAGE sql STABLE AS $$
    SELECT x.error_position, x.error_source, x.error_code, x.error_diag, e.retryerror_id, a.retry_action::text,
           e.active = 'Y' AND a.active = 'Y', doma_panda.retry_rule_parameters(e.parameters), e.errordiag::text
      FROM doma_panda.job_errors(p_job) x
      JOIN doma_panda.retryerrors e ON lower(e.errorsource) = lower(x.error_source) AND e.errorcode = x.error_code
      JOIN doma_panda.retryactions a ON a.retryaction_id = e.retryaction
     WHERE (e.expiration_date IS NULL OR e.expiration_date > p_now)
       AND (coalesce(e.errordiag, '') = '' OR doma_panda.retry_diag_matches(e.errordiag, x.error_diag))
       AND (coalesce(e.architecture, '') = '' OR e.architecture = p_job ->> 'cmtconfig')
       AND (coalesce(e.release, '') = '' OR e.release = p_job ->> 'atlasrelease')
       AND (e.workqueue_id IS NULL OR e.workqueue_id = (p_job ->> 'workqueue_id')::integer);
$$;

-- job_new_attempt: queue a new attempt of a job: a copy of the job with a new PandaID, attemptnr + 1,
-- parentid = the old PandaID, new creation/modification/state-change times, the run-time columns of the
-- old attempt (pilot, node, times, errors, metrics, command) back to their defaults, p_changes applied
-- (resource_type recomputed), its files copied (output and log files 'unknown' with new GUIDs), its job
-- parameters copied; jedi_job_retry_history records old -> new (originpandaid = the first attempt of the
-- chain) when the job belongs to a JEDI task. Returns the new PandaID.
--   p_old       the old job row as JSON
--   p_changes   {column: value} for the new attempt; 'jobstatus' picks its table (default 'activated')
--   p_relation  jedi_job_retry_history.relationtype (e.g. 'retry')
CREATE OR REPLACE FUNCTION doma_panda.job_new_attempt(p_old jsonb, p_changes jsonb, p_relation text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_old_pandaid bigint := (p_old ->> 'pandaid')::bigint;
    v_new_pandaid bigint := nextval('doma_panda.jobsdefined4_pandaid_seq');
    v_task_id bigint := (p_old ->> 'jeditaskid')::bigint;
    v_status text := coalesce(p_changes ->> 'jobstatus', 'activated');
    v_row jsonb;
    v_origin bigint;
BEGIN
    v_row := (p_old - ARRAY['schedulerid', 'pilotid', 'modificationhost', 'starttime', 'endtime', 'cpuconsumptiontime',
                            'cpuconsumptionunit', 'commandtopilot', 'transexitcode', 'piloterrorcode', 'piloterrordiag',
                            'exeerrorcode', 'exeerrordiag', 'superrorcode', 'superrordiag', 'ddmerrorcode', 'ddmerrordiag',
                            'brokerageerrorcode', 'brokerageerrordiag', 'jobdispatchererrorcode', 'jobdispatchererrordiag',
                            'taskbuffererrorcode', 'taskbuffererrordiag', 'computingelement', 'cpuconversion', 'nevents',
                            'pilottiming', 'batchid', 'jobsubstatus', 'actualcorecount', 'maxrss', 'maxvmem', 'maxswap',
                            'maxpss', 'avgrss', 'avgvmem', 'avgswap', 'avgpss', 'hs06sec', 'jobmetrics', 'totrchar',
                            'totwchar', 'totrbytes', 'totwbytes', 'raterchar', 'ratewchar', 'raterbytes', 'ratewbytes',
                            'memory_leak', 'memory_leak_x2', 'meancorecount', 'gco2_regional', 'gco2_global',
                            'proddbupdatetime', 'jobparameters', 'metadata'])
             || jsonb_build_object('pandaid', v_new_pandaid, 'jobstatus', v_status,
                                   'attemptnr', coalesce((p_old ->> 'attemptnr')::integer, 0) + 1,
                                   'failedattempt', coalesce((p_old ->> 'failedattempt')::integer, 0)
                                                    + CASE WHEN p_old ->> 'jobstatus' = 'failed' THEN 1 ELSE 0 END,
                                   'parentid', v_old_pandaid, 'creationtime', v_now, 'modificationtime', v_now,
                                   'statechangetime', v_now)
             || (p_changes - 'jobstatus');
    v_row := v_row || jsonb_build_object('resource_type',
        doma_panda.job_resource_type((v_row ->> 'corecount')::bigint, (v_row ->> 'minramcount')::bigint));
    PERFORM doma_panda.job_check_values(doma_panda.job_table_for_status(v_status), v_row,
                                        format('new attempt of job %s', v_old_pandaid));
    PERFORM doma_panda.job_insert_row(doma_panda.job_table_for_status(v_status), v_row);

    INSERT INTO doma_panda.filestable4 (row_id, pandaid, modificationtime, guid, lfn, type, dataset, status, proddblock,
        proddblocktoken, dispatchdblock, dispatchdblocktoken, destinationdblock, destinationdblocktoken, destinationse,
        fsize, md5sum, checksum, scope, jeditaskid, datasetid, fileid, attemptnr)
    SELECT nextval('doma_panda.filestable4_row_id_seq'), v_new_pandaid, v_now,
           CASE WHEN f.type IN ('output', 'log') THEN gen_random_uuid()::text ELSE f.guid END,
           f.lfn, f.type, f.dataset,
           CASE WHEN f.type IN ('output', 'log') THEN 'unknown' ELSE f.status END,
           f.proddblock, f.proddblocktoken, f.dispatchdblock, f.dispatchdblocktoken, f.destinationdblock,
           f.destinationdblocktoken, f.destinationse,
           CASE WHEN f.type IN ('output', 'log') THEN 0 ELSE f.fsize END,
           CASE WHEN f.type IN ('output', 'log') THEN NULL ELSE f.md5sum END,
           CASE WHEN f.type IN ('output', 'log') THEN NULL ELSE f.checksum END,
           f.scope, f.jeditaskid, f.datasetid, f.fileid,
           CASE WHEN f.type IN ('input', 'pseudo_input') THEN coalesce(f.attemptnr, 0) + 1 ELSE f.attemptnr END
      FROM (SELECT * FROM doma_panda.filestable4 o WHERE o.pandaid = v_old_pandaid ORDER BY o.row_id) f;

    INSERT INTO doma_panda.jobparamstable (pandaid, modificationtime, jobparameters)
    SELECT v_new_pandaid, v_now, p.jobparameters
      FROM doma_panda.jobparamstable p WHERE p.pandaid = v_old_pandaid
     ORDER BY p.modificationtime DESC LIMIT 1;

    IF v_task_id IS NOT NULL THEN
        SELECT h.originpandaid INTO v_origin FROM doma_panda.jedi_job_retry_history h
         WHERE h.jeditaskid = v_task_id AND h.newpandaid = v_old_pandaid
         ORDER BY h.ins_utc_tstamp LIMIT 1;
        INSERT INTO doma_panda.jedi_job_retry_history (jeditaskid, oldpandaid, newpandaid, ins_utc_tstamp, relationtype, originpandaid)
        VALUES (v_task_id, v_old_pandaid, v_new_pandaid, v_now, p_relation, coalesce(v_origin, v_old_pandaid));
    END IF;
    PERFORM doma_panda.job_log_status(v_row);
    RETURN v_new_pandaid;
END;
$$;

-- retry_log: one retry-module line in pandalog (type 'retryModule'), in PanDA's message format.
CREATE OR REPLACE FUNCTION doma_panda.retry_log(p_pandaid bigint, p_message text)
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO doma_panda.pandalog (bintime, name, module, type, pid, loglevel, levelname, time, filename, line, message)
    VALUES (doma_panda.panda_now(), 'panda.mon.prod', 'retryModule', 'retryModule', p_pandaid, 20, 'INFO',
            to_char(doma_panda.panda_now(), 'YYYY-MM-DD HH24:MI:SS'), 'retry.sql', 0, left(p_message, 4000));
$$;

-- apply_retry_rules: judge a failed job (just archived) and queue its new attempt when it is retried
-- (see the top of this file). Returns {"retried", "new_pandaid", "max_attempt", "reason",
-- "rules": [{"retryerror_id", "action", "active"}, ...]}.
--   p_job  the failed job's row as JSON
CREATE OR REPLACE FUNCTION doma_panda.apply_retry_rules(p_job jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_pandaid bigint := (p_job ->> 'pandaid')::bigint;
    v_attempt integer := coalesce((p_job ->> 'attemptnr')::integer, 0);
    v_max_attempt integer := coalesce((p_job ->> 'maxattempt')::integer, 0);
    v_rule record;
    v_rules jsonb := '[]'::jsonb;
    v_no_retry boolean := false;
    v_changes jsonb := jsonb_build_object('jobstatus', 'activated');
    v_cores integer := greatest(coalesce((p_job ->> 'corecount')::integer, 1), 1);
    v_step numeric;
    v_factor numeric;
    v_per_core numeric;
    v_new_pandaid bigint;
    v_reason text;
    v_verb text;
    v_task_status text;
BEGIN
    FOR v_rule IN
        SELECT r.* FROM doma_panda.retry_matching_rules(p_job, v_now) r
         WHERE r.error_position = (SELECT min(m.error_position) FROM doma_panda.retry_matching_rules(p_job, v_now) m)
         ORDER BY r.retryerror_id
    LOOP
        v_verb := CASE v_rule.retry_action WHEN 'no_retry' THEN 'setNoRetry' WHEN 'limit_retry' THEN 'setMaxAttempt'
                                           WHEN 'increase_memory' THEN 'increaseRAMLimit' WHEN 'increase_cputime' THEN 'increaseCpuTime'
                                           ELSE v_rule.retry_action END;
        PERFORM doma_panda.retry_log(v_pandaid, format(
            'action=%s for PandaID=%s jediTaskID=%s prodSourceLabel=%s%s ( ErrorSource=%s ErrorCode=%s ErrorDiag: %s. Error/action active=%s error_id=%s )',
            v_verb, v_pandaid, coalesce(p_job ->> 'jeditaskid', 'None'), p_job ->> 'prodsourcelabel',
            CASE WHEN v_rule.retry_action = 'limit_retry' THEN ' maxAttempt=' || coalesce(v_rule.parameters ->> 'maxAttempt', 'None') ELSE '' END,
            v_rule.error_source, v_rule.error_code, coalesce(v_rule.rule_diag, 'None'),
            CASE WHEN v_rule.applied THEN 'True' ELSE 'False' END, v_rule.retryerror_id));
        v_rules := v_rules || jsonb_build_array(jsonb_build_object(
            'retryerror_id', v_rule.retryerror_id, 'action', v_rule.retry_action, 'active', v_rule.applied));
        CONTINUE WHEN NOT v_rule.applied;
        CASE v_rule.retry_action
            WHEN 'no_retry' THEN
                v_no_retry := true;
            WHEN 'limit_retry' THEN
                IF v_rule.parameters ->> 'maxAttempt' ~ '^[0-9]+$' THEN
                    v_max_attempt := least(v_max_attempt, (v_rule.parameters ->> 'maxAttempt')::integer);
                    v_changes := v_changes || jsonb_build_object('maxattempt', v_max_attempt);
                ELSE
                    PERFORM doma_panda.retry_log(v_pandaid, format(
                        'Inconsistent definition of limit_retry rule - maxAttempt not defined. error_id=%s', v_rule.retryerror_id));
                END IF;
            WHEN 'increase_memory' THEN
                v_step := CASE WHEN v_rule.parameters ->> 'step' ~ '^[0-9]+$' THEN (v_rule.parameters ->> 'step')::numeric ELSE 1000 END;
                v_per_core := greatest(coalesce((p_job ->> 'minramcount')::numeric, 0),
                                       coalesce((p_job ->> 'maxpss')::numeric, 0) / 1024) / v_cores;
                v_changes := v_changes || jsonb_build_object('minramcount',
                    ((floor(v_per_core / v_step) + 1) * v_step * v_cores)::bigint);
            WHEN 'increase_cputime' THEN
                v_factor := CASE WHEN v_rule.parameters ->> 'factor' ~ '^[0-9]+(\.[0-9]+)?$'
                                 THEN (v_rule.parameters ->> 'factor')::numeric ELSE 1.5 END;
                v_changes := v_changes || jsonb_build_object(
                    'maxcpucount', ceil(coalesce((p_job ->> 'maxcpucount')::numeric, 0) * v_factor)::bigint);
                IF p_job ->> 'maxwalltime' IS NOT NULL THEN
                    v_changes := v_changes || jsonb_build_object(
                        'maxwalltime', ceil((p_job ->> 'maxwalltime')::numeric * v_factor)::bigint);
                END IF;
            ELSE
                NULL;  -- an action this database does not implement: logged above, no effect
        END CASE;
    END LOOP;

    SELECT t.status INTO v_task_status FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = (p_job ->> 'jeditaskid')::bigint;
    IF v_no_retry THEN
        v_reason := 'no_retry rule';
    ELSIF v_task_status = ANY (doma_panda.task_final_statuses() || ARRAY['finishing', 'aborting', 'tobroken']) THEN
        v_reason := format('task %s is %s: no new attempt', p_job ->> 'jeditaskid', v_task_status);
    ELSIF v_attempt >= v_max_attempt THEN
        v_reason := format('attempt %s reached maxattempt %s', v_attempt, v_max_attempt);
    ELSE
        v_new_pandaid := doma_panda.job_new_attempt(p_job, v_changes, 'retry');
        v_reason := format('new attempt %s', v_new_pandaid);
    END IF;
    RETURN jsonb_build_object('retried', v_new_pandaid IS NOT NULL, 'new_pandaid', v_new_pandaid,
                              'max_attempt', v_max_attempt, 'reason', v_reason, 'rules', v_rules);
END;
$$;
