-- JEDI watchdogs (seed 004 chapter 21) and the task timeouts: the Data Locality Updater, the Task Withholder,
-- the Queue Filler, and run_task_timeouts. Each is one scheduled job of partitions/scheduled_jobs.tsv.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- Configuration is gdpconfig (doma_panda.config, app 'jedi'; the VO's value first, then 'default'):
--   component task_withholder: LIMIT_IOINTENSITY_<label> (only tasks with a higher ioIntensity are withheld,
--     default 500), LIMIT_PRIORITY_<label> (only tasks with a lower currentPriority, default 900);
--   component queue_filler: MAX_PREASSIGNED_TASKS_<label> (per empty queue, default 3), MIN_FILES_READY_<label>
--     (default 50), MIN_FILES_REMAINING_<label> (default 100), QUEUE_FILLED_JOBS (queued jobs at which a
--     queue is no longer empty and its pre-assigned tasks are released, default 20);
--   component jedi: TASK_PENDING_TIMEOUT_HOURS (pending longer -> 'exhausted', default 168),
--     TASK_REFINE_TIMEOUT_HOURS (registered/defined longer -> 'broken', default 24), TASK_ENDING_TIMEOUT_HOURS
--     (aborting/finishing longer -> ended without waiting for the jobs any more, default 24).
-- <label> is the task's prodSourceLabel (the chapter configures 'managed'); the Task Withholder and the Queue
-- Filler consider production tasks only (task_production_labels: managed, test, ...), not user tasks.
-- MAX_PREASSIGNED_TASKS is read as MAX_PREASSIGNED_TASKS_managed (a limit per queue, not per task).
--
-- Queues and replicas: a queue holds a replica when the replica's site is the queue's name or its
-- atlas_site (as the brokerage reads the replica catalogue, task_brokerage.sql). A queue is busy when its
-- queued jobs (defined, assigned, activated, starting) pass BROKER_QUEUED_CUTOFF (20) and twice its running
-- jobs; it is empty when it has no queued job; it is usable when its status is online (default).
-- Task status changes go through task_set_status (task_submission.sql): every change is in tasks_statuslog.

-- task_watchdog_number: a gdpconfig number of app 'jedi'.
--   p_component  the component (task_withholder, queue_filler, jedi)
--   p_key        the key
--   p_default    the value when unset or not a number
--   p_vo         the VO
CREATE OR REPLACE FUNCTION doma_panda.task_watchdog_number(p_component text, p_key text, p_default numeric, p_vo text DEFAULT NULL)
RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT CASE WHEN v ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN trim(v)::numeric END
                       FROM (SELECT doma_panda.get_config_value(p_component, p_key, 'jedi', p_vo) AS v) x), p_default);
$$;

-- task_queue_load: per queue of schedconfig_json: its site (atlas_site), status, and its queued and running jobs.
CREATE OR REPLACE FUNCTION doma_panda.task_queue_load()
RETURNS TABLE (queue text, atlas_site text, status text, maxrss numeric, queued bigint, running bigint)
LANGUAGE sql STABLE AS $$
    WITH jobs AS (
        SELECT j.computingsite AS q, j.jobstatus AS s FROM doma_panda.jobsactive4 j
        UNION ALL SELECT j.computingsite, j.jobstatus FROM doma_panda.jobsdefined4 j)
    SELECT q.panda_queue::text, q.data::jsonb ->> 'atlas_site', coalesce(q.data::jsonb ->> 'status', 'online'),
           CASE WHEN q.data::jsonb ->> 'maxrss' ~ '^[0-9.]+$' THEN (q.data::jsonb ->> 'maxrss')::numeric END,
           (SELECT count(*) FROM jobs WHERE jobs.q = q.panda_queue AND jobs.s IN ('defined', 'assigned', 'activated', 'starting')),
           (SELECT count(*) FROM jobs WHERE jobs.q = q.panda_queue AND jobs.s = 'running')
      FROM doma_panda.schedconfig_json q;
$$;

-- update_data_locality: the Data Locality Updater (chapter 21.1.1): for the input datasets of every active
-- task, the sites of the replica catalogue that hold files of the dataset go into jedi_dataset_locality
-- (jeditaskid, datasetid, rse = the site, timestamp); rows of sites that no longer hold any, and of tasks
-- no longer active, are removed. One transaction. Returns {"rows": n, "removed": n}.
CREATE OR REPLACE FUNCTION doma_panda.update_data_locality()
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_rows bigint;
    v_removed bigint;
BEGIN
    CREATE TEMPORARY TABLE IF NOT EXISTS task_locality_now (jeditaskid bigint, datasetid bigint, rse text) ON COMMIT DROP;
    TRUNCATE task_locality_now;
    INSERT INTO task_locality_now
    SELECT DISTINCT d.jeditaskid, d.datasetid, r.site
      FROM doma_panda.jedi_tasks t
      JOIN doma_panda.jedi_datasets d ON d.jeditaskid = t.jeditaskid AND d.type = 'input'
      JOIN doma_panda.pandadb_dataset_files f ON f.datasetname = doma_panda.replica_dataset_name(d.datasetname)
      JOIN doma_panda.pandadb_file_replicas r ON r.scope = f.scope AND r.lfn = f.lfn
     WHERE t.status IN ('defined', 'ready', 'pending', 'scouting', 'scouted', 'running', 'paused', 'throttled', 'staging');
    INSERT INTO doma_panda.jedi_dataset_locality (jeditaskid, datasetid, rse, "timestamp")
    SELECT n.jeditaskid, n.datasetid, n.rse, v_now FROM task_locality_now n
    ON CONFLICT (jeditaskid, datasetid, rse) DO UPDATE SET "timestamp" = excluded."timestamp";
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    DELETE FROM doma_panda.jedi_dataset_locality l
     WHERE NOT EXISTS (SELECT 1 FROM task_locality_now n
                        WHERE n.jeditaskid = l.jeditaskid AND n.datasetid = l.datasetid AND n.rse = l.rse);
    GET DIAGNOSTICS v_removed = ROW_COUNT;
    RETURN jsonb_build_object('rows', v_rows, 'removed', v_removed);
END;
$$;

-- run_task_withholder: the Task Withholder (chapter 21.1.2): a production task (ready, scouted or running) with
-- ioIntensity above LIMIT_IOINTENSITY_<label> and currentPriority below LIMIT_PRIORITY_<label> whose input is
-- (per jedi_dataset_locality) only at queues that are busy or not online is set 'pending' ("withheld"); the
-- Job Generator retries pending tasks after TASK_PENDING_RETRY_MINUTES like any other pending task. Tasks
-- another transaction holds are skipped. Returns {"withheld": n}.
CREATE OR REPLACE FUNCTION doma_panda.run_task_withholder()
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_task record;
    v_cutoff numeric := doma_panda.task_config_number('BROKER_QUEUED_CUTOFF', 20);
    v_withheld integer := 0;
BEGIN
    CREATE TEMPORARY TABLE IF NOT EXISTS task_queue_load_now ON COMMIT DROP AS SELECT * FROM doma_panda.task_queue_load() WITH NO DATA;
    TRUNCATE task_queue_load_now;
    INSERT INTO task_queue_load_now SELECT * FROM doma_panda.task_queue_load();
    FOR v_task IN
        SELECT t.jeditaskid, t.prodsourcelabel FROM doma_panda.jedi_tasks t
         WHERE t.status IN ('ready', 'scouted', 'running') AND t.prodsourcelabel = ANY (doma_panda.task_production_labels())
           AND coalesce(t.iointensity, 0) > doma_panda.task_watchdog_number('task_withholder', 'LIMIT_IOINTENSITY_' || coalesce(t.prodsourcelabel, ''), 500, t.vo)
           AND coalesce(t.currentpriority, 0) < doma_panda.task_watchdog_number('task_withholder', 'LIMIT_PRIORITY_' || coalesce(t.prodsourcelabel, ''), 900, t.vo)
           AND EXISTS (SELECT 1 FROM doma_panda.jedi_dataset_locality l WHERE l.jeditaskid = t.jeditaskid)
           AND NOT EXISTS (   -- some queue holding the input is usable
               SELECT 1 FROM doma_panda.jedi_dataset_locality l
                 JOIN task_queue_load_now q ON l.rse IN (q.queue, q.atlas_site)
                WHERE l.jeditaskid = t.jeditaskid AND q.status = 'online'
                  AND NOT (q.queued > v_cutoff AND q.queued > 2 * q.running))
         ORDER BY t.jeditaskid
           FOR UPDATE SKIP LOCKED
    LOOP
        PERFORM doma_panda.task_set_status(v_task.jeditaskid, 'pending',
            'withheld by the Task Withholder: every queue holding the input is busy or offline');
        v_withheld := v_withheld + 1;
    END LOOP;
    RETURN jsonb_build_object('withheld', v_withheld);
END;
$$;

-- run_queue_filler: the Queue Filler (chapter 21.1.3). First releases the tasks it pre-assigned to queues
-- that are no longer empty (QUEUE_FILLED_JOBS queued jobs) or that ended: their site is cleared. Then, for
-- each empty online queue, pre-assigns up to MAX_PREASSIGNED_TASKS_managed production tasks (ready, scouted or
-- running, no site of their own) whose input is at the queue (jedi_dataset_locality), whose memory fits the
-- queue's maxrss and that have at least MIN_FILES_READY_<label> ready and MIN_FILES_REMAINING_<label>
-- unprocessed input files: the task's site becomes the queue (the generator brokers there). A
-- pre-assignment is recorded in doma_deft.prodsys_comm (comm_cmd 'preassign', comm_comment the queue) and in
-- tasks_statuslog. Returns {"preassigned": n, "released": n}.
CREATE OR REPLACE FUNCTION doma_panda.run_queue_filler()
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_queue record;
    v_task record;
    v_preassigned integer := 0;
    v_released integer := 0;
    v_filled numeric := doma_panda.task_watchdog_number('queue_filler', 'QUEUE_FILLED_JOBS', 20);
BEGIN
    CREATE TEMPORARY TABLE IF NOT EXISTS task_queue_load_now ON COMMIT DROP AS SELECT * FROM doma_panda.task_queue_load() WITH NO DATA;
    TRUNCATE task_queue_load_now;
    INSERT INTO task_queue_load_now SELECT * FROM doma_panda.task_queue_load();
    -- release
    FOR v_task IN
        SELECT t.jeditaskid, t.status, t.attemptnr, c.comm_comment AS queue FROM doma_deft.prodsys_comm c
          JOIN doma_panda.jedi_tasks t ON t.jeditaskid = c.comm_task
          LEFT JOIN task_queue_load_now q ON q.queue = c.comm_comment
         WHERE c.comm_cmd = 'preassign' AND c.comm_owner = 'JEDI'
           AND (t.site IS DISTINCT FROM c.comm_comment OR q.queue IS NULL OR q.queued >= v_filled
                OR t.status <> ALL (ARRAY['ready', 'scouted', 'running', 'pending']))
           FOR UPDATE OF t SKIP LOCKED
    LOOP
        UPDATE doma_panda.jedi_tasks t SET site = NULL WHERE t.jeditaskid = v_task.jeditaskid AND t.site = v_task.queue;
        UPDATE doma_deft.prodsys_comm c SET comm_cmd = 'preassign_released'
         WHERE c.comm_task = v_task.jeditaskid AND c.comm_cmd = 'preassign';
        PERFORM doma_panda.task_log_status(v_task.jeditaskid, v_task.status, v_task.attemptnr,
            format('released from queue %s by the Queue Filler', v_task.queue));
        v_released := v_released + 1;
    END LOOP;
    -- pre-assign
    FOR v_queue IN SELECT * FROM task_queue_load_now q WHERE q.status = 'online' AND q.queued = 0 ORDER BY q.queue LOOP
        FOR v_task IN
            SELECT t.jeditaskid, t.status, t.attemptnr FROM doma_panda.jedi_tasks t
             WHERE t.status IN ('ready', 'scouted', 'running') AND coalesce(t.site, '') = ''
               AND t.prodsourcelabel = ANY (doma_panda.task_production_labels())
               AND EXISTS (SELECT 1 FROM doma_panda.jedi_dataset_locality l
                            WHERE l.jeditaskid = t.jeditaskid AND l.rse IN (v_queue.queue, v_queue.atlas_site))
               AND (v_queue.maxrss IS NULL OR v_queue.maxrss = 0
                    OR (coalesce(t.baseramcount, 0) + coalesce(t.ramcount, 0) * greatest(coalesce(t.corecount, 1), 1)) <= v_queue.maxrss)
               AND (SELECT count(*) FROM doma_panda.jedi_dataset_contents c
                      JOIN doma_panda.jedi_datasets d ON d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid
                     WHERE c.jeditaskid = t.jeditaskid AND d.type = 'input' AND d.masterid IS NULL AND c.status = 'ready')
                   >= doma_panda.task_watchdog_number('queue_filler', 'MIN_FILES_READY_' || coalesce(t.prodsourcelabel, ''), 50, t.vo)
               AND (SELECT count(*) FROM doma_panda.jedi_dataset_contents c
                      JOIN doma_panda.jedi_datasets d ON d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid
                     WHERE c.jeditaskid = t.jeditaskid AND d.type = 'input' AND d.masterid IS NULL
                       AND c.status NOT IN ('finished', 'failed'))
                   >= doma_panda.task_watchdog_number('queue_filler', 'MIN_FILES_REMAINING_' || coalesce(t.prodsourcelabel, ''), 100, t.vo)
             ORDER BY t.currentpriority DESC NULLS LAST, t.jeditaskid
             LIMIT (SELECT doma_panda.task_watchdog_number('queue_filler', 'MAX_PREASSIGNED_TASKS_managed', 3))::integer
               FOR UPDATE SKIP LOCKED
        LOOP
            UPDATE doma_panda.jedi_tasks t SET site = v_queue.queue, modificationtime = doma_panda.panda_now()
             WHERE t.jeditaskid = v_task.jeditaskid;
            INSERT INTO doma_deft.prodsys_comm (comm_task, comm_owner, comm_cmd, comm_ts, comm_comment, comm_parameters)
            VALUES (v_task.jeditaskid, 'JEDI', 'preassign', extract(epoch FROM doma_panda.panda_now())::bigint, v_queue.queue,
                    jsonb_build_object('queue', v_queue.queue)::text);
            PERFORM doma_panda.task_log_status(v_task.jeditaskid, v_task.status, v_task.attemptnr,
                format('pre-assigned to the empty queue %s by the Queue Filler', v_queue.queue));
            v_preassigned := v_preassigned + 1;
        END LOOP;
    END LOOP;
    RETURN jsonb_build_object('preassigned', v_preassigned, 'released', v_released);
END;
$$;

-- run_task_timeouts: the task timeouts, one transaction (tasks another transaction holds are skipped):
--   tobroken -> 'broken' at once;
--   registered / defined since more than TASK_REFINE_TIMEOUT_HOURS -> 'broken' (the refinement or the feed
--     did not finish);
--   pending since more than TASK_PENDING_TIMEOUT_HOURS -> 'exhausted' (retry brings it back);
--   aborting / finishing since more than TASK_ENDING_TIMEOUT_HOURS -> 'aborted' / 'finished' (or 'done'
--     when every input file finished) without waiting for the jobs still at pilots (the job watchdog ends them).
-- The time in a status is panda_now() - statechangetime. Returns {"broken", "exhausted", "ended"}.
CREATE OR REPLACE FUNCTION doma_panda.run_task_timeouts()
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_task record;
    v_broken integer := 0;
    v_exhausted integer := 0;
    v_ended integer := 0;
    v_hours numeric;
BEGIN
    FOR v_task IN
        SELECT t.jeditaskid, t.status, t.vo FROM doma_panda.jedi_tasks t
         WHERE t.status IN ('tobroken', 'registered', 'defined', 'pending', 'aborting', 'finishing')
         ORDER BY t.jeditaskid FOR UPDATE SKIP LOCKED
    LOOP
        IF v_task.status = 'tobroken' THEN
            PERFORM doma_panda.task_set_status(v_task.jeditaskid, 'broken', 'tobroken: broken by the task timeouts');
            v_broken := v_broken + 1;
            CONTINUE;
        END IF;
        v_hours := doma_panda.task_watchdog_number('jedi', CASE
            WHEN v_task.status IN ('registered', 'defined') THEN 'TASK_REFINE_TIMEOUT_HOURS'
            WHEN v_task.status = 'pending' THEN 'TASK_PENDING_TIMEOUT_HOURS'
            ELSE 'TASK_ENDING_TIMEOUT_HOURS' END,
            CASE WHEN v_task.status = 'pending' THEN 168 ELSE 24 END, v_task.vo);
        CONTINUE WHEN (SELECT coalesce(t.statechangetime, t.modificationtime, t.creationdate) FROM doma_panda.jedi_tasks t
                        WHERE t.jeditaskid = v_task.jeditaskid) > v_now - make_interval(secs => v_hours * 3600);
        IF v_task.status IN ('registered', 'defined') THEN
            PERFORM doma_panda.task_set_status(v_task.jeditaskid, 'broken',
                format('%s for more than %s hours: refinement did not finish', v_task.status, v_hours));
            v_broken := v_broken + 1;
        ELSIF v_task.status = 'pending' THEN
            PERFORM doma_panda.task_set_status(v_task.jeditaskid, 'exhausted', format('pending for more than %s hours', v_hours));
            v_exhausted := v_exhausted + 1;
        ELSE
            UPDATE doma_panda.jedi_datasets d SET status = 'done', modificationtime = v_now
             WHERE d.jeditaskid = v_task.jeditaskid AND d.type IN ('input', 'pseudo_input', 'output', 'log');
            PERFORM doma_panda.task_set_status(v_task.jeditaskid, CASE
                WHEN v_task.status = 'aborting' THEN 'aborted'
                WHEN NOT EXISTS (SELECT 1 FROM doma_panda.jedi_dataset_contents c
                                   JOIN doma_panda.jedi_datasets d ON d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid
                                  WHERE c.jeditaskid = v_task.jeditaskid AND d.type IN ('input', 'pseudo_input')
                                    AND d.masterid IS NULL AND c.status <> 'finished')
                     AND EXISTS (SELECT 1 FROM doma_panda.jedi_dataset_contents c WHERE c.jeditaskid = v_task.jeditaskid) THEN 'done'
                ELSE 'finished' END,
                format('%s for more than %s hours: ended without waiting for its jobs', v_task.status, v_hours));
            UPDATE doma_deft.prodsys_comm c SET comm_owner = 'JEDI' WHERE c.comm_task = v_task.jeditaskid AND c.comm_owner = 'DEFT';
            v_ended := v_ended + 1;
        END IF;
    END LOOP;
    RETURN jsonb_build_object('broken', v_broken, 'exhausted', v_exhausted, 'ended', v_ended);
END;
$$;
