-- Job dispatch, pull mode (seed 004 sections 2.8, 7.2, 14.4; REST pilot/acquire_jobs of seed 000):
-- a pilot (or harvester) asks for jobs for its queue and resources; acquire_jobs picks activated jobs
-- that fit, in global-share order, locks them with FOR UPDATE SKIP LOCKED, marks them 'sent' and
-- returns the job descriptions the pilot reads (keys of shared/reference/pilot_job_description_keys.txt).
--
-- Global-share order (seed 004 section 14.4: "the share furthest away from its target first, then
-- priority inside the share"): each share's target is its fraction of the tree (global_shares.value
-- relative to its siblings, multiplied down from the root); its actual is its fraction of the jobs
-- occupying the queue's slots right now (sent + starting + running at this queue). We measure the
-- actual at the queue, not globally: it is exact, costs one index range of the queue, and a queue that
-- keeps every share near its target keeps the whole grid near it (PanDA's assumption of healthy
-- distributions across resources). Leaf shares are served by deficit (target - actual) descending, then
-- inner shares, then jobs without a share; inside a share by currentpriority DESC, pandaid.
-- The pick walks the shares in that order, each a LIMIT over the partial index jobsactive4_dispatch_idx
-- with SKIP LOCKED (as PanDA's getJobs loops over its sorted shares), inside ONE statement that also
-- marks the jobs sent, logs them and describes them: at 1M activated jobs over 200 queues the pick reads
-- ~n index entries per call, whatever the queue's depth.
-- Speed (pandadb bench dispatch): acquire_jobs runs its statements with generic plans (plan_cache_mode =
-- force_generic_plan): the custom plans plpgsql otherwise keeps choosing for queries with optional
-- filters ((v_x IS NULL OR ...), which a generic plan cannot fold) were re-planned on every call, and
-- planning a query over jobsactive4 and its 17 indexes cost more than running it.
-- The share order is cached per queue (as PanDA sorts its shares from periodically refreshed statistics):
-- counting the queue's busy jobs and walking the share tree was a third of acquire_jobs' statement, and the
-- count grows with the queue's running jobs. The order lives in PanDA's key/value table doma_panda.cache
-- (main_key 'dispatch_share_order', sub_key the queue, data the share keys in order as a text[] literal,
-- last_update when computed, UTC) and is recomputed by the first caller that finds it older than gdpconfig
-- dispatcher SHARE_ORDER_CACHE_SECONDS (default 10; 0 or less: computed on every call, nothing cached). That
-- caller locks the cache row with SKIP LOCKED: concurrent callers meanwhile keep the previous order, none waits.
-- A share created since the last refresh is served from the next one. Queue names longer than the cache's
-- sub_key (56) are not cached.

-- global_share_targets: every global share with its target fraction of the whole (values relative to
-- siblings, multiplied down from the roots) and whether it is a leaf.
CREATE OR REPLACE FUNCTION doma_panda.global_share_targets()
RETURNS TABLE (share_name text, target numeric, is_leaf boolean)
LANGUAGE sql STABLE AS $$
-- SQL, inlinable: called in FROM, its query becomes part of the caller's (planned once in a plpgsql caller)
    WITH RECURSIVE weighted AS (
        SELECT s.name, s.parent,
               s.value::numeric / nullif(sum(s.value) OVER (PARTITION BY s.parent), 0) AS fraction
          FROM doma_panda.global_shares s
    ), tree AS (
        SELECT w.name, coalesce(w.fraction, 0) AS target FROM weighted w WHERE w.parent IS NULL
        UNION ALL
        SELECT w.name, t.target * coalesce(w.fraction, 0) FROM weighted w JOIN tree t ON w.parent = t.name
    )
    SELECT t.name::text, t.target,
           NOT EXISTS (SELECT 1 FROM doma_panda.global_shares c WHERE c.parent = t.name)
      FROM tree t;
$$;

-- dispatch_share_order: the order in which acquire_jobs serves the shares at a queue (see above).
-- share_key is the share name, '' for jobs without a share (the dispatch index's coalesce(gshare, '')).
--   p_site_name  the PanDA queue
CREATE OR REPLACE FUNCTION doma_panda.dispatch_share_order(p_site_name text)
RETURNS TABLE (share_key text, target numeric, actual numeric, rank bigint)
LANGUAGE sql STABLE AS $$
-- SQL, inlinable into acquire_jobs' statement (see the top of this file)
    WITH busy AS (
        SELECT coalesce(j.gshare, '')::text AS share_key, count(*)::numeric AS n
          FROM doma_panda.jobsactive4 j
         WHERE j.computingsite = p_site_name AND j.jobstatus IN ('sent', 'starting', 'running')
         GROUP BY 1
    ), total AS (
        SELECT sum(n) AS n FROM busy
    ), shares AS (
        SELECT t.share_name AS share_key, t.target, coalesce(b.n / nullif(total.n, 0), 0) AS actual, t.is_leaf
          FROM doma_panda.global_share_targets() t
         CROSS JOIN total
          LEFT JOIN busy b ON b.share_key = t.share_name
        UNION ALL
        SELECT '', 0, 0, false
    )
    SELECT s.share_key, s.target, s.actual,
           row_number() OVER (ORDER BY s.share_key = '', NOT s.is_leaf, s.target - s.actual DESC, s.target DESC, s.share_key)
      FROM shares s
     ORDER BY 4;
$$;

-- dispatch_request_bigint: an integer parameter of a request, NULL when absent; PD002 naming it otherwise.
CREATE OR REPLACE FUNCTION doma_panda.dispatch_request_bigint(p_request jsonb, p_key text)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_request -> p_key IS NULL OR jsonb_typeof(p_request -> p_key) = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_request -> p_key) NOT IN ('number', 'string') OR (p_request ->> p_key) !~ '^\s*-?[0-9]+(\.0*)?\s*$' THEN
        RAISE EXCEPTION '% must be an integer, not %', p_key, p_request -> p_key USING ERRCODE = 'PD002';
    END IF;
    RETURN (p_request ->> p_key)::numeric::bigint;
END;
$$;

-- pilot_job_description: the job description a pilot receives (PanDA's Protocol.Response.appendJob),
-- with exactly the keys of shared/reference/pilot_job_description_keys.txt. File fields are
-- comma-separated, one entry per file in file order (input files for inFiles, GUID, fsize, checksum,
-- scopeIn, realDatasetsIn, dispatchDblock, prodDBlocks, ddmEndPointIn...; output and log files for
-- outFiles, destinationDblock, realDatasets, fileDestinationSE, ddmEndPointOut...); unset file fields
-- read 'NULL' as in PanDA. Keys PanDA leaves out when unset are given as '' (strings), 'False' (flags)
-- or true (loopingCheck). jobPars comes from jobparamstable; taskID is the JEDI task when the job has one.
--   p_job           the job row (jobsactive4)
--   p_in_endpoint   the queue's default input DDM endpoint ('' if none)
--   p_out_endpoint  the queue's default output DDM endpoint ('' if none)
CREATE OR REPLACE FUNCTION doma_panda.pilot_job_description(p_job doma_panda.jobsactive4, p_in_endpoint text, p_out_endpoint text)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- PL/pgSQL, not SQL: its plan is prepared once per session, not at every call
    RETURN (
    WITH sh AS (
        SELECT string_to_array(coalesce(p_job.specialhandling, ''), ',') AS items
    ), files AS MATERIALIZED (  -- the job's files, read once (one probe per partition of filestable4)
        SELECT f.row_id, f.type, f.lfn, f.guid, f.fsize, f.checksum, f.md5sum, f.scope, f.dataset, f.dispatchdblock,
               f.dispatchdblocktoken, f.proddblock, f.proddblocktoken, f.destinationdblock, f.destinationse,
               f.destinationdblocktoken
          FROM doma_panda.filestable4 f
         WHERE f.pandaid = p_job.pandaid AND f.type IN ('input', 'output', 'log')
    ), inputs AS (
        SELECT string_agg(f.lfn, ',' ORDER BY f.row_id) AS lfns,
               string_agg(coalesce(f.guid, 'NULL'), ',' ORDER BY f.row_id) AS guids,
               string_agg(f.fsize::text, ',' ORDER BY f.row_id) AS sizes,
               string_agg(CASE WHEN coalesce(f.checksum, '') NOT IN ('', 'NULL') THEN f.checksum ELSE coalesce(f.md5sum, 'NULL') END,
                          ',' ORDER BY f.row_id) AS checksums,
               string_agg(coalesce(f.scope, 'NULL'), ',' ORDER BY f.row_id) AS scopes,
               string_agg(coalesce(f.dataset, 'NULL'), ',' ORDER BY f.row_id) AS datasets,
               string_agg(coalesce(f.dispatchdblock, 'NULL'), ',' ORDER BY f.row_id) AS dispatch_blocks,
               string_agg(coalesce(f.dispatchdblocktoken, 'NULL'), ',' ORDER BY f.row_id) AS dispatch_tokens,
               string_agg(coalesce(f.proddblock, 'NULL'), ',' ORDER BY f.row_id) AS prod_blocks,
               string_agg(coalesce(f.proddblocktoken, 'NULL'), ',' ORDER BY f.row_id) AS prod_tokens,
               string_agg(p_in_endpoint, ',' ORDER BY f.row_id) AS endpoints
          FROM files f
         WHERE f.type = 'input'
    ), outputs AS (
        SELECT string_agg(f.lfn, ',' ORDER BY f.row_id) AS lfns,
               string_agg(coalesce(f.destinationdblock, 'NULL'), ',' ORDER BY f.row_id) AS destination_blocks,
               string_agg(coalesce(f.dataset, 'NULL'), ',' ORDER BY f.row_id) AS datasets,
               string_agg(coalesce(f.destinationse, 'NULL'), ',' ORDER BY f.row_id) AS destination_ses,
               string_agg(regexp_replace(split_part(coalesce(f.destinationdblocktoken, 'NULL'), ',', 1), '^ddd:', 'dst:'),
                          ',' ORDER BY f.row_id) AS destination_tokens,
               string_agg(coalesce(f.dispatchdblocktoken, 'NULL'), ',' ORDER BY f.row_id) AS dispatch_tokens,
               string_agg(coalesce(f.proddblocktoken, 'NULL'), ',' ORDER BY f.row_id) AS prod_tokens,
               string_agg(p_out_endpoint, ',' ORDER BY f.row_id) AS endpoints,
               string_agg(coalesce(f.scope, 'NULL'), ',' ORDER BY f.row_id) FILTER (WHERE f.type = 'output') AS scopes,
               max(f.lfn) FILTER (WHERE f.type = 'log') AS log_file,
               max(coalesce(f.guid, 'NULL')) FILTER (WHERE f.type = 'log') AS log_guid,
               max(coalesce(f.scope, 'NULL')) FILTER (WHERE f.type = 'log') AS log_scope
          FROM files f
         WHERE f.type IN ('output', 'log')
    ), inputs_by_dataset AS (  -- writeToFile: tmpin_<dataset>:lfn,lfn^...
        SELECT string_agg('tmpin_' || d.short_name || ':' || d.lfns, '^' ORDER BY d.first_row) AS text
          FROM (SELECT split_part(regexp_replace(coalesce(f.dataset, ''), '/$', ''), ':', -1) AS short_name,
                       string_agg(f.lfn, ',' ORDER BY f.row_id) AS lfns, min(f.row_id) AS first_row
                  FROM files f
                 WHERE f.type = 'input'
                 GROUP BY 1) d
    ), parameters AS (
        SELECT coalesce((SELECT p.jobparameters FROM doma_panda.jobparamstable p WHERE p.pandaid = p_job.pandaid
                          ORDER BY p.modificationtime DESC LIMIT 1), p_job.jobparameters) AS text
    ), task AS (
        SELECT t.iointensity, t.iointensityunit FROM doma_panda.jedi_tasks t WHERE t.jeditaskid = p_job.jeditaskid
    )
    SELECT jsonb_build_object(
               'PandaID', p_job.pandaid,
               'prodSourceLabel', p_job.prodsourcelabel,
               'swRelease', p_job.atlasrelease,
               'homepackage', p_job.homepackage,
               'transformation', p_job.transformation,
               'jobName', p_job.jobname,
               'jobDefinitionID', p_job.jobdefinitionid,
               'cloud', p_job.cloud,
               'inFiles', coalesce(inputs.lfns, ''),
               'dispatchDblock', coalesce(inputs.dispatch_blocks, ''),
               'dispatchDBlockToken', coalesce(inputs.dispatch_tokens, ''),
               'dispatchDBlockTokenForOut', coalesce(outputs.dispatch_tokens, ''),
               'outFiles', coalesce(outputs.lfns, ''),
               'destinationDblock', coalesce(outputs.destination_blocks, ''),
               'destinationDBlockToken', coalesce(outputs.destination_tokens, ''),
               'prodDBlocks', coalesce(inputs.prod_blocks, ''),
               'prodDBlockToken', coalesce(inputs.prod_tokens, ''),
               'prodDBlockTokenForOutput', coalesce(outputs.prod_tokens, ''),
               'realDatasets', coalesce(outputs.datasets, ''),
               'realDatasetsIn', coalesce(inputs.datasets, ''),
               'fileDestinationSE', coalesce(outputs.destination_ses, ''),
               'logFile', coalesce(outputs.log_file, ''),
               'logGUID', coalesce(outputs.log_guid, ''),
               'jobPars', coalesce(parameters.text, ''),
               'attemptNr', p_job.attemptnr)
        || jsonb_build_object(
               'GUID', coalesce(inputs.guids, ''),
               'checksum', coalesce(inputs.checksums, ''),
               'fsize', coalesce(inputs.sizes, ''),
               'scopeIn', coalesce(inputs.scopes, ''),
               'scopeOut', coalesce(outputs.scopes, ''),
               'scopeLog', coalesce(outputs.log_scope, ''),
               'ddmEndPointIn', coalesce(inputs.endpoints, ''),
               'ddmEndPointOut', coalesce(outputs.endpoints, ''),
               'destinationSE', p_job.destinationse,
               'prodUserID', p_job.produserid,
               'maxCpuCount', p_job.maxcpucount,
               'minRamCount', p_job.minramcount,
               'maxDiskCount', p_job.maxdiskcount,
               'cmtConfig', p_job.cmtconfig,
               'processingType', p_job.processingtype,
               'transferType', p_job.transfertype,
               'sourceSite', p_job.sourcesite,
               'currentPriority', p_job.currentpriority,
               'taskID', CASE WHEN p_job.lockedby = 'jedi' OR p_job.taskid IS NULL THEN p_job.jeditaskid ELSE p_job.taskid END,
               'coreCount', coalesce(p_job.corecount, 1),
               'jobsetID', p_job.jobsetid,
               'reqID', p_job.reqid,
               'nucleus', p_job.nucleus,
               'maxWalltime', p_job.maxwalltime)
        || jsonb_build_object(
               'resource_type', p_job.resource_type,
               'loopingCheck', NOT ('lc' = ANY (sh.items)),
               'debug', CASE WHEN sh.items && '{dm,debug}' THEN 'True' ELSE 'False' END,
               'cloneJob', CASE WHEN p_job.eventservice = 3
                                THEN coalesce((SELECT split_part(i, ':', 2) FROM unnest(sh.items) i WHERE i LIKE 'sc:%' LIMIT 1), '')
                                ELSE '' END,
               'eventService', CASE WHEN p_job.eventservice IN (1, 4, 5, 6) THEN 'True' ELSE 'False' END,
               'eventServiceMerge', CASE WHEN p_job.eventservice = 2 THEN 'True' ELSE 'False' END,
               'writeToFile', CASE WHEN 'wf' = ANY (sh.items) THEN coalesce(inputs_by_dataset.text, '') ELSE '' END,
               'container_name', p_job.container_name,
               'allowNoOutput', '',
               'altStageOut', coalesce((SELECT split_part(i, ':', 2) FROM unnest(sh.items) i WHERE i LIKE 'ao:%' LIMIT 1), ''),
               'putLogToOS', CASE WHEN 'po' = ANY (sh.items) THEN 'True' ELSE 'False' END,
               'noExecStrCnv', CASE WHEN 'nc' = ANY (sh.items) THEN 'True' ELSE 'False' END,
               'inFilePosEvtNum', CASE WHEN 'if' = ANY (sh.items) THEN 'True' ELSE 'False' END,
               'usePrefetcher', CASE WHEN 'up' = ANY (sh.items) THEN 'True' ELSE 'False' END,
               'ioIntensity', (SELECT task.iointensity FROM task),
               'ioIntensityUnit', (SELECT task.iointensityunit FROM task),
               'isHPO', CASE WHEN 'ho' = ANY (sh.items) THEN 'True' ELSE 'False' END,
               'useVP', 'False',
               'onSiteMerging', CASE WHEN 'om' = ANY (sh.items) THEN 'True' ELSE 'False' END,
               'errorDialog', '',
               'pandaProxySecretKey', '')
      FROM sh, inputs, outputs, inputs_by_dataset, parameters);
END;
$$;

-- acquire_jobs: give a pilot up to n jobs of its queue that fit its resources (REST pilot/acquire_jobs),
-- in global-share order then currentpriority DESC, pandaid (see the top of this file). Fitting:
-- minramcount <= memory, maxdiskcount <= disk_space, resource_type, prodsourcelabel (prod_source_label
-- 'user' also takes 'panda', 'unified'/'any' takes every label; job_type 'user'/'analysis' or
-- 'managed'/'production' restricts to analysis or production labels), jeditaskid = task_id, owner =
-- prod_user_id, maxwalltime <= remaining_time, corecount <= the queue's 'corecount', no pending kill.
-- An 'offline' or 'paused' queue gets no job; a 'test' queue only test labels. The jobs become 'sent'
-- (modificationhost = node, computingelement, schedulerid = scheduler_id or harvester_id, batchid of
-- the harvester worker, state-change and modification time now), each transition is logged in
-- jobs_statuslog, and harvester_rel_jobs_workers records harvester_id/worker_id when given.
-- Returns a JSON array of job descriptions (pilot_job_description), [] when nothing fits. An unregistered
-- queue is PD003; a queue of another VO than the caller's (its 'vo', else its cloud's) PD005, and only jobs
-- of the caller's VO (or without one) are given. A harvester worker that asks again while the jobs it was
-- given are still 'sent' (the answer was lost) gets those again (dispatch_again), not new ones.
-- Concurrency: FOR UPDATE SKIP LOCKED, so concurrent callers never receive the same job.
--   p_site_name  the PanDA queue (computingsite)
--   p_n_jobs     how many jobs (NULL = 1; capped by gdpconfig dispatcher MAX_JOBS_PER_ACQUIRE)
--   p_request    the other acquire_jobs API parameters by their API names (memory, disk_space,
--                prod_source_label, node, computing_element, prod_user_id, task_id, resource_type,
--                harvester_id, worker_id, scheduler_id, job_type, remaining_time, background, ...)
--   p_requester      the authenticated caller (user name); NULL from psql
--   p_requester_vo   the caller's VO (for the message naming the group that gives the role)
--   p_is_production  whether the caller has the production (or pilot) role; without it a caller may
--                    only acquire their own user jobs: prod_source_label must be 'user' (else PD005),
--                    prod_user_id is the caller, get_proxy_key is ignored
CREATE OR REPLACE FUNCTION doma_panda.acquire_jobs(p_site_name text, p_n_jobs integer, p_request jsonb,
                                                   p_requester text DEFAULT NULL, p_requester_vo text DEFAULT NULL,
                                                   p_is_production boolean DEFAULT true)
RETURNS jsonb
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan  -- see the top of this file: planned once per session, not per call
SET enable_bitmapscan = off  -- the generic plan of a share's pick must walk the dispatch index in order, not sort a bitmap
AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_request jsonb;
    v_unknown text;
    v_queue jsonb;
    v_queue_status text;
    v_wanted integer;
    v_memory bigint;
    v_disk bigint;
    v_label text;
    v_labels text[];
    v_job_type_labels text[];
    v_resource_type text;
    v_task_id bigint;
    v_user text;
    v_remaining bigint;
    v_core_limit bigint;
    v_node text;
    v_computing_element text;
    v_scheduler text;
    v_harvester text;
    v_worker bigint;
    v_batch text;
    v_jobs jsonb;
    v_queue_vo text;
    v_share_order text[];
    v_share_order_seconds numeric;
    v_cached_share_order text;
    v_cached_at timestamp without time zone;
    v_clock timestamp without time zone := now() AT TIME ZONE 'UTC';  -- the cache's clock: real time, never pinned
BEGIN
    IF coalesce(p_site_name, '') = '' THEN
        RAISE EXCEPTION 'site_name is required' USING ERRCODE = 'PD002';
    END IF;
    IF p_n_jobs IS NOT NULL AND p_n_jobs < 1 THEN
        RAISE EXCEPTION 'n_jobs must be at least 1, not %', p_n_jobs USING ERRCODE = 'PD002';
    END IF;
    IF p_request IS NOT NULL AND jsonb_typeof(p_request) <> 'object' THEN
        RAISE EXCEPTION 'the acquire_jobs request must be a JSON object' USING ERRCODE = 'PD002';
    END IF;
    -- the request without its null values; checked with expressions (no query) in the common case of a
    -- valid request, the queries that name the culprits run only when one is wrong
    v_request := jsonb_strip_nulls(coalesce(p_request, '{}'::jsonb));
    IF v_request - ARRAY['site_name', 'timeout', 'memory', 'disk_space', 'prod_source_label', 'node', 'computing_element',
                         'prod_user_id', 'get_proxy_key', 'task_id', 'n_jobs', 'background', 'resource_type', 'harvester_id',
                         'worker_id', 'scheduler_id', 'job_type', 'via_topic', 'remaining_time'] <> '{}'::jsonb THEN
        SELECT string_agg(k, ', ' ORDER BY k) INTO v_unknown
          FROM jsonb_object_keys(v_request) k
         WHERE k NOT IN ('site_name', 'timeout', 'memory', 'disk_space', 'prod_source_label', 'node', 'computing_element',
                         'prod_user_id', 'get_proxy_key', 'task_id', 'n_jobs', 'background', 'resource_type', 'harvester_id',
                         'worker_id', 'scheduler_id', 'job_type', 'via_topic', 'remaining_time');
        RAISE EXCEPTION 'acquire_jobs: unknown parameters %', v_unknown USING ERRCODE = 'PD002';
    END IF;
    IF ARRAY[jsonb_typeof(v_request -> 'prod_source_label'), jsonb_typeof(v_request -> 'node'),
             jsonb_typeof(v_request -> 'computing_element'), jsonb_typeof(v_request -> 'prod_user_id'),
             jsonb_typeof(v_request -> 'resource_type'), jsonb_typeof(v_request -> 'harvester_id'),
             jsonb_typeof(v_request -> 'scheduler_id'), jsonb_typeof(v_request -> 'job_type')]
       && ARRAY['object', 'array', 'boolean'] THEN
        SELECT string_agg(k, ', ' ORDER BY k) INTO v_unknown
          FROM jsonb_object_keys(v_request) k
         WHERE k IN ('prod_source_label', 'node', 'computing_element', 'prod_user_id', 'resource_type', 'harvester_id',
                     'scheduler_id', 'job_type') AND jsonb_typeof(v_request -> k) NOT IN ('string', 'number');
        RAISE EXCEPTION 'acquire_jobs: % must be strings', v_unknown USING ERRCODE = 'PD002';
    END IF;
    IF NOT coalesce(p_is_production, true) THEN
        IF (v_request ->> 'prod_source_label') IS DISTINCT FROM 'user' THEN
            RAISE EXCEPTION 'acquiring jobs other than prod_source_label=user requires the production role (a token group %/production or %/pilot)',
                coalesce(p_requester_vo, '<vo>'), coalesce(p_requester_vo, '<vo>') USING ERRCODE = 'PD005';
        END IF;
        v_request := (v_request - 'get_proxy_key') || jsonb_build_object('prod_user_id', p_requester);
    END IF;
    v_memory := doma_panda.dispatch_request_bigint(v_request, 'memory');
    v_disk := doma_panda.dispatch_request_bigint(v_request, 'disk_space');
    v_task_id := doma_panda.dispatch_request_bigint(v_request, 'task_id');
    v_worker := doma_panda.dispatch_request_bigint(v_request, 'worker_id');
    v_remaining := doma_panda.dispatch_request_bigint(v_request, 'remaining_time');
    PERFORM doma_panda.dispatch_request_bigint(v_request, 'timeout');
    -- 0 means "not given" for the resource limits, as pilots send it
    v_memory := nullif(v_memory, 0);
    v_disk := nullif(v_disk, 0);
    v_remaining := nullif(v_remaining, 0);
    v_label := v_request ->> 'prod_source_label';
    v_resource_type := nullif(v_request ->> 'resource_type', '');
    v_user := nullif(v_request ->> 'prod_user_id', '');
    v_node := v_request ->> 'node';
    v_computing_element := v_request ->> 'computing_element';
    v_harvester := v_request ->> 'harvester_id';
    v_scheduler := coalesce(v_request ->> 'scheduler_id', v_harvester);

    -- the queue, the cap (gdpconfig dispatcher MAX_JOBS_PER_ACQUIRE, get_config_value's default-VO row), the
    -- share order's cache lifetime (SHARE_ORDER_CACHE_SECONDS) and the cached order: one query
    SELECT q.data::jsonb,
           least(coalesce(p_n_jobs, 1),
                 coalesce((SELECT c.value FROM doma_panda.config c
                            WHERE c.app = 'pandaserver' AND c.component = 'dispatcher' AND c.key = 'MAX_JOBS_PER_ACQUIRE'
                              AND c.vo = 'default' LIMIT 1)::integer, 1000)),
           coalesce((SELECT c.value FROM doma_panda.config c
                      WHERE c.app = 'pandaserver' AND c.component = 'dispatcher' AND c.key = 'SHARE_ORDER_CACHE_SECONDS'
                        AND c.vo = 'default' LIMIT 1)::numeric, 10),
           cached.data, cached.last_update
      INTO v_queue, v_wanted, v_share_order_seconds, v_cached_share_order, v_cached_at
      FROM (SELECT 1) one
      LEFT JOIN doma_panda.schedconfig_json q ON q.panda_queue = p_site_name
      LEFT JOIN doma_panda.cache cached ON cached.main_key = 'dispatch_share_order' AND cached.sub_key = p_site_name;
    IF v_queue IS NULL THEN
        RAISE EXCEPTION 'queue % is not registered (pandadb register queue): check the pilot''s --queue', p_site_name
            USING ERRCODE = 'PD003';
    END IF;
    -- a queue serves one VO (its own 'vo', else its cloud's): a caller of another VO gets nothing from it
    v_queue_vo := coalesce(v_queue ->> 'vo',
                           (SELECT c.vo FROM doma_pandameta.cloudconfig c WHERE c.name = v_queue ->> 'cloud'));
    IF NOT doma_panda.job_visible_to(v_queue_vo, p_requester_vo) THEN
        RAISE EXCEPTION 'queue % serves VO %: a caller of VO % may not acquire its jobs', p_site_name, v_queue_vo,
            p_requester_vo USING ERRCODE = 'PD005';
    END IF;
    v_queue_status := v_queue ->> 'status';
    IF v_queue_status IN ('offline', 'paused') OR v_wanted < 1 THEN
        RETURN '[]'::jsonb;
    END IF;
    -- a worker that asks again (its answer was lost: server killed after the commit, connection cut) gets the
    -- jobs it was given and has not started yet, described again, instead of new ones: a harvester worker
    -- runs one pilot, so (harvester_id, worker_id) names exactly the pilot that asked before
    IF v_harvester IS NOT NULL AND v_worker IS NOT NULL THEN
        v_jobs := doma_panda.dispatch_again(p_site_name, v_harvester, v_worker, v_now);
        IF v_jobs IS NOT NULL THEN
            RETURN v_jobs;
        END IF;
    END IF;
    IF (v_queue ->> 'corecount') ~ '^[0-9]+$' AND (v_queue ->> 'corecount')::bigint > 0 THEN
        v_core_limit := (v_queue ->> 'corecount')::bigint;
    END IF;

    v_labels := CASE
        WHEN v_label IS NULL OR v_label IN ('', 'unified', 'any') THEN NULL
        WHEN v_label = 'user' THEN ARRAY['user', 'panda']
        WHEN v_label IN ('ptest', 'prod_test') THEN ARRAY['ptest', 'prod_test']
        ELSE ARRAY[v_label] END;
    v_job_type_labels := CASE
        WHEN v_request ->> 'job_type' IN ('user', 'analysis', 'panda') THEN ARRAY['user', 'panda']
        WHEN v_request ->> 'job_type' IN ('managed', 'production') THEN ARRAY['managed']
        END;
    IF v_job_type_labels IS NOT NULL THEN
        v_labels := CASE WHEN v_labels IS NULL THEN v_job_type_labels
                         ELSE ARRAY(SELECT unnest(v_labels) INTERSECT SELECT unnest(v_job_type_labels)) END;
    END IF;
    IF v_queue_status = 'test' THEN
        v_labels := ARRAY(SELECT l FROM unnest(coalesce(v_labels, ARRAY['test', 'ptest', 'prod_test', 'rc_test', 'rc_test2'])) l
                           WHERE l IN ('test', 'ptest', 'prod_test', 'rc_test', 'rc_test2'));
    END IF;
    IF v_harvester IS NOT NULL AND v_worker IS NOT NULL THEN
        SELECT w.batchid INTO v_batch FROM doma_panda.harvester_workers w
         WHERE w.harvesterid = v_harvester AND w.workerid = v_worker ORDER BY w.lastupdate DESC LIMIT 1;
    END IF;

    -- the share order (see the top of this file): cached while younger than SHARE_ORDER_CACHE_SECONDS; when it
    -- is older, the caller that gets the cache row's lock recomputes it, the others keep the old one meanwhile
    IF v_share_order_seconds > 0 AND v_cached_at IS NOT NULL THEN
        IF v_cached_at >= v_clock - v_share_order_seconds * interval '1 second' THEN
            v_share_order := v_cached_share_order::text[];
        ELSE
            PERFORM 1 FROM doma_panda.cache c
             WHERE c.main_key = 'dispatch_share_order' AND c.sub_key = p_site_name
               FOR UPDATE SKIP LOCKED;
            IF NOT FOUND THEN  -- another caller is refreshing it
                v_share_order := v_cached_share_order::text[];
            END IF;
        END IF;
    END IF;
    IF v_share_order IS NULL THEN
        v_share_order := ARRAY(SELECT o.share_key FROM doma_panda.dispatch_share_order(p_site_name) o ORDER BY o.rank);
        IF v_share_order_seconds > 0 AND length(p_site_name) <= 56 THEN
            INSERT INTO doma_panda.cache (main_key, sub_key, data, last_update)
            VALUES ('dispatch_share_order', p_site_name, v_share_order::text, v_clock)
            ON CONFLICT (main_key, sub_key) DO UPDATE SET data = EXCLUDED.data, last_update = EXCLUDED.last_update;
        END IF;
    END IF;

    -- One statement: walk the shares in order (materialized, so the walk keeps that order and stops as soon
    -- as v_wanted jobs are locked: each share's pick is a LIMIT over jobsactive4_dispatch_idx with SKIP
    -- LOCKED, run only when the shares before it did not give enough), mark the jobs sent, log them,
    -- record the harvester relation, and describe them in share order, then priority.
    WITH shares AS MATERIALIZED (
        SELECT o.share_key, o.rank FROM unnest(v_share_order) WITH ORDINALITY AS o(share_key, rank)
    ), picked AS (
        SELECT c.pandaid, o.rank
          FROM shares o
         CROSS JOIN LATERAL (
            SELECT j.pandaid
              FROM doma_panda.jobsactive4 j
             WHERE j.computingsite = p_site_name
               AND j.jobstatus = 'activated'
               AND coalesce(j.gshare, '') = o.share_key
               AND (v_labels IS NULL OR j.prodsourcelabel = ANY (v_labels))
               AND (v_memory IS NULL OR j.minramcount <= v_memory)
               AND (v_disk IS NULL OR j.maxdiskcount <= v_disk)
               AND (v_resource_type IS NULL OR j.resource_type = v_resource_type)
               AND (v_core_limit IS NULL OR coalesce(j.corecount, 1) <= v_core_limit)
               AND (v_task_id IS NULL OR j.jeditaskid = v_task_id)
               AND (v_user IS NULL OR j.produserid = v_user OR j.produsername = v_user)
               AND (v_remaining IS NULL OR coalesce(j.maxwalltime, 0) <= v_remaining)
               AND j.commandtopilot IS DISTINCT FROM 'tobekilled'
               AND (p_requester_vo IS NULL OR j.vo IS NULL OR j.vo = p_requester_vo)
             ORDER BY j.currentpriority DESC, j.pandaid
             LIMIT v_wanted
               FOR UPDATE OF j SKIP LOCKED) c
         LIMIT v_wanted
    ), sent AS (
        UPDATE doma_panda.jobsactive4 j
           SET jobstatus = 'sent', modificationtime = v_now, statechangetime = v_now,
               modificationhost = coalesce(v_node, j.modificationhost),
               computingelement = coalesce(v_computing_element, j.computingelement),
               schedulerid = coalesce(v_scheduler, j.schedulerid),
               batchid = coalesce(v_batch, j.batchid)
          FROM picked p
         WHERE j.pandaid = p.pandaid
        RETURNING p.rank, j AS job
    ), logged AS (
        INSERT INTO doma_panda.jobs_statuslog (pandaid, modificationtime, jobstatus, prodsourcelabel, cloud, computingsite,
                                              modificationhost, modiftime_extended)
        SELECT (s.job).pandaid, (s.job).modificationtime, (s.job).jobstatus, (s.job).prodsourcelabel, (s.job).cloud,
               (s.job).computingsite, (s.job).modificationhost, doma_panda.job_precise_now()
          FROM sent s
    ), related AS (
        INSERT INTO doma_panda.harvester_rel_jobs_workers (harvesterid, workerid, pandaid, lastupdate)
        SELECT v_harvester, v_worker, (s.job).pandaid, v_now FROM sent s
         WHERE v_harvester IS NOT NULL AND v_worker IS NOT NULL
        ON CONFLICT (harvesterid, workerid, pandaid) DO UPDATE SET lastupdate = EXCLUDED.lastupdate
    ), endpoints AS (
        SELECT * FROM doma_panda.dispatch_queue_endpoints(p_site_name)
    )
    SELECT jsonb_agg(doma_panda.pilot_job_description(s.job, e.in_endpoint, e.out_endpoint)
                     ORDER BY s.rank, (s.job).currentpriority DESC, (s.job).pandaid)
      INTO v_jobs
      FROM sent s CROSS JOIN endpoints e;
    RETURN coalesce(v_jobs, '[]'::jsonb);
END;
$$;
