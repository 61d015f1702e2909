-- API module statistics (seed 000): job counts for the monitors (panglia) and harvester, in the answer
-- shapes of upstream PanDA. Each function is one read-only statement (STABLE: one snapshot) that reads
--   * active jobs from the aggregation tables that the scheduled procedures of aggregates.sql refresh
--     every minute (mv_jobsactive4_stats, jobs_share_stats, jobsdefined_share_stats), never jobsactive4;
--   * queued jobs of jobsdefined4 where no aggregation has the needed columns (it holds queued jobs only);
--   * final-state jobs of jobsarchived4 modified in the window (partition pruning on modificationtime),
--     the window ending at doma_panda.panda_now() (tests pin it with SET pandadb.clock).
-- As upstream, jobswaiting4 is not counted. The cloud of a job is its queue's cloud (schedconfig_json
-- 'cloud'), the job's own cloud column when the queue has none.
-- Conventions: p_ parameters, v_ locals; bad input raises SQLSTATE 'PD002' naming the parameter.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue

-- statistics_labels: the prodsourcelabels of a job type, as upstream: production = managed and the
-- pilot-test labels (JobUtils.list_ptest_prod_sources); analysis = user and panda.
--   p_type  'production' or 'analysis'
CREATE OR REPLACE FUNCTION doma_panda.statistics_labels(p_type text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_type = 'production' THEN
        RETURN ARRAY['managed', 'ptest', 'rc_test', 'rc_test2', 'rc_alrb'];
    ELSIF p_type = 'analysis' THEN
        RETURN ARRAY['user', 'panda'];
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'PD002',
        MESSAGE = format('type must be either "production" or "analysis", got %s', coalesce(quote_literal(p_type), 'null'));
END;
$$;

-- statistics_window_start: the start of the window of final-state jobs.
--   p_time_window  minutes (0 .. 10080, 7 days, as upstream); NULL: 12 hours
CREATE OR REPLACE FUNCTION doma_panda.statistics_window_start(p_time_window bigint)
RETURNS timestamp without time zone
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_time_window IS NOT NULL AND (p_time_window < 0 OR p_time_window > 10080) THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002',
            MESSAGE = format('time_window must be a number of minutes from 0 to 10080 (7 days), got %s', p_time_window);
    END IF;
    RETURN doma_panda.panda_now() - make_interval(mins => coalesce(p_time_window, 720)::integer);
END;
$$;

-- job_stats_by_cloud: {cloud: {jobstatus: n}} of the production or analysis jobs: active (from
-- mv_jobsactive4_stats), queued in jobsdefined4, and final-state jobs modified in the last 12 hours.
--   p_type  'production' (managed + test labels) or 'analysis' (user, panda)
CREATE OR REPLACE FUNCTION doma_panda.job_stats_by_cloud(p_type text DEFAULT 'production')
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_labels text[] := doma_panda.statistics_labels(p_type);
    v_since timestamp without time zone := doma_panda.statistics_window_start(NULL);
    v_result jsonb;
BEGIN
    WITH counts AS (
        SELECT coalesce(sc.data ->> 'cloud', s.cloud) AS cloud, s.jobstatus, s.num_of_jobs AS n
          FROM doma_panda.mv_jobsactive4_stats s
          LEFT JOIN doma_panda.schedconfig_json sc ON sc.panda_queue = s.computingsite
         WHERE s.prodsourcelabel = ANY (v_labels)
        UNION ALL
        SELECT coalesce(sc.data ->> 'cloud', j.cloud), j.jobstatus, 1
          FROM doma_panda.jobsdefined4 j
          LEFT JOIN doma_panda.schedconfig_json sc ON sc.panda_queue = j.computingsite
         WHERE j.prodsourcelabel = ANY (v_labels)
        UNION ALL
        SELECT coalesce(sc.data ->> 'cloud', j.cloud), j.jobstatus, 1
          FROM doma_panda.jobsarchived4 j
          LEFT JOIN doma_panda.schedconfig_json sc ON sc.panda_queue = j.computingsite
         WHERE j.prodsourcelabel = ANY (v_labels) AND j.modificationtime > v_since
    ), per_status AS (
        SELECT coalesce(cloud, 'NULL') AS cloud, jobstatus, sum(n) AS n FROM counts GROUP BY 1, 2
    )
    SELECT coalesce(jsonb_object_agg(cloud, statuses), '{}'::jsonb) INTO v_result
      FROM (SELECT cloud, jsonb_object_agg(jobstatus, n) AS statuses FROM per_status GROUP BY cloud) c;
    RETURN v_result;
END;
$$;

-- production_job_stats_by_cloud_and_processing_type: {cloud: {processingtype: {jobstatus: n}}} of the
-- production jobs (managed + test labels): active, queued, and final-state in the last 12 hours.
CREATE OR REPLACE FUNCTION doma_panda.production_job_stats_by_cloud_and_processing_type()
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_labels text[] := doma_panda.statistics_labels('production');
    v_since timestamp without time zone := doma_panda.statistics_window_start(NULL);
    v_result jsonb;
BEGIN
    WITH counts AS (
        SELECT coalesce(sc.data ->> 'cloud', s.cloud) AS cloud, s.processingtype, s.jobstatus, s.num_of_jobs AS n
          FROM doma_panda.mv_jobsactive4_stats s
          LEFT JOIN doma_panda.schedconfig_json sc ON sc.panda_queue = s.computingsite
         WHERE s.prodsourcelabel = ANY (v_labels)
        UNION ALL
        SELECT coalesce(sc.data ->> 'cloud', j.cloud), j.processingtype, j.jobstatus, 1
          FROM doma_panda.jobsdefined4 j
          LEFT JOIN doma_panda.schedconfig_json sc ON sc.panda_queue = j.computingsite
         WHERE j.prodsourcelabel = ANY (v_labels)
        UNION ALL
        SELECT coalesce(sc.data ->> 'cloud', j.cloud), j.processingtype, j.jobstatus, 1
          FROM doma_panda.jobsarchived4 j
          LEFT JOIN doma_panda.schedconfig_json sc ON sc.panda_queue = j.computingsite
         WHERE j.prodsourcelabel = ANY (v_labels) AND j.modificationtime > v_since
    ), per_status AS (
        SELECT coalesce(cloud, 'NULL') AS cloud, coalesce(processingtype, 'NULL') AS processingtype, jobstatus,
               sum(n) AS n
          FROM counts GROUP BY 1, 2, 3
    ), per_type AS (
        SELECT cloud, processingtype, jsonb_object_agg(jobstatus, n) AS statuses FROM per_status GROUP BY 1, 2
    )
    SELECT coalesce(jsonb_object_agg(cloud, types), '{}'::jsonb) INTO v_result
      FROM (SELECT cloud, jsonb_object_agg(processingtype, statuses) AS types FROM per_type GROUP BY cloud) c;
    RETURN v_result;
END;
$$;

-- statistics_zero_filled: a {jobstatus: n} object with the states upstream always reports (assigned,
-- activated, running, finished, failed) present, 0 when absent.
--   p_statuses  the counted statuses
CREATE OR REPLACE FUNCTION doma_panda.statistics_zero_filled(p_statuses jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT '{"assigned": 0, "activated": 0, "running": 0, "finished": 0, "failed": 0}'::jsonb || p_statuses;
$$;

-- job_stats_by_site_and_resource_type: {computingsite: {resource_type: {jobstatus: n}}} of all jobs:
-- active (jobs_share_stats), queued (jobsdefined_share_stats), final-state modified in the window.
--   p_time_window  minutes of the window of final-state jobs (0 .. 10080); NULL: 12 hours
CREATE OR REPLACE FUNCTION doma_panda.job_stats_by_site_and_resource_type(p_time_window bigint DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_since timestamp without time zone := doma_panda.statistics_window_start(p_time_window);
    v_result jsonb;
BEGIN
    WITH counts AS (
        SELECT computingsite, resource_type, jobstatus, njobs AS n FROM doma_panda.jobs_share_stats
        UNION ALL
        SELECT computingsite, resource_type, jobstatus, njobs FROM doma_panda.jobsdefined_share_stats
        UNION ALL
        SELECT computingsite, resource_type, jobstatus, 1 FROM doma_panda.jobsarchived4 WHERE modificationtime > v_since
    ), per_status AS (
        SELECT coalesce(computingsite, 'NULL') AS site, coalesce(resource_type, 'NULL') AS resource_type, jobstatus,
               sum(n) AS n
          FROM counts GROUP BY 1, 2, 3
    ), per_resource AS (
        SELECT site, resource_type, doma_panda.statistics_zero_filled(jsonb_object_agg(jobstatus, n)) AS statuses
          FROM per_status GROUP BY 1, 2
    )
    SELECT coalesce(jsonb_object_agg(site, resources), '{}'::jsonb) INTO v_result
      FROM (SELECT site, jsonb_object_agg(resource_type, statuses) AS resources FROM per_resource GROUP BY site) s;
    RETURN v_result;
END;
$$;

-- job_stats_by_site_share_and_resource_type: {computingsite: {gshare: {resource_type: {jobstatus: n}}}}
-- of all jobs: active (jobs_share_stats), queued (jobsdefined_share_stats), final-state in the window.
--   p_time_window  minutes of the window of final-state jobs (0 .. 10080); NULL: 12 hours
CREATE OR REPLACE FUNCTION doma_panda.job_stats_by_site_share_and_resource_type(p_time_window bigint DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_since timestamp without time zone := doma_panda.statistics_window_start(p_time_window);
    v_result jsonb;
BEGIN
    WITH counts AS (
        SELECT computingsite, gshare, resource_type, jobstatus, njobs AS n FROM doma_panda.jobs_share_stats
        UNION ALL
        SELECT computingsite, gshare, resource_type, jobstatus, njobs FROM doma_panda.jobsdefined_share_stats
        UNION ALL
        SELECT computingsite, gshare, resource_type, jobstatus, 1
          FROM doma_panda.jobsarchived4 WHERE modificationtime > v_since
    ), per_status AS (
        SELECT coalesce(computingsite, 'NULL') AS site, coalesce(gshare, 'NULL') AS gshare,
               coalesce(resource_type, 'NULL') AS resource_type, jobstatus, sum(n) AS n
          FROM counts GROUP BY 1, 2, 3, 4
    ), per_resource AS (
        SELECT site, gshare, resource_type, doma_panda.statistics_zero_filled(jsonb_object_agg(jobstatus, n)) AS statuses
          FROM per_status GROUP BY 1, 2, 3
    ), per_share AS (
        SELECT site, gshare, jsonb_object_agg(resource_type, statuses) AS resources FROM per_resource GROUP BY 1, 2
    )
    SELECT coalesce(jsonb_object_agg(site, shares), '{}'::jsonb) INTO v_result
      FROM (SELECT site, jsonb_object_agg(gshare, resources) AS shares FROM per_share GROUP BY site) s;
    RETURN v_result;
END;
$$;
