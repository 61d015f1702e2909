-- PL/SQL twin of procedures/postgres/status_summary.sql: the PanDA monitor's status_summary API
-- (seed 003), the number of jobs per job status of each active PanDA queue. Same name, parameter,
-- rules, messages and answer as the PL/pgSQL function (see its comments for the full description).
-- Written without an Oracle server at hand: checked by tests/test_oracle_procedures_twin.py at the text level
-- only, never compiled or run. Needs Oracle 12.2+ (JSON_OBJECT_T, JSON_VALUE).
-- Errors: PostgreSQL's SQLSTATE PD001 is RAISE_APPLICATION_ERROR(-20001, <same message>) in the
-- twins; this file raises no PD001. Invalid parameters:
--   PD002 -> -20002 (invalid parameter), with the same message as the PL/pgSQL function.
-- Differences forced by Oracle, none visible in the answer:
--   * p_filters is JSON text (CLOB) and the answer a CLOB holding the JSON object (jsonb in PostgreSQL);
--     text that is not JSON fails with Oracle's own JSON error (ORA-40441);
--   * the filter values are written into the statement as quoted literals and IN lists (PostgreSQL:
--     = ANY (array literal)); the window is bound (:s1/:e1 ...) once per job table;
--   * '' is NULL in Oracle: an empty value is a missing parameter on both sides anyway;
--   * the queue's members are read with JSON_VALUE (SCHEDCONFIG_JSON.DATA is a CLOB).
-- Each PL/SQL unit ends with a line holding only '/' (SQL*Plus and the offline migration script).

-- status_summary: job counts per job status of each active PanDA queue, filtered by job and queue
-- properties; one query over the four job tables (reads only: callable from a SELECT).
--   p_filters  the GET parameters, a JSON object of name -> value: nhours, starttime, endtime (the window
--              of MODIFICATIONTIME; default the last 12 hours up to PANDA_NOW()), mcp_cloud,
--              computingsite, jobstatus (job properties), corecount, cloud, atlas_site, status (members of
--              the queue's SCHEDCONFIG_JSON.DATA). Comma-separated values, '*' wildcard, '-value'
--              negation, 'NULL' / '-NULL'.
-- Returns the JSON object {"query", "nrecords", "data", "warnings", "errors"}.
CREATE OR REPLACE FUNCTION ATLAS_PANDA.STATUS_SUMMARY(p_filters IN CLOB)
RETURN CLOB
AS
    TYPE text_list IS TABLE OF VARCHAR2(4000);
    TYPE text_by_name IS TABLE OF VARCHAR2(32767) INDEX BY VARCHAR2(30);
    TYPE summary_row IS RECORD (
        computingsite VARCHAR2(128), mcp_cloud VARCHAR2(50), atlas_site VARCHAR2(4000), cloud VARCHAR2(4000),
        corecount NUMBER, pending NUMBER, defined NUMBER, waiting NUMBER, assigned NUMBER, throttled NUMBER,
        activated NUMBER, sent NUMBER, starting NUMBER, running NUMBER, holding NUMBER, merging NUMBER,
        transferring NUMBER, finished NUMBER, failed NUMBER, cancelled NUMBER);

    c_parameters CONSTANT text_list := text_list('nhours', 'starttime', 'endtime', 'mcp_cloud', 'computingsite',
                                                 'jobstatus', 'corecount', 'cloud', 'atlas_site', 'status');
    c_filters CONSTANT text_list := text_list('mcp_cloud', 'computingsite', 'jobstatus', 'corecount', 'cloud',
                                              'atlas_site', 'status');
    c_statuses CONSTANT text_list := text_list('pending', 'defined', 'waiting', 'assigned', 'throttled', 'activated',
                                               'sent', 'starting', 'running', 'holding', 'merging', 'transferring',
                                               'finished', 'failed', 'cancelled');
    c_default_hours CONSTANT PLS_INTEGER := 12;
    c_time_pattern CONSTANT VARCHAR2(100) :=
        '^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$';

    v_element   JSON_ELEMENT_T;
    v_filters   JSON_OBJECT_T;
    v_keys      SYS.ODCIVARCHAR2LIST;
    v_key       VARCHAR2(4000);
    v_value     JSON_ELEMENT_T;
    v_array     JSON_ARRAY_T;
    v_bad       BOOLEAN;
    v_params    text_by_name;  -- name -> non-empty text value of each known parameter given
    v_text      VARCHAR2(32767);
    v_now       DATE := ATLAS_PANDA.PANDA_NOW();
    v_start     DATE;
    v_end       DATE;
    v_time      DATE;
    v_unknown   VARCHAR2(32767);
    v_missing   VARCHAR2(32767);
    v_ignored   VARCHAR2(32767);
    -- one filter
    v_filter    VARCHAR2(30);
    v_column    VARCHAR2(100);
    v_scope     VARCHAR2(30);
    v_field     VARCHAR2(30);
    v_numeric   BOOLEAN;
    v_item      VARCHAR2(32767);
    v_position  PLS_INTEGER;
    v_comma     PLS_INTEGER;
    v_negated   BOOLEAN;
    -- the items kept (in) and left out (ex): the SQL IN list ('a', 'b'; numbers as they are: corecount
    -- values are checked digits) and the LIKE terms (column LIKE 'p1' ESCAPE '\' OR ...: PostgreSQL's
    -- LIKE ANY (array)), with the same values as JSON arrays for "query" (numbers for corecount)
    v_in_sql    VARCHAR2(32767);
    v_in_values JSON_ARRAY_T;
    v_in_like   VARCHAR2(32767);
    v_in_wild   JSON_ARRAY_T;
    v_in_null   BOOLEAN;
    v_ex_sql    VARCHAR2(32767);
    v_ex_values JSON_ARRAY_T;
    v_ex_like   VARCHAR2(32767);
    v_ex_wild   JSON_ARRAY_T;
    v_ex_null   BOOLEAN;
    v_keep      VARCHAR2(32767);
    v_leave_out VARCHAR2(32767);
    v_job_where   VARCHAR2(32767);
    v_queue_where VARCHAR2(32767);
    v_statuses  VARCHAR2(4000);
    v_jobs_sql  VARCHAR2(32767);
    v_sql       VARCHAR2(32767);
    -- the answer
    v_cursor    SYS_REFCURSOR;
    v_row       summary_row;
    v_entry     JSON_OBJECT_T;
    v_data      JSON_ARRAY_T := JSON_ARRAY_T();
    v_nrecords  PLS_INTEGER := 0;
    v_query     JSON_OBJECT_T := JSON_OBJECT_T();
    v_warnings  JSON_OBJECT_T := JSON_OBJECT_T();
    v_errors    JSON_OBJECT_T := JSON_OBJECT_T();
    v_result    JSON_OBJECT_T := JSON_OBJECT_T();
BEGIN
    v_element := JSON_ELEMENT_T.parse(NVL(p_filters, TO_CLOB('{}')));
    IF NOT v_element.is_object() THEN
        RAISE_APPLICATION_ERROR(-20002,
            'parameters: status_summary takes its GET parameters as a JSON object of names to values, got a JSON '
            || ATLAS_PANDA.PANDADB_SUPPORT.element_type(v_element));
    END IF;
    v_filters := TREAT(v_element AS JSON_OBJECT_T);

    -- the known parameters as text; unknown ones are reported and ignored (in jsonb_each's key order)
    SELECT COLUMN_VALUE BULK COLLECT INTO v_keys
      FROM TABLE(ATLAS_PANDA.PANDADB_SUPPORT.sorted_keys(v_filters))
     ORDER BY LENGTHB(COLUMN_VALUE), NLSSORT(COLUMN_VALUE, 'NLS_SORT=BINARY');
    FOR k IN 1 .. v_keys.COUNT LOOP
        v_key := v_keys(k);
        IF v_key NOT MEMBER OF c_parameters THEN
            v_unknown := v_unknown || 'Unknown GET parameter ' || v_key || ' is ignored. ';
            CONTINUE;
        END IF;
        v_value := v_filters.get(v_key);
        v_bad := v_value.is_object() OR v_value.is_boolean();
        IF v_value.is_array() THEN
            v_array := TREAT(v_value AS JSON_ARRAY_T);
            FOR i IN 0 .. v_array.get_size() - 1 LOOP
                v_bad := v_bad OR NOT (v_array.get(i).is_string() OR v_array.get(i).is_number());
            END LOOP;
        END IF;
        IF v_bad THEN
            RAISE_APPLICATION_ERROR(-20002, v_key
                || ': give a text value (a comma-separated list for several values), got ' || v_value.to_string());
        END IF;
        IF v_value.is_array() THEN
            v_text := NULL;
            FOR i IN 0 .. v_array.get_size() - 1 LOOP
                v_text := v_text || CASE WHEN i > 0 THEN ',' END
                          || ATLAS_PANDA.PANDADB_SUPPORT.element_text(v_array.get(i));
            END LOOP;
        ELSE
            v_text := ATLAS_PANDA.PANDADB_SUPPORT.element_text(v_value);
        END IF;
        IF TRIM(v_text) IS NOT NULL THEN
            v_params(v_key) := TRIM(v_text);
        END IF;
    END LOOP;

    -- the window: nhours, else starttime/endtime, else the last 12 hours
    IF v_params.EXISTS('nhours') THEN
        v_text := v_params('nhours');
        IF NOT REGEXP_LIKE(v_text, '^[0-9]{1,7}$') OR TO_NUMBER(v_text) < 1 THEN
            RAISE_APPLICATION_ERROR(-20002,
                'nhours: must be a whole number of hours (1 or more), got ' || ATLAS_PANDA.PANDADB_SUPPORT.quote_literal(v_text));
        END IF;
        v_start := v_now - NUMTODSINTERVAL(TO_NUMBER(v_text), 'HOUR');
        v_end := v_now;
        FOR k IN 2 .. 3 LOOP  -- starttime, endtime
            IF v_params.EXISTS(c_parameters(k)) THEN
                v_ignored := v_ignored || 'GET parameter ' || c_parameters(k) || ' is ignored: nhours has priority. ';
            END IF;
        END LOOP;
    ELSE
        FOR k IN 2 .. 3 LOOP  -- starttime, endtime
            v_key := c_parameters(k);
            CONTINUE WHEN NOT v_params.EXISTS(v_key);
            v_text := v_params(v_key);
            v_time := NULL;
            IF REGEXP_LIKE(v_text, c_time_pattern) THEN
                BEGIN
                    v_time := TO_DATE(REPLACE(v_text, 'T', ' '), 'FXYYYY-MM-DD HH24:MI:SS');
                EXCEPTION
                    WHEN OTHERS THEN
                        IF SQLCODE BETWEEN -1899 AND -1800 THEN  -- ORA-018xx: not a date, e.g. 2024-02-30
                            v_time := NULL;
                        ELSE
                            RAISE;
                        END IF;
                END;
            END IF;
            IF v_time IS NULL THEN
                RAISE_APPLICATION_ERROR(-20002, v_key
                    || ': must be a date and time written YYYY-MM-DDTHH:MM:SS (UTC), got ' || ATLAS_PANDA.PANDADB_SUPPORT.quote_literal(v_text));
            END IF;
            IF v_key = 'starttime' THEN
                v_start := v_time;
            ELSE
                v_end := v_time;
            END IF;
        END LOOP;
        v_end := NVL(v_end, v_now);
        v_start := NVL(v_start, v_end - NUMTODSINTERVAL(c_default_hours, 'HOUR'));
        IF v_end < v_start THEN
            RAISE_APPLICATION_ERROR(-20002, 'endtime: ' || ATLAS_PANDA.PANDADB_SUPPORT.date_text(v_end)
                || ' is before starttime ' || ATLAS_PANDA.PANDADB_SUPPORT.date_text(v_start));
        END IF;
    END IF;
    v_array := JSON_ARRAY_T();
    v_array.append(ATLAS_PANDA.PANDADB_SUPPORT.date_text(v_start));
    v_array.append(ATLAS_PANDA.PANDADB_SUPPORT.date_text(v_end));
    v_query.put('JOBS INCLUDE: modificationtime__range', v_array);

    -- the filters: a condition on the job tables' columns or on the queue's SCHEDCONFIG_JSON members
    FOR f IN 1 .. c_filters.COUNT LOOP
        v_filter := c_filters(f);
        CONTINUE WHEN NOT v_params.EXISTS(v_filter);
        v_scope := CASE WHEN v_filter IN ('mcp_cloud', 'computingsite', 'jobstatus') THEN 'JOBS' ELSE 'SCHEDCONFIG' END;
        v_field := CASE v_filter WHEN 'mcp_cloud' THEN 'cloud' ELSE v_filter END;
        v_column := CASE v_scope WHEN 'JOBS' THEN UPPER(v_field) ELSE 'q.' || UPPER(v_field) END;
        v_numeric := v_filter = 'corecount';
        v_in_sql := NULL; v_in_values := JSON_ARRAY_T(); v_in_like := NULL; v_in_wild := JSON_ARRAY_T(); v_in_null := FALSE;
        v_ex_sql := NULL; v_ex_values := JSON_ARRAY_T(); v_ex_like := NULL; v_ex_wild := JSON_ARRAY_T(); v_ex_null := FALSE;
        v_position := 1;
        LOOP  -- the comma-separated items
            v_comma := INSTR(v_params(v_filter), ',', v_position);
            v_item := TRIM(CASE WHEN v_comma = 0 THEN SUBSTR(v_params(v_filter), v_position)
                                ELSE SUBSTR(v_params(v_filter), v_position, v_comma - v_position) END);
            v_position := v_comma + 1;
            IF v_item IS NOT NULL THEN
                v_negated := SUBSTR(v_item, 1, 1) = '-';
                IF v_negated THEN
                    v_item := TRIM(SUBSTR(v_item, 2));
                    IF v_item IS NULL THEN
                        RAISE_APPLICATION_ERROR(-20002, v_filter
                            || ': a ''-'' must be followed by the value to leave out, got ' || ATLAS_PANDA.PANDADB_SUPPORT.quote_literal(v_params(v_filter)));
                    END IF;
                END IF;
                IF v_item = 'NULL' THEN
                    IF v_negated THEN v_ex_null := TRUE; ELSE v_in_null := TRUE; END IF;
                ELSIF v_numeric AND NOT REGEXP_LIKE(v_item, '^[0-9]{1,9}$') THEN
                    RAISE_APPLICATION_ERROR(-20002, 'corecount: ' || ATLAS_PANDA.PANDADB_SUPPORT.quote_literal(v_item)
                        || ' is not a whole number: give N, -N, NULL or -NULL, comma-separated');
                ELSIF INSTR(v_item, '*') > 0 THEN
                    -- '*' is LIKE's '%'; LIKE's own special characters are escaped with '\'
                    v_text := REPLACE(REPLACE(REPLACE(REPLACE(v_item, '\', '\\'), '%', '\%'), '_', '\_'), '*', '%');
                    v_text := v_column || ' LIKE ''' || REPLACE(v_text, '''', '''''') || ''' ESCAPE ''\''';
                    IF v_negated THEN
                        v_ex_like := v_ex_like || CASE WHEN v_ex_like IS NOT NULL THEN ' OR ' END || v_text;
                        v_ex_wild.append(v_item);
                    ELSE
                        v_in_like := v_in_like || CASE WHEN v_in_like IS NOT NULL THEN ' OR ' END || v_text;
                        v_in_wild.append(v_item);
                    END IF;
                ELSE
                    v_text := CASE WHEN v_numeric THEN TO_CHAR(TO_NUMBER(v_item))
                                   ELSE '''' || REPLACE(v_item, '''', '''''') || '''' END;
                    IF v_negated THEN
                        v_ex_sql := v_ex_sql || CASE WHEN v_ex_sql IS NOT NULL THEN ', ' END || v_text;
                    ELSE
                        v_in_sql := v_in_sql || CASE WHEN v_in_sql IS NOT NULL THEN ', ' END || v_text;
                    END IF;
                    IF v_negated AND v_numeric THEN
                        v_ex_values.append(TO_NUMBER(v_item));
                    ELSIF v_negated THEN
                        v_ex_values.append(v_item);
                    ELSIF v_numeric THEN
                        v_in_values.append(TO_NUMBER(v_item));
                    ELSE
                        v_in_values.append(v_item);
                    END IF;
                END IF;
            END IF;
            EXIT WHEN v_comma = 0;
        END LOOP;

        -- the item conditions: kept items joined by OR, left-out ones by AND
        v_keep := NULL;
        v_leave_out := NULL;
        IF v_in_sql IS NOT NULL THEN
            v_keep := v_column || ' IN (' || v_in_sql || ')';
            v_query.put(v_scope || ' INCLUDE: ' || v_field || '__in', v_in_values);
        END IF;
        IF v_in_like IS NOT NULL THEN
            v_keep := v_keep || CASE WHEN v_keep IS NOT NULL THEN ' OR ' END || '(' || v_in_like || ')';
            v_query.put(v_scope || ' INCLUDE: ' || v_field || '__wildcard', v_in_wild);
        END IF;
        IF v_in_null THEN
            v_keep := v_keep || CASE WHEN v_keep IS NOT NULL THEN ' OR ' END || v_column || ' IS NULL';
            v_query.put(v_scope || ' INCLUDE: ' || v_field || '__isnull', TRUE);
        END IF;
        IF v_ex_sql IS NOT NULL THEN
            v_leave_out := '(' || v_column || ' IS NULL OR ' || v_column || ' NOT IN (' || v_ex_sql || '))';
            v_query.put(v_scope || ' EXCLUDE: ' || v_field || '__in', v_ex_values);
        END IF;
        IF v_ex_like IS NOT NULL THEN
            v_leave_out := v_leave_out || CASE WHEN v_leave_out IS NOT NULL THEN ' AND ' END
                           || '(' || v_column || ' IS NULL OR NOT (' || v_ex_like || '))';
            v_query.put(v_scope || ' EXCLUDE: ' || v_field || '__wildcard', v_ex_wild);
        END IF;
        IF v_ex_null THEN
            v_leave_out := v_leave_out || CASE WHEN v_leave_out IS NOT NULL THEN ' AND ' END || v_column || ' IS NOT NULL';
            v_query.put(v_scope || ' EXCLUDE: ' || v_field || '__isnull', TRUE);
        END IF;
        IF v_keep IS NOT NULL THEN
            v_leave_out := v_leave_out || CASE WHEN v_leave_out IS NOT NULL THEN ' AND ' END || '(' || v_keep || ')';
        END IF;
        IF v_leave_out IS NOT NULL THEN
            IF v_scope = 'JOBS' THEN
                v_job_where := v_job_where || ' AND ' || v_leave_out;
            ELSE
                v_queue_where := v_queue_where || ' AND ' || v_leave_out;
            END IF;
        END IF;
    END LOOP;

    FOR s IN 1 .. c_statuses.COUNT LOOP
        v_statuses := v_statuses || CASE WHEN s > 1 THEN ', ' END || '''' || c_statuses(s) || '''';
    END LOOP;
    FOR t IN 1 .. 4 LOOP
        v_jobs_sql := v_jobs_sql || CASE WHEN t > 1 THEN ' UNION ALL ' END
            || 'SELECT COMPUTINGSITE, CLOUD, JOBSTATUS FROM ATLAS_PANDA.'
            || CASE t WHEN 1 THEN 'JOBSDEFINED4' WHEN 2 THEN 'JOBSWAITING4' WHEN 3 THEN 'JOBSACTIVE4' ELSE 'JOBSARCHIVED4' END
            || ' WHERE MODIFICATIONTIME BETWEEN :s' || t || ' AND :e' || t
            || ' AND JOBSTATUS IN (' || v_statuses || ')' || v_job_where;
    END LOOP;
    v_sql := 'WITH jobs AS (' || v_jobs_sql || '), '
        || 'queues AS (SELECT sc.PANDA_QUEUE, '
        || 'JSON_VALUE(sc.DATA, ''$.cloud'') AS CLOUD, '
        || 'NVL(JSON_VALUE(sc.DATA, ''$.atlas_site''), JSON_VALUE(sc.DATA, ''$.gstat'')) AS ATLAS_SITE, '
        || 'CASE WHEN REGEXP_LIKE(JSON_VALUE(sc.DATA, ''$.corecount''), ''^\s*[0-9]{1,9}\s*$'') '
        || 'THEN TO_NUMBER(TRIM(JSON_VALUE(sc.DATA, ''$.corecount''))) END AS CORECOUNT, '
        || 'JSON_VALUE(sc.DATA, ''$.status'') AS STATUS '
        || 'FROM ATLAS_PANDA.SCHEDCONFIG_JSON sc) '
        || 'SELECT j.COMPUTINGSITE, j.CLOUD, q.ATLAS_SITE, q.CLOUD, q.CORECOUNT';
    FOR s IN 1 .. c_statuses.COUNT LOOP
        v_sql := v_sql || ', SUM(CASE WHEN j.JOBSTATUS = ''' || c_statuses(s) || ''' THEN 1 ELSE 0 END)';
    END LOOP;
    v_sql := v_sql
        || ' FROM jobs j LEFT JOIN queues q ON q.PANDA_QUEUE = j.COMPUTINGSITE WHERE 1 = 1' || v_queue_where
        || ' GROUP BY j.COMPUTINGSITE, j.CLOUD, q.ATLAS_SITE, q.CLOUD, q.CORECOUNT'
        || ' ORDER BY j.COMPUTINGSITE NULLS LAST, j.CLOUD NULLS LAST';

    OPEN v_cursor FOR v_sql USING v_start, v_end, v_start, v_end, v_start, v_end, v_start, v_end;
    LOOP
        FETCH v_cursor INTO v_row;
        EXIT WHEN v_cursor%NOTFOUND;
        v_entry := JSON_OBJECT_T();
        -- NULL as JSON null
        IF v_row.computingsite IS NULL THEN
            v_entry.put_null('computingsite');
        ELSE
            v_entry.put('computingsite', v_row.computingsite);
        END IF;
        IF v_row.mcp_cloud IS NULL THEN
            v_entry.put_null('mcp_cloud');
        ELSE
            v_entry.put('mcp_cloud', v_row.mcp_cloud);
        END IF;
        IF v_row.atlas_site IS NULL THEN
            v_entry.put_null('atlas_site');
        ELSE
            v_entry.put('atlas_site', v_row.atlas_site);
        END IF;
        IF v_row.cloud IS NULL THEN
            v_entry.put_null('cloud');
        ELSE
            v_entry.put('cloud', v_row.cloud);
        END IF;
        IF v_row.corecount IS NULL THEN
            v_entry.put_null('corecount');
        ELSE
            v_entry.put('corecount', v_row.corecount);
        END IF;
        v_entry.put('pending', v_row.pending);
        v_entry.put('defined', v_row.defined);
        v_entry.put('waiting', v_row.waiting);
        v_entry.put('assigned', v_row.assigned);
        v_entry.put('throttled', v_row.throttled);
        v_entry.put('activated', v_row.activated);
        v_entry.put('sent', v_row.sent);
        v_entry.put('starting', v_row.starting);
        v_entry.put('running', v_row.running);
        v_entry.put('holding', v_row.holding);
        v_entry.put('merging', v_row.merging);
        v_entry.put('transferring', v_row.transferring);
        v_entry.put('finished', v_row.finished);
        v_entry.put('failed', v_row.failed);
        v_entry.put('cancelled', v_row.cancelled);
        v_data.append(v_entry);
        v_nrecords := v_nrecords + 1;
    END LOOP;
    CLOSE v_cursor;

    FOR k IN 1 .. c_parameters.COUNT LOOP
        IF NOT v_params.EXISTS(c_parameters(k)) THEN
            v_missing := v_missing || 'Missing optional GET parameter ' || c_parameters(k) || '. ';
        END IF;
    END LOOP;
    IF v_missing IS NOT NULL THEN
        v_warnings.put('missingoptionalparameter', v_missing);
    END IF;
    IF v_unknown IS NOT NULL THEN
        v_warnings.put('unknownparameter', v_unknown);
    END IF;
    IF v_ignored IS NOT NULL THEN
        v_warnings.put('ignoredparameter', v_ignored);
    END IF;
    IF v_nrecords = 0 THEN
        v_errors.put('lookup', 'Job for this query has not been found. ');
    END IF;
    v_result.put('query', v_query);
    v_result.put('nrecords', v_nrecords);
    v_result.put('data', v_data);
    v_result.put('warnings', v_warnings);
    v_result.put('errors', v_errors);
    RETURN v_result.to_clob();
END STATUS_SUMMARY;
/
