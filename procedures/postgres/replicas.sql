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
-- Set-based (one statement per step for the whole list): 100,000 files register in a few seconds.
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
    v_site text := btrim(p_site);
    v_scope text;
    v_rows jsonb;
    v_bad record;
    v_next bigint;
    v_files_added integer;
    v_replicas_added integer;
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
    IF v_site IS NULL OR v_site = '' OR length(v_site) > 64 THEN
        RAISE EXCEPTION 'p_site: a site name of 1-64 characters is required' USING ERRCODE = 'PD002';
    END IF;
    IF p_state IS NOT NULL AND p_state NOT IN ('open', 'closed') THEN
        RAISE EXCEPTION 'p_state: must be open or closed, not %', p_state USING ERRCODE = 'PD002';
    END IF;
    IF p_files IS NULL OR jsonb_typeof(p_files) <> 'array' THEN
        RAISE EXCEPTION 'p_files: must be a JSON array of file objects' USING ERRCODE = 'PD002';
    END IF;

    -- the files, checked all at once; the first bad one is named
    SELECT min(e.ordinality) AS idx INTO v_bad FROM jsonb_array_elements(p_files) WITH ORDINALITY e
     WHERE jsonb_typeof(e.value) <> 'object';
    IF v_bad.idx IS NOT NULL THEN
        RAISE EXCEPTION 'p_files: file % is not an object', v_bad.idx USING ERRCODE = 'PD002';
    END IF;
    -- keys lower-cased, nulls dropped, size/events under one spelling
    SELECT coalesce(jsonb_agg(f ORDER BY idx), '[]'::jsonb) INTO v_rows
      FROM (SELECT e.ordinality AS idx,
                   (SELECT coalesce(jsonb_object_agg(lower(k.key), k.value), '{}'::jsonb)
                      FROM jsonb_each(e.value) k WHERE jsonb_typeof(k.value) <> 'null') || jsonb_build_object('idx', e.ordinality) AS f
              FROM jsonb_array_elements(p_files) WITH ORDINALITY e) x;
    SELECT (r ->> 'idx')::bigint AS idx, k AS key INTO v_bad
      FROM jsonb_array_elements(v_rows) r, jsonb_object_keys(r) k
     WHERE k NOT IN ('idx', 'lfn', 'scope', 'guid', 'size', 'fsize', 'checksum', 'events', 'nevents')
     ORDER BY 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'p_files: file % has the unknown key % (lfn, scope, guid, size, checksum, events)', v_bad.idx, v_bad.key
            USING ERRCODE = 'PD002';
    END IF;
    SELECT (r ->> 'idx')::bigint AS idx INTO v_bad FROM jsonb_array_elements(v_rows) r
     WHERE jsonb_typeof(r -> 'lfn') IS DISTINCT FROM 'string' OR r ->> 'lfn' ~ '[\s/]' OR r ->> 'lfn' = ''
        OR length(r ->> 'lfn') > 1024
     ORDER BY 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'p_files: file % needs an lfn (1-1024 characters) without blanks or slashes', v_bad.idx
            USING ERRCODE = 'PD002';
    END IF;
    SELECT (r ->> 'idx')::bigint AS idx, r ->> 'lfn' AS lfn, k.key, k.value INTO v_bad
      FROM jsonb_array_elements(v_rows) r, jsonb_each(r) k
     WHERE (k.key IN ('size', 'fsize', 'events', 'nevents')
            AND (jsonb_typeof(k.value) NOT IN ('number', 'string') OR k.value #>> '{}' !~ '^\s*\d{1,18}(\.0*)?\s*$'))
        OR (k.key IN ('scope', 'guid', 'checksum') AND (jsonb_typeof(k.value) <> 'string' OR k.value #>> '{}' = ''
            OR length(k.value #>> '{}') > CASE k.key WHEN 'scope' THEN 30 WHEN 'guid' THEN 64 ELSE 36 END))
     ORDER BY 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'p_files: file % (%): % must be %, not %', v_bad.idx, v_bad.lfn, v_bad.key,
            CASE WHEN v_bad.key IN ('scope', 'guid', 'checksum') THEN 'a string that fits its column' ELSE 'a non-negative integer' END,
            left(v_bad.value::text, 60) USING ERRCODE = 'PD002';
    END IF;
    SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'idx', (r ->> 'idx')::bigint, 'lfn', r ->> 'lfn', 'scope', coalesce(r ->> 'scope', v_scope), 'guid', r ->> 'guid',
               'fsize', trunc(coalesce(r ->> 'size', r ->> 'fsize')::numeric)::bigint, 'checksum', r ->> 'checksum',
               'nevents', trunc(coalesce(r ->> 'events', r ->> 'nevents')::numeric)::bigint))), '[]'::jsonb)
      INTO v_rows FROM jsonb_array_elements(v_rows) r;

    INSERT INTO doma_panda.pandadb_datasets (datasetname, scope, state, creationtime, modificationtime)
    VALUES (v_name, v_scope, coalesce(p_state, 'open'), v_now, v_now)
    ON CONFLICT (datasetname) DO NOTHING;
    -- one registration of a dataset at a time (the row lock), so fileorder has no gaps or duplicates
    PERFORM 1 FROM doma_panda.pandadb_datasets d WHERE d.datasetname = v_name FOR UPDATE;

    INSERT INTO doma_panda.pandadb_files (scope, lfn, guid, fsize, checksum, nevents, creationtime)
    SELECT DISTINCT ON (r ->> 'scope', r ->> 'lfn') r ->> 'scope', r ->> 'lfn', coalesce(r ->> 'guid', gen_random_uuid()::text),
           (r ->> 'fsize')::bigint, r ->> 'checksum', (r ->> 'nevents')::bigint, v_now
      FROM jsonb_array_elements(v_rows) r
     ORDER BY r ->> 'scope', r ->> 'lfn', (r ->> 'idx')::bigint
    ON CONFLICT (scope, lfn) DO NOTHING;
    GET DIAGNOSTICS v_files_added = ROW_COUNT;
    -- a file's attributes cannot change (given ones are compared with the registered ones)
    SELECT (r ->> 'idx')::bigint AS idx, f.scope, f.lfn,
           CASE WHEN r ? 'guid' AND r ->> 'guid' IS DISTINCT FROM f.guid THEN 'guid'
                WHEN r ->> 'fsize' IS NOT NULL AND (r ->> 'fsize')::bigint IS DISTINCT FROM f.fsize THEN 'size'
                WHEN r ->> 'checksum' IS NOT NULL AND r ->> 'checksum' IS DISTINCT FROM f.checksum THEN 'checksum'
                WHEN r ->> 'nevents' IS NOT NULL AND (r ->> 'nevents')::bigint IS DISTINCT FROM f.nevents THEN 'events' END AS what,
           CASE WHEN r ? 'guid' AND r ->> 'guid' IS DISTINCT FROM f.guid THEN f.guid || ', not ' || (r ->> 'guid')
                WHEN r ->> 'fsize' IS NOT NULL AND (r ->> 'fsize')::bigint IS DISTINCT FROM f.fsize THEN f.fsize || ', not ' || (r ->> 'fsize')
                WHEN r ->> 'checksum' IS NOT NULL AND r ->> 'checksum' IS DISTINCT FROM f.checksum THEN f.checksum || ', not ' || (r ->> 'checksum')
                ELSE f.nevents || ', not ' || (r ->> 'nevents') END AS detail
      INTO v_bad
      FROM jsonb_array_elements(v_rows) r
      JOIN doma_panda.pandadb_files f ON f.scope = r ->> 'scope' AND f.lfn = r ->> 'lfn'
     WHERE (r ? 'guid' AND r ->> 'guid' IS DISTINCT FROM f.guid)
        OR (r ->> 'fsize' IS NOT NULL AND (r ->> 'fsize')::bigint IS DISTINCT FROM f.fsize)
        OR (r ->> 'checksum' IS NOT NULL AND r ->> 'checksum' IS DISTINCT FROM f.checksum)
        OR (r ->> 'nevents' IS NOT NULL AND (r ->> 'nevents')::bigint IS DISTINCT FROM f.nevents)
     ORDER BY 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'p_files: %:% is registered with % %', v_bad.scope, v_bad.lfn, v_bad.what, v_bad.detail
            USING ERRCODE = 'PD002';
    END IF;

    SELECT coalesce(max(f.fileorder), 0) INTO v_next FROM doma_panda.pandadb_dataset_files f WHERE f.datasetname = v_name;
    INSERT INTO doma_panda.pandadb_dataset_files (datasetname, scope, lfn, fileorder, creationtime)
    SELECT v_name, n.scope, n.lfn, v_next + row_number() OVER (ORDER BY n.idx), v_now
      FROM (SELECT DISTINCT ON (r ->> 'scope', r ->> 'lfn') r ->> 'scope' AS scope, r ->> 'lfn' AS lfn, (r ->> 'idx')::bigint AS idx
              FROM jsonb_array_elements(v_rows) r
             ORDER BY r ->> 'scope', r ->> 'lfn', (r ->> 'idx')::bigint) n
     WHERE NOT EXISTS (SELECT 1 FROM doma_panda.pandadb_dataset_files f
                        WHERE f.datasetname = v_name AND f.scope = n.scope AND f.lfn = n.lfn);
    INSERT INTO doma_panda.pandadb_file_replicas (scope, lfn, site, creationtime)
    SELECT DISTINCT r ->> 'scope', r ->> 'lfn', v_site, v_now FROM jsonb_array_elements(v_rows) r
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_replicas_added = ROW_COUNT;

    UPDATE doma_panda.pandadb_datasets d
       SET state = coalesce(p_state, d.state),
           modificationtime = CASE WHEN v_files_added + v_replicas_added > 0 OR p_state IS DISTINCT FROM d.state
                                   THEN v_now ELSE d.modificationtime END
     WHERE d.datasetname = v_name
    RETURNING d.state INTO v_state;
    RETURN jsonb_build_object('dataset', v_name, 'scope', v_scope, 'site', v_site, 'state', v_state,
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
