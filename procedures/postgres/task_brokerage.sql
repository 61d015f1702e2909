-- Tasks in the database, the job brokerage (seed 004 section 2.7 and chapter 12): which queues the jobs of
-- a task may go to and with what weight. The Job Generator (task_generation.sql) calls broker_task once per
-- generation step and spreads the new jobs over the selected queues in proportion to their weights.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- Queues and their configuration are doma_panda.schedconfig_json (register_panda_queue): status, cloud,
-- corecount, capability ('ucore': unified, any core count up to corecount), maxrss / minrss (MB), maxtime
-- (seconds), maxwdir (MB), corepower (HS06 per core), wnconnectivity ('full|http|none#IPv4|IPv6'),
-- direct_access_lan (true: input read in place, no scratch disk for it), num_slots.
--
-- 1. Preliminary candidates: the queues the task names (site, includedSite; '*' wildcards; pre-assigned) or
--    else every queue without 'test' in its name (case-insensitive); restricted to the task's cloud when it
--    has one; excludedSite removed.
-- 2. Filters (the first failing one is the queue's skip reason): status online (pre-assigned: any but
--    offline and paused); core count; memory (baseRamCount + ramCount x coreCount) x 0.9 within
--    [minrss, maxrss]; scouts: maxtime >= 24 hours; walltime cpuTime x nEvents / (C x P x cpuEfficiency)
--    + baseTime < maxtime; disk inputDiskCount + max(0.5 GB, outDiskCount x nEvents) + workDiskCount <=
--    maxwdir / queue cores x job cores; ipConnectivity against wnconnectivity.
-- 3. Weight: manyAssigned = max(1, min(2, assigned / activated));
--    weight = (running + 1) / ((activated + assigned + starting + defined + 10) x manyAssigned), running
--    being the larger of the running jobs and num_slots; then data availability from the replica
--    catalogue (replicas at the queue or its site, over the task's next 1000 input files):
--    weight x (availableSize + totalSize) / (totalSize x (numMissingFiles / 100 + 1)). This system moves
--    no data: jobs are activated wherever they land; the weight only prefers queues holding the input.
-- 4. Further filters: for scouts, skip inactive queues (activated jobs waiting for 2 hours, no job started
--    in 2 hours); skip a queue when transferring > max(transferringlimit (2000), 2 x running); skip it when
--    activated + starting > 2 x running, or defined + activated + assigned + starting > 2 x running, once
--    these queued jobs pass gdpconfig BROKER_QUEUED_CUTOFF (20).
-- 5. The best BROKER_MAX_CANDIDATES (10) by weight are selected; none selected -> the generator sets the
--    task 'pending' (retried after TASK_PENDING_RETRY_MINUTES, 60).

-- broker_site_matches: true when a queue name matches one of a comma-separated list of names with '*' wildcards.
--   p_queue     the queue name
--   p_patterns  'A,B*,...' (NULL or '' matches nothing)
CREATE OR REPLACE FUNCTION doma_panda.broker_site_matches(p_queue text, p_patterns text)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(bool_or(p_queue ILIKE replace(replace(replace(trim(p), '_', '\_'), '%', '\%'), '*', '%')), false)
      FROM unnest(string_to_array(coalesce(p_patterns, ''), ',')) p
     WHERE trim(p) <> '';
$$;

-- broker_connectivity_ok: a task's ipConnectivity ('network#stack') against a queue's wnconnectivity:
-- network full accepts any task, http accepts http and none, none only none; a queue stack accepts tasks
-- with that stack or none, an unset queue stack only tasks without one.
CREATE OR REPLACE FUNCTION doma_panda.broker_connectivity_ok(p_task text, p_queue text)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN coalesce(p_task, '') = '' THEN true
        ELSE (coalesce(nullif(split_part(p_task, '#', 1), ''), 'none') = 'none'
              OR coalesce(nullif(split_part(p_queue, '#', 1), ''), 'full') = 'full'
              OR (split_part(p_queue, '#', 1) = 'http' AND split_part(p_task, '#', 1) = 'http'))
             AND (split_part(p_task, '#', 2) = '' OR lower(split_part(p_task, '#', 2)) = lower(split_part(coalesce(p_queue, ''), '#', 2)))
    END;
$$;

-- broker_task: the job brokerage of a task (see the top of this file). Returns
-- {"selected": [{"panda_queue", "cloud", "weight", "running", "activated", "assigned", "starting", "defined",
--   "corecount", "corepower", "maxtime", "maxwdir"}, ...] best first, "skipped": {queue: reason}}.
--   p_jeditaskid   the task
--   p_is_scout     brokering scout jobs (the 24-hour maxtime rule)
--   p_job_events   events of the smallest job the split rule allows (nEvents of the estimates)
--   p_job_bytes    input bytes of that job (inputDiskCount)
CREATE OR REPLACE FUNCTION doma_panda.broker_task(p_jeditaskid bigint, p_is_scout boolean DEFAULT false,
                                                 p_job_events bigint DEFAULT 1, p_job_bytes bigint DEFAULT 0)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_task doma_panda.jedi_tasks%ROWTYPE;
    v_params jsonb;
    v_assigned_sites text;
    v_excluded text;
    v_connectivity text;
    v_cores integer;
    v_ram numeric;
    v_cpu numeric;
    v_eff numeric;
    v_out numeric;
    v_work numeric;
    v_cutoff numeric;
    v_max integer;
    v_result jsonb;
    v_now timestamp without time zone := doma_panda.panda_now();
BEGIN
    SELECT * INTO v_task FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_jeditaskid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', p_jeditaskid USING ERRCODE = 'PD003';
    END IF;
    v_params := doma_panda.task_params(p_jeditaskid);
    v_assigned_sites := concat_ws(',', nullif(v_task.site, ''), doma_panda.task_rule(v_task.splitrule, v_params, 'includedSite'));
    v_excluded := doma_panda.task_rule(v_task.splitrule, v_params, 'excludedSite');
    -- the Task Refiner codes ipConnectivity as IP=1 (full) or IP=2 (http)
    v_connectivity := concat_ws('#', CASE doma_panda.task_rule(v_task.splitrule, v_params, 'ipConnectivity')
                                         WHEN '1' THEN 'full' WHEN '2' THEN 'http'
                                         ELSE doma_panda.task_rule(v_task.splitrule, v_params, 'ipConnectivity') END,
                                nullif(doma_panda.task_rule(v_task.splitrule, v_params, 'ipStack'), ''));
    IF v_connectivity LIKE '%#%#%' THEN
        v_connectivity := split_part(v_connectivity, '#', 1) || '#' || split_part(v_connectivity, '#', 2);
    END IF;
    v_cores := greatest(coalesce(v_task.corecount, 1), 1);
    v_ram := (coalesce(v_task.baseramcount, 0) + coalesce(v_task.ramcount, 0)
              * CASE WHEN coalesce(v_task.ramunit, 'MBPerCore') ILIKE '%PerCore%' THEN v_cores ELSE 1 END) * 0.9;
    v_cpu := coalesce(v_task.cputime, 0) * CASE WHEN v_task.cputimeunit LIKE 'mHS06%' THEN 0.001 ELSE 1 END;
    v_eff := CASE WHEN v_task.cpuefficiency IS NULL OR v_task.cpuefficiency <= 0 THEN 0.9 ELSE v_task.cpuefficiency / 100.0 END;
    v_out := coalesce(v_task.outdiskcount, 0) * CASE WHEN v_task.outdiskunit ILIKE 'MB%' THEN 1024 * 1024
                                                     WHEN v_task.outdiskunit ILIKE 'GB%' THEN 1024 * 1024 * 1024 ELSE 1024 END;
    v_work := coalesce(v_task.workdiskcount, 0) * CASE WHEN v_task.workdiskunit ILIKE 'GB%' THEN 1024 * 1024 * 1024
                                                       WHEN v_task.workdiskunit ILIKE 'kB%' THEN 1024 ELSE 1024 * 1024 END;
    v_cutoff := doma_panda.task_config_number('BROKER_QUEUED_CUTOFF', 20, v_task.vo);
    v_max := doma_panda.task_config_number('BROKER_MAX_CANDIDATES', 10, v_task.vo)::integer;

    WITH queues AS (
        SELECT q.panda_queue::text AS queue, q.data::jsonb AS c FROM doma_panda.schedconfig_json q
    ), prelim AS (
        SELECT q.queue, q.c,
               greatest(coalesce(CASE WHEN q.c ->> 'corecount' ~ '^[0-9]+$' THEN (q.c ->> 'corecount')::integer END, 1), 1) AS qcores,
               CASE WHEN q.c ->> 'maxrss' ~ '^[0-9.]+$' THEN (q.c ->> 'maxrss')::numeric END AS maxrss,
               CASE WHEN q.c ->> 'minrss' ~ '^[0-9.]+$' THEN (q.c ->> 'minrss')::numeric END AS minrss,
               CASE WHEN q.c ->> 'maxtime' ~ '^[0-9.]+$' THEN (q.c ->> 'maxtime')::numeric END AS maxtime,
               CASE WHEN q.c ->> 'maxwdir' ~ '^[0-9.]+$' THEN (q.c ->> 'maxwdir')::numeric END AS maxwdir,
               coalesce(CASE WHEN q.c ->> 'corepower' ~ '^[0-9.]+$' THEN (q.c ->> 'corepower')::numeric END, 10) AS corepower,
               coalesce(CASE WHEN q.c ->> 'num_slots' ~ '^[0-9]+$' THEN (q.c ->> 'num_slots')::numeric END, 0) AS num_slots
          FROM queues q
         WHERE CASE WHEN coalesce(v_assigned_sites, '') <> '' THEN doma_panda.broker_site_matches(q.queue, v_assigned_sites)
                    ELSE q.queue NOT ILIKE '%test%' END
           AND (coalesce(v_task.cloud, '') = '' OR q.c ->> 'cloud' = v_task.cloud)
    ), judged AS (
        SELECT p.*, CASE
            WHEN doma_panda.broker_site_matches(p.queue, v_excluded) THEN 'excludedSite'
            WHEN coalesce(v_assigned_sites, '') = '' AND coalesce(p.c ->> 'status', 'online') <> 'online'
                THEN 'status=' || (p.c ->> 'status')
            WHEN coalesce(p.c ->> 'status', 'online') IN ('offline', 'paused') THEN 'status=' || (p.c ->> 'status')
            WHEN v_cores > p.qcores OR (v_cores < p.qcores AND coalesce(p.c ->> 'capability', '') <> 'ucore')
                THEN format('corecount %s does not fit the queue''s %s', v_cores, p.qcores)
            WHEN p.maxrss > 0 AND v_ram > p.maxrss THEN format('memory %s MB over maxrss %s', round(v_ram), p.maxrss)
            WHEN p.minrss > 0 AND v_ram < p.minrss THEN format('memory %s MB under minrss %s', round(v_ram), p.minrss)
            WHEN p_is_scout AND p.maxtime > 0 AND p.maxtime < 24 * 3600 THEN 'maxtime under 24 hours for scouts'
            WHEN p.maxtime > 0 AND v_cpu > 0
                 AND v_cpu * greatest(p_job_events, 1) / (v_cores * p.corepower * v_eff) + coalesce(v_task.basewalltime, 0) > p.maxtime
                THEN 'walltime over maxtime'
            WHEN p.maxwdir > 0
                 AND (CASE WHEN coalesce(p.c ->> 'direct_access_lan', 'false') = 'true' THEN 0 ELSE coalesce(p_job_bytes, 0) END
                      + greatest(512.0 * 1024 * 1024, v_out * greatest(p_job_events, 1)) + v_work)
                     > p.maxwdir * 1024 * 1024 / p.qcores * v_cores
                THEN 'disk over maxwdir'
            WHEN NOT doma_panda.broker_connectivity_ok(v_connectivity, p.c ->> 'wnconnectivity')
                THEN format('ipConnectivity %s not offered (%s)', v_connectivity, coalesce(p.c ->> 'wnconnectivity', 'unset'))
        END AS reason
          FROM prelim p
    ), counts AS (
        SELECT j.computingsite::text AS queue,
               count(*) FILTER (WHERE j.jobstatus = 'running') AS running,
               count(*) FILTER (WHERE j.jobstatus = 'activated') AS activated,
               count(*) FILTER (WHERE j.jobstatus = 'starting') AS starting,
               0::bigint AS assigned, 0::bigint AS defined,
               count(*) FILTER (WHERE j.jobstatus = 'transferring') AS transferring,
               count(*) FILTER (WHERE j.jobstatus = 'activated' AND j.statechangetime < v_now - interval '2 hours') AS stale,
               count(*) FILTER (WHERE j.starttime > v_now - interval '2 hours') AS started
          FROM doma_panda.jobsactive4 j WHERE j.computingsite IN (SELECT queue FROM judged WHERE reason IS NULL)
         GROUP BY j.computingsite
        UNION ALL
        SELECT j.computingsite::text, 0, 0, 0, count(*) FILTER (WHERE j.jobstatus = 'assigned'),
               count(*) FILTER (WHERE j.jobstatus = 'defined'), 0, 0, 0
          FROM doma_panda.jobsdefined4 j WHERE j.computingsite IN (SELECT queue FROM judged WHERE reason IS NULL)
         GROUP BY j.computingsite
        UNION ALL
        SELECT j.computingsite::text, 0, 0, 0, 0, 0, 0, 0, count(*)
          FROM doma_panda.jobsarchived4 j
         WHERE j.computingsite IN (SELECT queue FROM judged WHERE reason IS NULL)
           AND j.modificationtime > v_now - interval '2 hours' AND j.starttime > v_now - interval '2 hours'
         GROUP BY j.computingsite
    ), inputs AS (
        -- the next input files of the task (a sample of up to 1000), for the data availability weight
        SELECT c.scope, c.lfn, coalesce(c.fsize, 0) AS fsize
          FROM doma_panda.jedi_dataset_contents c
          JOIN doma_panda.jedi_datasets d ON d.jeditaskid = c.jeditaskid AND d.datasetid = c.datasetid
         WHERE c.jeditaskid = p_jeditaskid AND d.type = 'input' AND d.masterid IS NULL AND c.status = 'ready'
         ORDER BY c.datasetid, c.fileid
         LIMIT 1000
    ), availability AS (
        SELECT g.queue, coalesce(sum(i.fsize), 0) AS total_size,
               coalesce(sum(i.fsize) FILTER (WHERE r.lfn IS NOT NULL), 0) AS available_size,
               count(i.lfn) FILTER (WHERE r.lfn IS NULL) AS missing
          FROM judged g
          CROSS JOIN inputs i
          LEFT JOIN LATERAL (SELECT x.lfn FROM doma_panda.pandadb_file_replicas x
                              WHERE x.scope = i.scope AND x.lfn = i.lfn AND x.site IN (g.queue, g.c ->> 'atlas_site')
                              LIMIT 1) r ON true
         WHERE g.reason IS NULL
         GROUP BY g.queue
    ), weighted AS (
        SELECT g.queue, g.c, g.qcores, g.maxtime, g.maxwdir, g.corepower,
               greatest(coalesce(sum(n.running), 0), g.num_slots) AS running, coalesce(sum(n.activated), 0) AS activated,
               coalesce(sum(n.assigned), 0) AS assigned, coalesce(sum(n.starting), 0) AS starting,
               coalesce(sum(n.defined), 0) AS defined, coalesce(sum(n.transferring), 0) AS transferring,
               coalesce(sum(n.stale), 0) AS stale, coalesce(sum(n.started), 0) AS started,
               coalesce(CASE WHEN g.c ->> 'transferringlimit' ~ '^[0-9]+$' THEN (g.c ->> 'transferringlimit')::numeric END, 2000)
                   AS transferring_limit
          FROM judged g LEFT JOIN counts n ON n.queue = g.queue
         WHERE g.reason IS NULL
         GROUP BY g.queue, g.c, g.qcores, g.maxtime, g.maxwdir, g.corepower, g.num_slots
    ), scored AS (
        SELECT w.*, coalesce(a.missing, 0) AS missing,
               (w.running + 1) / ((w.activated + w.assigned + w.starting + w.defined + 10)
                                  * greatest(1, least(2, w.assigned / greatest(w.activated, 1))))
               * CASE WHEN coalesce(a.total_size, 0) > 0
                      THEN (a.available_size + a.total_size) / (a.total_size * (a.missing / 100.0 + 1))
                      ELSE 1 END AS weight,
               CASE WHEN p_is_scout AND w.stale > 0 AND w.started = 0
                        THEN 'inactive: activated jobs waiting but no job started in 2 hours'
                    WHEN w.transferring > greatest(w.transferring_limit, 2 * w.running)
                        THEN format('too many transferring: %s > max(%s, 2 x running %s)', w.transferring, w.transferring_limit, w.running)
                    WHEN w.activated + w.starting > greatest(2 * w.running, v_cutoff)
                        THEN format('too many activated: activated %s + starting %s > 2 x running %s', w.activated, w.starting, w.running)
                    WHEN w.defined + w.activated + w.assigned + w.starting > greatest(2 * w.running, v_cutoff)
                        THEN format('too many queued: %s > 2 x running %s', w.defined + w.activated + w.assigned + w.starting, w.running)
               END AS reason
          FROM weighted w LEFT JOIN availability a ON a.queue = w.queue
    ), ranked AS (
        SELECT s.*, row_number() OVER (ORDER BY s.weight DESC, s.queue) AS rank FROM scored s WHERE s.reason IS NULL
    )
    SELECT jsonb_build_object(
        'selected', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'panda_queue', r.queue, 'cloud', r.c ->> 'cloud', 'weight', r.weight, 'running', r.running,
                'activated', r.activated, 'assigned', r.assigned, 'starting', r.starting, 'defined', r.defined,
                'corecount', r.qcores, 'corepower', r.corepower, 'maxtime', r.maxtime, 'maxwdir', r.maxwdir,
                'missing_files', r.missing)
                ORDER BY r.rank) FROM ranked r WHERE r.rank <= v_max), '[]'::jsonb),
        'skipped', coalesce((SELECT jsonb_object_agg(x.queue, x.reason) FROM (
                SELECT g.queue, g.reason FROM judged g WHERE g.reason IS NOT NULL
                UNION ALL SELECT s.queue, s.reason FROM scored s WHERE s.reason IS NOT NULL) x), '{}'::jsonb))
      INTO v_result;
    RETURN v_result;
END;
$$;
