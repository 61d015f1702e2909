-- Relations and fixed rules that PanDA's own schema leaves implicit, and the default
-- partitions that keep every partitioned table writable before partition maintenance
-- (pandadb partitions / pg_partman) has created its ranges.

-- Job status by job table (seed 004, section 2.5). A PandaID lives in exactly one job table;
-- its status says which one.
ALTER TABLE doma_panda.jobsdefined4 ADD CONSTRAINT jobsdefined4_jobstatus_check
    CHECK (jobstatus IN ('pending', 'defined', 'assigned'));
ALTER TABLE doma_panda.jobswaiting4 ADD CONSTRAINT jobswaiting4_jobstatus_check
    CHECK (jobstatus IN ('waiting', 'pending'));
ALTER TABLE doma_panda.jobsactive4 ADD CONSTRAINT jobsactive4_jobstatus_check
    CHECK (jobstatus IN ('activated', 'throttled', 'sent', 'starting', 'running', 'holding', 'merging', 'transferring'));
ALTER TABLE doma_panda.jobsarchived4 ADD CONSTRAINT jobsarchived4_jobstatus_check
    CHECK (jobstatus IN ('finished', 'failed', 'cancelled', 'closed'));
ALTER TABLE doma_panda.filestable4 ADD CONSTRAINT filestable4_type_check
    CHECK (type IN ('input', 'output', 'log', 'pseudo_input', 'lib', 'zipinput', 'zipoutput', 'trn_log', 'trn_output'));

-- Configurator: a PanDA queue belongs to a site; a queue reads/writes the endpoints it is related to.
ALTER TABLE doma_panda.panda_site ADD CONSTRAINT panda_site_site_name_fkey
    FOREIGN KEY (site_name) REFERENCES doma_panda.site (site_name);
ALTER TABLE doma_panda.ddm_endpoint ADD CONSTRAINT ddm_endpoint_site_name_fkey
    FOREIGN KEY (site_name) REFERENCES doma_panda.site (site_name);
ALTER TABLE doma_panda.panda_ddm_relation ADD CONSTRAINT panda_ddm_relation_panda_site_fkey
    FOREIGN KEY (panda_site_name) REFERENCES doma_panda.panda_site (panda_site_name) ON DELETE CASCADE;
ALTER TABLE doma_panda.panda_ddm_relation ADD CONSTRAINT panda_ddm_relation_ddm_endpoint_fkey
    FOREIGN KEY (ddm_endpoint_name) REFERENCES doma_panda.ddm_endpoint (ddm_endpoint_name) ON DELETE CASCADE;
ALTER TABLE doma_panda.site_stats ADD CONSTRAINT site_stats_site_name_fkey
    FOREIGN KEY (site_name) REFERENCES doma_panda.site (site_name) ON DELETE CASCADE;

-- Shares: a global share's parent is a global share; a share may point at a work queue.
ALTER TABLE doma_panda.global_shares ADD CONSTRAINT global_shares_parent_fkey
    FOREIGN KEY (parent) REFERENCES doma_panda.global_shares (name);
ALTER TABLE doma_panda.global_shares ADD CONSTRAINT global_shares_value_check CHECK (value >= 0);

-- Harvester: only registered instances may report workers and statistics (seed 004, 8.3.1).
ALTER TABLE doma_panda.harvester_workers ADD CONSTRAINT harvester_workers_harvesterid_fkey
    FOREIGN KEY (harvesterid) REFERENCES doma_panda.harvester_instances (harvester_id);
ALTER TABLE doma_panda.harvester_worker_stats ADD CONSTRAINT harvester_worker_stats_harvester_id_fkey
    FOREIGN KEY (harvester_id) REFERENCES doma_panda.harvester_instances (harvester_id);

-- Retry rules: an error rule names its action.
ALTER TABLE doma_panda.retryerrors ADD CONSTRAINT retryerrors_retryaction_fkey
    FOREIGN KEY (retryaction) REFERENCES doma_panda.retryactions (retryaction_id);

-- Archival bookkeeping: copied_to_arch is a flag.
ALTER TABLE doma_panda.tablepart4copying ADD CONSTRAINT tablepart4copying_copied_to_arch_check
    CHECK (copied_to_arch IN ('N', 'Y'));

-- Default partitions (pg_partman's naming: <parent>_default).
CREATE TABLE doma_panda.datasets_default PARTITION OF doma_panda.datasets DEFAULT;
CREATE TABLE doma_panda.filestable4_default PARTITION OF doma_panda.filestable4 DEFAULT;
CREATE TABLE doma_panda.harvester_dialogs_default PARTITION OF doma_panda.harvester_dialogs DEFAULT;
CREATE TABLE doma_panda.harvester_metrics_default PARTITION OF doma_panda.harvester_metrics DEFAULT;
CREATE TABLE doma_panda.harvester_rel_jobs_workers_default PARTITION OF doma_panda.harvester_rel_jobs_workers DEFAULT;
CREATE TABLE doma_panda.harvester_workers_default PARTITION OF doma_panda.harvester_workers DEFAULT;
CREATE TABLE doma_panda.jedi_dataset_contents_default PARTITION OF doma_panda.jedi_dataset_contents DEFAULT;
CREATE TABLE doma_panda.jedi_datasets_default PARTITION OF doma_panda.jedi_datasets DEFAULT;
CREATE TABLE doma_panda.jedi_events_default PARTITION OF doma_panda.jedi_events DEFAULT;
CREATE TABLE doma_panda.jedi_job_retry_history_default PARTITION OF doma_panda.jedi_job_retry_history DEFAULT;
CREATE TABLE doma_panda.jedi_jobparams_template_default PARTITION OF doma_panda.jedi_jobparams_template DEFAULT;
CREATE TABLE doma_panda.jedi_output_template_default PARTITION OF doma_panda.jedi_output_template DEFAULT;
CREATE TABLE doma_panda.jedi_taskparams_default PARTITION OF doma_panda.jedi_taskparams DEFAULT;
CREATE TABLE doma_panda.jedi_tasks_default PARTITION OF doma_panda.jedi_tasks DEFAULT;
CREATE TABLE doma_panda.job_metrics_default PARTITION OF doma_panda.job_metrics DEFAULT;
CREATE TABLE doma_panda.jobparamstable_default PARTITION OF doma_panda.jobparamstable DEFAULT;
CREATE TABLE doma_panda.jobs_statuslog_default PARTITION OF doma_panda.jobs_statuslog DEFAULT;
CREATE TABLE doma_panda.jobsarchived4_default PARTITION OF doma_panda.jobsarchived4 DEFAULT;
CREATE TABLE doma_panda.metatable_default PARTITION OF doma_panda.metatable DEFAULT;
CREATE TABLE doma_panda.pandalog_default PARTITION OF doma_panda.pandalog DEFAULT;
CREATE TABLE doma_panda.tablepart4copying_not_copied PARTITION OF doma_panda.tablepart4copying FOR VALUES IN ('N');
CREATE TABLE doma_panda.tablepart4copying_copied PARTITION OF doma_panda.tablepart4copying FOR VALUES IN ('Y');
CREATE TABLE doma_panda.task_attempts_default PARTITION OF doma_panda.task_attempts DEFAULT;
CREATE TABLE doma_panda.task_metrics_default PARTITION OF doma_panda.task_metrics DEFAULT;
CREATE TABLE doma_panda.tasks_statuslog_default PARTITION OF doma_panda.tasks_statuslog DEFAULT;
CREATE TABLE doma_panda.worker_node_metrics_default PARTITION OF doma_panda.worker_node_metrics DEFAULT;
CREATE TABLE doma_pandameta.usercacheusage_default PARTITION OF doma_pandameta.usercacheusage DEFAULT;
