-- The event service (seed 004 section 7.1.3 "Event"; REST module `event` of seed 000): the work of an
-- event-service job is a set of event ranges (doma_panda.jedi_events), shared by the consumer jobs of a
-- jobset, acquired by pilots range by range and reported back range by range.
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

-- event_range_parse: the parts of an eventRangeID (jeditaskid, pandaid, fileid, job_processid, attemptnr);
-- PD002 naming the ID when it is not '<task>-<pandaid>-<fileid>-<job_processid>-<attempt>'.
--   p_event_range_id  the eventRangeID
CREATE OR REPLACE FUNCTION doma_panda.event_range_parse(p_event_range_id text)
RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_event_range_id IS NULL OR p_event_range_id !~ '^\d{1,18}-\d{1,18}-\d{1,18}-\d{1,18}-\d{1,4}$' THEN
        RAISE EXCEPTION 'event_range_id % is not <jeditaskid>-<pandaid>-<fileid>-<job_processid>-<attempt>',
            coalesce(quote_literal(left(p_event_range_id, 100)), 'NULL') USING ERRCODE = 'PD002';
    END IF;
    RETURN string_to_array(p_event_range_id, '-')::bigint[];
END;
$$;

-- event_range_apply: apply one pilot report to one range (the job row already locked by the caller).
-- Returns NULL when applied, else the reason it was refused (unknown range, illegal transition).
--   p_parts      the parsed eventRangeID
--   p_job        the consumer job (locked), NULL when it is no longer active
--   p_status     the reported status code (2 running, 3 finished, 7 failed, 8 fatal)
--   p_report     the report: coreCount, cpuConsumptionTime, objstoreID, errorCode, errorDiag/errorMessage
--   p_version    0 normal, 1 jumbo (zip), 2 fine-grained (ready ranges of the job's jobset may be reported)
--   p_ziprow_id  the filestable4 row of the zip file holding the range's output (version 1), or NULL
CREATE OR REPLACE FUNCTION doma_panda.event_range_apply(p_parts bigint[], p_job doma_panda.jobsactive4, p_status smallint,
                                                       p_report jsonb, p_version integer, p_ziprow_id bigint)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_event doma_panda.jedi_events;
    v_max integer := doma_panda.event_max_attempts(p_parts[1]);
    v_new smallint := p_status;
    v_pandaid bigint := p_parts[2];
    v_events bigint;
BEGIN
    IF p_job.pandaid IS NULL THEN
        RETURN format('job %s is not running', v_pandaid);
    END IF;
    SELECT * INTO v_event FROM doma_panda.jedi_events e
     WHERE e.jeditaskid = p_parts[1] AND e.pandaid = v_pandaid AND e.fileid = p_parts[3] AND e.job_processid = p_parts[4]
       FOR UPDATE;
    IF FOUND AND coalesce(v_event.attemptnr, 0) <> p_parts[5] THEN
        RETURN format('event range %s-%s-%s-%s is at attempt %s', p_parts[1], p_parts[2], p_parts[3], p_parts[4],
                      coalesce(v_event.attemptnr, 0));
    END IF;
    IF NOT FOUND AND p_version = 2 AND p_job.jobsetid IS NOT NULL THEN
        -- fine-grained processing: the job reports ranges of its jobset it was not sent
        SELECT * INTO v_event FROM doma_panda.jedi_events e
         WHERE e.jeditaskid = p_parts[1] AND e.pandaid = p_job.jobsetid AND e.fileid = p_parts[3]
           AND e.job_processid = p_parts[4] AND e.status = 0
           FOR UPDATE;
    END IF;
    IF v_event.jeditaskid IS NULL OR p_job.jeditaskid IS DISTINCT FROM v_event.jeditaskid THEN
        RETURN format('event range %s-%s-%s-%s-%s not found', p_parts[1], p_parts[2], p_parts[3], p_parts[4], p_parts[5]);
    END IF;
    IF NOT (v_event.status IN (1, 2) OR (v_event.status = 0 AND p_version = 2)
            OR (v_event.status = 3 AND p_status = 3)) THEN
        RETURN format('event range %s cannot go from %s to %s', doma_panda.event_range_id(v_event.jeditaskid,
            v_event.pandaid, v_event.fileid, v_event.job_processid, v_event.attemptnr),
            doma_panda.event_status_name(v_event.status), doma_panda.event_status_name(p_status));
    END IF;
    IF v_event.status = 3 THEN
        RETURN NULL;  -- finished reported again: nothing to change
    END IF;
    IF p_status = 7 AND coalesce(v_event.attemptnr, 0) >= v_max THEN
        v_new := 8;
    END IF;
    UPDATE doma_panda.jedi_events e
       SET status = v_new,
           pandaid = CASE WHEN v_new = 7 THEN p_job.jobsetid ELSE p_job.pandaid END,
           attemptnr = CASE WHEN v_event.status = 0 THEN coalesce(e.attemptnr, 0) + 1 ELSE e.attemptnr END,
           objstore_id = coalesce((p_report ->> 'objstoreID')::bigint, e.objstore_id),
           ziprow_id = coalesce(p_ziprow_id, e.ziprow_id),
           error_code = CASE WHEN v_new IN (7, 8) THEN (p_report ->> 'errorCode')::integer ELSE e.error_code END,
           error_diag = CASE WHEN v_new IN (7, 8)
                             THEN left(coalesce(p_report ->> 'errorDiag', p_report ->> 'errorMessage'), 500)
                             ELSE e.error_diag END,
           processed_upto_eventid = CASE WHEN v_new = 3 THEN e.def_max_eventid ELSE e.processed_upto_eventid END
     WHERE e.jeditaskid = v_event.jeditaskid AND e.pandaid = v_event.pandaid AND e.fileid = v_event.fileid
       AND e.job_processid = v_event.job_processid;
    v_events := CASE WHEN v_new = 3 THEN v_event.def_max_eventid - v_event.def_min_eventid + 1 ELSE 0 END;
    UPDATE doma_panda.jobsactive4 j
       SET nevents = j.nevents + v_events,
           cpuconsumptiontime = j.cpuconsumptiontime + coalesce((p_report ->> 'cpuConsumptionTime')::numeric, 0),
           actualcorecount = coalesce((p_report ->> 'coreCount')::integer, j.actualcorecount)
     WHERE j.pandaid = p_job.pandaid
       AND (v_events > 0 OR p_report ? 'cpuConsumptionTime' OR p_report ? 'coreCount');
    RETURN NULL;
END;
$$;

-- event_report_checked: a pilot's range report with its keys checked (PD002 naming the range and key):
-- eventRangeID text, eventStatus one of running/finished/failed/fatal, numbers coreCount,
-- cpuConsumptionTime, objstoreID, errorCode; errorDiag/errorMessage text.
--   p_report  one element of update_event_ranges' list
--   p_what    where it is, for messages
CREATE OR REPLACE FUNCTION doma_panda.event_report_checked(p_report jsonb, p_what text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_report jsonb;
    v_key text;
BEGIN
    IF jsonb_typeof(p_report) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION '%: must be a JSON object', p_what USING ERRCODE = 'PD002';
    END IF;
    SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) INTO v_report
      FROM jsonb_each(p_report) e WHERE jsonb_typeof(e.value) <> 'null';
    IF jsonb_typeof(v_report -> 'eventRangeID') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION '%: eventRangeID is required', p_what USING ERRCODE = 'PD002';
    END IF;
    PERFORM doma_panda.event_range_parse(v_report ->> 'eventRangeID');
    IF coalesce(v_report ->> 'eventStatus', '') NOT IN ('running', 'finished', 'failed', 'fatal') THEN
        RAISE EXCEPTION '%: eventStatus must be running, finished, failed or fatal, not %', p_what,
            coalesce(quote_literal(left(v_report ->> 'eventStatus', 40)), 'NULL') USING ERRCODE = 'PD002';
    END IF;
    FOREACH v_key IN ARRAY ARRAY['coreCount', 'cpuConsumptionTime', 'objstoreID', 'errorCode'] LOOP
        IF v_report ? v_key AND (jsonb_typeof(v_report -> v_key) <> 'number'
                                 OR abs((v_report ->> v_key)::numeric) >= 1e15
                                 OR (v_key <> 'cpuConsumptionTime' AND (v_report ->> v_key)::numeric <> trunc((v_report ->> v_key)::numeric))
                                 OR (v_key IN ('coreCount', 'errorCode') AND abs((v_report ->> v_key)::numeric) > 2147483647)) THEN
            RAISE EXCEPTION '%: % must be a number', p_what, v_key USING ERRCODE = 'PD002';
        END IF;
    END LOOP;
    RETURN v_report;
END;
$$;

-- update_single_event_range: one pilot report of one range (REST event/update_single_event_range).
-- An unknown range, a report for an earlier attempt, or an illegal transition: PD004, nothing changes.
-- Returns {"Command": the job's command to the pilot (e.g. 'tobekilled') or null}.
--   p_event_range_id        the eventRangeID
--   p_event_range_status    running, finished, failed or fatal
--   p_core_count            cores used (the job's actualcorecount)
--   p_cpu_consumption_time  CPU seconds, added to the job's cpuconsumptiontime
--   p_object_store_id       the object store holding the range's output
--   p_requester_vo          the caller's VO (NULL: no check)
CREATE OR REPLACE FUNCTION doma_panda.update_single_event_range(p_event_range_id text, p_event_range_status text,
                                                               p_core_count integer DEFAULT NULL,
                                                               p_cpu_consumption_time double precision DEFAULT NULL,
                                                               p_object_store_id bigint DEFAULT NULL,
                                                               p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_report jsonb;
    v_parts bigint[];
    v_job doma_panda.jobsactive4;
    v_refused text;
BEGIN
    v_report := doma_panda.event_report_checked(jsonb_strip_nulls(jsonb_build_object(
        'eventRangeID', p_event_range_id, 'eventStatus', p_event_range_status, 'coreCount', p_core_count,
        'cpuConsumptionTime', p_cpu_consumption_time, 'objstoreID', p_object_store_id)), 'event range');
    v_parts := doma_panda.event_range_parse(p_event_range_id);
    v_job := doma_panda.event_consumer_job(v_parts[2], p_requester_vo, 'update');
    v_refused := doma_panda.event_range_apply(v_parts, v_job, doma_panda.event_status_code(p_event_range_status),
                                              v_report, 0, NULL);
    IF v_refused IS NOT NULL THEN
        RAISE EXCEPTION '%', v_refused USING ERRCODE = 'PD004';
    END IF;
    RETURN jsonb_build_object('Command', v_job.commandtopilot);
END;
$$;

-- update_event_ranges: the bulk report of ranges (REST event/update_event_ranges).
--   version 0: [{"eventRangeID", "eventStatus", "coreCount", "cpuConsumptionTime", "objstoreID",
--              "errorCode", "errorDiag"}, ...]
--   version 1 (jumbo jobs with zip files): [{"zipFile": {"lfn", "objstoreID", "fsize", "adler32",
--              "scope", "numEvents", "pathConvention"}, "eventRanges": [ranges as in version 0]}, ...]; the zip
--              file becomes a 'zipoutput' row of the job in filestable4 and the ranges point at it (ziprow_id)
--   version 2 (fine-grained): as version 0, and ranges of the job's jobset that were never sent may be
--              reported by the job (ready -> running / finished / failed / fatal)
-- Malformed input (not a list, bad eventRangeID, unknown status, wrong types, another VO's job) refuses the
-- whole call, nothing changed (PD002 / PD005). Each well-formed report is applied or refused on its own
-- (a range of an unknown or ended job is refused, with the command 'tobekilled' for that job).
-- Returns {"Returns": [true|false per range, in input order], "Commands": {"<PandaID>": command},
-- "Errors": {"<eventRangeID>": why it was refused}}.
--   p_event_ranges  the list (JSON), as above
--   p_version       0, 1 or 2
--   p_requester_vo  the caller's VO (NULL: no check)
CREATE OR REPLACE FUNCTION doma_panda.update_event_ranges(p_event_ranges jsonb, p_version integer DEFAULT 0,
                                                         p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_version integer := coalesce(p_version, 0);
    v_reports jsonb := '[]'::jsonb;    -- [{"report", "zip" (index into v_zips or null)}]
    v_zips jsonb := '[]'::jsonb;
    v_element jsonb;
    v_index bigint;
    v_inner jsonb;
    v_inner_index bigint;
    v_item jsonb;
    v_zip jsonb;
    v_zip_rows bigint[] := '{}';
    v_pandaid bigint;
    v_job doma_panda.jobsactive4;
    v_jobs jsonb := '{}'::jsonb;
    v_parts bigint[];
    v_refused text;
    v_returns jsonb := '[]'::jsonb;
    v_errors jsonb := '{}'::jsonb;
    v_commands jsonb := '{}'::jsonb;
    v_row_id bigint;
    v_now timestamp without time zone := doma_panda.panda_now();
BEGIN
    IF v_version NOT IN (0, 1, 2) THEN
        RAISE EXCEPTION 'version must be 0, 1 or 2, not %', v_version USING ERRCODE = 'PD002';
    END IF;
    IF p_event_ranges IS NULL OR jsonb_typeof(p_event_ranges) <> 'array' THEN
        RAISE EXCEPTION 'event_ranges must be a JSON list of event ranges' USING ERRCODE = 'PD002';
    END IF;
    IF jsonb_array_length(p_event_ranges) > 10000 THEN
        RAISE EXCEPTION 'event_ranges: at most 10000 elements in one call' USING ERRCODE = 'PD002';
    END IF;
    -- check everything first: malformed input changes nothing
    FOR v_element, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(p_event_ranges) WITH ORDINALITY e LOOP
        IF v_version = 1 AND jsonb_typeof(v_element) = 'object' AND v_element ? 'eventRanges' THEN
            IF jsonb_typeof(v_element -> 'eventRanges') <> 'array' THEN
                RAISE EXCEPTION 'event_ranges element %: eventRanges must be a list', v_index USING ERRCODE = 'PD002';
            END IF;
            v_zip := NULL;
            IF jsonb_typeof(v_element -> 'zipFile') = 'object' THEN
                v_zip := v_element -> 'zipFile';
                IF jsonb_typeof(v_zip -> 'lfn') IS DISTINCT FROM 'string' OR length(v_zip ->> 'lfn') NOT BETWEEN 1 AND 256
                   OR (v_zip ? 'fsize' AND jsonb_typeof(v_zip -> 'fsize') <> 'number')
                   OR (v_zip ? 'objstoreID' AND jsonb_typeof(v_zip -> 'objstoreID') NOT IN ('number', 'null'))
                   OR length(v_zip ->> 'adler32') > 36 THEN
                    RAISE EXCEPTION 'event_ranges element %: zipFile needs an lfn (text, at most 256 characters), numbers fsize and objstoreID',
                        v_index USING ERRCODE = 'PD002';
                END IF;
                v_zips := v_zips || jsonb_build_array(v_zip);
            ELSIF v_element ? 'zipFile' AND jsonb_typeof(v_element -> 'zipFile') <> 'null' THEN
                RAISE EXCEPTION 'event_ranges element %: zipFile must be an object', v_index USING ERRCODE = 'PD002';
            END IF;
            FOR v_inner, v_inner_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(v_element -> 'eventRanges') WITH ORDINALITY e LOOP
                v_item := doma_panda.event_report_checked(v_inner, format('event_ranges element %s range %s', v_index, v_inner_index));
                v_reports := v_reports || jsonb_build_array(jsonb_build_object(
                    'report', v_item, 'zip', CASE WHEN v_zip IS NULL THEN NULL ELSE jsonb_array_length(v_zips) END));
            END LOOP;
        ELSE
            v_item := doma_panda.event_report_checked(v_element, format('event_ranges element %s', v_index));
            v_reports := v_reports || jsonb_build_array(jsonb_build_object('report', v_item, 'zip', NULL));
        END IF;
    END LOOP;
    -- lock the consumer jobs in PandaID order (then their ranges): the order job_finalize uses
    FOR v_pandaid IN SELECT DISTINCT (doma_panda.event_range_parse(r -> 'report' ->> 'eventRangeID'))[2] AS id
                       FROM jsonb_array_elements(v_reports) r ORDER BY 1 LOOP
        BEGIN
            v_job := doma_panda.event_consumer_job(v_pandaid, p_requester_vo, 'update');
        EXCEPTION WHEN SQLSTATE 'PD003' THEN
            v_job := NULL;  -- no such job: its ranges are refused one by one below
        END;
        v_jobs := v_jobs || jsonb_build_object(v_pandaid::text, CASE WHEN v_job.pandaid IS NULL THEN NULL ELSE to_jsonb(v_job) END);
        v_commands := v_commands || jsonb_build_object(v_pandaid::text,
            CASE WHEN v_job.pandaid IS NULL THEN to_jsonb('tobekilled'::text) ELSE to_jsonb(v_job.commandtopilot) END);
    END LOOP;
    -- the zip files, as 'zipoutput' rows of the job of their first range
    FOR v_index IN 1 .. jsonb_array_length(v_zips) LOOP
        v_zip := v_zips -> (v_index::integer - 1);
        SELECT (doma_panda.event_range_parse(r -> 'report' ->> 'eventRangeID'))[2] INTO v_pandaid
          FROM jsonb_array_elements(v_reports) r WHERE (r ->> 'zip')::bigint = v_index LIMIT 1;
        v_row_id := NULL;
        IF v_pandaid IS NOT NULL AND jsonb_typeof(v_jobs -> v_pandaid::text) = 'object' THEN
            v_row_id := nextval('doma_panda.filestable4_row_id_seq');
            INSERT INTO doma_panda.filestable4 (row_id, pandaid, modificationtime, lfn, type, status, fsize, checksum,
                                                scope, jeditaskid, destinationse)
            VALUES (v_row_id, v_pandaid, v_now, v_zip ->> 'lfn', 'zipoutput', 'ready', coalesce((v_zip ->> 'fsize')::bigint, 0),
                    CASE WHEN v_zip ? 'adler32' THEN 'ad:' || (v_zip ->> 'adler32') END,
                    left(v_zip ->> 'scope', 30),
                    (v_jobs -> v_pandaid::text ->> 'jeditaskid')::bigint, v_zip ->> 'objstoreID');
        END IF;
        v_zip_rows := v_zip_rows || v_row_id;
    END LOOP;
    FOR v_element IN SELECT r FROM jsonb_array_elements(v_reports) r LOOP
        v_item := v_element -> 'report';
        v_parts := doma_panda.event_range_parse(v_item ->> 'eventRangeID');
        v_job := CASE WHEN jsonb_typeof(v_jobs -> v_parts[2]::text) = 'object'
                      THEN jsonb_populate_record(NULL::doma_panda.jobsactive4, v_jobs -> v_parts[2]::text) END;
        v_refused := doma_panda.event_range_apply(v_parts, v_job, doma_panda.event_status_code(v_item ->> 'eventStatus'),
                                                  v_item, v_version,
                                                  CASE WHEN v_element ->> 'zip' IS NOT NULL THEN v_zip_rows[(v_element ->> 'zip')::integer] END);
        v_returns := v_returns || to_jsonb(v_refused IS NULL);
        IF v_refused IS NOT NULL THEN
            v_errors := v_errors || jsonb_build_object(v_item ->> 'eventRangeID', v_refused);
        END IF;
    END LOOP;
    RETURN jsonb_build_object('Returns', v_returns, 'Commands', v_commands, 'Errors', v_errors);
END;
$$;

-- event_ranges_job_ended: the ranges of a consumer job that reached a final status (called by
-- job_finalize in the same transaction). Finished ranges become done; sent and running ones go back to
-- the jobset as ready for another consumer (fatal once they had their attempts), or cancelled when the
-- task is being killed (aborting, aborted, toabort, broken, tobroken, failed), in which case the jobset's
-- unassigned ranges (ready, failed) are cancelled as well. (The job's nevents already counts the events of
-- its finished ranges; the generator counted them in jedi_datasets.neventsused when it made the jobs.)
-- Nothing to do for a job without ranges (one index probe).
--   p_job  the archived job row as JSON
CREATE OR REPLACE FUNCTION doma_panda.event_ranges_job_ended(p_job jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_task bigint := (p_job ->> 'jeditaskid')::bigint;
    v_pandaid bigint := (p_job ->> 'pandaid')::bigint;
    v_jobset bigint := (p_job ->> 'jobsetid')::bigint;
    v_max integer;
    v_killed boolean;
BEGIN
    IF v_task IS NULL OR NOT EXISTS (SELECT 1 FROM doma_panda.jedi_events e
                                      WHERE e.jeditaskid = v_task AND e.pandaid = v_pandaid AND e.status IN (1, 2, 3)) THEN
        RETURN;
    END IF;
    v_max := doma_panda.event_max_attempts(v_task);
    v_killed := v_jobset IS NULL OR EXISTS (SELECT 1 FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = v_task
                                             AND t.status IN ('aborting', 'aborted', 'toabort', 'broken', 'tobroken', 'failed'));
    UPDATE doma_panda.jedi_events e SET status = 6
     WHERE e.jeditaskid = v_task AND e.pandaid = v_pandaid AND e.status = 3;
    UPDATE doma_panda.jedi_events e
       SET status = CASE WHEN v_killed THEN 4 WHEN coalesce(e.attemptnr, 0) >= v_max THEN 8 ELSE 0 END,
           pandaid = CASE WHEN v_killed OR coalesce(e.attemptnr, 0) >= v_max THEN e.pandaid ELSE v_jobset END
     WHERE e.jeditaskid = v_task AND e.pandaid = v_pandaid AND e.status IN (1, 2);
    IF v_killed AND v_jobset IS NOT NULL THEN
        UPDATE doma_panda.jedi_events e SET status = 4
         WHERE e.jeditaskid = v_task AND e.pandaid = v_jobset AND e.status IN (0, 7);
    END IF;
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
