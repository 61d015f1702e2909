"""The patches of ora2pg's PL/pgSQL output (ora2pg/procedure_patches/), run: routines written the way
ora2pg 23.2 leaves the twin's PL/SQL (JSON object types, collections, SQL/JSON functions, package calls and
variables) go through PROCEDURE_PATCHES, are created in a migrated database with the Oracle environment,
and called; their results are Oracle's."""

from __future__ import annotations

import json

from ora2pg.procedure_patches import PROCEDURE_PATCHES


def create_patched(conn, ora2pg_output: str) -> str:
    sql = ora2pg_output
    for patch in PROCEDURE_PATCHES:
        sql = patch(sql, None)
    conn.execute(sql)
    return sql


def routine(name: str, signature: str, declare: str, body: str, kind: str = "FUNCTION") -> str:
    """A routine as ora2pg writes one (schema ATLAS_PANDA, $body$ quoting, ';' on its own line)."""
    return (
        f"CREATE OR REPLACE {kind} ATLAS_PANDA.{name} {signature} AS $body$\nDECLARE\n{declare}\nBEGIN\n{body}\nEND;\n"
        f"$body$\nLANGUAGE PLPGSQL\n;\n"
    )


def test_json_object_types_become_jsonb_values_with_the_methods_semantics(oracle_db):
    create_patched(
        oracle_db,
        routine(
            "patched_json",
            "(p_text text) RETURNS text",
            "    v_obj JSON_OBJECT_T := JSON_OBJECT_T.parse(p_text);\n"
            "    v_list JSON_ARRAY_T := JSON_ARRAY_T();\n"
            "    v_keys JSON_KEY_LIST;\n",
            "    v_obj.put('n', 5);\n"
            "    v_obj.put('s', 'x');\n"
            "    v_obj.put_null('z');\n"
            "    v_list.append(v_obj.get_number('n') + 1);\n"
            "    v_obj.put('a', v_list);\n"
            "    v_obj.remove('drop');\n"
            "    v_keys := v_obj.get_keys();\n"
            "    IF v_obj.has('s') AND TREAT(v_obj.get('a') AS JSON_ARRAY_T).get_size() = 1\n"
            "       AND NOT v_obj.get('z').is_string() AND v_obj.get('z').is_null() THEN\n"
            "        v_obj.put('keys', v_keys.COUNT);\n"
            "        v_obj.put('first', v_obj.get[('a')].to_string());\n"
            "    END IF;\n"
            "    RETURN v_obj.();",
        ),
    )
    (result,) = oracle_db.execute("SELECT doma_panda.patched_json(%s)", ['{"drop": 1, "kept": "k"}']).fetchone()
    assert json.loads(result) == {"kept": "k", "n": 5, "s": "x", "z": None, "a": [6], "keys": 5, "first": "[6]"}


def test_collections_become_arrays(oracle_db):
    create_patched(
        oracle_db,
        routine(
            "patched_collections",
            "(p_allowed SYS.ODCIVARCHAR2LIST) RETURNS text",
            "    TYPE name_list IS TABLE OF varchar(30);\n"
            "    v_names name_list := name_list('b', 'a');\n"
            "    v_sorted name_list;\n"
            "    v_out text;\n",
            "    v_names.EXTEND;\n"
            "    v_names(v_names.COUNT) := 'c';\n"
            "    SELECT COLUMN_VALUE BULK COLLECT INTO STRICT v_sorted FROM TABLE(v_names) ORDER BY COLUMN_VALUE;\n"
            "    FOR i IN 1 .. v_sorted.COUNT LOOP\n"
            "        IF v_sorted(i) MEMBER OF p_allowed THEN\n"
            "            v_out := v_out || v_sorted(i);\n"
            "        END IF;\n"
            "    END LOOP;\n"
            "    RETURN v_out;",
        ),
    )
    assert oracle_db.execute("SELECT doma_panda.patched_collections(ARRAY['c', 'a'])").fetchone() == ("ac",)


def test_associative_arrays_become_jsonb_objects_walked_in_key_order(oracle_db):
    create_patched(
        oracle_db,
        routine(
            "patched_counts",
            "(p_keys text[]) RETURNS text",
            "    TYPE count_by_key IS TABLE OF integer INDEX BY character varying(60);\n"
            "    v_counts count_by_key;\n"
            "    v_key text;\n"
            "    v_out text;\n",
            "    FOR i IN 1 .. cardinality(p_keys) LOOP\n"
            "        IF v_counts.EXISTS(p_keys[i]) THEN\n"
            "            v_counts(p_keys[i]) := v_counts(p_keys[i]) + 1;\n"
            "        ELSE\n"
            "            v_counts(p_keys[i]) := 1;\n"
            "        END IF;\n"
            "    END LOOP;\n"
            "    v_key := v_counts.FIRST;\n"
            "    WHILE v_key IS NOT NULL LOOP\n"
            "        v_out := v_out || v_key || '=' || v_counts(v_key) || ' ';\n"
            "        v_key := v_counts.NEXT(v_key);\n"
            "    END LOOP;\n"
            "    RETURN v_out;",
        ),
    )
    (result,) = oracle_db.execute("SELECT doma_panda.patched_counts(ARRAY['b', 'a', 'b', 'c'])").fetchone()
    assert result == "a=1 b=2 c=1 "


def test_sql_json_functions_and_outer_apply(oracle_db):
    create_patched(
        oracle_db,
        routine(
            "patched_sql_json",
            "(p_document text) RETURNS text",
            "    v_result text;\n",
            "    SELECT JSON_ARRAYAGG(JSON_OBJECT('n' VALUE t.n, 'core' VALUE JSON_VALUE(p_document, '$.corepower' "
            "RETURNING BINARY_DOUBLE NULL ON ERROR), 'doc' VALUE p_document FORMAT JSON NULL ON NULL) "
            "ORDER BY t.n DESC RETURNING CLOB)\n"
            "      INTO STRICT v_result\n"
            "      FROM (SELECT 1 AS n UNION ALL SELECT 2) t\n"
            "      OUTER APPLY (SELECT t.n * 10 AS m) x;\n"
            "    RETURN v_result;",
        ),
    )
    (result,) = oracle_db.execute("SELECT doma_panda.patched_sql_json(%s)", ['{"corepower": "1.5"}']).fetchone()
    assert json.loads(result) == [
        {"n": 2, "core": 1.5, "doc": {"corepower": "1.5"}},
        {"n": 1, "core": 1.5, "doc": {"corepower": "1.5"}},
    ]
    (not_a_number,) = oracle_db.execute("SELECT doma_panda.patched_sql_json(%s)", ['{"corepower": "fast"}']).fetchone()
    assert json.loads(not_a_number)[0]["core"] is None  # NULL ON ERROR


def test_procedure_calls_package_variables_and_oracle_concatenation(oracle_db):
    create_patched(
        oracle_db,
        routine(
            "patched_add",
            "(p_list INOUT text, p_value text)",
            "",
            "    p_list := p_list || ',' || p_value;",
            kind="PROCEDURE",
        ),
    )
    create_patched(
        oracle_db,
        routine(
            "patched_caller",
            "(p_clock text) RETURNS text",
            "    v_list text;\n",
            "    clock := to_timestamp(p_clock, 'YYYY-MM-DD HH24:MI:SS');\n"
            "    ATLAS_PANDA.PANDADB_SUPPORT.patched_add(v_list, 'a');\n"
            "    doma_panda.patched_add(v_list, NULL);\n"
            "    RETURN v_list || ' at ' || to_char(ATLAS_PANDA.clock, 'YYYY-MM-DD HH24:MI');",
        ),
    )
    (result,) = oracle_db.execute("SELECT doma_panda.patched_caller('2026-01-02 03:04:05')").fetchone()
    # NULL || ',' || 'a' is ',a' in Oracle (NULL in PostgreSQL); the clock is PostgreSQL's pandadb.clock
    assert result == ",a, at 2026-01-02 03:04"
    assert oracle_db.execute("SELECT doma_panda.panda_now()").fetchone()[0].isoformat() == "2026-01-02T03:04:05"


def test_every_twin_routine_converts_and_creates(database_url, tmp_path):
    """The first figure of `pandadb ora2pg check --procedures`: every routine of procedures/oracle is
    converted by ora2pg and, patched, created in place of the PostgreSQL one."""
    from ora2pg import procedures as twin

    conversion = twin.load_in_place(database_url, twin.convert_procedures(tmp_path))
    total = set(conversion.oracle_routines)
    assert len(total) > 150
    not_created = {name: conversion.created.get(name, "not converted") for name in total - conversion.created_names}
    assert not_created == {}


def test_oracle_statements_and_null_semantics(oracle_db):
    """MERGE with Oracle's action conditions and alias-qualified SET, TRUNC of numbers and of a computed
    format, REGEXP_SUBSTR with a subexpression (kept for orafce), record types, Oracle's '' = NULL, IS NULL
    inside UPDATE SET, and a function's COMMIT: each gives Oracle's result."""
    from ora2pg.procedure_patches import oracle_functions_kept_for_orafce

    oracle_db.execute("CREATE TABLE doma_panda.patched_merge (k integer PRIMARY KEY, v integer, note text)")
    oracle_db.execute("INSERT INTO doma_panda.patched_merge VALUES (1, 10, NULL), (2, 20, NULL)")
    source = "    v_cmd := REGEXP_SUBSTR(p_text, '^(CALL|SELECT)\\s+x\\.(\\w+)', 1, 1, 'i', 2);\n"
    create_patched(
        oracle_db,
        "CREATE TYPE pair AS (name character varying(10), n smallint);\n\n"
        + routine(
            "patched_oracle",
            "(p_text text) RETURNS text",
            "    v_rest character varying(100) := '  a b  ';\n    v_part character varying(100);\n"
            "    v_count integer := 0;\n    v_cmd character varying(100);\n    v_pair pair;\n",
            "    MERGE INTO doma_panda.patched_merge m\n"
            "    USING (SELECT 1 AS k, 10 AS v UNION ALL SELECT 2, 21 UNION ALL SELECT 3, 30) s ON (m.k = s.k)\n"
            "     WHEN MATCHED THEN UPDATE SET m.v = s.v, m.note = 'changed' WHERE m.v <> s.v\n"
            "     WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v);\n"
            "    UPDATE doma_panda.patched_merge SET note = CASE WHEN note IS NULL THEN 'none' ELSE note END;\n"
            "    COMMIT;\n"
            "    WHILE v_rest IS NOT NULL LOOP\n"
            "        v_part := substr(trim(both v_rest), 1, 1);\n"
            "        v_rest := trim(both substr(trim(both v_rest), 2));\n"
            "        v_count := v_count + 1;\n"
            "    END LOOP;\n" + oracle_functions_kept_for_orafce(source) + "    v_pair.name := 'x'; v_pair.n := 2;\n"
            "    RETURN v_count || ' ' || v_cmd || ' ' || date_trunc(-1, 57) || ' ' || date_trunc('day', ('7.9')::numeric)"
            " || ' ' || to_char(date_trunc(CASE WHEN v_pair.n = 2 THEN 'MM' END, '2026-03-17 10:00'::timestamp), 'YYYY-MM-DD')"
            " || ' ' || (300 / 60::numeric) || ' ' || v_pair.name;",
        ),
    )
    (result,) = oracle_db.execute("SELECT doma_panda.patched_oracle('call x.Job(1)')").fetchone()
    # 2 loops ('a', 'b': TRIM of the rest is NULL, not ''), subexpression 2 with the 'i' flag,
    # TRUNC(57, -1), TRUNC(7.9), TRUNC(date, 'MM'), a NUMBER as Oracle writes it
    assert result == "2 Job 50 7 2026-03-01 5 x"
    assert oracle_db.execute("SELECT k, v, note FROM doma_panda.patched_merge ORDER BY k").fetchall() == [
        (1, 10, "none"),
        (2, 21, "changed"),
        (3, 30, "none"),
    ]
