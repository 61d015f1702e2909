-- PL/SQL twin of procedures/postgres/watchdog.sql: the job watchdog, the timeout rules of seed 004
-- section 12.1.3 (PanDA's copyArchive and Watcher), run by the scheduled job 'job_watchdog'
-- (partitions/scheduled_jobs.tsv). Same routine names, parameter names and rules (the rule table is in
-- the header of the PostgreSQL file); timeouts from gdpconfig (component 'watchdog', defaults in
-- 99_registration_defaults.sql of schema/oracle), times from ATLAS_PANDA.PANDA_NOW().
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Errors: PD001 -> -20001 and the other codes as in jobs.sql (PD004 -> -20004 from job_finalize);
-- no routine of this file raises one itself.
-- Types: jsonb is CLOB holding JSON text; watchdog_queue_enabled and watchdog_queue_started_recently are
-- called from SQL, so they return NUMBER 1/0 instead of boolean; intervals are days (DATE arithmetic:
-- minutes / 1440). PostgreSQL's least() ignores NULLs, Oracle's LEAST does not: written out where it matters.
-- Concurrency as in PostgreSQL: candidates are selected with FOR UPDATE OF ... SKIP LOCKED (the row's
-- JSON is read after it is locked), so a job's rule is re-checked on its latest version and a job busy
-- elsewhere waits for the next run. Each PL/SQL unit ends with a line holding only '/'.

-- watchdog_timeout_minutes: a gdpconfig watchdog timeout in minutes (NULL when not configured).
--   p_key  the gdpconfig key (component 'watchdog')
CREATE OR REPLACE FUNCTION ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES(p_key IN VARCHAR2)
RETURN NUMBER
AS
    v_value VARCHAR2(4000) := ATLAS_PANDA.GET_CONFIG_VALUE('watchdog', p_key);
BEGIN
    RETURN CASE WHEN REGEXP_LIKE(v_value, '^\s*[0-9]+\s*$') THEN TO_NUMBER(TRIM(v_value)) END;
END WATCHDOG_TIMEOUT_MINUTES;
/

-- watchdog_queue_enabled: 0 when the queue's timeout rules are disabled (schedconfig status
-- 'paused', or catchall containing 'disableReassign'), else 1.
--   p_queue_config  the queue's schedconfig_json data (NULL: an unregistered queue; the rules apply)
CREATE OR REPLACE FUNCTION ATLAS_PANDA.WATCHDOG_QUEUE_ENABLED(p_queue_config IN CLOB)
RETURN NUMBER
AS
    v_config JSON_OBJECT_T;
BEGIN
    IF p_queue_config IS NULL THEN
        RETURN 1;
    END IF;
    v_config := JSON_OBJECT_T.parse(p_queue_config);
    RETURN CASE WHEN NVL(PANDADB_SUPPORT.member_text(v_config, 'status'), '-') = 'paused'
                  OR NVL(PANDADB_SUPPORT.member_text(v_config, 'catchall'), '-') LIKE '%disableReassign%' THEN 0
                ELSE 1 END;
END WATCHDOG_QUEUE_ENABLED;
/

-- watchdog_queue_started_recently: 1 when a job started at the queue since p_since (a job running or
-- beyond with starttime >= p_since, or sitedata.laststart >= p_since), else 0.
--   p_site_name  the PanDA queue
--   p_since      the time limit
CREATE OR REPLACE FUNCTION ATLAS_PANDA.WATCHDOG_QUEUE_STARTED_RECENTLY(p_site_name IN VARCHAR2, p_since IN DATE)
RETURN NUMBER
AS
    v_found NUMBER;
BEGIN
    SELECT CASE WHEN EXISTS (SELECT 1 FROM ATLAS_PANDA.JOBSACTIVE4 j
                              WHERE j.COMPUTINGSITE = p_site_name
                                AND j.JOBSTATUS IN ('running', 'holding', 'merging', 'transferring')
                                AND j.STARTTIME >= p_since)
                  OR EXISTS (SELECT 1 FROM ATLAS_PANDA.JOBSARCHIVED4 j
                              WHERE j.COMPUTINGSITE = p_site_name AND j.MODIFICATIONTIME >= p_since
                                AND j.STARTTIME >= p_since)
                  OR EXISTS (SELECT 1 FROM ATLAS_PANDAMETA.SITEDATA s WHERE s.SITE = p_site_name AND s.LASTSTART >= p_since)
                THEN 1 ELSE 0 END
      INTO v_found
      FROM DUAL;
    RETURN v_found;
END WATCHDOG_QUEUE_STARTED_RECENTLY;
/

-- watchdog_end_job: end one locked job with a final status and error columns. In *diag values, '%s'
-- becomes the job's time named by p_clock_column (the last heartbeat or the last status change).
--   p_table         the job table holding the row
--   p_job           the row as JSON
--   p_changes       the final 'jobstatus' and the error columns
--   p_clock_column  'modificationtime' or 'statechangetime'
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.WATCHDOG_END_JOB(p_table IN VARCHAR2, p_job IN CLOB, p_changes IN CLOB,
                                                        p_clock_column IN VARCHAR2)
AS
    v_job JSON_OBJECT_T := JSON_OBJECT_T.parse(p_job);
    v_changes JSON_OBJECT_T := JSON_OBJECT_T.parse(p_changes);
    v_keys SYS.ODCIVARCHAR2LIST := PANDADB_SUPPORT.sorted_keys(v_changes);
    v_clock VARCHAR2(100) := REPLACE(PANDADB_SUPPORT.member_text(v_job, p_clock_column), 'T', ' ');
    v_done CLOB;
BEGIN
    FOR i IN 1 .. v_keys.COUNT LOOP
        IF v_keys(i) LIKE '%diag' THEN
            v_changes.put(v_keys(i), SUBSTR(REPLACE(PANDADB_SUPPORT.member_text(v_changes, v_keys(i)), '%s', v_clock), 1, 250));
        END IF;
    END LOOP;
    v_done := ATLAS_PANDA.JOB_FINALIZE(p_table, p_job, v_changes.to_clob());
END WATCHDOG_END_JOB;
/

-- watchdog_expire: one rule for jobs of one status older than a timeout by their statechangetime:
-- activated and earlier are closed (taskbuffer 102 EC_Expire, "expired in <status>. status unchanged
-- since <time>"), starting jobs failed (jobdispatcher 105 EC_Timeout). Returns how many jobs it ended.
--   p_table                the job table
--   p_status               the job status
--   p_timeout_minutes      the timeout (NULL: the rule is off)
--   p_high_priority_only   only jobs with currentpriority >= 800 at queues without a job start since p_no_start_minutes
--   p_no_start_minutes     see above
CREATE OR REPLACE FUNCTION ATLAS_PANDA.WATCHDOG_EXPIRE(p_table IN VARCHAR2, p_status IN VARCHAR2, p_timeout_minutes IN NUMBER,
                                                      p_high_priority_only IN BOOLEAN DEFAULT FALSE,
                                                      p_no_start_minutes IN NUMBER DEFAULT 120)
RETURN NUMBER
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_changes JSON_OBJECT_T := JSON_OBJECT_T();
    v_candidates SYS_REFCURSOR;
    v_pandaid NUMBER;
    v_job CLOB;
    v_high_priority_only NUMBER(1) := CASE WHEN p_high_priority_only THEN 1 ELSE 0 END;
    v_count NUMBER := 0;
BEGIN
    IF p_timeout_minutes IS NULL THEN
        RETURN 0;
    END IF;
    IF p_status = 'starting' THEN
        v_changes.put('jobstatus', 'failed');
        v_changes.put('jobdispatchererrorcode', 105);
        v_changes.put('jobdispatchererrordiag', 'timeout in starting : status unchanged since %s');
    ELSE
        v_changes.put('jobstatus', 'closed');
        v_changes.put('taskbuffererrorcode', 102);
        v_changes.put('taskbuffererrordiag', 'expired in ' || p_status || '. status unchanged since %s');
    END IF;
    OPEN v_candidates FOR
        'SELECT j.PANDAID FROM ATLAS_PANDA.' || DBMS_ASSERT.SIMPLE_SQL_NAME(UPPER(p_table)) || ' j'
        || '  LEFT JOIN ATLAS_PANDA.SCHEDCONFIG_JSON q ON q.PANDA_QUEUE = j.COMPUTINGSITE'
        || ' WHERE j.JOBSTATUS = :status AND j.STATECHANGETIME < :older_than'
        || '   AND ATLAS_PANDA.WATCHDOG_QUEUE_ENABLED(q.DATA) = 1'
        || '   AND (:high_priority_only = 0 OR (j.CURRENTPRIORITY >= 800'
        || '        AND ATLAS_PANDA.WATCHDOG_QUEUE_STARTED_RECENTLY(j.COMPUTINGSITE, :no_start_since) = 0))'
        || ' ORDER BY j.PANDAID FOR UPDATE OF j.PANDAID SKIP LOCKED'
        USING p_status, v_now - p_timeout_minutes / 1440, v_high_priority_only, v_now - p_no_start_minutes / 1440;
    LOOP
        FETCH v_candidates INTO v_pandaid;
        EXIT WHEN v_candidates%NOTFOUND;
        EXECUTE IMMEDIATE 'SELECT ' || PANDADB_SUPPORT.row_json_sql('ATLAS_PANDA', p_table, 'j') || ' FROM ATLAS_PANDA.'
            || DBMS_ASSERT.SIMPLE_SQL_NAME(UPPER(p_table)) || ' j WHERE j.PANDAID = :1' INTO v_job USING v_pandaid;
        ATLAS_PANDA.WATCHDOG_END_JOB(p_table, v_job, v_changes.to_clob(), 'statechangetime');
        v_count := v_count + 1;
    END LOOP;
    CLOSE v_candidates;
    RETURN v_count;
END WATCHDOG_EXPIRE;
/

-- run_watchdog: apply every timeout rule once (see the top of procedures/postgres/watchdog.sql).
-- Returns {"<rule>": n_jobs, ...}. The scheduled job calls it in a PL/SQL block.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.RUN_WATCHDOG
RETURN CLOB
AS
    v_now DATE := ATLAS_PANDA.PANDA_NOW();
    v_result JSON_OBJECT_T := JSON_OBJECT_T();
    v_no_start NUMBER := NVL(ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('ACTIVATED_HP_NO_START_MINUTES'), 120);
    v_minutes NUMBER;
    v_shortest NUMBER;
    v_count NUMBER;
    v_changes JSON_OBJECT_T;
    v_job CLOB;
    -- the locked job's row as JSON (the cursors lock the rows; the JSON is read once the lock is held)
    v_job_sql VARCHAR2(32767) := 'SELECT ' || PANDADB_SUPPORT.row_json_sql('ATLAS_PANDA', 'jobsactive4', 'j')
                                 || ' FROM ATLAS_PANDA.JOBSACTIVE4 j WHERE j.PANDAID = :1';
    v_failure CLOB;  -- a rule's changes: {"jobstatus": "failed", "jobdispatchererrorcode", "jobdispatchererrordiag"}
    v_job_object JSON_OBJECT_T;
    v_extra_attempts NUMBER;
    v_new_pandaid NUMBER;
    v_done CLOB;
BEGIN
    v_result.put('pending_timeout',
        ATLAS_PANDA.WATCHDOG_EXPIRE('jobswaiting4', 'pending', ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('PENDING_TIMEOUT_MINUTES'))
      + ATLAS_PANDA.WATCHDOG_EXPIRE('jobsdefined4', 'pending', ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('PENDING_TIMEOUT_MINUTES')));
    v_result.put('defined_timeout',
        ATLAS_PANDA.WATCHDOG_EXPIRE('jobsdefined4', 'defined', ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('DEFINED_TIMEOUT_MINUTES')));
    v_result.put('assigned_timeout',
        ATLAS_PANDA.WATCHDOG_EXPIRE('jobsdefined4', 'assigned', ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('ASSIGNED_TIMEOUT_MINUTES')));
    v_result.put('throttled_timeout',
        ATLAS_PANDA.WATCHDOG_EXPIRE('jobsactive4', 'throttled', ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('THROTTLED_TIMEOUT_MINUTES')));
    -- high priority first: its timeout is the shorter one
    v_result.put('activated_hp_timeout',
        ATLAS_PANDA.WATCHDOG_EXPIRE('jobsactive4', 'activated',
                                    ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('ACTIVATED_HP_TIMEOUT_MINUTES'), TRUE, v_no_start)
      + ATLAS_PANDA.WATCHDOG_EXPIRE('jobsactive4', 'starting',
                                    ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('ACTIVATED_HP_TIMEOUT_MINUTES'), TRUE, v_no_start));
    v_result.put('activated_timeout',
        ATLAS_PANDA.WATCHDOG_EXPIRE('jobsactive4', 'activated', ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('ACTIVATED_TIMEOUT_MINUTES'))
      + ATLAS_PANDA.WATCHDOG_EXPIRE('jobsactive4', 'starting', ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('ACTIVATED_TIMEOUT_MINUTES')));

    -- sent, and the pilot never answered
    v_minutes := ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('SENT_TIMEOUT_MINUTES');
    v_extra_attempts := NVL(ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('SENT_TIMEOUT_EXTRA_ATTEMPTS'), 3);
    v_count := 0;
    FOR r IN (SELECT j.PANDAID FROM ATLAS_PANDA.JOBSACTIVE4 j
                LEFT JOIN ATLAS_PANDA.SCHEDCONFIG_JSON q ON q.PANDA_QUEUE = j.COMPUTINGSITE
               WHERE v_minutes IS NOT NULL AND j.JOBSTATUS = 'sent' AND j.MODIFICATIONTIME < v_now - v_minutes / 1440
                 AND ATLAS_PANDA.WATCHDOG_QUEUE_ENABLED(q.DATA) = 1
               ORDER BY j.PANDAID FOR UPDATE OF j.PANDAID SKIP LOCKED) LOOP
        EXECUTE IMMEDIATE v_job_sql INTO v_job USING r.PANDAID;
        v_job_object := JSON_OBJECT_T.parse(v_job);
        -- the job never ran (its pilot never got it, or never said so): a new attempt takes its place whatever
        -- the retry rules say, up to SENT_TIMEOUT_EXTRA_ATTEMPTS (gdpconfig, 3) beyond the job's maxattempt
        v_new_pandaid := NULL;
        IF NVL(PANDADB_SUPPORT.member_number(v_job_object, 'attemptnr'), 0)
           < NVL(PANDADB_SUPPORT.member_number(v_job_object, 'maxattempt'), 0) + v_extra_attempts THEN
            v_new_pandaid := ATLAS_PANDA.JOB_NEW_ATTEMPT(v_job, '{"jobstatus": "activated"}', 'retry');
        END IF;
        v_changes := JSON_OBJECT_T();
        v_changes.put('jobstatus', 'failed');
        v_changes.put('jobdispatchererrorcode', 102);
        v_changes.put('jobdispatchererrordiag', 'Sent job didn''t receive reply from pilot within ' || v_minutes || ' min'
                                                || CASE WHEN v_new_pandaid IS NOT NULL
                                                        THEN ': re-queued as job ' || v_new_pandaid END);
        v_done := ATLAS_PANDA.JOB_FINALIZE('jobsactive4', v_job, v_changes.to_clob(), v_new_pandaid);
        v_count := v_count + 1;
    END LOOP;
    v_result.put('sent_timeout', v_count);

    -- lost heartbeats. The per-queue timeouts are read once per queue, and only jobs older than the
    -- shortest of them are looked at (jobsactive4_modtime_idx), not every running job.
    v_minutes := ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('HEARTBEAT_TIMEOUT_MINUTES');
    SELECT MIN(TO_NUMBER(TRIM(c."VALUE"))) INTO v_shortest
      FROM ATLAS_PANDA.CONFIG c
     WHERE c.APP = 'pandaserver' AND c.COMPONENT = 'watchdog' AND c."KEY" LIKE 'HEARTBEAT\_TIMEOUT\_%' ESCAPE '\'
       AND c."KEY" <> 'HEARTBEAT_TIMEOUT_MINUTES' AND REGEXP_LIKE(c."VALUE", '^\s*[0-9]+\s*$');
    v_shortest := COALESCE(LEAST(v_minutes, v_shortest), v_minutes, v_shortest);
    v_count := 0;
    v_changes := JSON_OBJECT_T();
    v_changes.put('jobstatus', 'failed');
    v_changes.put('jobdispatchererrorcode', 100);
    v_changes.put('jobdispatchererrordiag', 'lost heartbeat : %s');
    v_failure := v_changes.to_clob();
    FOR r IN (WITH queues AS (
                  SELECT q.PANDA_QUEUE, ATLAS_PANDA.WATCHDOG_QUEUE_ENABLED(q.DATA) AS enabled,
                         ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('HEARTBEAT_TIMEOUT_' || JSON_VALUE(q.DATA, '$.workflow'))
                             AS workflow_minutes
                    FROM ATLAS_PANDA.SCHEDCONFIG_JSON q
              )
              SELECT j.PANDAID FROM ATLAS_PANDA.JOBSACTIVE4 j LEFT JOIN queues q ON q.PANDA_QUEUE = j.COMPUTINGSITE
               WHERE v_shortest IS NOT NULL
                 AND j.JOBSTATUS IN ('running', 'starting', 'transferring')
                 AND j.MODIFICATIONTIME < v_now - v_shortest / 1440
                 AND NVL(q.enabled, 1) = 1
                 AND ((j.JOBSTATUS IN ('running', 'starting')
                       AND j.MODIFICATIONTIME < v_now - NVL(q.workflow_minutes, v_minutes) / 1440)
                      OR (j.JOBSTATUS = 'transferring' AND j.JOBSUBSTATUS IS NOT NULL AND j.JOBSUBSTATUS <> 'NULL'
                          AND q.workflow_minutes IS NOT NULL AND j.MODIFICATIONTIME < v_now - q.workflow_minutes / 1440))
               ORDER BY j.PANDAID FOR UPDATE OF j.PANDAID SKIP LOCKED) LOOP
        -- as PanDA's Watcher: a job that lost its heartbeat ended at its last heartbeat
        EXECUTE IMMEDIATE v_job_sql INTO v_job USING r.PANDAID;
        v_changes := JSON_OBJECT_T.parse(v_failure);
        IF ATLAS_PANDA.JOB_IS_EPOCH(PANDADB_SUPPORT.member_text(JSON_OBJECT_T.parse(v_job), 'endtime')) THEN
            v_changes.put('endtime', JSON_OBJECT_T.parse(v_job).get('modificationtime'));
        END IF;
        ATLAS_PANDA.WATCHDOG_END_JOB('jobsactive4', v_job, v_changes.to_clob(), 'modificationtime');
        v_count := v_count + 1;
    END LOOP;
    v_result.put('lost_heartbeat', v_count);

    -- running too long
    v_minutes := ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES('RUNNING_TIMEOUT_MINUTES');
    v_count := 0;
    v_changes := JSON_OBJECT_T();
    v_changes.put('jobstatus', 'failed');
    v_changes.put('jobdispatchererrorcode', 105);
    v_changes.put('jobdispatchererrordiag', 'timeout in running : status unchanged since %s');
    v_failure := v_changes.to_clob();
    FOR r IN (SELECT j.PANDAID FROM ATLAS_PANDA.JOBSACTIVE4 j
                LEFT JOIN ATLAS_PANDA.SCHEDCONFIG_JSON q ON q.PANDA_QUEUE = j.COMPUTINGSITE
               WHERE v_minutes IS NOT NULL AND j.JOBSTATUS = 'running' AND j.STATECHANGETIME < v_now - v_minutes / 1440
                 AND ATLAS_PANDA.WATCHDOG_QUEUE_ENABLED(q.DATA) = 1
               ORDER BY j.PANDAID FOR UPDATE OF j.PANDAID SKIP LOCKED) LOOP
        EXECUTE IMMEDIATE v_job_sql INTO v_job USING r.PANDAID;
        ATLAS_PANDA.WATCHDOG_END_JOB('jobsactive4', v_job, v_failure, 'statechangetime');
        v_count := v_count + 1;
    END LOOP;
    v_result.put('running_timeout', v_count);

    -- holding: high priority (>= 800) and the rest have their own timeouts
    FOR v_hp IN 0 .. 1 LOOP
        v_minutes := ATLAS_PANDA.WATCHDOG_TIMEOUT_MINUTES(CASE v_hp WHEN 1 THEN 'HOLDING_HP_TIMEOUT_MINUTES'
                                                                    ELSE 'HOLDING_TIMEOUT_MINUTES' END);
        v_count := 0;
        v_changes := JSON_OBJECT_T();
        v_changes.put('jobstatus', 'failed');
        v_changes.put('jobdispatchererrorcode', 103);
        v_changes.put('jobdispatchererrordiag', 'timeout in holding : last heartbeat at %s');
        v_failure := v_changes.to_clob();
        FOR r IN (SELECT j.PANDAID FROM ATLAS_PANDA.JOBSACTIVE4 j
                    LEFT JOIN ATLAS_PANDA.SCHEDCONFIG_JSON q ON q.PANDA_QUEUE = j.COMPUTINGSITE
                   WHERE v_minutes IS NOT NULL AND j.JOBSTATUS = 'holding'
                     AND ((v_hp = 1 AND j.CURRENTPRIORITY >= 800) OR (v_hp = 0 AND j.CURRENTPRIORITY < 800))
                     AND j.MODIFICATIONTIME < v_now - v_minutes / 1440
                     AND ATLAS_PANDA.WATCHDOG_QUEUE_ENABLED(q.DATA) = 1
                   ORDER BY j.PANDAID FOR UPDATE OF j.PANDAID SKIP LOCKED) LOOP
            EXECUTE IMMEDIATE v_job_sql INTO v_job USING r.PANDAID;
            ATLAS_PANDA.WATCHDOG_END_JOB('jobsactive4', v_job, v_failure, 'modificationtime');
            v_count := v_count + 1;
        END LOOP;
        v_result.put(CASE v_hp WHEN 1 THEN 'holding_hp_timeout' ELSE 'holding_timeout' END, v_count);
    END LOOP;

    -- transferring: the cloud's transtimehi / transtimelo (days)
    v_count := 0;
    v_changes := JSON_OBJECT_T();
    v_changes.put('jobstatus', 'failed');
    v_changes.put('jobdispatchererrorcode', 104);
    v_changes.put('jobdispatchererrordiag', 'timeout in transferring : last heartbeat at %s');
    v_failure := v_changes.to_clob();
    FOR r IN (SELECT j.PANDAID FROM ATLAS_PANDA.JOBSACTIVE4 j
                JOIN ATLAS_PANDAMETA.CLOUDCONFIG c ON c.NAME = j.CLOUD
                LEFT JOIN ATLAS_PANDA.SCHEDCONFIG_JSON q ON q.PANDA_QUEUE = j.COMPUTINGSITE
               WHERE j.JOBSTATUS = 'transferring'
                 AND CASE WHEN j.CURRENTPRIORITY >= 800 THEN c.TRANSTIMEHI ELSE c.TRANSTIMELO END > 0
                 AND j.MODIFICATIONTIME < v_now - CASE WHEN j.CURRENTPRIORITY >= 800 THEN c.TRANSTIMEHI ELSE c.TRANSTIMELO END
                 AND ATLAS_PANDA.WATCHDOG_QUEUE_ENABLED(q.DATA) = 1
               ORDER BY j.PANDAID FOR UPDATE OF j.PANDAID SKIP LOCKED) LOOP
        EXECUTE IMMEDIATE v_job_sql INTO v_job USING r.PANDAID;
        ATLAS_PANDA.WATCHDOG_END_JOB('jobsactive4', v_job, v_failure, 'modificationtime');
        v_count := v_count + 1;
    END LOOP;
    v_result.put('transferring_timeout', v_count);
    RETURN v_result.to_clob();
END RUN_WATCHDOG;
/
