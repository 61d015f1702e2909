-- The archive schema: old jobs, their files, metadata and parameters.
-- Names and types follow the public PanDA PostgreSQL schema (doma_pandaarch).

CREATE TABLE doma_pandaarch.filestable_arch (
    row_id bigint NOT NULL,
    pandaid bigint DEFAULT 0 NOT NULL,
    modificationtime timestamp without time zone DEFAULT LOCALTIMESTAMP NOT NULL,
    creationtime timestamp without time zone,
    guid character varying(64),
    lfn character varying(4000),
    type character varying(20),
    fsize bigint DEFAULT 0,
    dataset character varying(255),
    status character varying(64),
    md5sum character varying(40),
    checksum character varying(40),
    proddblock character varying(255),
    proddblocktoken character varying(250),
    dispatchdblock character varying(255),
    dispatchdblocktoken character varying(250),
    destinationdblock character varying(255),
    destinationdblocktoken character varying(250),
    destinationse character varying(250),
    scope character varying(30),
    jeditaskid bigint,
    datasetid bigint,
    fileid bigint,
    attemptnr smallint
);
CREATE INDEX file_arch_task_dset_fileid_idx ON doma_pandaarch.filestable_arch (jeditaskid, datasetid, fileid, pandaid);
CREATE INDEX files_arch_lfn_idx ON doma_pandaarch.filestable_arch (lfn);
CREATE INDEX files_arch_pandaid_idx ON doma_pandaarch.filestable_arch (pandaid);
CREATE INDEX files_arch_rowid_idx ON doma_pandaarch.filestable_arch (row_id);

CREATE TABLE doma_pandaarch.jobparamstable_arch (
    pandaid bigint NOT NULL,
    modificationtime timestamp without time zone DEFAULT LOCALTIMESTAMP NOT NULL,
    jobparameters text
);
CREATE INDEX jobparams_arch_pandaid_idx ON doma_pandaarch.jobparamstable_arch (pandaid);

CREATE TABLE doma_pandaarch.jobsarchived (
    pandaid bigint DEFAULT '0'::bigint NOT NULL,
    jobdefinitionid bigint DEFAULT '0'::bigint NOT NULL,
    schedulerid character varying(128),
    pilotid character varying(200),
    creationtime timestamp without time zone DEFAULT LOCALTIMESTAMP NOT NULL,
    creationhost character varying(128),
    modificationtime timestamp without time zone DEFAULT LOCALTIMESTAMP NOT NULL,
    modificationhost character varying(128),
    atlasrelease character varying(64),
    transformation character varying(250),
    homepackage character varying(80),
    prodserieslabel character varying(20),
    prodsourcelabel character varying(20),
    produserid character varying(250),
    assignedpriority integer DEFAULT 0 NOT NULL,
    currentpriority integer DEFAULT 0 NOT NULL,
    attemptnr smallint DEFAULT '0'::smallint NOT NULL,
    maxattempt smallint DEFAULT '0'::smallint NOT NULL,
    jobstatus character varying(15) DEFAULT 'unknown'::character varying NOT NULL,
    jobname character varying(256),
    maxcpucount bigint DEFAULT '0'::bigint NOT NULL,
    maxcpuunit character varying(32),
    maxdiskcount bigint DEFAULT '0'::bigint NOT NULL,
    maxdiskunit character(4),
    ipconnectivity character(5),
    minramcount bigint DEFAULT '0'::bigint NOT NULL,
    minramunit character(4),
    starttime timestamp without time zone DEFAULT LOCALTIMESTAMP,
    endtime timestamp without time zone DEFAULT LOCALTIMESTAMP,
    cpuconsumptiontime numeric(20,0),
    cpuconsumptionunit character varying(128),
    commandtopilot character varying(250),
    transexitcode character varying(128),
    piloterrorcode integer DEFAULT 0 NOT NULL,
    piloterrordiag character varying(500),
    exeerrorcode integer DEFAULT 0 NOT NULL,
    exeerrordiag character varying(500),
    superrorcode integer DEFAULT 0 NOT NULL,
    superrordiag character varying(250),
    ddmerrorcode integer DEFAULT 0 NOT NULL,
    ddmerrordiag character varying(700),
    brokerageerrorcode integer DEFAULT 0 NOT NULL,
    brokerageerrordiag character varying(250),
    jobdispatchererrorcode integer DEFAULT 0 NOT NULL,
    jobdispatchererrordiag character varying(250),
    taskbuffererrorcode integer DEFAULT 0 NOT NULL,
    taskbuffererrordiag character varying(300),
    computingsite character varying(128),
    computingelement character varying(128),
    proddblock character varying(255),
    dispatchdblock character varying(255),
    destinationdblock character varying(255),
    destinationse character varying(250),
    nevents bigint,
    grid character varying(50),
    cloud character varying(50),
    cpuconversion numeric(9,4),
    sourcesite character varying(36),
    destinationsite character varying(36),
    transfertype character varying(10),
    taskid integer,
    cmtconfig character varying(250),
    statechangetime timestamp without time zone DEFAULT LOCALTIMESTAMP,
    proddbupdatetime timestamp without time zone DEFAULT LOCALTIMESTAMP,
    lockedby character varying(128),
    relocationflag smallint DEFAULT '0'::smallint,
    jobexecutionid bigint DEFAULT '0'::bigint,
    vo character varying(32),
    pilottiming character varying(100),
    workinggroup character varying(20),
    processingtype character varying(64),
    jobparameters text,
    metadata text,
    produsername character varying(60),
    ninputfiles integer,
    countrygroup character varying(20),
    batchid character varying(80),
    parentid bigint,
    specialhandling character varying(80),
    jobsetid bigint,
    corecount smallint,
    ninputdatafiles integer,
    inputfiletype character varying(32),
    inputfileproject character varying(64),
    inputfilebytes bigint,
    noutputdatafiles integer,
    outputfilebytes bigint,
    jobmetrics character varying(500),
    workqueue_id integer,
    jeditaskid bigint,
    jobsubstatus character varying(80),
    actualcorecount integer,
    reqid integer,
    maxrss bigint,
    maxvmem bigint,
    maxswap bigint,
    maxpss bigint,
    avgrss bigint,
    avgvmem bigint,
    avgswap bigint,
    avgpss bigint,
    maxwalltime bigint,
    nucleus character varying(52),
    eventservice smallint,
    failedattempt smallint,
    hs06sec bigint,
    gshare character varying(32),
    hs06 bigint,
    totrchar bigint,
    totwchar bigint,
    totrbytes bigint,
    totwbytes bigint,
    raterchar bigint,
    ratewchar bigint,
    raterbytes bigint,
    ratewbytes bigint,
    resource_type character varying(56),
    diskio integer,
    memory_leak bigint,
    memory_leak_x2 numeric(14,3),
    container_name character varying(200),
    job_label character varying(20),
    meancorecount numeric(8,2),
    gco2_regional numeric(10,2),
    gco2_global numeric(10,2),
    cpu_architecture_level character varying(20),
    outputfiletype character varying(32)
);
CREATE INDEX job_prodlabel_status_idx ON doma_pandaarch.jobsarchived (prodsourcelabel, jobstatus);
CREATE INDEX jobs_batchid_idx ON doma_pandaarch.jobsarchived (batchid);
CREATE INDEX jobs_comsite_3attr_pandaid_idx ON doma_pandaarch.jobsarchived (computingsite, jobstatus, prodsourcelabel, processingtype, pandaid);
CREATE INDEX jobs_exeerrorcode_idx ON doma_pandaarch.jobsarchived (exeerrorcode);
CREATE INDEX jobs_jeditaskid_pandaid_idx ON doma_pandaarch.jobsarchived (jeditaskid, pandaid);
CREATE INDEX jobs_jobdefid_produsername_idx ON doma_pandaarch.jobsarchived (jobdefinitionid, produsername);
CREATE INDEX jobs_jobname_idx ON doma_pandaarch.jobsarchived (jobname);
CREATE INDEX jobs_jobsetid_produsername_idx ON doma_pandaarch.jobsarchived (jobsetid, produsername);
CREATE INDEX jobs_pandaid_idx ON doma_pandaarch.jobsarchived (pandaid);
CREATE INDEX jobs_produsername_4attr_idx ON doma_pandaarch.jobsarchived (produsername, jobstatus, prodsourcelabel, jobsetid, jobdefinitionid);
CREATE INDEX jobs_specialhandling_idx ON doma_pandaarch.jobsarchived (specialhandling);
CREATE INDEX jobs_statechangetime_idx ON doma_pandaarch.jobsarchived (statechangetime);
CREATE INDEX jobs_taskid_3attr_pandaid_idx ON doma_pandaarch.jobsarchived (taskid, prodsourcelabel, jobstatus, processingtype, pandaid);
CREATE INDEX jobs_upper_produsername_idx ON doma_pandaarch.jobsarchived (upper((produsername)::text));
CREATE INDEX jobsarchived_reqid_idx ON doma_pandaarch.jobsarchived (reqid);

CREATE TABLE doma_pandaarch.metatable_arch (
    pandaid bigint DEFAULT '0'::bigint NOT NULL,
    modificationtime timestamp without time zone DEFAULT LOCALTIMESTAMP NOT NULL,
    metadata text
);
CREATE INDEX meta_arch_pandaid_idx ON doma_pandaarch.metatable_arch (pandaid);

CREATE TABLE doma_pandaarch.pandaids_modiftime_errlog_old (
    ora_err_number$ bigint,
    ora_err_mesg$ character varying(2000),
    ora_err_rowid$ oid,
    ora_err_optyp$ character varying(2),
    ora_err_tag$ character varying(2000),
    pandaid character varying(4000),
    modiftime character varying(4000)
);

CREATE TABLE doma_pandaarch.pandaids_modiftime_old (
    pandaid bigint NOT NULL,
    modiftime timestamp without time zone NOT NULL,
    CONSTRAINT pandaids_modiftime_old_pkey PRIMARY KEY (pandaid, modiftime)
);

CREATE TABLE doma_pandaarch.table_part_boundaries (
    tab_name character varying(30) NOT NULL,
    part_name character varying(30) NOT NULL,
    part_position bigint,
    part_boundary_dictionary text,
    part_boundary timestamp without time zone,
    last_created_view character varying(30),
    CONSTRAINT table_part_boundaries_pkey PRIMARY KEY (tab_name, part_name)
);
