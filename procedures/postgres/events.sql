-- The event service (seed 004 section 7.1.3 "Event"; REST module `event` of seed 000): the work of an
-- event-service job is a set of event ranges (doma_panda.jedi_events), shared by the consumer jobs of a
-- jobset, acquired by pilots range by range and reported back range by range. The reports (update_event_ranges,
-- update_single_event_range) and the end of an event-service job's ranges are in event_reports.sql.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- Where a range lives (jedi_events primary key jeditaskid, pandaid, fileid, job_processid):
--   * unassigned (ready, or failed with attempts left): pandaid = the jobset id (jobsetid of the consumer
--     jobs); any consumer job of the jobset may acquire it;
--   * dispatched (sent, running, finished, fatal, done, cancelled): pandaid = the consumer job's PandaID.
-- job_processid is the range's first event (def_min_eventid), unique in its file. attemptnr counts the
-- dispatches of the range: it grows by one at each acquire, and the eventRangeID carries it, so a report
-- for an earlier dispatch of the same range never matches the current one.
--
-- eventRangeID = '<jeditaskid>-<pandaid>-<fileid>-<job_processid>-<attemptnr>' (PanDA's format).
--
-- Status codes (smallint jedi_events.status, PanDA's EventServiceUtils values):
--   0 ready  1 sent  2 running  3 finished  4 cancelled  5 discarded  6 done  7 failed  8 fatal  9 merged
--   10 corrupted  11 reserved_fail  12 reserved_get
-- Transitions:
--   create_event_ranges               -> ready
--   acquire_event_ranges   ready|failed -> sent               (FOR UPDATE SKIP LOCKED; never to two pilots)
--   pilot reports      sent|running -> running | finished | fatal
--                      sent|running -> failed (back to the jobset, attempts left) | fatal (attempt limit)
--                      (version 2 only) ready of the job's own jobset -> running | finished | failed | fatal
--   the consumer job ends (job_finalize -> event_ranges_job_ended):
--                      finished -> done; sent|running -> ready for another consumer (fatal at the attempt
--                      limit), or cancelled when the task is being killed (then ready|failed ranges of the
--                      jobset are cancelled too)
-- Every other report is an illegal transition: refused, nothing changes.
-- The attempt limit is the task's maxAttemptES (split rule XA), else gdpconfig event/MAX_ATTEMPTS_EVENT_RANGE (3).
--
-- Lock order: the consumer job's row first (jobsactive4), then its event ranges; update_job ->
-- job_finalize takes them in the same order, so a range report and a job end never deadlock.

-- event_status_code: the smallint of an event status name (NULL for an unknown name).
--   p_status  ready, sent, running, finished, cancelled, discarded, done, failed, fatal, merged, corrupted,
--             reserved_fail, reserved_get
CREATE OR REPLACE FUNCTION doma_panda.event_status_code(p_status text)
RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
    SELECT (array_position(ARRAY['ready', 'sent', 'running', 'finished', 'cancelled', 'discarded', 'done', 'failed',
                                 'fatal', 'merged', 'corrupted', 'reserved_fail', 'reserved_get'], lower(p_status)) - 1)::smallint;
$$;

-- event_status_name: the name of an event status code.
--   p_code  the jedi_events.status value
CREATE OR REPLACE FUNCTION doma_panda.event_status_name(p_code smallint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (ARRAY['ready', 'sent', 'running', 'finished', 'cancelled', 'discarded', 'done', 'failed',
                  'fatal', 'merged', 'corrupted', 'reserved_fail', 'reserved_get'])[p_code + 1];
$$;

-- event_range_id: the eventRangeID of a range, '<jeditaskid>-<pandaid>-<fileid>-<job_processid>-<attemptnr>'.
--   p_jeditaskid, p_pandaid, p_fileid, p_job_processid, p_attemptnr  the range's key and attempt
CREATE OR REPLACE FUNCTION doma_panda.event_range_id(p_jeditaskid bigint, p_pandaid bigint, p_fileid bigint,
                                                    p_job_processid bigint, p_attemptnr smallint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('%s-%s-%s-%s-%s', p_jeditaskid, p_pandaid, p_fileid, p_job_processid, coalesce(p_attemptnr, 0));
$$;

-- event_max_attempts: how many dispatches a range of a task gets before it is fatal: the task's
-- maxAttemptES (split rule XA=n), else gdpconfig event/MAX_ATTEMPTS_EVENT_RANGE, else 3.
--   p_jeditaskid  the task (NULL: the configured value)
CREATE OR REPLACE FUNCTION doma_panda.event_max_attempts(p_jeditaskid bigint DEFAULT NULL)
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT (substring(t.splitrule FROM '(?:^|,)XA=(\d{1,4})(?:,|$)'))::integer
                       FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid),
                    doma_panda.get_config_value('event', 'MAX_ATTEMPTS_EVENT_RANGE')::integer, 3);
$$;

-- create_event_ranges: split files of an event-service task into event ranges of a jobset
-- (jedi_events rows, status ready, pandaid = the jobset id). This is the contract the job generator
-- calls for event-service tasks (task parameter nEventsPerRange, nEventsPerWorker...) after it has
-- inserted the consumer jobs (jobsetid = p_jobsetid, eventservice = 1, same jeditaskid).
-- Each file must be known: a jedi_dataset_contents row (jeditaskid, datasetid, fileid), or an input
-- file of a job of the task in filestable4 (jeditaskid, datasetid, fileid); else PD003. Its events
-- firstevent .. firstevent + nevents - 1 become ranges of p_n_events_per_range events (the last one
-- shorter). Idempotent: a range that already exists is left as it is.
-- Returns the number of ranges created. Bad input PD002, nothing written.
--   p_jeditaskid           the task
--   p_jobsetid             the jobset of the consumer jobs (their jobsetid)
--   p_files                JSON array of {"fileid", "datasetid", "nevents" (default: jedi_dataset_contents.nevents),
--                          "firstevent" (default: jedi_dataset_contents.firstevent, else 0)}
--   p_n_events_per_range   events per range (> 0)
CREATE OR REPLACE FUNCTION doma_panda.create_event_ranges(p_jeditaskid bigint, p_jobsetid bigint, p_files jsonb,
                                                         p_n_events_per_range integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_file jsonb;
    v_index bigint;
    v_fileid bigint;
    v_datasetid bigint;
    v_nevents bigint;
    v_first bigint;
    v_known_nevents bigint;
    v_known_first bigint;
    v_known boolean;
    v_created integer := 0;
    v_count integer;
BEGIN
    IF p_jeditaskid IS NULL OR p_jobsetid IS NULL THEN
        RAISE EXCEPTION 'create_event_ranges: p_jeditaskid and p_jobsetid are required' USING ERRCODE = 'PD002';
    END IF;
    IF p_n_events_per_range IS NULL OR p_n_events_per_range < 1 THEN
        RAISE EXCEPTION 'create_event_ranges: p_n_events_per_range must be a positive number, not %',
            coalesce(p_n_events_per_range::text, 'NULL') USING ERRCODE = 'PD002';
    END IF;
    IF p_files IS NULL OR jsonb_typeof(p_files) <> 'array' THEN
        RAISE EXCEPTION 'create_event_ranges: p_files must be a JSON array of file objects' USING ERRCODE = 'PD002';
    END IF;
    FOR v_file, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(p_files) WITH ORDINALITY e LOOP
        IF jsonb_typeof(v_file) <> 'object' OR jsonb_typeof(v_file -> 'fileid') IS DISTINCT FROM 'number'
           OR jsonb_typeof(v_file -> 'datasetid') IS DISTINCT FROM 'number' THEN
            RAISE EXCEPTION 'create_event_ranges: file % must be an object with numbers fileid and datasetid', v_index
                USING ERRCODE = 'PD002';
        END IF;
        IF (v_file ? 'nevents' AND jsonb_typeof(v_file -> 'nevents') <> 'number')
           OR (v_file ? 'firstevent' AND jsonb_typeof(v_file -> 'firstevent') <> 'number') THEN
            RAISE EXCEPTION 'create_event_ranges: file % nevents and firstevent must be numbers', v_index USING ERRCODE = 'PD002';
        END IF;
        v_fileid := (v_file ->> 'fileid')::bigint;
        v_datasetid := (v_file ->> 'datasetid')::bigint;
        SELECT c.nevents, c.firstevent INTO v_known_nevents, v_known_first
          FROM doma_panda.jedi_dataset_contents c
         WHERE c.jeditaskid = p_jeditaskid AND c.datasetid = v_datasetid AND c.fileid = v_fileid;
        v_known := FOUND;
        IF NOT v_known THEN
            v_known := EXISTS (SELECT 1 FROM doma_panda.filestable4 f
                                WHERE f.jeditaskid = p_jeditaskid AND f.datasetid = v_datasetid AND f.fileid = v_fileid);
        END IF;
        IF NOT v_known THEN
            RAISE EXCEPTION 'create_event_ranges: file % (fileid %, datasetid %) is not a file of task %',
                v_index, v_fileid, v_datasetid, p_jeditaskid USING ERRCODE = 'PD003';
        END IF;
        v_nevents := coalesce((v_file ->> 'nevents')::bigint, v_known_nevents);
        v_first := coalesce((v_file ->> 'firstevent')::bigint, v_known_first, 0);
        IF v_nevents IS NULL OR v_nevents < 1 OR v_first < 0 THEN
            RAISE EXCEPTION 'create_event_ranges: file % (fileid %) needs a positive nevents and a firstevent >= 0',
                v_index, v_fileid USING ERRCODE = 'PD002';
        END IF;
        INSERT INTO doma_panda.jedi_events AS e (jeditaskid, pandaid, fileid, job_processid, datasetid, status,
                                                 def_min_eventid, def_max_eventid, attemptnr)
        SELECT p_jeditaskid, p_jobsetid, v_fileid, start_event, v_datasetid, 0,
               start_event, least(start_event + p_n_events_per_range - 1, v_first + v_nevents - 1), 0
          FROM generate_series(v_first, v_first + v_nevents - 1, p_n_events_per_range) AS start_event
         WHERE NOT EXISTS (SELECT 1 FROM doma_panda.jedi_events x
                            WHERE x.jeditaskid = p_jeditaskid AND x.fileid = v_fileid AND x.job_processid = start_event)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        v_created := v_created + v_count;
    END LOOP;
    RETURN v_created;
END;
$$;

-- event_consumer_job: the active consumer job of an event-range call, locked (p_lock_mode 'update' or
-- 'key share'), or NULL when it is no longer active (ended, or not yet dispatched). Unknown PandaID PD003;
-- a job of another VO than the caller's PD005.
--   p_pandaid        the consumer job
--   p_requester_vo   the caller's VO (NULL: no check, e.g. psql)
--   p_lock_mode      'update' or 'key share'
CREATE OR REPLACE FUNCTION doma_panda.event_consumer_job(p_pandaid bigint, p_requester_vo text, p_lock_mode text)
RETURNS doma_panda.jobsactive4
LANGUAGE plpgsql AS $$
DECLARE
    v_job doma_panda.jobsactive4;
    v_vo text;
BEGIN
    IF p_lock_mode = 'update' THEN
        SELECT * INTO v_job FROM doma_panda.jobsactive4 j WHERE j.pandaid = p_pandaid FOR UPDATE;
    ELSE
        SELECT * INTO v_job FROM doma_panda.jobsactive4 j WHERE j.pandaid = p_pandaid FOR KEY SHARE;
    END IF;
    IF v_job.pandaid IS NOT NULL THEN
        v_vo := v_job.vo;
    ELSE
        SELECT vo INTO v_vo FROM (
            SELECT vo FROM doma_panda.jobsarchived4 WHERE pandaid = p_pandaid
            UNION ALL SELECT vo FROM doma_panda.jobsdefined4 WHERE pandaid = p_pandaid
            UNION ALL SELECT vo FROM doma_panda.jobswaiting4 WHERE pandaid = p_pandaid) j LIMIT 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'job % not found', p_pandaid USING ERRCODE = 'PD003';
        END IF;
    END IF;
    IF p_requester_vo IS NOT NULL AND v_vo IS NOT NULL AND v_vo <> p_requester_vo THEN
        RAISE EXCEPTION 'job % belongs to VO %, not to %', p_pandaid, v_vo, p_requester_vo USING ERRCODE = 'PD005';
    END IF;
    IF v_job.pandaid IS NOT NULL AND v_job.jobstatus NOT IN ('sent', 'starting', 'running', 'transferring', 'holding') THEN
        RETURN NULL;
    END IF;
    RETURN v_job;
END;
$$;

-- acquire_event_ranges: give the pilot of a consumer job up to n unassigned ranges of its jobset
-- (REST event/acquire_event_ranges). The ranges (ready, or failed with attempts left) are locked with
-- FOR UPDATE SKIP LOCKED, become 'sent' to the job (pandaid = the job, attemptnr + 1): concurrent pilots
-- never receive the same range. A job that is not running (ended, or told 'tobekilled') gets [].
-- Returns a JSON array of {"eventRangeID", "startEvent", "lastEvent", "LFN", "GUID", "scope"}, in file and
-- event order (scattered: the first range of each file first). Unknown job PD003, jobset or task that is
-- not the job's PD002, another VO's job PD005.
--   p_pandaid        the consumer job (job_id)
--   p_jobsetid       its jobset (jobset_id)
--   p_jeditaskid     its task (task_id; NULL: the job's)
--   p_n_ranges       how many ranges (NULL: 10; at most 1000)
--   p_scattered      spread over files instead of consecutive ranges
--   p_segment_id     only ranges of this dataset (segment) when given
--   p_requester_vo   the caller's VO (NULL: no check)
CREATE OR REPLACE FUNCTION doma_panda.acquire_event_ranges(p_pandaid bigint, p_jobsetid bigint,
                                                          p_jeditaskid bigint DEFAULT NULL, p_n_ranges integer DEFAULT 10,
                                                          p_scattered boolean DEFAULT false, p_segment_id bigint DEFAULT NULL,
                                                          p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_job doma_panda.jobsactive4;
    v_n integer := coalesce(p_n_ranges, 10);
    v_ranges jsonb;
BEGIN
    IF p_pandaid IS NULL OR p_jobsetid IS NULL THEN
        RAISE EXCEPTION 'job_id and jobset_id are required' USING ERRCODE = 'PD002';
    END IF;
    IF v_n < 1 THEN
        RAISE EXCEPTION 'n_ranges must be a positive number, not %', v_n USING ERRCODE = 'PD002';
    END IF;
    v_n := least(v_n, 1000);
    v_job := doma_panda.event_consumer_job(p_pandaid, p_requester_vo, 'key share');
    IF v_job.pandaid IS NULL OR v_job.commandtopilot = 'tobekilled' THEN
        RETURN '[]'::jsonb;
    END IF;
    IF v_job.jobsetid IS DISTINCT FROM p_jobsetid THEN
        RAISE EXCEPTION 'jobset_id % is not the jobset of job % (%)', p_jobsetid, p_pandaid,
            coalesce(v_job.jobsetid::text, 'none') USING ERRCODE = 'PD002';
    END IF;
    IF v_job.jeditaskid IS NULL OR (p_jeditaskid IS NOT NULL AND p_jeditaskid <> v_job.jeditaskid) THEN
        RAISE EXCEPTION 'task_id % is not the task of job % (%)', coalesce(p_jeditaskid::text, 'NULL'), p_pandaid,
            coalesce(v_job.jeditaskid::text, 'none') USING ERRCODE = 'PD002';
    END IF;
    WITH picked AS (
        SELECT e.jeditaskid, e.pandaid, e.fileid, e.job_processid
          FROM doma_panda.jedi_events e
         WHERE e.jeditaskid = v_job.jeditaskid AND e.pandaid = p_jobsetid AND e.status IN (0, 7)
           AND (p_segment_id IS NULL OR e.datasetid = p_segment_id)
         ORDER BY CASE WHEN p_scattered THEN e.job_processid END, e.fileid, e.job_processid
         LIMIT v_n
           FOR UPDATE SKIP LOCKED
    ), sent AS (
        UPDATE doma_panda.jedi_events e
           SET status = 1, pandaid = p_pandaid, attemptnr = coalesce(e.attemptnr, 0) + 1,
               error_code = NULL, error_diag = NULL
          FROM picked p
         WHERE e.jeditaskid = p.jeditaskid AND e.pandaid = p.pandaid AND e.fileid = p.fileid
           AND e.job_processid = p.job_processid
        RETURNING e.*
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'eventRangeID', doma_panda.event_range_id(s.jeditaskid, s.pandaid, s.fileid, s.job_processid, s.attemptnr),
               'startEvent', s.def_min_eventid,
               'lastEvent', s.def_max_eventid,
               'LFN', f.lfn, 'GUID', f.guid, 'scope', f.scope)
             ORDER BY CASE WHEN p_scattered THEN s.job_processid END, s.fileid, s.job_processid), '[]'::jsonb)
      INTO v_ranges
      FROM sent s
      LEFT JOIN LATERAL (
          SELECT c.lfn, c.guid, c.scope FROM doma_panda.jedi_dataset_contents c
           WHERE c.jeditaskid = s.jeditaskid AND c.datasetid = s.datasetid AND c.fileid = s.fileid
          UNION ALL
          SELECT x.lfn, x.guid, x.scope FROM doma_panda.filestable4 x
           WHERE x.jeditaskid = s.jeditaskid AND x.datasetid = s.datasetid AND x.fileid = s.fileid
          LIMIT 1) f ON true;
    RETURN v_ranges;
END;
$$;

-- get_available_event_range_count: how many ranges of a jobset can still be acquired (ready, or failed
-- with attempts left) (REST event/get_available_event_range_count).
--   p_pandaid     the consumer job (checked: PD003 unknown, PD005 another VO's)
--   p_jobsetid    the jobset
--   p_jeditaskid  the task
--   p_requester_vo  the caller's VO (NULL: no check)
CREATE OR REPLACE FUNCTION doma_panda.get_available_event_range_count(p_pandaid bigint, p_jobsetid bigint, p_jeditaskid bigint,
                                                                     p_requester_vo text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_vo text;
BEGIN
    IF p_pandaid IS NULL OR p_jobsetid IS NULL OR p_jeditaskid IS NULL THEN
        RAISE EXCEPTION 'job_id, jobset_id and task_id are required' USING ERRCODE = 'PD002';
    END IF;
    SELECT vo INTO v_vo FROM (
        SELECT vo FROM doma_panda.jobsactive4 WHERE pandaid = p_pandaid
        UNION ALL SELECT vo FROM doma_panda.jobsarchived4 WHERE pandaid = p_pandaid
        UNION ALL SELECT vo FROM doma_panda.jobsdefined4 WHERE pandaid = p_pandaid
        UNION ALL SELECT vo FROM doma_panda.jobswaiting4 WHERE pandaid = p_pandaid) j LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % not found', p_pandaid USING ERRCODE = 'PD003';
    END IF;
    IF p_requester_vo IS NOT NULL AND v_vo IS NOT NULL AND v_vo <> p_requester_vo THEN
        RAISE EXCEPTION 'job % belongs to VO %, not to %', p_pandaid, v_vo, p_requester_vo USING ERRCODE = 'PD005';
    END IF;
    RETURN (SELECT count(*) FROM doma_panda.jedi_events e
             WHERE e.jeditaskid = p_jeditaskid AND e.pandaid = p_jobsetid AND e.status IN (0, 7));
END;
$$;

-- get_event_range_statuses: the ranges of jobs (REST event/get_event_range_statuses).
-- Returns {"<job_id>": {"<eventRangeID>": {"status": name, "error": error_code, "dialog": error_diag}}};
-- a job without ranges maps to {}. Ranges of another VO's task are not shown.
--   p_job_task_ids  JSON list of {"task_id", "job_id"} (at most 1000)
--   p_requester_vo  the caller's VO (NULL: no check)
CREATE OR REPLACE FUNCTION doma_panda.get_event_range_statuses(p_job_task_ids jsonb, p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_pair jsonb;
    v_index bigint;
    v_result jsonb := '{}'::jsonb;
    v_ranges jsonb;
BEGIN
    IF p_job_task_ids IS NULL OR jsonb_typeof(p_job_task_ids) <> 'array' THEN
        RAISE EXCEPTION 'job_task_ids must be a JSON list of {"task_id": ..., "job_id": ...}' USING ERRCODE = 'PD002';
    END IF;
    IF jsonb_array_length(p_job_task_ids) > 1000 THEN
        RAISE EXCEPTION 'job_task_ids: at most 1000 pairs' USING ERRCODE = 'PD002';
    END IF;
    FOR v_pair, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(p_job_task_ids) WITH ORDINALITY e LOOP
        IF jsonb_typeof(v_pair) <> 'object' OR jsonb_typeof(v_pair -> 'task_id') IS DISTINCT FROM 'number'
           OR jsonb_typeof(v_pair -> 'job_id') IS DISTINCT FROM 'number'
           OR (v_pair ->> 'task_id')::numeric <> trunc((v_pair ->> 'task_id')::numeric)
           OR (v_pair ->> 'job_id')::numeric <> trunc((v_pair ->> 'job_id')::numeric)
           OR abs((v_pair ->> 'task_id')::numeric) >= 1e18 OR abs((v_pair ->> 'job_id')::numeric) >= 1e18 THEN
            RAISE EXCEPTION 'job_task_ids element %: needs integers task_id and job_id', v_index USING ERRCODE = 'PD002';
        END IF;
        SELECT coalesce(jsonb_object_agg(
                   doma_panda.event_range_id(e.jeditaskid, e.pandaid, e.fileid, e.job_processid, e.attemptnr),
                   jsonb_build_object('status', doma_panda.event_status_name(e.status), 'error', e.error_code,
                                      'dialog', e.error_diag)), '{}'::jsonb)
          INTO v_ranges
          FROM doma_panda.jedi_events e
         WHERE e.jeditaskid = (v_pair ->> 'task_id')::bigint AND e.pandaid = (v_pair ->> 'job_id')::bigint
           AND (p_requester_vo IS NULL OR NOT EXISTS (
                   SELECT 1 FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = e.jeditaskid AND t.vo <> p_requester_vo));
        v_result := v_result || jsonb_build_object(v_pair ->> 'job_id', coalesce(v_result -> (v_pair ->> 'job_id'), '{}'::jsonb) || v_ranges);
    END LOOP;
    RETURN v_result;
END;
$$;

-- event_service_jobs_generated: the Job Generator's hook for event-service tasks (generate_task_jobs calls
-- it with the jobs it has just inserted, in the same transaction). For a task whose parameters say
-- eventService (1 or true; or jedi_tasks.eventservice = 1) the jobs become event-service consumers
-- (eventservice = 1; their jobsetid is the generator's, the task id when it set none) and their input files
-- become event ranges of their jobset (create_event_ranges) of nEventsPerRange events (task parameter
-- nEventsPerRange, else nEventsPerWorker, else 1): a file's events are its nevents from its startevent (0
-- when unset). Returns the number of ranges created (0 for other tasks: nothing changes).
--   p_jeditaskid  the task
--   p_pandaids    the jobs just generated
CREATE OR REPLACE FUNCTION doma_panda.event_service_jobs_generated(p_jeditaskid bigint, p_pandaids bigint[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_params jsonb;
    v_per_range bigint;
    v_jobset record;
    v_created integer := 0;
BEGIN
    SELECT CASE WHEN p.taskparams IS NULL THEN '{}'::jsonb ELSE doma_panda.harvester_json_or_text(p.taskparams) END
      INTO v_params FROM doma_panda.jedi_taskparams p WHERE p.jeditaskid = p_jeditaskid;
    IF jsonb_typeof(v_params) IS DISTINCT FROM 'object' THEN
        v_params := '{}'::jsonb;
    END IF;
    IF NOT (lower(coalesce(v_params ->> 'eventService', '')) IN ('1', 'true')
            OR EXISTS (SELECT 1 FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid AND t.eventservice = 1)) THEN
        RETURN 0;
    END IF;
    v_per_range := CASE WHEN jsonb_typeof(v_params -> 'nEventsPerRange') = 'number' THEN (v_params ->> 'nEventsPerRange')::numeric
                        WHEN jsonb_typeof(v_params -> 'nEventsPerWorker') = 'number' THEN (v_params ->> 'nEventsPerWorker')::numeric
                        ELSE 1 END;
    IF v_per_range < 1 OR v_per_range > 2147483647 THEN
        RAISE EXCEPTION 'nEventsPerRange of task % must be a positive number, not %', p_jeditaskid, v_per_range
            USING ERRCODE = 'PD002';
    END IF;
    UPDATE doma_panda.jobsactive4 j SET eventservice = 1, jobsetid = coalesce(j.jobsetid, p_jeditaskid)
     WHERE j.pandaid = ANY (p_pandaids);
    FOR v_jobset IN
        SELECT j.jobsetid,
               jsonb_agg(DISTINCT jsonb_build_object(
                   'fileid', f.fileid, 'datasetid', f.datasetid,
                   'nevents', greatest(coalesce(c.nevents, c.endevent - c.startevent + 1, 1), 1),
                   'firstevent', greatest(coalesce(c.startevent, 0), 0))) AS files
          FROM doma_panda.jobsactive4 j
          JOIN doma_panda.filestable4 f ON f.pandaid = j.pandaid AND f.type IN ('input', 'pseudo_input')
          LEFT JOIN doma_panda.jedi_dataset_contents c
                 ON c.jeditaskid = p_jeditaskid AND c.datasetid = f.datasetid AND c.fileid = f.fileid
         WHERE j.pandaid = ANY (p_pandaids) AND f.fileid IS NOT NULL AND f.datasetid IS NOT NULL
         GROUP BY j.jobsetid
    LOOP
        v_created := v_created + doma_panda.create_event_ranges(p_jeditaskid, v_jobset.jobsetid, v_jobset.files,
                                                                 v_per_range::integer);
    END LOOP;
    RETURN v_created;
END;
$$;
