-- The replica catalogue: the project's own record of datasets, their files and where the files are
-- (there is no data-management service). The Contents Feeder (procedures/postgres/task_contents.sql)
-- reads a task's input files from here; `pandadb register dataset` and
-- doma_panda.register_dataset_files (procedures/postgres/replicas.sql) fill it.
-- Idempotent (IF NOT EXISTS): revision 0001 applies it to new databases, revision 0005 to databases
-- created before this file existed.

-- a dataset (a collection of files), by name; state open (files may still be added) or closed
CREATE TABLE IF NOT EXISTS doma_panda.pandadb_datasets (
    datasetname character varying(255) NOT NULL,
    scope character varying(30) NOT NULL,
    state character varying(20) DEFAULT 'open' NOT NULL,
    creationtime timestamp without time zone NOT NULL,
    modificationtime timestamp without time zone NOT NULL,
    CONSTRAINT pandadb_datasets_pk PRIMARY KEY (datasetname),
    CONSTRAINT pandadb_datasets_state_ck CHECK (state IN ('open', 'closed'))
);
COMMENT ON TABLE doma_panda.pandadb_datasets IS 'Replica catalogue: datasets (register with pandadb register dataset)';

-- a file, by scope and lfn, with its immutable attributes
CREATE TABLE IF NOT EXISTS doma_panda.pandadb_files (
    scope character varying(30) NOT NULL,
    lfn character varying(1024) NOT NULL,
    guid character varying(64) NOT NULL,
    fsize bigint,
    checksum character varying(36),
    nevents bigint,
    creationtime timestamp without time zone NOT NULL,
    CONSTRAINT pandadb_files_pk PRIMARY KEY (scope, lfn)
);
COMMENT ON TABLE doma_panda.pandadb_files IS 'Replica catalogue: files (scope, lfn) with guid, size, checksum, events';

-- the files of a dataset, in registration order (fileorder)
CREATE TABLE IF NOT EXISTS doma_panda.pandadb_dataset_files (
    datasetname character varying(255) NOT NULL,
    scope character varying(30) NOT NULL,
    lfn character varying(1024) NOT NULL,
    fileorder bigint NOT NULL,
    creationtime timestamp without time zone NOT NULL,
    CONSTRAINT pandadb_dataset_files_pk PRIMARY KEY (datasetname, scope, lfn),
    CONSTRAINT pandadb_dataset_files_ds_fk FOREIGN KEY (datasetname) REFERENCES doma_panda.pandadb_datasets (datasetname),
    CONSTRAINT pandadb_dataset_files_file_fk FOREIGN KEY (scope, lfn) REFERENCES doma_panda.pandadb_files (scope, lfn)
);
CREATE INDEX IF NOT EXISTS pandadb_dataset_files_file_idx ON doma_panda.pandadb_dataset_files (scope, lfn);
COMMENT ON TABLE doma_panda.pandadb_dataset_files IS 'Replica catalogue: which files a dataset holds';

-- a replica: a copy of a file at a site (a storage or queue name)
CREATE TABLE IF NOT EXISTS doma_panda.pandadb_file_replicas (
    scope character varying(30) NOT NULL,
    lfn character varying(1024) NOT NULL,
    site character varying(64) NOT NULL,
    creationtime timestamp without time zone NOT NULL,
    CONSTRAINT pandadb_file_replicas_pk PRIMARY KEY (scope, lfn, site),
    CONSTRAINT pandadb_file_replicas_file_fk FOREIGN KEY (scope, lfn) REFERENCES doma_panda.pandadb_files (scope, lfn)
);
CREATE INDEX IF NOT EXISTS pandadb_file_replicas_site_idx ON doma_panda.pandadb_file_replicas (site);
COMMENT ON TABLE doma_panda.pandadb_file_replicas IS 'Replica catalogue: which site holds a copy of a file';
