-- The event service's reports (REST module `event` of seed 000: update_single_event_range, update_event_ranges
-- in their versions 0, 1 and 2) and what the end of an event-service job does to its ranges
-- (event_ranges_job_ended). Where a range lives, its statuses and attempts: see events.sql.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue

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
