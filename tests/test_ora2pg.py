"""The Oracle -> PostgreSQL migration (seed 004, section 8.6), everything that runs without Oracle.

- the offline conversion of schema/oracle/*.sql by the real ora2pg (Debian's package), loaded into an
  empty database, has the catalog of a migrated database (the comparison `pandadb ora2pg check`
  makes), but for the commented allow-list, every entry of which is still needed;
- the data copy, with a migrated PostgreSQL database standing in for Oracle as the DB-API source:
  identical contents, verified counts and key checksums, sequences advanced, resumable, and a clear
  error when the target already holds other rows under the source's keys;
- `pandadb ora2pg config` writes the directives and no password.
There is no Oracle server here: `convert --oracle-dsn` and `copy --oracle-dsn` are not run.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import psycopg
import pytest
from psycopg.types.json import Jsonb

from ora2pg import check as catalog_check
from ora2pg import convert as conversion
from ora2pg import copy as datacopy
from ora2pg import oracle_ddl, patches

from cli_helpers import run_cli
from conftest import create_database, drop_database
from job_helpers import acquire, job_spec, register_queue, submit, update

# --------------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """schema/oracle converted offline by ora2pg (once for the module)."""
    return conversion.convert(tmp_path_factory.mktemp("ora2pg"))


def test_offline_conversion_has_the_catalog_of_the_migrated_database(converted, fresh_database_url, database_url):
    assert converted.ora2pg_version.startswith("Ora2Pg v")
    conversion.load_converted(converted.output_dir, fresh_database_url)

    result = catalog_check.check_databases(fresh_database_url, database_url)

    assert [str(d) for d in result.unexpected] == []
    assert result.stale_allowances == [], "allow-list entries that are no longer differences: remove them"
    # the comparison sees what it claims to compare
    snapshot = catalog_check.catalog_snapshot(fresh_database_url)
    assert snapshot["table doma_panda.jobsarchived4"] == "partitioned table RANGE (modificationtime)"
    assert snapshot["table doma_pandaarch.jobsarchived"] == "table"
    assert snapshot["column doma_panda.jobsactive4.cpuconversion"] == "numeric(9,4)"
    assert snapshot["column doma_panda.jobsactive4.attemptnr"] == "smallint NOT NULL"
    assert snapshot["column doma_panda.config.value_json"] == "jsonb"
    assert snapshot["column doma_panda.pandadb_scheduled_jobs.exclusive"] == "boolean NOT NULL"
    assert snapshot["column doma_panda.pandadb_scheduler_runs.run_id"] == "bigint NOT NULL GENERATED ALWAYS AS IDENTITY"
    assert snapshot["table doma_panda.mv_worker_node_summary"] == "materialized view"
    assert snapshot["partition doma_panda.jobsarchived4_default"] == "partition of doma_panda.jobsarchived4 DEFAULT"
    assert (
        snapshot["check doma_panda.pandadb_scheduled_jobs.pandadb_scheduled_jobs_name_ck"]
        == "CHECK (((name)::text ~ '^[a-z0-9_]+$'::text))"
    )
    assert "foreign key doma_panda.panda_site.panda_site_site_name_fkey" in snapshot
    assert "sequence doma_panda.jobsdefined4_pandaid_seq" in snapshot


def test_the_comparison_reports_each_difference_by_name(converted, fresh_database_url, database_url):
    conversion.load_converted(converted.output_dir, fresh_database_url)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE doma_panda.jobsactive4 ALTER COLUMN attemptnr TYPE integer")
        conn.execute("DROP INDEX doma_panda.jobs_statuslog_pandaid_idx")
        conn.execute("ALTER TABLE doma_panda.cache DROP CONSTRAINT cache_pkey")

    keys = {d.key: d for d in catalog_check.check_databases(fresh_database_url, database_url).unexpected}

    assert set(keys) == {
        "column doma_panda.jobsactive4.attemptnr",
        "index doma_panda.jobs_statuslog_pandaid_idx",
        "primary key doma_panda.cache",
        "index doma_panda.cache_pkey",
    }
    assert "migrated 'smallint NOT NULL', converted 'integer NOT NULL'" in str(
        keys["column doma_panda.jobsactive4.attemptnr"]
    )
    assert "missing in the converted database" in str(keys["index doma_panda.jobs_statuslog_pandaid_idx"])


def test_every_patch_is_a_named_documented_function(converted):
    for patch in patches.PATCHES:
        assert patch.__doc__ and len(patch.__doc__.split()) > 8, patch.__name__
    applied = converted.patches_applied
    for needed in (
        "rename_oracle_schemas",
        "add_partitioning",
        "default_partitions",
        "repair_expression_index_columns",
        "check_constraints_with_state",
        "views_as_materialized_views",
        "sequence_cache_as_postgres",
    ):
        assert applied.get(needed), f"{needed} changed nothing"
    for reason in catalog_check.ALLOWED_DIFFERENCES.values():
        assert len(reason.split()) > 4
    # the load order: schemas, tables, partitions, sequences, views, foreign keys last
    names = [path.name for path in converted.files]
    assert names[0] == "00_schemas.sql" and names[-1].startswith("50_FKEYS_")
    assert [name[:2] for name in names] == sorted(name[:2] for name in names)


def test_documented_patches_of_section_8_6():
    ctx = patches.PatchContext("ATLAS_PANDA", "doma_panda", oracle_ddl.OracleDDL([]))
    # the unique keys of jedi_job_retry_history get ins_utc_tstamp (as ATLAS's Oracle lacks it)
    before = (
        "CREATE UNIQUE INDEX jedi_job_retry_history_uq ON jedi_job_retry_history (jeditaskid, newpandaid, oldpandaid, originpandaid);\n"
        "ALTER TABLE jedi_job_retry_history ADD UNIQUE (jeditaskid,oldpandaid,newpandaid,originpandaid);"
    )
    after = patches.retry_history_unique_with_timestamp(before, ctx)
    assert "(jeditaskid, newpandaid, oldpandaid, originpandaid, ins_utc_tstamp);" in after
    assert "ADD UNIQUE (jeditaskid,oldpandaid,newpandaid,originpandaid, ins_utc_tstamp);" in after
    assert patches.retry_history_unique_with_timestamp(after, ctx) == after
    # sequences restart at 1 (the copy sets them past the copied ids)
    assert (
        patches.reset_sequences("CREATE SEQUENCE s INCREMENT 1 MINVALUE 7 START 123456 CACHE 20;", ctx)
        == "CREATE SEQUENCE s INCREMENT 1 MINVALUE 1 START 1 CACHE 20;"
    )
    # schema names, including foreign-key targets written in upper case
    assert (
        patches.rename_oracle_schemas("REFERENCES ATLAS_PANDA.SITE (X); atlas_pandameta.users", ctx)
        == "REFERENCES doma_panda.SITE (X); doma_pandameta.users"
    )


def test_conversion_without_ora2pg_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("ORA2PG_BIN", "")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(oracle_ddl.Ora2pgError, match="apt-get install ora2pg"):
        conversion.convert(tmp_path / "out")


# --------------------------------------------------------------------------------------------
# Data copy (a PostgreSQL source standing in for Oracle)
# --------------------------------------------------------------------------------------------

TEXT_WITH_QUOTES = "--input='it''s' \"double\"\nsecond line\ttab \\ backslash; DROP TABLE x; --"
COMPARED_TABLES = (
    "doma_panda.jobsdefined4",
    "doma_panda.jobsactive4",
    "doma_panda.jobsarchived4",
    "doma_panda.filestable4",
    "doma_panda.jobparamstable",
    "doma_panda.jobs_statuslog",
    "doma_panda.site",
    "doma_panda.panda_site",
    "doma_panda.schedconfig_json",
    "doma_panda.config",
    "doma_panda.pandadb_scheduler_runs",
    "doma_panda.error_descriptions",
    "doma_pandameta.users",
    "doma_pandaarch.jobsarchived",
)


def fill_source(url: str) -> None:
    """Jobs through the stored logic (defined, activated, sent->finished: files, parameters, status log,
    archive), plus rows with NULLs, quotes and newlines, numerics, json, an identity and an interval."""
    with psycopg.connect(url, autocommit=True) as db:
        register_queue(db, "TEST_QUEUE", {"maxtime": 3600})
        files = [
            {"lfn": "in.1", "type": "input", "dataset": "data.in", "scope": "data", "fsize": 100, "GUID": "g-1"},
            {"lfn": "log.1", "type": "log", "dataset": "data.log", "scope": "user"},
        ]
        submit(
            db,
            job_spec(jobParameters=TEXT_WITH_QUOTES, files=files),
            job_spec(jobStatus="defined", cpuConversion=1.2345),
            job_spec(jobParameters="x" * 5000, files=files),
        )
        [job] = acquire(db)
        update(db, job["PandaID"], "finished")
        db.execute(
            "INSERT INTO doma_panda.error_descriptions (component, code, acronym, diagnostics, description, category) "
            "VALUES ('pilot', 1099, NULL, %s, NULL, 2)",
            [TEXT_WITH_QUOTES],
        )
        db.execute("INSERT INTO doma_pandameta.users (id, name, dn, email) VALUES (41, 'O''Brien', NULL, NULL)")
        db.execute(
            "INSERT INTO doma_pandaarch.jobsarchived (pandaid, modificationtime, cpuconversion, jobparameters) "
            "VALUES (7, '2019-12-31 23:59:59', 0.0001, NULL)"
        )
        db.execute(
            "INSERT INTO doma_panda.pandadb_scheduler_runs (job_name, host, started, finished, duration, status, lock_key) "
            "VALUES ('x', 'h', '2024-01-01 00:00:00', '2024-01-01 00:01:30.5', '90.5 seconds', 'succeeded', 1)"
        )
        db.execute(
            "UPDATE doma_panda.schedconfig_json SET data = %s WHERE panda_queue = 'TEST_QUEUE'",
            [Jsonb({"maxtime": 3600, "note": "it's \"quoted\"\nnewline"})],
        )


def table_contents(url: str, table: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT * FROM {table} t ORDER BY t::text").fetchall()


@pytest.fixture
def migrated_target(server_url, template_database):
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = create_database(server_url, name, template=template_database)
    yield url
    drop_database(server_url, name)


def test_copy_is_complete_verified_resumable_and_advances_sequences(database_url, migrated_target):
    fill_source(database_url)
    with psycopg.connect(database_url, autocommit=True) as source:
        report = datacopy.copy_database(source, migrated_target, checksum=True, progress=False)

    assert report.ok, [str(t) for t in report.mismatches]
    by_table = {t.table: t for t in report.tables}
    assert set(by_table) == set(datacopy.default_tables())
    assert by_table["doma_panda.jobsarchived4"].copied_rows == 1
    assert by_table["doma_panda.filestable4"].source_checksum == by_table["doma_panda.filestable4"].target_checksum
    # the registration defaults were in both: nothing copied twice
    assert by_table["doma_panda.config"].copied_rows == 0 and by_table["doma_panda.config"].target_rows > 0
    for table in COMPARED_TABLES:
        source_rows = table_contents(database_url, table)
        assert source_rows, f"{table} has no rows to compare"
        assert table_contents(migrated_target, table) == source_rows, table
    with psycopg.connect(migrated_target) as target:
        assert (TEXT_WITH_QUOTES,) in target.execute("SELECT jobparameters FROM doma_panda.jobparamstable").fetchall()
        assert target.execute("SELECT cpuconversion FROM doma_panda.jobsdefined4").fetchone()[0] == Decimal("1.2345")
        # sequences continue after the copied ids
        max_pandaid = target.execute("SELECT max(pandaid) FROM doma_panda.jobsarchived4").fetchone()[0]
        assert target.execute("SELECT nextval('doma_panda.jobsdefined4_pandaid_seq')").fetchone()[0] > max(
            max_pandaid, 7
        )
        max_row_id = target.execute("SELECT max(row_id) FROM doma_panda.filestable4").fetchone()[0]
        assert target.execute("SELECT nextval('doma_panda.filestable4_row_id_seq')").fetchone()[0] > max_row_id
        assert target.execute("SELECT nextval('doma_pandameta.users_id_seq')").fetchone()[0] > 41
        run = target.execute(
            "INSERT INTO doma_panda.pandadb_scheduler_runs (job_name, host, started, lock_key) "
            "VALUES ('y', 'h', now(), 2) RETURNING run_id"
        ).fetchone()[0]
        assert run > 1
        target.rollback()

    # a second run copies nothing and still verifies
    with psycopg.connect(database_url, autocommit=True) as source:
        again = datacopy.copy_database(source, migrated_target, checksum=True, progress=False)
    assert again.ok
    assert all(t.resumed and t.copied_rows == 0 for t in again.tables)
    for table in COMPARED_TABLES:
        assert table_contents(migrated_target, table) == table_contents(database_url, table), table


def test_copy_resumes_at_the_table_it_was_in(database_url, migrated_target):
    fill_source(database_url)
    with psycopg.connect(database_url, autocommit=True) as source:
        first = datacopy.copy_database(
            source, migrated_target, tables=["doma_panda.site", "doma_panda.panda_site"], progress=False
        )
        assert [t.table for t in first.tables] == ["doma_panda.site", "doma_panda.panda_site"]  # foreign-key order
        rest = datacopy.copy_database(source, migrated_target, progress=False)
    assert rest.ok
    resumed = {t.table for t in rest.tables if t.resumed}
    assert resumed == {"doma_panda.site", "doma_panda.panda_site"}
    assert table_contents(migrated_target, "doma_panda.jobsactive4") == table_contents(
        database_url, "doma_panda.jobsactive4"
    )


def test_copy_stops_on_conflicting_rows_naming_the_table(database_url, migrated_target):
    fill_source(database_url)
    with psycopg.connect(migrated_target, autocommit=True) as target:
        target.execute("INSERT INTO doma_panda.site (site_name, role) VALUES ('TEST_SITE', 'not the source''s')")

    result = run_cli(
        "pandadb", "ora2pg", "copy", "--source-url", database_url, "--no-progress", env={"PANDADB_URL": migrated_target}
    )

    assert result.returncode != 0
    assert "doma_panda.site" in result.stderr and "site_name='TEST_SITE'" in result.stderr, result.stderr
    with psycopg.connect(migrated_target) as target:
        # the tables before it were copied and recorded; the conflicting one was left as it was
        assert target.execute("SELECT role FROM doma_panda.site").fetchall() == [("not the source's",)]
        done = {row[0] for row in target.execute("SELECT table_name FROM ora2pg_copy.copy_state")}
        assert "doma_panda.site" not in done


def test_oracle_adapter_names_and_values():
    assert datacopy.ORACLE_SOURCE.table_name("doma_pandaarch.jobsarchived") == 'ATLAS_PANDAARCH."JOBSARCHIVED"'
    assert datacopy.ORACLE_SOURCE.column_expression("type", "character varying(20)") == '"TYPE"'
    assert datacopy.ORACLE_SOURCE.column_expression("ora_err_rowid$", "oid") == 'NULL AS "ORA_ERR_ROWID$"'

    class Lob:
        def read(self):
            return "clob text"

    assert datacopy.ORACLE_SOURCE.read_value(Lob()) == "clob text"
    assert datacopy.oracle_connect_arguments("dbi:Oracle:host=db1;service_name=PANDA;port=1522") == "db1:1522/PANDA"
    assert datacopy.oracle_connect_arguments("dbi:Oracle:INT8R") == "INT8R"
    assert datacopy.key_checksum([(Decimal(7), "a")]) == datacopy.key_checksum([(7, "a")])


def test_every_sequence_maps_to_existing_columns(db):
    for sequence, columns in datacopy.SEQUENCE_COLUMNS.items():
        assert db.execute("SELECT to_regclass(%s)", [sequence]).fetchone()[0] is not None, sequence
        for table, column in columns:
            schema, name = table.split(".")
            assert db.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                "AND column_name = %s",
                [schema, name, column],
            ).fetchone(), f"{table}.{column}"


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def test_config_writes_the_directives_and_no_password(tmp_path):
    output = tmp_path / "ora2pg.conf"
    result = run_cli(
        "pandadb",
        "ora2pg",
        "config",
        "--oracle-dsn",
        "dbi:Oracle:host=db;service_name=PANDA;port=1521",
        "--user",
        "ATLAS_PANDA",
        "-o",
        str(output),
        env={"ORA2PG_PASSWD": "s3cret-Passw0rd"},
    )
    assert result.returncode == 0, result.stderr
    text = output.read_text()
    directives = dict(line.split(None, 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    assert directives["ORACLE_DSN"] == "dbi:Oracle:host=db;service_name=PANDA;port=1521"
    assert directives["ORACLE_USER"] == "ATLAS_PANDA"
    assert directives["PG_VERSION"] == "15" and directives["EXPORT_SCHEMA"] == "1"
    assert directives["SCHEMA"] == "ATLAS_PANDA" and directives["PG_SCHEMA"] == "doma_panda"
    assert directives["FORCE_OWNER"] == "panda" and directives["USER_GRANTS"] == "1"
    assert directives["TRANSACTION"] == "readonly" and directives["DEBUG"] == "1"
    assert directives["PG_NUMERIC_TYPE"] == "0" and directives["PG_INTEGER_TYPE"] == "1"
    assert (
        "NUMBER(5):smallint" in directives["DATA_TYPE"]
        and "DATE:timestamp without time zone" in directives["DATA_TYPE"]
    )
    assert "ATLAS_PANDA.CONFIG:VALUE_JSON:jsonb" in directives["MODIFY_TYPE"]
    assert directives["REPLACE_AS_BOOLEAN"] == "NUMBER:1"
    assert "ORACLE_PWD" not in directives and "s3cret" not in text and "@@" not in text
    assert "ORA2PG_PASSWD" in result.stdout


def test_cli_convert_and_check(tmp_path, server_url, database_url):
    out = tmp_path / "converted"
    result = run_cli("pandadb", "ora2pg", "convert", "--output-dir", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "load_order.txt").exists() and re.search(r"patch add_partitioning", result.stdout)

    check = run_cli("pandadb", "ora2pg", "check", "--reference-url", database_url, env={"PANDADB_URL": server_url})
    assert check.returncode == 0, check.stdout + check.stderr
    assert "DIFFERENCE" not in check.stdout and "allowed: index doma_panda.jobsactive4_dispatch_idx" in check.stdout
    with psycopg.connect(server_url) as conn:  # the scratch database is gone
        assert not conn.execute("SELECT 1 FROM pg_database WHERE datname LIKE 'pandadb_ora2pg_%'").fetchone()
