-- JEDI: tasks, their parameters, datasets, files, events, templates, locks, attempts, metrics and status log; workflows; data carousel.
-- Names and types follow the public PanDA PostgreSQL schema (doma_panda).

CREATE TABLE doma_panda.data_carousel_relations (
    request_id bigint NOT NULL,
    task_id bigint NOT NULL,
    CONSTRAINT data_carousel_relations_pkey PRIMARY KEY (request_id)
);

CREATE TABLE doma_panda.data_carousel_requests (
    request_id bigint NOT NULL,
    dataset character varying(256) NOT NULL,
    source_rse character varying(64),
    destination_rse character varying(64),
    ddm_rule_id character varying(64),
    status character varying(32),
    total_files bigint,
    staged_files bigint,
    dataset_size bigint,
    staged_size bigint,
    creation_time timestamp without time zone,
    start_time timestamp without time zone,
    end_time timestamp without time zone,
    modification_time timestamp without time zone,
    check_time timestamp without time zone,
    source_tape character varying(64),
    parameters jsonb NOT NULL,
    last_staged_time timestamp without time zone,
    locked_by character varying(64),
    lock_time timestamp without time zone,
    CONSTRAINT data_carousel_requests_pkey PRIMARY KEY (request_id)
);

CREATE TABLE doma_panda.jedi_aux_status_mintaskid (
    status character varying(64) NOT NULL,
    min_jeditaskid bigint NOT NULL,
    CONSTRAINT jedi_aux_status_mintaskid_pkey PRIMARY KEY (status)
);

CREATE TABLE doma_panda.jedi_dataset_contents (
    jeditaskid bigint NOT NULL,
    datasetid bigint NOT NULL,
    fileid bigint NOT NULL,
    creationdate timestamp without time zone NOT NULL,
    lastattempttime timestamp without time zone,
    lfn character varying(4000) NOT NULL,
    guid character varying(64),
    type character varying(20) NOT NULL,
    status character varying(64) NOT NULL,
    fsize bigint,
    checksum character varying(36),
    scope character varying(30),
    attemptnr smallint,
    maxattempt smallint,
    nevents bigint,
    keeptrack smallint,
    startevent bigint,
    endevent bigint,
    firstevent bigint,
    boundaryid bigint,
    pandaid bigint,
    failedattempt smallint,
    lumiblocknr bigint,
    outpandaid bigint,
    maxfailure smallint,
    ramcount bigint DEFAULT 0,
    is_waiting character(1),
    jobsetid bigint,
    proc_status character varying(64),
    constituent_id bigint,
    CONSTRAINT jedi_dataset_contents_pkey PRIMARY KEY (jeditaskid, datasetid, fileid)
) PARTITION BY RANGE (jeditaskid);
CREATE INDEX jedi_dataset_contents_id_idx ON doma_panda.jedi_dataset_contents (datasetid);
CREATE INDEX jedi_dataset_contents_pid_idx ON doma_panda.jedi_dataset_contents (pandaid);
CREATE INDEX jedi_datasetcontent_lfn_idx ON doma_panda.jedi_dataset_contents (lfn);

CREATE TABLE doma_panda.jedi_dataset_locality (
    jeditaskid bigint NOT NULL,
    datasetid bigint NOT NULL,
    rse character varying(64) NOT NULL,
    timestamp timestamp without time zone NOT NULL,
    CONSTRAINT jedi_dataset_locality_pkey PRIMARY KEY (jeditaskid, datasetid, rse)
);

CREATE TABLE doma_panda.jedi_datasets (
    jeditaskid bigint NOT NULL,
    datasetid bigint NOT NULL,
    datasetname character varying(255) NOT NULL,
    type character varying(20) NOT NULL,
    creationtime timestamp without time zone NOT NULL,
    modificationtime timestamp without time zone NOT NULL,
    vo character varying(32),
    cloud character varying(10),
    site character varying(60),
    masterid bigint,
    provenanceid bigint,
    containername character varying(255),
    status character varying(20),
    state character varying(20),
    statechecktime timestamp without time zone,
    statecheckexpiration timestamp without time zone,
    frozentime timestamp without time zone,
    nfiles bigint,
    nfilestobeused bigint,
    nfilesused bigint,
    nfilesonhold bigint,
    nevents bigint,
    neventstobeused bigint,
    neventsused bigint,
    lockedby character varying(56),
    lockedtime timestamp without time zone,
    nfilesfinished bigint,
    nfilesfailed bigint,
    attributes character varying(100),
    streamname character varying(20),
    storagetoken character varying(100),
    destination character varying(60),
    templateid bigint,
    nfileswaiting bigint,
    nfilesmissing bigint,
    CONSTRAINT jedi_datasets_pkey PRIMARY KEY (jeditaskid, datasetid)
) PARTITION BY RANGE (jeditaskid);
CREATE INDEX jedi_dataset_containername_idx ON doma_panda.jedi_datasets (containername);
CREATE INDEX jedi_dataset_dnametypetid_idx ON doma_panda.jedi_datasets (datasetname, type, jeditaskid);
CREATE INDEX jedi_dataset_lockedby_idx ON doma_panda.jedi_datasets (lockedby);
CREATE INDEX jedi_dataset_statecheckexp_idx ON doma_panda.jedi_datasets (statecheckexpiration);
CREATE INDEX jedi_datasets_dsetid_idx ON doma_panda.jedi_datasets (datasetid);
CREATE INDEX jedi_datasets_taskid_type_idx ON doma_panda.jedi_datasets (jeditaskid, type);

CREATE TABLE doma_panda.jedi_events (
    jeditaskid bigint NOT NULL,
    pandaid bigint NOT NULL,
    fileid bigint NOT NULL,
    job_processid bigint NOT NULL,
    datasetid bigint NOT NULL,
    status smallint NOT NULL,
    def_min_eventid bigint,
    def_max_eventid bigint,
    processed_upto_eventid bigint,
    attemptnr smallint,
    objstore_id bigint,
    event_offset bigint,
    is_jumbo smallint,
    ziprow_id bigint,
    file_not_deleted character(1),
    error_code integer,
    path_convention smallint,
    error_diag character varying(500),
    CONSTRAINT jedi_events_pkey PRIMARY KEY (jeditaskid, pandaid, fileid, job_processid)
) PARTITION BY RANGE (jeditaskid);
CREATE INDEX jedi_events_file_notdel_idx ON doma_panda.jedi_events (file_not_deleted);
CREATE INDEX jedi_events_fileid_idx ON doma_panda.jedi_events (fileid);
CREATE INDEX jedi_events_pandaid_status_idx ON doma_panda.jedi_events (pandaid, status);

CREATE TABLE doma_panda.jedi_jobparams_template (
    jeditaskid bigint NOT NULL,
    jobparamstemplate text,
    CONSTRAINT jedi_jobparams_template_pkey PRIMARY KEY (jeditaskid)
) PARTITION BY RANGE (jeditaskid);

CREATE TABLE doma_panda.jedi_output_template (
    jeditaskid bigint NOT NULL,
    datasetid bigint NOT NULL,
    outtempid bigint NOT NULL,
    filenametemplate character varying(256) NOT NULL,
    maxserialnr integer,
    serialnr integer,
    sourcename character varying(256),
    streamname character varying(20),
    outtype character varying(20),
    CONSTRAINT jedi_output_template_pkey PRIMARY KEY (jeditaskid, datasetid, outtempid)
) PARTITION BY RANGE (jeditaskid);

CREATE TABLE doma_panda.jedi_process_lock (
    vo character varying(32) NOT NULL,
    prodsourcelabel character varying(20) NOT NULL,
    workqueue_id integer NOT NULL,
    cloud character varying(10) NOT NULL,
    lockedby character varying(56),
    lockedtime timestamp without time zone,
    resource_type character varying(56) NOT NULL,
    component character varying(56) NOT NULL,
    CONSTRAINT jedi_process_lock_pkey PRIMARY KEY (vo, prodsourcelabel, workqueue_id, cloud, resource_type, component)
);

CREATE TABLE doma_panda.jedi_taskparams (
    jeditaskid bigint NOT NULL,
    taskparams text,
    CONSTRAINT jedi_taskparams_pkey PRIMARY KEY (jeditaskid)
) PARTITION BY RANGE (jeditaskid);

CREATE TABLE doma_panda.jedi_tasks (
    jeditaskid bigint NOT NULL,
    taskname character varying(256),
    status character varying(64) NOT NULL,
    username character varying(128) NOT NULL,
    creationdate timestamp without time zone NOT NULL,
    modificationtime timestamp without time zone NOT NULL,
    reqid integer,
    oldstatus character varying(64),
    cloud character varying(10),
    site character varying(60),
    starttime timestamp without time zone,
    endtime timestamp without time zone,
    frozentime timestamp without time zone,
    prodsourcelabel character varying(20),
    workinggroup character varying(32),
    vo character varying(32),
    corecount integer,
    tasktype character varying(64),
    processingtype character varying(64),
    taskpriority integer,
    currentpriority integer,
    architecture character varying(256),
    transuses character varying(64),
    transhome character varying(128),
    transpath character varying(128),
    lockedby character varying(56),
    lockedtime timestamp without time zone,
    termcondition character varying(100),
    splitrule character varying(200),
    walltime integer,
    walltimeunit character varying(32),
    outdiskcount integer,
    outdiskunit character varying(32),
    workdiskcount integer,
    workdiskunit character varying(32),
    ramcount integer,
    ramunit character varying(32),
    iointensity integer,
    iointensityunit character varying(32),
    workqueue_id integer,
    progress smallint,
    failurerate smallint,
    errordialog character varying(510),
    countrygroup character varying(20),
    parent_tid bigint,
    eventservice smallint,
    ticketid character varying(50),
    ticketsystemtype character varying(32),
    statechangetime timestamp without time zone,
    superstatus character varying(64),
    campaign character varying(32),
    mergeramcount integer,
    mergeramunit character varying(32),
    mergewalltime integer,
    mergewalltimeunit character varying(32),
    throttledtime timestamp without time zone,
    numthrottled smallint,
    mergecorecount integer,
    goal smallint,
    assessmenttime timestamp without time zone,
    cputime integer,
    cputimeunit character varying(32),
    cpuefficiency smallint,
    basewalltime integer,
    amiflag_old character varying(10),
    amiflag integer DEFAULT 1,
    nucleus character varying(52),
    baseramcount integer,
    ttcrequested timestamp without time zone,
    ttcpredicted timestamp without time zone,
    ttcpredictiondate timestamp without time zone,
    rescuetime timestamp without time zone,
    requesttype character varying(32),
    gshare character varying(32),
    usejumbo character(1),
    resource_type character varying(56),
    diskio integer,
    diskiounit character varying(32),
    memory_leak_core bigint,
    memory_leak_x2 numeric(14,3),
    attemptnr smallint,
    container_name character varying(200),
    job_label character varying(20),
    realmodificationtime timestamp without time zone,
    framework character varying(50),
    activatedtime timestamp without time zone,
    queuedtime timestamp without time zone,
    actiontime timestamp without time zone,
    CONSTRAINT jedi_tasks_pkey PRIMARY KEY (jeditaskid)
) PARTITION BY RANGE (jeditaskid);
CREATE INDEX jedi_tasks_amiflag_idx ON doma_panda.jedi_tasks (amiflag);
CREATE INDEX jedi_tasks_creation_idx ON doma_panda.jedi_tasks (creationdate);
CREATE INDEX jedi_tasks_lockedby_idx ON doma_panda.jedi_tasks (lockedby);
CREATE INDEX jedi_tasks_modiftime_idx ON doma_panda.jedi_tasks (modificationtime);
CREATE INDEX jedi_tasks_nametaskid_idx ON doma_panda.jedi_tasks (taskname, jeditaskid);
CREATE INDEX jedi_tasks_parent_tid_idx ON doma_panda.jedi_tasks (parent_tid);
CREATE INDEX jedi_tasks_realmodtime_idx ON doma_panda.jedi_tasks (realmodificationtime);
CREATE INDEX jedi_tasks_reqid_idx ON doma_panda.jedi_tasks (reqid, username);
CREATE INDEX jedi_tasks_status3attr_idx ON doma_panda.jedi_tasks (status, workqueue_id, prodsourcelabel, jeditaskid);
CREATE INDEX jedi_upper_tasks_name_idx ON doma_panda.jedi_tasks (upper((taskname)::text));

CREATE TABLE doma_panda.task_attempts (
    jeditaskid bigint NOT NULL,
    attemptnr integer NOT NULL,
    starttime timestamp without time zone NOT NULL,
    endtime timestamp without time zone,
    startstatus character varying(32),
    endstatus character varying(32),
    CONSTRAINT task_attempts_pkey PRIMARY KEY (jeditaskid, attemptnr, starttime)
) PARTITION BY RANGE (starttime);

CREATE TABLE doma_panda.task_evaluation (
    jeditaskid bigint NOT NULL,
    metric character varying(128) NOT NULL,
    value_json text,
    timestamp timestamp without time zone,
    CONSTRAINT task_evaluation_pkey PRIMARY KEY (jeditaskid, metric)
);

CREATE TABLE doma_panda.task_metrics (
    jeditaskid bigint NOT NULL,
    creationtime timestamp without time zone,
    modificationtime timestamp without time zone NOT NULL,
    data text,
    CONSTRAINT task_metrics_pkey PRIMARY KEY (jeditaskid, modificationtime)
) PARTITION BY RANGE (modificationtime);

CREATE TABLE doma_panda.tasks_statuslog (
    jeditaskid bigint NOT NULL,
    modificationtime timestamp without time zone NOT NULL,
    status character varying(64) NOT NULL,
    modificationhost character varying(128),
    attemptnr smallint,
    reason character varying(255)
) PARTITION BY RANGE (modificationtime);
CREATE INDEX task_statuslog_jeditaskid_idx ON doma_panda.tasks_statuslog (jeditaskid);

CREATE TABLE doma_panda.workflow_data (
    data_id bigint NOT NULL,
    name character varying(256),
    workflow_id bigint NOT NULL,
    source_step_id bigint,
    type character varying(32),
    status character varying(32),
    flavor character varying(32),
    target_id character varying(256),
    creation_time timestamp without time zone,
    start_time timestamp without time zone,
    end_time timestamp without time zone,
    modification_time timestamp without time zone,
    check_time timestamp without time zone,
    locked_by character varying(64),
    lock_time timestamp without time zone,
    metadata jsonb,
    parameters jsonb,
    CONSTRAINT workflow_data_pk PRIMARY KEY (data_id)
);

CREATE TABLE doma_panda.workflow_steps (
    step_id bigint NOT NULL,
    name character varying(256),
    workflow_id bigint NOT NULL,
    member_id bigint NOT NULL,
    type character varying(32),
    status character varying(32),
    flavor character varying(32),
    target_id character varying(128),
    creation_time timestamp without time zone,
    start_time timestamp without time zone,
    end_time timestamp without time zone,
    modification_time timestamp without time zone,
    check_time timestamp without time zone,
    locked_by character varying(64),
    lock_time timestamp without time zone,
    definition_json jsonb,
    parameters jsonb,
    CONSTRAINT workflow_step_pk PRIMARY KEY (step_id)
);

CREATE TABLE doma_panda.workflows (
    workflow_id bigint NOT NULL,
    name character varying(256),
    parent_id bigint,
    loop_count bigint,
    status character varying(32),
    prodsourcelabel character varying(32),
    username character varying(128),
    creation_time timestamp without time zone,
    start_time timestamp without time zone,
    end_time timestamp without time zone,
    modification_time timestamp without time zone,
    check_time timestamp without time zone,
    locked_by character varying(64),
    lock_time timestamp without time zone,
    raw_request_json jsonb,
    definition_json jsonb,
    parameters jsonb,
    CONSTRAINT workflow_id_pk PRIMARY KEY (workflow_id)
);
