-- The PanDA monitor's status_summary API (seed 003): for each active PanDA queue, the number of jobs in
-- each job status. A queue is active when it has jobs in jobsdefined4, jobswaiting4, jobsactive4 or
-- jobsarchived4 whose modificationtime is in the window (default: the last 12 hours up to
-- doma_panda.panda_now(), so tests pin it with SET pandadb.clock). The queue's properties come from its
-- doma_panda.schedconfig_json document. services/status_summary.py serves it as GET /status_summary/.
-- Invalid parameters raise SQLSTATE 'PD002' with a message that starts with the parameter's name.

-- status_summary: job counts per job status of each active PanDA queue, filtered by job and queue
-- properties; one statement over the four job tables (read only, STABLE: one snapshot).
--   p_filters  the GET parameters, a JSON object of name -> value. A value is text (a number is taken as
--              its text, an array of texts/numbers as their comma-joined text); JSON null or an empty
--              value counts as a missing parameter. Other names are ignored (warnings.unknownparameter).
--     nhours         whole number of hours >= 1: the window is [panda_now() - nhours, panda_now()];
--                    it has priority: with nhours, starttime and endtime are ignored (warnings.ignoredparameter)
--     starttime      YYYY-MM-DDTHH:MM:SS (UTC), start of the window (inclusive); alone: up to panda_now()
--     endtime        YYYY-MM-DDTHH:MM:SS (UTC), end of the window (inclusive); alone: from 12 hours before it
--     Job properties (columns of the job tables):
--     mcp_cloud      the jobs' cloud (the cloud the task was submitted to)
--     computingsite  the jobs' computingsite (the PanDA queue)
--     jobstatus      the jobs' jobstatus
--     Queue properties (members of schedconfig_json.data):
--     corecount      'corecount' (whole numbers; no wildcard)
--     cloud          'cloud' (the topology cloud of the queue)
--     atlas_site     'atlas_site' ('gstat' when the document has no 'atlas_site')
--     status         'status' (online, offline, test, brokeroff, ...)
--   Filter values: a comma-separated list. 'v' keeps rows whose field is v; '*' in v is a wildcard (any
--   characters; not for corecount); '-v' leaves out rows whose field is v (rows where the field is NULL
--   are kept, as Django's exclude); 'NULL' keeps rows where the field is NULL, '-NULL' leaves them out.
--   The kept values are OR-ed, the left-out ones AND-ed: 'cloud=CERN*,-CERN-PROD,NULL' is
--   (cloud LIKE 'CERN%' OR cloud IS NULL) AND cloud IS DISTINCT FROM 'CERN-PROD'. Matching is case-sensitive.
-- Returns {"query", "nrecords", "data", "warnings", "errors"}: the response of seed 003 without
-- GET_parameters and timestamp (the service adds them):
--   query     the filters applied, Django QuerySet style: "JOBS INCLUDE: modificationtime__range":
--             [start, end], "JOBS INCLUDE: cloud__in": [...], "SCHEDCONFIG EXCLUDE: status__in": [...],
--             "...__wildcard": [patterns as given], "...__isnull": true ('NULL'; under EXCLUDE: '-NULL')
--   nrecords  the number of rows of data
--   data      one row per (computingsite, mcp_cloud), ordered by them: computingsite, mcp_cloud,
--             atlas_site, cloud, corecount (the queue's; null when the queue has no schedconfig_json row
--             or no such member) and one count per job status of seed 003's example: pending, defined,
--             waiting, assigned, throttled, activated, sent, starting, running, holding, merging,
--             transferring, finished, failed, cancelled. Jobs in another status (closed) are not counted.
--   warnings  missingoptionalparameter: 'Missing optional GET parameter <name>. ' for each of nhours,
--             starttime, endtime, mcp_cloud, computingsite, jobstatus, corecount, cloud, atlas_site, status
--             not given; unknownparameter, ignoredparameter as above. No key when there is nothing to say.
--   errors    {"lookup": "Job for this query has not been found. "} when data is empty, else {}
-- Errors (SQLSTATE PD002): parameters not a JSON object, a value that is an object or boolean, nhours
-- not a whole number >= 1, starttime/endtime not YYYY-MM-DDTHH:MM:SS or not a real date, endtime before
-- starttime, a corecount that is not a whole number, a '-' with nothing after it.
-- Plan: the window is a range condition on modificationtime of each job table (jobsactive4_modtime_idx;
-- jobsarchived4 is partitioned by modificationtime, so only the window's partitions are read), the job
-- filters are pushed into each table's scan; the statement is built per call with the values as
-- literals (format %L), so each call is planned with its own values.
CREATE OR REPLACE FUNCTION doma_panda.status_summary(p_filters jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    c_parameters CONSTANT text[] := ARRAY['nhours', 'starttime', 'endtime', 'mcp_cloud', 'computingsite', 'jobstatus',
                                          'corecount', 'cloud', 'atlas_site', 'status'];
    c_filters CONSTANT text[] := ARRAY['mcp_cloud', 'computingsite', 'jobstatus', 'corecount', 'cloud', 'atlas_site',
                                       'status'];
    c_statuses CONSTANT text[] := ARRAY['pending', 'defined', 'waiting', 'assigned', 'throttled', 'activated', 'sent',
                                        'starting', 'running', 'holding', 'merging', 'transferring', 'finished',
                                        'failed', 'cancelled'];
    c_default_hours CONSTANT integer := 12;
    v_filters jsonb := coalesce(p_filters, '{}'::jsonb);
    v_params jsonb := '{}'::jsonb;  -- name -> non-empty text value of each known parameter given
    v_key text;
    v_value jsonb;
    v_text text;
    v_now timestamp without time zone := date_trunc('second', doma_panda.panda_now());
    v_start timestamp without time zone;
    v_end timestamp without time zone;
    v_time timestamp without time zone;
    v_unknown text := '';
    v_missing text := '';
    v_ignored text := '';
    -- one filter
    v_filter text;
    v_column text;
    v_type text;
    v_scope text;
    v_field text;
    v_item text;
    v_negated boolean;
    v_in text[];
    v_in_like text[];
    v_in_wildcards text[];
    v_in_null boolean;
    v_ex text[];
    v_ex_like text[];
    v_ex_wildcards text[];
    v_ex_null boolean;
    v_keep text[];
    v_leave_out text[];
    v_job_where text := '';
    v_queue_where text := '';
    -- the answer
    v_query jsonb;
    v_warnings jsonb := '{}'::jsonb;
    v_errors jsonb := '{}'::jsonb;
    v_nrecords integer;
    v_data jsonb;
BEGIN
    IF jsonb_typeof(v_filters) <> 'object' THEN
        RAISE EXCEPTION 'parameters: status_summary takes its GET parameters as a JSON object of names to values, got a JSON %',
            jsonb_typeof(v_filters) USING ERRCODE = 'PD002';
    END IF;

    -- the known parameters as text; unknown ones are reported and ignored
    FOR v_key, v_value IN SELECT e.key, e.value FROM jsonb_each(v_filters) AS e LOOP
        IF NOT v_key = ANY (c_parameters) THEN
            v_unknown := v_unknown || format('Unknown GET parameter %s is ignored. ', v_key);
            CONTINUE;
        END IF;
        IF jsonb_typeof(v_value) IN ('object', 'boolean')
           OR (jsonb_typeof(v_value) = 'array' AND EXISTS (
                   SELECT 1 FROM jsonb_array_elements(v_value) AS element
                    WHERE jsonb_typeof(element) NOT IN ('string', 'number'))) THEN
            RAISE EXCEPTION '%: give a text value (a comma-separated list for several values), got %',
                v_key, v_value::text USING ERRCODE = 'PD002';
        END IF;
        v_text := CASE jsonb_typeof(v_value)
                      WHEN 'array' THEN (SELECT string_agg(element #>> '{}', ',' ORDER BY n)
                                           FROM jsonb_array_elements(v_value) WITH ORDINALITY AS a(element, n))
                      ELSE v_value #>> '{}' END;
        IF btrim(coalesce(v_text, '')) <> '' THEN
            v_params := v_params || jsonb_build_object(v_key, btrim(v_text));
        END IF;
    END LOOP;

    -- the window: nhours, else starttime/endtime, else the last 12 hours
    IF v_params ? 'nhours' THEN
        v_text := v_params ->> 'nhours';
        IF v_text !~ '^[0-9]{1,7}$' OR ltrim(v_text, '0') = '' THEN  -- not digits, or zero
            RAISE EXCEPTION 'nhours: must be a whole number of hours (1 or more), got %', quote_literal(v_text)
                USING ERRCODE = 'PD002';
        END IF;
        v_start := v_now - make_interval(hours => v_text::integer);
        v_end := v_now;
        FOREACH v_key IN ARRAY ARRAY['starttime', 'endtime'] LOOP
            IF v_params ? v_key THEN
                v_ignored := v_ignored || format('GET parameter %s is ignored: nhours has priority. ', v_key);
            END IF;
        END LOOP;
    ELSE
        FOREACH v_key IN ARRAY ARRAY['starttime', 'endtime'] LOOP
            CONTINUE WHEN NOT v_params ? v_key;
            v_text := v_params ->> v_key;
            v_time := NULL;
            IF v_text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$' THEN
                BEGIN
                    v_time := replace(v_text, 'T', ' ')::timestamp without time zone;
                EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
                    v_time := NULL;  -- e.g. 2024-02-30
                END;
            END IF;
            IF v_time IS NULL THEN
                RAISE EXCEPTION '%: must be a date and time written YYYY-MM-DDTHH:MM:SS (UTC), got %',
                    v_key, quote_literal(v_text) USING ERRCODE = 'PD002';
            END IF;
            IF v_key = 'starttime' THEN
                v_start := v_time;
            ELSE
                v_end := v_time;
            END IF;
        END LOOP;
        v_end := coalesce(v_end, v_now);
        v_start := coalesce(v_start, v_end - make_interval(hours => c_default_hours));
        IF v_end < v_start THEN
            RAISE EXCEPTION 'endtime: % is before starttime %', to_char(v_end, 'YYYY-MM-DD"T"HH24:MI:SS'),
                to_char(v_start, 'YYYY-MM-DD"T"HH24:MI:SS') USING ERRCODE = 'PD002';
        END IF;
    END IF;
    v_query := jsonb_build_object('JOBS INCLUDE: modificationtime__range',
                                  jsonb_build_array(to_char(v_start, 'YYYY-MM-DD"T"HH24:MI:SS'),
                                                    to_char(v_end, 'YYYY-MM-DD"T"HH24:MI:SS')));

    -- the filters: a condition on the job tables' columns or on the queue's schedconfig members
    FOREACH v_filter IN ARRAY c_filters LOOP
        CONTINUE WHEN NOT v_params ? v_filter;
        v_scope := CASE WHEN v_filter IN ('mcp_cloud', 'computingsite', 'jobstatus') THEN 'JOBS' ELSE 'SCHEDCONFIG' END;
        v_field := CASE v_filter WHEN 'mcp_cloud' THEN 'cloud' ELSE v_filter END;
        v_column := CASE v_scope WHEN 'JOBS' THEN v_field ELSE 'q.' || v_field END;
        v_type := CASE v_filter WHEN 'corecount' THEN 'integer' ELSE 'text' END;
        v_in := '{}'; v_in_like := '{}'; v_in_wildcards := '{}'; v_in_null := false;
        v_ex := '{}'; v_ex_like := '{}'; v_ex_wildcards := '{}'; v_ex_null := false;
        FOREACH v_item IN ARRAY string_to_array(v_params ->> v_filter, ',') LOOP
            v_item := btrim(v_item);
            CONTINUE WHEN v_item = '';
            v_negated := left(v_item, 1) = '-';
            IF v_negated THEN
                v_item := btrim(substr(v_item, 2));
                IF v_item = '' THEN
                    RAISE EXCEPTION '%: a ''-'' must be followed by the value to leave out, got %', v_filter,
                        quote_literal(v_params ->> v_filter) USING ERRCODE = 'PD002';
                END IF;
            END IF;
            IF v_item = 'NULL' THEN
                IF v_negated THEN v_ex_null := true; ELSE v_in_null := true; END IF;
            ELSIF v_type = 'integer' AND v_item !~ '^[0-9]{1,9}$' THEN
                RAISE EXCEPTION 'corecount: % is not a whole number: give N, -N, NULL or -NULL, comma-separated',
                    quote_literal(v_item) USING ERRCODE = 'PD002';
            ELSIF strpos(v_item, '*') > 0 THEN
                -- '*' is LIKE's '%'; LIKE's own special characters are escaped (backslash is LIKE's escape)
                v_text := replace(replace(replace(replace(v_item, '\', '\\'), '%', '\%'), '_', '\_'), '*', '%');
                IF v_negated THEN
                    v_ex_like := v_ex_like || v_text; v_ex_wildcards := v_ex_wildcards || v_item;
                ELSE
                    v_in_like := v_in_like || v_text; v_in_wildcards := v_in_wildcards || v_item;
                END IF;
            ELSIF v_negated THEN
                v_ex := v_ex || v_item;
            ELSE
                v_in := v_in || v_item;
            END IF;
        END LOOP;

        v_keep := '{}';
        v_leave_out := '{}';
        IF cardinality(v_in) > 0 THEN
            v_keep := v_keep || format('%s = ANY (%L::%s[])', v_column, v_in, v_type);
            v_query := v_query || jsonb_build_object(v_scope || ' INCLUDE: ' || v_field || '__in',
                CASE v_type WHEN 'integer' THEN to_jsonb(v_in::integer[]) ELSE to_jsonb(v_in) END);
        END IF;
        IF cardinality(v_in_like) > 0 THEN
            v_keep := v_keep || format('%s LIKE ANY (%L::text[])', v_column, v_in_like);
            v_query := v_query || jsonb_build_object(v_scope || ' INCLUDE: ' || v_field || '__wildcard', to_jsonb(v_in_wildcards));
        END IF;
        IF v_in_null THEN
            v_keep := v_keep || format('%s IS NULL', v_column);
            v_query := v_query || jsonb_build_object(v_scope || ' INCLUDE: ' || v_field || '__isnull', true);
        END IF;
        IF cardinality(v_ex) > 0 THEN
            v_leave_out := v_leave_out || format('(%1$s IS NULL OR NOT %1$s = ANY (%2$L::%3$s[]))', v_column, v_ex, v_type);
            v_query := v_query || jsonb_build_object(v_scope || ' EXCLUDE: ' || v_field || '__in',
                CASE v_type WHEN 'integer' THEN to_jsonb(v_ex::integer[]) ELSE to_jsonb(v_ex) END);
        END IF;
        IF cardinality(v_ex_like) > 0 THEN
            v_leave_out := v_leave_out || format('(%1$s IS NULL OR NOT %1$s LIKE ANY (%2$L::text[]))', v_column, v_ex_like);
            v_query := v_query || jsonb_build_object(v_scope || ' EXCLUDE: ' || v_field || '__wildcard', to_jsonb(v_ex_wildcards));
        END IF;
        IF v_ex_null THEN
            v_leave_out := v_leave_out || format('%s IS NOT NULL', v_column);
            v_query := v_query || jsonb_build_object(v_scope || ' EXCLUDE: ' || v_field || '__isnull', true);
        END IF;
        IF cardinality(v_keep) > 0 THEN
            v_leave_out := v_leave_out || ('(' || array_to_string(v_keep, ' OR ') || ')');
        END IF;
        IF cardinality(v_leave_out) > 0 THEN
            IF v_scope = 'JOBS' THEN
                v_job_where := v_job_where || ' AND ' || array_to_string(v_leave_out, ' AND ');
            ELSE
                v_queue_where := v_queue_where || ' AND ' || array_to_string(v_leave_out, ' AND ');
            END IF;
        END IF;
    END LOOP;

    EXECUTE format($sql$
        WITH jobs AS (
            SELECT computingsite, cloud, jobstatus FROM doma_panda.jobsdefined4
             WHERE modificationtime BETWEEN $1 AND $2 AND jobstatus = ANY ($3)%1$s
            UNION ALL
            SELECT computingsite, cloud, jobstatus FROM doma_panda.jobswaiting4
             WHERE modificationtime BETWEEN $1 AND $2 AND jobstatus = ANY ($3)%1$s
            UNION ALL
            SELECT computingsite, cloud, jobstatus FROM doma_panda.jobsactive4
             WHERE modificationtime BETWEEN $1 AND $2 AND jobstatus = ANY ($3)%1$s
            UNION ALL
            SELECT computingsite, cloud, jobstatus FROM doma_panda.jobsarchived4
             WHERE modificationtime BETWEEN $1 AND $2 AND jobstatus = ANY ($3)%1$s
        ),
        queues AS (
            SELECT sc.panda_queue,
                   sc.data ->> 'cloud' AS cloud,
                   coalesce(sc.data ->> 'atlas_site', sc.data ->> 'gstat') AS atlas_site,
                   CASE WHEN sc.data ->> 'corecount' ~ '^\s*[0-9]{1,9}\s*$'
                        THEN btrim(sc.data ->> 'corecount')::integer END AS corecount,
                   sc.data ->> 'status' AS status
              FROM doma_panda.schedconfig_json sc
        ),
        summary AS (
            SELECT j.computingsite, j.cloud AS mcp_cloud, q.atlas_site, q.cloud, q.corecount,
                   count(*) FILTER (WHERE j.jobstatus = 'pending') AS pending,
                   count(*) FILTER (WHERE j.jobstatus = 'defined') AS defined,
                   count(*) FILTER (WHERE j.jobstatus = 'waiting') AS waiting,
                   count(*) FILTER (WHERE j.jobstatus = 'assigned') AS assigned,
                   count(*) FILTER (WHERE j.jobstatus = 'throttled') AS throttled,
                   count(*) FILTER (WHERE j.jobstatus = 'activated') AS activated,
                   count(*) FILTER (WHERE j.jobstatus = 'sent') AS sent,
                   count(*) FILTER (WHERE j.jobstatus = 'starting') AS starting,
                   count(*) FILTER (WHERE j.jobstatus = 'running') AS running,
                   count(*) FILTER (WHERE j.jobstatus = 'holding') AS holding,
                   count(*) FILTER (WHERE j.jobstatus = 'merging') AS merging,
                   count(*) FILTER (WHERE j.jobstatus = 'transferring') AS transferring,
                   count(*) FILTER (WHERE j.jobstatus = 'finished') AS finished,
                   count(*) FILTER (WHERE j.jobstatus = 'failed') AS failed,
                   count(*) FILTER (WHERE j.jobstatus = 'cancelled') AS cancelled
              FROM jobs j
              LEFT JOIN queues q ON q.panda_queue = j.computingsite
             WHERE true%2$s
             GROUP BY j.computingsite, j.cloud, q.atlas_site, q.cloud, q.corecount
        )
        SELECT count(*)::integer,
               coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.computingsite NULLS LAST, s.mcp_cloud NULLS LAST), '[]'::jsonb)
          FROM summary s
    $sql$, v_job_where, v_queue_where)
    INTO v_nrecords, v_data
    USING v_start, v_end, c_statuses;

    FOREACH v_key IN ARRAY c_parameters LOOP
        IF NOT v_params ? v_key THEN
            v_missing := v_missing || format('Missing optional GET parameter %s. ', v_key);
        END IF;
    END LOOP;
    IF v_missing <> '' THEN
        v_warnings := v_warnings || jsonb_build_object('missingoptionalparameter', v_missing);
    END IF;
    IF v_unknown <> '' THEN
        v_warnings := v_warnings || jsonb_build_object('unknownparameter', v_unknown);
    END IF;
    IF v_ignored <> '' THEN
        v_warnings := v_warnings || jsonb_build_object('ignoredparameter', v_ignored);
    END IF;
    IF v_nrecords = 0 THEN
        v_errors := jsonb_build_object('lookup', 'Job for this query has not been found. ');
    END IF;
    RETURN jsonb_build_object('query', v_query, 'nrecords', v_nrecords, 'data', v_data,
                              'warnings', v_warnings, 'errors', v_errors);
END;
$$;
