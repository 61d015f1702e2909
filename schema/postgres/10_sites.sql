-- Configurator: sites, PanDA queues, storage endpoints, their relations, queue configuration, resource types, worker nodes.
-- Names and types follow the public PanDA PostgreSQL schema (doma_panda).

CREATE TABLE doma_panda.carbon_region_emissions (
    region character varying(32) NOT NULL,
    timestamp timestamp without time zone NOT NULL,
    value bigint,
    CONSTRAINT carbon_region_emissions_pkey PRIMARY KEY (region, "timestamp")
);

CREATE TABLE doma_panda.cpu_benchmarks (
    cpu_type character varying(128),
    smt_enabled smallint,
    sockets smallint,
    cores_per_socket integer,
    ncores integer,
    site character varying(128),
    score_per_core numeric(10,2),
    timestamp timestamp without time zone,
    source character varying(256),
    cpu_type_normalized character varying(128)
);
CREATE INDEX idx_worker_node_cpu_type_norm ON doma_panda.cpu_benchmarks (cpu_type_normalized);

CREATE TABLE doma_panda.ddm_endpoint (
    ddm_endpoint_name character varying(52) NOT NULL,
    site_name character varying(52),
    ddm_spacetoken_name character varying(52),
    space_total bigint,
    space_free bigint,
    space_used bigint,
    is_tape character varying(1),
    type character varying(20),
    blacklisted character(1),
    space_expired bigint,
    space_timestamp timestamp without time zone,
    blacklisted_read character(1),
    blacklisted_write character(1),
    detailed_status jsonb,
    space_min_free bigint,
    space_unavailable bigint,
    CONSTRAINT ddm_endpoint_pkey PRIMARY KEY (ddm_endpoint_name)
);
CREATE INDEX ddm_endpoint_site_name_idx ON doma_panda.ddm_endpoint (site_name);

CREATE TABLE doma_panda.network_matrix_kv (
    src character varying(256) NOT NULL,
    dst character varying(256) NOT NULL,
    key character varying(256) NOT NULL,
    value bigint,
    ts timestamp without time zone,
    CONSTRAINT network_matrix_kv_pkey PRIMARY KEY (src, dst, key)
);

CREATE TABLE doma_panda.panda_ddm_relation (
    panda_site_name character varying(52) NOT NULL,
    ddm_endpoint_name character varying(52) NOT NULL,
    is_local character(1),
    roles character varying(60),
    order_read integer,
    order_write integer,
    default_read character(1),
    default_write character(1),
    scope character varying(52) NOT NULL,
    CONSTRAINT panda_ddm_relation_pkey PRIMARY KEY (panda_site_name, ddm_endpoint_name, scope)
);
CREATE INDEX pan_ddm_rel_endpoint_rel_idx ON doma_panda.panda_ddm_relation (ddm_endpoint_name);
CREATE INDEX pan_ddm_rel_pandasitename_idx ON doma_panda.panda_ddm_relation (panda_site_name);

CREATE TABLE doma_panda.panda_site (
    panda_site_name character varying(52) NOT NULL,
    site_name character varying(52) NOT NULL,
    storage_site_name character varying(52),
    default_ddm_endpoint character varying(52),
    is_local character(1),
    CONSTRAINT panda_site_pkey PRIMARY KEY (panda_site_name)
);
CREATE INDEX panda_site_def_endpoint_idx ON doma_panda.panda_site (default_ddm_endpoint);
CREATE INDEX panda_site_site_name_idx ON doma_panda.panda_site (site_name);
CREATE INDEX panda_site_storage_name_idx ON doma_panda.panda_site (storage_site_name);

CREATE TABLE doma_panda.resource_types (
    resource_name character varying(56) NOT NULL,
    mincore integer,
    maxcore integer,
    minrampercore integer,
    maxrampercore integer,
    CONSTRAINT resource_types_pkey PRIMARY KEY (resource_name)
);

CREATE TABLE doma_panda.schedconfig_json (
    panda_queue character varying(50) NOT NULL,
    data json,
    last_update timestamp without time zone,
    CONSTRAINT schedconfig_json_pkey PRIMARY KEY (panda_queue)
);

CREATE TABLE doma_panda.site (
    site_name character varying(52) NOT NULL,
    role character varying(256),
    tier_level smallint,
    state character varying(52),
    CONSTRAINT site_pkey PRIMARY KEY (site_name)
);

CREATE TABLE doma_panda.site_stats (
    site_name character varying(52) NOT NULL,
    key character varying(52) NOT NULL,
    value bigint,
    ts timestamp without time zone,
    CONSTRAINT site_stats_pkey PRIMARY KEY (site_name, key)
);

CREATE TABLE doma_panda.sw_tags (
    panda_queue character varying(50),
    data text,
    last_update timestamp without time zone
);

CREATE TABLE doma_panda.worker_node (
    site character varying(128) NOT NULL,
    host_name character varying(128) NOT NULL,
    cpu_model character varying(128) NOT NULL,
    n_logical_cpus integer,
    n_sockets integer,
    cores_per_socket integer,
    threads_per_core integer,
    cpu_architecture character varying(20),
    cpu_architecture_level character varying(20),
    clock_speed numeric(9,2),
    total_memory bigint,
    last_seen timestamp without time zone,
    total_local_disk bigint,
    cpu_model_normalized character varying(128),
    CONSTRAINT worker_node_pkey PRIMARY KEY (site, host_name, cpu_model)
);
CREATE INDEX idx_worker_node_cpu_model_norm ON doma_panda.worker_node (cpu_model_normalized);
CREATE INDEX idx_worker_node_last_seen ON doma_panda.worker_node (last_seen);

CREATE TABLE doma_panda.worker_node_gpus (
    site character varying(128) NOT NULL,
    host_name character varying(128) NOT NULL,
    vendor character varying(128) NOT NULL,
    model character varying(128) NOT NULL,
    count integer,
    vram bigint,
    architecture character varying(128),
    framework character varying(128),
    framework_version character varying(20),
    driver_version character varying(20),
    last_seen timestamp without time zone,
    CONSTRAINT worker_node_gpus_pkey PRIMARY KEY (site, host_name, vendor, model)
);
CREATE INDEX idx_worker_node_gpu_last_seen ON doma_panda.worker_node_gpus (last_seen);

CREATE TABLE doma_panda.worker_node_metrics (
    site character varying(128) NOT NULL,
    host_name character varying(128) NOT NULL,
    timestamp timestamp without time zone DEFAULT (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'::text) NOT NULL,
    key character varying(20),
    statistics jsonb,
    CONSTRAINT worker_node_metrics_pkey PRIMARY KEY (site, host_name, "timestamp")
) PARTITION BY RANGE ("timestamp");
CREATE INDEX wn_metrics_idx ON doma_panda.worker_node_metrics (site, host_name, "timestamp");
CREATE INDEX wn_metrics_timestamp_idx ON doma_panda.worker_node_metrics (timestamp);

CREATE TABLE doma_panda.worker_node_queue (
    site character varying(128) NOT NULL,
    host_name character varying(128) NOT NULL,
    panda_queue character varying(128) NOT NULL,
    last_seen timestamp without time zone,
    CONSTRAINT pk_worker_node_queue PRIMARY KEY (site, host_name, panda_queue)
);
-- Worker node summaries per queue (materialized views; REFRESH ... CONCURRENTLY needs the unique indexes).
-- mv_worker_node_summary has PanDA's columns (its server reads total_logical_cpus and pct_within_pq: the
-- share of the queue's logical CPUs per CPU architecture level, over the hosts seen in the last month),
-- then ours (n_hosts, avg_total_memory, last_seen).
CREATE MATERIALIZED VIEW doma_panda.mv_worker_node_summary AS
SELECT wn.site, q.panda_queue, coalesce(wn.cpu_architecture_level, 'unknown')::character varying(20) AS cpu_architecture_level,
       sum(wn.n_logical_cpus)::bigint AS total_logical_cpus,
       round(sum(wn.n_logical_cpus)::numeric * 100
             / nullif(sum(sum(wn.n_logical_cpus)) OVER (PARTITION BY q.panda_queue), 0), 2)::numeric(5,2) AS pct_within_pq,
       count(*)::bigint AS n_hosts,
       avg(wn.total_memory)::bigint AS avg_total_memory,
       max(wn.last_seen) AS last_seen
  FROM doma_panda.worker_node wn
  JOIN doma_panda.worker_node_queue q ON q.site = wn.site AND q.host_name = wn.host_name
 WHERE q.last_seen > (now() AT TIME ZONE 'UTC') - interval '1 month'
 GROUP BY wn.site, q.panda_queue, coalesce(wn.cpu_architecture_level, 'unknown')
WITH NO DATA;
CREATE UNIQUE INDEX ux_mv_wn_summary ON doma_panda.mv_worker_node_summary (site, panda_queue, cpu_architecture_level);

CREATE MATERIALIZED VIEW doma_panda.mv_worker_node_gpu_summary AS
SELECT g.site, q.panda_queue, g.vendor, g.model, g.vram, g.architecture, g.framework, g.framework_version,
       g.driver_version, g.count AS gpus_per_host, count(*)::bigint AS n_hosts, max(g.last_seen) AS last_seen
  FROM doma_panda.worker_node_gpus g
  JOIN doma_panda.worker_node_queue q ON q.site = g.site AND q.host_name = g.host_name
 GROUP BY g.site, q.panda_queue, g.vendor, g.model, g.vram, g.architecture, g.framework, g.framework_version,
          g.driver_version, g.count
WITH NO DATA;
CREATE UNIQUE INDEX ux_mv_wn_gpu_summary ON doma_panda.mv_worker_node_gpu_summary
    (site, panda_queue, vendor, model, vram, architecture, framework, framework_version, driver_version, gpus_per_host);
