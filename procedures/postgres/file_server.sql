-- API module file_server (seed 000): the bookkeeping of the files the servers keep on their disks
-- (doma_panda.pandadb_file_store, schema/postgres/65_file_store.sql), upstream's user-cache accounting
-- (doma_pandameta.usercacheusage) and the requests users hand in (doma_panda.pandadb_user_requests).
-- The bytes are the services' business (services/file_store.py): they write a new file under a fresh
-- storage key, then record it here in one call; a refused call leaves the database unchanged and the
-- services remove the bytes they wrote. Bytes no name refers to any more (replaced, deleted, expired
-- files) are queued in doma_panda.pandadb_file_removals for the servers of their host to remove.
-- File names: an optional 'jedilog/' directory and a base name of letters, digits and ._+=@%,- that
-- starts with a letter, digit or '_' (so no '..', no hidden files, no absolute names), at most 255 long.
-- Lifetimes (gdpconfig component 'file_server', days; defaults in brackets): CACHE_LIFETIME_DAYS [14]
-- for cache files (touching a file restarts it), LOG_LIFETIME_DAYS [30] for logs, HPO_LIFETIME_DAYS [30]
-- for HPO checkpoints. The scheduled job expire_file_store (partitions/scheduled_jobs.tsv) expires them.
-- Conventions: p_ parameters, v_ locals; PD002 bad input naming the parameter, PD003 unknown object,
-- PD005 not allowed; the database is unchanged on any of them.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue

-- file_store_check_path: raise PD002 unless p_file_path is an acceptable stored-file name (see above).
--   p_file_path  the name
--   p_parameter  the API parameter it came from, named in the message
CREATE OR REPLACE FUNCTION doma_panda.file_store_check_path(p_file_path text, p_parameter text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_file_path IS NULL OR p_file_path !~ '^(jedilog/)?[A-Za-z0-9_][A-Za-z0-9._+=@%,-]{0,254}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002',
            MESSAGE = format('%s must be a plain file name (letters, digits and ._+=@%%,- not starting with a dot; '
                             'no directories, no "..", no absolute path), got %s', p_parameter,
                             coalesce(quote_literal(left(p_file_path, 80)), 'null'));
    END IF;
    RETURN p_file_path;
END;
$$;

-- file_store_lifetime: how long a file of an area is kept (gdpconfig file_server <AREA>_LIFETIME_DAYS).
--   p_area  cache, jedilog, log or hpo
CREATE OR REPLACE FUNCTION doma_panda.file_store_lifetime(p_area text)
RETURNS interval
LANGUAGE sql STABLE AS $$
    SELECT make_interval(days => CASE WHEN v.value ~ '^\s*[0-9]+\s*$' THEN v.value::integer
                                      WHEN p_area = 'cache' THEN 14 ELSE 30 END)
      FROM (SELECT doma_panda.get_config_value('file_server',
                       CASE p_area WHEN 'cache' THEN 'CACHE_LIFETIME_DAYS' WHEN 'hpo' THEN 'HPO_LIFETIME_DAYS'
                                   ELSE 'LOG_LIFETIME_DAYS' END) AS value) v;
$$;

-- file_store_put: record a file whose bytes a server of p_hostname has just written under p_storage_key.
--   p_hostname        the host whose disk holds the bytes
--   p_file_path       the name it is served under (GET /cache/<name>)
--   p_area            cache, jedilog, log or hpo
--   p_owner, p_vo     the uploader
--   p_storage_key     where the new bytes are (<root>/store/<key>)
--   p_file_size       bytes
--   p_checksum        adler32 as ad:xxxxxxxx
--   p_overwrite       replace an existing file of that name (its bytes are queued for removal); when false,
--                     an existing file is touched and kept, and the answer says so
--   p_cache_checksum  for user cache files: the checksum clients look sandboxes up by (validate_cache_file:
--                     the first 32-bit word of the file's last 8 bytes, the gzip CRC); the file is then also
--                     accounted in doma_pandameta.usercacheusage (as upstream, not for names ending in .out)
-- Returns {"stored": true|false, "replaced": bool, "message": text}; stored false: the caller removes its bytes.
CREATE OR REPLACE FUNCTION doma_panda.file_store_put(
    p_hostname text, p_file_path text, p_area text, p_owner text, p_vo text, p_storage_key text,
    p_file_size bigint, p_checksum text, p_overwrite boolean DEFAULT false, p_cache_checksum text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_expires timestamp without time zone;
    v_old doma_panda.pandadb_file_store%ROWTYPE;
BEGIN
    PERFORM doma_panda.file_store_check_path(p_file_path, 'file');
    IF p_area IS NULL OR p_area NOT IN ('cache', 'jedilog', 'log', 'hpo') THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = format('area must be cache, jedilog, log or hpo, got %L', p_area);
    END IF;
    IF p_file_size IS NULL OR p_file_size < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'file_size must be a number of bytes >= 0';
    END IF;
    v_expires := v_now + doma_panda.file_store_lifetime(p_area);
    SELECT * INTO v_old FROM doma_panda.pandadb_file_store
     WHERE hostname = p_hostname AND file_path = p_file_path FOR UPDATE;
    IF FOUND AND NOT p_overwrite THEN
        UPDATE doma_panda.pandadb_file_store SET modificationtime = v_now, expiretime = v_expires
         WHERE hostname = p_hostname AND file_path = p_file_path;
        RETURN jsonb_build_object('stored', false, 'replaced', false, 'message', 'ERROR: cannot overwrite file');
    END IF;
    IF FOUND THEN
        INSERT INTO doma_panda.pandadb_file_removals (hostname, storage_key, file_path, queued)
        VALUES (v_old.hostname, v_old.storage_key, v_old.file_path, v_now);
        UPDATE doma_panda.pandadb_file_store
           SET storage_key = p_storage_key, area = p_area, owner = p_owner, vo = p_vo, file_size = p_file_size,
               checksum = p_checksum, modificationtime = v_now, expiretime = v_expires
         WHERE hostname = p_hostname AND file_path = p_file_path;
    ELSE
        INSERT INTO doma_panda.pandadb_file_store (hostname, file_path, storage_key, area, owner, vo, file_size,
                                                   checksum, creationtime, modificationtime, expiretime)
        VALUES (p_hostname, p_file_path, p_storage_key, p_area, p_owner, p_vo, p_file_size, p_checksum, v_now, v_now,
                v_expires);
    END IF;
    IF p_area = 'cache' AND p_cache_checksum IS NOT NULL AND p_file_path NOT LIKE '%.out' THEN
        DELETE FROM doma_pandameta.usercacheusage WHERE hostname = p_hostname AND filename = p_file_path;
        INSERT INTO doma_pandameta.usercacheusage (username, filename, hostname, creationtime, modificationtime,
                                                   filesize, checksum)
        VALUES (left(p_owner, 128), p_file_path, left(p_hostname, 64), v_now, v_now, p_file_size,
                left(p_cache_checksum, 36));
    END IF;
    RETURN jsonb_build_object('stored', true, 'replaced', v_old.storage_key IS NOT NULL, 'message', '');
END;
$$;

-- file_store_append: grow a log by p_added_bytes (update_jedi_log); the services then append the bytes
-- to the returned storage key. A log that does not exist yet is created under p_new_storage_key.
--   p_hostname, p_file_path, p_owner, p_vo   as file_store_put (area 'log')
--   p_new_storage_key                        the storage key for a new log
--   p_added_bytes                            how many bytes will be appended
-- Returns {"storage_key": the key to append to, "created": bool, "file_size": the size after the append}.
CREATE OR REPLACE FUNCTION doma_panda.file_store_append(
    p_hostname text, p_file_path text, p_owner text, p_vo text, p_new_storage_key text, p_added_bytes bigint)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_row doma_panda.pandadb_file_store%ROWTYPE;
BEGIN
    PERFORM doma_panda.file_store_check_path(p_file_path, 'file');
    IF p_added_bytes IS NULL OR p_added_bytes < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'file: the appended content has no size';
    END IF;
    INSERT INTO doma_panda.pandadb_file_store AS f (hostname, file_path, storage_key, area, owner, vo, file_size,
                                                    checksum, creationtime, modificationtime, expiretime)
    VALUES (p_hostname, p_file_path, p_new_storage_key, 'log', p_owner, p_vo, p_added_bytes, NULL, v_now, v_now,
            v_now + doma_panda.file_store_lifetime('log'))
    ON CONFLICT (hostname, file_path) DO UPDATE
        SET file_size = f.file_size + p_added_bytes, checksum = NULL, modificationtime = v_now,
            expiretime = v_now + doma_panda.file_store_lifetime(f.area)
    RETURNING * INTO v_row;
    RETURN jsonb_build_object('storage_key', v_row.storage_key, 'created', v_row.storage_key = p_new_storage_key,
                              'file_size', v_row.file_size);
END;
$$;

-- file_store_lookup: a stored file of a host, or NULL.
--   p_hostname, p_file_path  the host and the name
-- Returns {"file_path", "storage_key", "area", "owner", "file_size", "checksum", "modificationtime", "expiretime"}.
CREATE OR REPLACE FUNCTION doma_panda.file_store_lookup(p_hostname text, p_file_path text)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('file_path', f.file_path, 'storage_key', f.storage_key, 'area', f.area,
                              'owner', f.owner, 'file_size', f.file_size, 'checksum', f.checksum,
                              'modificationtime', f.modificationtime, 'expiretime', f.expiretime)
      FROM doma_panda.pandadb_file_store f
     WHERE f.hostname = p_hostname AND f.file_path = doma_panda.file_store_check_path(p_file_path, 'file_name');
$$;

-- touch_cache_file: keep a file from expiring (its lifetime starts again); PD003 when there is none.
--   p_hostname   the host
--   p_file_name  the file's name
CREATE OR REPLACE FUNCTION doma_panda.touch_cache_file(p_hostname text, p_file_name text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_row doma_panda.pandadb_file_store%ROWTYPE;
BEGIN
    PERFORM doma_panda.file_store_check_path(p_file_name, 'file_name');
    UPDATE doma_panda.pandadb_file_store
       SET modificationtime = v_now, expiretime = v_now + doma_panda.file_store_lifetime(area)
     WHERE hostname = p_hostname AND file_path = p_file_name
    RETURNING * INTO v_row;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PD003', MESSAGE = format('file_name: no file %s in the cache of %s', p_file_name, p_hostname);
    END IF;
    UPDATE doma_pandameta.usercacheusage SET modificationtime = v_now
     WHERE hostname = p_hostname AND filename = p_file_name;
    RETURN jsonb_build_object('file_name', v_row.file_path, 'expiretime', v_row.expiretime);
END;
$$;

-- file_store_remove: remove a stored file now (its bytes are queued for removal); PD003 when there is none.
--   p_hostname   the host
--   p_file_path  the file's name
--   p_area       the area it must be in
--   p_parameter  the API parameter named in messages
CREATE OR REPLACE FUNCTION doma_panda.file_store_remove(p_hostname text, p_file_path text, p_area text, p_parameter text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_row doma_panda.pandadb_file_store%ROWTYPE;
BEGIN
    PERFORM doma_panda.file_store_check_path(p_file_path, p_parameter);
    DELETE FROM doma_panda.pandadb_file_store
     WHERE hostname = p_hostname AND file_path = p_file_path AND area = p_area
    RETURNING * INTO v_row;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PD003', MESSAGE = format('%s: no file %s on %s', p_parameter, p_file_path, p_hostname);
    END IF;
    INSERT INTO doma_panda.pandadb_file_removals (hostname, storage_key, file_path, queued)
    VALUES (v_row.hostname, v_row.storage_key, v_row.file_path, doma_panda.panda_now());
    DELETE FROM doma_pandameta.usercacheusage WHERE hostname = p_hostname AND filename = p_file_path;
    RETURN v_row.file_path;
END;
$$;

-- delete_hpo_checkpoint: remove the HPO checkpoint of a task's sub-ID (hpo_cp_<task_id>_<sub_id>).
--   p_hostname  the host
--   p_task_id   the JEDI task ID
--   p_sub_id    the sub ID
CREATE OR REPLACE FUNCTION doma_panda.delete_hpo_checkpoint(p_hostname text, p_task_id text, p_sub_id text)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF p_task_id IS NULL OR p_task_id !~ '^[A-Za-z0-9.=-]{1,64}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'task_id must be a task ID (letters and digits)';
    END IF;
    IF p_sub_id IS NULL OR p_sub_id !~ '^[A-Za-z0-9.=-]{1,64}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'sub_id must be a sub ID (letters and digits)';
    END IF;
    RETURN doma_panda.file_store_remove(p_hostname, format('hpo_cp_%s_%s', p_task_id, p_sub_id), 'hpo', 'task_id');
END;
$$;

-- register_cache_file: account a cache file of a user (doma_pandameta.usercacheusage) on a host; a
-- production-role call, as upstream's register_cache_file.
--   p_is_production  whether the caller has the production role (PD005 otherwise)
--   p_user_name      the user who uploaded the file
--   p_file_name      the file's name
--   p_file_size      bytes
--   p_checksum       the checksum clients look the file up by
--   p_hostname       the host the file is on
CREATE OR REPLACE FUNCTION doma_panda.register_cache_file(
    p_is_production boolean, p_user_name text, p_file_name text, p_file_size bigint, p_checksum text, p_hostname text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
BEGIN
    IF NOT coalesce(p_is_production, false) THEN
        RAISE EXCEPTION USING ERRCODE = 'PD005', MESSAGE = 'register_cache_file requires the production role';
    END IF;
    IF p_user_name IS NULL OR p_user_name = '' OR length(p_user_name) > 128 THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'user_name must be a user name of 1 to 128 characters';
    END IF;
    PERFORM doma_panda.file_store_check_path(p_file_name, 'file_name');
    IF p_file_size IS NULL OR p_file_size < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'file_size must be a number of bytes >= 0';
    END IF;
    IF p_checksum IS NULL OR length(p_checksum) > 36 THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'checksum must be at most 36 characters';
    END IF;
    DELETE FROM doma_pandameta.usercacheusage WHERE hostname = p_hostname AND filename = p_file_name;
    INSERT INTO doma_pandameta.usercacheusage (username, filename, hostname, creationtime, modificationtime,
                                               filesize, checksum)
    VALUES (p_user_name, p_file_name, left(p_hostname, 64), v_now, v_now, p_file_size, p_checksum);
    RETURN 'OK';
END;
$$;

-- validate_cache_file: find a cache file of the caller with this size and checksum that is still kept, so
-- the client can reuse it instead of uploading it again; PD003 when there is none.
--   p_owner      the caller
--   p_file_size  bytes
--   p_checksum   the checksum clients send (see file_store_put p_cache_checksum)
-- Returns 'FOUND:<host>:<file name>' (what panda-client's putFile(reuseSandbox=True) parses).
CREATE OR REPLACE FUNCTION doma_panda.validate_cache_file(p_owner text, p_file_size bigint, p_checksum text)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_found text;
BEGIN
    SELECT format('FOUND:%s:%s', u.hostname, u.filename) INTO v_found
      FROM doma_pandameta.usercacheusage u
      JOIN doma_panda.pandadb_file_store f ON f.hostname = u.hostname AND f.file_path = u.filename
     WHERE u.username = p_owner AND u.filesize = p_file_size AND u.checksum = p_checksum
     ORDER BY u.creationtime DESC
     LIMIT 1;
    IF v_found IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PD003',
            MESSAGE = format('NOT FOUND: no cache file of %s with file_size %s and checksum %s', p_owner, p_file_size, p_checksum);
    END IF;
    RETURN v_found;
END;
$$;

-- submit_user_request: take in a request of a user for the task engine (pandadb_user_requests).
--   p_request_type   file_recovery (needs task_id or dataset), workflow (needs data) or event_picking
--   p_owner, p_vo    the caller
--   p_is_production  whether the caller has the production role (file recovery of others' tasks)
--   p_parameters     the request's parameters (API names)
--   p_hostname       for file_recovery: the host that keeps the request's log file
--   p_log_storage_key  for file_recovery: where that host has created the (empty) log file
-- Returns {"request_id", "log_file"} (log_file: the cache name of the log, file_recovery only).
CREATE OR REPLACE FUNCTION doma_panda.submit_user_request(
    p_request_type text, p_owner text, p_vo text, p_is_production boolean, p_parameters jsonb,
    p_hostname text DEFAULT NULL, p_log_storage_key text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_id bigint;
    v_log text;
BEGIN
    IF p_parameters IS NULL OR jsonb_typeof(p_parameters) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'parameters must be a JSON object';
    END IF;
    IF p_request_type = 'file_recovery' THEN
        IF nullif(p_parameters ->> 'task_id', '') IS NULL AND nullif(p_parameters ->> 'dataset', '') IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'Either task_id or dataset must be provided';
        END IF;
        IF p_hostname IS NULL OR p_log_storage_key IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'file recovery needs the host and storage of its log file';
        END IF;
    ELSIF p_request_type = 'workflow' THEN
        IF p_parameters -> 'data' IS NULL OR jsonb_typeof(p_parameters -> 'data') = 'null' THEN
            RAISE EXCEPTION USING ERRCODE = 'PD002', MESSAGE = 'data must be the workflow request (JSON)';
        END IF;
    ELSIF p_request_type IS DISTINCT FROM 'event_picking' THEN
        RAISE EXCEPTION USING ERRCODE = 'PD002',
            MESSAGE = format('request_type must be file_recovery, workflow or event_picking, got %L', p_request_type);
    END IF;
    INSERT INTO doma_panda.pandadb_user_requests (request_type, owner, vo, is_production, parameters, creationtime,
                                                  modificationtime)
    VALUES (p_request_type, p_owner, p_vo, coalesce(p_is_production, false), p_parameters, v_now, v_now)
    RETURNING request_id INTO v_id;
    IF p_request_type = 'file_recovery' THEN
        v_log := format('lost_file_recovery.%s.log', v_id);
        UPDATE doma_panda.pandadb_user_requests SET log_file = v_log WHERE request_id = v_id;
        INSERT INTO doma_panda.pandadb_file_store (hostname, file_path, storage_key, area, owner, vo, file_size,
                                                   checksum, creationtime, modificationtime, expiretime)
        VALUES (p_hostname, v_log, p_log_storage_key, 'log', p_owner, p_vo, 0, NULL, v_now, v_now,
                v_now + doma_panda.file_store_lifetime('log'));
    END IF;
    RETURN jsonb_build_object('request_id', v_id, 'log_file', v_log);
END;
$$;

-- expire_file_store: remove the files whose expiry time has passed (scheduled job expire_file_store):
-- their rows go, their bytes are queued for removal by the servers of their host, their user-cache
-- accounting goes too. Returns the number of files expired.
CREATE OR REPLACE FUNCTION doma_panda.expire_file_store()
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_count integer;
BEGIN
    WITH expired AS (
        DELETE FROM doma_panda.pandadb_file_store f
         WHERE f.ctid IN (SELECT ctid FROM doma_panda.pandadb_file_store
                           WHERE expiretime < v_now FOR UPDATE SKIP LOCKED)
        RETURNING f.hostname, f.storage_key, f.file_path
    ), queued AS (
        INSERT INTO doma_panda.pandadb_file_removals (hostname, storage_key, file_path, queued)
        SELECT hostname, storage_key, file_path, v_now FROM expired
        RETURNING file_path, hostname
    ), unaccounted AS (
        DELETE FROM doma_pandameta.usercacheusage u USING queued q
         WHERE u.hostname = q.hostname AND u.filename = q.file_path
    )
    SELECT count(*) INTO v_count FROM queued;
    RETURN v_count;
END;
$$;

-- take_file_removals: hand the servers of a host the storage keys whose bytes they should remove from
-- their disk (the rows go in the same call: a crash in between leaves unreferenced bytes, never a
-- reference to missing ones).
--   p_hostname  the host
--   p_limit     at most this many
CREATE OR REPLACE FUNCTION doma_panda.take_file_removals(p_hostname text, p_limit integer DEFAULT 100)
RETURNS text[]
LANGUAGE sql AS $$
    WITH taken AS (
        DELETE FROM doma_panda.pandadb_file_removals r
         WHERE r.storage_key IN (SELECT storage_key FROM doma_panda.pandadb_file_removals
                                  WHERE hostname = p_hostname ORDER BY queued
                                  LIMIT greatest(coalesce(p_limit, 100), 0) FOR UPDATE SKIP LOCKED)
        RETURNING r.storage_key
    )
    SELECT coalesce(array_agg(storage_key), '{}') FROM taken;
$$;
