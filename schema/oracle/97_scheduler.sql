-- Scheduled jobs: the registry (partitions/scheduled_jobs.tsv) and the run log.
-- Oracle twin of schema/postgres/97_scheduler.sql (ATLAS_PANDA). Written without an Oracle server at
-- hand: checked by sqlglot (Oracle dialect) and the text-level checks of tests/test_oracle_schema_twin.py only.
--
-- In Oracle the registry is run by DBMS_SCHEDULER (procedures/oracle/scheduler.sql creates one
-- scheduler job per enabled registry row); PANDADB_SCHEDULER_RUNS logs the runs of the registry's jobs
-- as in PostgreSQL (DBMS_SCHEDULER keeps its own log in USER_SCHEDULER_JOB_RUN_DETAILS).
-- Plain CREATE TABLE (no IF NOT EXISTS before Oracle 23): revision 0001 applies this file to new
-- schemas; revision 0004 does nothing on Oracle.
--
-- Type choices:
--   boolean  -> NUMBER(1) with CHECK (... IN (0, 1)), 1 = true: what ora2pg turns back into boolean
--               (REPLACE_AS_BOOLEAN NUMBER:1) and what python-oracledb and Oracle 23's BOOLEAN read as
--               true/false; DEFAULT true is DEFAULT 1. EXCLUSIVE is an Oracle reserved word: "EXCLUSIVE".
--   interval -> INTERVAL DAY TO SECOND (DAY(2): up to 99 days, ample for a run's duration), which
--               ora2pg converts back to interval.
--   timestamp without time zone -> DATE (UTC, whole seconds), as everywhere in this schema.
--   bigint GENERATED ALWAYS AS IDENTITY -> NUMBER(19) GENERATED ALWAYS AS IDENTITY (Oracle 12c+).
--   text -> CLOB. btrim(command) <> '' becomes TRIM(COMMAND) IS NOT NULL ('' is NULL in Oracle), and
--   name ~ '^[a-z0-9_]+$' becomes REGEXP_LIKE(NAME, '^[a-z0-9_]+$').

CREATE TABLE ATLAS_PANDA.PANDADB_SCHEDULED_JOBS (
    NAME VARCHAR2(64) NOT NULL,
    SCHEDULE VARCHAR2(100) NOT NULL,
    COMMAND CLOB NOT NULL,
    "EXCLUSIVE" NUMBER(1) DEFAULT 1 NOT NULL,
    ENABLED NUMBER(1) DEFAULT 1 NOT NULL,
    DESCRIPTION VARCHAR2(512),
    CONSTRAINT PANDADB_SCHEDULED_JOBS_PK PRIMARY KEY (NAME),
    CONSTRAINT PANDADB_SCHEDULED_JOBS_NAME_CK CHECK (REGEXP_LIKE(NAME, '^[a-z0-9_]+$')),
    CONSTRAINT PANDADB_SCHEDULED_JOBS_COMMAND_CK CHECK (TRIM(COMMAND) IS NOT NULL),
    CONSTRAINT PANDADB_SCHEDULED_JOBS_EXCLUSIVE_CK CHECK ("EXCLUSIVE" IN (0, 1)),
    CONSTRAINT PANDADB_SCHEDULED_JOBS_ENABLED_CK CHECK (ENABLED IN (0, 1))
);
COMMENT ON TABLE ATLAS_PANDA.PANDADB_SCHEDULED_JOBS IS
    'Registry of scheduled database jobs: run by DBMS_SCHEDULER jobs that ATLAS_PANDA.LOAD_SCHEDULED_JOBS creates';
COMMENT ON COLUMN ATLAS_PANDA.PANDADB_SCHEDULED_JOBS.SCHEDULE IS
    'a cron expression (5 fields or @hourly/@daily/...) or a period such as ''10 seconds'', ''1 minute'', ''1 day''';
COMMENT ON COLUMN ATLAS_PANDA.PANDADB_SCHEDULED_JOBS."EXCLUSIVE" IS
    '1: at most one run at a time across all hosts, period counted across hosts (PanDA daemon "sync")';

CREATE TABLE ATLAS_PANDA.PANDADB_SCHEDULER_RUNS (
    RUN_ID NUMBER(19) GENERATED ALWAYS AS IDENTITY,
    JOB_NAME VARCHAR2(64) NOT NULL,
    HOST VARCHAR2(128) NOT NULL,
    STARTED DATE NOT NULL,
    FINISHED DATE,
    DURATION INTERVAL DAY TO SECOND,
    STATUS VARCHAR2(16) DEFAULT 'running' NOT NULL,
    ERROR CLOB,
    LOCK_KEY NUMBER(19) NOT NULL,
    CONSTRAINT PANDADB_SCHEDULER_RUNS_PK PRIMARY KEY (RUN_ID),
    CONSTRAINT PANDADB_SCHEDULER_RUNS_STATUS_CK CHECK (STATUS IN ('running', 'succeeded', 'failed', 'abandoned'))
);
COMMENT ON TABLE ATLAS_PANDA.PANDADB_SCHEDULER_RUNS IS
    'One row per run of a registry job (UTC times); purged by PURGE_SCHEDULER_RUNS';
CREATE INDEX ATLAS_PANDA.PANDADB_SCHEDULER_RUNS_JOB_IDX ON ATLAS_PANDA.PANDADB_SCHEDULER_RUNS (JOB_NAME, STARTED);
CREATE INDEX ATLAS_PANDA.PANDADB_SCHEDULER_RUNS_STARTED_IDX ON ATLAS_PANDA.PANDADB_SCHEDULER_RUNS (STARTED);
