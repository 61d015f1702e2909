-- Scheduled jobs: the registry (partitions/scheduled_jobs.tsv, loaded by revision 0004_scheduler)
-- and the run log of `pandadb scheduler`. pg_cron keeps its own log in cron.job_run_details.
-- Idempotent (IF NOT EXISTS): revision 0001 applies it to new databases, revision 0004 to
-- databases created before this file existed.

CREATE TABLE IF NOT EXISTS doma_panda.pandadb_scheduled_jobs (
    name character varying(64) NOT NULL,
    schedule character varying(100) NOT NULL,
    command text NOT NULL,
    exclusive boolean DEFAULT true NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    description character varying(512),
    CONSTRAINT pandadb_scheduled_jobs_pk PRIMARY KEY (name),
    -- names become pg_cron job names and advisory-lock keys: keep them plain
    CONSTRAINT pandadb_scheduled_jobs_name_ck CHECK (name ~ '^[a-z0-9_]+$'),
    CONSTRAINT pandadb_scheduled_jobs_command_ck CHECK (btrim(command) <> '')
);
COMMENT ON TABLE doma_panda.pandadb_scheduled_jobs IS
    'Registry of scheduled database jobs: run by pg_cron (pandadb cron install) or by pandadb scheduler';
COMMENT ON COLUMN doma_panda.pandadb_scheduled_jobs.schedule IS
    'a cron expression (5 fields or @hourly/@daily/...) or a period such as ''10 seconds'', ''1 minute'', ''1 day''';
COMMENT ON COLUMN doma_panda.pandadb_scheduled_jobs.exclusive IS
    'true: at most one run at a time across all hosts, period counted across hosts (PanDA daemon "sync")';

CREATE TABLE IF NOT EXISTS doma_panda.pandadb_scheduler_runs (
    run_id bigint GENERATED ALWAYS AS IDENTITY,
    job_name character varying(64) NOT NULL,
    host character varying(128) NOT NULL,
    started timestamp without time zone NOT NULL,
    finished timestamp without time zone,
    duration interval,
    status character varying(16) DEFAULT 'running' NOT NULL,
    error text,
    -- the session-level advisory lock the running connection holds (released when the run ends)
    lock_key bigint NOT NULL,
    CONSTRAINT pandadb_scheduler_runs_pk PRIMARY KEY (run_id),
    CONSTRAINT pandadb_scheduler_runs_status_ck CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned'))
);
COMMENT ON TABLE doma_panda.pandadb_scheduler_runs IS
    'One row per run of a registry job by pandadb scheduler (UTC times); purged by purge_scheduler_runs()';
CREATE INDEX IF NOT EXISTS pandadb_scheduler_runs_job_idx
    ON doma_panda.pandadb_scheduler_runs (job_name, started);
CREATE INDEX IF NOT EXISTS pandadb_scheduler_runs_started_idx
    ON doma_panda.pandadb_scheduler_runs (started);
