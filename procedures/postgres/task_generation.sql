-- Tasks in the database, the Job Generator (seed 004 sections 2.6, 2.11-2.13, 7.1, chapters 13 and 14):
-- refined tasks with their input in jedi_dataset_contents become jobs in the job tables. Brokerage is in
-- task_brokerage.sql, job end -> task, finalisation and the scout re-tuning in task_progress.sql.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- The interface with the first half (task_submission.sql, task_contents.sql): a task 'ready' (or
-- 'scouted'/'running' with input left) has
--   jedi_tasks          the task columns (transpath, transhome, transuses, architecture, corecount,
--                       ramcount/ramunit, baseramcount, cputime/cputimeunit, basewalltime, cpuefficiency,
--                       outdiskcount, workdiskcount, walltime, taskpriority/currentpriority, gshare, site,
--                       cloud, splitrule with the JEDI codes NF=, NE=, NG=, MF=, IP=, ...);
--   jedi_taskparams     the submitted parameters (JSON): includedSite, excludedSite, nScoutJobs, skipScout,
--                       maxAttempt, ipConnectivity... are read from there when the split rule lacks them;
--   jedi_datasets       the master input dataset(s) (type input or pseudo_input, masterid NULL), secondary
--                       inputs (masterid set: each job reads one of their files in turn, shared), and the
--                       output and log datasets (type output / log, streamname OUTPUT0.../LOG);
--   jedi_dataset_contents  the input files, status 'ready' (pseudo files with nevents/startevent/firstevent
--                       for noInput tasks);
--   jedi_output_template   file name templates of the output/log datasets (${SN}, ${SN/P}, $JEDITASKID);
--   jedi_jobparams_template  the job parameters with ${<stream>} placeholders.
--
-- What a generation step does for one task, in ONE transaction (generate_task_jobs): lock the task row
-- (FOR UPDATE SKIP LOCKED: a second generator skips it), pick 'ready' input files (FOR UPDATE SKIP LOCKED),
-- broker (task_brokerage.sql), split the files into jobs (nFilesPerJob / nEventsPerJob / nGBPerJob, else
-- the job sizing of chapter 13 against the best queue), insert the jobs 'activated' (this system moves no
-- data) with their files, job parameters and status log, mark the input files 'running' with their
-- PandaID, add the output files to the output datasets, count them in jedi_datasets and move the task on:
-- 'ready' -> 'scouting' (only nScoutJobs scout jobs, specialhandling 'sj', priority raised), 'scouted' ->
-- 'running' (the avalanche over the rest). A file is picked only while 'ready', so it is never in two live
-- jobs; a task row is locked by one generator at a time, so a task is never generated twice.
-- generate_jobs runs the step for the tasks of one global share under a transaction advisory lock of that
-- share (section 14.3: one generator per share at a time); run_job_generator (scheduled) does every share,
-- one transaction per task.

-- task_params: a task's submitted parameters (jedi_taskparams.taskparams) as JSON; '{}' when absent or not JSON.
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_params(p_jeditaskid bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_text text;
    v_params jsonb;
BEGIN
    SELECT p.taskparams INTO v_text FROM doma_panda.jedi_taskparams p WHERE p.jeditaskid = p_jeditaskid;
    BEGIN
        v_params := v_text::jsonb;
    EXCEPTION WHEN others THEN
        v_params := NULL;
    END;
    RETURN CASE WHEN jsonb_typeof(v_params) = 'object' THEN v_params ELSE '{}'::jsonb END;
END;
$$;

-- task_rule: a task setting by its JEDI name: the value of its code in the split rule ('NF=2,...'; the
-- codes of task_split_rules in task_submission.sql and a few more), else the task parameter of that name
-- (a list as a comma-separated string), else NULL.
--   p_splitrule  jedi_tasks.splitrule
--   p_params     the task parameters (task_params)
--   p_name       the setting's JEDI name (nFilesPerJob, includedSite, ...)
CREATE OR REPLACE FUNCTION doma_panda.task_rule(p_splitrule text, p_params jsonb, p_name text)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT substr(r, length(c.code) + 2)
           FROM (SELECT x.param, x.code FROM doma_panda.task_split_rules() x
                 UNION ALL
                 VALUES ('ipConnectivity', 'IP'), ('ipStack', 'IK'), ('minCpuEfficiency', 'MC'), ('maxNumJobs', 'MN'),
                        ('maxWalltime', 'MW'), ('t1Weight', 'TW'), ('useScout', 'US'), ('maxEventsPerJob', 'MX'),
                        ('tgtMaxOutputForNG', 'TN')) c(param, code),
                unnest(string_to_array(coalesce(p_splitrule, ''), ',')) r
          WHERE c.param = p_name AND r LIKE c.code || '=%'
          LIMIT 1),
        CASE WHEN jsonb_typeof(p_params -> p_name) = 'array'
             THEN (SELECT string_agg(e, ',') FROM jsonb_array_elements_text(p_params -> p_name) e)
             ELSE p_params ->> p_name END);
$$;

-- task_rule_number: task_rule as a number; NULL when absent or not a number.
CREATE OR REPLACE FUNCTION doma_panda.task_rule_number(p_splitrule text, p_params jsonb, p_name text)
RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN v ~ '^\s*[0-9]+(\.[0-9]+)?\s*$' THEN trim(v)::numeric END
      FROM (SELECT doma_panda.task_rule(p_splitrule, p_params, p_name) AS v) x;
$$;

-- task_config_number: a JEDI gdpconfig number (app 'jedi', component 'jedi'), the VO's value first.
--   p_key      the key (SCOUT_RAMCOUNT_MARGIN, ...)
--   p_default  the value when the key is not configured
--   p_vo       the task's VO (NULL: only 'default')
CREATE OR REPLACE FUNCTION doma_panda.task_config_number(p_key text, p_default numeric, p_vo text DEFAULT NULL)
RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT CASE WHEN v ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN trim(v)::numeric END
                       FROM (SELECT doma_panda.get_config_value('jedi', p_key, 'jedi', p_vo) AS v) x), p_default);
$$;

-- task_fill_serial: a file name or parameter template with its serial number and task id filled in:
-- ${SN} (the number), ${SN/P} (six digits, zero-padded), $JEDITASKID and ${JEDITASKID}.
--   p_template    the template
--   p_serial      the serial number
--   p_jeditaskid  the task
CREATE OR REPLACE FUNCTION doma_panda.task_fill_serial(p_template text, p_serial bigint, p_jeditaskid bigint)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(replace(replace(replace(p_template, '${SN/P}', lpad(p_serial::text, 6, '0')),
                                   '${SN}', p_serial::text),
                           '${JEDITASKID}', p_jeditaskid::text),
                   '$JEDITASKID', p_jeditaskid::text);
$$;

-- task_job_groups: the split of a task's input files into jobs (greedy, in the given order): a new job
-- starts when the current one holds p_files_per_job files, or adding the file would pass p_events_per_job
-- events, p_bytes_per_job bytes, or the chapter 13 limits (p_disk_limit bytes of scratch disk with
-- p_out_per_event / p_work_disk, p_wall_limit seconds with p_cpu_per_event / p_core_power / p_cores /
-- p_efficiency / p_base_time). A file alone is always a job. Returns the job index (1-based) of each file,
-- in input order. NULL limits do not apply.
CREATE OR REPLACE FUNCTION doma_panda.task_job_groups(
    p_nevents bigint[], p_fsizes bigint[], p_files_per_job integer, p_events_per_job bigint, p_bytes_per_job bigint,
    p_disk_limit numeric, p_out_per_event numeric, p_work_disk numeric, p_wall_limit numeric, p_cpu_per_event numeric,
    p_core_power numeric, p_cores integer, p_efficiency numeric, p_base_time numeric)
RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_result integer[] := ARRAY[]::integer[];
    v_job integer := 0;
    v_files integer := 0;
    v_events numeric := 0;
    v_bytes numeric := 0;
    v_ev numeric;
    v_sz numeric;
    v_new boolean;
    v_n integer := coalesce(cardinality(p_nevents), 0);
BEGIN
    IF p_files_per_job IS NOT NULL AND p_events_per_job IS NULL AND p_bytes_per_job IS NULL AND p_disk_limit IS NULL
       AND p_wall_limit IS NULL THEN
        RETURN ARRAY(SELECT ((i - 1) / greatest(p_files_per_job, 1) + 1)::integer FROM generate_series(1, v_n) i);
    END IF;
    FOR i IN 1 .. v_n LOOP
        v_ev := greatest(coalesce(p_nevents[i], 1), 1);   -- a file without event information counts 1 (chapter 15)
        v_sz := coalesce(p_fsizes[i], 0);
        v_new := v_files = 0
            OR (p_files_per_job IS NOT NULL AND v_files >= p_files_per_job)
            OR (p_events_per_job IS NOT NULL AND v_events + v_ev > p_events_per_job)
            OR (p_bytes_per_job IS NOT NULL AND v_bytes + v_sz > p_bytes_per_job)
            OR (p_disk_limit IS NOT NULL AND v_bytes + v_sz + greatest(512.0 * 1024 * 1024, coalesce(p_out_per_event, 0) * (v_events + v_ev))
                                             + coalesce(p_work_disk, 0) > p_disk_limit)
            OR (p_wall_limit IS NOT NULL AND coalesce(p_cpu_per_event, 0) > 0
                AND coalesce(p_cpu_per_event, 0) * (v_events + v_ev)
                    / (greatest(p_cores, 1) * greatest(coalesce(p_core_power, 10), 0.001) * greatest(coalesce(p_efficiency, 0.9), 0.01))
                    + coalesce(p_base_time, 0) > p_wall_limit);
        IF v_new THEN
            v_job := v_job + 1;
            v_files := 0;
            v_events := 0;
            v_bytes := 0;
        END IF;
        v_files := v_files + 1;
        v_events := v_events + v_ev;
        v_bytes := v_bytes + v_sz;
        v_result := v_result || v_job;
    END LOOP;
    RETURN v_result;
END;
$$;

-- generate_task_jobs: one Job Generator step for one task (see the top of this file), one transaction.
-- Returns {"jeditaskid", "jobs": n, "status": the task's status after the step, "scouts": bool,
-- "sites": {queue: n}, "reason"} ("jobs" 0 with the reason when nothing was generated).
--   p_jeditaskid  the task
--   p_max_jobs    at most this many jobs in this step (NULL: gdpconfig GENERATE_MAX_JOBS_PER_TASK)
CREATE OR REPLACE FUNCTION doma_panda.generate_task_jobs(p_jeditaskid bigint, p_max_jobs integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_params jsonb;
    v_state text;
    v_scouts boolean;
    v_new_status text;
    v_max_jobs integer;
    v_max_attempt integer;
    v_files_per_job integer;
    v_events_per_job bigint;
    v_bytes_per_job bigint;
    v_max_files integer;
    v_cores integer;
    v_efficiency numeric;
    v_cpu_per_event numeric;
    v_out_per_event numeric;
    v_work_disk numeric;
    v_ram numeric;
    v_priority integer;
    v_gshare text;
    v_label text;
    v_best record;
    v_disk_limit numeric;
    v_wall_limit numeric;
    v_job_events bigint;
    v_job_bytes bigint;
    v_nevents bigint[];
    v_fsizes bigint[];
    v_groups integer[];
    v_candidates jsonb;
    v_reasons text;
    v_njobs integer;
    v_first_sn bigint;
    v_template text;
    v_stream record;
    v_sites jsonb;
    v_host text := doma_panda.task_host();
    v_resource_type text;
BEGIN
    SELECT * INTO v_task FROM doma_panda.jedi_tasks t
     WHERE t.jeditaskid = p_jeditaskid AND t.status IN ('ready', 'scouted', 'running', 'pending')
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('jeditaskid', p_jeditaskid, 'jobs', 0, 'reason', 'not a task to generate now or locked by another generator');
    END IF;
    v_state := v_task.status;
    IF v_task.status = 'pending' THEN
        -- pending after a brokerage that skipped every queue: retried after TASK_PENDING_RETRY_MINUTES
        IF v_task.oldstatus NOT IN ('ready', 'scouted', 'running')
           OR v_task.statechangetime > v_now - make_interval(mins => doma_panda.task_config_number('TASK_PENDING_RETRY_MINUTES', 60, v_task.vo)::integer) THEN
            RETURN jsonb_build_object('jeditaskid', p_jeditaskid, 'jobs', 0, 'status', 'pending', 'reason', 'pending');
        END IF;
        v_state := v_task.oldstatus;
    END IF;
    v_params := doma_panda.task_params(p_jeditaskid);
    v_scouts := v_state = 'ready'
                AND NOT coalesce(lower(doma_panda.task_rule(v_task.splitrule, v_params, 'skipScout')) IN ('true', '1', 'yes'), false)
                AND coalesce(doma_panda.task_rule(v_task.splitrule, v_params, 'useScout'), '2') <> '1';  -- US=1: skipScout
    v_new_status := CASE WHEN v_scouts THEN 'scouting' ELSE 'running' END;
    v_max_jobs := coalesce(p_max_jobs, doma_panda.task_config_number('GENERATE_MAX_JOBS_PER_TASK', 1000, v_task.vo)::integer);
    IF v_scouts THEN
        v_max_jobs := least(v_max_jobs, coalesce(doma_panda.task_rule_number(v_task.splitrule, v_params, 'nScoutJobs'),
                                                 doma_panda.task_config_number('N_SCOUT_JOBS', 10, v_task.vo))::integer);
    END IF;
    v_max_attempt := coalesce(doma_panda.task_rule_number(v_task.splitrule, v_params, 'maxAttempt'),
                              doma_panda.task_config_number('TASK_MAX_ATTEMPT', 3, v_task.vo))::integer;
    v_files_per_job := doma_panda.task_rule_number(v_task.splitrule, v_params, 'nFilesPerJob')::integer;
    v_events_per_job := doma_panda.task_rule_number(v_task.splitrule, v_params, 'nEventsPerJob')::bigint;
    v_bytes_per_job := (doma_panda.task_rule_number(v_task.splitrule, v_params, 'nGBPerJob') * 1024 * 1024 * 1024)::bigint;
    v_max_files := coalesce(doma_panda.task_rule_number(v_task.splitrule, v_params, 'nMaxFilesPerJob'),
                            doma_panda.task_config_number('MAX_FILES_PER_JOB', 200, v_task.vo))::integer;
    v_cores := greatest(coalesce(v_task.corecount, 1), 1);
    v_efficiency := CASE WHEN v_task.cpuefficiency IS NULL THEN 0.9 ELSE v_task.cpuefficiency / 100.0 END;
    v_cpu_per_event := coalesce(v_task.cputime, 0) * CASE WHEN v_task.cputimeunit LIKE 'mHS06%' THEN 0.001 ELSE 1 END;
    v_out_per_event := coalesce(v_task.outdiskcount, 0) * CASE WHEN v_task.outdiskunit ILIKE 'MB%' THEN 1024 * 1024
                                                               WHEN v_task.outdiskunit ILIKE 'GB%' THEN 1024 * 1024 * 1024
                                                               ELSE 1024 END;   -- kB per event by default
    v_work_disk := coalesce(v_task.workdiskcount, 0) * CASE WHEN v_task.workdiskunit ILIKE 'GB%' THEN 1024 * 1024 * 1024
                                                            WHEN v_task.workdiskunit ILIKE 'kB%' THEN 1024
                                                            ELSE 1024 * 1024 END;  -- MB by default
    v_ram := coalesce(v_task.baseramcount, 0) + coalesce(v_task.ramcount, 0) * CASE WHEN coalesce(v_task.ramunit, 'MBPerCore') ILIKE '%PerCore%' THEN v_cores ELSE 1 END;
    v_label := coalesce(v_task.prodsourcelabel, 'managed');
    v_resource_type := doma_panda.job_resource_type(v_cores, v_ram::bigint);

    -- the input files to use: 'ready', attempts left, master datasets in order
    CREATE TEMP TABLE IF NOT EXISTS task_gen_file (
        ord integer, job_index integer, datasetid bigint, fileid bigint, lfn text, guid text, scope text, fsize bigint,
        checksum text, nevents bigint, startevent bigint, endevent bigint, firstevent bigint, attemptnr integer,
        maxattempt integer, type text, datasetname text, streamname text) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS task_gen_job (
        job_index integer, pandaid bigint, serialnr bigint, computingsite text, cloud text, nfiles integer,
        nevents bigint, inbytes bigint, startevent bigint, firstevent bigint, attemptnr integer, maxattempt integer,
        jobparameters text, walltime bigint, diskcount bigint, proddblock text) ON COMMIT DELETE ROWS;
    TRUNCATE task_gen_file, task_gen_job;

    WITH picked AS (
        SELECT c.datasetid, c.fileid
          FROM doma_panda.jedi_dataset_contents c
          JOIN doma_panda.jedi_datasets d ON d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid
         WHERE c.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL
           AND c.status = 'ready' AND coalesce(c.attemptnr, 0) < coalesce(c.maxattempt, v_max_attempt)
         ORDER BY c.datasetid, c.fileid
         LIMIT greatest(v_max_jobs, 1) * greatest(coalesce(v_files_per_job, v_max_files), 1)
           FOR UPDATE OF c SKIP LOCKED
    )
    INSERT INTO task_gen_file (ord, datasetid, fileid, lfn, guid, scope, fsize, checksum, nevents, startevent, endevent,
                               firstevent, attemptnr, maxattempt, type, datasetname, streamname)
    SELECT row_number() OVER (ORDER BY c.datasetid, c.fileid), c.datasetid, c.fileid, c.lfn, c.guid, c.scope, c.fsize,
           c.checksum, c.nevents, c.startevent, c.endevent, c.firstevent, coalesce(c.attemptnr, 0),
           coalesce(c.maxattempt, v_max_attempt), d.type, d.datasetname, d.streamname
      FROM picked p
      JOIN doma_panda.jedi_dataset_contents c ON c.jeditaskid = p_jeditaskid AND c.datasetid = p.datasetid AND c.fileid = p.fileid
      JOIN doma_panda.jedi_datasets d ON d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('jeditaskid', p_jeditaskid, 'jobs', 0, 'status', v_task.status, 'reason', 'no input files ready');
    END IF;

    -- the smallest job the split rule allows, for the brokerage's estimates (chapter 12)
    SELECT coalesce(v_events_per_job, greatest(min(coalesce(f.nevents, 1)), 1) * coalesce(v_files_per_job, 1)),
           coalesce(min(f.fsize), 0) * coalesce(v_files_per_job, 1)
      INTO v_job_events, v_job_bytes FROM task_gen_file f;
    IF v_task.status = 'pending' THEN
        PERFORM doma_panda.task_set_status(p_jeditaskid, v_state, 'brokerage retried after pending');
    END IF;
    v_candidates := doma_panda.broker_task(p_jeditaskid, v_scouts, v_job_events, v_job_bytes);
    IF jsonb_array_length(v_candidates -> 'selected') = 0 THEN
        SELECT string_agg(format('%s: %s', s.key, s.value #>> '{}'), '; ' ORDER BY s.key) INTO v_reasons
          FROM jsonb_each(v_candidates -> 'skipped') s;
        PERFORM doma_panda.task_set_status(p_jeditaskid, 'pending',
            left('no queue for the jobs (' || coalesce(v_reasons, 'no candidate queue') || ')', 510));
        -- the picked files stay 'ready' (nothing was written to them)
        RETURN jsonb_build_object('jeditaskid', p_jeditaskid, 'jobs', 0, 'status', 'pending', 'reason', coalesce(v_reasons, 'no candidate queue'));
    END IF;

    -- job sizing (chapter 13) against the best queue when the task sets no n*PerJob
    SELECT (c ->> 'maxwdir')::numeric AS maxwdir, (c ->> 'maxtime')::numeric AS maxtime,
           (c ->> 'corepower')::numeric AS corepower, (c ->> 'corecount')::integer AS corecount
      INTO v_best FROM jsonb_array_elements(v_candidates -> 'selected') c LIMIT 1;
    IF v_files_per_job IS NULL AND v_events_per_job IS NULL AND v_bytes_per_job IS NULL THEN
        IF v_best.maxwdir > 0 THEN
            v_disk_limit := v_best.maxwdir * 1024 * 1024 * v_cores / greatest(coalesce(v_best.corecount, 1), 1);
        END IF;
        IF v_best.maxtime > 0 AND v_cpu_per_event > 0 THEN
            v_wall_limit := v_best.maxtime;
        END IF;
        v_files_per_job := v_max_files;
    END IF;
    SELECT array_agg(f.nevents ORDER BY f.ord), array_agg(f.fsize ORDER BY f.ord) INTO v_nevents, v_fsizes FROM task_gen_file f;
    v_groups := doma_panda.task_job_groups(v_nevents, v_fsizes, least(coalesce(v_files_per_job, v_max_files), v_max_files),
                                           v_events_per_job, v_bytes_per_job, v_disk_limit, v_out_per_event, v_work_disk,
                                           v_wall_limit, v_cpu_per_event, coalesce(v_best.corepower, 10), v_cores,
                                           v_efficiency, coalesce(v_task.basewalltime, 0));
    UPDATE task_gen_file f SET job_index = v_groups[f.ord];
    DELETE FROM task_gen_file f WHERE f.job_index > v_max_jobs;
    ANALYZE task_gen_file;  -- temporary tables have no statistics otherwise
    SELECT count(DISTINCT f.job_index) INTO v_njobs FROM task_gen_file f;

    -- serial numbers: one per job, from the output templates (all advance together)
    UPDATE doma_panda.jedi_output_template o SET serialnr = coalesce(o.serialnr, 1) + v_njobs
     WHERE o.jeditaskid = p_jeditaskid;
    -- serialnr is the next serial number to use (item "offset" + 1 at refinement)
    SELECT max(o.serialnr) - v_njobs - 1 INTO v_first_sn FROM doma_panda.jedi_output_template o WHERE o.jeditaskid = p_jeditaskid;
    IF v_first_sn IS NULL THEN
        SELECT coalesce(sum(d.nfilesused), 0) INTO v_first_sn FROM doma_panda.jedi_datasets d
         WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('input', 'pseudo_input') AND d.masterid IS NULL;
    END IF;

    -- the jobs, spread over the selected queues in proportion to their weights
    WITH jobs AS (
        SELECT f.job_index, min(f.datasetname) AS proddblock, count(*)::integer AS nfiles, sum(greatest(coalesce(f.nevents, 1), 1))::bigint AS nevents,
               coalesce(sum(f.fsize), 0)::bigint AS inbytes, min(f.startevent) AS startevent, min(f.firstevent) AS firstevent,
               max(f.attemptnr) AS attemptnr, min(f.maxattempt) AS maxattempt,
               row_number() OVER (ORDER BY f.job_index) AS n
          FROM task_gen_file f GROUP BY f.job_index
    ), sel AS (
        SELECT c ->> 'panda_queue' AS queue, c ->> 'cloud' AS cloud,
               sum((c ->> 'weight')::numeric) OVER (ORDER BY o) / sum((c ->> 'weight')::numeric) OVER () AS upper_share,
               coalesce(sum((c ->> 'weight')::numeric) OVER (ORDER BY o ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                   / sum((c ->> 'weight')::numeric) OVER () AS lower_share
          FROM jsonb_array_elements(v_candidates -> 'selected') WITH ORDINALITY AS x(c, o)
    )
    INSERT INTO task_gen_job (job_index, pandaid, serialnr, computingsite, cloud, nfiles, nevents, inbytes, startevent,
                              firstevent, attemptnr, maxattempt, walltime, diskcount, proddblock)
    SELECT j.job_index, nextval('doma_panda.jobsdefined4_pandaid_seq'), v_first_sn + j.n, s.queue, s.cloud, j.nfiles,
           j.nevents, j.inbytes, j.startevent, j.firstevent, j.attemptnr + 1, j.maxattempt,
           CASE WHEN v_cpu_per_event > 0
                THEN ceil(v_cpu_per_event * j.nevents / (v_cores * coalesce(v_best.corepower, 10) * v_efficiency)
                          + coalesce(v_task.basewalltime, 0))::bigint
                ELSE v_task.walltime END,
           ceil((j.inbytes + greatest(512.0 * 1024 * 1024, v_out_per_event * j.nevents) + v_work_disk) / (1024 * 1024))::bigint,
           j.proddblock
      FROM jobs j
      JOIN LATERAL (SELECT sel.queue, sel.cloud FROM sel
                     WHERE (j.n - 0.5) / v_njobs > sel.lower_share AND (j.n - 0.5) / v_njobs <= sel.upper_share
                     LIMIT 1) s ON true
     ORDER BY j.job_index;
    ANALYZE task_gen_job;

    -- secondary input datasets (masterid set): each job reads one of their files in turn by its serial
    -- number (a single file, e.g. a database release, goes to every job); their files are shared, their
    -- status never changes, and the job's file rows carry no fileid (the job end leaves them alone)
    CREATE TEMP TABLE IF NOT EXISTS task_gen_secondary (
        job_index integer, datasetid bigint, lfn text, guid text, scope text, fsize bigint, checksum text,
        datasetname text, streamname text) ON COMMIT DELETE ROWS;
    TRUNCATE task_gen_secondary;
    INSERT INTO task_gen_secondary (job_index, datasetid, lfn, guid, scope, fsize, checksum, datasetname, streamname)
    SELECT j.job_index, s.datasetid, s.lfn, s.guid, s.scope, s.fsize, s.checksum, s.datasetname, s.streamname
      FROM (SELECT c.datasetid, c.lfn, c.guid, c.scope, c.fsize, c.checksum, d.datasetname, d.streamname,
                   row_number() OVER (PARTITION BY c.datasetid ORDER BY c.fileid) - 1 AS k,
                   count(*) OVER (PARTITION BY c.datasetid) AS n
              FROM doma_panda.jedi_dataset_contents c
              JOIN doma_panda.jedi_datasets d ON d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid
             WHERE c.jeditaskid = p_jeditaskid AND d.type = 'input' AND d.masterid IS NOT NULL
               AND c.status NOT IN ('missing', 'lost', 'broken')) s
      JOIN task_gen_job j ON s.k = (j.serialnr - 1) % s.n;

    -- job parameters: the template with serial numbers, the files of each stream, events
    SELECT t.jobparamstemplate INTO v_template FROM doma_panda.jedi_jobparams_template t WHERE t.jeditaskid = p_jeditaskid;
    UPDATE task_gen_job j
       SET jobparameters = replace(replace(replace(replace(replace(
               doma_panda.task_fill_serial(coalesce(v_template, ''), j.serialnr, p_jeditaskid),
               '${MAXEVENTS}', j.nevents::text), '${SKIPEVENTS}', coalesce(j.startevent, 0)::text),
               '${FIRSTEVENT}', coalesce(j.firstevent, j.startevent + 1, 1)::text),
               '${RNDMSEED}', j.serialnr::text), '${SEQNUMBER}', j.serialnr::text);
    FOR v_stream IN SELECT DISTINCT f.streamname FROM task_gen_file f WHERE f.streamname IS NOT NULL LOOP
        UPDATE task_gen_job j
           SET jobparameters = replace(replace(replace(j.jobparameters, '${' || v_stream.streamname || '}', x.lfns),
                                               '${' || v_stream.streamname || '/T}', x.lfns),
                                       '${' || v_stream.streamname || '/L}', x.lfns)
          FROM (SELECT f.job_index, string_agg(f.lfn, ',' ORDER BY f.ord) AS lfns FROM task_gen_file f
                 WHERE f.streamname = v_stream.streamname GROUP BY f.job_index) x
         WHERE x.job_index = j.job_index;
    END LOOP;
    FOR v_stream IN SELECT DISTINCT f.streamname FROM task_gen_secondary f WHERE f.streamname IS NOT NULL LOOP
        UPDATE task_gen_job j
           SET jobparameters = replace(replace(replace(j.jobparameters, '${' || v_stream.streamname || '}', x.lfns),
                                               '${' || v_stream.streamname || '/T}', x.lfns),
                                       '${' || v_stream.streamname || '/L}', x.lfns)
          FROM (SELECT f.job_index, string_agg(f.lfn, ',' ORDER BY f.datasetid) AS lfns FROM task_gen_secondary f
                 WHERE f.streamname = v_stream.streamname GROUP BY f.job_index) x
         WHERE x.job_index = j.job_index;
    END LOOP;

    -- the output and log files: one per job and output/log dataset, named from the templates
    CREATE TEMP TABLE IF NOT EXISTS task_gen_output (
        job_index integer, pandaid bigint, datasetid bigint, fileid bigint, lfn text, type text, datasetname text,
        streamname text, scope text) ON COMMIT DELETE ROWS;
    TRUNCATE task_gen_output;
    INSERT INTO task_gen_output (job_index, pandaid, datasetid, fileid, lfn, type, datasetname, streamname, scope)
    SELECT j.job_index, j.pandaid, d.datasetid, nextval('doma_panda.jedi_dataset_cont_fileid_seq'),
           doma_panda.task_fill_serial(coalesce(o.filenametemplate, d.datasetname || '.${SN/P}'), j.serialnr, p_jeditaskid),
           d.type, d.datasetname, d.streamname, split_part(d.datasetname, '.', 1)
      FROM task_gen_job j
      CROSS JOIN doma_panda.jedi_datasets d
      LEFT JOIN LATERAL (SELECT t.filenametemplate FROM doma_panda.jedi_output_template t
                          WHERE t.jeditaskid = d.jeditaskid AND t.datasetid = d.datasetid ORDER BY t.outtempid LIMIT 1) o ON true
     WHERE d.jeditaskid = p_jeditaskid AND d.type IN ('output', 'log');
    ANALYZE task_gen_output;
    FOR v_stream IN SELECT DISTINCT o.streamname FROM task_gen_output o WHERE o.streamname IS NOT NULL LOOP
        UPDATE task_gen_job j SET jobparameters = replace(j.jobparameters, '${' || v_stream.streamname || '}', o.lfn)
          FROM task_gen_output o WHERE o.pandaid = j.pandaid AND o.streamname = v_stream.streamname;
    END LOOP;

    -- tagging (section 14.2) and priority (section 2.12: scouts first)
    v_gshare := coalesce(v_task.gshare, doma_panda.job_global_share(jsonb_build_object(
        'prodsourcelabel', v_label, 'workinggroup', v_task.workinggroup, 'processingtype', v_task.processingtype, 'vo', v_task.vo)));
    v_priority := coalesce(v_task.currentpriority, v_task.taskpriority, 0)
                  + CASE WHEN v_scouts THEN doma_panda.task_config_number('SCOUT_PRIORITY_OFFSET', 100, v_task.vo)::integer ELSE 0 END;

    INSERT INTO doma_panda.jobsactive4 (
        pandaid, jobdefinitionid, creationtime, creationhost, modificationtime, modificationhost, atlasrelease,
        transformation, homepackage, prodsourcelabel, produserid, assignedpriority, currentpriority, attemptnr,
        maxattempt, jobstatus, jobname, maxcpucount, maxcpuunit, maxdiskcount, maxdiskunit, minramcount, minramunit,
        computingsite, proddblock, destinationdblock, cloud, cmtconfig, statechangetime, vo, workinggroup,
        processingtype, produsername, ninputfiles, countrygroup, specialhandling, jobsetid, corecount, ninputdatafiles,
        inputfilebytes, workqueue_id, jeditaskid, reqid, maxwalltime, failedattempt, gshare, resource_type,
        container_name, job_label, taskid)
    SELECT j.pandaid, 0, v_now, v_host, v_now, v_host, v_task.transuses,
           v_task.transpath, v_task.transhome, v_label, v_task.username, v_priority, v_priority, j.attemptnr,
           greatest(j.maxattempt, j.attemptnr), 'activated',
           left(coalesce(v_task.taskname, 'task' || p_jeditaskid) || '.' || lpad(j.serialnr::text, 6, '0'), 256),
           coalesce(j.walltime, 0), 's', j.diskcount, 'MB', v_ram::bigint, 'MB',
           j.computingsite, j.proddblock,
           (SELECT min(d.datasetname) FROM doma_panda.jedi_datasets d WHERE d.jeditaskid = p_jeditaskid AND d.type = 'output'),
           j.cloud, v_task.architecture, v_now, v_task.vo, v_task.workinggroup,
           v_task.processingtype, v_task.username, j.nfiles, v_task.countrygroup, CASE WHEN v_scouts THEN 'sj' END,
           p_jeditaskid, v_cores, j.nfiles, j.inbytes, v_task.workqueue_id, p_jeditaskid, v_task.reqid, j.walltime, 0,
           v_gshare, v_resource_type, v_task.container_name, v_task.job_label,
           NULL
      FROM task_gen_job j ORDER BY j.pandaid;

    INSERT INTO doma_panda.jobparamstable (pandaid, modificationtime, jobparameters)
    SELECT j.pandaid, v_now, j.jobparameters FROM task_gen_job j;

    INSERT INTO doma_panda.filestable4 (row_id, pandaid, modificationtime, guid, lfn, type, dataset, status, proddblock,
                                        destinationdblock, fsize, checksum, scope, jeditaskid, datasetid, fileid, attemptnr)
    SELECT nextval('doma_panda.filestable4_row_id_seq'), x.pandaid, v_now, x.guid, x.lfn, x.type, x.dataset, x.status,
           x.proddblock, x.destinationdblock, x.fsize, x.checksum, x.scope, p_jeditaskid, x.datasetid, x.fileid, x.attemptnr
      FROM (SELECT j.pandaid, f.guid, f.lfn, f.type, f.datasetname AS dataset, 'ready' AS status, f.datasetname AS proddblock,
                   NULL::text AS destinationdblock, coalesce(f.fsize, 0) AS fsize, f.checksum, f.scope, f.datasetid, f.fileid, f.attemptnr::smallint AS attemptnr,
                   1 AS kind, f.ord AS ord
              FROM task_gen_file f JOIN task_gen_job j ON j.job_index = f.job_index
            UNION ALL
            SELECT j.pandaid, f.guid, f.lfn, 'input', f.datasetname, 'ready', f.datasetname, NULL, coalesce(f.fsize, 0), f.checksum,
                   f.scope, f.datasetid, NULL::bigint, 0::smallint, 1, 1000000000 + f.datasetid
              FROM task_gen_secondary f JOIN task_gen_job j ON j.job_index = f.job_index
            UNION ALL
            SELECT o.pandaid, gen_random_uuid()::text, o.lfn, o.type, o.datasetname, 'unknown', NULL, o.datasetname, 0::bigint,
                   NULL, o.scope, o.datasetid, o.fileid, 0::smallint, 2, o.datasetid
              FROM task_gen_output o) x
     ORDER BY x.pandaid, x.kind, x.ord;

    INSERT INTO doma_panda.jobs_statuslog (pandaid, modificationtime, jobstatus, prodsourcelabel, cloud, computingsite,
                                          modificationhost, modiftime_extended)
    SELECT j.pandaid, v_now, 'activated', v_label, j.cloud, j.computingsite, v_host, doma_panda.job_precise_now()
      FROM task_gen_job j;

    -- the task's files: inputs running with their PandaID, outputs added to their datasets
    UPDATE doma_panda.jedi_dataset_contents c
       SET status = 'running', pandaid = j.pandaid, lastattempttime = v_now, maxattempt = coalesce(c.maxattempt, f.maxattempt),
           attemptnr = coalesce(c.attemptnr, 0), proc_status = CASE WHEN v_scouts THEN 'scout' ELSE c.proc_status END
      FROM task_gen_file f JOIN task_gen_job j ON j.job_index = f.job_index
     WHERE c.jeditaskid = p_jeditaskid AND c.datasetid = f.datasetid AND c.fileid = f.fileid;
    INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, guid, type, status,
                                                  scope, attemptnr, maxattempt, keeptrack, pandaid, fsize)
    SELECT p_jeditaskid, o.datasetid, o.fileid, v_now, o.lfn, NULL, o.type, 'running', o.scope, 0, 1, 1, o.pandaid, 0
      FROM task_gen_output o;
    UPDATE doma_panda.jedi_datasets d
       SET nfilesused = coalesce(d.nfilesused, 0) + x.n, neventsused = coalesce(d.neventsused, 0) + x.ev, modificationtime = v_now
      FROM (SELECT f.datasetid, count(*) AS n, sum(coalesce(f.nevents, 0)) AS ev FROM task_gen_file f GROUP BY f.datasetid) x
     WHERE d.jeditaskid = p_jeditaskid AND d.datasetid = x.datasetid;
    UPDATE doma_panda.jedi_datasets d
       SET nfiles = coalesce(d.nfiles, 0) + x.n, modificationtime = v_now,
           status = CASE WHEN d.status IN ('defined', 'ready') THEN 'running' ELSE d.status END
      FROM (SELECT o.datasetid, count(*) AS n FROM task_gen_output o GROUP BY o.datasetid) x
     WHERE d.jeditaskid = p_jeditaskid AND d.datasetid = x.datasetid;

    -- event-service tasks: the jobs become consumers of their jobset's event ranges (events.sql)
    PERFORM doma_panda.event_service_jobs_generated(p_jeditaskid, ARRAY(SELECT j.pandaid FROM task_gen_job j));
    UPDATE doma_panda.jedi_tasks t SET gshare = coalesce(t.gshare, v_gshare), lockedby = NULL, lockedtime = NULL
     WHERE t.jeditaskid = p_jeditaskid;
    PERFORM doma_panda.task_set_status(p_jeditaskid, v_new_status,
        CASE WHEN v_new_status = 'scouting' THEN format('%s scout jobs generated', v_njobs) END);
    SELECT jsonb_object_agg(s.computingsite, s.n) INTO v_sites
      FROM (SELECT j.computingsite, count(*) AS n FROM task_gen_job j GROUP BY j.computingsite) s;
    RETURN jsonb_build_object('jeditaskid', p_jeditaskid, 'jobs', v_njobs, 'status', v_new_status, 'scouts', v_scouts,
                              'sites', v_sites, 'reason', NULL);
END;
$$;

-- generate_jobs: the Job Generator for the tasks of one global share (or of every share when p_gshare
-- is NULL), in this transaction: takes the share's transaction advisory lock (section 14.3: one generator
-- per share at a time; a share another generator holds is skipped), then generates for up to p_max_tasks
-- tasks to generate now (ready, scouted, running with ready input, pending whose retry time has come),
-- highest priority first. Returns {"tasks": [generate_task_jobs results], "skipped_shares": [...]}.
--   p_gshare     the leaf global share (jedi_tasks.gshare; tasks without one belong to the share their
--                attributes tag them with)
--   p_max_tasks  at most this many tasks
--   p_max_jobs   at most this many jobs per task (NULL: gdpconfig GENERATE_MAX_JOBS_PER_TASK)
CREATE OR REPLACE FUNCTION doma_panda.generate_jobs(p_gshare text DEFAULT NULL, p_max_tasks integer DEFAULT 20,
                                                   p_max_jobs integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_share text;
    v_task bigint;
    v_results jsonb := '[]'::jsonb;
    v_skipped jsonb := '[]'::jsonb;
    v_count integer := 0;
BEGIN
    FOR v_share IN
        SELECT DISTINCT s.share FROM doma_panda.task_generation_candidates(NULL, p_max_tasks) s
         WHERE p_gshare IS NULL OR s.share = p_gshare ORDER BY s.share
    LOOP
        IF NOT pg_try_advisory_xact_lock(hashtext('pandadb.generate_jobs'), hashtext(v_share)) THEN
            v_skipped := v_skipped || to_jsonb(v_share);
            CONTINUE;
        END IF;
        FOR v_task IN SELECT s.jeditaskid FROM doma_panda.task_generation_candidates(v_share, p_max_tasks) s LOOP
            EXIT WHEN v_count >= p_max_tasks;
            v_results := v_results || jsonb_build_array(doma_panda.generate_task_jobs(v_task, p_max_jobs));
            v_count := v_count + 1;
        END LOOP;
    END LOOP;
    RETURN jsonb_build_object('tasks', v_results, 'skipped_shares', v_skipped);
END;
$$;

-- task_generation_candidates: tasks the Job Generator should look at, by share, highest priority first:
-- ready, scouted, running with input files left (master dataset nfilesused < nfiles), and pending after a
-- brokerage (oldstatus ready, scouted or running).
--   p_gshare  only this share (NULL: all)
--   p_limit   at most this many per share
CREATE OR REPLACE FUNCTION doma_panda.task_generation_candidates(p_gshare text, p_limit integer)
RETURNS TABLE (share text, jeditaskid bigint)
LANGUAGE sql STABLE AS $$
    SELECT x.share, x.jeditaskid
      FROM (SELECT coalesce(t.gshare, doma_panda.job_global_share(jsonb_build_object(
                       'prodsourcelabel', coalesce(t.prodsourcelabel, 'managed'), 'workinggroup', t.workinggroup,
                       'processingtype', t.processingtype, 'vo', t.vo)), '') AS share,
                   t.jeditaskid, t.currentpriority, t.taskpriority
              FROM doma_panda.jedi_tasks t
             WHERE (t.status IN ('ready', 'scouted')
                    OR (t.status = 'running' AND EXISTS (SELECT 1 FROM doma_panda.jedi_datasets d
                                                          WHERE d.jeditaskid = t.jeditaskid AND d.type IN ('input', 'pseudo_input')
                                                            AND d.masterid IS NULL
                                                            AND coalesce(d.nfilesused, 0) < coalesce(d.nfiles, 0)))
                    OR (t.status = 'pending' AND t.oldstatus IN ('ready', 'scouted', 'running')))) x
     WHERE p_gshare IS NULL OR x.share = p_gshare
     ORDER BY x.share, coalesce(x.currentpriority, x.taskpriority, 0) DESC, x.jeditaskid
     LIMIT CASE WHEN p_gshare IS NULL THEN NULL ELSE p_limit END;
$$;

-- run_job_generator: the scheduled Job Generator: every share, one transaction per task (COMMIT after
-- each), until no task generates or p_max_tasks tasks were done. A task whose step fails is left as it
-- was (WARNING with the error) and the others go on.
--   p_max_tasks  at most this many task steps in one run
--   p_max_jobs   at most this many jobs per task step
CREATE OR REPLACE PROCEDURE doma_panda.run_job_generator(p_max_tasks integer DEFAULT 100, p_max_jobs integer DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    v_share text;
    v_shares text[];
    v_result jsonb;
    v_done integer := 0;
    v_seen bigint[] := ARRAY[]::bigint[];
    v_task bigint;
BEGIN
    SELECT array_agg(DISTINCT s.share) INTO v_shares FROM doma_panda.task_generation_candidates(NULL, NULL) s;
    FOREACH v_share IN ARRAY coalesce(v_shares, ARRAY[]::text[]) LOOP
        LOOP
            EXIT WHEN v_done >= p_max_tasks;
            SELECT s.jeditaskid INTO v_task FROM doma_panda.task_generation_candidates(v_share, p_max_tasks) s
             WHERE s.jeditaskid <> ALL (v_seen) LIMIT 1;
            EXIT WHEN v_task IS NULL;
            v_seen := v_seen || v_task;
            IF pg_try_advisory_xact_lock(hashtext('pandadb.generate_jobs'), hashtext(v_share)) THEN
                BEGIN  -- a task that fails to generate is reported and left as it was; the others go on
                    v_result := doma_panda.generate_task_jobs(v_task, p_max_jobs);
                EXCEPTION WHEN others THEN
                    RAISE WARNING 'run_job_generator: task %: %', v_task, SQLERRM;
                END;
                v_done := v_done + 1;
            ELSE
                EXIT;   -- another generator holds this share
            END IF;
            COMMIT;
            v_task := NULL;
        END LOOP;
        COMMIT;
    END LOOP;
END;
$$;
