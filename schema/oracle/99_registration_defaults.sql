-- Oracle twin of schema/postgres/99_registration_defaults.sql: the registrations a new PanDA instance
-- needs before its first job (seed 004, section 5.5): resource types with the catch-all, a default
-- global share tree, a test work queue and the gdpconfig defaults the stored logic reads.
-- Re-runnable: MERGE ... WHEN NOT MATCHED only inserts the rows that are not there yet (the twin of
-- INSERT ... ON CONFLICT DO NOTHING); existing rows are left alone.
-- CONFIG's KEY, VALUE and TYPE columns are created as "KEY", "VALUE", "TYPE": they are written so here.

-- Resource types: core count and memory per core (MB) bounds; 'Undefined' is the catch-all.
MERGE INTO ATLAS_PANDA.RESOURCE_TYPES t
USING (SELECT 'SCORE' AS RESOURCE_NAME, 1 AS MINCORE, 1 AS MAXCORE, CAST(NULL AS NUMBER(10)) AS MINRAMPERCORE, 2000 AS MAXRAMPERCORE FROM DUAL
       UNION ALL SELECT 'MCORE', 2, NULL, NULL, 2000 FROM DUAL
       UNION ALL SELECT 'SCORE_HIMEM', 1, 1, 2001, NULL FROM DUAL
       UNION ALL SELECT 'MCORE_HIMEM', 2, NULL, 2001, NULL FROM DUAL
       UNION ALL SELECT 'Undefined', 1, NULL, NULL, NULL FROM DUAL) s
ON (t.RESOURCE_NAME = s.RESOURCE_NAME)
WHEN NOT MATCHED THEN
    INSERT (RESOURCE_NAME, MINCORE, MAXCORE, MINRAMPERCORE, MAXRAMPERCORE)
    VALUES (s.RESOURCE_NAME, s.MINCORE, s.MAXCORE, s.MINRAMPERCORE, s.MAXRAMPERCORE);

-- Work queue of section 5.5.2 ('test' activity of the 'wlcg' organisation); like ON CONFLICT DO
-- NOTHING it is skipped when either its id or its (name, type, VO) is taken.
MERGE INTO ATLAS_PANDA.JEDI_WORK_QUEUE t
USING (SELECT 1 AS QUEUE_ID, 'test_queue' AS QUEUE_NAME, 'test' AS QUEUE_TYPE, 'wlcg' AS VO,
              'Resource' AS QUEUE_FUNCTION, 'active' AS STATUS FROM DUAL) s
ON (t.QUEUE_ID = s.QUEUE_ID OR (t.QUEUE_NAME = s.QUEUE_NAME AND t.QUEUE_TYPE = s.QUEUE_TYPE AND t.VO = s.VO))
WHEN NOT MATCHED THEN
    INSERT (QUEUE_ID, QUEUE_NAME, QUEUE_TYPE, VO, QUEUE_FUNCTION, STATUS)
    VALUES (s.QUEUE_ID, s.QUEUE_NAME, s.QUEUE_TYPE, s.VO, s.QUEUE_FUNCTION, s.STATUS);

-- Default global share tree: values are percentages of the parent; leaves tag jobs.
-- The root first: the children's PARENT references it.
MERGE INTO ATLAS_PANDA.GLOBAL_SHARES t
USING (SELECT 'Root' AS NAME, 100 AS "VALUE", CAST(NULL AS VARCHAR2(32)) AS PARENT,
              CAST(NULL AS VARCHAR2(100)) AS PRODSOURCELABEL, CAST(NULL AS VARCHAR2(32)) AS VO FROM DUAL) s
ON (t.NAME = s.NAME)
WHEN NOT MATCHED THEN
    INSERT (NAME, "VALUE", PARENT, PRODSOURCELABEL, VO)
    VALUES (s.NAME, s."VALUE", s.PARENT, s.PRODSOURCELABEL, s.VO);
MERGE INTO ATLAS_PANDA.GLOBAL_SHARES t
USING (SELECT 'Production' AS NAME, 70 AS "VALUE", 'Root' AS PARENT, 'managed' AS PRODSOURCELABEL, 'wlcg' AS VO FROM DUAL
       UNION ALL SELECT 'Analysis', 25, 'Root', 'user|panda', 'wlcg' FROM DUAL
       UNION ALL SELECT 'Test', 5, 'Root', 'test|ptest|prod_test', 'wlcg' FROM DUAL) s
ON (t.NAME = s.NAME)
WHEN NOT MATCHED THEN
    INSERT (NAME, "VALUE", PARENT, PRODSOURCELABEL, VO)
    VALUES (s.NAME, s."VALUE", s.PARENT, s.PRODSOURCELABEL, s.VO);

-- gdpconfig defaults (seed 004 chapter 10; timeout rules of section 12.1.3, in the units named).
MERGE INTO ATLAS_PANDA.CONFIG t
USING (SELECT 'pandaserver' AS APP, 'watchdog' AS COMPONENT, 'PENDING_TIMEOUT_MINUTES' AS "KEY", '60' AS "VALUE", 'int' AS "TYPE", 'default' AS VO, 'pending jobs are closed after this' AS DESCR FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'DEFINED_TIMEOUT_MINUTES',      '240',   'int', 'default', 'defined jobs are closed after this' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'ASSIGNED_TIMEOUT_MINUTES',     '720',   'int', 'default', 'assigned jobs are closed after this' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'THROTTLED_TIMEOUT_MINUTES',    '10080', 'int', 'default', 'throttled jobs are closed after this' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'ACTIVATED_TIMEOUT_MINUTES',    '2880',  'int', 'default', 'activated or starting jobs are closed after this' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'ACTIVATED_HP_TIMEOUT_MINUTES', '240',   'int', 'default', 'activated/starting jobs with priority >= 800 at queues with no start for 2 hours' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'ACTIVATED_HP_NO_START_MINUTES', '120',  'int', 'default', 'activated/starting jobs with priority >= 800 time out early at queues whose last job start is older than this' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'SENT_TIMEOUT_MINUTES',         '30',    'int', 'default', 'sent jobs without a heartbeat fail after this' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'RUNNING_TIMEOUT_MINUTES',      '30240', 'int', 'default', 'running jobs fail after this' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'HEARTBEAT_TIMEOUT_MINUTES',    '120',   'int', 'default', 'running/starting jobs without a heartbeat fail after this; HEARTBEAT_TIMEOUT_<workflow> overrides' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'HOLDING_HP_TIMEOUT_MINUTES',   '180',   'int', 'default', 'holding jobs with priority >= 800 fail after this' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'watchdog', 'HOLDING_TIMEOUT_MINUTES',      '4320',  'int', 'default', 'holding jobs with priority < 800 fail after this' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'dispatcher', 'MAX_JOBS_PER_ACQUIRE',       '1000',  'int', 'default', 'upper bound of n_jobs in one acquire_jobs call' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'archive', 'ARCHIVE_AFTER_DAYS',            '3',     'int', 'default', 'jobsarchived4 partitions older than this are copied to doma_pandaarch' FROM DUAL
       UNION ALL SELECT 'pandaserver', 'scheduler', 'RUNS_KEEP_DAYS',              '7',     'int', 'default', 'days of doma_panda.pandadb_scheduler_runs kept by purge_scheduler_runs' FROM DUAL) s
ON (t.APP = s.APP AND t.COMPONENT = s.COMPONENT AND t."KEY" = s."KEY" AND t.VO = s.VO)
WHEN NOT MATCHED THEN
    INSERT (APP, COMPONENT, "KEY", "VALUE", "TYPE", VO, DESCR)
    VALUES (s.APP, s.COMPONENT, s."KEY", s."VALUE", s."TYPE", s.VO, s.DESCR);

-- JEDI gdpconfig defaults of the task engine (task_generation.sql, task_brokerage.sql, task_progress.sql;
-- seed 004 chapters 12, 13, 15).
MERGE INTO ATLAS_PANDA.CONFIG t
USING (SELECT 'jedi' AS APP, 'jedi' AS COMPONENT, 'N_SCOUT_JOBS' AS "KEY", '10' AS "VALUE", 'int' AS "TYPE", 'default' AS VO, 'scout jobs of a task unless it sets nScoutJobs' AS DESCR FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'SCOUT_PRIORITY_OFFSET', '100', 'int', 'default', 'scout jobs run at the task priority plus this' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'TASK_MAX_ATTEMPT', '3', 'int', 'default', 'attempts of an input file unless the task sets maxAttempt' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'GENERATE_MAX_JOBS_PER_TASK', '1000', 'int', 'default', 'jobs generated for one task in one generation step' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'MAX_FILES_PER_JOB', '200', 'int', 'default', 'input files of a job unless the task sets nMaxFilesPerJob' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'TASK_PENDING_RETRY_MINUTES', '60', 'int', 'default', 'a task pending because every queue was skipped is brokered again after this' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'BROKER_QUEUED_CUTOFF', '20', 'int', 'default', 'the 2 x running skip rules of the brokerage apply above this many queued jobs' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'BROKER_MAX_CANDIDATES', '10', 'int', 'default', 'the best queues by weight the jobs of a step are spread over' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'SCOUT_RAMCOUNT_MARGIN', '10', 'int', 'default', 'percent added to the measured memory per core' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'SCOUT_RAMCOUNT_RANK', '75', 'int', 'default', 'percentile of the scouts'' ramCount used' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'SCOUT_CPUTIME_RANK', '95', 'int', 'default', 'percentile of the scouts'' cpuTime used' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'SCOUT_DISK_IO_CAP', '20000', 'int', 'default', 'upper bound of a job''s diskIO in kB/s' FROM DUAL
       UNION ALL SELECT 'jedi', 'jedi', 'SCOUT_AVALANCHE_JOBS', '100', 'int', 'default', 'the second re-tuning after this many finished avalanche jobs' FROM DUAL) s
ON (t.APP = s.APP AND t.COMPONENT = s.COMPONENT AND t."KEY" = s."KEY" AND t.VO = s.VO)
WHEN NOT MATCHED THEN
    INSERT (APP, COMPONENT, "KEY", "VALUE", "TYPE", VO, DESCR)
    VALUES (s.APP, s.COMPONENT, s."KEY", s."VALUE", s."TYPE", s.VO, s.DESCR);

COMMIT;
