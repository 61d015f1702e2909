-- ATLAS_PANDA.PANDADB_SUPPORT: the Oracle-only plumbing every PL/SQL twin shares. Loaded first (00_ sorts
-- before every area file), so the twins compile against it.
-- Oracle only: PANDADB_SUPPORT is not the twin of a PostgreSQL routine; it holds what PostgreSQL has built
-- in and Oracle has not, under names the twins call (so that every PostgreSQL routine keeps exactly one
-- Oracle twin of the same name and no other routine is added):
--   * the session settings that stand for GUCs: CLOCK (pandadb.clock, read by PANDA_NOW in clock.sql),
--     ARCHIVE_TEST_FAILURE (pandadb.archive_test_failure, tests only);
--   * jsonb operators on JSON_OBJECT_T (->>, jsonb_typeof, ||, jsonb_strip_nulls);
--   * the row <-> JSON plumbing of to_jsonb(row) and jsonb_populate_record: a table's columns and types
--     from ALL_TAB_COLUMNS, the JSON_OBJECT(...) expression of a row (lower-case keys, dates as
--     'YYYY-MM-DD"T"HH24:MI:SS', what to_jsonb gives), typed DBMS_SQL binds of JSON values;
--   * advisory locks (pg_try_advisory_xact_lock, pg_advisory_lock, ...) as DBMS_LOCK user locks named
--     after the PostgreSQL key text: they need EXECUTE on DBMS_LOCK and SELECT on V$LOCK and
--     SYS.DBMS_LOCK_ALLOCATED (granted by the DBA to ATLAS_PANDA).
-- Written without an Oracle server at hand (none on the development machine): checked by
-- tests/test_oracle_procedures_twin.py at the text level only, never compiled or run. Needs Oracle 12.2+.
-- Each PL/SQL unit ends with a line holding only '/' (SQL*Plus and the offline migration script).

CREATE OR REPLACE PACKAGE ATLAS_PANDA.PANDADB_SUPPORT AUTHID DEFINER AS
    -- pandadb.clock: NULL = the real UTC time (see the file header)
    clock DATE;
    -- pandadb.archive_test_failure: 'mid_copy', 'after_copy', 'before_drop' or NULL (tests only)
    archive_test_failure VARCHAR2(30);

    -- pin the clock ('YYYY-MM-DD HH24:MI:SS' or ISO 'YYYY-MM-DD"T"HH24:MI:SS'); NULL or '' unpins it
    PROCEDURE set_clock(p_clock IN VARCHAR2);

    -- PostgreSQL's coalesce(quote_literal(p_text), 'NULL')
    FUNCTION quote_literal(p_text IN VARCHAR2) RETURN VARCHAR2;
    -- a DATE as to_jsonb writes a timestamp: 'YYYY-MM-DD"T"HH24:MI:SS'
    FUNCTION date_text(p_value IN DATE) RETURN VARCHAR2;
    -- text as PostgreSQL casts it to timestamp: ISO 'YYYY-MM-DD"T"HH24:MI:SS' or with a space, optional
    -- fraction of a second (dropped: DATE has whole seconds), or a bare date; ORA-01841/01861 otherwise
    FUNCTION to_date_value(p_text IN VARCHAR2) RETURN DATE;

    -- jsonb_typeof(p_element): 'object', 'array', 'string', 'number', 'boolean', 'null'; NULL for NULL
    FUNCTION element_type(p_element IN JSON_ELEMENT_T) RETURN VARCHAR2;
    -- jsonb_typeof(p_object -> p_key): NULL when the member is absent
    FUNCTION member_type(p_object IN JSON_OBJECT_T, p_key IN VARCHAR2) RETURN VARCHAR2;
    -- p_element #>> '{}': a string as it is, JSON null as NULL, anything else as its JSON text
    FUNCTION element_text(p_element IN JSON_ELEMENT_T) RETURN VARCHAR2;
    -- p_object ->> p_key
    FUNCTION member_text(p_object IN JSON_OBJECT_T, p_key IN VARCHAR2) RETURN VARCHAR2;
    -- a JSON number's text ('1.5', '1e3') as NUMBER whatever the session's NLS_NUMERIC_CHARACTERS
    FUNCTION to_number_text(p_text IN VARCHAR2) RETURN NUMBER;
    -- p_object ->> p_key as a number (NULL when absent, JSON null or not a number)
    FUNCTION member_number(p_object IN JSON_OBJECT_T, p_key IN VARCHAR2) RETURN NUMBER;
    -- put a string member that PostgreSQL writes as coalesce(p_value, ''): Oracle's '' is NULL, so the
    -- empty JSON string is put explicitly when p_value is NULL
    PROCEDURE put_string(p_object IN OUT NOCOPY JSON_OBJECT_T, p_key IN VARCHAR2, p_value IN CLOB);
    -- p_target := p_target || p_source (every top-level member of p_source replaces p_target's)
    PROCEDURE merge_members(p_target IN OUT NOCOPY JSON_OBJECT_T, p_source IN JSON_OBJECT_T);
    -- p_object without its JSON null members (jsonb_strip_nulls on the top level)
    FUNCTION without_nulls(p_object IN JSON_OBJECT_T) RETURN JSON_OBJECT_T;
    -- p_object with lower-case keys, JSON null members dropped (the keys of a request are case-insensitive)
    FUNCTION lower_keys(p_object IN JSON_OBJECT_T) RETURN JSON_OBJECT_T;
    -- the keys of p_object that are not in p_allowed, sorted, ', ' separated; NULL when none
    FUNCTION unknown_keys(p_object IN JSON_OBJECT_T, p_allowed IN SYS.ODCIVARCHAR2LIST) RETURN VARCHAR2;
    -- p_object with the keys p_keys removed (jsonb - text[])
    FUNCTION without_keys(p_object IN JSON_OBJECT_T, p_keys IN SYS.ODCIVARCHAR2LIST) RETURN JSON_OBJECT_T;
    -- the keys of p_object in sorted order (jsonb_each's order)
    FUNCTION sorted_keys(p_object IN JSON_OBJECT_T) RETURN SYS.ODCIVARCHAR2LIST;
    -- an element of a JSON array as a JSON object (NULL when it is not an object)
    FUNCTION array_object(p_array IN JSON_ARRAY_T, p_index IN PLS_INTEGER) RETURN JSON_OBJECT_T;

    -- the column names of a table, lower case, in column order (empty when the table does not exist)
    FUNCTION column_names(p_owner IN VARCHAR2, p_table IN VARCHAR2) RETURN SYS.ODCIVARCHAR2LIST;
    -- a column's type as written in the DDL ('NUMBER(10)', 'VARCHAR2(64)', 'DATE', 'CLOB', ...); NULL if none
    FUNCTION column_type(p_owner IN VARCHAR2, p_table IN VARCHAR2, p_column IN VARCHAR2) RETURN VARCHAR2;
    -- whether a JSON value can be stored in a column of that type (the cast jsonb_populate_record makes)
    FUNCTION value_fits(p_type IN VARCHAR2, p_value IN JSON_ELEMENT_T) RETURN BOOLEAN;
    -- the select-list expression of to_jsonb(<p_alias>) for a row of the table, as a CLOB JSON object
    FUNCTION row_json_sql(p_owner IN VARCHAR2, p_table IN VARCHAR2, p_alias IN VARCHAR2) RETURN VARCHAR2;
    -- bind a JSON value to a DBMS_SQL cursor as the column type wants it (NUMBER, DATE, CLOB, VARCHAR2)
    PROCEDURE bind_value(p_cursor IN INTEGER, p_name IN VARCHAR2, p_type IN VARCHAR2, p_value IN JSON_ELEMENT_T);

    -- advisory locks: DBMS_LOCK user locks named p_name (the text of the PostgreSQL key)
    -- pg_try_advisory_xact_lock: true when taken (released at COMMIT/ROLLBACK) or already held
    FUNCTION try_xact_lock(p_name IN VARCHAR2) RETURN BOOLEAN;
    -- pg_advisory_xact_lock: wait for it
    PROCEDURE xact_lock(p_name IN VARCHAR2);
    -- pg_try_advisory_lock: a session lock, kept across COMMIT until session_unlock or the session ends
    FUNCTION try_session_lock(p_name IN VARCHAR2) RETURN BOOLEAN;
    -- pg_advisory_lock: wait for a session lock
    PROCEDURE session_lock(p_name IN VARCHAR2);
    -- pg_advisory_unlock
    PROCEDURE session_unlock(p_name IN VARCHAR2);
    -- the lock's number (SYS.DBMS_LOCK_ALLOCATED.LOCKID; ID1 of its V$LOCK rows)
    FUNCTION lock_id(p_name IN VARCHAR2) RETURN NUMBER;
    -- whether another session holds the lock numbered p_lock_id
    FUNCTION lock_is_held_elsewhere(p_lock_id IN NUMBER) RETURN BOOLEAN;
END PANDADB_SUPPORT;
/

CREATE OR REPLACE PACKAGE BODY ATLAS_PANDA.PANDADB_SUPPORT AS
    TYPE text_by_name IS TABLE OF VARCHAR2(32767) INDEX BY VARCHAR2(300);
    g_row_json_sql text_by_name;  -- cache of row_json_sql per owner.table
    g_types text_by_name;         -- cache of column_type per owner.table.column

    PROCEDURE set_clock(p_clock IN VARCHAR2) IS
    BEGIN
        clock := CASE WHEN TRIM(p_clock) IS NULL THEN NULL ELSE to_date_value(p_clock) END;
    END set_clock;

    FUNCTION quote_literal(p_text IN VARCHAR2) RETURN VARCHAR2 IS
    BEGIN
        IF p_text IS NULL THEN
            RETURN 'NULL';
        ELSIF INSTR(p_text, '\') > 0 THEN
            RETURN 'E''' || REPLACE(REPLACE(p_text, '\', '\\'), '''', '''''') || '''';
        END IF;
        RETURN '''' || REPLACE(p_text, '''', '''''') || '''';
    END quote_literal;

    FUNCTION date_text(p_value IN DATE) RETURN VARCHAR2 IS
    BEGIN
        RETURN TO_CHAR(p_value, 'YYYY-MM-DD"T"HH24:MI:SS');
    END date_text;

    FUNCTION to_date_value(p_text IN VARCHAR2) RETURN DATE IS
        v_text VARCHAR2(100) := TRIM(REPLACE(p_text, 'T', ' '));
    BEGIN
        IF p_text IS NULL THEN
            RETURN NULL;
        END IF;
        v_text := REGEXP_REPLACE(v_text, '\.[0-9]*$', '');  -- fraction of a second
        IF REGEXP_LIKE(v_text, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') THEN
            RETURN TO_DATE(v_text, 'YYYY-MM-DD');
        END IF;
        RETURN TO_DATE(v_text, 'FXYYYY-MM-DD HH24:MI:SS');
    END to_date_value;

    FUNCTION element_type(p_element IN JSON_ELEMENT_T) RETURN VARCHAR2 IS
    BEGIN
        IF p_element IS NULL THEN
            RETURN NULL;
        ELSIF p_element.is_object() THEN
            RETURN 'object';
        ELSIF p_element.is_array() THEN
            RETURN 'array';
        ELSIF p_element.is_string() THEN
            RETURN 'string';
        ELSIF p_element.is_number() THEN
            RETURN 'number';
        ELSIF p_element.is_boolean() THEN
            RETURN 'boolean';
        END IF;
        RETURN 'null';
    END element_type;

    FUNCTION member_type(p_object IN JSON_OBJECT_T, p_key IN VARCHAR2) RETURN VARCHAR2 IS
    BEGIN
        IF p_object IS NULL OR NOT p_object.has(p_key) THEN
            RETURN NULL;
        END IF;
        RETURN element_type(p_object.get(p_key));
    END member_type;

    FUNCTION element_text(p_element IN JSON_ELEMENT_T) RETURN VARCHAR2 IS
        v_text VARCHAR2(32767);
    BEGIN
        IF p_element IS NULL OR p_element.is_null() THEN
            RETURN NULL;
        END IF;
        v_text := p_element.to_string();
        IF p_element.is_string() THEN
            -- the JSON string without its quotes and escapes
            v_text := JSON_OBJECT_T('{"v":' || v_text || '}').get_string('v');
        END IF;
        RETURN v_text;
    END element_text;

    FUNCTION member_text(p_object IN JSON_OBJECT_T, p_key IN VARCHAR2) RETURN VARCHAR2 IS
    BEGIN
        IF p_object IS NULL OR NOT p_object.has(p_key) THEN
            RETURN NULL;
        END IF;
        RETURN element_text(p_object.get(p_key));
    END member_text;

    FUNCTION to_number_text(p_text IN VARCHAR2) RETURN NUMBER IS
    BEGIN
        -- the session's decimal character is the second of TO_CHAR(0.5, 'FM0D0')
        RETURN TO_NUMBER(REPLACE(TRIM(p_text), '.', SUBSTR(TO_CHAR(0.5, 'FM0D0'), 2, 1)));
    END to_number_text;

    FUNCTION member_number(p_object IN JSON_OBJECT_T, p_key IN VARCHAR2) RETURN NUMBER IS
    BEGIN
        IF member_type(p_object, p_key) = 'number' THEN
            RETURN p_object.get_number(p_key);
        END IF;
        RETURN to_number_text(member_text(p_object, p_key));
    EXCEPTION
        WHEN VALUE_ERROR OR INVALID_NUMBER THEN
            RETURN NULL;
    END member_number;

    PROCEDURE put_string(p_object IN OUT NOCOPY JSON_OBJECT_T, p_key IN VARCHAR2, p_value IN CLOB) IS
    BEGIN
        IF p_value IS NULL OR DBMS_LOB.GETLENGTH(p_value) = 0 THEN
            p_object.put(p_key, JSON_ELEMENT_T.parse('""'));
        ELSE
            p_object.put(p_key, p_value);
        END IF;
    END put_string;

    PROCEDURE merge_members(p_target IN OUT NOCOPY JSON_OBJECT_T, p_source IN JSON_OBJECT_T) IS
        v_keys JSON_KEY_LIST;
    BEGIN
        IF p_source IS NULL THEN
            RETURN;
        END IF;
        v_keys := p_source.get_keys();
        IF v_keys IS NOT NULL THEN
            FOR i IN 1 .. v_keys.COUNT LOOP
                p_target.put(v_keys(i), p_source.get(v_keys(i)));
            END LOOP;
        END IF;
    END merge_members;

    FUNCTION without_nulls(p_object IN JSON_OBJECT_T) RETURN JSON_OBJECT_T IS
        v_result JSON_OBJECT_T := JSON_OBJECT_T();
        v_keys JSON_KEY_LIST := p_object.get_keys();
    BEGIN
        IF v_keys IS NOT NULL THEN
            FOR i IN 1 .. v_keys.COUNT LOOP
                IF NOT p_object.get(v_keys(i)).is_null() THEN
                    v_result.put(v_keys(i), p_object.get(v_keys(i)));
                END IF;
            END LOOP;
        END IF;
        RETURN v_result;
    END without_nulls;

    FUNCTION lower_keys(p_object IN JSON_OBJECT_T) RETURN JSON_OBJECT_T IS
        v_result JSON_OBJECT_T := JSON_OBJECT_T();
        v_keys JSON_KEY_LIST := p_object.get_keys();
    BEGIN
        IF v_keys IS NOT NULL THEN
            FOR i IN 1 .. v_keys.COUNT LOOP
                IF NOT p_object.get(v_keys(i)).is_null() THEN
                    v_result.put(LOWER(v_keys(i)), p_object.get(v_keys(i)));
                END IF;
            END LOOP;
        END IF;
        RETURN v_result;
    END lower_keys;

    FUNCTION unknown_keys(p_object IN JSON_OBJECT_T, p_allowed IN SYS.ODCIVARCHAR2LIST) RETURN VARCHAR2 IS
        v_keys JSON_KEY_LIST := p_object.get_keys();
        v_unknown SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
        v_text VARCHAR2(32767);
        v_known BOOLEAN;
    BEGIN
        IF v_keys IS NOT NULL THEN
            FOR i IN 1 .. v_keys.COUNT LOOP
                -- searched by hand: MEMBER OF takes nested tables only (ORA-00932 on a VARRAY as ODCIVARCHAR2LIST)
                v_known := FALSE;
                FOR j IN 1 .. p_allowed.COUNT LOOP
                    IF p_allowed(j) = v_keys(i) THEN
                        v_known := TRUE;
                        EXIT;
                    END IF;
                END LOOP;
                IF NOT v_known THEN
                    v_unknown.EXTEND;
                    v_unknown(v_unknown.COUNT) := v_keys(i);
                END IF;
            END LOOP;
        END IF;
        SELECT LISTAGG(COLUMN_VALUE, ', ') WITHIN GROUP (ORDER BY COLUMN_VALUE) INTO v_text FROM TABLE(v_unknown);
        RETURN v_text;
    END unknown_keys;

    FUNCTION without_keys(p_object IN JSON_OBJECT_T, p_keys IN SYS.ODCIVARCHAR2LIST) RETURN JSON_OBJECT_T IS
        v_result JSON_OBJECT_T := p_object.clone();
    BEGIN
        FOR i IN 1 .. p_keys.COUNT LOOP
            v_result.remove(p_keys(i));
        END LOOP;
        RETURN v_result;
    END without_keys;

    FUNCTION sorted_keys(p_object IN JSON_OBJECT_T) RETURN SYS.ODCIVARCHAR2LIST IS
        v_keys JSON_KEY_LIST := p_object.get_keys();
        v_list SYS.ODCIVARCHAR2LIST := SYS.ODCIVARCHAR2LIST();
        v_sorted SYS.ODCIVARCHAR2LIST;
    BEGIN
        IF v_keys IS NOT NULL THEN
            FOR i IN 1 .. v_keys.COUNT LOOP
                v_list.EXTEND;
                v_list(v_list.COUNT) := v_keys(i);
            END LOOP;
        END IF;
        SELECT COLUMN_VALUE BULK COLLECT INTO v_sorted FROM TABLE(v_list) ORDER BY COLUMN_VALUE;
        RETURN v_sorted;
    END sorted_keys;

    FUNCTION array_object(p_array IN JSON_ARRAY_T, p_index IN PLS_INTEGER) RETURN JSON_OBJECT_T IS
    BEGIN
        IF p_array.get(p_index) IS NULL OR NOT p_array.get(p_index).is_object() THEN
            RETURN NULL;
        END IF;
        RETURN TREAT(p_array.get(p_index) AS JSON_OBJECT_T);
    END array_object;

    FUNCTION column_names(p_owner IN VARCHAR2, p_table IN VARCHAR2) RETURN SYS.ODCIVARCHAR2LIST IS
        v_names SYS.ODCIVARCHAR2LIST;
    BEGIN
        SELECT LOWER(c.COLUMN_NAME) BULK COLLECT INTO v_names
          FROM ALL_TAB_COLUMNS c
         WHERE c.OWNER = UPPER(p_owner) AND c.TABLE_NAME = UPPER(p_table)
         ORDER BY c.COLUMN_ID;
        RETURN v_names;
    END column_names;

    FUNCTION column_type(p_owner IN VARCHAR2, p_table IN VARCHAR2, p_column IN VARCHAR2) RETURN VARCHAR2 IS
        v_key VARCHAR2(300) := UPPER(p_owner || '.' || p_table || '.' || p_column);
        v_type VARCHAR2(100);
    BEGIN
        IF g_types.EXISTS(v_key) THEN
            RETURN g_types(v_key);
        END IF;
        SELECT CASE
                   WHEN c.DATA_TYPE IN ('VARCHAR2', 'CHAR') THEN c.DATA_TYPE || '(' || c.CHAR_LENGTH || ')'
                   WHEN c.DATA_TYPE = 'NUMBER' AND c.DATA_PRECISION IS NOT NULL AND NVL(c.DATA_SCALE, 0) <> 0
                       THEN 'NUMBER(' || c.DATA_PRECISION || ',' || c.DATA_SCALE || ')'
                   WHEN c.DATA_TYPE = 'NUMBER' AND c.DATA_PRECISION IS NOT NULL THEN 'NUMBER(' || c.DATA_PRECISION || ')'
                   ELSE c.DATA_TYPE
               END
          INTO v_type
          FROM ALL_TAB_COLUMNS c
         WHERE c.OWNER = UPPER(p_owner) AND c.TABLE_NAME = UPPER(p_table) AND c.COLUMN_NAME = UPPER(p_column);
        g_types(v_key) := v_type;
        RETURN v_type;
    EXCEPTION
        WHEN NO_DATA_FOUND THEN
            RETURN NULL;
    END column_type;

    FUNCTION value_fits(p_type IN VARCHAR2, p_value IN JSON_ELEMENT_T) RETURN BOOLEAN IS
        v_text VARCHAR2(32767);
        v_number NUMBER;
        v_date DATE;
        v_precision PLS_INTEGER;
    BEGIN
        IF p_value IS NULL OR p_value.is_null() THEN
            RETURN TRUE;
        ELSIF p_value.is_object() OR p_value.is_array() THEN
            RETURN FALSE;
        END IF;
        v_text := element_text(p_value);
        IF p_type LIKE 'NUMBER%' OR p_type IN ('FLOAT', 'BINARY_DOUBLE', 'BINARY_FLOAT') THEN
            IF p_value.is_boolean() THEN
                RETURN FALSE;
            END IF;
            v_number := to_number_text(v_text);
            IF REGEXP_LIKE(p_type, '^NUMBER\([0-9]+\)$') THEN  -- an integer column: no fraction, in range
                v_precision := TO_NUMBER(REGEXP_SUBSTR(p_type, '[0-9]+'));
                RETURN v_number = TRUNC(v_number) AND ABS(v_number) < POWER(10, v_precision);
            END IF;
            RETURN TRUE;
        ELSIF p_type = 'DATE' OR p_type LIKE 'TIMESTAMP%' THEN
            v_date := to_date_value(v_text);
            RETURN TRUE;
        ELSIF REGEXP_LIKE(p_type, '^(VARCHAR2|CHAR)\([0-9]+\)$') THEN
            -- the length in the brackets (the first digits of 'VARCHAR2(128)' are the 2 of VARCHAR2)
            RETURN NVL(LENGTH(v_text), 0) <= TO_NUMBER(RTRIM(SUBSTR(p_type, INSTR(p_type, '(') + 1), ')'));
        END IF;
        RETURN TRUE;  -- CLOB and the rest take any text
    EXCEPTION
        WHEN VALUE_ERROR OR INVALID_NUMBER THEN
            RETURN FALSE;
        WHEN OTHERS THEN
            IF SQLCODE BETWEEN -1899 AND -1800 THEN  -- ORA-018xx: not a date
                RETURN FALSE;
            END IF;
            RAISE;
    END value_fits;

    FUNCTION row_json_sql(p_owner IN VARCHAR2, p_table IN VARCHAR2, p_alias IN VARCHAR2) RETURN VARCHAR2 IS
        v_key VARCHAR2(300) := UPPER(p_owner || '.' || p_table || '.' || p_alias);
        v_sql VARCHAR2(32767);
    BEGIN
        IF g_row_json_sql.EXISTS(v_key) THEN
            RETURN g_row_json_sql(v_key);
        END IF;
        FOR c IN (SELECT COLUMN_NAME, DATA_TYPE FROM ALL_TAB_COLUMNS
                   WHERE OWNER = UPPER(p_owner) AND TABLE_NAME = UPPER(p_table) ORDER BY COLUMN_ID) LOOP
            v_sql := v_sql || CASE WHEN v_sql IS NOT NULL THEN ', ' END
                     || '''' || LOWER(c.COLUMN_NAME) || ''' VALUE '
                     || CASE WHEN c.DATA_TYPE = 'DATE'
                             THEN 'TO_CHAR(' || p_alias || '."' || c.COLUMN_NAME || '", ''YYYY-MM-DD"T"HH24:MI:SS'')'
                             ELSE p_alias || '."' || c.COLUMN_NAME || '"' END;
        END LOOP;
        v_sql := 'JSON_OBJECT(' || v_sql || ' NULL ON NULL RETURNING CLOB)';
        g_row_json_sql(v_key) := v_sql;
        RETURN v_sql;
    END row_json_sql;

    PROCEDURE bind_value(p_cursor IN INTEGER, p_name IN VARCHAR2, p_type IN VARCHAR2, p_value IN JSON_ELEMENT_T) IS
        v_text VARCHAR2(32767) := element_text(p_value);
        v_clob CLOB;
    BEGIN
        IF p_type LIKE 'NUMBER%' OR p_type IN ('FLOAT', 'BINARY_DOUBLE', 'BINARY_FLOAT') THEN
            DBMS_SQL.BIND_VARIABLE(p_cursor, p_name, to_number_text(v_text));
        ELSIF p_type = 'DATE' THEN
            DBMS_SQL.BIND_VARIABLE(p_cursor, p_name, to_date_value(v_text));
        ELSIF p_type = 'CLOB' THEN
            IF p_value IS NOT NULL AND p_value.is_string() THEN
                v_clob := JSON_OBJECT_T('{"v":' || p_value.to_clob() || '}').get_clob('v');
            ELSIF p_value IS NOT NULL AND NOT p_value.is_null() THEN
                v_clob := p_value.to_clob();
            END IF;
            DBMS_SQL.BIND_VARIABLE(p_cursor, p_name, v_clob);
        ELSE
            DBMS_SQL.BIND_VARIABLE(p_cursor, p_name, v_text, 32767);
        END IF;
    END bind_value;

    FUNCTION lock_handle(p_name IN VARCHAR2) RETURN VARCHAR2 IS
        v_handle VARCHAR2(128);
    BEGIN
        -- the _AUTONOMOUS variant does not commit the caller's transaction (ALLOCATE_UNIQUE does)
        DBMS_LOCK.ALLOCATE_UNIQUE_AUTONOMOUS(SUBSTR('PANDADB ' || p_name, 1, 128), v_handle);
        RETURN v_handle;
    END lock_handle;

    FUNCTION try_xact_lock(p_name IN VARCHAR2) RETURN BOOLEAN IS
    BEGIN
        -- 0 granted, 4 already held by this session
        RETURN DBMS_LOCK.REQUEST(lock_handle(p_name), DBMS_LOCK.X_MODE, 0, TRUE) IN (0, 4);
    END try_xact_lock;

    PROCEDURE xact_lock(p_name IN VARCHAR2) IS
        v_result INTEGER;
    BEGIN
        v_result := DBMS_LOCK.REQUEST(lock_handle(p_name), DBMS_LOCK.X_MODE, DBMS_LOCK.MAXWAIT, TRUE);
        IF v_result NOT IN (0, 4) THEN
            RAISE_APPLICATION_ERROR(-20000, 'DBMS_LOCK.REQUEST of ' || p_name || ' returned ' || v_result);
        END IF;
    END xact_lock;

    FUNCTION try_session_lock(p_name IN VARCHAR2) RETURN BOOLEAN IS
    BEGIN
        RETURN DBMS_LOCK.REQUEST(lock_handle(p_name), DBMS_LOCK.X_MODE, 0, FALSE) = 0;
    END try_session_lock;

    PROCEDURE session_lock(p_name IN VARCHAR2) IS
        v_result INTEGER;
    BEGIN
        v_result := DBMS_LOCK.REQUEST(lock_handle(p_name), DBMS_LOCK.X_MODE, DBMS_LOCK.MAXWAIT, FALSE);
        IF v_result NOT IN (0, 4) THEN
            RAISE_APPLICATION_ERROR(-20000, 'DBMS_LOCK.REQUEST of ' || p_name || ' returned ' || v_result);
        END IF;
    END session_lock;

    PROCEDURE session_unlock(p_name IN VARCHAR2) IS
        v_result INTEGER;
    BEGIN
        v_result := DBMS_LOCK.RELEASE(lock_handle(p_name));
    END session_unlock;

    FUNCTION lock_id(p_name IN VARCHAR2) RETURN NUMBER IS
        v_handle VARCHAR2(128) := lock_handle(p_name);
        v_id NUMBER;
    BEGIN
        SELECT a.LOCKID INTO v_id FROM SYS.DBMS_LOCK_ALLOCATED a WHERE a.NAME = SUBSTR('PANDADB ' || p_name, 1, 128);
        RETURN v_id;
    END lock_id;

    FUNCTION lock_is_held_elsewhere(p_lock_id IN NUMBER) RETURN BOOLEAN IS
        v_count PLS_INTEGER;
    BEGIN
        SELECT COUNT(*) INTO v_count FROM V$LOCK l
         WHERE l.TYPE = 'UL' AND l.ID1 = p_lock_id AND l.LMODE > 0 AND l.SID <> TO_NUMBER(SYS_CONTEXT('USERENV', 'SID'));
        RETURN v_count > 0;
    END lock_is_held_elsewhere;
END PANDADB_SUPPORT;
/

