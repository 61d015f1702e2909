-- The Task Refiner (seed 004 section 7.1.2): a 'registered' task (submit_task, task_submission.sql)
-- becomes 'defined', its task parameters turned into the rows the Contents Feeder (task_contents.sql)
-- and the Job Generator (task_generation.sql) read; or 'broken' with an errordialog naming the bad
-- parameter. refine_task refines one task, refine_tasks is the periodic step (scheduled job refine_tasks).
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- What a refined task offers the Job Generator (the interface with task_generation*.sql):
--   jedi_tasks        status defined -> ready; splitrule "NF=2,NE=100,US=2,LS=1,..." (task_split_rules;
--                     US=1 skipScout, US=2 scouts; LS=1/2/3 includedSite/excludedSite/both; IP=1 full,
--                     2 http; IL=1 use, 2 only; PL=1 pfnList; UB=1 buildSpec), corecount (default 1),
--                     ramcount/ramunit (MBPerCore), walltime, cputime/cputimeunit, outdiskcount,
--                     workdiskcount, taskpriority = currentpriority (default 1000 user, 900 others),
--                     gshare (job_global_share), workqueue_id, resource_type, cloud, site, vo, username,
--                     prodsourcelabel, transpath/transuses/transhome, architecture, attemptnr 0.
--   jedi_taskparams   the parameters as submitted (nScoutJobs, includedSite, excludedSite, maxAttempt, ...).
--   jedi_datasets     input (streamname IN or its placeholder; secondary inputs with masterid) or
--                     pseudo_input 'pseudo_dataset' (noInput); output (OUTPUT0, OUTPUT1, ...), log (LOG),
--                     lib (LIB), tmpl_output/tmpl_log (mergeOutput); status defined, then ready with nfiles,
--                     nfilestobeused, nevents, neventstobeused once fed.
--   jedi_output_template  per output/log dataset: filenametemplate with $JEDITASKID filled in and ${SN}
--                     or ${SN/P} left, serialnr = the next serial number (offset + 1), outtype output/log.
--   jedi_jobparams_template  the job parameters with ${IN}/${IN/T}-style input placeholders and
--                     ${OUTPUTn} for outputs.
--   jedi_dataset_contents  (task_contents.sql) one row per input file, status ready, maxattempt
--                     (maxAttempt, default 3), attemptnr 0, keeptrack 1 for master inputs.
--
-- Rule violations raise SQLSTATE PD002 (bad input, naming the parameter) or PD003 (unknown task); the
-- database is then unchanged. Refinement problems are no errors: the task goes 'broken'.

-- task_split_rules: the splitRule codes of JediTaskSpec (seed 004 section 7.1.2, "two-letter codes")
-- that the Task Refiner sets from task parameters: (parameter, code, kind). kind 'int': the parameter's
-- integer value; 'flag': 1 when the parameter is true.
CREATE OR REPLACE FUNCTION doma_panda.task_split_rules()
RETURNS TABLE (param text, code text, kind text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('nFilesPerJob', 'NF', 'int'), ('nEventsPerJob', 'NE', 'int'), ('nGBPerJob', 'NG', 'int'),
           ('nMaxFilesPerJob', 'MF', 'int'), ('firstEvent', 'FT', 'int'), ('randomSeed', 'RS', 'int'),
           ('nSitesPerJob', 'NS', 'int'), ('nJumboJobs', 'NJ', 'int'), ('scoutSuccessRate', 'SS', 'int'),
           ('nEventsPerMergeJob', 'ZE', 'int'), ('nFilesPerMergeJob', 'ZF', 'int'), ('nGBPerMergeJob', 'ZG', 'int'),
           ('nMaxFilesPerMergeJob', 'ZM', 'int'), ('maxAttemptES', 'XA', 'int'),
           ('allowEmptyInput', 'AE', 'flag'), ('allowPartialFinish', 'AP', 'flag'), ('disableReassign', 'DI', 'flag'),
           ('disableAutoRetry', 'DR', 'flag'), ('ignoreMissingInDS', 'IM', 'flag'), ('useLocalIO', 'LI', 'flag'),
           ('mergeOutput', 'MO', 'flag'), ('noWaitParent', 'NW', 'flag'),
           ('runUntilClosed', 'RC', 'flag'), ('respectLB', 'RL', 'flag'), ('reuseSecOnDemand', 'RO', 'flag'),
           ('respectSplitRule', 'RR', 'flag'), ('stayOutputOnSite', 'SO', 'flag'),
           ('useRealNumEvents', 'UE', 'flag'), ('useFileAsSourceLFN', 'UF', 'flag'), ('useExhausted', 'UX', 'flag'),
           ('writeInputToFile', 'WF', 'flag'), ('waitInput', 'WI', 'flag');
$$;

-- task_integer_params: the integer task parameters the Task Refiner checks, with their smallest value.
CREATE OR REPLACE FUNCTION doma_panda.task_integer_params()
RETURNS TABLE (param text, min_value bigint)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('nFilesPerJob', 1), ('nEventsPerJob', 1), ('nGBPerJob', 1), ('nMaxFilesPerJob', 1), ('nEvents', 1),
           ('nFiles', 1), ('nEventsPerInputFile', 1), ('coreCount', 0), ('maxCoreCount', 0), ('ramCount', 0),
           ('baseRamCount', 0), ('walltime', 0), ('baseWalltime', 0), ('maxWalltime', 0), ('cpuTime', 0),
           ('cpuEfficiency', 0), ('outDiskCount', 0), ('workDiskCount', 0), ('ioIntensity', 0), ('diskIO', 0),
           ('maxAttempt', 1), ('maxFailure', 1), ('nScoutJobs', 0), ('taskPriority', 0), ('currentPriority', 0),
           ('firstEvent', 0), ('randomSeed', 0), ('nSitesPerJob', 1), ('nJumboJobs', 0), ('scoutSuccessRate', 0),
           ('reqID', 0), ('workQueueID', 0), ('goal', 0), ('nEventsPerMergeJob', 1), ('nFilesPerMergeJob', 1),
           ('nGBPerMergeJob', 1), ('nMaxFilesPerMergeJob', 1), ('maxAttemptES', 1),
           ('nEventsPerWorker', 1);
$$;

-- task_stream_name: the stream name of a template item: the first ${NAME...} placeholder of its value
-- (IN, DBR, ...), else p_default.
--   p_value    the item's value
--   p_default  the name to use when the value has no placeholder
CREATE OR REPLACE FUNCTION doma_panda.task_stream_name(p_value text, p_default text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT left(coalesce((regexp_match(p_value, '\$\{([A-Za-z][A-Za-z0-9_]*)'))[1], p_default), 20);
$$;

-- task_add_dataset: insert one jedi_datasets row of a task being refined; returns its datasetid.
--   p_task      the task row as JSON (jeditaskid, vo, cloud, site)
--   p_name      datasetname
--   p_type      input, pseudo_input, output, log, lib, tmpl_output, tmpl_log
--   p_stream    streamname
--   p_item      the jobParameters/log item (container, token, destination), or NULL
--   p_master    masterid (secondary inputs), or NULL
--   p_now       the time
CREATE OR REPLACE FUNCTION doma_panda.task_add_dataset(p_task jsonb, p_name text, p_type text, p_stream text, p_item jsonb,
                                                      p_master bigint, p_now timestamp without time zone)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint := nextval('doma_panda.jedi_datasets_id_seq');
BEGIN
    IF p_name IS NULL OR p_name = '' THEN
        RAISE EXCEPTION 'jobParameters: a % item needs "dataset"', p_type USING ERRCODE = 'PD002';
    END IF;
    INSERT INTO doma_panda.jedi_datasets (jeditaskid, datasetid, datasetname, type, creationtime, modificationtime, vo,
                                          cloud, site, masterid, containername, status, nfiles, nfilestobeused,
                                          nfilesused, nfilesonhold, nevents, neventstobeused, neventsused, nfilesfinished,
                                          nfilesfailed, nfileswaiting, nfilesmissing, streamname, storagetoken, destination)
    VALUES ((p_task ->> 'jeditaskid')::bigint, v_id, left(p_name, 255), p_type, p_now, p_now, p_task ->> 'vo',
            p_task ->> 'cloud', p_task ->> 'site', p_master, doma_panda.task_param_text(p_item, 'container', 255),
            'defined', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, p_stream, doma_panda.task_param_text(p_item, 'token', 100),
            doma_panda.task_param_text(p_item, 'destination', 60));
    RETURN v_id;
END;
$$;

-- task_add_output_template: the file-name template of an output or log dataset (jedi_output_template):
-- $JEDITASKID is replaced by the task id now, ${SN} (or ${SN/P}, zero-padded) is left for the Job
-- Generator, which numbers the files from serialnr (item "offset" + 1).
--   p_jeditaskid  the task
--   p_datasetid   the output/log dataset
--   p_template    the file name with placeholders
--   p_item        the item (offset)
--   p_stream      the dataset's stream name
--   p_outtype     output or log
CREATE OR REPLACE FUNCTION doma_panda.task_add_output_template(p_jeditaskid bigint, p_datasetid bigint, p_template text,
                                                              p_item jsonb, p_stream text, p_outtype text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_template IS NULL OR p_template = '' THEN
        RAISE EXCEPTION 'jobParameters: the % item of dataset % needs a file name "value"', p_outtype,
            p_item ->> 'dataset' USING ERRCODE = 'PD002';
    END IF;
    IF length(p_template) > 256 THEN
        RAISE EXCEPTION 'jobParameters: the file name template % is longer than 256 characters', left(p_template, 60)
            USING ERRCODE = 'PD002';
    END IF;
    INSERT INTO doma_panda.jedi_output_template (jeditaskid, datasetid, outtempid, filenametemplate, serialnr,
                                                 streamname, outtype)
    VALUES (p_jeditaskid, p_datasetid, nextval('doma_panda.jedi_output_template_id_seq'),
            replace(p_template, '$JEDITASKID', p_jeditaskid::text),
            coalesce(doma_panda.task_param_int(p_item, 'offset', 0), 0) + 1, p_stream, p_outtype);
END;
$$;

-- task_work_queue: the work queue of a task: the active queue of its VO whose queue_type is its
-- prodSourceLabel (then any of its VO), lowest queue_order/queue_id first; NULL when the VO has none.
--   p_vo     the task's VO
--   p_label  its prodSourceLabel
CREATE OR REPLACE FUNCTION doma_panda.task_work_queue(p_vo text, p_label text)
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT q.queue_id FROM doma_panda.jedi_work_queue q
     WHERE q.vo = p_vo AND coalesce(q.status, 'active') = 'active'
     ORDER BY (q.queue_type = p_label) DESC, q.queue_order NULLS LAST, q.queue_id
     LIMIT 1;
$$;

-- task_refine_row: the refinement of one locked 'registered' task (refine_task, refine_tasks). Raises PD002
-- naming the parameter on bad parameters (the caller turns that into 'broken').
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_refine_row(p_jeditaskid bigint)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_text text;
    v_params jsonb;
    v_task record;
    v_rule record;
    v_rules text[] := '{}';
    v_item jsonb;
    v_index bigint;
    v_type text;
    v_ptype text;
    v_value text;
    v_template text := '';
    v_piece text;
    v_task_json jsonb;
    v_no_input boolean;
    v_master bigint;
    v_dsid bigint;
    v_name text;
    v_stream text;
    v_n_out integer := 0;
    v_n_in integer := 0;
    v_outfile text;
    v_label text;
    v_cores bigint;
    v_ram bigint;
    v_ram_unit text;
    v_priority bigint;
    v_gshare text;
    v_site text;
    v_limited text;
BEGIN
    SELECT * INTO v_task FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid;
    SELECT p.taskparams INTO v_text FROM doma_panda.jedi_taskparams p WHERE p.jeditaskid = p_jeditaskid;
    BEGIN
        v_params := v_text::jsonb;
    EXCEPTION WHEN others THEN
        RAISE EXCEPTION 'task parameters: no valid JSON (%)', SQLERRM USING ERRCODE = 'PD002';
    END;
    IF v_params IS NULL OR jsonb_typeof(v_params) <> 'object' THEN
        RAISE EXCEPTION 'task parameters: missing or not a JSON object' USING ERRCODE = 'PD002';
    END IF;
    -- prun's nGBPerJob=MAX means no size limit
    IF v_params ->> 'nGBPerJob' = 'MAX' THEN
        v_params := v_params - 'nGBPerJob';
    END IF;
    -- every integer parameter, then the splitRule codes
    PERFORM doma_panda.task_param_int(v_params, i.param, i.min_value) FROM doma_panda.task_integer_params() i;
    FOR v_rule IN SELECT * FROM doma_panda.task_split_rules() LOOP
        IF v_rule.kind = 'int' AND doma_panda.task_param_int(v_params, v_rule.param, 0) IS NOT NULL THEN
            v_rules := v_rules || (v_rule.code || '=' || doma_panda.task_param_int(v_params, v_rule.param, 0));
        ELSIF v_rule.kind = 'flag' AND doma_panda.task_param_flag(v_params, v_rule.param) THEN
            v_rules := v_rules || (v_rule.code || '=1');
        END IF;
    END LOOP;
    v_no_input := doma_panda.task_param_flag(v_params, 'noInput');
    IF jsonb_typeof(v_params -> 'pfnList') = 'array' AND jsonb_array_length(v_params -> 'pfnList') > 0 THEN
        v_rules := v_rules || 'PL=1'::text;
    END IF;
    -- scouts: US=1 no scout (skipScout), US=2 use scouts
    v_rules := v_rules || CASE WHEN doma_panda.task_param_flag(v_params, 'skipScout') THEN 'US=1' ELSE 'US=2' END;
    v_limited := CASE WHEN v_params ? 'includedSite' AND v_params ? 'excludedSite' THEN '3'
                      WHEN v_params ? 'includedSite' THEN '1' WHEN v_params ? 'excludedSite' THEN '2' END;
    IF v_limited IS NOT NULL THEN
        v_rules := v_rules || ('LS=' || v_limited);
    END IF;
    FOREACH v_name IN ARRAY ARRAY['includedSite', 'excludedSite'] LOOP
        IF v_params ? v_name AND jsonb_typeof(v_params -> v_name) NOT IN ('string', 'array') THEN
            RAISE EXCEPTION '%: must be a list of queue names (or a comma-separated string)', v_name USING ERRCODE = 'PD002';
        END IF;
    END LOOP;
    v_value := doma_panda.task_param_text(v_params, 'ipConnectivity', 20);
    IF v_value IS NOT NULL THEN
        IF v_value NOT IN ('full', 'http') THEN
            RAISE EXCEPTION 'ipConnectivity: must be full or http, not %', v_value USING ERRCODE = 'PD002';
        END IF;
        v_rules := v_rules || ('IP=' || CASE v_value WHEN 'full' THEN '1' ELSE '2' END);
    END IF;
    v_value := doma_panda.task_param_text(v_params, 'allowInputLAN', 20);
    IF v_value IS NOT NULL THEN
        IF v_value NOT IN ('use', 'only') THEN
            RAISE EXCEPTION 'allowInputLAN: must be use or only, not %', v_value USING ERRCODE = 'PD002';
        END IF;
        v_rules := v_rules || ('IL=' || CASE v_value WHEN 'use' THEN '1' ELSE '2' END);
    END IF;
    IF v_params ? 'buildSpec' THEN
        IF jsonb_typeof(v_params -> 'buildSpec') <> 'object' THEN
            RAISE EXCEPTION 'buildSpec: must be an object' USING ERRCODE = 'PD002';
        END IF;
        v_rules := v_rules || 'UB=1'::text;
    END IF;
    IF array_to_string(v_rules, ',') <> '' AND length(array_to_string(v_rules, ',')) > 200 THEN
        RAISE EXCEPTION 'task parameters: the splitRule % is longer than 200 characters', array_to_string(v_rules, ',')
            USING ERRCODE = 'PD002';
    END IF;

    -- columns
    v_label := v_task.prodsourcelabel;
    v_cores := coalesce(nullif(doma_panda.task_param_int(v_params, 'coreCount', 0), 0), 1);
    v_ram := coalesce(doma_panda.task_param_int(v_params, 'ramCount', 0), 0);
    v_ram_unit := coalesce(doma_panda.task_param_text(v_params, 'ramCountUnit', 32),
                           doma_panda.task_param_text(v_params, 'ramUnit', 32), 'MBPerCore');
    IF v_ram_unit NOT IN ('MB', 'MBPerCore', 'MBPerCoreFixed', 'MBFixed') THEN
        RAISE EXCEPTION 'ramCountUnit: must be MB, MBPerCore, MBFixed or MBPerCoreFixed, not %', v_ram_unit USING ERRCODE = 'PD002';
    END IF;
    v_priority := coalesce(doma_panda.task_param_int(v_params, 'taskPriority', 0),
                           CASE WHEN v_label = ANY (doma_panda.task_user_labels()) THEN 1000 ELSE 900 END);
    v_gshare := doma_panda.task_param_text(v_params, 'gshare', 32);
    IF v_gshare IS NOT NULL AND NOT EXISTS (SELECT 1 FROM doma_panda.global_shares s WHERE s.name = v_gshare) THEN
        RAISE EXCEPTION 'gshare: global share % does not exist', v_gshare USING ERRCODE = 'PD002';
    END IF;
    v_site := doma_panda.task_param_text(v_params, 'site', 60);
    IF v_site IS NOT NULL AND NOT EXISTS (SELECT 1 FROM doma_panda.schedconfig_json q WHERE q.panda_queue = v_site) THEN
        RAISE EXCEPTION 'site: % is no registered queue (pandadb register queue)', v_site USING ERRCODE = 'PD002';
    END IF;
    UPDATE doma_panda.jedi_tasks t SET
        splitrule = nullif(array_to_string(v_rules, ','), ''),
        workinggroup = doma_panda.task_param_text(v_params, 'workingGroup', 32),
        tasktype = coalesce(doma_panda.task_param_text(v_params, 'taskType', 64),
                            CASE WHEN v_label = ANY (doma_panda.task_user_labels()) THEN 'anal' ELSE 'prod' END),
        processingtype = doma_panda.task_param_text(v_params, 'processingType', 64),
        taskpriority = v_priority,
        currentpriority = coalesce(doma_panda.task_param_int(v_params, 'currentPriority', 0), v_priority),
        architecture = doma_panda.task_param_text(v_params, 'architecture', 256),
        transuses = doma_panda.task_param_text(v_params, 'transUses', 64),
        transhome = doma_panda.task_param_text(v_params, 'transHome', 128),
        transpath = doma_panda.task_param_text(v_params, 'transPath', 128),
        cloud = doma_panda.task_param_text(v_params, 'cloud', 10),
        site = v_site,
        corecount = v_cores,
        ramcount = v_ram, ramunit = v_ram_unit,
        baseramcount = coalesce(doma_panda.task_param_int(v_params, 'baseRamCount', 0), 0),
        walltime = doma_panda.task_param_int(v_params, 'walltime', 0),
        walltimeunit = doma_panda.task_param_text(v_params, 'walltimeUnit', 32),
        basewalltime = doma_panda.task_param_int(v_params, 'baseWalltime', 0),
        cputime = doma_panda.task_param_int(v_params, 'cpuTime', 0),
        cputimeunit = coalesce(doma_panda.task_param_text(v_params, 'cpuTimeUnit', 32),
                               CASE WHEN v_params ? 'cpuTime' THEN 'HS06sPerEvent' END),
        cpuefficiency = doma_panda.task_param_int(v_params, 'cpuEfficiency', 0),
        outdiskcount = doma_panda.task_param_int(v_params, 'outDiskCount', 0),
        outdiskunit = coalesce(doma_panda.task_param_text(v_params, 'outDiskUnit', 32),
                               CASE WHEN v_params ? 'outDiskCount' THEN 'kB' END),
        workdiskcount = doma_panda.task_param_int(v_params, 'workDiskCount', 0),
        workdiskunit = coalesce(doma_panda.task_param_text(v_params, 'workDiskUnit', 32),
                                CASE WHEN v_params ? 'workDiskCount' THEN 'MB' END),
        iointensity = doma_panda.task_param_int(v_params, 'ioIntensity', 0),
        iointensityunit = doma_panda.task_param_text(v_params, 'ioIntensityUnit', 32),
        diskio = doma_panda.task_param_int(v_params, 'diskIO', 0),
        diskiounit = doma_panda.task_param_text(v_params, 'diskIOUnit', 32),
        reqid = doma_panda.task_param_int(v_params, 'reqID', 0),
        campaign = doma_panda.task_param_text(v_params, 'campaign', 32),
        requesttype = doma_panda.task_param_text(v_params, 'requestType', 32),
        countrygroup = doma_panda.task_param_text(v_params, 'countryGroup', 20),
        ticketid = doma_panda.task_param_text(v_params, 'ticketID', 50),
        ticketsystemtype = doma_panda.task_param_text(v_params, 'ticketSystemType', 32),
        container_name = doma_panda.task_param_text(v_params, 'container_name', 200),
        job_label = doma_panda.task_param_text(v_params, 'job_label', 20),
        framework = doma_panda.task_param_text(v_params, 'framework', 50),
        nucleus = doma_panda.task_param_text(v_params, 'nucleus', 52),
        termcondition = doma_panda.task_param_text(v_params, 'termCondition', 100),
        goal = doma_panda.task_param_int(v_params, 'goal', 0),
        eventservice = 0,
        gshare = coalesce(v_gshare, doma_panda.job_global_share(jsonb_build_object(
                     'prodsourcelabel', v_label, 'workinggroup', doma_panda.task_param_text(v_params, 'workingGroup', 32),
                     'processingtype', doma_panda.task_param_text(v_params, 'processingType', 64), 'vo', t.vo))),
        workqueue_id = coalesce(doma_panda.task_param_int(v_params, 'workQueueID', 0)::integer,
                                doma_panda.task_work_queue(t.vo, v_label)),
        resource_type = doma_panda.job_resource_type(v_cores,
                            CASE WHEN v_ram_unit LIKE 'MBPerCore%' THEN v_ram * v_cores ELSE v_ram END),
        progress = 0, failurerate = 0, attemptnr = 0,
        modificationtime = v_now
     WHERE t.jeditaskid = p_jeditaskid
    RETURNING to_jsonb(t.*) INTO v_task_json;

    -- datasets, templates and the job parameters
    IF v_params -> 'jobParameters' IS NULL OR jsonb_typeof(v_params -> 'jobParameters') <> 'array'
       OR jsonb_array_length(v_params -> 'jobParameters') = 0 THEN
        RAISE EXCEPTION 'jobParameters: missing or not a non-empty list of constant and template items' USING ERRCODE = 'PD002';
    END IF;
    IF v_no_input THEN
        IF doma_panda.task_param_int(v_params, 'nEvents', 1) IS NULL AND doma_panda.task_param_int(v_params, 'nFiles', 1) IS NULL
           AND jsonb_typeof(v_params -> 'pfnList') IS DISTINCT FROM 'array' THEN
            RAISE EXCEPTION 'noInput: a task without input needs nEvents (with nEventsPerJob), nFiles or pfnList' USING ERRCODE = 'PD002';
        END IF;
        IF v_params ? 'nEvents' AND NOT v_params ? 'nEventsPerJob' AND NOT v_params ? 'nFiles' THEN
            RAISE EXCEPTION 'nEventsPerJob: needed with nEvents for a task without input (noInput)' USING ERRCODE = 'PD002';
        END IF;
        IF v_params ? 'pfnList' AND (jsonb_typeof(v_params -> 'pfnList') <> 'array' OR jsonb_array_length(v_params -> 'pfnList') = 0
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(v_params -> 'pfnList') e WHERE jsonb_typeof(e) <> 'string')) THEN
            RAISE EXCEPTION 'pfnList: must be a non-empty list of file names' USING ERRCODE = 'PD002';
        END IF;
        v_master := doma_panda.task_add_dataset(v_task_json, 'pseudo_dataset', 'pseudo_input', 'IN', NULL, NULL, v_now);
    END IF;
    FOR v_item, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(v_params -> 'jobParameters') WITH ORDINALITY e LOOP
        IF jsonb_typeof(v_item) <> 'object' THEN
            RAISE EXCEPTION 'jobParameters: item % is not an object', v_index USING ERRCODE = 'PD002';
        END IF;
        v_type := v_item ->> 'type';
        v_value := doma_panda.task_param_text(v_item, 'value', 100000);
        IF v_type IS NULL OR v_type NOT IN ('constant', 'template') THEN
            RAISE EXCEPTION 'jobParameters: item % has type %, not constant or template', v_index, coalesce(v_type, 'null')
                USING ERRCODE = 'PD002';
        END IF;
        v_piece := v_value;
        IF v_type = 'template' THEN
            v_ptype := v_item ->> 'param_type';
            IF v_value IS NULL THEN
                RAISE EXCEPTION 'jobParameters: template item % has no value', v_index USING ERRCODE = 'PD002';
            END IF;
            IF v_ptype IN ('input', 'pseudo_input') THEN
                v_stream := doma_panda.task_stream_name(v_value, CASE WHEN v_n_in = 0 THEN 'IN' ELSE 'IN' || v_n_in END);
                FOR v_name IN SELECT btrim(n) FROM unnest(string_to_array(doma_panda.task_param_text(v_item, 'dataset', 100000), ',')) n
                               WHERE btrim(n) <> '' LOOP
                    IF length(v_name) > 255 THEN
                        RAISE EXCEPTION 'jobParameters: input dataset name % is longer than 255 characters', left(v_name, 60)
                            USING ERRCODE = 'PD002';
                    END IF;
                    v_dsid := doma_panda.task_add_dataset(v_task_json, v_name, 'input', v_stream, v_item,
                                                          CASE WHEN v_n_in > 0 THEN v_master END, v_now);
                    IF v_master IS NULL THEN
                        v_master := v_dsid;
                    END IF;
                    v_n_in := v_n_in + 1;
                END LOOP;
                IF NOT v_item ? 'dataset' OR v_n_in = 0 THEN
                    RAISE EXCEPTION 'jobParameters: input item % needs "dataset"', v_index USING ERRCODE = 'PD002';
                END IF;
                BEGIN
                    PERFORM doma_panda.task_pattern_match('', doma_panda.task_param_text(v_item, 'include', 10000),
                                                          doma_panda.task_param_text(v_item, 'exclude', 10000));
                EXCEPTION WHEN invalid_regular_expression THEN
                    RAISE EXCEPTION 'jobParameters: include/exclude of input item %: %', v_index, SQLERRM USING ERRCODE = 'PD002';
                END;
                -- files given with the task go into the replica catalogue (at the item's or the task's site)
                IF v_item ? 'files' THEN
                    IF jsonb_typeof(v_item -> 'files') <> 'array' OR strpos(v_item ->> 'dataset', ',') > 0 THEN
                        RAISE EXCEPTION 'jobParameters: "files" of input item % must be a list of file objects of its one dataset',
                            v_index USING ERRCODE = 'PD002';
                    END IF;
                    PERFORM doma_panda.register_dataset_files(v_item ->> 'dataset',
                        coalesce(doma_panda.task_param_text(v_item, 'site', 64), v_site, 'ANY'), v_item -> 'files');
                END IF;
            ELSIF v_ptype = 'output' THEN
                v_stream := 'OUTPUT' || v_n_out;
                v_n_out := v_n_out + 1;
                v_dsid := doma_panda.task_add_dataset(v_task_json, doma_panda.task_param_text(v_item, 'dataset', 255), 'output',
                                                      v_stream, v_item, NULL, v_now);
                -- "name=file" keeps its "name=" in the job parameters; the file name is the template
                IF v_value ~ '^[A-Za-z0-9_.:-]+=' THEN
                    v_outfile := substr(v_value, strpos(v_value, '=') + 1);
                    v_piece := left(v_value, strpos(v_value, '=')) || '${' || v_stream || '}';
                ELSE
                    v_outfile := v_value;
                    v_piece := '${' || v_stream || '}';
                END IF;
                PERFORM doma_panda.task_add_output_template(p_jeditaskid, v_dsid, v_outfile, v_item, v_stream, 'output');
                IF doma_panda.task_param_flag(v_params, 'mergeOutput') THEN
                    v_dsid := doma_panda.task_add_dataset(v_task_json, doma_panda.task_param_text(v_item, 'dataset', 255),
                                                          'tmpl_output', v_stream, v_item, NULL, v_now);
                    PERFORM doma_panda.task_add_output_template(p_jeditaskid, v_dsid, v_outfile, v_item, v_stream, 'output');
                END IF;
            ELSE
                RAISE EXCEPTION 'jobParameters: template item % has param_type %, not input, pseudo_input or output (the log goes in "log")',
                    v_index, coalesce(v_ptype, 'null') USING ERRCODE = 'PD002';
            END IF;
        END IF;
        IF NOT doma_panda.task_param_flag(v_item, 'hidden') AND coalesce(v_piece, '') <> '' THEN
            v_template := v_template || CASE WHEN v_template = '' OR v_item -> 'padding' = 'false'::jsonb THEN '' ELSE ' ' END
                          || v_piece;
        END IF;
    END LOOP;
    IF NOT v_no_input AND v_n_in = 0 THEN
        RAISE EXCEPTION 'jobParameters: no input dataset (a template item with param_type input and "dataset") and noInput is not set'
            USING ERRCODE = 'PD002';
    END IF;
    -- the log
    v_item := v_params -> 'log';
    IF v_item IS NULL OR jsonb_typeof(v_item) <> 'object' THEN
        RAISE EXCEPTION 'log: missing (an object with "dataset" and the log file name "value" with ${SN})' USING ERRCODE = 'PD002';
    END IF;
    v_dsid := doma_panda.task_add_dataset(v_task_json, doma_panda.task_param_text(v_item, 'dataset', 255), 'log', 'LOG',
                                          v_item, NULL, v_now);
    PERFORM doma_panda.task_add_output_template(p_jeditaskid, v_dsid, doma_panda.task_param_text(v_item, 'value', 256),
                                                v_item, 'LOG', 'log');
    IF doma_panda.task_param_flag(v_params, 'mergeOutput') THEN
        v_dsid := doma_panda.task_add_dataset(v_task_json, doma_panda.task_param_text(v_item, 'dataset', 255), 'tmpl_log', 'LOG',
                                              v_item, NULL, v_now);
        PERFORM doma_panda.task_add_output_template(p_jeditaskid, v_dsid, doma_panda.task_param_text(v_item, 'value', 256),
                                                    v_item, 'LOG', 'log');
    END IF;
    IF v_params ? 'buildSpec' THEN
        v_dsid := doma_panda.task_add_dataset(v_task_json, coalesce(doma_panda.task_param_text(v_params -> 'buildSpec', 'datasetName', 255),
                                                                    left(rtrim(doma_panda.task_param_text(v_item, 'dataset', 255), '/'), 251) || '.lib'),
                                              'lib', 'LIB', v_params -> 'buildSpec', NULL, v_now);
    END IF;
    INSERT INTO doma_panda.jedi_jobparams_template (jeditaskid, jobparamstemplate) VALUES (p_jeditaskid, v_template)
    ON CONFLICT (jeditaskid) DO UPDATE SET jobparamstemplate = EXCLUDED.jobparamstemplate;
    PERFORM doma_panda.task_set_status(p_jeditaskid, 'defined');
END;
$$;

-- refine_task: the Task Refiner for one task (seed 004 section 7.1.2): a 'registered' task becomes
-- 'defined' with its jedi_tasks columns (splitrule codes, cores, memory, walltime, cpuTime, priority,
-- gshare, work queue, resource type, ...), its datasets (input or pseudo_input, output, log, lib,
-- tmpl_output/tmpl_log with mergeOutput), the output/log file-name templates (jedi_output_template) and
-- the job-parameter template (jedi_jobparams_template: constant items as given, output items as
-- ${OUTPUTn}, input placeholders such as ${IN} kept). An input item may carry its files ("files": a list
-- of file objects as register_dataset_files takes them, "site": where they are, default the task's site):
-- they are registered in the replica catalogue here. Bad parameters: the task becomes 'broken' and
-- errordialog names the parameter; nothing else of the refinement is kept. Waits for the task's row
-- lock. Returns {"jediTaskID", "status", "errorDialog"}; PD003 for an unknown task, PD004 when the task
-- is no longer 'registered' (already refined).
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.refine_task(p_jeditaskid bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
BEGIN
    SELECT t.status INTO v_status FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', p_jeditaskid USING ERRCODE = 'PD003';
    END IF;
    IF v_status <> 'registered' THEN
        RAISE EXCEPTION 'task % is %, not registered: it is refined once', p_jeditaskid, v_status USING ERRCODE = 'PD004';
    END IF;
    RETURN doma_panda.task_refine_locked(p_jeditaskid);
END;
$$;

-- task_refine_locked: refine one locked registered task; a refusal (PD002) or any error of the
-- refinement breaks the task instead (the partial refinement is rolled back to a savepoint).
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_refine_locked(p_jeditaskid bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_message text;
BEGIN
    BEGIN
        PERFORM doma_panda.task_refine_row(p_jeditaskid);
    EXCEPTION
        WHEN SQLSTATE 'PD002' THEN
            v_message := SQLERRM;
        WHEN others THEN
            -- deadlocks, serialization failures, lack of resources, cancels: no fault of the task
            IF left(SQLSTATE, 2) IN ('40', '53', '57', '58') THEN
                RAISE;
            END IF;
            v_message := 'refinement failed: ' || SQLERRM;
    END;
    IF v_message IS NOT NULL THEN
        PERFORM doma_panda.task_set_status(p_jeditaskid, 'broken', v_message);
    END IF;
    RETURN (SELECT jsonb_build_object('jediTaskID', t.jeditaskid, 'status', t.status, 'errorDialog', t.errordialog)
              FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid);
END;
$$;

-- refine_tasks: the periodic Task Refiner (scheduled job refine_tasks): refines up to p_max_tasks
-- 'registered' tasks, oldest first, skipping tasks another refiner holds (FOR UPDATE SKIP LOCKED), so
-- concurrent refiners on several hosts refine each task once. Returns {"refined": n, "broken": n}.
--   p_max_tasks  the most tasks to refine in this transaction
CREATE OR REPLACE FUNCTION doma_panda.refine_tasks(p_max_tasks integer DEFAULT 100)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_result jsonb;
    v_refined integer := 0;
    v_broken integer := 0;
BEGIN
    IF p_max_tasks IS NULL OR p_max_tasks < 1 THEN
        RAISE EXCEPTION 'p_max_tasks: must be a positive integer' USING ERRCODE = 'PD002';
    END IF;
    FOR v_id IN SELECT t.jeditaskid FROM doma_panda.jedi_tasks t WHERE t.status = 'registered'
                 ORDER BY t.jeditaskid LIMIT p_max_tasks FOR UPDATE SKIP LOCKED LOOP
        v_result := doma_panda.task_refine_locked(v_id);
        IF v_result ->> 'status' = 'broken' THEN
            v_broken := v_broken + 1;
        ELSE
            v_refined := v_refined + 1;
        END IF;
    END LOOP;
    RETURN jsonb_build_object('refined', v_refined, 'broken', v_broken);
END;
$$;
