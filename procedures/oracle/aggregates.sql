-- PL/SQL twin of procedures/postgres/aggregates.sql: the statistics tables PanDA reads instead of
-- grouping the job tables itself (seed 004, section 8.3; scheduled every minute). Same procedure names,
-- target tables and figures; the deliberate differences from upstream are those of the PostgreSQL file.
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Errors: PD001 -> -20001 and so on as in jobs.sql; nothing here raises one.
-- The rules of the PostgreSQL file, in Oracle terms:
--   * one set-based statement computes the figures; the target's old rows are deleted and the new
--     ones inserted in the caller's transaction (Oracle's read consistency shows readers the old rows
--     until COMMIT, never an empty table). Like the PostgreSQL procedures, these do not COMMIT: the
--     scheduled job's PL/SQL block does;
--   * concurrent runs do not queue up: each run first takes a transaction-level DBMS_LOCK user lock named
--     'pandadb.aggregates <procedure>' (aggregate_run_lock, with PANDADB_SUPPORT.try_xact_lock, the twin
--     of pg_try_advisory_xact_lock) and returns at once, with a DBMS_OUTPUT line (RAISE NOTICE), when
--     another session holds it;
--   * time stamps (ts, cur_date, lastupdate) are ATLAS_PANDA.PANDA_NOW(), so tests can pin them.
-- INSERT ... ON CONFLICT DO UPDATE is MERGE; DISTINCT ON is ROW_NUMBER() = 1; percentile_cont is
-- PERCENTILE_CONT (Oracle's MEDIAN); IS DISTINCT FROM is written out with IS NULL.
-- queue_corepower returns a SYS_REFCURSOR (RETURNS TABLE); refresh_share_stats, which joins it, uses its
-- query inline (a cursor cannot be joined). regclass parameters are 'OWNER.TABLE' names. Each PL/SQL unit ends with a line holding only '/'.


-- aggregate_run_lock: take this transaction's lock of one aggregate procedure (a DBMS_LOCK user lock
-- named 'pandadb.aggregates <procedure>', released at COMMIT/ROLLBACK); false (with a DBMS_OUTPUT line
-- that the run is skipped) when another session holds it.
--   p_procedure_name  the aggregate procedure's name, e.g. 'update_jobsactive_stats'
CREATE OR REPLACE FUNCTION ATLAS_PANDA.AGGREGATE_RUN_LOCK(p_procedure_name IN VARCHAR2)
RETURN BOOLEAN
AS
BEGIN
    IF PANDADB_SUPPORT.try_xact_lock('pandadb.aggregates ' || p_procedure_name) THEN
        RETURN TRUE;
    END IF;
    DBMS_OUTPUT.PUT_LINE(p_procedure_name || ' is running in another session: this run is skipped');
    RETURN FALSE;
END AGGREGATE_RUN_LOCK;
/


-- refresh_share_stats: replace the rows of a share-statistics table (JOBS_SHARE_STATS,
-- JOBSDEFINED_SHARE_STATS) with the figures of one job table, per gshare, workqueue_id, resource_type,
-- computingsite, jobstatus, vo, nucleus (choices: see update_jobsact_stats_by_gshare). The corepower
-- per queue is queue_corepower's query, inline (a cursor cannot be joined).
--   p_job_table     the job table read, e.g. 'ATLAS_PANDA.JOBSACTIVE4'
--   p_stats_table   the statistics table written, e.g. 'ATLAS_PANDA.JOBS_SHARE_STATS'
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.REFRESH_SHARE_STATS(p_job_table IN VARCHAR2, p_stats_table IN VARCHAR2)
AS
    v_job_table VARCHAR2(261) := DBMS_ASSERT.QUALIFIED_SQL_NAME(p_job_table);
    v_stats_table VARCHAR2(261) := DBMS_ASSERT.QUALIFIED_SQL_NAME(p_stats_table);
BEGIN
    EXECUTE IMMEDIATE 'DELETE FROM ' || v_stats_table;
    EXECUTE IMMEDIATE
        'INSERT INTO ' || v_stats_table
        || ' (TS, GSHARE, WORKQUEUE_ID, RESOURCE_TYPE, COMPUTINGSITE, JOBSTATUS, MAXPRIORITY,'
        || '  PRORATED_DISKIO_AVG, PRORATED_MEM_AVG, NJOBS, HS, VO, NUCLEUS)'
        || ' SELECT ATLAS_PANDA.PANDA_NOW(), j.GSHARE, j.WORKQUEUE_ID, j.RESOURCE_TYPE, j.COMPUTINGSITE, j.JOBSTATUS,'
        || '        MAX(j.CURRENTPRIORITY),'
        || '        ROUND(AVG(j.DISKIO / NVL(NULLIF(j.CORECOUNT, 0), 1)), 2),'
        || '        ROUND(AVG(j.MINRAMCOUNT / NVL(NULLIF(j.CORECOUNT, 0), 1)), 2),'
        || '        COUNT(*),'
        || '        ROUND(SUM(NVL(NULLIF(j.CORECOUNT, 0), 1) * q.corepower)),'
        || '        j.VO, j.NUCLEUS'
        || '   FROM ' || v_job_table || ' j'
        || '   LEFT JOIN (SELECT sc.PANDA_QUEUE,'
        || '                     CASE WHEN REGEXP_LIKE(JSON_VALUE(sc.DATA, ''$.corepower''),'
        || '                                           ''^\s*[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\s*$'')'
        || '                          THEN JSON_VALUE(sc.DATA, ''$.corepower'' RETURNING BINARY_DOUBLE NULL ON ERROR)'
        || '                     END AS corepower'
        || '                FROM ATLAS_PANDA.SCHEDCONFIG_JSON sc) q ON q.PANDA_QUEUE = j.COMPUTINGSITE'
        || '  GROUP BY j.GSHARE, j.WORKQUEUE_ID, j.RESOURCE_TYPE, j.COMPUTINGSITE, j.JOBSTATUS, j.VO, j.NUCLEUS';
END REFRESH_SHARE_STATS;
/


-- update_jobsactive_stats: refresh ATLAS_PANDA.MV_JOBSACTIVE4_STATS, the job counts of the active
-- table that the monitor and the server read instead of grouping jobsactive4 (UPDATE_JOBSACTIVE_STATS
-- ver 1.4): grouped by cloud, computingsite, countrygroup, workinggroup, relocationflag, jobstatus,
-- processingtype, prodsourcelabel, vo, workqueue_id, resource_type and TRUNC(currentpriority, -1).
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.UPDATE_JOBSACTIVE_STATS
AS
BEGIN
    IF NOT ATLAS_PANDA.AGGREGATE_RUN_LOCK('update_jobsactive_stats') THEN
        RETURN;
    END IF;
    DELETE FROM ATLAS_PANDA.MV_JOBSACTIVE4_STATS;
    INSERT INTO ATLAS_PANDA.MV_JOBSACTIVE4_STATS
        (CUR_DATE, CLOUD, COMPUTINGSITE, COUNTRYGROUP, WORKINGGROUP, RELOCATIONFLAG, JOBSTATUS, PROCESSINGTYPE,
         PRODSOURCELABEL, CURRENTPRIORITY, VO, WORKQUEUE_ID, NUM_OF_JOBS, NUM_OF_CORES, RESOURCE_TYPE)
    SELECT ATLAS_PANDA.PANDA_NOW(), CLOUD, COMPUTINGSITE, COUNTRYGROUP, WORKINGGROUP, RELOCATIONFLAG, JOBSTATUS,
           PROCESSINGTYPE, PRODSOURCELABEL, TRUNC(CURRENTPRIORITY, -1), VO, WORKQUEUE_ID,
           COUNT(*), SUM(NVL(ACTUALCORECOUNT, CORECOUNT)), RESOURCE_TYPE
      FROM ATLAS_PANDA.JOBSACTIVE4
     GROUP BY CLOUD, COMPUTINGSITE, COUNTRYGROUP, WORKINGGROUP, RELOCATIONFLAG, JOBSTATUS, PROCESSINGTYPE,
              PRODSOURCELABEL, TRUNC(CURRENTPRIORITY, -1), VO, WORKQUEUE_ID, RESOURCE_TYPE;
END UPDATE_JOBSACTIVE_STATS;
/


-- queue_corepower: the HS06 power per core of each PanDA queue (schedconfig_json 'corepower'),
-- NULL when the queue does not declare a numeric one: a cursor of (panda_queue, corepower).
CREATE OR REPLACE FUNCTION ATLAS_PANDA.QUEUE_COREPOWER
RETURN SYS_REFCURSOR
AS
    v_corepower SYS_REFCURSOR;
BEGIN
    OPEN v_corepower FOR
        SELECT sc.PANDA_QUEUE AS panda_queue,
               CASE WHEN REGEXP_LIKE(JSON_VALUE(sc.DATA, '$.corepower'), '^\s*[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\s*$')
                    THEN JSON_VALUE(sc.DATA, '$.corepower' RETURNING BINARY_DOUBLE NULL ON ERROR) END AS corepower
          FROM ATLAS_PANDA.SCHEDCONFIG_JSON sc;
    RETURN v_corepower;
END QUEUE_COREPOWER;
/


-- update_jobsact_stats_by_gshare: refresh ATLAS_PANDA.JOBS_SHARE_STATS, the jobs of jobsactive4 by
-- global share, work queue, resource type, site, status, vo and nucleus (UPDATE_JOBSACT_STATS_BY_GSHARE;
-- the differences from upstream are listed in the PostgreSQL file). Per group: maxpriority, the
-- per-core means of diskio and minramcount, njobs, hs = sum of cores x the queue's corepower.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.UPDATE_JOBSACT_STATS_BY_GSHARE
AS
BEGIN
    IF NOT ATLAS_PANDA.AGGREGATE_RUN_LOCK('update_jobsact_stats_by_gshare') THEN
        RETURN;
    END IF;
    ATLAS_PANDA.REFRESH_SHARE_STATS('ATLAS_PANDA.JOBSACTIVE4', 'ATLAS_PANDA.JOBS_SHARE_STATS');
END UPDATE_JOBSACT_STATS_BY_GSHARE;
/


-- update_jobsdef_stats_by_gshare: refresh ATLAS_PANDA.JOBSDEFINED_SHARE_STATS, the same figures as
-- JOBS_SHARE_STATS (see update_jobsact_stats_by_gshare, same choices) over jobsdefined4.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.UPDATE_JOBSDEF_STATS_BY_GSHARE
AS
BEGIN
    IF NOT ATLAS_PANDA.AGGREGATE_RUN_LOCK('update_jobsdef_stats_by_gshare') THEN
        RETURN;
    END IF;
    ATLAS_PANDA.REFRESH_SHARE_STATS('ATLAS_PANDA.JOBSDEFINED4', 'ATLAS_PANDA.JOBSDEFINED_SHARE_STATS');
END UPDATE_JOBSDEF_STATS_BY_GSHARE;
/


-- update_job_stats_hp: refresh ATLAS_PANDA.JOB_STATS_HP, the highest priority waiting to run and how
-- many jobs have it, per prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo
-- (UPDATE_JOB_STATS_HP ver 1.0): queued jobs are jobsactive4 'activated' and jobsdefined4
-- 'assigned'/'defined', without merge jobs (processingtype 'pmerge', eventservice = 2).
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.UPDATE_JOB_STATS_HP
AS
BEGIN
    IF NOT ATLAS_PANDA.AGGREGATE_RUN_LOCK('update_job_stats_hp') THEN
        RETURN;
    END IF;
    DELETE FROM ATLAS_PANDA.JOB_STATS_HP;
    INSERT INTO ATLAS_PANDA.JOB_STATS_HP
        (TS, PRODSOURCELABEL, CLOUD, RESOURCE_TYPE, GSHARE, JOBSTATUS, WORKQUEUE_ID, VO, MAX_PRIORITY, MAX_PRIORITY_COUNT)
    WITH queued AS (
        SELECT PRODSOURCELABEL, CLOUD, RESOURCE_TYPE, GSHARE, JOBSTATUS, WORKQUEUE_ID, VO, CURRENTPRIORITY
          FROM ATLAS_PANDA.JOBSACTIVE4
         WHERE JOBSTATUS = 'activated'
           AND (PROCESSINGTYPE IS NULL OR PROCESSINGTYPE <> 'pmerge') AND (EVENTSERVICE IS NULL OR EVENTSERVICE <> 2)
        UNION ALL
        SELECT PRODSOURCELABEL, CLOUD, RESOURCE_TYPE, GSHARE, JOBSTATUS, WORKQUEUE_ID, VO, CURRENTPRIORITY
          FROM ATLAS_PANDA.JOBSDEFINED4
         WHERE JOBSTATUS IN ('assigned', 'defined')
           AND (PROCESSINGTYPE IS NULL OR PROCESSINGTYPE <> 'pmerge') AND (EVENTSERVICE IS NULL OR EVENTSERVICE <> 2)
    ),
    per_priority AS (
        SELECT PRODSOURCELABEL, CLOUD, RESOURCE_TYPE, GSHARE, JOBSTATUS, WORKQUEUE_ID, VO, CURRENTPRIORITY,
               COUNT(*) AS n_jobs,
               ROW_NUMBER() OVER (PARTITION BY PRODSOURCELABEL, CLOUD, RESOURCE_TYPE, GSHARE, JOBSTATUS, WORKQUEUE_ID, VO
                                  ORDER BY CURRENTPRIORITY DESC) AS n
          FROM queued
         GROUP BY PRODSOURCELABEL, CLOUD, RESOURCE_TYPE, GSHARE, JOBSTATUS, WORKQUEUE_ID, VO, CURRENTPRIORITY
    )
    SELECT ATLAS_PANDA.PANDA_NOW(), PRODSOURCELABEL, CLOUD, RESOURCE_TYPE, GSHARE, JOBSTATUS, WORKQUEUE_ID, VO,
           CURRENTPRIORITY, n_jobs
      FROM per_priority
     WHERE n = 1;
END UPDATE_JOB_STATS_HP;
/


-- update_num_input_data_files: refresh ATLAS_PANDA.TYPICAL_NUM_INPUT, the typical (median) number of
-- input data files of the jobs of a kind (UPDATE_NUM_INPUT_DATA_FILES): jobsactive4 jobs with
-- ninputdatafiles, vo, prodsourcelabel, processingtype and workqueue_id set, per work queue ('workqueue')
-- for 'Resource' work queues, else per global share ('gshare'); the median rounded half away from zero.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.UPDATE_NUM_INPUT_DATA_FILES
AS
BEGIN
    IF NOT ATLAS_PANDA.AGGREGATE_RUN_LOCK('update_num_input_data_files') THEN
        RETURN;
    END IF;
    DELETE FROM ATLAS_PANDA.TYPICAL_NUM_INPUT;
    INSERT INTO ATLAS_PANDA.TYPICAL_NUM_INPUT (VO, AGG_TYPE, AGG_KEY, PRODSOURCELABEL, PROCESSINGTYPE, NINPUTDATAFILES)
    WITH classified AS (
        SELECT j.VO, j.PRODSOURCELABEL, j.PROCESSINGTYPE, j.NINPUTDATAFILES,
               CASE WHEN wq.QUEUE_ID IS NULL THEN 'gshare' ELSE 'workqueue' END AS agg_type,
               CASE WHEN wq.QUEUE_ID IS NULL THEN j.GSHARE ELSE TO_CHAR(j.WORKQUEUE_ID) END AS agg_key
          FROM ATLAS_PANDA.JOBSACTIVE4 j
          LEFT JOIN ATLAS_PANDA.JEDI_WORK_QUEUE wq ON wq.QUEUE_ID = j.WORKQUEUE_ID AND wq.QUEUE_FUNCTION = 'Resource'
         WHERE j.NINPUTDATAFILES IS NOT NULL AND j.VO IS NOT NULL AND j.PRODSOURCELABEL IS NOT NULL
           AND j.PROCESSINGTYPE IS NOT NULL AND j.WORKQUEUE_ID IS NOT NULL
    )
    SELECT VO, agg_type, agg_key, PRODSOURCELABEL, PROCESSINGTYPE,
           ROUND(PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY NINPUTDATAFILES))
      FROM classified
     WHERE agg_key IS NOT NULL
     GROUP BY VO, agg_type, agg_key, PRODSOURCELABEL, PROCESSINGTYPE;
END UPDATE_NUM_INPUT_DATA_FILES;
/


-- update_total_walltime: refresh ATLAS_PANDA.TOTAL_WALLTIME_CACHE, the walltime of the work queued
-- (UPDATE_TOTAL_WALLTIME): jobsactive4 'activated'/'starting' and all of jobsdefined4, classified as in
-- TYPICAL_NUM_INPUT; total_walltime = sum(maxwalltime) (missing counts 0), n_has_value / n_no_value.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.UPDATE_TOTAL_WALLTIME
AS
BEGIN
    IF NOT ATLAS_PANDA.AGGREGATE_RUN_LOCK('update_total_walltime') THEN
        RETURN;
    END IF;
    DELETE FROM ATLAS_PANDA.TOTAL_WALLTIME_CACHE;
    INSERT INTO ATLAS_PANDA.TOTAL_WALLTIME_CACHE
        (VO, AGG_TYPE, AGG_KEY, PRODSOURCELABEL, RESOURCE_TYPE, TOTAL_WALLTIME, N_HAS_VALUE, N_NO_VALUE)
    WITH queued AS (
        SELECT VO, PRODSOURCELABEL, RESOURCE_TYPE, GSHARE, WORKQUEUE_ID, MAXWALLTIME
          FROM ATLAS_PANDA.JOBSACTIVE4
         WHERE JOBSTATUS IN ('activated', 'starting')
        UNION ALL
        SELECT VO, PRODSOURCELABEL, RESOURCE_TYPE, GSHARE, WORKQUEUE_ID, MAXWALLTIME
          FROM ATLAS_PANDA.JOBSDEFINED4
    ),
    classified AS (
        SELECT q.VO, q.PRODSOURCELABEL, q.RESOURCE_TYPE, q.MAXWALLTIME,
               CASE WHEN wq.QUEUE_ID IS NULL THEN 'gshare' ELSE 'workqueue' END AS agg_type,
               CASE WHEN wq.QUEUE_ID IS NULL THEN q.GSHARE ELSE TO_CHAR(q.WORKQUEUE_ID) END AS agg_key
          FROM queued q
          LEFT JOIN ATLAS_PANDA.JEDI_WORK_QUEUE wq ON wq.QUEUE_ID = q.WORKQUEUE_ID AND wq.QUEUE_FUNCTION = 'Resource'
         WHERE q.WORKQUEUE_ID IS NOT NULL AND q.VO IS NOT NULL AND q.PRODSOURCELABEL IS NOT NULL
           AND q.RESOURCE_TYPE IS NOT NULL
    )
    SELECT VO, agg_type, agg_key, PRODSOURCELABEL, RESOURCE_TYPE,
           NVL(SUM(MAXWALLTIME), 0), COUNT(MAXWALLTIME), COUNT(*) - COUNT(MAXWALLTIME)
      FROM classified
     WHERE agg_key IS NOT NULL
     GROUP BY VO, agg_type, agg_key, PRODSOURCELABEL, RESOURCE_TYPE;
END UPDATE_TOTAL_WALLTIME;
/


-- jedi_refr_mintaskids_bystatus: refresh ATLAS_PANDA.JEDI_AUX_STATUS_MINTASKID, the smallest
-- jeditaskid of each task status other than broken, aborted, finished, failed (seed 004 section 8.6.3:
-- the MERGE of upstream); statuses that no longer have a task are deleted first, unchanged rows are
-- not rewritten. The DELETE touches only rows the MERGE does not, as in PostgreSQL.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.JEDI_REFR_MINTASKIDS_BYSTATUS
AS
BEGIN
    IF NOT ATLAS_PANDA.AGGREGATE_RUN_LOCK('jedi_refr_mintaskids_bystatus') THEN
        RETURN;
    END IF;
    DELETE FROM ATLAS_PANDA.JEDI_AUX_STATUS_MINTASKID aux
     WHERE NOT EXISTS (SELECT 1 FROM ATLAS_PANDA.JEDI_TASKS t
                        WHERE t.STATUS = aux.STATUS AND t.STATUS NOT IN ('broken', 'aborted', 'finished', 'failed'));
    MERGE INTO ATLAS_PANDA.JEDI_AUX_STATUS_MINTASKID aux
    USING (SELECT STATUS, MIN(JEDITASKID) AS MIN_JEDITASKID
             FROM ATLAS_PANDA.JEDI_TASKS
            WHERE STATUS NOT IN ('broken', 'aborted', 'finished', 'failed')
            GROUP BY STATUS) c
       ON (aux.STATUS = c.STATUS)
     WHEN MATCHED THEN
        UPDATE SET aux.MIN_JEDITASKID = c.MIN_JEDITASKID
         WHERE DECODE(aux.MIN_JEDITASKID, c.MIN_JEDITASKID, 0, 1) = 1
     WHEN NOT MATCHED THEN
        INSERT (STATUS, MIN_JEDITASKID) VALUES (c.STATUS, c.MIN_JEDITASKID);
END JEDI_REFR_MINTASKIDS_BYSTATUS;
/


-- update_run_jumbo_count: refresh ATLAS_PANDA.MV_RUNNING_JUMBO_TASK_COUNT, the number of jumbo tasks
-- per vo, cloud, prodsourcelabel, usejumbo, status, gshare and workqueue_id (UPDATE_RUN_JUMBO_COUNT
-- ver 0.1), counting only the tasks that can still run jumbo jobs: usejumbo set, status not final.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.UPDATE_RUN_JUMBO_COUNT
AS
BEGIN
    IF NOT ATLAS_PANDA.AGGREGATE_RUN_LOCK('update_run_jumbo_count') THEN
        RETURN;
    END IF;
    DELETE FROM ATLAS_PANDA.MV_RUNNING_JUMBO_TASK_COUNT;
    INSERT INTO ATLAS_PANDA.MV_RUNNING_JUMBO_TASK_COUNT
        (CUR_DATE, VO, CLOUD, PRODSOURCELABEL, USEJUMBO, STATUS, GSHARE, WORKQUEUE_ID, TASK_COUNT)
    SELECT ATLAS_PANDA.PANDA_NOW(), VO, CLOUD, PRODSOURCELABEL, USEJUMBO, STATUS, GSHARE, WORKQUEUE_ID, COUNT(*)
      FROM ATLAS_PANDA.JEDI_TASKS
     WHERE USEJUMBO IS NOT NULL
       AND STATUS NOT IN ('done', 'finished', 'failed', 'broken', 'aborted')
     GROUP BY VO, CLOUD, PRODSOURCELABEL, USEJUMBO, STATUS, GSHARE, WORKQUEUE_ID;
END UPDATE_RUN_JUMBO_COUNT;
/


-- update_ups_stats: refresh ATLAS_PANDA.HARVESTER_WORKER_STATS, the number of live harvester workers per
-- harvester instance, computingsite, resourcetype, jobtype and status (Unified Pilot Streaming; upstream
-- has no database procedure): workers with a computingsite not in a final status (finished, failed,
-- cancelled, missed); a NULL resourcetype or jobtype counts as 'ANY'. Groups without live workers are
-- deleted, the others merged (n_workers and lastupdate refreshed); the rows of a queue whose instance reports
-- no workers there (harvester/report_worker_statistics) are kept until they are an hour old.
CREATE OR REPLACE PROCEDURE ATLAS_PANDA.UPDATE_UPS_STATS
AS
BEGIN
    IF NOT ATLAS_PANDA.AGGREGATE_RUN_LOCK('update_ups_stats') THEN
        RETURN;
    END IF;
    DELETE FROM ATLAS_PANDA.HARVESTER_WORKER_STATS s
     WHERE NOT EXISTS (SELECT 1 FROM ATLAS_PANDA.HARVESTER_WORKERS w
                        WHERE w.COMPUTINGSITE IS NOT NULL
                          AND w.STATUS NOT IN ('finished', 'failed', 'cancelled', 'missed')
                          AND w.HARVESTERID = s.HARVESTER_ID AND w.COMPUTINGSITE = s.COMPUTINGSITE
                          AND NVL(w.RESOURCETYPE, 'ANY') = s.RESOURCETYPE AND w.STATUS = s.STATUS
                          AND NVL(w.JOBTYPE, 'ANY') = s.JOBTYPE)
       AND (EXISTS (SELECT 1 FROM ATLAS_PANDA.HARVESTER_WORKERS hw
                     WHERE hw.HARVESTERID = s.HARVESTER_ID AND hw.COMPUTINGSITE = s.COMPUTINGSITE)
            OR s.LASTUPDATE < ATLAS_PANDA.PANDA_NOW() - INTERVAL '1' HOUR);
    MERGE INTO ATLAS_PANDA.HARVESTER_WORKER_STATS s
    USING (SELECT HARVESTERID AS HARVESTER_ID, COMPUTINGSITE, NVL(RESOURCETYPE, 'ANY') AS RESOURCETYPE, STATUS,
                  NVL(JOBTYPE, 'ANY') AS JOBTYPE, COUNT(*) AS N_WORKERS
             FROM ATLAS_PANDA.HARVESTER_WORKERS
            WHERE COMPUTINGSITE IS NOT NULL
              AND STATUS NOT IN ('finished', 'failed', 'cancelled', 'missed')
            GROUP BY HARVESTERID, COMPUTINGSITE, NVL(RESOURCETYPE, 'ANY'), STATUS, NVL(JOBTYPE, 'ANY')) w
       ON (s.HARVESTER_ID = w.HARVESTER_ID AND s.COMPUTINGSITE = w.COMPUTINGSITE AND s.RESOURCETYPE = w.RESOURCETYPE
           AND s.STATUS = w.STATUS AND s.JOBTYPE = w.JOBTYPE)
     WHEN MATCHED THEN
        UPDATE SET s.N_WORKERS = w.N_WORKERS, s.LASTUPDATE = ATLAS_PANDA.PANDA_NOW()
     WHEN NOT MATCHED THEN
        INSERT (HARVESTER_ID, COMPUTINGSITE, RESOURCETYPE, STATUS, JOBTYPE, N_WORKERS, LASTUPDATE)
        VALUES (w.HARVESTER_ID, w.COMPUTINGSITE, w.RESOURCETYPE, w.STATUS, w.JOBTYPE, w.N_WORKERS, ATLAS_PANDA.PANDA_NOW());
END UPDATE_UPS_STATS;
/
