-- Aggregated statistics tables refreshed by the scheduled procedures.
-- Names and types follow the public PanDA PostgreSQL schema (doma_panda).

CREATE TABLE doma_panda.job_stats_hp (
    ts timestamp without time zone,
    prodsourcelabel character varying(20),
    cloud character varying(50),
    resource_type character varying(56),
    gshare character varying(32),
    jobstatus character varying(15),
    workqueue_id integer,
    vo character varying(32),
    max_priority bigint,
    max_priority_count bigint
);

CREATE TABLE doma_panda.jobs_share_stats (
    ts timestamp without time zone,
    gshare character varying(32),
    computingsite character varying(128),
    jobstatus character varying(15) NOT NULL,
    maxpriority bigint,
    prorated_diskio_avg numeric(11,2),
    prorated_mem_avg numeric(11,2),
    njobs bigint,
    hs bigint,
    vo character varying(32),
    workqueue_id integer,
    resource_type character varying(56),
    nucleus character varying(52)
);
CREATE INDEX jobs_share_stats_compsite_idx ON doma_panda.jobs_share_stats (computingsite);
CREATE INDEX jobssharestats_gsharestatusidx ON doma_panda.jobs_share_stats (gshare, jobstatus);

CREATE TABLE doma_panda.jobsdefined_share_stats (
    ts timestamp without time zone,
    gshare character varying(32),
    computingsite character varying(128),
    jobstatus character varying(15) NOT NULL,
    maxpriority bigint,
    prorated_diskio_avg numeric(11,2),
    prorated_mem_avg numeric(11,2),
    njobs bigint,
    hs bigint,
    vo character varying(32),
    workqueue_id integer,
    resource_type character varying(56),
    nucleus character varying(52)
);
CREATE INDEX jobsdef_share_stats_site_idx ON doma_panda.jobsdefined_share_stats (computingsite);
CREATE INDEX jobsdef_share_stats_ss_idx ON doma_panda.jobsdefined_share_stats (gshare, jobstatus);

CREATE TABLE doma_panda.metrics (
    computingsite character varying(128),
    gshare character varying(32),
    metric character varying(128),
    value_json json,
    timestamp timestamp without time zone,
    CONSTRAINT metrics_computingsite_gshare_metric_key UNIQUE (computingsite, gshare, metric)
);

CREATE TABLE doma_panda.mv_jobsactive4_stats (
    cur_date timestamp without time zone,
    cloud character varying(50),
    computingsite character varying(128),
    countrygroup character varying(20),
    workinggroup character varying(20),
    relocationflag smallint,
    jobstatus character varying(15) NOT NULL,
    processingtype character varying(64),
    prodsourcelabel character varying(20),
    currentpriority bigint,
    num_of_jobs bigint,
    vo character varying(32),
    workqueue_id integer,
    num_of_cores bigint,
    resource_type character varying(56)
);

CREATE TABLE doma_panda.mv_running_jumbo_task_count (
    cur_date timestamp without time zone,
    vo character varying(32),
    cloud character varying(10),
    prodsourcelabel character varying(20),
    usejumbo character(1),
    status character varying(64),
    gshare character varying(32),
    workqueue_id integer,
    task_count bigint
);

CREATE TABLE doma_panda.total_walltime_cache (
    vo character varying(32) NOT NULL,
    agg_type character varying(32) NOT NULL,
    agg_key character varying(32) NOT NULL,
    prodsourcelabel character varying(20) NOT NULL,
    resource_type character varying(56) NOT NULL,
    total_walltime bigint,
    n_has_value integer,
    n_no_value integer,
    CONSTRAINT total_walltime_cache_pkey PRIMARY KEY (vo, agg_type, agg_key, prodsourcelabel, resource_type)
);

CREATE TABLE doma_panda.typical_num_input (
    vo character varying(32) NOT NULL,
    agg_type character varying(32) NOT NULL,
    agg_key character varying(32) NOT NULL,
    prodsourcelabel character varying(20) NOT NULL,
    processingtype character varying(64) NOT NULL,
    ninputdatafiles integer,
    CONSTRAINT typical_num_input_pkey PRIMARY KEY (vo, agg_type, agg_key, prodsourcelabel, processingtype)
);
