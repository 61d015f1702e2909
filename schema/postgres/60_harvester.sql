-- Harvester instances, workers, their relation to jobs, commands, slots, metrics and dialogs.
-- Names and types follow the public PanDA PostgreSQL schema (doma_panda).

CREATE TABLE doma_panda.harvester_command_lock (
    harvester_id character varying(50) NOT NULL,
    computingsite character varying(128) NOT NULL,
    resourcetype character varying(56) NOT NULL,
    command character varying(200) NOT NULL,
    lockedtime timestamp without time zone,
    lockedby character varying(56),
    CONSTRAINT harvester_command_lock_pkey PRIMARY KEY (harvester_id, computingsite, resourcetype, command)
);

CREATE TABLE doma_panda.harvester_commands (
    command_id bigint NOT NULL,
    command character varying(200),
    harvester_id character varying(50),
    ack_requested smallint,
    creation_date timestamp without time zone,
    status character varying(32),
    status_date timestamp without time zone,
    params text,
    CONSTRAINT harvester_commands_pkey PRIMARY KEY (command_id)
);

CREATE TABLE doma_panda.harvester_dialogs (
    harvester_id character varying(50) NOT NULL,
    diagid bigint NOT NULL,
    modulename character varying(100),
    identifier character varying(100),
    creationtime timestamp without time zone NOT NULL,
    messagelevel character varying(10),
    diagmessage character varying(500)
) PARTITION BY RANGE (creationtime);
CREATE INDEX harv_dialogs_harv_diagid_idx ON doma_panda.harvester_dialogs (harvester_id, diagid);
CREATE INDEX harv_dialogs_module_harv_idx ON doma_panda.harvester_dialogs (modulename, harvester_id);

CREATE TABLE doma_panda.harvester_instances (
    harvester_id character varying(50) NOT NULL,
    description character varying(200),
    starttime timestamp without time zone,
    owner character varying(100),
    hostname character varying(100),
    lastupdate timestamp without time zone,
    sw_version character varying(50),
    commit_stamp character varying(100),
    CONSTRAINT harvester_instances_pkey PRIMARY KEY (harvester_id)
);

CREATE TABLE doma_panda.harvester_metrics (
    harvester_id character varying(50) NOT NULL,
    creation_time timestamp without time zone DEFAULT LOCALTIMESTAMP NOT NULL,
    harvester_host character varying(100),
    metrics character varying(4000)
) PARTITION BY RANGE (creation_time);
CREATE INDEX harvester_metrics_idx ON doma_panda.harvester_metrics (harvester_id, creation_time, harvester_host);
CREATE INDEX harvester_metrics_ihc_idx ON doma_panda.harvester_metrics (harvester_id, harvester_host, creation_time);

CREATE TABLE doma_panda.harvester_rel_jobs_workers (
    harvesterid character varying(50) NOT NULL,
    workerid bigint NOT NULL,
    pandaid bigint NOT NULL,
    lastupdate timestamp without time zone NOT NULL,
    CONSTRAINT harvester_rel_jobs_workers_pkey PRIMARY KEY (harvesterid, workerid, pandaid)
) PARTITION BY RANGE (pandaid);
CREATE INDEX harv_work_reljobs_lastupd_idx ON doma_panda.harvester_rel_jobs_workers (lastupdate);
CREATE INDEX harvrel_jobworkers_pandaid_idx ON doma_panda.harvester_rel_jobs_workers (pandaid);

CREATE TABLE doma_panda.harvester_slots (
    pandaqueuename character varying(128) NOT NULL,
    gshare character varying(32),
    resourcetype character varying(56),
    numslots bigint NOT NULL,
    modificationtime timestamp without time zone NOT NULL,
    expirationtime timestamp without time zone,
    CONSTRAINT harvester_slots_pandaqueuename_gshare_resourcetype_key UNIQUE (pandaqueuename, gshare, resourcetype)
);

CREATE TABLE doma_panda.harvester_worker_stats (
    harvester_id character varying(50) NOT NULL,
    computingsite character varying(128) NOT NULL,
    resourcetype character varying(56) NOT NULL,
    status character varying(80) NOT NULL,
    jobtype character varying(52) NOT NULL,
    n_workers integer,
    lastupdate timestamp without time zone NOT NULL,
    CONSTRAINT harvester_worker_stats_pkey PRIMARY KEY (harvester_id, computingsite, resourcetype, status, jobtype)
);

CREATE TABLE doma_panda.harvester_workers (
    harvesterid character varying(50) NOT NULL,
    workerid bigint NOT NULL,
    lastupdate timestamp without time zone NOT NULL,
    status character varying(80) NOT NULL,
    batchid character varying(80),
    nodeid character varying(80),
    queuename character varying(80),
    computingsite character varying(128),
    submittime timestamp without time zone,
    starttime timestamp without time zone,
    endtime timestamp without time zone,
    ncore integer,
    errorcode integer,
    stdout character varying(250),
    stderr character varying(250),
    batchlog character varying(250),
    resourcetype character varying(56),
    nativeexitcode integer,
    nativestatus character varying(80),
    diagmessage character varying(500),
    computingelement character varying(128),
    njobs integer,
    submissionhost character varying(128),
    harvesterhost character varying(128),
    jdl character varying(250),
    jobtype character varying(52),
    pilotstarttime timestamp without time zone,
    pilotendtime timestamp without time zone,
    pilotstatus character varying(80),
    pilotstatussynctime timestamp without time zone,
    minramcount integer,
    CONSTRAINT harvester_workers_pkey PRIMARY KEY (harvesterid, workerid, lastupdate)
) PARTITION BY RANGE (lastupdate);
CREATE INDEX harv_workers_harv_submtime_idx ON doma_panda.harvester_workers (harvesterid, submittime);
CREATE INDEX harv_workers_lastupd_idx ON doma_panda.harvester_workers (lastupdate);
CREATE INDEX harv_workers_submittime_idx ON doma_panda.harvester_workers (submittime);
CREATE INDEX harvester_workers_compsite_idx ON doma_panda.harvester_workers (computingsite);
CREATE INDEX harvester_workers_status_idx ON doma_panda.harvester_workers (status, pilotstatus);
