-- Who may act on a job, in one place: a caller only touches its own VO's jobs, and only a job's owner or
-- the production role changes a job (seed 000's "own jobs, or the production role"). Used by the job
-- commands (job_commands.sql) and reads (get_job_status); the caller's identity comes from the services
-- (p_requester, p_requester_vo, p_is_production) and is NULL from psql, where everything is allowed.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue (the Oracle job commands take the same
-- parameters and do not check them yet).
-- A refusal is SQLSTATE PD005 (not allowed), which the services answer 403.

-- job_visible_to: whether a caller of VO p_requester_vo sees a job of VO p_job_vo (jobs without a VO, submitted
-- before jobs carried one or by SQL, and callers without a VO, from psql, see and are seen by everyone).
--   p_job_vo        the job's vo column
--   p_requester_vo  the caller's VO
CREATE OR REPLACE FUNCTION doma_panda.job_visible_to(p_job_vo text, p_requester_vo text)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_requester_vo IS NULL OR p_job_vo IS NULL OR p_job_vo = p_requester_vo;
$$;

-- job_access_problem: why a caller may not `p_action` a job, or NULL when it may: a job of another VO, or
-- (unless p_is_production) a job of another user (its produsername or produserid is not the caller).
--   p_job            the job row as jsonb (job_lock)
--   p_action         the verb for the message ('kill', 'reassign', ...)
--   p_requester      the caller's user name (NULL: psql, allowed)
--   p_requester_vo   the caller's VO
--   p_is_production  the caller has the production role (NULL counts as true: psql)
CREATE OR REPLACE FUNCTION doma_panda.job_access_problem(p_job jsonb, p_action text, p_requester text,
                                                        p_requester_vo text, p_is_production boolean)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN NOT doma_panda.job_visible_to(p_job ->> 'vo', p_requester_vo) THEN
            format('job %s belongs to VO %s: a caller of VO %s may not %s it', p_job ->> 'pandaid', p_job ->> 'vo',
                   p_requester_vo, p_action)
        WHEN NOT coalesce(p_is_production, true) AND p_requester IS DISTINCT FROM p_job ->> 'produsername'
             AND p_requester IS DISTINCT FROM p_job ->> 'produserid' THEN
            format('%s may not %s job %s of %s: only its owner or the production role may',
                   coalesce(p_requester, 'an anonymous requester'), p_action, p_job ->> 'pandaid',
                   coalesce(p_job ->> 'produsername', 'nobody'))
    END;
$$;

-- require_job_access: PD005 with job_access_problem's message when the caller may not act on the job.
--   (parameters as job_access_problem)
CREATE OR REPLACE FUNCTION doma_panda.require_job_access(p_job jsonb, p_action text, p_requester text,
                                                        p_requester_vo text, p_is_production boolean)
RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_problem text := doma_panda.job_access_problem(p_job, p_action, p_requester, p_requester_vo, p_is_production);
BEGIN
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION '%', v_problem USING ERRCODE = 'PD005';
    END IF;
END;
$$;
