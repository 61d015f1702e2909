-- Searching jobs and reading their history (the job search and status log a peer WMS offers, seed 002
-- DiracX jobs/search; served as REST job/search and job/get_status_history), and the metadata of a
-- task's analysis jobs (REST job/get_metadata_for_analysis_jobs).
--
-- A search runs over the live job tables (jobsdefined4, jobswaiting4, jobsactive4, jobsarchived4) and,
-- on request, the archive (doma_pandaarch.jobsarchived). Each filter is pushed into every table's branch
-- of one UNION ALL, so the planner uses that table's indexes (pandaid, jeditaskid, computingsite +
-- jobstatus, produsername + jobstatus, modificationtime, ...); sort and paging apply to the union.
-- Who sees what: a caller of the API sees the jobs of its VO (vo column), all of them with the production
-- role, else its own (produsername); a trusted caller (psql, p_requester_vo NULL) sees every job.
--
-- PostgreSQL only: the PL/SQL twin comes with the Oracle issue
-- Errors: SQLSTATE PD002 (bad input, naming the parameter), PD003 (unknown job), PD005 (not your job).

-- job_search_operators: the filter operators of search_jobs and their SQL (%1$s the column, %2$s the value).
CREATE OR REPLACE FUNCTION doma_panda.job_search_operators()
RETURNS TABLE (operator text, takes_list boolean, sql_template text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('eq', false, '%1$s = %2$s'), ('neq', false, '%1$s IS DISTINCT FROM %2$s'),
           ('gt', false, '%1$s > %2$s'), ('ge', false, '%1$s >= %2$s'), ('lt', false, '%1$s < %2$s'),
           ('le', false, '%1$s <= %2$s'), ('like', false, '%1$s::text LIKE %2$s'),
           ('not like', false, '%1$s::text NOT LIKE %2$s'), ('in', true, '%1$s = ANY (%2$s)'),
           ('not in', true, 'NOT (%1$s = ANY (%2$s))'), ('is null', false, '%1$s IS NULL'),
           ('is not null', false, '%1$s IS NOT NULL');
$$;

-- job_visibility: the SQL condition (on alias j) of the jobs a caller may see, see the file header.
--   p_requester      the caller's user name
--   p_requester_vo   the caller's VO; NULL: a trusted caller who sees every job
--   p_is_production  the caller has the production role
CREATE OR REPLACE FUNCTION doma_panda.job_visibility(p_requester text, p_requester_vo text, p_is_production boolean)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_requester_vo IS NULL THEN 'true'
                WHEN coalesce(p_is_production, false) THEN format('j.vo = %L', p_requester_vo)
                ELSE format('j.vo = %L AND j.produsername = %L', p_requester_vo, coalesce(p_requester, '')) END;
$$;

-- search_jobs: jobs matching filters, with the chosen fields, sorted and paged. Returns {"total": number of
-- matching jobs, "page", "per_page", "jobs": [{field: value}, ...]}.
--   p_query  {"search": [{"parameter": column, "operator": eq|neq|gt|ge|lt|le|like|not like|in|not in|
--                          is null|is not null, "value": v | "values": [v, ...]}, ...]  (all must hold),
--             "parameters": [column, ...]  (the fields returned; default every job column),
--             "sort": [{"parameter": column, "direction": "asc"|"desc"}, ...]  (default pandaid asc),
--             "page": n >= 1 (default 1), "per_page": 1..10000 (default 100),
--             "include_archive": true to search doma_pandaarch.jobsarchived too (default false)}
--            Columns are job-table column names, case-insensitive (JobSpec spellings work).
--   p_requester, p_requester_vo, p_is_production  the caller (job_visibility)
CREATE OR REPLACE FUNCTION doma_panda.search_jobs(p_query jsonb, p_requester text DEFAULT NULL,
                                                  p_requester_vo text DEFAULT NULL, p_is_production boolean DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_query jsonb := coalesce(p_query, '{}'::jsonb);
    v_columns text[] := doma_panda.job_table_columns('jobsarchived4');
    v_filter jsonb;
    v_index bigint;
    v_column text;
    v_type text;
    v_operator record;
    v_value text;
    v_conditions text[] := ARRAY[doma_panda.job_visibility(p_requester, p_requester_vo, p_is_production)];
    v_fields text[];
    v_order text[] := '{}';
    v_page bigint;
    v_per_page bigint;
    v_tables text[] := ARRAY['doma_panda.jobsdefined4', 'doma_panda.jobswaiting4', 'doma_panda.jobsactive4',
                             'doma_panda.jobsarchived4'];
    v_union text;
    v_sort_only text[];
    v_where text;
    v_total bigint;
    v_jobs jsonb;
BEGIN
    IF jsonb_typeof(v_query) <> 'object' THEN
        RAISE EXCEPTION 'query must be a JSON object (search, parameters, sort, page, per_page, include_archive)'
            USING ERRCODE = 'PD002';
    END IF;
    IF v_query ? 'search' AND jsonb_typeof(v_query -> 'search') <> 'array' THEN
        RAISE EXCEPTION 'search must be a list of {parameter, operator, value} filters' USING ERRCODE = 'PD002';
    END IF;
    FOR v_filter, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(coalesce(v_query -> 'search', '[]')) WITH ORDINALITY e LOOP
        IF jsonb_typeof(v_filter) <> 'object' OR jsonb_typeof(v_filter -> 'parameter') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'search[%] must be an object with a parameter (a job column)', v_index - 1 USING ERRCODE = 'PD002';
        END IF;
        v_column := lower(v_filter ->> 'parameter');
        IF v_column <> ALL (v_columns) THEN
            RAISE EXCEPTION 'search[%]: % is not a job column', v_index - 1, v_filter ->> 'parameter' USING ERRCODE = 'PD002';
        END IF;
        SELECT o.* INTO v_operator FROM doma_panda.job_search_operators() o WHERE o.operator = lower(coalesce(v_filter ->> 'operator', 'eq'));
        IF NOT FOUND THEN
            RAISE EXCEPTION 'search[%]: operator % is not one of eq, neq, gt, ge, lt, le, like, not like, in, not in, is null, is not null',
                v_index - 1, v_filter ->> 'operator' USING ERRCODE = 'PD002';
        END IF;
        SELECT format_type(a.atttypid, a.atttypmod) INTO v_type FROM pg_attribute a
         WHERE a.attrelid = 'doma_panda.jobsarchived4'::regclass AND a.attname = v_column;
        IF v_operator.operator IN ('is null', 'is not null') THEN
            v_value := NULL;
        ELSIF v_operator.takes_list THEN
            IF jsonb_typeof(v_filter -> 'values') IS DISTINCT FROM 'array'
               OR EXISTS (SELECT 1 FROM jsonb_array_elements(v_filter -> 'values') x WHERE jsonb_typeof(x) NOT IN ('string', 'number')) THEN
                RAISE EXCEPTION 'search[%]: operator % needs values, a list of texts or numbers', v_index - 1, v_operator.operator
                    USING ERRCODE = 'PD002';
            END IF;
            SELECT format('%L::%s[]', coalesce(array_agg(x #>> '{}'), '{}')::text, v_type) INTO v_value
              FROM jsonb_array_elements(v_filter -> 'values') x;
        ELSE
            IF jsonb_typeof(v_filter -> 'value') NOT IN ('string', 'number', 'boolean') OR NOT v_filter ? 'value' THEN
                RAISE EXCEPTION 'search[%]: operator % needs a value, a text or a number', v_index - 1, v_operator.operator
                    USING ERRCODE = 'PD002';
            END IF;
            v_value := format('%L::%s', v_filter ->> 'value', CASE WHEN v_operator.operator LIKE '%like' THEN 'text' ELSE v_type END);
        END IF;
        v_conditions := v_conditions || format(v_operator.sql_template, format('j.%I', v_column), v_value);
    END LOOP;

    IF v_query ? 'parameters' THEN
        IF jsonb_typeof(v_query -> 'parameters') <> 'array' OR jsonb_array_length(v_query -> 'parameters') = 0 THEN
            RAISE EXCEPTION 'parameters must be a non-empty list of job columns' USING ERRCODE = 'PD002';
        END IF;
        SELECT array_agg(lower(x #>> '{}') ORDER BY o) INTO v_fields FROM jsonb_array_elements(v_query -> 'parameters') WITH ORDINALITY p(x, o);
        SELECT string_agg(f, ', ') INTO v_column FROM unnest(v_fields) f WHERE f IS NULL OR f <> ALL (v_columns);
        IF v_column IS NOT NULL OR array_position(v_fields, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'parameters: % are no job columns', coalesce(v_column, 'null') USING ERRCODE = 'PD002';
        END IF;
    ELSE
        v_fields := v_columns;
    END IF;

    IF v_query ? 'sort' AND jsonb_typeof(v_query -> 'sort') <> 'array' THEN
        RAISE EXCEPTION 'sort must be a list of {parameter, direction}' USING ERRCODE = 'PD002';
    END IF;
    FOR v_filter, v_index IN SELECT e.value, e.ordinality FROM jsonb_array_elements(coalesce(v_query -> 'sort', '[]')) WITH ORDINALITY e LOOP
        v_column := lower(v_filter ->> 'parameter');
        IF jsonb_typeof(v_filter) <> 'object' OR v_column IS NULL OR v_column <> ALL (v_columns)
           OR lower(coalesce(v_filter ->> 'direction', 'asc')) NOT IN ('asc', 'desc') THEN
            RAISE EXCEPTION 'sort[%] must be {"parameter": <job column>, "direction": "asc" or "desc"}', v_index - 1
                USING ERRCODE = 'PD002';
        END IF;
        v_order := v_order || format('%I %s', v_column, lower(coalesce(v_filter ->> 'direction', 'asc')));
    END LOOP;
    v_order := v_order || 'pandaid'::text;

    IF (v_query ? 'page' AND (jsonb_typeof(v_query -> 'page') <> 'number' OR (v_query ->> 'page')::numeric < 1
                               OR (v_query ->> 'page')::numeric <> trunc((v_query ->> 'page')::numeric)
                               OR (v_query ->> 'page')::numeric > 1000000000)) THEN
        RAISE EXCEPTION 'page must be a whole number >= 1' USING ERRCODE = 'PD002';
    END IF;
    IF (v_query ? 'per_page' AND (jsonb_typeof(v_query -> 'per_page') <> 'number' OR (v_query ->> 'per_page')::numeric < 1
                                   OR (v_query ->> 'per_page')::numeric > 10000
                                   OR (v_query ->> 'per_page')::numeric <> trunc((v_query ->> 'per_page')::numeric))) THEN
        RAISE EXCEPTION 'per_page must be a whole number from 1 to 10000' USING ERRCODE = 'PD002';
    END IF;
    IF v_query ? 'include_archive' AND jsonb_typeof(v_query -> 'include_archive') <> 'boolean' THEN
        RAISE EXCEPTION 'include_archive must be true or false' USING ERRCODE = 'PD002';
    END IF;
    v_page := coalesce((v_query ->> 'page')::bigint, 1);
    v_per_page := coalesce((v_query ->> 'per_page')::bigint, 100);
    IF coalesce((v_query ->> 'include_archive')::boolean, false) THEN
        v_tables := v_tables || 'doma_pandaarch.jobsarchived'::text;
    END IF;

    v_where := array_to_string(v_conditions, ' AND ');
    -- the sort columns that are not fields are selected too, and dropped from the answer
    SELECT ARRAY(SELECT DISTINCT split_part(replace(o, '"', ''), ' ', 1) FROM unnest(v_order) o
                  WHERE split_part(replace(o, '"', ''), ' ', 1) <> ALL (v_fields))
      INTO v_sort_only;
    SELECT string_agg(format('SELECT %s FROM %s j WHERE %s',
                             (SELECT string_agg(format('j.%I', c), ', ') FROM unnest(v_fields || v_sort_only) c),
                             t, v_where), ' UNION ALL ')
      INTO v_union
      FROM unnest(v_tables) t;
    BEGIN
        EXECUTE format('SELECT count(*) FROM (%s) x', v_union) INTO v_total;
        EXECUTE format('SELECT coalesce(jsonb_agg(r.doc ORDER BY r.n), ''[]''::jsonb) FROM ('
                       '  SELECT row_number() OVER (ORDER BY %s) AS n, to_jsonb(x) - %L::text[] AS doc FROM (%s) x'
                       '  ORDER BY %s LIMIT %s OFFSET %s) r',
                       array_to_string(v_order, ', '), v_sort_only, v_union, array_to_string(v_order, ', '), v_per_page,
                       (v_page - 1) * v_per_page)
           INTO v_jobs;
    EXCEPTION WHEN invalid_text_representation OR invalid_datetime_format OR datetime_field_overflow
                   OR numeric_value_out_of_range OR invalid_parameter_value OR string_data_right_truncation THEN
        RAISE EXCEPTION 'search: a value does not fit its column: %', SQLERRM USING ERRCODE = 'PD002';
    END;
    RETURN jsonb_build_object('total', v_total, 'page', v_page, 'per_page', v_per_page, 'jobs', v_jobs);
END;
$$;

-- get_job_status_history: a job's transitions from jobs_statuslog (index jobs_statuslog_pandaid_idx), in
-- order: [{"status", "time", "computingsite", "cloud", "prodsourcelabel", "host"}, ...]. Unknown job
-- (in no job table, live or archived): PD003; a job the caller may not see (job_visibility): PD005.
--   p_pandaid                                      the PandaID
--   p_requester, p_requester_vo, p_is_production  the caller (job_visibility)
CREATE OR REPLACE FUNCTION doma_panda.get_job_status_history(p_pandaid bigint, p_requester text DEFAULT NULL,
                                                             p_requester_vo text DEFAULT NULL,
                                                             p_is_production boolean DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_found boolean;
    v_visible boolean;
BEGIN
    IF p_pandaid IS NULL THEN
        RAISE EXCEPTION 'job_id is required' USING ERRCODE = 'PD002';
    END IF;
    EXECUTE format('SELECT bool_or(%s) FROM ('
                   ' SELECT vo, produsername FROM doma_panda.jobsdefined4 WHERE pandaid = $1'
                   ' UNION ALL SELECT vo, produsername FROM doma_panda.jobswaiting4 WHERE pandaid = $1'
                   ' UNION ALL SELECT vo, produsername FROM doma_panda.jobsactive4 WHERE pandaid = $1'
                   ' UNION ALL SELECT vo, produsername FROM doma_panda.jobsarchived4 WHERE pandaid = $1'
                   ' UNION ALL SELECT vo, produsername FROM doma_pandaarch.jobsarchived WHERE pandaid = $1) j',
                   doma_panda.job_visibility(p_requester, p_requester_vo, p_is_production))
       INTO v_visible USING p_pandaid;
    v_found := v_visible IS NOT NULL;
    IF NOT v_found THEN
        RAISE EXCEPTION 'job % not found', p_pandaid USING ERRCODE = 'PD003';
    END IF;
    IF NOT v_visible THEN
        RAISE EXCEPTION 'job % is not yours: you see the jobs of your VO that you submitted (all of them with the production role)',
            p_pandaid USING ERRCODE = 'PD005';
    END IF;
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'status', s.jobstatus, 'time', coalesce(s.modiftime_extended, s.modificationtime),
                       'computingsite', s.computingsite, 'cloud', s.cloud, 'prodsourcelabel', s.prodsourcelabel,
                       'host', s.modificationhost)
                   ORDER BY coalesce(s.modiftime_extended, s.modificationtime), s.modificationtime), '[]'::jsonb)
              FROM doma_panda.jobs_statuslog s WHERE s.pandaid = p_pandaid);
END;
$$;

-- get_metadata_for_analysis_jobs: the metadata (metatable, archive included) of the finished analysis jobs
-- (prodSourceLabel user or panda) of a task, as PanDA's getUserJobMetadata: {"<PandaID>": metadata}, the
-- metadata parsed when it is JSON, else its text; {} when there is none.
--   p_task_id  the JEDI task ID
CREATE OR REPLACE FUNCTION doma_panda.get_metadata_for_analysis_jobs(p_task_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_result jsonb := '{}'::jsonb;
    v_row record;
BEGIN
    IF p_task_id IS NULL THEN
        RAISE EXCEPTION 'task_id is required' USING ERRCODE = 'PD002';
    END IF;
    FOR v_row IN
        SELECT j.pandaid, m.metadata FROM doma_panda.jobsarchived4 j
          JOIN doma_panda.metatable m ON m.pandaid = j.pandaid
         WHERE j.jeditaskid = p_task_id AND j.jobstatus = 'finished' AND j.prodsourcelabel IN ('user', 'panda')
        UNION ALL
        SELECT j.pandaid, m.metadata FROM doma_pandaarch.jobsarchived j
          JOIN doma_pandaarch.metatable_arch m ON m.pandaid = j.pandaid
         WHERE j.jeditaskid = p_task_id AND j.jobstatus = 'finished' AND j.prodsourcelabel IN ('user', 'panda')
    LOOP
        BEGIN
            v_result := v_result || jsonb_build_object(v_row.pandaid::text, v_row.metadata::jsonb);
        EXCEPTION WHEN invalid_text_representation THEN
            v_result := v_result || jsonb_build_object(v_row.pandaid::text, v_row.metadata);
        END;
    END LOOP;
    RETURN v_result;
END;
$$;
