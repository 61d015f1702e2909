-- The registrations a new PanDA instance needs before its first job (seed 004, section 5.5):
-- resource types with the catch-all, a default global share tree, a test work queue and the
-- gdpconfig defaults the stored logic reads. Re-runnable: existing rows are left alone.

-- Resource types: core count and memory per core (MB) bounds; 'Undefined' is the catch-all.
INSERT INTO doma_panda.resource_types (resource_name, mincore, maxcore, minrampercore, maxrampercore) VALUES
    ('SCORE',       1,    1,    NULL, 2000),
    ('MCORE',       2,    NULL, NULL, 2000),
    ('SCORE_HIMEM', 1,    1,    2001, NULL),
    ('MCORE_HIMEM', 2,    NULL, 2001, NULL),
    ('Undefined',   1,    NULL, NULL, NULL)
ON CONFLICT (resource_name) DO NOTHING;

-- Work queue of section 5.5.2 ('test' activity of the 'wlcg' organisation).
INSERT INTO doma_panda.jedi_work_queue (queue_id, queue_name, queue_type, vo, queue_function, status)
VALUES (1, 'test_queue', 'test', 'wlcg', 'Resource', 'active')
ON CONFLICT DO NOTHING;

-- Default global share tree: values are percentages of the parent; leaves tag jobs.
INSERT INTO doma_panda.global_shares (name, value, parent, prodsourcelabel, vo) VALUES
    ('Root',       100, NULL,   NULL,                    NULL),
    ('Production',  70, 'Root', 'managed',               'wlcg'),
    ('Analysis',    25, 'Root', 'user|panda',            'wlcg'),
    ('Test',         5, 'Root', 'test|ptest|prod_test',  'wlcg')
ON CONFLICT (name) DO NOTHING;

-- gdpconfig defaults (seed 004 chapter 10; timeout rules of section 12.1.3, in the units named).
INSERT INTO doma_panda.config (app, component, key, value, type, vo, descr) VALUES
    ('pandaserver', 'watchdog', 'PENDING_TIMEOUT_MINUTES',        '60',    'int', 'default', 'pending jobs are closed after this'),
    ('pandaserver', 'watchdog', 'DEFINED_TIMEOUT_MINUTES',        '240',   'int', 'default', 'defined jobs are closed after this'),
    ('pandaserver', 'watchdog', 'ASSIGNED_TIMEOUT_MINUTES',       '720',   'int', 'default', 'assigned jobs are closed after this'),
    ('pandaserver', 'watchdog', 'THROTTLED_TIMEOUT_MINUTES',      '10080', 'int', 'default', 'throttled jobs are closed after this'),
    ('pandaserver', 'watchdog', 'ACTIVATED_TIMEOUT_MINUTES',      '2880',  'int', 'default', 'activated or starting jobs are closed after this'),
    ('pandaserver', 'watchdog', 'ACTIVATED_HP_TIMEOUT_MINUTES',   '240',   'int', 'default', 'activated/starting jobs with priority >= 800 at queues with no start for 2 hours'),
    ('pandaserver', 'watchdog', 'ACTIVATED_HP_NO_START_MINUTES',  '120',   'int', 'default', 'activated/starting jobs with priority >= 800 time out early at queues whose last job start is older than this'),
    ('pandaserver', 'watchdog', 'SENT_TIMEOUT_MINUTES',           '30',    'int', 'default', 'sent jobs without a heartbeat fail after this'),
    ('pandaserver', 'watchdog', 'RUNNING_TIMEOUT_MINUTES',        '30240', 'int', 'default', 'running jobs fail after this'),
    ('pandaserver', 'watchdog', 'HEARTBEAT_TIMEOUT_MINUTES',      '120',   'int', 'default', 'running/starting jobs without a heartbeat fail after this; HEARTBEAT_TIMEOUT_<workflow> overrides'),
    ('pandaserver', 'watchdog', 'HOLDING_HP_TIMEOUT_MINUTES',     '180',   'int', 'default', 'holding jobs with priority >= 800 fail after this'),
    ('pandaserver', 'watchdog', 'HOLDING_TIMEOUT_MINUTES',        '4320',  'int', 'default', 'holding jobs with priority < 800 fail after this'),
    ('pandaserver', 'dispatcher', 'MAX_JOBS_PER_ACQUIRE',         '1000',  'int', 'default', 'upper bound of n_jobs in one acquire_jobs call'),
    ('pandaserver', 'archive', 'ARCHIVE_AFTER_DAYS',              '3',     'int', 'default', 'jobsarchived4 partitions older than this are copied to doma_pandaarch'),
    ('pandaserver', 'scheduler', 'RUNS_KEEP_DAYS',                '7',     'int', 'default', 'days of doma_panda.pandadb_scheduler_runs kept by purge_scheduler_runs')
ON CONFLICT (app, component, key, vo) DO NOTHING;

-- JEDI gdpconfig defaults of the task engine (task_generation.sql, task_brokerage.sql, task_progress.sql;
-- seed 004 chapters 12, 13, 15).
INSERT INTO doma_panda.config (app, component, key, value, type, vo, descr) VALUES
    ('jedi', 'jedi', 'N_SCOUT_JOBS',               '10',    'int', 'default', 'scout jobs of a task unless it sets nScoutJobs'),
    ('jedi', 'jedi', 'SCOUT_PRIORITY_OFFSET',      '100',   'int', 'default', 'scout jobs run at the task priority plus this'),
    ('jedi', 'jedi', 'TASK_MAX_ATTEMPT',           '3',     'int', 'default', 'attempts of an input file unless the task sets maxAttempt'),
    ('jedi', 'jedi', 'GENERATE_MAX_JOBS_PER_TASK', '1000',  'int', 'default', 'jobs generated for one task in one generation step'),
    ('jedi', 'jedi', 'MAX_FILES_PER_JOB',          '200',   'int', 'default', 'input files of a job unless the task sets nMaxFilesPerJob'),
    ('jedi', 'jedi', 'TASK_PENDING_RETRY_MINUTES', '60',    'int', 'default', 'a task pending because every queue was skipped is brokered again after this'),
    ('jedi', 'jedi', 'BROKER_QUEUED_CUTOFF',       '20',    'int', 'default', 'the 2 x running skip rules of the brokerage apply above this many queued jobs'),
    ('jedi', 'jedi', 'BROKER_MAX_CANDIDATES',      '10',    'int', 'default', 'the best queues by weight the jobs of a step are spread over'),
    ('jedi', 'jedi', 'SCOUT_RAMCOUNT_MARGIN',      '10',    'int', 'default', 'percent added to the measured memory per core'),
    ('jedi', 'jedi', 'SCOUT_RAMCOUNT_RANK',        '75',    'int', 'default', 'percentile of the scouts'' ramCount used'),
    ('jedi', 'jedi', 'SCOUT_CPUTIME_RANK',         '95',    'int', 'default', 'percentile of the scouts'' cpuTime used'),
    ('jedi', 'jedi', 'SCOUT_DISK_IO_CAP',          '20000', 'int', 'default', 'upper bound of a job''s diskIO in kB/s'),
    ('jedi', 'jedi', 'SCOUT_AVALANCHE_JOBS',       '100',   'int', 'default', 'the second re-tuning after this many finished avalanche jobs')
ON CONFLICT (app, component, key, vo) DO NOTHING;
