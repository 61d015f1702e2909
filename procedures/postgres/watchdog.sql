-- The job watchdog: the timeout rules of seed 004 section 12.1.3 (PanDA's copyArchive and Watcher),
-- run by the scheduled job 'job_watchdog' (partitions/scheduled_jobs.tsv) as SELECT doma_panda.run_watchdog().
-- Timeouts come from gdpconfig (component 'watchdog', schema/postgres/99_registration_defaults.sql),
-- times from doma_panda.panda_now() (tests pin it with SET pandadb.clock). Every rule skips queues whose
-- schedconfig status is 'paused' or whose catchall contains 'disableReassign'.
--
-- rule                  jobs, timeout (gdpconfig key), age measured from          outcome (PanDA's error codes)
-- pending_timeout       pending: PENDING_TIMEOUT_MINUTES, statechangetime         closed, taskbuffer 102 EC_Expire
-- defined_timeout       defined: DEFINED_TIMEOUT_MINUTES, statechangetime         closed, taskbuffer 102 EC_Expire
-- assigned_timeout      assigned: ASSIGNED_TIMEOUT_MINUTES, statechangetime       closed, taskbuffer 102 EC_Expire
-- throttled_timeout     throttled: THROTTLED_TIMEOUT_MINUTES, statechangetime     closed, taskbuffer 102 EC_Expire
-- activated_hp_timeout  activated/starting with currentpriority >= 800 at a queue where no job started
--                       for ACTIVATED_HP_NO_START_MINUTES (gdpconfig, 120 when not set):
--                       ACTIVATED_HP_TIMEOUT_MINUTES, statechangetime
-- activated_timeout     activated/starting: ACTIVATED_TIMEOUT_MINUTES, statechangetime
--                       (activated: closed, taskbuffer 102 EC_Expire; starting: failed, jobdispatcher 105 EC_Timeout)
-- sent_timeout          sent: SENT_TIMEOUT_MINUTES, modificationtime               failed, jobdispatcher 102 EC_SendError
--                       "Sent job didn't receive reply from pilot within <N> min", and always a new attempt
--                       (the job never ran) up to SENT_TIMEOUT_EXTRA_ATTEMPTS (3) beyond maxattempt
-- lost_heartbeat        running/starting: HEARTBEAT_TIMEOUT_<workflow of the queue> or else
--                       HEARTBEAT_TIMEOUT_MINUTES; transferring with a jobsubstatus (own stage-out) at a
--                       queue whose workflow has HEARTBEAT_TIMEOUT_<workflow>: that; modificationtime
--                                                                                  failed, jobdispatcher 100 EC_Watcher
--                       "lost heartbeat : <last heartbeat>"
-- running_timeout       running: RUNNING_TIMEOUT_MINUTES, statechangetime         failed, jobdispatcher 105 EC_Timeout
-- holding_hp_timeout    holding, currentpriority >= 800: HOLDING_HP_TIMEOUT_MINUTES, modificationtime
--                                                                                  failed, jobdispatcher 103 EC_Holding
-- holding_timeout       holding, currentpriority < 800: HOLDING_TIMEOUT_MINUTES, modificationtime
--                                                                                  failed, jobdispatcher 103 EC_Holding
-- transferring_timeout  transferring: transtimehi (priority >= 800) or transtimelo days of the job's
--                       cloud (doma_pandameta.cloudconfig) when > 0, modificationtime  failed, jobdispatcher 104 EC_Transferring
-- A failed job then goes through the retry rules (retry.sql), as PanDA's Watcher calls the retry module.
-- Concurrency: candidates are selected with FOR UPDATE SKIP LOCKED, so a job's rule is re-checked on its
-- latest version (a heartbeat that commits meanwhile saves it) and a job busy elsewhere waits for the next run.

-- watchdog_timeout_minutes: a gdpconfig watchdog timeout in minutes (NULL when not configured).
--   p_key  the gdpconfig key (component 'watchdog')
CREATE OR REPLACE FUNCTION doma_panda.watchdog_timeout_minutes(p_key text)
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.value ~ '^\s*[0-9]+\s*$' THEN c.value::integer END
      FROM (SELECT doma_panda.get_config_value('watchdog', p_key) AS value) c;
$$;

-- watchdog_queue_enabled: false when the queue's timeout rules are disabled (schedconfig status
-- 'paused', or catchall containing 'disableReassign').
--   p_queue_config  the queue's schedconfig_json data (NULL: an unregistered queue; the rules apply)
CREATE OR REPLACE FUNCTION doma_panda.watchdog_queue_enabled(p_queue_config jsonb)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT NOT (coalesce(p_queue_config ->> 'status', '') = 'paused'
                OR coalesce(p_queue_config ->> 'catchall', '') LIKE '%disableReassign%');
$$;

-- watchdog_queue_started_recently: whether a job started at the queue since p_since (a job running or
-- beyond with starttime >= p_since, or sitedata.laststart >= p_since).
--   p_site_name  the PanDA queue
--   p_since      the time limit
CREATE OR REPLACE FUNCTION doma_panda.watchdog_queue_started_recently(p_site_name text, p_since timestamp without time zone)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM doma_panda.jobsactive4 j
                    WHERE j.computingsite = p_site_name AND j.jobstatus IN ('running', 'holding', 'merging', 'transferring')
                      AND j.starttime >= p_since)
        OR EXISTS (SELECT 1 FROM doma_panda.jobsarchived4 j
                    WHERE j.computingsite = p_site_name AND j.modificationtime >= p_since AND j.starttime >= p_since)
        OR EXISTS (SELECT 1 FROM doma_pandameta.sitedata s WHERE s.site = p_site_name AND s.laststart >= p_since);
$$;

-- watchdog_end_job: end one locked job with a final status and error columns. In *diag values, '%s'
-- becomes the job's time named by p_clock_column (the last heartbeat or the last status change).
--   p_table         the job table holding the row
--   p_job           the row as JSON
--   p_changes       the final 'jobstatus' and the error columns
--   p_clock_column  'modificationtime' or 'statechangetime'
CREATE OR REPLACE FUNCTION doma_panda.watchdog_end_job(p_table text, p_job jsonb, p_changes jsonb, p_clock_column text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_changes jsonb;
BEGIN
    SELECT jsonb_object_agg(e.key,
               CASE WHEN e.key LIKE '%diag'
                    THEN to_jsonb(left(replace(e.value #>> '{}', '%s', replace(coalesce(p_job ->> p_clock_column, ''), 'T', ' ')), 250))
                    ELSE e.value END)
      INTO v_changes
      FROM jsonb_each(p_changes) e;
    PERFORM doma_panda.job_finalize(p_table, p_job, v_changes);
END;
$$;

-- watchdog_expire: one rule for jobs of one status older than a timeout by their statechangetime:
-- activated and earlier are closed (taskbuffer 102 EC_Expire, "expired in <status>. status unchanged
-- since <time>"), starting jobs failed (jobdispatcher 105 EC_Timeout). Returns how many jobs it ended.
--   p_table                the job table
--   p_status               the job status
--   p_timeout_minutes      the timeout (NULL: the rule is off)
--   p_high_priority_only   only jobs with currentpriority >= 800 at queues without a job start since p_no_start_minutes
--   p_no_start_minutes     see above
CREATE OR REPLACE FUNCTION doma_panda.watchdog_expire(p_table text, p_status text, p_timeout_minutes integer,
                                                     p_high_priority_only boolean DEFAULT false,
                                                     p_no_start_minutes integer DEFAULT 120)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_job jsonb;
    v_changes jsonb;
    v_count integer := 0;
BEGIN
    IF p_timeout_minutes IS NULL THEN
        RETURN 0;
    END IF;
    IF p_status = 'starting' THEN
        v_changes := jsonb_build_object('jobstatus', 'failed', 'jobdispatchererrorcode', 105,
                                        'jobdispatchererrordiag', 'timeout in starting : status unchanged since %s');
    ELSE
        v_changes := jsonb_build_object('jobstatus', 'closed', 'taskbuffererrorcode', 102,
                                        'taskbuffererrordiag', format('expired in %s. status unchanged since %%s', p_status));
    END IF;
    FOR v_job IN EXECUTE format(
        'SELECT to_jsonb(j) FROM doma_panda.%I j'
        '  LEFT JOIN doma_panda.schedconfig_json q ON q.panda_queue = j.computingsite'
        ' WHERE j.jobstatus = $1 AND j.statechangetime < $2 AND doma_panda.watchdog_queue_enabled(q.data::jsonb)'
        '   AND (NOT $3 OR (j.currentpriority >= 800 AND NOT doma_panda.watchdog_queue_started_recently(j.computingsite, $4)))'
        ' ORDER BY j.pandaid FOR UPDATE OF j SKIP LOCKED', p_table)
        USING p_status, v_now - make_interval(mins => p_timeout_minutes), p_high_priority_only,
              v_now - make_interval(mins => p_no_start_minutes)
    LOOP
        PERFORM doma_panda.watchdog_end_job(p_table, v_job, v_changes, 'statechangetime');
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END;
$$;

-- run_watchdog: apply every timeout rule once (see the top of this file). Returns {"<rule>": n_jobs, ...}.
CREATE OR REPLACE FUNCTION doma_panda.run_watchdog()
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_result jsonb := '{}'::jsonb;
    v_no_start integer := coalesce(doma_panda.watchdog_timeout_minutes('ACTIVATED_HP_NO_START_MINUTES'), 120);
    v_minutes integer;
    v_shortest integer;
    v_job jsonb;
    v_count integer;
    v_new_pandaid bigint;
BEGIN
    v_result := v_result || jsonb_build_object(
        'pending_timeout', doma_panda.watchdog_expire('jobswaiting4', 'pending', doma_panda.watchdog_timeout_minutes('PENDING_TIMEOUT_MINUTES'))
                         + doma_panda.watchdog_expire('jobsdefined4', 'pending', doma_panda.watchdog_timeout_minutes('PENDING_TIMEOUT_MINUTES')),
        'defined_timeout', doma_panda.watchdog_expire('jobsdefined4', 'defined', doma_panda.watchdog_timeout_minutes('DEFINED_TIMEOUT_MINUTES')),
        'assigned_timeout', doma_panda.watchdog_expire('jobsdefined4', 'assigned', doma_panda.watchdog_timeout_minutes('ASSIGNED_TIMEOUT_MINUTES')),
        'throttled_timeout', doma_panda.watchdog_expire('jobsactive4', 'throttled', doma_panda.watchdog_timeout_minutes('THROTTLED_TIMEOUT_MINUTES')));
    -- high priority first: its timeout is the shorter one
    v_result := v_result || jsonb_build_object('activated_hp_timeout',
        doma_panda.watchdog_expire('jobsactive4', 'activated', doma_panda.watchdog_timeout_minutes('ACTIVATED_HP_TIMEOUT_MINUTES'), true, v_no_start)
      + doma_panda.watchdog_expire('jobsactive4', 'starting', doma_panda.watchdog_timeout_minutes('ACTIVATED_HP_TIMEOUT_MINUTES'), true, v_no_start));
    v_result := v_result || jsonb_build_object('activated_timeout',
        doma_panda.watchdog_expire('jobsactive4', 'activated', doma_panda.watchdog_timeout_minutes('ACTIVATED_TIMEOUT_MINUTES'))
      + doma_panda.watchdog_expire('jobsactive4', 'starting', doma_panda.watchdog_timeout_minutes('ACTIVATED_TIMEOUT_MINUTES')));

    -- sent, and the pilot never answered
    v_minutes := doma_panda.watchdog_timeout_minutes('SENT_TIMEOUT_MINUTES');
    v_count := 0;
    FOR v_job IN
        SELECT to_jsonb(j) FROM doma_panda.jobsactive4 j LEFT JOIN doma_panda.schedconfig_json q ON q.panda_queue = j.computingsite
         WHERE v_minutes IS NOT NULL AND j.jobstatus = 'sent' AND j.modificationtime < v_now - make_interval(mins => v_minutes)
           AND doma_panda.watchdog_queue_enabled(q.data::jsonb)
         ORDER BY j.pandaid FOR UPDATE OF j SKIP LOCKED
    LOOP
        -- the job never ran (its pilot never got it, or never said so): a new attempt takes its place whatever
        -- the retry rules say, up to SENT_TIMEOUT_EXTRA_ATTEMPTS (gdpconfig, 3) beyond the job's maxattempt
        v_new_pandaid := NULL;
        IF coalesce((v_job ->> 'attemptnr')::integer, 0)
           < coalesce((v_job ->> 'maxattempt')::integer, 0)
             + coalesce(doma_panda.watchdog_timeout_minutes('SENT_TIMEOUT_EXTRA_ATTEMPTS'), 3) THEN
            v_new_pandaid := doma_panda.job_new_attempt(v_job, jsonb_build_object('jobstatus', 'activated'), 'retry');
        END IF;
        PERFORM doma_panda.job_finalize('jobsactive4', v_job, jsonb_build_object('jobstatus', 'failed',
            'jobdispatchererrorcode', 102,
            'jobdispatchererrordiag', format('Sent job didn''t receive reply from pilot within %s min', v_minutes)
                                      || CASE WHEN v_new_pandaid IS NULL THEN '' ELSE format(': re-queued as job %s', v_new_pandaid) END),
            v_new_pandaid);
        v_count := v_count + 1;
    END LOOP;
    v_result := v_result || jsonb_build_object('sent_timeout', v_count);

    -- lost heartbeats. The per-queue timeouts are read once per queue, and only jobs older than the
    -- shortest of them are looked at (jobsactive4_modtime_idx), not every running job.
    v_minutes := doma_panda.watchdog_timeout_minutes('HEARTBEAT_TIMEOUT_MINUTES');
    SELECT least(v_minutes, min(c.value::integer)) INTO v_shortest
      FROM doma_panda.config c
     WHERE c.app = 'pandaserver' AND c.component = 'watchdog' AND c.key LIKE 'HEARTBEAT\_TIMEOUT\_%'
       AND c.key <> 'HEARTBEAT_TIMEOUT_MINUTES' AND c.value ~ '^\s*[0-9]+\s*$';
    v_count := 0;
    FOR v_job IN
        WITH queues AS (
            SELECT q.panda_queue, doma_panda.watchdog_queue_enabled(q.data::jsonb) AS enabled,
                   doma_panda.watchdog_timeout_minutes('HEARTBEAT_TIMEOUT_' || (q.data::jsonb ->> 'workflow')) AS workflow_minutes
              FROM doma_panda.schedconfig_json q
        )
        SELECT to_jsonb(j) FROM doma_panda.jobsactive4 j LEFT JOIN queues q ON q.panda_queue = j.computingsite
         WHERE v_shortest IS NOT NULL
           AND j.jobstatus IN ('running', 'starting', 'transferring')
           AND j.modificationtime < v_now - make_interval(mins => v_shortest)
           AND coalesce(q.enabled, true)
           AND ((j.jobstatus IN ('running', 'starting')
                 AND j.modificationtime < v_now - make_interval(mins => coalesce(q.workflow_minutes, v_minutes)))
                OR (j.jobstatus = 'transferring' AND coalesce(j.jobsubstatus, '') NOT IN ('', 'NULL')
                    AND q.workflow_minutes IS NOT NULL AND j.modificationtime < v_now - make_interval(mins => q.workflow_minutes)))
         ORDER BY j.pandaid FOR UPDATE OF j SKIP LOCKED
    LOOP
        -- as PanDA's Watcher: a job that lost its heartbeat ended at its last heartbeat
        PERFORM doma_panda.watchdog_end_job('jobsactive4', v_job, jsonb_build_object('jobstatus', 'failed',
            'jobdispatchererrorcode', 100, 'jobdispatchererrordiag', 'lost heartbeat : %s')
            || CASE WHEN doma_panda.job_is_epoch(v_job ->> 'endtime') THEN jsonb_build_object('endtime', v_job -> 'modificationtime')
                    ELSE '{}'::jsonb END, 'modificationtime');
        v_count := v_count + 1;
    END LOOP;
    v_result := v_result || jsonb_build_object('lost_heartbeat', v_count);

    -- running too long
    v_minutes := doma_panda.watchdog_timeout_minutes('RUNNING_TIMEOUT_MINUTES');
    v_count := 0;
    FOR v_job IN
        SELECT to_jsonb(j) FROM doma_panda.jobsactive4 j LEFT JOIN doma_panda.schedconfig_json q ON q.panda_queue = j.computingsite
         WHERE v_minutes IS NOT NULL AND j.jobstatus = 'running' AND j.statechangetime < v_now - make_interval(mins => v_minutes)
           AND doma_panda.watchdog_queue_enabled(q.data::jsonb)
         ORDER BY j.pandaid FOR UPDATE OF j SKIP LOCKED
    LOOP
        PERFORM doma_panda.watchdog_end_job('jobsactive4', v_job, jsonb_build_object('jobstatus', 'failed',
            'jobdispatchererrorcode', 105, 'jobdispatchererrordiag', 'timeout in running : status unchanged since %s'), 'statechangetime');
        v_count := v_count + 1;
    END LOOP;
    v_result := v_result || jsonb_build_object('running_timeout', v_count);

    -- holding: high priority (>= 800) and the rest have their own timeouts
    FOR v_hp IN 0..1 LOOP
        v_minutes := doma_panda.watchdog_timeout_minutes(CASE v_hp WHEN 1 THEN 'HOLDING_HP_TIMEOUT_MINUTES' ELSE 'HOLDING_TIMEOUT_MINUTES' END);
        v_count := 0;
        FOR v_job IN
            SELECT to_jsonb(j) FROM doma_panda.jobsactive4 j LEFT JOIN doma_panda.schedconfig_json q ON q.panda_queue = j.computingsite
             WHERE v_minutes IS NOT NULL AND j.jobstatus = 'holding' AND (j.currentpriority >= 800) = (v_hp = 1)
               AND j.modificationtime < v_now - make_interval(mins => v_minutes)
               AND doma_panda.watchdog_queue_enabled(q.data::jsonb)
             ORDER BY j.pandaid FOR UPDATE OF j SKIP LOCKED
        LOOP
            PERFORM doma_panda.watchdog_end_job('jobsactive4', v_job, jsonb_build_object('jobstatus', 'failed',
                'jobdispatchererrorcode', 103, 'jobdispatchererrordiag', 'timeout in holding : last heartbeat at %s'), 'modificationtime');
            v_count := v_count + 1;
        END LOOP;
        v_result := v_result || jsonb_build_object(CASE v_hp WHEN 1 THEN 'holding_hp_timeout' ELSE 'holding_timeout' END, v_count);
    END LOOP;

    -- transferring: the cloud's transtimehi / transtimelo (days)
    v_count := 0;
    FOR v_job IN
        SELECT to_jsonb(j) FROM doma_panda.jobsactive4 j
          JOIN doma_pandameta.cloudconfig c ON c.name = j.cloud
          LEFT JOIN doma_panda.schedconfig_json q ON q.panda_queue = j.computingsite
         WHERE j.jobstatus = 'transferring'
           AND CASE WHEN j.currentpriority >= 800 THEN c.transtimehi ELSE c.transtimelo END > 0
           AND j.modificationtime < v_now - make_interval(days => CASE WHEN j.currentpriority >= 800 THEN c.transtimehi ELSE c.transtimelo END)
           AND doma_panda.watchdog_queue_enabled(q.data::jsonb)
         ORDER BY j.pandaid FOR UPDATE OF j SKIP LOCKED
    LOOP
        PERFORM doma_panda.watchdog_end_job('jobsactive4', v_job, jsonb_build_object('jobstatus', 'failed',
            'jobdispatchererrorcode', 104, 'jobdispatchererrordiag', 'timeout in transferring : last heartbeat at %s'), 'modificationtime');
        v_count := v_count + 1;
    END LOOP;
    v_result := v_result || jsonb_build_object('transferring_timeout', v_count);
    RETURN v_result;
END;
$$;
