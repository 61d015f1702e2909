-- Jobs move on by themselves (PanDA's setupper and activator, seed 004 sections 2.5 and 7.2): a new job
-- with nothing to stage is activated at once; one whose input files are not all ready is assigned and
-- activated by the scheduled step activate_defined_jobs once they are. This system moves no data, so an
-- input file is ready when its filestable4 status is 'ready' (submit_jobs' default for input files).
--
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
-- Conventions: see the header of jobs.sql (locking, one transaction per call).

-- job_setup_new_job: the setupper's decision for a job that submit_jobs has just inserted as 'defined'
-- (its spec gave no status): activated (moved to jobsactive4) when every input file is ready, else
-- assigned (stays in jobsdefined4). Both transitions are logged. Returns the new status.
--   p_pandaid  the new job's PandaID (inserted in this transaction)
CREATE OR REPLACE FUNCTION doma_panda.job_setup_new_job(p_pandaid bigint)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_result jsonb;
BEGIN
    v_result := doma_panda.activate_job(p_pandaid);
    IF (v_result ->> 'activated')::boolean THEN
        RETURN 'activated';
    END IF;
    PERFORM doma_panda.job_update_row('jobsdefined4', p_pandaid,
        jsonb_build_object('jobstatus', 'assigned', 'modificationtime', v_now, 'statechangetime', v_now));
    RETURN 'assigned';
END;
$$;

-- activate_defined_jobs: the scheduled activator (partitions/scheduled_jobs.tsv): defined and assigned
-- jobs whose input files are all ready -> activated; defined jobs still missing inputs -> assigned.
-- Jobs locked by another transaction are skipped (the next run takes them). Returns
-- {"activated": n, "assigned": m}.
--   p_limit  at most this many jobs per run, oldest first
CREATE OR REPLACE FUNCTION doma_panda.activate_defined_jobs(p_limit integer DEFAULT 1000)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_job record;
    v_activated integer := 0;
    v_assigned integer := 0;
BEGIN
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'p_limit must be a positive number of jobs' USING ERRCODE = 'PD002';
    END IF;
    FOR v_job IN
        SELECT j.pandaid, j.jobstatus,
               EXISTS (SELECT 1 FROM doma_panda.filestable4 f WHERE f.pandaid = j.pandaid AND f.type = 'input'
                          AND f.status IS DISTINCT FROM 'ready') AS missing
          FROM doma_panda.jobsdefined4 j
         WHERE j.jobstatus = 'defined'
            OR (j.jobstatus = 'assigned'
                AND NOT EXISTS (SELECT 1 FROM doma_panda.filestable4 f WHERE f.pandaid = j.pandaid AND f.type = 'input'
                                   AND f.status IS DISTINCT FROM 'ready'))
         ORDER BY j.modificationtime, j.pandaid
         LIMIT p_limit
           FOR UPDATE OF j SKIP LOCKED
    LOOP
        IF NOT v_job.missing THEN
            PERFORM doma_panda.job_move_row('jobsdefined4', 'jobsactive4', v_job.pandaid,
                jsonb_build_object('jobstatus', 'activated', 'modificationtime', v_now, 'statechangetime', v_now));
            v_activated := v_activated + 1;
        ELSIF v_job.jobstatus = 'defined' THEN
            PERFORM doma_panda.job_update_row('jobsdefined4', v_job.pandaid,
                jsonb_build_object('jobstatus', 'assigned', 'modificationtime', v_now, 'statechangetime', v_now));
            v_assigned := v_assigned + 1;
        END IF;
    END LOOP;
    RETURN jsonb_build_object('activated', v_activated, 'assigned', v_assigned);
END;
$$;
