-- The replica catalogue (schema/postgres/35_replicas.sql): datasets, their files and the sites holding
-- copies, the project's stand-in for a data-management service. register_dataset_files fills it
-- (`pandadb register dataset`); the Contents Feeder (task_contents.sql) reads it.
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
--
-- Rule violations raise SQLSTATE PD002 naming the parameter (or the file); the database is then unchanged.

-- replica_scope: the scope of a dataset name: the part before ':' of "scope:name", else the given scope,
-- else the first dot-separated field of the name ("user.alice.x" -> "user").
--   p_datasetname  the dataset name, possibly "scope:name"
--   p_scope        an explicit scope, or NULL
CREATE OR REPLACE FUNCTION doma_panda.replica_scope(p_datasetname text, p_scope text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN strpos(p_datasetname, ':') > 0 THEN split_part(p_datasetname, ':', 1)
                ELSE coalesce(nullif(p_scope, ''), split_part(p_datasetname, '.', 1)) END;
$$;

-- replica_dataset_name: the dataset name without a "scope:" prefix.
--   p_datasetname  the dataset name, possibly "scope:name"
CREATE OR REPLACE FUNCTION doma_panda.replica_dataset_name(p_datasetname text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN strpos(p_datasetname, ':') > 0 THEN substr(p_datasetname, strpos(p_datasetname, ':') + 1)
                ELSE p_datasetname END;
$$;

-- register_dataset_files: register files of a dataset and their replicas at a site. Idempotent: the
-- dataset, a file and a replica are created when new, and registering them again changes nothing.
-- A file is identified by (scope, lfn); its guid, size, checksum and events cannot change: a second
-- registration with other values is refused (PD002 naming the lfn and the attribute). Keys of each file
-- object: lfn (required), scope (default: the dataset's), guid (default: a new UUID), size or fsize,
-- checksum (e.g. "ad:0a1b2c3d" or "md5:..."), events or nevents. Files keep their registration order.
-- Returns {"dataset", "scope", "site", "state", "files_added", "replicas_added", "nfiles"}.
--   p_datasetname  the dataset name ("scope:name" gives the scope), 255 characters
--   p_site         the site (storage or queue name) holding the files, 64 characters
--   p_files        a JSON array of file objects (may be empty to only create/close the dataset)
--   p_scope        the scope of the dataset and default scope of its files (default: the "scope:" prefix, else
--                  the registered dataset's scope, else the name's first dot-separated field)
--   p_state        'open' or 'closed' to set the dataset's state, NULL to keep it (new datasets: open)
CREATE OR REPLACE FUNCTION doma_panda.register_dataset_files(p_datasetname text, p_site text, p_files jsonb,
                                                            p_scope text DEFAULT NULL, p_state text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamp without time zone := doma_panda.panda_now();
    v_name text := doma_panda.replica_dataset_name(btrim(p_datasetname));
    v_scope text;
    v_file jsonb;
    v_index bigint;
    v_lfn text;
    v_fscope text;
    v_guid text;
    v_size bigint;
    v_checksum text;
    v_events bigint;
    v_old record;
    v_next bigint;
    v_files_added integer := 0;
    v_replicas_added integer := 0;
    v_count integer;
    v_state text;
BEGIN
    -- the scope: explicit (p_scope or "scope:name"), else the registered dataset's, else the name's first field
    v_scope := CASE WHEN strpos(btrim(p_datasetname), ':') > 0 OR nullif(p_scope, '') IS NOT NULL
                    THEN doma_panda.replica_scope(btrim(p_datasetname), p_scope) END;
    IF v_scope IS NULL THEN
        SELECT d.scope INTO v_scope FROM doma_panda.pandadb_datasets d WHERE d.datasetname = v_name;
        v_scope := coalesce(v_scope, doma_panda.replica_scope(btrim(p_datasetname), NULL));
    END IF;
    IF v_name IS NULL OR v_name = '' OR length(v_name) > 255 OR v_name ~ '\s' THEN
        RAISE EXCEPTION 'p_datasetname: a dataset name of 1-255 characters without blanks is required' USING ERRCODE = 'PD002';
    END IF;
    IF v_scope IS NULL OR v_scope = '' OR length(v_scope) > 30 THEN
        RAISE EXCEPTION 'p_scope: a scope of 1-30 characters is required (%)', coalesce(v_scope, 'none') USING ERRCODE = 'PD002';
    END IF;
    IF p_site IS NULL OR btrim(p_site) = '' OR length(p_site) > 64 THEN
        RAISE EXCEPTION 'p_site: a site name of 1-64 characters is required' USING ERRCODE = 'PD002';
    END IF;
    IF p_state IS NOT NULL AND p_state NOT IN ('open', 'closed') THEN
        RAISE EXCEPTION 'p_state: must be open or closed, not %', p_state USING ERRCODE = 'PD002';
    END IF;
    IF p_files IS NULL OR jsonb_typeof(p_files) <> 'array' THEN
        RAISE EXCEPTION 'p_files: must be a JSON array of file objects' USING ERRCODE = 'PD002';
    END IF;
    INSERT INTO doma_panda.pandadb_datasets (datasetname, scope, state, creationtime, modificationtime)
    VALUES (v_name, v_scope, coalesce(p_state, 'open'), v_now, v_now)
    ON CONFLICT (datasetname) DO NOTHING;
    -- one registration of a dataset at a time (the row lock), so fileorder has no gaps or duplicates
    SELECT d.state INTO v_state FROM doma_panda.pandadb_datasets d WHERE d.datasetname = v_name FOR UPDATE;
    SELECT coalesce(max(f.fileorder), 0) INTO v_next FROM doma_panda.pandadb_dataset_files f WHERE f.datasetname = v_name;
    FOR v_file, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(p_files) WITH ORDINALITY e LOOP
        IF jsonb_typeof(v_file) <> 'object' THEN
            RAISE EXCEPTION 'p_files: file % is not an object', v_index USING ERRCODE = 'PD002';
        END IF;
        SELECT coalesce(jsonb_object_agg(lower(e.key), e.value), '{}'::jsonb) INTO v_file
          FROM jsonb_each(v_file) e WHERE jsonb_typeof(e.value) <> 'null';
        IF EXISTS (SELECT 1 FROM jsonb_object_keys(v_file) k
                    WHERE k NOT IN ('lfn', 'scope', 'guid', 'size', 'fsize', 'checksum', 'events', 'nevents')) THEN
            RAISE EXCEPTION 'p_files: file % has unknown keys % (lfn, scope, guid, size, checksum, events)', v_index,
                (SELECT string_agg(k, ', ') FROM jsonb_object_keys(v_file) k
                  WHERE k NOT IN ('lfn', 'scope', 'guid', 'size', 'fsize', 'checksum', 'events', 'nevents'))
                USING ERRCODE = 'PD002';
        END IF;
        v_lfn := doma_panda.task_param_text(v_file, 'lfn', 1024);
        IF v_lfn IS NULL OR v_lfn ~ '[\s/]' THEN
            RAISE EXCEPTION 'p_files: file % needs an lfn without blanks or slashes', v_index USING ERRCODE = 'PD002';
        END IF;
        v_fscope := coalesce(doma_panda.task_param_text(v_file, 'scope', 30), v_scope);
        v_guid := coalesce(doma_panda.task_param_text(v_file, 'guid', 64), gen_random_uuid()::text);
        v_size := coalesce(doma_panda.task_param_int(v_file, 'size', 0), doma_panda.task_param_int(v_file, 'fsize', 0));
        v_checksum := doma_panda.task_param_text(v_file, 'checksum', 36);
        v_events := coalesce(doma_panda.task_param_int(v_file, 'events', 0), doma_panda.task_param_int(v_file, 'nevents', 0));
        SELECT f.* INTO v_old FROM doma_panda.pandadb_files f WHERE f.scope = v_fscope AND f.lfn = v_lfn FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO doma_panda.pandadb_files (scope, lfn, guid, fsize, checksum, nevents, creationtime)
            VALUES (v_fscope, v_lfn, v_guid, v_size, v_checksum, v_events, v_now)
            ON CONFLICT (scope, lfn) DO NOTHING;
            GET DIAGNOSTICS v_count = ROW_COUNT;
            IF v_count = 0 THEN  -- registered concurrently: compare with that one
                SELECT f.* INTO v_old FROM doma_panda.pandadb_files f WHERE f.scope = v_fscope AND f.lfn = v_lfn FOR UPDATE;
            END IF;
        END IF;
        IF v_old.lfn IS NOT NULL THEN
            IF v_file ? 'guid' AND v_old.guid IS DISTINCT FROM v_guid THEN
                RAISE EXCEPTION 'p_files: %:% is registered with guid %, not %', v_fscope, v_lfn, v_old.guid, v_guid USING ERRCODE = 'PD002';
            ELSIF v_size IS NOT NULL AND v_old.fsize IS DISTINCT FROM v_size THEN
                RAISE EXCEPTION 'p_files: %:% is registered with size %, not %', v_fscope, v_lfn, v_old.fsize, v_size USING ERRCODE = 'PD002';
            ELSIF v_checksum IS NOT NULL AND v_old.checksum IS DISTINCT FROM v_checksum THEN
                RAISE EXCEPTION 'p_files: %:% is registered with checksum %, not %', v_fscope, v_lfn, v_old.checksum, v_checksum
                    USING ERRCODE = 'PD002';
            ELSIF v_events IS NOT NULL AND v_old.nevents IS DISTINCT FROM v_events THEN
                RAISE EXCEPTION 'p_files: %:% is registered with % events, not %', v_fscope, v_lfn, v_old.nevents, v_events
                    USING ERRCODE = 'PD002';
            END IF;
        ELSE
            v_files_added := v_files_added + 1;
        END IF;
        v_old := NULL;
        IF NOT EXISTS (SELECT 1 FROM doma_panda.pandadb_dataset_files f
                        WHERE f.datasetname = v_name AND f.scope = v_fscope AND f.lfn = v_lfn) THEN
            v_next := v_next + 1;
            INSERT INTO doma_panda.pandadb_dataset_files (datasetname, scope, lfn, fileorder, creationtime)
            VALUES (v_name, v_fscope, v_lfn, v_next, v_now);
        END IF;
        INSERT INTO doma_panda.pandadb_file_replicas (scope, lfn, site, creationtime)
        VALUES (v_fscope, v_lfn, btrim(p_site), v_now)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        v_replicas_added := v_replicas_added + v_count;
    END LOOP;
    UPDATE doma_panda.pandadb_datasets d
       SET state = coalesce(p_state, d.state),
           modificationtime = CASE WHEN v_files_added + v_replicas_added > 0 OR p_state IS DISTINCT FROM d.state
                                   THEN v_now ELSE d.modificationtime END
     WHERE d.datasetname = v_name
    RETURNING d.state INTO v_state;
    RETURN jsonb_build_object('dataset', v_name, 'scope', v_scope, 'site', btrim(p_site), 'state', v_state,
                              'files_added', v_files_added, 'replicas_added', v_replicas_added,
                              'nfiles', (SELECT count(*) FROM doma_panda.pandadb_dataset_files f WHERE f.datasetname = v_name));
END;
$$;

-- get_dataset_files: the files of a catalogue dataset in registration order, each with the sites that
-- hold it: [{"scope", "lfn", "guid", "fsize", "checksum", "nevents", "sites": [...]}, ...]; NULL for an
-- unknown dataset.
--   p_datasetname  the dataset name (a "scope:" prefix is ignored)
CREATE OR REPLACE FUNCTION doma_panda.get_dataset_files(p_datasetname text)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM doma_panda.pandadb_datasets d
                              WHERE d.datasetname = doma_panda.replica_dataset_name(p_datasetname)) THEN
        coalesce((SELECT jsonb_agg(jsonb_build_object('scope', f.scope, 'lfn', f.lfn, 'guid', f.guid, 'fsize', f.fsize,
                                                      'checksum', f.checksum, 'nevents', f.nevents,
                                                      'sites', (SELECT coalesce(jsonb_agg(r.site ORDER BY r.site), '[]'::jsonb)
                                                                  FROM doma_panda.pandadb_file_replicas r
                                                                 WHERE r.scope = f.scope AND r.lfn = f.lfn))
                                   ORDER BY df.fileorder)
                    FROM doma_panda.pandadb_dataset_files df
                    JOIN doma_panda.pandadb_files f ON f.scope = df.scope AND f.lfn = df.lfn
                   WHERE df.datasetname = doma_panda.replica_dataset_name(p_datasetname)), '[]'::jsonb)
    END;
$$;
