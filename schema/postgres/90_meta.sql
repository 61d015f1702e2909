-- The meta schema: users, proxy keys, site data, cache usage, legacy dumps.
-- Names and types follow the public PanDA PostgreSQL schema (doma_pandameta).

CREATE TABLE doma_pandameta.agis_dump (
    panda_site character varying(52),
    update_time timestamp without time zone,
    json_data text
);

CREATE TABLE doma_pandameta.auth_group (
    id bigint,
    name character varying(80)
);

CREATE TABLE doma_pandameta.auth_group_permissions (
    id bigint,
    group_id bigint,
    permission_id bigint
);

CREATE TABLE doma_pandameta.auth_user_groups (
    id bigint,
    user_id bigint,
    group_id bigint
);

CREATE TABLE doma_pandameta.auth_user_user_permissions (
    id bigint,
    user_id bigint,
    permission_id bigint
);

CREATE TABLE doma_pandameta.proxykey (
    id bigint NOT NULL,
    dn character varying(100) NOT NULL,
    credname character varying(40) NOT NULL,
    created timestamp without time zone DEFAULT LOCALTIMESTAMP NOT NULL,
    expires timestamp without time zone DEFAULT '1970-01-01 00:00:00'::timestamp NOT NULL,
    origin character varying(80) NOT NULL,
    myproxy character varying(80) NOT NULL,
    CONSTRAINT proxykey_pkey PRIMARY KEY (id)
);

CREATE TABLE doma_pandameta.sitedata (
    site character varying(60) NOT NULL,
    flag character varying(30) NOT NULL,
    hours integer DEFAULT 0 NOT NULL,
    nwn integer,
    memmin integer,
    memmax integer,
    si2000min integer,
    si2000max integer,
    os character varying(30),
    space character varying(30),
    minjobs integer,
    maxjobs integer,
    laststart timestamp without time zone,
    lastend timestamp without time zone,
    lastfail timestamp without time zone,
    lastpilot timestamp without time zone,
    lastpid integer,
    nstart integer DEFAULT 0 NOT NULL,
    finished integer DEFAULT 0 NOT NULL,
    failed integer DEFAULT 0 NOT NULL,
    defined integer DEFAULT 0 NOT NULL,
    assigned integer DEFAULT 0 NOT NULL,
    waiting integer DEFAULT 0 NOT NULL,
    activated integer DEFAULT 0 NOT NULL,
    holding integer DEFAULT 0 NOT NULL,
    running integer DEFAULT 0 NOT NULL,
    transferring integer DEFAULT 0 NOT NULL,
    getjob integer DEFAULT 0 NOT NULL,
    updatejob integer DEFAULT 0 NOT NULL,
    lastmod timestamp without time zone DEFAULT LOCALTIMESTAMP NOT NULL,
    ncpu integer,
    nslot integer,
    nojob integer,
    getjobabs bigint,
    updatejobabs bigint,
    nojobabs bigint,
    CONSTRAINT sitedata_pkey PRIMARY KEY (site, flag, hours)
);

CREATE TABLE doma_pandameta.usercacheusage (
    username character varying(128) NOT NULL,
    filename character varying(256) NOT NULL,
    hostname character varying(64) NOT NULL,
    creationtime timestamp without time zone NOT NULL,
    modificationtime timestamp without time zone,
    filesize bigint,
    checksum character varying(36),
    aliasname character varying(256),
    CONSTRAINT usercacheusage_pkey PRIMARY KEY (filename, hostname, creationtime)
) PARTITION BY RANGE (creationtime);
CREATE INDEX usercacheusage_usr_crdate_indx ON doma_pandameta.usercacheusage (username, creationtime);

CREATE TABLE doma_pandameta.users (
    id integer NOT NULL,
    name character varying(60) NOT NULL,
    dn character varying(150),
    email character varying(60),
    url character varying(100),
    location character varying(60),
    classa character varying(30),
    classp character varying(30),
    classxp character varying(30),
    sitepref character varying(60),
    gridpref character varying(20),
    queuepref character varying(60),
    scriptcache character varying(100),
    types character varying(60),
    sites character varying(250),
    njobsa bigint,
    njobsp bigint,
    njobs1 bigint,
    njobs7 bigint,
    njobs30 bigint,
    cpua1 bigint,
    cpua7 bigint,
    cpua30 bigint,
    cpup1 bigint,
    cpup7 bigint,
    cpup30 bigint,
    cpuxp1 bigint,
    cpuxp7 bigint,
    cpuxp30 bigint,
    quotaa1 bigint,
    quotaa7 bigint,
    quotaa30 bigint,
    quotap1 bigint,
    quotap7 bigint,
    quotap30 bigint,
    quotaxp1 bigint,
    quotaxp7 bigint,
    quotaxp30 bigint,
    space1 bigint,
    space7 bigint,
    space30 bigint,
    lastmod timestamp without time zone DEFAULT LOCALTIMESTAMP NOT NULL,
    firstjob timestamp without time zone DEFAULT '1970-01-01 00:00:00'::timestamp NOT NULL,
    latestjob timestamp without time zone DEFAULT '1970-01-01 00:00:00'::timestamp NOT NULL,
    pagecache text,
    cachetime timestamp without time zone DEFAULT '1970-01-01 00:00:00'::timestamp NOT NULL,
    ncurrent bigint DEFAULT '0'::bigint NOT NULL,
    jobid bigint DEFAULT '0'::bigint NOT NULL,
    status character varying(20),
    vo character varying(20),
    CONSTRAINT users_pkey PRIMARY KEY (id)
);
CREATE INDEX users_name_idx ON doma_pandameta.users (name, vo);
-- CLOUDCONFIG: resource groups ("clouds") of section 5.5 of the PanDA documentation.
-- Not in the public PostgreSQL inventory, but the documented registration inserts into it.
CREATE TABLE doma_pandameta.cloudconfig (
    name character varying(20) NOT NULL,
    description character varying(50) NOT NULL DEFAULT '',
    tier1 character varying(20) NOT NULL DEFAULT 'NA',
    tier1se character varying(400) NOT NULL DEFAULT 'NA',
    relocation character varying(10) DEFAULT '',
    weight integer NOT NULL DEFAULT 0,
    server character varying(100) NOT NULL DEFAULT 'NA',
    status character varying(20) NOT NULL DEFAULT 'online',
    transtimelo integer NOT NULL DEFAULT 0,
    transtimehi integer NOT NULL DEFAULT 0,
    waittime integer NOT NULL DEFAULT 0,
    comment_ character varying(200),
    space integer NOT NULL DEFAULT 0,
    moduser character varying(30),
    modtime timestamp without time zone NOT NULL DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
    validation character varying(20) DEFAULT '',
    mcshare integer NOT NULL DEFAULT 0,
    countries character varying(80) DEFAULT '',
    fasttrack character varying(20) DEFAULT '',
    nprestage bigint NOT NULL DEFAULT 0,
    pilotowners character varying(300) DEFAULT '',
    dn character varying(100),
    email character varying(60),
    fairshare character varying(128),
    vo character varying(32),
    CONSTRAINT cloudconfig_pkey PRIMARY KEY (name),
    CONSTRAINT cloudconfig_status_check CHECK (status IN ('online', 'offline', 'test', 'brokeroff'))
);
