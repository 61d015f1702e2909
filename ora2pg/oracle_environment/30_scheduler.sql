-- Part of the Oracle environment of the converted PL/SQL twin (see 00_base.sql); loaded in file order.

-- DBMS_SCHEDULER (CREATE_JOB, DROP_JOB) with USER_SCHEDULER_JOBS. The jobs are recorded, not run:
-- PostgreSQL has no job scheduler of its own (pandadb's scheduler service or pg_cron run the
-- registry there); what the twin's load_scheduled_jobs defines can be read back and compared.
-- ====================================================================================================

CREATE SCHEMA IF NOT EXISTS dbms_scheduler;

-- dbms_scheduler.jobs: the jobs CREATE_JOB defined (read through USER_SCHEDULER_JOBS). Storage of the
-- emulation, not an Oracle object.
CREATE TABLE IF NOT EXISTS dbms_scheduler.jobs (
    owner varchar(128) NOT NULL,
    job_name varchar(128) NOT NULL,
    job_type varchar(16),
    job_action text,
    number_of_arguments integer NOT NULL,
    start_date timestamp with time zone,
    repeat_interval varchar(4000),
    end_date timestamp with time zone,
    job_class varchar(128),
    enabled boolean NOT NULL,
    auto_drop boolean NOT NULL,
    comments varchar(4000),
    PRIMARY KEY (owner, job_name)
);

-- dbms_scheduler.job_name_parts: 'OWNER.NAME' or 'NAME' as Oracle reads an unquoted job name (upper
-- case; the owner defaults to the current schema). Helper, not an Oracle member.
--   p_job_name  the job name as given to CREATE_JOB / DROP_JOB
CREATE OR REPLACE FUNCTION dbms_scheduler.job_name_parts(p_job_name varchar, OUT owner varchar, OUT job_name varchar)
LANGUAGE sql STABLE AS $$
    SELECT upper(CASE WHEN position('.' IN p_job_name) > 0 THEN split_part(p_job_name, '.', 1) ELSE current_schema() END),
           upper(CASE WHEN position('.' IN p_job_name) > 0 THEN split_part(p_job_name, '.', 2) ELSE p_job_name END)
$$;

-- dbms_scheduler.create_job: DBMS_SCHEDULER.CREATE_JOB(job_name, job_type, job_action, ...): define a
-- job (the PL/SQL block / stored procedure form). ORA-27477 (SQLSTATE 42710) when the job exists.
--   job_name             '[OWNER.]NAME'
--   job_type             'PLSQL_BLOCK', 'STORED_PROCEDURE', ...
--   job_action           the block or the procedure's name
--   number_of_arguments  of a stored procedure (default 0)
--   start_date, repeat_interval, end_date  the calendar (repeat_interval: 'FREQ=...;INTERVAL=...')
--   job_class            default 'DEFAULT_JOB_CLASS'
--   enabled              default false
--   auto_drop            default true
--   comments             free text
CREATE OR REPLACE PROCEDURE dbms_scheduler.create_job(
    job_name varchar, job_type varchar, job_action varchar, number_of_arguments integer DEFAULT 0,
    start_date timestamp with time zone DEFAULT NULL, repeat_interval varchar DEFAULT NULL,
    end_date timestamp with time zone DEFAULT NULL, job_class varchar DEFAULT 'DEFAULT_JOB_CLASS',
    enabled boolean DEFAULT false, auto_drop boolean DEFAULT true, comments varchar DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    v_name record := dbms_scheduler.job_name_parts(job_name);
BEGIN
    IF job_name IS NULL OR job_type IS NULL OR job_action IS NULL THEN
        RAISE EXCEPTION 'DBMS_SCHEDULER.CREATE_JOB: job_name, job_type and job_action must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO dbms_scheduler.jobs (owner, job_name, job_type, job_action, number_of_arguments, start_date,
                                     repeat_interval, end_date, job_class, enabled, auto_drop, comments)
    VALUES (v_name.owner, v_name.job_name, upper(job_type), job_action, coalesce(number_of_arguments, 0),
            start_date, repeat_interval, end_date, job_class, coalesce(enabled, false), coalesce(auto_drop, true),
            comments);
EXCEPTION
    WHEN unique_violation THEN
        RAISE EXCEPTION 'ORA-27477: "%"."%" already exists', v_name.owner, v_name.job_name
            USING ERRCODE = 'duplicate_object';
END;
$$;

-- dbms_scheduler.drop_job: DBMS_SCHEDULER.DROP_JOB(job_name, force, defer, commit_semantics): remove a
-- job. ORA-27475 (SQLSTATE 42704) when there is no such job.
--   job_name          '[OWNER.]NAME' (Oracle also takes a comma-separated list: so does this)
--   force, defer      stop a running job first / when it ends (no job runs here: no effect)
--   commit_semantics  default 'STOP_ON_FIRST_ERROR'
CREATE OR REPLACE PROCEDURE dbms_scheduler.drop_job(job_name varchar, force boolean DEFAULT false,
                                                    defer boolean DEFAULT false,
                                                    commit_semantics varchar DEFAULT 'STOP_ON_FIRST_ERROR')
LANGUAGE plpgsql AS $$
DECLARE
    v_item text;
    v_name record;
BEGIN
    FOREACH v_item IN ARRAY string_to_array(job_name, ',') LOOP
        v_name := dbms_scheduler.job_name_parts(trim(v_item));
        DELETE FROM dbms_scheduler.jobs j WHERE j.owner = v_name.owner AND j.job_name = v_name.job_name;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ORA-27475: unknown job "%"."%"', v_name.owner, v_name.job_name
                USING ERRCODE = 'undefined_object';
        END IF;
    END LOOP;
END;
$$;

-- USER_SCHEDULER_JOBS: the jobs CREATE_JOB defined (the scratch database stands for one Oracle
-- user, the twin's schema: every job is shown).
-- Columns: JOB_NAME, JOB_TYPE, JOB_ACTION, NUMBER_OF_ARGUMENTS, START_DATE, REPEAT_INTERVAL, END_DATE,
-- JOB_CLASS, ENABLED ('TRUE'/'FALSE'), AUTO_DROP ('TRUE'/'FALSE'), STATE ('SCHEDULED'/'DISABLED'),
-- COMMENTS.
CREATE OR REPLACE VIEW public.user_scheduler_jobs AS
SELECT j.job_name, j.job_type, j.job_action, j.number_of_arguments, j.start_date, j.repeat_interval, j.end_date,
       j.job_class,
       (CASE WHEN j.enabled THEN 'TRUE' ELSE 'FALSE' END)::varchar(5) AS enabled,
       (CASE WHEN j.auto_drop THEN 'TRUE' ELSE 'FALSE' END)::varchar(5) AS auto_drop,
       (CASE WHEN j.enabled THEN 'SCHEDULED' ELSE 'DISABLED' END)::varchar(15) AS state,
       j.comments
  FROM dbms_scheduler.jobs j;

-- ====================================================================================================
