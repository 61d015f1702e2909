-- System: configuration, schema version, logs, caches, secrets, heartbeats, asynchronous requests, archival bookkeeping.
-- Names and types follow the public PanDA PostgreSQL schema (doma_panda).

CREATE TABLE doma_panda.async_requests (
    request_id character varying(64) NOT NULL,
    request_type character varying(64) NOT NULL,
    service_name character varying(64),
    machine_name character varying(128),
    parameters text,
    expected_machines text,
    created_at timestamp without time zone,
    CONSTRAINT async_requests_pk PRIMARY KEY (request_id)
);
CREATE INDEX async_req_target_idx ON doma_panda.async_requests (service_name, machine_name);

CREATE TABLE doma_panda.async_results (
    request_id character varying(64) NOT NULL,
    machine_name character varying(128) NOT NULL,
    status character varying(16) DEFAULT 'running'::character varying,
    result text,
    stderr text,
    return_code smallint,
    truncated smallint DEFAULT 0,
    error_msg character varying(2048),
    attempts smallint DEFAULT 0,
    started_at timestamp without time zone,
    finished_at timestamp without time zone,
    CONSTRAINT async_results_pk PRIMARY KEY (request_id, machine_name)
);
CREATE INDEX async_results_req_idx ON doma_panda.async_results (request_id);

CREATE TABLE doma_panda.cache (
    main_key character varying(56) NOT NULL,
    sub_key character varying(56) NOT NULL,
    data text,
    last_update timestamp without time zone,
    CONSTRAINT cache_pkey PRIMARY KEY (main_key, sub_key)
);

CREATE TABLE doma_panda.config (
    app character varying(64) NOT NULL,
    component character varying(64) NOT NULL,
    key character varying(64) NOT NULL,
    value character varying(256) NOT NULL,
    type character varying(64) NOT NULL,
    vo character varying(32) NOT NULL,
    descr character varying(256) NOT NULL,
    value_json jsonb,
    CONSTRAINT config_pkey PRIMARY KEY (app, component, key, vo)
);

CREATE TABLE doma_panda.machine_heartbeat (
    machine_name character varying(128) NOT NULL,
    service_name character varying(64) NOT NULL,
    last_seen timestamp without time zone,
    CONSTRAINT machine_heartbeat_pk PRIMARY KEY (machine_name)
);

CREATE TABLE doma_panda.pandadb_version (
    component character varying(100) NOT NULL,
    major integer NOT NULL,
    minor integer NOT NULL,
    patch integer NOT NULL,
    CONSTRAINT pandadb_version_pkey PRIMARY KEY (component)
);

CREATE TABLE doma_panda.pandalog (
    bintime timestamp without time zone DEFAULT '1970-01-01 00:00:00'::timestamp NOT NULL,
    name character varying(30),
    module character varying(30),
    loguser character varying(80),
    type character varying(20),
    pid bigint DEFAULT '0'::bigint NOT NULL,
    loglevel integer DEFAULT 0 NOT NULL,
    levelname character varying(30),
    time character varying(30),
    filename character varying(100),
    line integer DEFAULT 0 NOT NULL,
    message character varying(4000)
) PARTITION BY RANGE (bintime);
CREATE INDEX pandalog_bintime_indx ON doma_panda.pandalog (bintime, type);
CREATE INDEX pandalog_multicolumn_indx ON doma_panda.pandalog (bintime, name, type, levelname);
CREATE INDEX pandalog_nametypebintime_indx ON doma_panda.pandalog (type, name, bintime DESC);

CREATE TABLE doma_panda.secrets (
    owner character varying(60) NOT NULL,
    updated_at timestamp without time zone NOT NULL,
    data text,
    CONSTRAINT secrets_pkey PRIMARY KEY (owner)
);

CREATE TABLE doma_panda.tablepart4copying (
    table_name character varying(30) NOT NULL,
    partition_name character varying(30) NOT NULL,
    copied_to_arch character varying(10) NOT NULL,
    copying_done_on timestamp without time zone,
    deleted_on timestamp without time zone,
    data_verif_passed character(3),
    data_verified_on timestamp without time zone,
    CONSTRAINT tablepart4copying_pkey PRIMARY KEY (table_name, partition_name, copied_to_arch)
) PARTITION BY LIST (copied_to_arch);
