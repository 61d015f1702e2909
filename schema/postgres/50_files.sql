-- Files and datasets of jobs.
-- Names and types follow the public PanDA PostgreSQL schema (doma_panda).

CREATE TABLE doma_panda.datasets (
    vuid character varying(40) NOT NULL,
    name character varying(255) NOT NULL,
    version character varying(10),
    type character varying(20),
    status character varying(10),
    numberfiles integer,
    currentfiles integer,
    creationdate timestamp without time zone,
    modificationdate timestamp without time zone NOT NULL,
    moverid bigint DEFAULT 0 NOT NULL,
    transferstatus smallint DEFAULT 0 NOT NULL,
    subtype character varying(5),
    CONSTRAINT datasets_pkey PRIMARY KEY (vuid, modificationdate)
) PARTITION BY RANGE (modificationdate);
CREATE INDEX datasets_modifdate_idx ON doma_panda.datasets (modificationdate);
CREATE INDEX datasets_moverid_indx ON doma_panda.datasets (moverid);
CREATE INDEX datasets_name_idx ON doma_panda.datasets (name);
CREATE INDEX datasets_stat_type_mdate_idx ON doma_panda.datasets (type, status, modificationdate, subtype);

CREATE TABLE doma_panda.filestable4 (
    row_id bigint NOT NULL,
    pandaid bigint DEFAULT '0'::bigint NOT NULL,
    modificationtime timestamp without time zone DEFAULT '1970-01-01 00:00:00'::timestamp NOT NULL,
    guid character varying(64),
    lfn character varying(4000),
    type character varying(20),
    dataset character varying(255),
    status character varying(64),
    proddblock character varying(255),
    proddblocktoken character varying(250),
    dispatchdblock character varying(255),
    dispatchdblocktoken character varying(250),
    destinationdblock character varying(255),
    destinationdblocktoken character varying(250),
    destinationse character varying(250),
    fsize bigint DEFAULT '0'::bigint NOT NULL,
    md5sum character varying(36),
    checksum character varying(36),
    scope character varying(30),
    jeditaskid bigint,
    datasetid bigint,
    fileid bigint,
    attemptnr smallint,
    CONSTRAINT filestable4_pkey PRIMARY KEY (row_id, modificationtime)
) PARTITION BY RANGE (modificationtime);
CREATE INDEX filestable4_datasetype3col_idx ON doma_panda.filestable4 (dataset, type, destinationdblock, status, pandaid);
CREATE INDEX filestable4_destdblock_idx ON doma_panda.filestable4 (destinationdblock);
CREATE INDEX filestable4_dispdblock_idx ON doma_panda.filestable4 (dispatchdblock);
CREATE INDEX filestable4_lfn_idx ON doma_panda.filestable4 (lfn);
CREATE INDEX filestable4_pandaid_idx ON doma_panda.filestable4 (pandaid);
CREATE INDEX filestable4_taskfileid_idx ON doma_panda.filestable4 (jeditaskid, datasetid, fileid);
