-- Helpers of acquire_jobs (dispatch.sql) added with the recoverable acquire: the queue's DDM endpoints the
-- job descriptions carry, and the jobs a harvester worker asks for again after a lost answer.
-- PostgreSQL only: no PL/SQL twin of these routines; the Oracle acquire_jobs re-delivers to a worker that asks
-- again in its own body (procedures/oracle/dispatch.sql).

-- dispatch_queue_endpoints: the default input and output DDM endpoints of a queue ('' when it has none):
-- panda_ddm_relation's default_read / default_write (by order), else panda_site.default_ddm_endpoint.
--   p_site_name  the PanDA queue
CREATE OR REPLACE FUNCTION doma_panda.dispatch_queue_endpoints(p_site_name text)
RETURNS TABLE (in_endpoint text, out_endpoint text)
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT r.ddm_endpoint_name FROM doma_panda.panda_ddm_relation r
                      WHERE r.panda_site_name = p_site_name AND r.default_read = 'Y'
                      ORDER BY r.order_read NULLS LAST, r.ddm_endpoint_name LIMIT 1),
                    (SELECT ps.default_ddm_endpoint FROM doma_panda.panda_site ps WHERE ps.panda_site_name = p_site_name),
                    '')::text,
           coalesce((SELECT r.ddm_endpoint_name FROM doma_panda.panda_ddm_relation r
                      WHERE r.panda_site_name = p_site_name AND r.default_write = 'Y'
                      ORDER BY r.order_write NULLS LAST, r.ddm_endpoint_name LIMIT 1),
                    (SELECT ps.default_ddm_endpoint FROM doma_panda.panda_site ps WHERE ps.panda_site_name = p_site_name),
                    '')::text;
$$;

-- dispatch_again: the jobs a harvester worker was given at a queue and has not reported on yet (still
-- 'sent'), described again with their sent time refreshed (the sent timeout starts over), or NULL when
-- there are none. Rows another call holds are skipped. Used by acquire_jobs when a worker asks again.
--   p_site_name     the PanDA queue
--   p_harvester_id  the harvester instance
--   p_worker_id     the worker
--   p_now           the dispatch time
CREATE OR REPLACE FUNCTION doma_panda.dispatch_again(p_site_name text, p_harvester_id text, p_worker_id bigint,
                                                    p_now timestamp without time zone)
RETURNS jsonb
LANGUAGE sql AS $$
    WITH given AS (
        SELECT j.pandaid
          FROM doma_panda.harvester_rel_jobs_workers r
          JOIN doma_panda.jobsactive4 j ON j.pandaid = r.pandaid
         WHERE r.harvesterid = p_harvester_id AND r.workerid = p_worker_id
           AND j.computingsite = p_site_name AND j.jobstatus = 'sent'
           FOR UPDATE OF j SKIP LOCKED
    ), refreshed AS (
        UPDATE doma_panda.jobsactive4 j SET modificationtime = p_now
          FROM given g WHERE j.pandaid = g.pandaid
        RETURNING j AS job
    )
    SELECT jsonb_agg(doma_panda.pilot_job_description(r.job, e.in_endpoint, e.out_endpoint)
                     ORDER BY (r.job).currentpriority DESC, (r.job).pandaid)
      FROM refreshed r CROSS JOIN doma_panda.dispatch_queue_endpoints(p_site_name) e;
$$;
