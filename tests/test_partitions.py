"""Partition maintenance: the policy of section 8.4 applied by pg_partman and by the pandadb engine.

"With pg_partman" is the session's template database (revision 0003 creates the extension there).
"Without" is a database migrated with PANDADB_PARTMAN=off (the revision then leaves the extension
out), so the pandadb engine of procedures/postgres/partitions.sql does the work. Both must produce
the same children (names and bounds) and the same part_config settings.
"""

from __future__ import annotations

import csv
import os
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from alembic import command

from pandadb.errors import ProcedureError
from pandadb.migrations.runner import alembic_config, migrate_to_head
from pandadb.procedures import call

from cli_helpers import run_cli
from conftest import create_database, drop_database

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "upstream_postgres_partition_keys.tsv"
POLICY = ROOT / "partitions" / "policy.tsv"

CHILDREN = """
    SELECT parent_table, child_table, lower_bound, upper_bound FROM doma_panda.partition_report()
     ORDER BY parent_table, child_table
"""
CONFIG_COLUMNS = (
    "parent_table, control, partition_type, partition_interval, premake, epoch, retention, "
    "retention_keep_table, infinite_time_partitions, datetime_string, automatic_maintenance"
)


def read_policy() -> list[dict[str, str]]:
    with open(POLICY, newline="") as handle:
        return list(
            csv.DictReader([line for line in handle if line.strip() and not line.startswith("#")], delimiter="\t")
        )


@pytest.fixture(scope="module")
def no_partman_template(server_url):
    """A database migrated to head with PANDADB_PARTMAN=off: the template of the 'without pg_partman' databases."""
    name = f"pandadb_test_nopartman_{uuid.uuid4().hex[:8]}"
    url = create_database(server_url, name)
    previous = os.environ.get("PANDADB_PARTMAN")
    os.environ["PANDADB_PARTMAN"] = "off"
    try:
        migrate_to_head(url)
    finally:
        if previous is None:
            os.environ.pop("PANDADB_PARTMAN", None)
        else:
            os.environ["PANDADB_PARTMAN"] = previous
    yield name
    drop_database(server_url, name)


@pytest.fixture
def plain_db(server_url, no_partman_template):
    """An autocommit connection to a database of its own without pg_partman."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = create_database(server_url, name, template=no_partman_template)
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn
    drop_database(server_url, name)


@pytest.fixture(params=["pg_partman", "pandadb"])
def engine_db(request):
    """The test runs once with pg_partman and once with the pandadb engine."""
    conn = request.getfixturevalue("db" if request.param == "pg_partman" else "plain_db")
    assert conn.execute("SELECT doma_panda.partition_engine()").fetchone()[0] == request.param
    return conn


def db_now(conn: psycopg.Connection) -> datetime:
    return conn.execute("SELECT doma_panda.panda_now()").fetchone()[0]


def child_of(conn: psycopg.Connection, table: str, where: str, params: tuple) -> list[str]:
    return [
        r[0] for r in conn.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE {where}", params).fetchall()
    ]


def maintain(conn: psycopg.Connection, table: str) -> dict:
    return conn.execute("SELECT doma_panda.maintain_partitioned_table(%s)", (table,)).fetchone()[0]


def children(conn: psycopg.Connection, table: str) -> dict[str, tuple[str, str]]:
    rows = conn.execute(
        "SELECT child_table, lower_bound, upper_bound FROM doma_panda.partition_children(%s) WHERE NOT is_default",
        (table,),
    ).fetchall()
    return {name: (lower, upper) for name, lower, upper in rows}


def test_policy_has_one_row_per_partitioned_table_of_the_reference():
    with open(REFERENCE, newline="") as handle:
        reference = {
            (r["schema"], r["table"], r["partition_key"].split("(", 1)[1].rstrip(")").strip('"'))
            for r in csv.DictReader(handle, delimiter="\t")
        }
    policy = read_policy()
    assert {(r["schema"], r["table"], r["partition_key"]) for r in policy} == reference
    assert len(policy) == len(reference)
    for row in policy:
        if row["table"] == "tablepart4copying":
            assert (row["interval"], row["handled"]) == ("values", "STATIC")
            continue
        assert row["handled"] in ("AUTO", "ADD_DAILYPART", "MANUAL"), row
        assert row["interval"] in ("1 day", "1 month") or row["interval"].isdigit(), row
        assert int(row["premake"]) > 0
    daily = {r["table"] for r in policy if r["handled"] == "ADD_DAILYPART"}
    assert daily == {"jobsarchived4", "filestable4", "metatable", "jobparamstable"}
    assert all(r["interval"] == "1 day" and r["retention"] == "" for r in policy if r["handled"] == "ADD_DAILYPART")


def test_pg_partman_manages_every_policy_table(db):
    assert (
        db.execute("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_partman'").fetchone()[
            0
        ]
        == "partman"
    )
    configs = db.execute(
        "SELECT parent_table, premake, retention, retention_keep_table, infinite_time_partitions, "
        "automatic_maintenance FROM partman.part_config"
    ).fetchall()
    policy = {f"{r['schema']}.{r['table']}": r for r in read_policy() if r["handled"] != "STATIC"}
    assert {c[0] for c in configs} == set(policy)
    for parent, premake, retention, keep_table, infinite, automatic in configs:
        assert premake == int(policy[parent]["premake"])
        assert retention == (policy[parent]["retention"] or None)
        assert keep_table is False and infinite is True
        assert automatic == ("off" if policy[parent]["handled"] == "MANUAL" else "on")
    # pg_partman replaced the schema's default partition by its own, same name
    assert (
        db.execute("SELECT doma_panda.partition_default_name('doma_panda.jobsarchived4')").fetchone()[0]
        == "doma_panda.jobsarchived4_default"
    )
    assert db.execute("SELECT count(*) FROM doma_panda.part_config").fetchone()[0] == 0


def test_children_and_settings_are_identical_with_and_without_pg_partman(db, plain_db):
    with_partman = db.execute(CHILDREN).fetchall()
    without = plain_db.execute(CHILDREN).fetchall()
    assert len(with_partman) > 150
    assert with_partman == without
    assert (
        db.execute(f"SELECT {CONFIG_COLUMNS} FROM partman.part_config ORDER BY 1").fetchall()
        == plain_db.execute(f"SELECT {CONFIG_COLUMNS} FROM doma_panda.part_config ORDER BY 1").fetchall()
    )
    # after a maintenance run on both, still identical
    for conn in (db, plain_db):
        conn.execute("CALL doma_panda.run_partition_maintenance(true)")
    assert db.execute(CHILDREN).fetchall() == plain_db.execute(CHILDREN).fetchall()
    # pg_partman 4.x names: <parent>_pYYYY_MM_DD, <parent>_pYYYY_MM, <parent>_p<lower id>
    names = children(plain_db, "doma_panda.jobsarchived4")
    now = db_now(plain_db)
    assert names[f"jobsarchived4_p{now:%Y_%m_%d}"] == (
        f"{now:%Y-%m-%d} 00:00:00",
        f"{now + timedelta(days=1):%Y-%m-%d} 00:00:00",
    )
    assert f"datasets_p{now:%Y_%m}" in children(plain_db, "doma_panda.datasets")
    assert children(plain_db, "doma_panda.jedi_tasks")["jedi_tasks_p500000"] == ("500000", "1000000")
    assert (
        plain_db.execute("SELECT doma_panda.partition_child_name(repeat('x', 60), '2026_01_01')").fetchone()[0]
        == "x" * 51 + "_p2026_01_01"
    )


def test_rows_in_the_default_partition_end_up_in_their_partition(engine_db):
    conn = engine_db
    now = db_now(conn)
    conn.execute(
        """INSERT INTO doma_panda.jobsarchived4 (pandaid, modificationtime, jobstatus)
                    VALUES (1, %s, 'finished'), (2, %s, 'failed'), (3, %s, 'finished')""",
        (now + timedelta(days=12), now - timedelta(days=9), now),
    )
    conn.execute(
        "INSERT INTO doma_panda.jobs_statuslog (pandaid, modificationtime, jobstatus) VALUES (1, %s, 'running'), "
        "(2, %s, 'running')",
        (now - timedelta(days=5), now - timedelta(days=120)),
    )
    assert set(child_of(conn, "doma_panda.jobsarchived4", "pandaid IN (1, 2)", ())) == {
        "doma_panda.jobsarchived4_default"
    }

    listing = run_cli(
        "pandadb", "partitions", "list", "--table", "doma_panda.jobsarchived4", env={"PANDADB_URL": conn.info.dsn}
    )
    assert listing.returncode == 0, listing.stderr
    assert "jobsarchived4_default" in listing.stdout and "WARNING" in listing.stdout
    assert "2 rows in jobsarchived4_default" in listing.stderr

    result = maintain(conn, "doma_panda.jobsarchived4")
    future, old = (
        f"jobsarchived4_p{now + timedelta(days=12):%Y_%m_%d}",
        f"jobsarchived4_p{now - timedelta(days=9):%Y_%m_%d}",
    )
    assert {future, old} <= set(result["created"])
    assert result["rows_moved"] == 2 and result["rows_left_in_default"] == 0
    assert child_of(conn, "doma_panda.jobsarchived4", "pandaid = 1", ()) == [f"doma_panda.{future}"]
    assert child_of(conn, "doma_panda.jobsarchived4", "pandaid = 2", ()) == [f"doma_panda.{old}"]
    assert child_of(conn, "doma_panda.jobsarchived4", "pandaid = 3", ()) == [
        f"doma_panda.jobsarchived4_p{now:%Y_%m_%d}"
    ]

    # a row older than retention gets no partition (it would be dropped at once): it stays, reported
    result = maintain(conn, "doma_panda.jobs_statuslog")
    assert result["created"] == [f"jobs_statuslog_p{now - timedelta(days=5):%Y_%m_%d}"]
    assert result["rows_left_in_default"] == 1
    assert child_of(conn, "doma_panda.jobs_statuslog", "pandaid = 2", ()) == ["doma_panda.jobs_statuslog_default"]
    assert conn.execute("SELECT count(*) FROM doma_panda.jobsarchived4").fetchone()[0] == 3


def test_partitions_cover_now_and_the_highest_id_plus_premake(engine_db):
    for row in read_policy():
        if row["interval"] not in ("1 day", "1 month"):
            continue
        table = f"{row['schema']}.{row['table']}"
        unit = "day" if row["interval"] == "1 day" else "month"
        expected = {
            r[0]
            for r in engine_db.execute(
                "SELECT b::text FROM generate_series(date_trunc(%(unit)s, doma_panda.panda_now()),"
                " doma_panda.panda_now() + %(interval)s::interval * %(premake)s, %(interval)s::interval) b"
                " WHERE b < doma_panda.panda_now() + %(interval)s::interval * %(premake)s",
                {"unit": unit, "interval": row["interval"], "premake": int(row["premake"])},
            ).fetchall()
        }
        assert len(expected) == int(row["premake"]) + 1
        lowers = {lower for lower, _ in children(engine_db, table).values()}
        assert expected <= lowers, f"{table} lacks partitions from {sorted(expected - lowers)}"
    conn = engine_db
    conn.execute(
        "INSERT INTO doma_panda.harvester_rel_jobs_workers (harvesterid, workerid, pandaid, lastupdate) "
        "VALUES ('h1', 1, 1234567890, now()), ('h1', 2, 150, now())"
    )
    result = maintain(conn, "doma_panda.harvester_rel_jobs_workers")
    names = children(conn, "doma_panda.harvester_rel_jobs_workers")
    for lower in (1_200_000_000, 1_300_000_000, 1_400_000_000, 1_500_000_000):
        assert names[f"harvester_rel_jobs_workers_p{lower}"] == (str(lower), str(lower + 100_000_000))
    assert "harvester_rel_jobs_workers_p1200000000" in result["created"]
    assert child_of(conn, "doma_panda.harvester_rel_jobs_workers", "pandaid = 1234567890", ()) == [
        "doma_panda.harvester_rel_jobs_workers_p1200000000"
    ]
    assert child_of(conn, "doma_panda.harvester_rel_jobs_workers", "pandaid = 150", ()) == [
        "doma_panda.harvester_rel_jobs_workers_p0"
    ]
    # maintenance again: nothing more to do
    assert maintain(conn, "doma_panda.harvester_rel_jobs_workers")["created"] == []


def test_retention_drops_expired_partitions_only_where_the_policy_says(engine_db):
    conn = engine_db
    old = db_now(conn) - timedelta(days=120)  # jobs_statuslog keeps 93 days (partitions/policy.tsv)
    assert (
        conn.execute(
            "SELECT doma_panda.create_partition_for_value('doma_panda.jobs_statuslog', %s)", (str(old),)
        ).fetchone()[0]
        == f"jobs_statuslog_p{old:%Y_%m_%d}"
    )
    conn.execute("SELECT doma_panda.create_partition_for_value('doma_panda.jobsarchived4', %s)", (str(old),))
    assert maintain(conn, "doma_panda.jobs_statuslog")["dropped"] == [f"jobs_statuslog_p{old:%Y_%m_%d}"]
    assert maintain(conn, "doma_panda.jobsarchived4")["dropped"] == []
    assert f"jobsarchived4_p{old:%Y_%m_%d}" in children(conn, "doma_panda.jobsarchived4")


def test_pinned_clock_moves_the_pandadb_engine(plain_db):
    conn = plain_db
    clock = db_now(conn).replace(microsecond=0) + timedelta(days=100)
    conn.execute(f"SET pandadb.clock = '{clock}'")
    for _ in range(2):  # retention never drops the last child in one run; the second run finishes
        conn.execute("CALL doma_panda.run_partition_maintenance()")
    daily = children(conn, "doma_panda.jobsarchived4")
    for offset in range(4):
        assert f"jobsarchived4_p{clock + timedelta(days=offset):%Y_%m_%d}" in daily
    cutoff = clock - timedelta(days=93)  # jobs_statuslog retention (partitions/policy.tsv)
    for name, (lower, _) in children(conn, "doma_panda.jobs_statuslog").items():
        assert datetime.fromisoformat(lower) + timedelta(days=1) >= cutoff, f"{name} is past retention"


def test_concurrent_maintenance_of_one_table_is_serialised(db, database_url):
    now = db_now(db)
    db.execute(
        "INSERT INTO doma_panda.jobsarchived4 (pandaid, modificationtime, jobstatus) "
        "SELECT g, %s, 'finished' FROM generate_series(1, 50) g",
        (now + timedelta(days=20),),
    )
    results, errors = [], []

    def run() -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                results.append(maintain(conn, "doma_panda.jobsarchived4"))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r["rows_moved"] for r in results) == 50
    assert db.execute("SELECT count(*) FROM doma_panda.jobsarchived4_default").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM doma_panda.jobsarchived4").fetchone()[0] == 50


def test_cli_maintain_shows_progress_per_table_and_bad_tables_are_refused(db):
    with pytest.raises(ProcedureError) as unknown:
        call(db, "maintain_partitioned_table", p_parent_table="doma_panda.no_such_table")
    assert unknown.value.sqlstate == "PD003" and "no partition policy" in unknown.value.message
    with pytest.raises(ProcedureError) as static:
        call(db, "create_partition_for_value", p_parent_table="doma_panda.tablepart4copying", p_value="N")
    assert static.value.sqlstate == "PD002"
    assert maintain(db, "doma_panda.tablepart4copying")["status"] == "static"
    result = run_cli("pandadb", "partitions", "maintain", env={"PANDADB_URL": db.info.dsn})
    assert result.returncode == 0, result.stderr
    assert "engine pg_partman: maintaining 24 tables" in result.stdout
    assert "doma_panda.jobsarchived4: maintained" in result.stderr + result.stdout
    manual = run_cli(
        "pandadb", "partitions", "maintain", "--table", "doma_panda.jedi_events", env={"PANDADB_URL": db.info.dsn}
    )
    assert manual.returncode == 0 and "doma_panda.jedi_events: maintained" in manual.stdout
    bad = run_cli("pandadb", "partitions", "maintain", "--table", "doma_panda.nope", env={"PANDADB_URL": db.info.dsn})
    assert bad.returncode != 0 and "no partition policy" in bad.stderr


def test_downgrade_puts_rows_back_into_the_default_and_upgrade_partitions_them_again(database_url, db):
    now = db_now(db)
    db.execute(
        "INSERT INTO doma_panda.jobsarchived4 (pandaid, modificationtime, jobstatus) VALUES (7, %s, 'finished')", (now,)
    )
    command.downgrade(alembic_config(database_url), "0002_procedures")
    assert db.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_partman'").fetchone()[0] == 0
    assert db.execute("SELECT to_regclass('doma_panda.part_config')").fetchone()[0] is None
    assert (
        db.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'doma_panda.jobsarchived4'::regclass"
        ).fetchone()[0]
        == 1
    )
    assert child_of(db, "doma_panda.jobsarchived4", "pandaid = 7", ()) == ["doma_panda.jobsarchived4_default"]
    migrate_to_head(database_url)
    assert child_of(db, "doma_panda.jobsarchived4", "pandaid = 7", ()) == [f"doma_panda.jobsarchived4_p{now:%Y_%m_%d}"]
    assert db.execute("SELECT doma_panda.partition_engine()").fetchone()[0] == "pg_partman"
