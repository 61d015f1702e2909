-- Part of the Oracle environment of the converted PL/SQL twin (see 00_base.sql); loaded in file order.

-- Dynamic SQL. The twin builds SQL text at run time (EXECUTE IMMEDIATE, OPEN ... FOR): ora2pg cannot
-- convert text it never sees, so ora2pg/procedure_patches/ dynamic_sql_translated passes every EXECUTE's text
-- through oracle_dynamic_sql, which rewrites the Oracle-only parts the twin's dynamic SQL uses.
-- ====================================================================================================

-- oracle_sql_closing: the position of the ')' closing the '(' at p_open in p_sql (string literals and
-- quoted names skipped); 0 when unbalanced. Helper of oracle_dynamic_sql, not an Oracle object.
--   p_sql   SQL text
--   p_open  position of a '('
CREATE OR REPLACE FUNCTION doma_panda.oracle_sql_closing(p_sql text, p_open integer)
RETURNS integer LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    v_depth integer := 0;
    v_i integer := p_open;
    v_char text;
BEGIN
    WHILE v_i <= length(p_sql) LOOP
        v_char := substr(p_sql, v_i, 1);
        IF v_char IN ('''', '"') THEN
            v_i := strpos(substr(p_sql, v_i + 1), v_char) + v_i;  -- '' inside a literal: two literals, same depth
        ELSIF v_char = '(' THEN
            v_depth := v_depth + 1;
        ELSIF v_char = ')' THEN
            v_depth := v_depth - 1;
            IF v_depth = 0 THEN
                RETURN v_i;
            END IF;
        END IF;
        v_i := v_i + 1;
    END LOOP;
    RETURN 0;
END;
$$;

-- oracle_sql_split: p_sql split at its top-level commas (not inside brackets, literals or quoted names).
-- Helper of oracle_dynamic_sql, not an Oracle object.
--   p_sql  SQL text (an argument list)
CREATE OR REPLACE FUNCTION doma_panda.oracle_sql_split(p_sql text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    v_parts text[] := '{}';
    v_depth integer := 0;
    v_start integer := 1;
    v_i integer := 1;
    v_char text;
BEGIN
    WHILE v_i <= length(p_sql) LOOP
        v_char := substr(p_sql, v_i, 1);
        IF v_char IN ('''', '"') THEN
            v_i := strpos(substr(p_sql, v_i + 1), v_char) + v_i;
        ELSIF v_char = '(' THEN
            v_depth := v_depth + 1;
        ELSIF v_char = ')' THEN
            v_depth := v_depth - 1;
        ELSIF v_char = ',' AND v_depth = 0 THEN
            v_parts := v_parts || btrim(substr(p_sql, v_start, v_i - v_start));
            v_start := v_i + 1;
        END IF;
        v_i := v_i + 1;
    END LOOP;
    RETURN v_parts || btrim(substr(p_sql, v_start));
END;
$$;

-- oracle_partition_sql: Oracle's partition syntax in dynamic SQL, as PostgreSQL says it (a partition is a
-- table of its own there, in its parent's schema, named as the dictionary views list it, lower case):
--   * OWNER.TABLE PARTITION (NAME) (a partition-extended table name: the rows of that partition) is
--     OWNER.name, the partition's table;
--   * ALTER TABLE OWNER.TABLE DROP PARTITION NAME [UPDATE INDEXES] (the partition and its rows go; the
--     indexes stay usable) is DROP TABLE OWNER.name;
--   * DELETE FROM t alias WHERE c AND ROWNUM <= n (at most n of the rows satisfying c) deletes the rows
--     whose (tableoid, ctid) are among the first n such rows;
--   * ALTER SESSION SET DDL_LOCK_TIMEOUT = n (DDL waits up to n seconds for a lock, then ORA-00054) is
--     SET lock_timeout to n seconds, 0 (Oracle's default) RESET lock_timeout;
--   * a quoted upper-case name ("MODIFICATIONTIME", the unquoted name in Oracle) is quoted lower case.
-- Helper of oracle_dynamic_sql, not an Oracle object.
--   p_sql  SQL text (after the bind placeholders are numbered)
CREATE OR REPLACE FUNCTION doma_panda.oracle_partition_sql(p_sql text)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    v_sql text := p_sql;
    v_match text[];
    v_name text := '[A-Za-z_][A-Za-z0-9_$#]*';
BEGIN
    v_match := regexp_match(v_sql, '^\s*ALTER\s+SESSION\s+SET\s+DDL_LOCK_TIMEOUT\s*=\s*([0-9]+)\s*$', 'i');
    IF v_match IS NOT NULL THEN
        RETURN CASE WHEN v_match[1]::integer = 0 THEN 'RESET lock_timeout'
                    ELSE format('SET lock_timeout = %L', v_match[1] || 's') END;
    END IF;
    v_match := regexp_match(v_sql, '^\s*ALTER\s+TABLE\s+(' || v_name || ')\.("?' || v_name
                                   || '"?)\s+DROP\s+PARTITION\s+("?' || v_name || '"?)(\s+UPDATE\s+(GLOBAL\s+)?INDEXES)?\s*$', 'i');
    IF v_match IS NOT NULL THEN
        RETURN format('DROP TABLE %s.%I', v_match[1], lower(btrim(v_match[3], '"')));
    END IF;
    LOOP
        v_match := regexp_match(v_sql, '(' || v_name || ')\.("?' || v_name || '"?)\s+PARTITION\s*\(\s*("?'
                                       || v_name || '"?)\s*\)', 'i');
        EXIT WHEN v_match IS NULL;
        v_sql := regexp_replace(v_sql, '(' || v_name || ')\.("?' || v_name || '"?)\s+PARTITION\s*\(\s*("?'
                                       || v_name || '"?)\s*\)', v_match[1] || '.' || quote_ident(lower(btrim(v_match[3], '"'))), 'i');
    END LOOP;
    -- a quoted upper-case name is the unquoted name in Oracle ("MODIFICATIONTIME"): PostgreSQL's is lower case
    -- (two characters at least: the "T" of a date format 'YYYY-MM-DD"T"HH24:MI:SS' in a literal is no name)
    LOOP
        v_match := regexp_match(v_sql, '"([A-Z][A-Z0-9_$#]+)"');
        EXIT WHEN v_match IS NULL;
        v_sql := replace(v_sql, '"' || v_match[1] || '"', '"' || lower(v_match[1]) || '"');
    END LOOP;
    v_match := regexp_match(v_sql, '^\s*DELETE\s+FROM\s+(\S+)\s+(' || v_name || ')\s+WHERE\s+(.*)\s+AND\s+ROWNUM\s*<=\s*(\S+)\s*$', 'is');
    IF v_match IS NOT NULL THEN
        v_sql := format('DELETE FROM %s %s WHERE (%s.tableoid, %s.ctid) IN (SELECT %s.tableoid, %s.ctid FROM %s %s WHERE %s LIMIT %s)',
                        v_match[1], v_match[2], v_match[2], v_match[2], v_match[2], v_match[2], v_match[1], v_match[2],
                        v_match[3], v_match[4]);
    END IF;
    RETURN v_sql;
END;
$$;

-- oracle_dynamic_sql: the PostgreSQL text of SQL the twin builds at run time (EXECUTE IMMEDIATE, OPEN
-- FOR): bind placeholders :1 / :name become $1, $2... (Oracle binds the USING values by position of
-- occurrence in SQL); FOR UPDATE OF t.column becomes FOR UPDATE OF t; JSON_OBJECT('k' VALUE v, ...
-- [NULL|ABSENT ON NULL] [RETURNING t]) becomes
-- jsonb_build_object calls of at most 50 pairs joined by || (a function takes at most 100 arguments; a
-- job row has more columns); JSON_ARRAYAGG(v [FORMAT JSON] [ORDER BY ...] [RETURNING t]) becomes
-- jsonb_agg. Text without them is returned as it is.
--   p_sql  the SQL text
CREATE OR REPLACE FUNCTION doma_panda.oracle_dynamic_sql(p_sql text)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    v_sql text := p_sql;
    v_out text := '';
    v_i integer := 1;
    v_char text;
    v_end integer;
    v_bind integer := 0;
    v_match text[];
    v_open integer;
    v_close integer;
    v_inner text;
    v_items text[];
    v_pair text[];
    v_chunks text[];
    v_chunk text[];
    v_absent boolean;
    v_value text;
    v_order text;
BEGIN
    IF v_sql IS NULL THEN
        RETURN NULL;
    END IF;
    -- bind placeholders, outside literals and quoted names, not the :: of a cast
    WHILE v_i <= length(v_sql) LOOP
        v_char := substr(v_sql, v_i, 1);
        IF v_char IN ('''', '"') THEN
            v_end := strpos(substr(v_sql, v_i + 1), v_char) + v_i;
            IF v_end = v_i THEN
                v_end := length(v_sql);
            END IF;
            v_out := v_out || substr(v_sql, v_i, v_end - v_i + 1);
            v_i := v_end + 1;
            CONTINUE;
        END IF;
        v_match := regexp_match(substr(v_sql, v_i), '^:([A-Za-z0-9_]+)');
        IF v_match IS NOT NULL AND substr(v_sql, v_i - 1, 1) <> ':' THEN
            v_bind := v_bind + 1;
            v_out := v_out || '$' || v_bind;
            v_i := v_i + 1 + length(v_match[1]);
            CONTINUE;
        END IF;
        v_out := v_out || v_char;
        v_i := v_i + 1;
    END LOOP;
    v_sql := v_out;
    -- Oracle's partition syntax (oracle_partition_sql)
    v_sql := doma_panda.oracle_partition_sql(v_sql);
    -- FOR UPDATE OF t.column (Oracle names a column of each table to lock) is FOR UPDATE OF t
    v_sql := regexp_replace(v_sql, '(FOR\s+UPDATE\s+OF\s+)(\w+)\.\w+', '\1\2', 'gi');
    -- JSON_OBJECT, innermost last: each pass rewrites the first one left
    LOOP
        v_open := position('JSON_OBJECT(' IN upper(v_sql));
        EXIT WHEN v_open = 0;
        v_close := doma_panda.oracle_sql_closing(v_sql, v_open + 11);
        EXIT WHEN v_close = 0;
        v_inner := substr(v_sql, v_open + 12, v_close - v_open - 12);
        v_absent := v_inner ~* '\mABSENT\s+ON\s+NULL\s*(RETURNING\s+\w+(\s*\(\s*\d+\s*\))?\s*)?$';
        v_inner := regexp_replace(v_inner, '(\s+(NULL|ABSENT)\s+ON\s+NULL|\s+RETURNING\s+\w+(\s*\(\s*\d+\s*\))?)+\s*$', '', 'i');
        v_items := doma_panda.oracle_sql_split(v_inner);
        v_chunks := '{}';
        v_chunk := '{}';
        FOR k IN 1 .. coalesce(array_length(v_items, 1), 0) LOOP
            v_pair := regexp_match(v_items[k], '^(.*?)\s+VALUE\s+(.*)$', 'is');
            IF v_pair IS NULL THEN
                v_pair := ARRAY[v_items[k], v_items[k]];
            END IF;
            v_value := v_pair[2];
            IF v_value ~* '\s+FORMAT\s+JSON\s*$' THEN
                v_value := '(' || regexp_replace(v_value, '\s+FORMAT\s+JSON\s*$', '', 'i') || ')::jsonb';
            END IF;
            v_chunk := v_chunk || (regexp_replace(v_pair[1], '^KEY\s+', '', 'i') || ', ' || v_value);
            IF array_length(v_chunk, 1) = 50 OR k = array_length(v_items, 1) THEN
                v_chunks := v_chunks || ('jsonb_build_object(' || array_to_string(v_chunk, ', ') || ')');
                v_chunk := '{}';
            END IF;
        END LOOP;
        v_inner := CASE WHEN coalesce(array_length(v_chunks, 1), 0) = 0 THEN '''{}''::jsonb'
                        ELSE '(' || array_to_string(v_chunks, ' || ') || ')' END;
        IF v_absent THEN
            v_inner := 'jsonb_strip_nulls(' || v_inner || ')';
        END IF;
        v_sql := substr(v_sql, 1, v_open - 1) || v_inner || substr(v_sql, v_close + 1);
    END LOOP;
    -- JSON_ARRAYAGG
    LOOP
        v_open := position('JSON_ARRAYAGG(' IN upper(v_sql));
        EXIT WHEN v_open = 0;
        v_close := doma_panda.oracle_sql_closing(v_sql, v_open + 13);
        EXIT WHEN v_close = 0;
        v_inner := substr(v_sql, v_open + 14, v_close - v_open - 14);
        v_inner := regexp_replace(v_inner, '(\s+(NULL|ABSENT)\s+ON\s+NULL|\s+RETURNING\s+\w+(\s*\(\s*\d+\s*\))?)+\s*$', '', 'i');
        v_match := regexp_match(v_inner, '^(.*?)(\s+ORDER\s+BY\s+.*)?$', 'is');
        v_value := v_match[1];
        v_order := coalesce(v_match[2], '');
        IF v_value ~* '\s+FORMAT\s+JSON\s*$' THEN
            v_value := '(' || regexp_replace(v_value, '\s+FORMAT\s+JSON\s*$', '', 'i') || ')::jsonb';
        END IF;
        v_sql := substr(v_sql, 1, v_open - 1) || 'jsonb_agg(' || v_value || v_order || ')' || substr(v_sql, v_close + 1);
    END LOOP;
    RETURN v_sql;
END;
$$;
