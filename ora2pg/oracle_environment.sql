-- The environment the PL/SQL twin runs in once ora2pg has converted it (pandadb ora2pg check
-- --procedures; ora2pg/procedures.py load_in_place creates it in the scratch database before the
-- converted routines). Two parts:
--   * orafce, the PostgreSQL extension that ora2pg's output targets for Oracle's built-in packages
--     (DBMS_OUTPUT, DBMS_ASSERT, DBMS_SQL...), created by load_in_place;
--   * below, the methods of Oracle's JSON object types that are not a single jsonb operator
--     (ora2pg/procedure_patches.py json_methods_as_operators rewrites the calls to them).
-- Never part of a migrated database: only the scratch copy the twin is verified in.

-- oracle_json_get: JSON_OBJECT_T.get(key) / JSON_ARRAY_T.get(index): the member or element as JSON,
-- NULL when absent. Arrays are 0-based in both.
--   p_value  the object or array
--   p_key    the member's key / the element's index
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_get(p_value jsonb, p_key text)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT p_value -> p_key $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_get(p_value jsonb, p_key integer)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT p_value -> p_key $$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_get(p_value jsonb, p_key numeric)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT p_value -> p_key::integer $$;

-- oracle_json_size: JSON_ARRAY_T.get_size() (elements) / JSON_OBJECT_T.get_size() (members)
--   p_value  the array or object
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_size(p_value jsonb)
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(p_value) WHEN 'array' THEN jsonb_array_length(p_value)
                                      WHEN 'object' THEN (SELECT count(*)::integer FROM jsonb_object_keys(p_value)) END
$$;

-- oracle_json_value: JSON_VALUE(p_document, p_path) with Oracle's default NULL ON ERROR: the scalar at
-- the path as text; NULL when the document is not JSON or the path holds no scalar.
--   p_document  JSON text (CLOB) or jsonb
--   p_path      an SQL/JSON path ('$.corepower'; the member-path syntax of Oracle and PostgreSQL is one)
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_value(p_document text, p_path text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_value jsonb;
BEGIN
    v_value := jsonb_path_query_first(p_document::jsonb, p_path::jsonpath);
    RETURN CASE WHEN jsonb_typeof(v_value) IN ('object', 'array') THEN NULL ELSE v_value #>> '{}' END;
EXCEPTION
    WHEN invalid_text_representation OR sql_json_scalar_required OR sql_json_member_not_found THEN
        RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION doma_panda.oracle_json_value(p_document jsonb, p_path text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT doma_panda.oracle_json_value(p_document::text, p_path) $$;

-- oracle_to_number_or_null: JSON_VALUE(... RETURNING NUMBER NULL ON ERROR): the text as a number,
-- NULL when it is not one.
--   p_text  the value
CREATE OR REPLACE FUNCTION doma_panda.oracle_to_number_or_null(p_text text)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN trim(p_text)::numeric;
EXCEPTION
    WHEN invalid_text_representation THEN
        RETURN NULL;
END;
$$;
