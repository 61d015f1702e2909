-- Aggregations: the statistics tables PanDA reads instead of grouping the job tables itself
-- (seed 004, section 8.3 "Others"; scheduled every minute, section 8.6.4 and partitions/scheduled_jobs.tsv).
--
-- Every procedure here follows the same rules:
--   * CALL-able without arguments, upstream name and target table;
--   * one set-based statement computes the figures: it reads the source tables in one snapshot
--     (plain SELECT, so job writers are never blocked). The target's old rows are deleted and the
--     new ones inserted in the same transaction (the CALL's), so readers see the old rows or the new
--     rows under MVCC, never an empty table;
--   * idempotent: a second run over the same data leaves the same rows (timestamps aside);
--   * concurrent runs do not queue up, deadlock or duplicate: each run first takes a
--     transaction-level advisory lock keyed on ('pandadb.aggregates', procedure name) with
--     pg_try_advisory_xact_lock and returns at once (with a NOTICE) when another session holds it.
--     The two-integer key space is used so the keys never collide with the bigint session locks
--     that `pandadb scheduler` takes for exclusive jobs;
--   * time stamps (ts, cur_date, lastupdate) are doma_panda.panda_now(), so tests can pin them.
-- Upstream's Oracle originals run DELETE + INSERT + COMMIT; the differences are noted per procedure.


-- aggregate_run_lock: take this transaction's advisory lock of one aggregate procedure; false (with a
-- NOTICE that the run is skipped) when another session holds it.
--   p_procedure_name  the aggregate procedure's name, e.g. 'update_jobsactive_stats'
CREATE OR REPLACE FUNCTION doma_panda.aggregate_run_lock(p_procedure_name text)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_try_advisory_xact_lock(hashtext('pandadb.aggregates'), hashtext(p_procedure_name)) THEN
        RETURN true;
    END IF;
    RAISE NOTICE '% is running in another session: this run is skipped', p_procedure_name;
    RETURN false;
END;
$$;


-- refresh_share_stats: replace the rows of a share-statistics table (jobs_share_stats,
-- jobsdefined_share_stats) with the figures of one job table, per gshare, workqueue_id,
-- resource_type, computingsite, jobstatus, vo, nucleus (choices: see update_jobsact_stats_by_gshare).
--   p_job_table     the job table read, e.g. 'doma_panda.jobsactive4'
--   p_stats_table   the statistics table written, e.g. 'doma_panda.jobs_share_stats'
CREATE OR REPLACE PROCEDURE doma_panda.refresh_share_stats(p_job_table regclass, p_stats_table regclass)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DELETE FROM %s', p_stats_table);
    EXECUTE format($sql$
        INSERT INTO %s
            (ts, gshare, workqueue_id, resource_type, computingsite, jobstatus, maxpriority,
             prorated_diskio_avg, prorated_mem_avg, njobs, hs, vo, nucleus)
        SELECT doma_panda.panda_now(), j.gshare, j.workqueue_id, j.resource_type, j.computingsite, j.jobstatus,
               max(j.currentpriority),
               round(avg(j.diskio::numeric / coalesce(nullif(j.corecount, 0), 1)), 2),
               round(avg(j.minramcount::numeric / coalesce(nullif(j.corecount, 0), 1)), 2),
               count(*),
               round(sum(coalesce(nullif(j.corecount, 0), 1) * q.corepower)),
               j.vo, j.nucleus
          FROM %s j
          LEFT JOIN doma_panda.queue_corepower() q ON q.panda_queue = j.computingsite
         GROUP BY j.gshare, j.workqueue_id, j.resource_type, j.computingsite, j.jobstatus, j.vo, j.nucleus
    $sql$, p_stats_table, p_job_table);
END;
$$;


-- update_jobsactive_stats: refresh doma_panda.mv_jobsactive4_stats, the job counts of the active
-- table that the monitor and the server read instead of grouping jobsactive4.
-- As upstream (UPDATE_JOBSACTIVE_STATS ver 1.4): jobsactive4 only (the defined and waiting tables
-- have their own statistics), grouped by cloud, computingsite, countrygroup, workinggroup,
-- relocationflag, jobstatus, processingtype, prodsourcelabel, vo, workqueue_id, resource_type and
-- the current priority truncated to tens (Oracle TRUNC(currentpriority, -1): towards zero, which
-- integer division does too); num_of_jobs = count, num_of_cores = sum(coalesce(actualcorecount, corecount)).
CREATE OR REPLACE PROCEDURE doma_panda.update_jobsactive_stats()
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT doma_panda.aggregate_run_lock('update_jobsactive_stats') THEN
        RETURN;
    END IF;
    DELETE FROM doma_panda.mv_jobsactive4_stats;
    INSERT INTO doma_panda.mv_jobsactive4_stats
        (cur_date, cloud, computingsite, countrygroup, workinggroup, relocationflag, jobstatus, processingtype,
         prodsourcelabel, currentpriority, vo, workqueue_id, num_of_jobs, num_of_cores, resource_type)
    SELECT doma_panda.panda_now(), cloud, computingsite, countrygroup, workinggroup, relocationflag, jobstatus,
           processingtype, prodsourcelabel, (currentpriority / 10) * 10, vo, workqueue_id,
           count(*), sum(coalesce(actualcorecount, corecount)), resource_type
      FROM doma_panda.jobsactive4
     GROUP BY cloud, computingsite, countrygroup, workinggroup, relocationflag, jobstatus, processingtype,
              prodsourcelabel, (currentpriority / 10) * 10, vo, workqueue_id, resource_type;
END;
$$;


-- queue_corepower: the HS06 power per core of each PanDA queue (schedconfig_json 'corepower'),
-- NULL when the queue does not declare a numeric one. Used by the share statistics below.
--   (no parameters; one row per queue of schedconfig_json)
CREATE OR REPLACE FUNCTION doma_panda.queue_corepower()
RETURNS TABLE (panda_queue character varying, corepower double precision)
LANGUAGE sql STABLE AS $$
    SELECT sc.panda_queue,
           CASE WHEN sc.data ->> 'corepower' ~ '^\s*[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\s*$'
                THEN (sc.data ->> 'corepower')::double precision END
      FROM doma_panda.schedconfig_json sc;
$$;


-- update_jobsact_stats_by_gshare: refresh doma_panda.jobs_share_stats, the jobs of jobsactive4 by
-- global share, work queue, resource type, site, status, vo and nucleus, which the global-share
-- machinery and the brokerage read.
-- Per group: maxpriority = max(currentpriority); prorated_diskio_avg / prorated_mem_avg = mean of
-- diskio / minramcount per core; njobs = count; hs = sum over jobs of cores x the queue's corepower.
-- Differences from upstream (UPDATE_JOBSACT_STATS_BY_GSHARE ver 1.6), each deliberate:
--   * one row per group: upstream also groups by corecount (a column the table does not have), so a
--     group came out as several rows; sums are equal, maxima/means are now over the whole group;
--   * jobs at a queue without schedconfig_json row are counted (upstream's inner join dropped them);
--     hs is NULL for a queue without numeric corepower;
--   * corecount NULL or 0 counts as one core (upstream: NVL(corecount, 1), so 0 divided by zero);
--   * the per-core means use numeric division (the upstream PostgreSQL port divided integers).
CREATE OR REPLACE PROCEDURE doma_panda.update_jobsact_stats_by_gshare()
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT doma_panda.aggregate_run_lock('update_jobsact_stats_by_gshare') THEN
        RETURN;
    END IF;
    CALL doma_panda.refresh_share_stats('doma_panda.jobsactive4', 'doma_panda.jobs_share_stats');
END;
$$;


-- update_jobsdef_stats_by_gshare: refresh doma_panda.jobsdefined_share_stats, the same figures as
-- jobs_share_stats (see update_jobsact_stats_by_gshare, same choices) over jobsdefined4.
CREATE OR REPLACE PROCEDURE doma_panda.update_jobsdef_stats_by_gshare()
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT doma_panda.aggregate_run_lock('update_jobsdef_stats_by_gshare') THEN
        RETURN;
    END IF;
    CALL doma_panda.refresh_share_stats('doma_panda.jobsdefined4', 'doma_panda.jobsdefined_share_stats');
END;
$$;


-- update_job_stats_hp: refresh doma_panda.job_stats_hp, the highest priority waiting to run and how
-- many jobs have it, per prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo.
-- As upstream (UPDATE_JOB_STATS_HP ver 1.0): queued jobs are jobsactive4 'activated' and jobsdefined4
-- 'assigned'/'defined', leaving out merge jobs (processingtype 'pmerge') and event-service merge jobs
-- (eventservice = 2); max_priority = max(currentpriority), max_priority_count = jobs at that priority.
-- Differences: NULL processingtype / dimension values are kept (upstream's '<>' and '=' comparisons
-- silently dropped those jobs); one pass per table instead of joining each table back to its maxima.
CREATE OR REPLACE PROCEDURE doma_panda.update_job_stats_hp()
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT doma_panda.aggregate_run_lock('update_job_stats_hp') THEN
        RETURN;
    END IF;
    DELETE FROM doma_panda.job_stats_hp;
    WITH queued AS (
        SELECT prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority
          FROM doma_panda.jobsactive4
         WHERE jobstatus = 'activated'
           AND processingtype IS DISTINCT FROM 'pmerge' AND eventservice IS DISTINCT FROM 2
        UNION ALL
        SELECT prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority
          FROM doma_panda.jobsdefined4
         WHERE jobstatus IN ('assigned', 'defined')
           AND processingtype IS DISTINCT FROM 'pmerge' AND eventservice IS DISTINCT FROM 2
    ),
    per_priority AS (
        SELECT prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority,
               count(*) AS n_jobs
          FROM queued
         GROUP BY prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority
    )
    INSERT INTO doma_panda.job_stats_hp
        (ts, prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, max_priority, max_priority_count)
    SELECT DISTINCT ON (prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo)
           doma_panda.panda_now(), prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo,
           currentpriority, n_jobs
      FROM per_priority
     ORDER BY prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority DESC;
END;
$$;


-- update_num_input_data_files: refresh doma_panda.typical_num_input, the typical (median) number of
-- input data files of the jobs of a kind, which the brokerage uses to estimate a job's input.
-- As upstream (UPDATE_NUM_INPUT_DATA_FILES): over jobsactive4 jobs with ninputdatafiles, vo,
-- prodsourcelabel, processingtype and workqueue_id set; jobs of a work queue whose queue_function is
-- 'Resource' are aggregated per work queue (agg_type 'workqueue', agg_key = the queue id), the others
-- per global share (agg_type 'gshare', agg_key = gshare); the median is Oracle's MEDIAN
-- (percentile_cont 0.5), rounded half away from zero into the integer column.
CREATE OR REPLACE PROCEDURE doma_panda.update_num_input_data_files()
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT doma_panda.aggregate_run_lock('update_num_input_data_files') THEN
        RETURN;
    END IF;
    DELETE FROM doma_panda.typical_num_input;
    WITH classified AS (
        SELECT j.vo, j.prodsourcelabel, j.processingtype, j.ninputdatafiles,
               CASE WHEN wq.queue_id IS NULL THEN 'gshare' ELSE 'workqueue' END AS agg_type,
               CASE WHEN wq.queue_id IS NULL THEN j.gshare ELSE j.workqueue_id::text END AS agg_key
          FROM doma_panda.jobsactive4 j
          LEFT JOIN doma_panda.jedi_work_queue wq ON wq.queue_id = j.workqueue_id AND wq.queue_function = 'Resource'
         WHERE j.ninputdatafiles IS NOT NULL AND j.vo IS NOT NULL AND j.prodsourcelabel IS NOT NULL
           AND j.processingtype IS NOT NULL AND j.workqueue_id IS NOT NULL
    )
    INSERT INTO doma_panda.typical_num_input (vo, agg_type, agg_key, prodsourcelabel, processingtype, ninputdatafiles)
    SELECT vo, agg_type, agg_key, prodsourcelabel, processingtype,
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ninputdatafiles))::numeric)::integer
      FROM classified
     WHERE agg_key IS NOT NULL
     GROUP BY vo, agg_type, agg_key, prodsourcelabel, processingtype;
END;
$$;


-- update_total_walltime: refresh doma_panda.total_walltime_cache, the walltime of the work queued
-- (not yet running), which the brokerage compares with what queues can absorb.
-- As upstream (UPDATE_TOTAL_WALLTIME): queued jobs are jobsactive4 'activated'/'starting' and all of
-- jobsdefined4; agg_type/agg_key as in typical_num_input ('workqueue' for queue_function 'Resource'
-- work queues, else 'gshare'); total_walltime = sum(maxwalltime) (missing counts 0), n_has_value /
-- n_no_value = jobs with / without maxwalltime.
-- Differences: the two tables are added up into one row per key (upstream's UNION of per-table rows
-- produced two rows for the same primary key); jobsdefined4 jobs are classified by their own work
-- queue (upstream required the queue to appear in jobsactive4); rows whose key columns are NULL are
-- left out (the primary key forbids them).
CREATE OR REPLACE PROCEDURE doma_panda.update_total_walltime()
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT doma_panda.aggregate_run_lock('update_total_walltime') THEN
        RETURN;
    END IF;
    DELETE FROM doma_panda.total_walltime_cache;
    WITH queued AS (
        SELECT vo, prodsourcelabel, resource_type, gshare, workqueue_id, maxwalltime
          FROM doma_panda.jobsactive4
         WHERE jobstatus IN ('activated', 'starting')
        UNION ALL
        SELECT vo, prodsourcelabel, resource_type, gshare, workqueue_id, maxwalltime
          FROM doma_panda.jobsdefined4
    ),
    classified AS (
        SELECT q.vo, q.prodsourcelabel, q.resource_type, q.maxwalltime,
               CASE WHEN wq.queue_id IS NULL THEN 'gshare' ELSE 'workqueue' END AS agg_type,
               CASE WHEN wq.queue_id IS NULL THEN q.gshare ELSE q.workqueue_id::text END AS agg_key
          FROM queued q
          LEFT JOIN doma_panda.jedi_work_queue wq ON wq.queue_id = q.workqueue_id AND wq.queue_function = 'Resource'
         WHERE q.workqueue_id IS NOT NULL AND q.vo IS NOT NULL AND q.prodsourcelabel IS NOT NULL
           AND q.resource_type IS NOT NULL
    )
    INSERT INTO doma_panda.total_walltime_cache
        (vo, agg_type, agg_key, prodsourcelabel, resource_type, total_walltime, n_has_value, n_no_value)
    SELECT vo, agg_type, agg_key, prodsourcelabel, resource_type,
           coalesce(sum(maxwalltime), 0), count(maxwalltime), count(*) - count(maxwalltime)
      FROM classified
     WHERE agg_key IS NOT NULL
     GROUP BY vo, agg_type, agg_key, prodsourcelabel, resource_type;
END;
$$;


-- jedi_refr_mintaskids_bystatus: refresh doma_panda.jedi_aux_status_mintaskid, the smallest
-- jeditaskid of each task status, which JEDI joins against to scan only the recent tasks of a status.
-- As upstream and seed 004 section 8.6.3 (the MERGE written as INSERT ... ON CONFLICT DO UPDATE):
-- statuses other than broken, aborted, finished, failed. In addition, statuses that no longer have any
-- task (or are one of the excluded ones) are deleted in the same statement, so JEDI never starts a
-- scan from a stale minimum; unchanged rows are not rewritten.
CREATE OR REPLACE PROCEDURE doma_panda.jedi_refr_mintaskids_bystatus()
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT doma_panda.aggregate_run_lock('jedi_refr_mintaskids_bystatus') THEN
        RETURN;
    END IF;
    WITH current_minimum AS (
        SELECT status, min(jeditaskid) AS min_jeditaskid
          FROM doma_panda.jedi_tasks
         WHERE status NOT IN ('broken', 'aborted', 'finished', 'failed')
         GROUP BY status
    ),
    -- deletes only statuses the upsert below does not touch, so the two never meet on a row
    vanished AS (
        DELETE FROM doma_panda.jedi_aux_status_mintaskid aux
         WHERE NOT EXISTS (SELECT 1 FROM current_minimum c WHERE c.status = aux.status)
    )
    INSERT INTO doma_panda.jedi_aux_status_mintaskid AS aux (status, min_jeditaskid)
    SELECT status, min_jeditaskid FROM current_minimum
        ON CONFLICT (status) DO UPDATE SET min_jeditaskid = EXCLUDED.min_jeditaskid
     WHERE aux.min_jeditaskid IS DISTINCT FROM EXCLUDED.min_jeditaskid;
END;
$$;


-- update_run_jumbo_count: refresh doma_panda.mv_running_jumbo_task_count, the number of jumbo tasks
-- per vo, cloud, prodsourcelabel, usejumbo, status, gshare and workqueue_id, which JEDI reads to cap
-- how many tasks run jumbo jobs at a time.
-- As upstream (UPDATE_RUN_JUMBO_COUNT ver 0.1) it counts jedi_tasks, but only the tasks that can still
-- run jumbo jobs: usejumbo set (a NULL usejumbo is not a jumbo task and JEDI never asks for it) and
-- status not final (done, finished, failed, broken, aborted). Upstream counted every task ever made,
-- which JEDI's lookups (active statuses, usejumbo values) never read.
CREATE OR REPLACE PROCEDURE doma_panda.update_run_jumbo_count()
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT doma_panda.aggregate_run_lock('update_run_jumbo_count') THEN
        RETURN;
    END IF;
    DELETE FROM doma_panda.mv_running_jumbo_task_count;
    INSERT INTO doma_panda.mv_running_jumbo_task_count
        (cur_date, vo, cloud, prodsourcelabel, usejumbo, status, gshare, workqueue_id, task_count)
    SELECT doma_panda.panda_now(), vo, cloud, prodsourcelabel, usejumbo, status, gshare, workqueue_id, count(*)
      FROM doma_panda.jedi_tasks
     WHERE usejumbo IS NOT NULL
       AND status NOT IN ('done', 'finished', 'failed', 'broken', 'aborted')
     GROUP BY vo, cloud, prodsourcelabel, usejumbo, status, gshare, workqueue_id;
END;
$$;


-- update_ups_stats: refresh doma_panda.harvester_worker_stats, the number of harvester workers per
-- harvester instance, computingsite, resourcetype, jobtype and status, which Unified Pilot Streaming
-- reads to decide which workers to submit next (seed 004, 8.3.1 "Harvester").
-- Upstream has no database procedure (the cron line calls 'update_ups_statss', which does not exist;
-- harvesters report the counts themselves); here they are derived from harvester_workers: workers
-- with a computingsite that are not in a final status (finished, failed, cancelled, missed), one row
-- per worker; a NULL resourcetype or jobtype counts as 'ANY' (harvester's wildcard).
-- Groups are upserted (n_workers and lastupdate refreshed each run, as harvester's reports do) and
-- groups without live workers deleted, in one statement. A queue where the instance has no worker rows
-- keeps what the instance reported itself (harvester/report_worker_statistics) until it is an hour old.
CREATE OR REPLACE PROCEDURE doma_panda.update_ups_stats()
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT doma_panda.aggregate_run_lock('update_ups_stats') THEN
        RETURN;
    END IF;
    WITH live_workers AS (
        SELECT harvesterid AS harvester_id, computingsite, coalesce(resourcetype, 'ANY') AS resourcetype,
               status, coalesce(jobtype, 'ANY') AS jobtype, count(*) AS n_workers
          FROM doma_panda.harvester_workers
         WHERE computingsite IS NOT NULL
           AND status NOT IN ('finished', 'failed', 'cancelled', 'missed')
         GROUP BY harvesterid, computingsite, coalesce(resourcetype, 'ANY'), status, coalesce(jobtype, 'ANY')
    ),
    -- deletes only groups the upsert below does not touch, so the two never meet on a row; the rows of a
    -- queue whose instance reports no workers there come from harvester/report_worker_statistics and are
    -- kept until they are an hour old (the instance's own report, not ours to rebuild)
    vanished AS (
        DELETE FROM doma_panda.harvester_worker_stats s
         WHERE NOT EXISTS (SELECT 1 FROM live_workers w
                            WHERE w.harvester_id = s.harvester_id AND w.computingsite = s.computingsite
                              AND w.resourcetype = s.resourcetype AND w.status = s.status AND w.jobtype = s.jobtype)
           AND (EXISTS (SELECT 1 FROM doma_panda.harvester_workers hw
                         WHERE hw.harvesterid = s.harvester_id AND hw.computingsite = s.computingsite)
                OR s.lastupdate < doma_panda.panda_now() - interval '1 hour')
    )
    INSERT INTO doma_panda.harvester_worker_stats AS s
        (harvester_id, computingsite, resourcetype, status, jobtype, n_workers, lastupdate)
    SELECT harvester_id, computingsite, resourcetype, status, jobtype, n_workers, doma_panda.panda_now()
      FROM live_workers
        ON CONFLICT (harvester_id, computingsite, resourcetype, status, jobtype)
        DO UPDATE SET n_workers = EXCLUDED.n_workers, lastupdate = EXCLUDED.lastupdate;
END;
$$;
