-- Task reads (REST API v1 module `task` of seed 000, and the read functions panda-client 2.2.0 calls):
-- get_task_details, get_task_parameters, get_task_job_ids, get_tasks_modified_since,
-- get_tasks_detailed_info_since, get_task_datasets_and_files, get_task_job_descriptions,
-- get_task_detailed_info, get_parent_task_detailed_info, get_jumbo_job_datasets. get_task_status is in
-- task_submission.sql.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- Tasks are answered as JediTaskSpec dictionaries (task_spec_of_row: the JediTaskSpec attribute names,
-- jediTaskID, taskName, userName, ...; timestamps as ISO text). A caller reads its own VO's tasks only
-- (PD005 otherwise); an unknown task is PD003; bad parameters PD002 naming them.

-- task_spec_names: the JediTaskSpec attribute names of jedi_tasks columns (the column is the lower-case name).
CREATE OR REPLACE FUNCTION doma_panda.task_spec_names()
RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['jediTaskID', 'taskName', 'status', 'userName', 'creationDate', 'modificationTime', 'reqID', 'oldStatus',
                 'cloud', 'site', 'startTime', 'endTime', 'frozenTime', 'prodSourceLabel', 'workingGroup', 'vo', 'coreCount',
                 'taskType', 'processingType', 'taskPriority', 'currentPriority', 'architecture', 'transUses', 'transHome',
                 'transPath', 'lockedBy', 'lockedTime', 'termCondition', 'splitRule', 'walltime', 'walltimeUnit',
                 'outDiskCount', 'outDiskUnit', 'workDiskCount', 'workDiskUnit', 'ramCount', 'ramUnit', 'ioIntensity',
                 'ioIntensityUnit', 'workQueue_ID', 'progress', 'failureRate', 'errorDialog', 'countryGroup', 'parent_tid',
                 'eventService', 'ticketID', 'ticketSystemType', 'stateChangeTime', 'superStatus', 'campaign',
                 'mergeRamCount', 'mergeRamUnit', 'mergeWalltime', 'mergeWalltimeUnit', 'throttledTime', 'numThrottled',
                 'mergeCoreCount', 'goal', 'assessmentTime', 'cpuTime', 'cpuTimeUnit', 'cpuEfficiency', 'baseWalltime',
                 'amiFlag', 'nucleus', 'baseRamCount', 'ttcRequested', 'ttcPredicted', 'ttcPredictionDate', 'rescueTime',
                 'requestType', 'gshare', 'useJumbo', 'resource_type', 'diskIO', 'diskIOUnit', 'memory_leak_core',
                 'memory_leak_x2', 'attemptNr', 'container_name', 'job_label', 'realModificationTime', 'framework',
                 'activatedTime'];
$$;

-- task_spec_of_row: a task row as a JediTaskSpec dictionary (superStatus defaults to the status).
--   p_task  the jedi_tasks row
CREATE OR REPLACE FUNCTION doma_panda.task_spec_of_row(p_task doma_panda.jedi_tasks)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_object_agg(coalesce(n.name, r.key), r.value)
           || jsonb_build_object('superStatus', coalesce(p_task.superstatus, p_task.status))
      FROM jsonb_each(to_jsonb(p_task)) r
      LEFT JOIN LATERAL (SELECT x AS name FROM unnest(doma_panda.task_spec_names()) x WHERE lower(x) = r.key LIMIT 1) n ON true;
$$;

-- task_read_task: a task row for a read; PD002 without id, PD003 unknown, PD005 another VO's task.
--   p_jeditaskid    the task
--   p_requester_vo  the caller's VO (NULL: any)
CREATE OR REPLACE FUNCTION doma_panda.task_read_task(p_jeditaskid bigint, p_requester_vo text)
RETURNS doma_panda.jedi_tasks
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
BEGIN
    IF p_jeditaskid IS NULL THEN
        RAISE EXCEPTION 'task_id: a JEDI task ID is required' USING ERRCODE = 'PD002';
    END IF;
    SELECT * INTO v_task FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', p_jeditaskid USING ERRCODE = 'PD003';
    END IF;
    IF p_requester_vo IS NOT NULL AND v_task.vo IS DISTINCT FROM p_requester_vo THEN
        RAISE EXCEPTION 'task % belongs to VO %, not to %', p_jeditaskid, coalesce(v_task.vo, 'none'), p_requester_vo
            USING ERRCODE = 'PD005';
    END IF;
    RETURN v_task;
END;
$$;

-- task_pandaids: every PandaID of a task (the four job tables), ascending.
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_pandaids(p_jeditaskid bigint)
RETURNS bigint[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(DISTINCT p ORDER BY p), '{}') FROM (
        SELECT j.pandaid AS p FROM doma_panda.jobsdefined4 j WHERE j.jeditaskid = p_jeditaskid
        UNION ALL SELECT j.pandaid FROM doma_panda.jobswaiting4 j WHERE j.jeditaskid = p_jeditaskid
        UNION ALL SELECT j.pandaid FROM doma_panda.jobsactive4 j WHERE j.jeditaskid = p_jeditaskid
        UNION ALL SELECT j.pandaid FROM doma_panda.jobsarchived4 j WHERE j.jeditaskid = p_jeditaskid) x;
$$;

-- task_job_statistics: the number of the task's jobs per job status, {"finished": n, ...}.
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_job_statistics(p_jeditaskid bigint)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_object_agg(s, n), '{}') FROM (
        SELECT s, count(*) AS n FROM (
            SELECT j.jobstatus AS s FROM doma_panda.jobsdefined4 j WHERE j.jeditaskid = p_jeditaskid
            UNION ALL SELECT j.jobstatus FROM doma_panda.jobswaiting4 j WHERE j.jeditaskid = p_jeditaskid
            UNION ALL SELECT j.jobstatus FROM doma_panda.jobsactive4 j WHERE j.jeditaskid = p_jeditaskid
            UNION ALL SELECT j.jobstatus FROM doma_panda.jobsarchived4 j WHERE j.jeditaskid = p_jeditaskid) x
        GROUP BY s) y;
$$;

-- task_file_counts: the master input's file counters of a task {"nFiles", "nFilesFinished", "nFilesFailed",
-- "pctFinished", "pctFailed"}.
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_file_counts(p_jeditaskid bigint)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('nFiles', n, 'nFilesFinished', f, 'nFilesFailed', x,
                              'pctFinished', CASE WHEN n > 0 THEN round(100.0 * f / n) ELSE 0 END,
                              'pctFailed', CASE WHEN n > 0 THEN round(100.0 * x / n) ELSE 0 END)
      FROM (SELECT coalesce(sum(d.nfiles), 0) AS n, coalesce(sum(d.nfilesfinished), 0) AS f, coalesce(sum(d.nfilesfailed), 0) AS x
              FROM doma_panda.jedi_datasets d
             WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL) c;
$$;

-- get_task_details: details of a task (REST task/get_details, panda-client getJediTaskDetails, which merges
-- them into its task dictionary): {"jediTaskID", "taskName", "status", "inDS", "outDS" (comma-separated
-- dataset names), "PandaID" (the task's jobs), "nFiles", "nFilesFinished", "nFilesFailed", "pctFinished",
-- "pctFailed"}; with p_include_parameters also "taskParams" (the task parameters); with p_include_status
-- also "statistics" (jobs per status) and "task" (the JediTaskSpec dictionary).
--   p_jeditaskid          the task
--   p_include_parameters  add the task parameters
--   p_include_status      add the status information
--   p_requester_vo        the caller's VO
CREATE OR REPLACE FUNCTION doma_panda.get_task_details(p_jeditaskid bigint, p_include_parameters boolean DEFAULT false,
                                                       p_include_status boolean DEFAULT false, p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_answer jsonb;
BEGIN
    v_task := doma_panda.task_read_task(p_jeditaskid, p_requester_vo);
    v_answer := jsonb_build_object(
        'jediTaskID', v_task.jeditaskid, 'taskName', v_task.taskname, 'status', v_task.status,
        'inDS', coalesce((SELECT string_agg(d.datasetname, ',' ORDER BY d.datasetid) FROM doma_panda.jedi_datasets d
                           WHERE d.jeditaskid = p_jeditaskid AND d.type = 'input'), ''),
        'outDS', coalesce((SELECT string_agg(d.datasetname, ',' ORDER BY d.datasetid) FROM doma_panda.jedi_datasets d
                            WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('output', 'log')), ''),
        'PandaID', to_jsonb(doma_panda.task_pandaids(p_jeditaskid)))
        || doma_panda.task_file_counts(p_jeditaskid);
    IF coalesce(p_include_parameters, false) THEN
        v_answer := v_answer || jsonb_build_object('taskParams', doma_panda.task_params(p_jeditaskid));
    END IF;
    IF coalesce(p_include_status, false) THEN
        v_answer := v_answer || jsonb_build_object('statistics', doma_panda.task_job_statistics(p_jeditaskid),
                                                   'task', doma_panda.task_spec_of_row(v_task));
    END IF;
    RETURN v_answer;
END;
$$;

-- get_task_parameters: the task parameters as submitted (REST task/get_task_parameters, panda-client
-- getTaskParamsMap): a JSON object.
--   p_jeditaskid    the task
--   p_requester_vo  the caller's VO
CREATE OR REPLACE FUNCTION doma_panda.get_task_parameters(p_jeditaskid bigint, p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM doma_panda.task_read_task(p_jeditaskid, p_requester_vo);
    RETURN doma_panda.task_params(p_jeditaskid);
END;
$$;

-- get_task_job_ids: the PandaIDs of a task's jobs, ascending (REST task/get_job_ids, getPandaIDsWithTaskID).
--   p_jeditaskid    the task
--   p_requester_vo  the caller's VO
CREATE OR REPLACE FUNCTION doma_panda.get_task_job_ids(p_jeditaskid bigint, p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM doma_panda.task_read_task(p_jeditaskid, p_requester_vo);
    RETURN to_jsonb(doma_panda.task_pandaids(p_jeditaskid));
END;
$$;

-- get_tasks_modified_since: tasks modified since a time (REST task/get_tasks_modified_since,
-- getJobIDsJediTasksInTimeRange): {"<jediTaskID>": [PandaID, ...]} with p_full, {"<jediTaskID>": status}
-- without. Tasks of the user p_dn (the caller when NULL), of the caller's VO, with jediTaskID > p_min_task_id
-- and the prodSourceLabel p_prod_source_label (any when NULL); at most 1000 tasks, newest id first.
--   p_since              the lower bound of modificationtime
--   p_requester          the caller (the owner when p_dn is NULL)
--   p_requester_vo       the caller's VO
--   p_dn                 the owner's name (DN or user name)
--   p_full               the PandaIDs of each task
--   p_min_task_id        only tasks with a larger id
--   p_prod_source_label  the tasks' prodSourceLabel
CREATE OR REPLACE FUNCTION doma_panda.get_tasks_modified_since(p_since timestamp without time zone, p_requester text,
                                                               p_requester_vo text DEFAULT NULL, p_dn text DEFAULT NULL,
                                                               p_full boolean DEFAULT false, p_min_task_id bigint DEFAULT NULL,
                                                               p_prod_source_label text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_since IS NULL THEN
        RAISE EXCEPTION 'since: a time is required' USING ERRCODE = 'PD002';
    END IF;
    RETURN (SELECT coalesce(jsonb_object_agg(t.jeditaskid::text,
                                             CASE WHEN coalesce(p_full, false) THEN to_jsonb(doma_panda.task_pandaids(t.jeditaskid))
                                                  ELSE to_jsonb(t.status) END), '{}')
              FROM (SELECT t.jeditaskid, t.status FROM doma_panda.jedi_tasks t
                     WHERE t.modificationtime >= p_since
                       AND t.username = coalesce(nullif(p_dn, ''), p_requester)
                       AND (p_requester_vo IS NULL OR t.vo = p_requester_vo)
                       AND (p_min_task_id IS NULL OR t.jeditaskid > p_min_task_id)
                       AND (nullif(p_prod_source_label, '') IS NULL OR t.prodsourcelabel = p_prod_source_label)
                     ORDER BY t.jeditaskid DESC LIMIT 1000) t);
END;
$$;

-- get_tasks_detailed_info_since: the caller's tasks as JediTaskSpec dictionaries with their file counters
-- (nFiles, nFilesFinished, nFilesFailed, pctFinished, pctFailed) (REST task/get_tasks_detailed_info_since,
-- panda-client get_tasks_detailed_info_since / pbook): modified since p_since (any time when NULL),
-- equal to every filter (JediTaskSpec attribute -> value, compared as text; an unknown attribute is
-- PD002), at most p_n_tasks, newest id first.
--   p_requester     the caller (the owner)
--   p_requester_vo  the caller's VO
--   p_since         the lower bound of modificationtime, or NULL
--   p_filters       {attribute: value}
--   p_n_tasks       at most this many (1 .. 10000)
CREATE OR REPLACE FUNCTION doma_panda.get_tasks_detailed_info_since(p_requester text, p_requester_vo text DEFAULT NULL,
                                                                    p_since timestamp without time zone DEFAULT NULL,
                                                                    p_filters jsonb DEFAULT NULL, p_n_tasks integer DEFAULT 500)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_key text;
BEGIN
    IF p_filters IS NOT NULL AND jsonb_typeof(p_filters) <> 'object' THEN
        RAISE EXCEPTION 'filters: must be a JSON object of task attributes' USING ERRCODE = 'PD002';
    END IF;
    IF p_n_tasks IS NULL OR p_n_tasks < 1 OR p_n_tasks > 10000 THEN
        RAISE EXCEPTION 'n_tasks: must be from 1 to 10000' USING ERRCODE = 'PD002';
    END IF;
    FOR v_key IN SELECT jsonb_object_keys(coalesce(p_filters, '{}')) LOOP
        IF NOT EXISTS (SELECT 1 FROM unnest(doma_panda.task_spec_names()) x WHERE lower(x) = lower(v_key)) THEN
            RAISE EXCEPTION 'filters: % is no task attribute', left(v_key, 50) USING ERRCODE = 'PD002';
        END IF;
    END LOOP;
    RETURN (SELECT coalesce(jsonb_agg(doma_panda.task_spec_of_row(t) || doma_panda.task_file_counts(t.jeditaskid)
                                      ORDER BY t.jeditaskid DESC), '[]')
              FROM (SELECT * FROM doma_panda.jedi_tasks t
                     WHERE t.username = p_requester
                       AND (p_requester_vo IS NULL OR t.vo = p_requester_vo)
                       AND (p_since IS NULL OR t.modificationtime >= p_since)
                       AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(coalesce(p_filters, '{}')) f
                                        WHERE (to_jsonb(t) ->> lower(f.key)) IS DISTINCT FROM f.value)
                     ORDER BY t.jeditaskid DESC LIMIT p_n_tasks) t);
END;
$$;

-- get_task_datasets_and_files: the task's datasets of the given types with their files (REST
-- task/get_datasets_and_files, panda-client get_files_in_datasets), seed 000's format:
-- [{"dataset": {"name", "id"}, "files": [{"lfn", "scope", "id", "status"}, ...]}, ...] by dataset id and file id.
--   p_jeditaskid     the task
--   p_dataset_types  the dataset types (default input and pseudo_input)
--   p_requester_vo   the caller's VO
CREATE OR REPLACE FUNCTION doma_panda.get_task_datasets_and_files(p_jeditaskid bigint, p_dataset_types text[] DEFAULT NULL,
                                                                  p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_types text[] := coalesce(nullif(array_remove(p_dataset_types, ''), '{}'), ARRAY['input', 'pseudo_input']);
BEGIN
    PERFORM doma_panda.task_read_task(p_jeditaskid, p_requester_vo);
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'dataset', jsonb_build_object('name', d.datasetname, 'id', d.datasetid),
                       'files', (SELECT coalesce(jsonb_agg(jsonb_build_object('lfn', c.lfn, 'scope', c.scope, 'id', c.fileid,
                                                                              'status', c.status) ORDER BY c.fileid), '[]')
                                   FROM doma_panda.jedi_dataset_contents c
                                  WHERE c.jeditaskid = d.jeditaskid AND c.datasetid = d.datasetid))
                   ORDER BY d.datasetid), '[]')
              FROM doma_panda.jedi_datasets d
             WHERE d.jeditaskid = p_jeditaskid AND d.type = ANY (v_types));
END;
$$;

-- get_task_job_descriptions: the task's jobs as PanDA JobSpec dictionaries (job_spec_of_row, also archived
-- jobs), by PandaID (REST task/get_job_descriptions, panda-client get_job_descriptions); with
-- p_unsuccessful_only only failed, cancelled and closed jobs.
--   p_jeditaskid         the task
--   p_unsuccessful_only  only the unsuccessful jobs
--   p_requester_vo       the caller's VO
CREATE OR REPLACE FUNCTION doma_panda.get_task_job_descriptions(p_jeditaskid bigint, p_unsuccessful_only boolean DEFAULT false,
                                                                p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM doma_panda.task_read_task(p_jeditaskid, p_requester_vo);
    RETURN (SELECT coalesce(jsonb_agg(s ORDER BY id), '[]') FROM (
              SELECT ids.id, doma_panda.job_spec_of_row(doma_panda.job_description(ids.id, true)) AS s
                FROM unnest(doma_panda.task_pandaids(p_jeditaskid)) AS ids(id)) x
             WHERE s IS NOT NULL
               AND (NOT coalesce(p_unsuccessful_only, false) OR s ->> 'jobStatus' IN ('failed', 'cancelled', 'closed')));
END;
$$;

-- get_task_detailed_info: a task in detail (REST task/get_detailed_info, panda-client get_task_details_json):
-- the JediTaskSpec dictionary with "taskParams", "datasets" (JediDatasetSpec-style: datasetID, datasetName,
-- type, status, nFiles, nFilesUsed, nFilesFinished, nFilesFailed, nEvents) and "jobStatistics".
--   p_jeditaskid    the task
--   p_requester_vo  the caller's VO
CREATE OR REPLACE FUNCTION doma_panda.get_task_detailed_info(p_jeditaskid bigint, p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
BEGIN
    v_task := doma_panda.task_read_task(p_jeditaskid, p_requester_vo);
    RETURN doma_panda.task_spec_of_row(v_task) || doma_panda.task_file_counts(p_jeditaskid)
        || jsonb_build_object(
               'taskParams', doma_panda.task_params(p_jeditaskid),
               'jobStatistics', doma_panda.task_job_statistics(p_jeditaskid),
               'datasets', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                'datasetID', d.datasetid, 'datasetName', d.datasetname, 'type', d.type, 'status', d.status,
                                'streamName', d.streamname, 'masterID', d.masterid, 'nFiles', d.nfiles, 'nFilesUsed', d.nfilesused,
                                'nFilesFinished', d.nfilesfinished, 'nFilesFailed', d.nfilesfailed, 'nEvents', d.nevents)
                                ORDER BY d.datasetid), '[]')
                              FROM doma_panda.jedi_datasets d WHERE d.jeditaskid = p_jeditaskid));
END;
$$;

-- get_parent_task_detailed_info: get_task_detailed_info of a task's parent (REST task/get_parent_detailed_info);
-- PD003 when the task has no parent or the parent does not exist.
--   p_jeditaskid    the child task
--   p_requester_vo  the caller's VO
CREATE OR REPLACE FUNCTION doma_panda.get_parent_task_detailed_info(p_jeditaskid bigint, p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
BEGIN
    v_task := doma_panda.task_read_task(p_jeditaskid, p_requester_vo);
    IF v_task.parent_tid IS NULL OR v_task.parent_tid = v_task.jeditaskid THEN
        RAISE EXCEPTION 'task % has no parent task', p_jeditaskid USING ERRCODE = 'PD003';
    END IF;
    RETURN doma_panda.get_task_detailed_info(v_task.parent_tid, p_requester_vo);
END;
$$;

-- get_jumbo_job_datasets: the jumbo-job tasks (usejumbo set and not 'N') modified between now - p_from_offset
-- days and now - p_to_offset days, with their input datasets (REST task/get_jumbo_job_datasets):
-- {"<jediTaskID>": [datasetName, ...]}.
--   p_from_offset   days back where the window starts (> 0)
--   p_to_offset     days back where it ends (default 0)
--   p_requester_vo  the caller's VO
CREATE OR REPLACE FUNCTION doma_panda.get_jumbo_job_datasets(p_from_offset integer, p_to_offset integer DEFAULT 0,
                                                             p_requester_vo text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
BEGIN
    IF p_from_offset IS NULL OR p_from_offset < 0 OR p_from_offset > 36500 THEN
        RAISE EXCEPTION 'from_offset: must be a number of days from 0 to 36500' USING ERRCODE = 'PD002';
    END IF;
    IF p_to_offset IS NOT NULL AND (p_to_offset < 0 OR p_to_offset > p_from_offset) THEN
        RAISE EXCEPTION 'to_offset: must be a number of days from 0 to from_offset' USING ERRCODE = 'PD002';
    END IF;
    RETURN (SELECT coalesce(jsonb_object_agg(t.jeditaskid::text,
                       (SELECT coalesce(jsonb_agg(d.datasetname ORDER BY d.datasetid), '[]') FROM doma_panda.jedi_datasets d
                         WHERE d.jeditaskid = t.jeditaskid AND d.type = 'input')), '{}')
              FROM doma_panda.jedi_tasks t
             WHERE t.usejumbo IS NOT NULL AND t.usejumbo <> 'N'
               AND (p_requester_vo IS NULL OR t.vo = p_requester_vo)
               AND t.modificationtime >= v_now - make_interval(days => p_from_offset)
               -- to_offset 0 is "up to now": no upper bound (now() and panda_now()'s whole seconds differ)
               AND (coalesce(p_to_offset, 0) = 0 OR t.modificationtime <= v_now - make_interval(days => p_to_offset)));
END;
$$;
