-- Harvester (seed 004 section 7.5; REST module `harvester` of seed 000): instances heartbeat, report
-- their workers (harvester_workers, harvester_rel_jobs_workers), service metrics, dialogs and worker
-- statistics, take commands exactly once (harvester_commands), and operators set target slots per
-- queue, share and resource type (harvester_slots) that the brokerage reads (harvester_queue_capacity).
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- Every call names a harvester instance that must be registered (`pandadb register harvester`,
-- doma_panda.register_harvester_instance): an unknown one is refused with PD003, nothing written.
-- Worker statuses (harvester's WorkerSpec): submitted, ready, pending, idle, running, and the final
-- finished, failed, cancelled, missed; a final worker never changes status again (that worker's update
-- is refused, the others of the call are applied). One row per (harvesterid, workerid): harvester_workers
-- is partitioned by lastupdate, so an update re-inserts the merged row with the new lastupdate; updates of
-- one worker (update_workers, pilot/update_worker_status) are serialized by harvester_worker_lock.

-- harvester_worker_lock: the transaction lock of one worker (advisory, released at commit).
--   p_harvester_id  the instance
--   p_worker_id     the worker
CREATE OR REPLACE FUNCTION doma_panda.harvester_worker_lock(p_harvester_id text, p_worker_id bigint)
RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('harvester_worker:' || p_harvester_id || ':' || p_worker_id, 0));
$$;

-- harvester_check_instance: PD002 without an id, PD003 when the instance is not registered.
--   p_harvester_id  the instance
CREATE OR REPLACE FUNCTION doma_panda.harvester_check_instance(p_harvester_id text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(p_harvester_id, '') = '' THEN
        RAISE EXCEPTION 'harvester_id is required' USING ERRCODE = 'PD002';
    END IF;
    PERFORM 1 FROM doma_panda.harvester_instances WHERE harvester_id = p_harvester_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'harvester instance % is not registered (pandadb register harvester)', left(p_harvester_id, 60)
            USING ERRCODE = 'PD003';
    END IF;
END;
$$;

-- harvester_timestamp: a time sent by harvester: '%Y-%m-%d %H:%M:%S[.%f]' (ISO) or Oracle's
-- 'DD-MON-YY HH24:MI:SS'; NULL stays NULL. Anything else PD002 naming p_what.
--   p_value  the JSON value
--   p_what   where it is, for the message
CREATE OR REPLACE FUNCTION doma_panda.harvester_timestamp(p_value jsonb, p_what text)
RETURNS timestamp without time zone
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_text text;
BEGIN
    IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_value) = 'string' THEN
        v_text := p_value #>> '{}';
        BEGIN
            IF v_text ~ '^\d{1,2}-[A-Za-z]{3}-\d{2}(\d{2})? \d{1,2}:\d{2}:\d{2}$' THEN
                RETURN to_timestamp(v_text, CASE WHEN v_text ~ '^\d{1,2}-[A-Za-z]{3}-\d{4}' THEN 'DD-MON-YYYY HH24:MI:SS'
                                                 ELSE 'DD-MON-YY HH24:MI:SS' END)::timestamp without time zone;
            ELSIF v_text ~ '^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$' THEN
                RETURN v_text::timestamp without time zone;
            END IF;
        EXCEPTION WHEN data_exception THEN
            NULL;
        END;
    END IF;
    RAISE EXCEPTION '%: % is not a time (%%Y-%%m-%%d %%H:%%M:%%S)', p_what, left(p_value::text, 40) USING ERRCODE = 'PD002';
END;
$$;

-- harvester_worker_columns: the WorkerSpec keys harvester sends and their harvester_workers columns.
CREATE OR REPLACE FUNCTION doma_panda.harvester_worker_columns()
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT '{"workerID": "workerid", "batchID": "batchid", "queueName": "queuename", "status": "status",
             "computingSite": "computingsite", "nCore": "ncore", "nodeID": "nodeid", "submitTime": "submittime",
             "startTime": "starttime", "endTime": "endtime", "jobType": "jobtype", "resourceType": "resourcetype",
             "nativeExitCode": "nativeexitcode", "nativeStatus": "nativestatus", "diagMessage": "diagmessage",
             "nJobs": "njobs", "computingElement": "computingelement", "submissionHost": "submissionhost",
             "harvesterHost": "harvesterhost", "errorCode": "errorcode", "minRamCount": "minramcount",
             "stdOut": "stdout", "stdErr": "stderr", "batchLog": "batchlog", "jdl": "jdl"}'::jsonb;
$$;

-- update_workers: create or update workers of an instance from WorkerSpec dictionaries (REST
-- harvester/update_workers). Keys: workerID (required), status (required for a new worker), batchID,
-- queueName, computingSite, nCore, nodeID, submitTime, startTime, endTime, jobType, resourceType,
-- nativeExitCode, nativeStatus, diagMessage (cut to 500 characters), nJobs, computingElement,
-- submissionHost, harvesterHost, errorCode, minRamCount, stdOut, stdErr, batchLog, jdl, and pandaid_list
-- (the PandaIDs the worker runs: harvester_rel_jobs_workers); other keys (syncLevel, ...) are ignored.
-- Keys not sent keep their value. A worker reaching a final status gets endTime now unless given.
-- Bad values PD002 naming the worker and key, nothing written. Workers are handled in workerID order.
-- Returns a JSON list with, per worker in input order, true (stored) or false (a final worker may not
-- change status).
--   p_harvester_id  the registered instance
--   p_workers       the list of worker dictionaries (at most 10000)
CREATE OR REPLACE FUNCTION doma_panda.update_workers(p_harvester_id text, p_workers jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_map jsonb := doma_panda.harvester_worker_columns();
    v_final text[] := ARRAY['finished', 'failed', 'cancelled', 'missed'];
    v_statuses text[] := ARRAY['submitted', 'ready', 'pending', 'idle', 'running', 'finished', 'failed', 'cancelled', 'missed'];
    v_worker jsonb;
    v_index bigint;
    v_what text;
    v_row jsonb;
    v_rows jsonb := '[]'::jsonb;
    v_key text;
    v_value jsonb;
    v_old doma_panda.harvester_workers;
    v_new doma_panda.harvester_workers;
    v_results boolean[];
    v_item jsonb;
BEGIN
    PERFORM doma_panda.harvester_check_instance(p_harvester_id);
    IF p_workers IS NULL OR jsonb_typeof(p_workers) <> 'array' THEN
        RAISE EXCEPTION 'workers must be a list of worker dictionaries' USING ERRCODE = 'PD002';
    END IF;
    IF jsonb_array_length(p_workers) > 10000 THEN
        RAISE EXCEPTION 'workers: at most 10000 in one call' USING ERRCODE = 'PD002';
    END IF;
    -- check and translate every worker first: bad input writes nothing
    FOR v_worker, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(p_workers) WITH ORDINALITY e LOOP
        v_what := format('worker %s', v_index);
        IF jsonb_typeof(v_worker) <> 'object' THEN
            RAISE EXCEPTION '%: must be a dictionary', v_what USING ERRCODE = 'PD002';
        END IF;
        IF jsonb_typeof(v_worker -> 'workerID') IS DISTINCT FROM 'number'
           OR (v_worker ->> 'workerID')::numeric <> trunc((v_worker ->> 'workerID')::numeric)
           OR (v_worker ->> 'workerID')::numeric NOT BETWEEN 0 AND 9223372036854775807 THEN
            RAISE EXCEPTION '%: workerID must be a non-negative integer', v_what USING ERRCODE = 'PD002';
        END IF;
        v_what := format('worker %s (workerID %s)', v_index, v_worker ->> 'workerID');
        IF v_worker ? 'status' AND coalesce(v_worker ->> 'status', '') <> ALL (v_statuses) THEN
            RAISE EXCEPTION '%: status % is not one of %', v_what, left(v_worker ->> 'status', 40),
                array_to_string(v_statuses, ', ') USING ERRCODE = 'PD002';
        END IF;
        v_row := '{}'::jsonb;
        FOR v_key, v_value IN SELECT e.key, e.value FROM jsonb_each(v_worker) e WHERE v_map ? e.key AND jsonb_typeof(e.value) <> 'null' LOOP
            IF v_key IN ('submitTime', 'startTime', 'endTime') THEN
                v_value := to_jsonb(doma_panda.harvester_timestamp(v_value, v_what || ' ' || v_key));
            ELSIF v_key = 'diagMessage' AND jsonb_typeof(v_value) = 'string' THEN
                v_value := to_jsonb(left(v_value #>> '{}', 500));
            END IF;
            v_row := v_row || jsonb_build_object(v_map ->> v_key, v_value);
        END LOOP;
        v_row := doma_panda.job_integral_numbers('harvester_workers', v_row);
        PERFORM doma_panda.job_check_values('harvester_workers', v_row, v_what);
        IF v_worker ? 'pandaid_list' AND jsonb_typeof(v_worker -> 'pandaid_list') <> 'null' THEN
            IF jsonb_typeof(v_worker -> 'pandaid_list') <> 'array' OR EXISTS (
                   SELECT 1 FROM jsonb_array_elements(v_worker -> 'pandaid_list') p
                    WHERE jsonb_typeof(p) <> 'number' OR (p::text)::numeric <> trunc((p::text)::numeric)
                       OR (p::text)::numeric NOT BETWEEN 1 AND 9223372036854775807) THEN
                RAISE EXCEPTION '%: pandaid_list must be a list of PandaIDs', v_what USING ERRCODE = 'PD002';
            END IF;
        END IF;
        v_rows := v_rows || jsonb_build_array(jsonb_build_object('index', v_index, 'row', v_row,
                                                                 'pandaids', coalesce(v_worker -> 'pandaid_list', '[]'::jsonb)));
    END LOOP;
    v_results := array_fill(false, ARRAY[jsonb_array_length(p_workers)]);
    FOR v_item IN SELECT r FROM jsonb_array_elements(v_rows) r ORDER BY (r -> 'row' ->> 'workerid')::bigint, (r ->> 'index')::bigint LOOP
        v_row := v_item -> 'row';
        PERFORM doma_panda.harvester_worker_lock(p_harvester_id, (v_row ->> 'workerid')::bigint);
        SELECT * INTO v_old FROM doma_panda.harvester_workers w
         WHERE w.harvesterid = p_harvester_id AND w.workerid = (v_row ->> 'workerid')::bigint
         ORDER BY w.lastupdate DESC LIMIT 1;
        IF FOUND THEN
            IF v_old.status = ANY (v_final) AND v_row ? 'status' AND v_row ->> 'status' <> v_old.status THEN
                CONTINUE;  -- false: a final worker keeps its status
            END IF;
            v_new := jsonb_populate_record(v_old, v_row || jsonb_build_object('lastupdate', v_now));
            DELETE FROM doma_panda.harvester_workers w
             WHERE w.harvesterid = p_harvester_id AND w.workerid = v_old.workerid;
        ELSE
            IF NOT v_row ? 'status' THEN
                RAISE EXCEPTION 'worker % (workerID %): status is required for a new worker', v_item ->> 'index',
                    v_row ->> 'workerid' USING ERRCODE = 'PD002';
            END IF;
            v_new := jsonb_populate_record(NULL::doma_panda.harvester_workers,
                                           jsonb_build_object('submittime', v_now) || v_row
                                           || jsonb_build_object('harvesterid', p_harvester_id, 'lastupdate', v_now));
        END IF;
        IF v_new.status = ANY (v_final) AND v_new.endtime IS NULL THEN
            v_new.endtime := v_now;
        END IF;
        INSERT INTO doma_panda.harvester_workers SELECT v_new.*;
        INSERT INTO doma_panda.harvester_rel_jobs_workers (harvesterid, workerid, pandaid, lastupdate)
        SELECT p_harvester_id, v_new.workerid, (p::text)::bigint, v_now FROM jsonb_array_elements(v_item -> 'pandaids') p
        ON CONFLICT (harvesterid, workerid, pandaid) DO UPDATE SET lastupdate = EXCLUDED.lastupdate;
        v_results[(v_item ->> 'index')::integer] := true;
    END LOOP;
    RETURN to_jsonb(v_results);
END;
$$;

-- harvester_heartbeat: an instance is alive (REST harvester/heartbeat): owner (the caller) and
-- hostname (its address) and lastupdate now; startTime, sw_version and commit_stamp from the data when
-- sent (other keys are ignored). Returns 'succeeded'.
--   p_harvester_id  the registered instance
--   p_owner         who calls (the token's user)
--   p_hostname      where from (the request's remote host)
--   p_data          {"startTime", "sw_version", "commit_stamp"} or NULL
CREATE OR REPLACE FUNCTION doma_panda.harvester_heartbeat(p_harvester_id text, p_owner text, p_hostname text,
                                                         p_data jsonb DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_start timestamp without time zone;
BEGIN
    PERFORM doma_panda.harvester_check_instance(p_harvester_id);
    IF p_data IS NOT NULL AND jsonb_typeof(p_data) NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'data must be a dictionary' USING ERRCODE = 'PD002';
    END IF;
    v_start := doma_panda.harvester_timestamp(p_data -> 'startTime', 'data startTime');
    IF length(p_data ->> 'sw_version') > 50 OR length(p_data ->> 'commit_stamp') > 100 THEN
        RAISE EXCEPTION 'data: sw_version is at most 50 and commit_stamp at most 100 characters' USING ERRCODE = 'PD002';
    END IF;
    UPDATE doma_panda.harvester_instances
       SET owner = coalesce(left(p_owner, 100), owner), hostname = coalesce(left(p_hostname, 100), hostname),
           lastupdate = doma_panda.panda_now(), starttime = coalesce(v_start, starttime),
           sw_version = coalesce(p_data ->> 'sw_version', sw_version),
           commit_stamp = coalesce(p_data ->> 'commit_stamp', commit_stamp)
     WHERE harvester_id = p_harvester_id;
    RETURN 'succeeded';
END;
$$;

-- update_service_metrics: store service metrics of an instance's hosts (REST harvester/update_service_metrics,
-- harvester_metrics). Each element is a triplet [creation_time, harvester_host, metrics] (the time and the
-- host may come in either order); metrics is the JSON text (or dictionary), at most 4000 characters.
-- Returns a JSON list of true, one per triplet. Bad triplets PD002, nothing written.
--   p_harvester_id  the registered instance
--   p_metrics       the list of triplets (at most 1000)
CREATE OR REPLACE FUNCTION doma_panda.update_service_metrics(p_harvester_id text, p_metrics jsonb)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_triplet jsonb;
    v_index bigint;
    v_time_at integer;
    v_time timestamp without time zone;
    v_host text;
    v_metrics text;
    v_rows jsonb := '[]'::jsonb;
BEGIN
    PERFORM doma_panda.harvester_check_instance(p_harvester_id);
    IF p_metrics IS NULL OR jsonb_typeof(p_metrics) <> 'array' OR jsonb_array_length(p_metrics) > 1000 THEN
        RAISE EXCEPTION 'metrics must be a list of at most 1000 [creation_time, harvester_host, metrics] triplets'
            USING ERRCODE = 'PD002';
    END IF;
    FOR v_triplet, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(p_metrics) WITH ORDINALITY e LOOP
        IF jsonb_typeof(v_triplet) <> 'array' OR jsonb_array_length(v_triplet) <> 3
           OR jsonb_typeof(v_triplet -> 0) <> 'string' OR jsonb_typeof(v_triplet -> 1) <> 'string'
           OR jsonb_typeof(v_triplet -> 2) NOT IN ('string', 'object') THEN
            RAISE EXCEPTION 'metrics element %: must be [creation_time, harvester_host, metrics]', v_index USING ERRCODE = 'PD002';
        END IF;
        v_time_at := CASE WHEN v_triplet ->> 0 ~ '^\d{4}-\d{2}-\d{2}' THEN 0 ELSE 1 END;
        v_time := doma_panda.harvester_timestamp(v_triplet -> v_time_at, format('metrics element %s creation_time', v_index));
        v_host := v_triplet ->> (1 - v_time_at);
        v_metrics := CASE WHEN jsonb_typeof(v_triplet -> 2) = 'object' THEN (v_triplet -> 2)::text ELSE v_triplet ->> 2 END;
        IF length(v_host) > 100 OR length(v_metrics) > 4000 THEN
            RAISE EXCEPTION 'metrics element %: harvester_host at most 100, metrics at most 4000 characters', v_index
                USING ERRCODE = 'PD002';
        END IF;
        v_rows := v_rows || jsonb_build_array(jsonb_build_object('creation_time', v_time, 'harvester_host', v_host,
                                                                 'metrics', v_metrics));
    END LOOP;
    INSERT INTO doma_panda.harvester_metrics (harvester_id, creation_time, harvester_host, metrics)
    SELECT p_harvester_id, (r ->> 'creation_time')::timestamp, r ->> 'harvester_host', r ->> 'metrics'
      FROM jsonb_array_elements(v_rows) r;
    RETURN (SELECT coalesce(jsonb_agg(true), '[]'::jsonb) FROM jsonb_array_elements(v_rows));
END;
$$;

-- add_harvester_dialogs: store an instance's messages (REST harvester/add_dialogs, harvester_dialogs).
-- Each dialog: diagID (required integer), moduleName, identifier, creationTime (default now),
-- messageLevel, diagMessage (cut to 500 characters). A dialog sent again (same diagID) replaces the old one.
-- Returns the number stored. Bad dialogs PD002, nothing written.
--   p_harvester_id  the registered instance
--   p_dialogs       the list of dialog dictionaries (at most 1000)
CREATE OR REPLACE FUNCTION doma_panda.add_harvester_dialogs(p_harvester_id text, p_dialogs jsonb)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_dialog jsonb;
    v_index bigint;
    v_what text;
    v_row jsonb;
    v_rows jsonb := '[]'::jsonb;
    v_now timestamp without time zone := doma_panda.panda_now();
BEGIN
    PERFORM doma_panda.harvester_check_instance(p_harvester_id);
    IF p_dialogs IS NULL OR jsonb_typeof(p_dialogs) <> 'array' OR jsonb_array_length(p_dialogs) > 1000 THEN
        RAISE EXCEPTION 'dialogs must be a list of at most 1000 dialog dictionaries' USING ERRCODE = 'PD002';
    END IF;
    FOR v_dialog, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(p_dialogs) WITH ORDINALITY e LOOP
        v_what := format('dialog %s', v_index);
        IF jsonb_typeof(v_dialog) <> 'object' OR jsonb_typeof(v_dialog -> 'diagID') IS DISTINCT FROM 'number' THEN
            RAISE EXCEPTION '%: must be a dictionary with an integer diagID', v_what USING ERRCODE = 'PD002';
        END IF;
        v_row := jsonb_strip_nulls(jsonb_build_object(
            'harvester_id', p_harvester_id, 'diagid', v_dialog -> 'diagID', 'modulename', v_dialog -> 'moduleName',
            'identifier', v_dialog -> 'identifier',
            'creationtime', coalesce(doma_panda.harvester_timestamp(v_dialog -> 'creationTime', v_what || ' creationTime'), v_now),
            'messagelevel', v_dialog -> 'messageLevel',
            'diagmessage', CASE WHEN jsonb_typeof(v_dialog -> 'diagMessage') = 'string'
                                THEN to_jsonb(left(v_dialog ->> 'diagMessage', 500)) ELSE v_dialog -> 'diagMessage' END));
        v_row := doma_panda.job_integral_numbers('harvester_dialogs', v_row);
        PERFORM doma_panda.job_check_values('harvester_dialogs', v_row, v_what);
        v_rows := v_rows || jsonb_build_array(v_row);
    END LOOP;
    DELETE FROM doma_panda.harvester_dialogs d
     WHERE d.harvester_id = p_harvester_id
       AND d.diagid IN (SELECT (r ->> 'diagid')::bigint FROM jsonb_array_elements(v_rows) r);
    INSERT INTO doma_panda.harvester_dialogs
    SELECT (jsonb_populate_record(NULL::doma_panda.harvester_dialogs, r)).* FROM jsonb_array_elements(v_rows) r;
    RETURN jsonb_array_length(v_rows);
END;
$$;

-- report_worker_statistics: the worker counts an instance reports for a queue (REST
-- harvester/report_worker_statistics), stored as PanDA does: the instance's rows of harvester_worker_stats
-- for that queue are replaced by one row per job type, resource type and status.
-- Returns the number of rows stored. Unknown queue PD003, bad statistics PD002, nothing written.
--   p_harvester_id  the registered instance
--   p_panda_queue   the PanDA queue (computingsite)
--   p_statistics    {"<job type>": {"<resource type>": {"<worker status>": n, ...}, ...}, ...}
CREATE OR REPLACE FUNCTION doma_panda.report_worker_statistics(p_harvester_id text, p_panda_queue text, p_statistics jsonb)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_rows integer;
BEGIN
    PERFORM doma_panda.harvester_check_instance(p_harvester_id);
    PERFORM 1 FROM doma_panda.schedconfig_json WHERE panda_queue = p_panda_queue;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'panda_queue % is not a registered queue', coalesce(left(p_panda_queue, 60), 'NULL') USING ERRCODE = 'PD003';
    END IF;
    IF p_statistics IS NULL OR jsonb_typeof(p_statistics) <> 'object' OR EXISTS (
           SELECT 1 FROM jsonb_each(p_statistics) j
            WHERE jsonb_typeof(j.value) <> 'object' OR length(j.key) > 52 OR EXISTS (
                  SELECT 1 FROM jsonb_each(j.value) r
                   WHERE jsonb_typeof(r.value) <> 'object' OR length(r.key) > 56 OR EXISTS (
                         SELECT 1 FROM jsonb_each(r.value) s
                          WHERE jsonb_typeof(s.value) <> 'number' OR length(s.key) > 80
                             OR (s.value::text)::numeric <> trunc((s.value::text)::numeric)
                             OR (s.value::text)::numeric NOT BETWEEN 0 AND 2147483647))) THEN
        RAISE EXCEPTION 'statistics must be {"<job type>": {"<resource type>": {"<status>": count}}} with counts >= 0'
            USING ERRCODE = 'PD002';
    END IF;
    -- one report at a time per instance and queue
    PERFORM pg_advisory_xact_lock(hashtextextended('harvester_worker_stats:' || p_harvester_id || ':' || p_panda_queue, 0));
    DELETE FROM doma_panda.harvester_worker_stats WHERE harvester_id = p_harvester_id AND computingsite = p_panda_queue;
    INSERT INTO doma_panda.harvester_worker_stats (harvester_id, computingsite, resourcetype, status, jobtype, n_workers, lastupdate)
    SELECT p_harvester_id, p_panda_queue, r.key, s.key, j.key, (s.value::text)::numeric::integer, doma_panda.panda_now()
      FROM jsonb_each(p_statistics) j, jsonb_each(j.value) r, jsonb_each(r.value) s;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$$;

-- harvester_json_or_text: a text column holding JSON as JSON, else the text itself.
--   p_text  the text
CREATE OR REPLACE FUNCTION doma_panda.harvester_json_or_text(p_text text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN p_text::jsonb;
EXCEPTION WHEN data_exception THEN
    RETURN to_jsonb(p_text);
END;
$$;

-- acquire_harvester_commands: hand an instance its new commands, each exactly once (REST
-- harvester/acquire_commands): 'new' commands of the instance, oldest first, locked with FOR UPDATE SKIP
-- LOCKED, become 'retrieved' (status_date now) until acknowledged. Returns a JSON list of
-- {"command_id", "command", "params" (JSON when it parses, else the text), "ack_requested", "creation_date"}.
--   p_harvester_id  the registered instance
--   p_n_commands    at most this many (1..1000)
CREATE OR REPLACE FUNCTION doma_panda.acquire_harvester_commands(p_harvester_id text, p_n_commands integer)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_commands jsonb;
BEGIN
    PERFORM doma_panda.harvester_check_instance(p_harvester_id);
    IF p_n_commands IS NULL OR p_n_commands NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'n_commands must be between 1 and 1000, not %', coalesce(p_n_commands::text, 'NULL') USING ERRCODE = 'PD002';
    END IF;
    WITH picked AS (
        SELECT c.command_id FROM doma_panda.harvester_commands c
         WHERE c.harvester_id = p_harvester_id AND c.status = 'new'
         ORDER BY c.command_id
         LIMIT p_n_commands
           FOR UPDATE SKIP LOCKED
    ), handed AS (
        UPDATE doma_panda.harvester_commands c SET status = 'retrieved', status_date = doma_panda.panda_now()
          FROM picked p WHERE c.command_id = p.command_id
        RETURNING c.*
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'command_id', h.command_id, 'command', h.command,
               'params', doma_panda.harvester_json_or_text(h.params),
               'ack_requested', h.ack_requested = 1, 'creation_date', h.creation_date) ORDER BY h.command_id), '[]'::jsonb)
      INTO v_commands FROM handed h;
    RETURN v_commands;
END;
$$;

-- acknowledge_harvester_commands: the instance confirms commands it retrieved (REST
-- harvester/acknowledge_commands): 'retrieved' -> 'acknowledged', each once (a conditional update: of two
-- concurrent callers only one acknowledges a command). Returns {"acknowledged": [the ids changed now]}.
--   p_command_ids  the command ids (at most 10000)
CREATE OR REPLACE FUNCTION doma_panda.acknowledge_harvester_commands(p_command_ids bigint[])
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_ids jsonb;
BEGIN
    IF p_command_ids IS NULL OR cardinality(p_command_ids) > 10000 OR array_position(p_command_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'command_ids must be a list of at most 10000 command ids' USING ERRCODE = 'PD002';
    END IF;
    WITH acked AS (
        UPDATE doma_panda.harvester_commands c SET status = 'acknowledged', status_date = doma_panda.panda_now()
         WHERE c.command_id = ANY (p_command_ids) AND c.status = 'retrieved'
        RETURNING c.command_id
    )
    SELECT coalesce(jsonb_agg(command_id ORDER BY command_id), '[]'::jsonb) INTO v_ids FROM acked;
    RETURN jsonb_build_object('acknowledged', v_ids);
END;
$$;

-- add_sweep_command: ask the harvester instances serving a queue to kill its workers (REST
-- harvester/add_sweep_command): one 'KILL_WORKERS' command (status 'new', acknowledgement requested) per
-- instance with a worker at the queue matching the filters, params {"status": [...], "computingSite":
-- [queue], "computingElement": [...], "submissionHost": [...]}; an empty filter list matches everything.
-- Returns {"harvesters": [...], "command_ids": [...]} (empty when no instance serves the queue).
-- Unknown queue PD003; a status that is not a worker status PD002.
--   p_panda_queue            the queue
--   p_status_list            worker statuses to kill ([] or NULL: all)
--   p_ce_list                computing elements ([] or NULL: all)
--   p_submission_host_list   submission hosts ([] or NULL: all)
CREATE OR REPLACE FUNCTION doma_panda.add_sweep_command(p_panda_queue text, p_status_list text[], p_ce_list text[],
                                                       p_submission_host_list text[])
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_status text[] := coalesce(p_status_list, '{}');
    v_ce text[] := coalesce(p_ce_list, '{}');
    v_hosts text[] := coalesce(p_submission_host_list, '{}');
    v_bad text;
    v_result jsonb;
BEGIN
    PERFORM 1 FROM doma_panda.schedconfig_json WHERE panda_queue = p_panda_queue;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'panda_queue % is not a registered queue', coalesce(left(p_panda_queue, 60), 'NULL') USING ERRCODE = 'PD003';
    END IF;
    SELECT s INTO v_bad FROM unnest(v_status) s
     WHERE s IS NULL OR s NOT IN ('submitted', 'ready', 'pending', 'idle', 'running', 'finished', 'failed', 'cancelled', 'missed')
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'status_list: % is not a worker status', coalesce(left(v_bad, 40), 'NULL') USING ERRCODE = 'PD002';
    END IF;
    WITH serving AS (
        SELECT DISTINCT w.harvesterid FROM doma_panda.harvester_workers w
         WHERE w.computingsite = p_panda_queue
           AND (cardinality(v_status) = 0 OR w.status = ANY (v_status))
           AND (cardinality(v_ce) = 0 OR w.computingelement = ANY (v_ce))
           AND (cardinality(v_hosts) = 0 OR w.submissionhost = ANY (v_hosts))
    ), added AS (
        INSERT INTO doma_panda.harvester_commands (command_id, command, harvester_id, ack_requested, creation_date, status,
                                                   status_date, params)
        SELECT nextval('doma_panda.harvester_command_id_seq'), 'KILL_WORKERS', s.harvesterid, 1, doma_panda.panda_now(), 'new',
               doma_panda.panda_now(),
               jsonb_build_object('status', to_jsonb(v_status), 'computingSite', jsonb_build_array(p_panda_queue),
                                  'computingElement', to_jsonb(v_ce), 'submissionHost', to_jsonb(v_hosts))::text
          FROM serving s
        RETURNING command_id, harvester_id
    )
    SELECT jsonb_build_object('harvesters', coalesce(jsonb_agg(harvester_id ORDER BY harvester_id), '[]'::jsonb),
                              'command_ids', coalesce(jsonb_agg(command_id ORDER BY harvester_id), '[]'::jsonb))
      INTO v_result FROM added;
    RETURN v_result;
END;
$$;

-- add_target_slots: the target number of slots of a queue, optionally per global share and resource type,
-- optionally until an expiration time (REST harvester/add_target_slots; harvester_slots, seed 004 chapters
-- 12 and 14). Setting it again replaces it; a negative number removes it. Unknown queue, share or
-- resource type PD003; a bad expiration date PD002. Returns {"panda_queue", "global_share",
-- "resource_type", "slots", "expiration_date"} (slots null when removed).
--   p_panda_queue      the queue
--   p_slots            the number of slots
--   p_global_share     the share (NULL: the whole queue)
--   p_resource_type    the resource type (NULL: the whole queue)
--   p_expiration_date  '%Y-%m-%d %H:%M:%S' (NULL: never expires)
CREATE OR REPLACE FUNCTION doma_panda.add_target_slots(p_panda_queue text, p_slots bigint, p_global_share text DEFAULT NULL,
                                                      p_resource_type text DEFAULT NULL, p_expiration_date text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_expires timestamp without time zone;
    v_now timestamp without time zone := doma_panda.panda_now();
BEGIN
    PERFORM 1 FROM doma_panda.schedconfig_json WHERE panda_queue = p_panda_queue;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'panda_queue % is not a registered queue', coalesce(left(p_panda_queue, 60), 'NULL') USING ERRCODE = 'PD003';
    END IF;
    IF p_slots IS NULL THEN
        RAISE EXCEPTION 'slots is required' USING ERRCODE = 'PD002';
    END IF;
    IF p_global_share IS NOT NULL AND NOT EXISTS (SELECT 1 FROM doma_panda.global_shares WHERE name = p_global_share) THEN
        RAISE EXCEPTION 'global_share % is not a global share', left(p_global_share, 40) USING ERRCODE = 'PD003';
    END IF;
    IF p_resource_type IS NOT NULL AND NOT EXISTS (SELECT 1 FROM doma_panda.resource_types WHERE resource_name = p_resource_type) THEN
        RAISE EXCEPTION 'resource_type % is not a resource type', left(p_resource_type, 40) USING ERRCODE = 'PD003';
    END IF;
    v_expires := doma_panda.harvester_timestamp(to_jsonb(p_expiration_date), 'expiration_date');
    -- gshare and resourcetype may be NULL, which the unique constraint does not match: one writer per key
    PERFORM pg_advisory_xact_lock(hashtextextended('harvester_slots:' || p_panda_queue || ':' || coalesce(p_global_share, '')
                                                   || ':' || coalesce(p_resource_type, ''), 0));
    DELETE FROM doma_panda.harvester_slots s
     WHERE s.pandaqueuename = p_panda_queue AND s.gshare IS NOT DISTINCT FROM p_global_share
       AND s.resourcetype IS NOT DISTINCT FROM p_resource_type;
    IF p_slots >= 0 THEN
        INSERT INTO doma_panda.harvester_slots (pandaqueuename, gshare, resourcetype, numslots, modificationtime, expirationtime)
        VALUES (p_panda_queue, p_global_share, p_resource_type, p_slots, v_now, v_expires);
    END IF;
    RETURN jsonb_build_object('panda_queue', p_panda_queue, 'global_share', p_global_share, 'resource_type', p_resource_type,
                              'slots', CASE WHEN p_slots >= 0 THEN p_slots END, 'expiration_date', v_expires);
END;
$$;

-- harvester_queue_capacity: the harvester inputs of the brokerage's running-job estimate (seed 004
-- chapter 12.1 step 3), for the job generator / brokerage:
--   num_slots    the target slots (harvester_slots, not expired) that apply to the queue, share and
--                resource type: the most specific entry (share and type, then share, then type, then the
--                whole queue); NULL when none is set (0 means: use the number of starting jobs)
--   n_batch_job  the queue's harvester workers that are submitted or running (nBatchJob)
--   p_panda_queue    the queue
--   p_gshare         the global share of the jobs being brokered (NULL: the queue-wide entry only)
--   p_resource_type  their resource type (NULL: the queue-wide entry only)
CREATE OR REPLACE FUNCTION doma_panda.harvester_queue_capacity(p_panda_queue text, p_gshare text DEFAULT NULL,
                                                              p_resource_type text DEFAULT NULL)
RETURNS TABLE (num_slots bigint, n_batch_job bigint)
LANGUAGE sql STABLE AS $$
    SELECT (SELECT s.numslots FROM doma_panda.harvester_slots s
             WHERE s.pandaqueuename = p_panda_queue
               AND (s.expirationtime IS NULL OR s.expirationtime > doma_panda.panda_now())
               AND (s.gshare IS NULL OR s.gshare = p_gshare)
               AND (s.resourcetype IS NULL OR s.resourcetype = p_resource_type)
             ORDER BY (s.gshare IS NOT NULL) DESC, (s.resourcetype IS NOT NULL) DESC
             LIMIT 1),
           (SELECT count(*) FROM doma_panda.harvester_workers w
             WHERE w.computingsite = p_panda_queue AND w.status IN ('submitted', 'running'));
$$;
