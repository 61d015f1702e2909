"""An Oracle PanDA export as DBAs produce it (tests/data/oracle_export_panda.sql, written in the style of
DBMS_METADATA / SQL Developer / expdp SQLFILE by tests/data/make_oracle_export.py) goes through the
conversion whole: what has a PostgreSQL meaning is converted by the real ora2pg, the rest is dropped or
reported as not converted with its reason, and the check compares the result with a migrated database,
naming the next step of every difference. Also: the offline Oracle migration script declares no bind
variable. (No Oracle server exists here: the export is a fixture file.)
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from ora2pg import check as catalog_check
from ora2pg import convert as conversion
from ora2pg.export import classify_script_statement, split_script

from cli_helpers import run_cli

EXPORT = Path(__file__).resolve().parent / "data" / "oracle_export_panda.sql"
EXPORTED_TABLES = (
    "jobsactive4",
    "jedi_tasks",
    "filestable4",
    "jobparamstable",
    "jedi_aux_status_mintaskid",
    "tablepart4copying",
)


@pytest.fixture(scope="module")
def converted_export(tmp_path_factory):
    return conversion.convert(tmp_path_factory.mktemp("export"), input_dir=EXPORT)


def entry_for(report, action: str, statement_start: str):
    found = [e for e in report if e.action == action and e.statement.startswith(statement_start)]
    assert found, f"no {action} entry for {statement_start!r}"
    assert all(len(e.reason.split()) > 5 and e.source.startswith("oracle_export_panda.sql:") for e in found)
    return found[0]


def test_the_export_converts_whole_and_the_report_names_every_left_out_statement(converted_export):
    report = converted_export.report
    # every statement of the script is converted or in the report (none lost, none stopped the run)
    statements = split_script(EXPORT.read_text(), EXPORT.name)
    outcomes = [classify_script_statement(s) for s in statements]
    reported_sources = {e.source for e in report}
    for statement, outcome in zip(statements, outcomes, strict=False):
        assert outcome.text is not None or statement.source in reported_sources, statement.text[:80]
    # dropped, with the reason
    assert "SQL*Plus" in entry_for(report, "dropped", "SET ECHO OFF").reason
    for directive in (
        "REM ",
        "WHENEVER SQLERROR",
        "SPOOL atlas_panda_ddl.log",
        "PROMPT Creating tables",
        "@@post_import",
        "EXIT",
        "EXEC DBMS_STATS",
    ):
        entry_for(report, "dropped", directive)
    assert "session" in entry_for(report, "dropped", "ALTER SESSION SET NLS_LENGTH_SEMANTICS").reason
    assert (
        "roles" in entry_for(report, "dropped", "GRANT SELECT ON ATLAS_PANDA.JOBSACTIVE4 TO ATLAS_PANDA_READER").reason
    )
    entry_for(report, "dropped", "REVOKE DELETE ON ATLAS_PANDA.JEDI_TASKS")
    assert (
        "synonyms"
        in entry_for(report, "dropped", "CREATE OR REPLACE EDITIONABLE SYNONYM ATLAS_PANDAMON.JOBSACTIVE4").reason
    )
    entry_for(report, "dropped", "CREATE OR REPLACE PUBLIC SYNONYM JEDI_TASKS")
    assert "DDL" in entry_for(report, "dropped", "DDL trigger ATLAS_PANDA.GRANT_SELECT_ON_NEW_TABLES").reason
    entry_for(report, "dropped", "ALTER TRIGGER ATLAS_PANDA.GRANT_SELECT_ON_NEW_TABLES ENABLE")
    assert (
        "REPLICA IDENTITY"
        in entry_for(report, "dropped", "ALTER TABLE ATLAS_PANDA.JOBSACTIVE4 ADD SUPPLEMENTAL LOG").reason
    )
    entry_for(report, "dropped", "SUPPLEMENTAL LOG DATA of CREATE TABLE ATLAS_PANDA.JOBSACTIVE4")
    entry_for(report, "dropped", "ALTER INDEX ATLAS_PANDA.JOBSACTIVE4_JOBNAME_IDX NOPARALLEL")
    entry_for(report, "dropped", "ALTER TABLE ATLAS_PANDA.JEDI_TASKS ENABLE ROW MOVEMENT")
    entry_for(report, "dropped", "CREATE MATERIALIZED VIEW LOG ON ATLAS_PANDA.JEDI_TASKS")
    entry_for(report, "dropped", "CREATE OR REPLACE DIRECTORY PANDA_EXPORT_DIR")
    assert (
        "index-organised"
        in entry_for(
            report, "dropped", "ORGANIZATION INDEX of CREATE TABLE ATLAS_PANDA.JEDI_AUX_STATUS_MINTASKID"
        ).reason
    )
    storage = entry_for(
        report,
        "dropped",
        "COMPRESS, COMPUTE STATISTICS, LOB storage, LOGGING, ROW MOVEMENT, SEGMENT CREATION, "
        "STORAGE, TABLESPACE, block parameters of CREATE TABLE ATLAS_PANDA.JOBPARAMSTABLE",
    )
    assert "tablespaces" in storage.reason
    assert "partition" in entry_for(report, "dropped", "SUBPARTITION BY of CREATE TABLE ATLAS_PANDA.FILESTABLE4").reason
    entry_for(report, "dropped", "SUBPARTITION BY, subpartitions of P_NOT_COPIED")
    # not converted, with the reason and the next step
    for unit, command in (
        ("PACKAGE ATLAS_PANDA.JEDI_DBPROC", "ora2pg -t PACKAGE"),
        ("PACKAGE BODY ATLAS_PANDA.JEDI_DBPROC", "ora2pg -t PACKAGE"),
        ("PROCEDURE ATLAS_PANDA.DELETE_OLD_JOBPARAMS", "ora2pg -t PROCEDURE"),
        ("FUNCTION ATLAS_PANDA.BITOR", "ora2pg -t FUNCTION"),
        ("TRIGGER ATLAS_PANDA.JEDI_TASKS_REALMODTIME_TRG", "ora2pg -t TRIGGER"),
    ):
        assert command in entry_for(report, "not converted", unit).reason
    entry_for(report, "not converted", "anonymous PL/SQL block")
    assert "GENERATED ALWAYS AS" in entry_for(report, "not converted", "virtual column(s) IS_ACTIVE").reason
    assert (
        "ATLAS_PANDABIGMON" in entry_for(report, "not converted", "CREATE TABLE ATLAS_PANDABIGMON.USER_SETTINGS").reason
    )
    # the COMMIT inside the procedure stayed inside it (PL/SQL ends at '/', not at ';')
    assert not [e for e in report if e.statement == "COMMIT"]
    # the report file holds the same
    text = (converted_export.output_dir / "conversion_report.txt").read_text()
    assert text.count("\n    why: ") == len(report)
    assert "DDL trigger ATLAS_PANDA.GRANT_SELECT_ON_NEW_TABLES" in text


def test_the_check_compares_the_converted_export_and_names_the_next_step(
    converted_export, fresh_database_url, database_url
):
    conversion.load_converted(converted_export.output_dir, fresh_database_url)
    result = catalog_check.check_databases(fresh_database_url, database_url)
    unexpected = {d.key: d for d in result.unexpected}
    snapshot = catalog_check.catalog_snapshot(fresh_database_url)

    # the exported tables came over exactly as the migrated database has them: columns, types, keys,
    # checks, indexes, partitioning (the IOT as a table, the virtual column left out)
    for table in EXPORTED_TABLES:
        assert f"table doma_panda.{table}" not in unexpected
        assert not [
            key for key in unexpected if f"doma_panda.{table}." in key or key.endswith(f"doma_panda.{table}")
        ], table
    assert snapshot["table doma_panda.filestable4"] == "partitioned table RANGE (modificationtime)"
    assert snapshot["table doma_panda.jedi_tasks"] == "partitioned table RANGE (jeditaskid)"
    assert snapshot["column doma_panda.jobsactive4.pandaid"] == "bigint NOT NULL"
    assert snapshot["primary key doma_panda.jedi_aux_status_mintaskid"].startswith("jedi_aux_status_mintaskid_pkey")
    assert "column doma_panda.jedi_tasks.is_active" not in snapshot
    assert "check doma_panda.filestable4.filestable4_type_check" in snapshot
    assert snapshot["sequence doma_panda.filestable4_row_id_seq"] == "bigint increment 1 cache 1"
    assert "partition doma_panda.tablepart4copying_not_copied" in snapshot
    # what the export did not hold is listed, each with the DBA's next step
    assert "table doma_panda.jobsdefined4" in unexpected
    assert "migrate upgrade" in catalog_check.next_step(unexpected["table doma_panda.jobsdefined4"])
    for difference in unexpected.values():
        assert len(catalog_check.next_step(difference).split()) > 5


def test_cli_check_of_an_export_prints_the_report_differences_and_next_steps(server_url, database_url):
    result = run_cli(
        "pandadb",
        "ora2pg",
        "check",
        "--input",
        str(EXPORT),
        "--reference-url",
        database_url,
        env={"PANDADB_URL": server_url},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "NOT CONVERTED oracle_export_panda.sql:" in result.stdout
        and "DROPPED oracle_export_panda.sql:" in result.stdout
    )
    assert "DIFFERENCE: table doma_panda.jobsdefined4: missing in the converted database" in result.stdout
    assert "next step:" in result.stdout and "Next step:" in result.stderr
    assert "DIFFERENCE: column doma_panda.jobsactive4" not in result.stdout


def test_scripts_are_split_as_sqlplus_runs_them():
    script = (
        "SET DEFINE OFF\n"
        "CREATE TABLE \"ATLAS_PANDA\".\"T\" (\"A\" NUMBER(10,0), \"B\" VARCHAR2(10 BYTE) DEFAULT 'x;y') TABLESPACE \"D\"\n"
        "/\n"
        "CREATE OR REPLACE FUNCTION f RETURN VARCHAR2 IS\n"
        "  -- a comment with a quote: don't\n"
        "BEGIN RETURN 'a;b'; END;\n"
        "/\n"
        "/\n"
        "COMMENT ON TABLE ATLAS_PANDA.T IS 'it''s';\n"
    )
    statements = split_script(script, "s.sql")
    assert [(s.line, s.sqlplus, s.plsql) for s in statements] == [
        (1, True, False),
        (2, False, False),
        (4, False, True),
        (9, False, False),
    ]
    assert statements[2].text.endswith("BEGIN RETURN 'a;b'; END;")
    table = classify_script_statement(statements[1])
    assert table.text == "CREATE TABLE ATLAS_PANDA.T (\n    A NUMBER(10),\n    B VARCHAR2(10) DEFAULT 'x;y'\n)"
    assert [e.statement for e in table.entries] == ["TABLESPACE of CREATE TABLE ATLAS_PANDA.T"]
    assert classify_script_statement(statements[3]).text == "COMMENT ON TABLE ATLAS_PANDA.T IS 'it''s'"


def test_the_offline_oracle_script_declares_no_bind_variables():
    result = run_cli("pandadb", "migrate", "sql", "--dialect", "oracle")
    assert result.returncode == 0, result.stderr
    assert ":ret_0" not in result.stdout
    assert not [line for line in result.stdout.splitlines() if "alembic_version" in line and "RETURNING" in line]
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001_schema')\n" in result.stdout
    assert (
        "UPDATE alembic_version SET version_num='0002_procedures' WHERE alembic_version.version_num = '0001_schema'"
        in result.stdout
    )


# --------------------------------------------------------------------------------------------
# The PL/SQL twin, converted by ora2pg and run (`pandadb ora2pg check --procedures`)
# --------------------------------------------------------------------------------------------


def test_procedure_patches_are_named_documented_functions():
    from ora2pg import procedures as twin

    for patch in twin.PROCEDURE_PATCHES:
        assert patch.__doc__ and len(patch.__doc__.split()) > 8, patch.__name__
    sql = (
        "CREATE OR REPLACE FUNCTION atlas_panda.f (p SYS.ODCIVARCHAR2LIST) RETURNS SYS_REFCURSOR; AS $body$\n"
        "BEGIN v := SYS.ODCIVARCHAR2LIST('a', lower(b)); w := SYS.ODCIVARCHAR2LIST(); "
        "RETURN ATLAS_PANDA.PANDADB_SUPPORT.quote_literal(x); END;\n$body$\nLANGUAGE PLPGSQL\n;\n"
    )
    for patch in twin.PROCEDURE_PATCHES:
        sql = patch(sql, None)
    assert sql == (
        "CREATE OR REPLACE FUNCTION doma_panda.f (p text[]) RETURNS refcursor AS $body$\n"
        "#variable_conflict use_column\n"
        "BEGIN v := ARRAY['a', lower(b)]; w := '{}'::text[]; RETURN doma_panda.quote_literal(x); END;\n"
        "$body$\nLANGUAGE PLPGSQL SET search_path = doma_panda, pg_catalog, oracle, public;\n"
    )


def test_check_procedures_prints_the_two_figures(server_url):
    from ora2pg import procedures as twin

    result = run_cli(
        "pandadb",
        "ora2pg",
        "check",
        "--procedures",
        "--tests",
        "test_windows.py",
        env={"PANDADB_URL": server_url},
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    total = len(twin.oracle_routines())
    converted, of = map(int, lines["routines converted by ora2pg"].split(" / "))
    created, of_created = map(int, lines["routines converted and created"].split(" / "))
    assert of == of_created == total > 150
    assert 0 < created <= converted <= total
    # every routine not converted or not created is named with the reason
    named = [line for line in result.stdout.splitlines() if line.startswith(("not converted: ", "not created: "))]
    assert len(named) == total - created
    passed, tests = map(int, lines["tests passing on the converted logic"].split("  (")[0].split(" / "))
    assert tests >= 5 and 0 <= passed <= tests
    with psycopg.connect(server_url) as conn:  # the scratch database is gone
        assert not conn.execute("SELECT 1 FROM pg_database WHERE datname LIKE 'pandadb_ora2pg_procedures_%'").fetchone()
