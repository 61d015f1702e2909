-- The Contents Feeder (seed 004 section 7.1.2): the input files of a refined ('defined') task's datasets
-- go into jedi_dataset_contents, one row per file, status 'ready', and the task becomes 'ready' for the
-- Job Generator. Input datasets are read from the replica catalogue (replicas.sql); a task without input
-- (noInput) gets pseudo files: one per nEventsPerJob events of nEvents (startevent/endevent/firstevent),
-- or nFiles files, or one per pfnList entry. An input dataset that is not in the catalogue (or has no
-- files, unless allowEmptyInput) keeps the dataset and the task 'pending', with the reason in
-- errordialog; the periodic feeder retries pending tasks (p_retry_seconds after their last try).
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- Rule violations raise PD003 (unknown task) or PD004 (the task has nothing to feed); the database is
-- then unchanged. Task status changes go through task_set_status (task_submission.sql).

-- task_pattern_match: whether a file name passes an input item's include/exclude filters
-- (comma-separated regular expressions; a pattern with '*' but no '.*' is a shell wildcard).
--   p_lfn      the file name
--   p_include  the include patterns, or NULL (everything)
--   p_exclude  the exclude patterns, or NULL (nothing)
CREATE OR REPLACE FUNCTION doma_panda.task_pattern_match(p_lfn text, p_include text, p_exclude text)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    WITH patterns AS (
        SELECT kind, CASE WHEN strpos(p, '*') > 0 AND strpos(p, '.*') = 0
                          THEN replace(replace(p, '.', '\.'), '*', '.*') ELSE p END AS regex
          FROM (SELECT 'include' AS kind, btrim(x) AS p FROM unnest(string_to_array(p_include, ',')) x
                UNION ALL
                SELECT 'exclude', btrim(x) FROM unnest(string_to_array(p_exclude, ',')) x) s
         WHERE p <> '')
    SELECT (NOT EXISTS (SELECT 1 FROM patterns WHERE kind = 'include')
            OR EXISTS (SELECT 1 FROM patterns WHERE kind = 'include' AND p_lfn ~ regex))
       AND NOT EXISTS (SELECT 1 FROM patterns WHERE kind = 'exclude' AND p_lfn ~ regex);
$$;

-- task_dataset_counters: set a fed dataset's file and event counters from its contents and make it ready.
--   p_jeditaskid  the task
--   p_datasetid   the dataset
--   p_state       the dataset state (open/closed) to record
CREATE OR REPLACE FUNCTION doma_panda.task_dataset_counters(p_jeditaskid bigint, p_datasetid bigint, p_state text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_files bigint;
BEGIN
    UPDATE doma_panda.jedi_datasets d
       SET (nfiles, nfilestobeused, nevents, neventstobeused) =
               (SELECT count(*), count(*), coalesce(sum(c.nevents), 0), coalesce(sum(c.nevents), 0)
                  FROM doma_panda.jedi_dataset_contents c
                 WHERE c.jeditaskid = p_jeditaskid AND c.datasetid = p_datasetid),
           nfilesused = 0, nfilesfinished = 0, nfilesfailed = 0, nfilesonhold = 0, nfileswaiting = 0, nfilesmissing = 0,
           neventsused = 0, status = 'ready', state = p_state, statechecktime = v_now, modificationtime = v_now
     WHERE d.jeditaskid = p_jeditaskid AND d.datasetid = p_datasetid
    RETURNING d.nfiles INTO v_files;
    RETURN v_files;
END;
$$;

-- task_feed_pseudo: the pseudo files of a noInput task's pseudo_input dataset: one per pfnList entry;
-- else one per nEventsPerJob events of nEvents (startevent/endevent 0-based, firstevent = firstEvent
-- (default 1) + startevent); else nFiles files (nEventsPerInputFile events each, when given).
--   p_jeditaskid  the task
--   p_datasetid   its pseudo_input dataset
--   p_params      the task parameters
CREATE OR REPLACE FUNCTION doma_panda.task_feed_pseudo(p_jeditaskid bigint, p_datasetid bigint, p_params jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_max_attempt bigint := coalesce(doma_panda.task_param_int(p_params, 'maxAttempt', 1), 3);
    v_max_failure bigint := doma_panda.task_param_int(p_params, 'maxFailure', 1);
    v_events bigint := doma_panda.task_param_int(p_params, 'nEvents', 1);
    v_per_job bigint := doma_panda.task_param_int(p_params, 'nEventsPerJob', 1);
    v_per_file bigint := doma_panda.task_param_int(p_params, 'nEventsPerInputFile', 1);
    v_files bigint := doma_panda.task_param_int(p_params, 'nFiles', 1);
    v_first bigint := coalesce(doma_panda.task_param_int(p_params, 'firstEvent', 0), 1);
BEGIN
    IF jsonb_typeof(p_params -> 'pfnList') = 'array' AND jsonb_array_length(p_params -> 'pfnList') > 0 THEN
        INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, type, status,
                                                      attemptnr, maxattempt, maxfailure, failedattempt, nevents, keeptrack,
                                                      startevent, endevent, firstevent, proc_status)
        SELECT p_jeditaskid, p_datasetid, nextval('doma_panda.jedi_dataset_cont_fileid_seq'), v_now, e.value #>> '{}',
               'pseudo_input', 'ready', 0, v_max_attempt, v_max_failure, 0, v_per_file, 1,
               CASE WHEN v_per_file IS NOT NULL THEN 0 END, v_per_file - 1,
               CASE WHEN v_per_file IS NOT NULL THEN v_first END, 'ready'
          FROM jsonb_array_elements(p_params -> 'pfnList') WITH ORDINALITY e ORDER BY e.ordinality;
    ELSIF v_events IS NOT NULL AND v_per_job IS NOT NULL THEN
        INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, type, status,
                                                      attemptnr, maxattempt, maxfailure, failedattempt, nevents, keeptrack,
                                                      startevent, endevent, firstevent, proc_status)
        SELECT p_jeditaskid, p_datasetid, nextval('doma_panda.jedi_dataset_cont_fileid_seq'), v_now,
               format('pseudo_lfn.%s', lpad(i::text, 6, '0')), 'pseudo_input', 'ready', 0, v_max_attempt, v_max_failure, 0,
               least(i * v_per_job, v_events) - (i - 1) * v_per_job, 1,
               (i - 1) * v_per_job, least(i * v_per_job, v_events) - 1, v_first + (i - 1) * v_per_job, 'ready'
          FROM generate_series(1, (v_events + v_per_job - 1) / v_per_job) i ORDER BY i;
    ELSE
        INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, type, status,
                                                      attemptnr, maxattempt, maxfailure, failedattempt, nevents, keeptrack,
                                                      startevent, endevent, firstevent, proc_status)
        SELECT p_jeditaskid, p_datasetid, nextval('doma_panda.jedi_dataset_cont_fileid_seq'), v_now,
               format('pseudo_lfn.%s', lpad(i::text, 6, '0')), 'pseudo_input', 'ready', 0, v_max_attempt, v_max_failure, 0,
               coalesce(v_per_file, CASE WHEN v_events IS NOT NULL THEN v_events / v_files END), 1,
               NULL, NULL, NULL, 'ready'
          FROM generate_series(1, coalesce(v_files, 1)) i ORDER BY i;
    END IF;
    PERFORM doma_panda.task_dataset_counters(p_jeditaskid, p_datasetid, 'closed');
END;
$$;

-- task_feed_input: the files of one input dataset from the replica catalogue, in registration order,
-- through the include/exclude filters of its jobParameters item, at most nFiles for a master dataset.
-- Returns NULL when fed, else why the dataset is pending (it is then marked 'pending').
--   p_jeditaskid  the task
--   p_dataset     the jedi_datasets row
--   p_params      the task parameters
CREATE OR REPLACE FUNCTION doma_panda.task_feed_input(p_jeditaskid bigint, p_dataset doma_panda.jedi_datasets, p_params jsonb)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_name text := doma_panda.replica_dataset_name(p_dataset.datasetname);
    v_item jsonb;
    v_state text;
    v_count bigint;
    v_limit bigint := CASE WHEN p_dataset.masterid IS NULL THEN doma_panda.task_param_int(p_params, 'nFiles', 1) END;
    v_per_file bigint := doma_panda.task_param_int(p_params, 'nEventsPerInputFile', 1);
    v_reason text;
BEGIN
    SELECT e.value INTO v_item FROM jsonb_array_elements(p_params -> 'jobParameters') e
     WHERE e.value ->> 'param_type' = 'input'
       AND p_dataset.datasetname = ANY (SELECT btrim(n) FROM unnest(string_to_array(e.value ->> 'dataset', ',')) n)
     LIMIT 1;
    SELECT d.state INTO v_state FROM doma_panda.pandadb_datasets d WHERE d.datasetname = v_name;
    IF NOT FOUND THEN
        v_reason := format('input dataset %s is not in the replica catalogue (register it with pandadb register dataset)',
                           p_dataset.datasetname);
    ELSE
        INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, guid, type, status,
                                                      fsize, checksum, scope, attemptnr, maxattempt, maxfailure, failedattempt,
                                                      nevents, keeptrack, proc_status)
        SELECT p_jeditaskid, p_dataset.datasetid, nextval('doma_panda.jedi_dataset_cont_fileid_seq'), v_now, f.lfn, f.guid,
               'input', 'ready', f.fsize, f.checksum, f.scope, 0,
               coalesce(doma_panda.task_param_int(p_params, 'maxAttempt', 1), 3), doma_panda.task_param_int(p_params, 'maxFailure', 1),
               0, coalesce(f.nevents, v_per_file), CASE WHEN p_dataset.masterid IS NULL THEN 1 END, 'ready'
          FROM (SELECT f.*, df.fileorder
                  FROM doma_panda.pandadb_dataset_files df
                  JOIN doma_panda.pandadb_files f ON f.scope = df.scope AND f.lfn = df.lfn
                 WHERE df.datasetname = v_name
                   AND doma_panda.task_pattern_match(f.lfn, v_item ->> 'include', v_item ->> 'exclude')
                 ORDER BY df.fileorder
                 LIMIT v_limit) f
         ORDER BY f.fileorder;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        IF v_count = 0 AND NOT doma_panda.task_param_flag(p_params, 'allowEmptyInput') THEN
            v_reason := format('input dataset %s has no files%s in the replica catalogue', p_dataset.datasetname,
                               CASE WHEN v_item ? 'include' OR v_item ? 'exclude' THEN ' passing include/exclude' ELSE '' END);
        END IF;
    END IF;
    IF v_reason IS NOT NULL THEN
        UPDATE doma_panda.jedi_datasets d SET status = 'pending', modificationtime = v_now, statechecktime = v_now
         WHERE d.jeditaskid = p_jeditaskid AND d.datasetid = p_dataset.datasetid;
        RETURN v_reason;
    END IF;
    PERFORM doma_panda.task_dataset_counters(p_jeditaskid, p_dataset.datasetid, v_state);
    RETURN NULL;
END;
$$;

-- task_feed_locked: feed every input/pseudo_input dataset of a locked task that is not fed yet
-- (status defined, pending or toupdate); then the task goes 'ready', or 'pending' with the reasons.
-- Returns {"jediTaskID", "status", "errorDialog", "nFiles"}.
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_feed_locked(p_jeditaskid bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_params jsonb;
    v_dataset doma_panda.jedi_datasets;
    v_reason text;
    v_reasons text[] := '{}';
BEGIN
    SELECT p.taskparams::jsonb INTO v_params FROM doma_panda.jedi_taskparams p WHERE p.jeditaskid = p_jeditaskid;
    FOR v_dataset IN SELECT * FROM doma_panda.jedi_datasets d
                      WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input')
                        AND d.status IN ('defined', 'pending', 'toupdate')
                      ORDER BY d.datasetid FOR UPDATE LOOP
        IF v_dataset.type = 'pseudo_input' THEN
            PERFORM doma_panda.task_feed_pseudo(p_jeditaskid, v_dataset.datasetid, v_params);
        ELSE
            v_reason := doma_panda.task_feed_input(p_jeditaskid, v_dataset, v_params);
            IF v_reason IS NOT NULL THEN
                v_reasons := v_reasons || v_reason;
            END IF;
        END IF;
    END LOOP;
    IF cardinality(v_reasons) > 0 THEN
        PERFORM doma_panda.task_set_status(p_jeditaskid, 'pending', array_to_string(v_reasons, '; '));
    ELSE
        PERFORM doma_panda.task_set_status(p_jeditaskid, 'ready');
        UPDATE doma_panda.jedi_tasks t SET errordialog = NULL WHERE t.jeditaskid = p_jeditaskid AND t.oldstatus = 'pending';
    END IF;
    RETURN (SELECT jsonb_build_object('jediTaskID', t.jeditaskid, 'status', t.status, 'errorDialog', t.errordialog,
                                      'nFiles', (SELECT count(*) FROM doma_panda.jedi_dataset_contents c
                                                  WHERE c.jeditaskid = t.jeditaskid))
              FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid);
END;
$$;

-- task_feed_guarded: task_feed_locked, but a task whose contents cannot be fed (a bad parameter, PD002,
-- or any data error) becomes 'broken' with the reason instead of failing the feeder's whole run.
--   p_jeditaskid  the task (locked)
CREATE OR REPLACE FUNCTION doma_panda.task_feed_guarded(p_jeditaskid bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_message text;
BEGIN
    BEGIN
        RETURN doma_panda.task_feed_locked(p_jeditaskid);
    EXCEPTION WHEN others THEN
        -- deadlocks, serialization failures, lack of resources, cancels: no fault of the task
        IF left(SQLSTATE, 2) IN ('40', '53', '57', '58') THEN
            RAISE;
        END IF;
        v_message := 'contents feeder: ' || SQLERRM;
    END;
    PERFORM doma_panda.task_set_status(p_jeditaskid, 'broken', v_message);
    RETURN (SELECT jsonb_build_object('jediTaskID', t.jeditaskid, 'status', t.status, 'errorDialog', t.errordialog, 'nFiles', 0)
              FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid);
END;
$$;

-- task_needs_contents: whether a task waits for the Contents Feeder: 'defined', or 'pending' with an
-- input dataset still pending (a task pending for another reason, e.g. brokerage, is not the feeder's).
--   p_jeditaskid  the task
--   p_status      its status
CREATE OR REPLACE FUNCTION doma_panda.task_needs_contents(p_jeditaskid bigint, p_status text)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_status = 'defined'
        OR (p_status = 'pending' AND EXISTS (SELECT 1 FROM doma_panda.jedi_datasets d
                                              WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input')
                                                AND d.status IN ('defined', 'pending', 'toupdate')));
$$;

-- feed_task_contents: the Contents Feeder for one task (waits for its row lock). PD003 for an unknown
-- task, PD004 when the task does not wait for contents (task_needs_contents).
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.feed_task_contents(p_jeditaskid bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
BEGIN
    SELECT t.status INTO v_status FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', p_jeditaskid USING ERRCODE = 'PD003';
    END IF;
    IF NOT doma_panda.task_needs_contents(p_jeditaskid, v_status) THEN
        RAISE EXCEPTION 'task % is %: it has no input waiting for the Contents Feeder', p_jeditaskid, v_status
            USING ERRCODE = 'PD004';
    END IF;
    RETURN doma_panda.task_feed_guarded(p_jeditaskid);
END;
$$;

-- feed_contents: the periodic Contents Feeder (scheduled job feed_contents): up to p_max_tasks tasks
-- waiting for contents, 'defined' ones and 'pending' ones last tried at least p_retry_seconds ago,
-- oldest first, skipping tasks another feeder holds (FOR UPDATE SKIP LOCKED).
-- A task whose contents cannot be fed is broken (task_feed_guarded). Returns {"ready": n, "pending": n, "broken": n}.
--   p_max_tasks      the most tasks in this transaction
--   p_retry_seconds  how long a pending task waits before the next look at the catalogue
CREATE OR REPLACE FUNCTION doma_panda.feed_contents(p_max_tasks integer DEFAULT 100, p_retry_seconds integer DEFAULT 60)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_id bigint;
    v_result jsonb;
    v_ready integer := 0;
    v_pending integer := 0;
    v_broken integer := 0;
BEGIN
    IF p_max_tasks IS NULL OR p_max_tasks < 1 OR p_retry_seconds IS NULL OR p_retry_seconds < 0 THEN
        RAISE EXCEPTION 'p_max_tasks, p_retry_seconds: must be a positive and a non-negative integer' USING ERRCODE = 'PD002';
    END IF;
    FOR v_id IN SELECT t.jeditaskid FROM doma_panda.jedi_tasks t
                 WHERE (t.status = 'defined'
                        OR (t.status = 'pending' AND t.modificationtime <= v_now - make_interval(secs => p_retry_seconds)))
                   AND doma_panda.task_needs_contents(t.jeditaskid, t.status)
                 ORDER BY t.jeditaskid LIMIT p_max_tasks FOR UPDATE SKIP LOCKED LOOP
        -- re-checked under the lock: another feeder may have fed it since our snapshot
        IF NOT doma_panda.task_needs_contents(v_id, (SELECT t.status FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = v_id)) THEN
            CONTINUE;
        END IF;
        v_result := doma_panda.task_feed_guarded(v_id);
        IF v_result ->> 'status' = 'ready' THEN
            v_ready := v_ready + 1;
        ELSIF v_result ->> 'status' = 'pending' THEN
            v_pending := v_pending + 1;
        ELSE
            v_broken := v_broken + 1;
        END IF;
    END LOOP;
    RETURN jsonb_build_object('ready', v_ready, 'pending', v_pending, 'broken', v_broken);
END;
$$;
