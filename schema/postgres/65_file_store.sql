-- The file server's bookkeeping (API module file_server) and the users' requests it takes in.
-- Our own tables (not in the upstream inventory; the pandadb_ prefix says so). The user-cache
-- accounting of upstream stays in doma_pandameta.usercacheusage, the user secrets in doma_panda.secrets.
-- Idempotent (IF NOT EXISTS): revision 0001 applies it to new databases, revision 0006 to databases
-- created before this file existed.
--
-- A stored file is one row per (hostname, file_path): the name under which GET /cache/<file_path> of
-- that host serves it. Its bytes live on that host's disk as <file store root>/store/<storage_key>; a new
-- storage key (a random name) is chosen for every upload, so a replaced or expired file's bytes can be removed from disk
-- later (pandadb_file_removals) without ever touching a newer upload of the same name.

CREATE TABLE IF NOT EXISTS doma_panda.pandadb_file_store (
    hostname character varying(64) NOT NULL,
    file_path character varying(300) NOT NULL,
    storage_key character varying(64) NOT NULL,
    area character varying(16) NOT NULL,
    owner character varying(128) NOT NULL,
    vo character varying(32),
    file_size bigint NOT NULL,
    checksum character varying(36),
    creationtime timestamp without time zone NOT NULL,
    modificationtime timestamp without time zone NOT NULL,
    expiretime timestamp without time zone,
    CONSTRAINT pandadb_file_store_pk PRIMARY KEY (hostname, file_path),
    CONSTRAINT pandadb_file_store_storage_uk UNIQUE (storage_key),
    CONSTRAINT pandadb_file_store_area_ck CHECK (area IN ('cache', 'jedilog', 'log', 'hpo')),
    CONSTRAINT pandadb_file_store_size_ck CHECK (file_size >= 0)
);
COMMENT ON TABLE doma_panda.pandadb_file_store IS
    'Files of the file server (GET /cache/<file_path>), per host; bytes at <root>/store/<storage_key>';
COMMENT ON COLUMN doma_panda.pandadb_file_store.checksum IS
    'adler32 of the bytes as ad:xxxxxxxx (PanDA''s file checksum); NULL for logs grown by appends';
COMMENT ON COLUMN doma_panda.pandadb_file_store.expiretime IS
    'when expire_file_store() removes the file; touching a cache file moves it; NULL: never';
CREATE INDEX IF NOT EXISTS pandadb_file_store_expire_idx ON doma_panda.pandadb_file_store (expiretime);
CREATE INDEX IF NOT EXISTS pandadb_file_store_owner_idx ON doma_panda.pandadb_file_store (owner, area);

CREATE TABLE IF NOT EXISTS doma_panda.pandadb_file_removals (
    hostname character varying(64) NOT NULL,
    storage_key character varying(64) NOT NULL,
    file_path character varying(300) NOT NULL,
    queued timestamp without time zone NOT NULL,
    CONSTRAINT pandadb_file_removals_pk PRIMARY KEY (storage_key)
);
COMMENT ON TABLE doma_panda.pandadb_file_removals IS
    'Bytes on a host''s disk that no name refers to any more (replaced, deleted or expired files): the servers of that host remove them and then the row';
CREATE INDEX IF NOT EXISTS pandadb_file_removals_host_idx ON doma_panda.pandadb_file_removals (hostname, queued);

CREATE TABLE IF NOT EXISTS doma_panda.pandadb_user_requests (
    request_id bigint GENERATED ALWAYS AS IDENTITY,
    request_type character varying(32) NOT NULL,
    owner character varying(128) NOT NULL,
    vo character varying(32),
    is_production boolean DEFAULT false NOT NULL,
    parameters jsonb NOT NULL,
    status character varying(16) DEFAULT 'pending' NOT NULL,
    log_file character varying(300),
    creationtime timestamp without time zone NOT NULL,
    modificationtime timestamp without time zone NOT NULL,
    CONSTRAINT pandadb_user_requests_pk PRIMARY KEY (request_id),
    CONSTRAINT pandadb_user_requests_type_ck CHECK (request_type IN ('file_recovery', 'workflow', 'event_picking')),
    CONSTRAINT pandadb_user_requests_status_ck CHECK (status IN ('pending', 'processing', 'done', 'failed'))
);
COMMENT ON TABLE doma_panda.pandadb_user_requests IS
    'Requests users hand to the file server (file recovery, workflow, event picking) for the task engine to process; upstream writes them as files into its cache directory';
CREATE INDEX IF NOT EXISTS pandadb_user_requests_status_idx ON doma_panda.pandadb_user_requests (status, request_type);
