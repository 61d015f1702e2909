"""Archival (seed 004, 8.5): old daily partitions of jobsarchived4, filestable4, metatable and
jobparamstable are copied to doma_pandaarch, verified and dropped, tracked in tablepart4copying;
a crash at any point followed by a re-run loses and duplicates nothing.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import psycopg
import pytest

from pandadb.archive import run_archive
from pandadb.errors import ProcedureError
from pandadb.procedures import call, rows

from cli_helpers import run_cli

ARCHIVED = {  # live table -> (archive table, key column, rows per job)
    "jobsarchived4": ("doma_pandaarch.jobsarchived", "pandaid", 1),
    "filestable4": ("doma_pandaarch.filestable_arch", "row_id", 2),
    "metatable": ("doma_pandaarch.metatable_arch", "pandaid", 1),
    "jobparamstable": ("doma_pandaarch.jobparamstable_arch", "pandaid", 1),
}
OLD_DAYS = (5, 6, 7)
JOBS_PER_DAY = 20


def today(conn: psycopg.Connection) -> datetime:
    return conn.execute("SELECT date_trunc('day', doma_panda.panda_now())").fetchone()[0]


def create_jobs(
    conn: psycopg.Connection,
    days_ago: tuple[int, ...] = OLD_DAYS,
    per_day: int = JOBS_PER_DAY,
    first_pandaid: int = 1000,
) -> list[int]:
    """Archived jobs (with 2 files, metadata and parameters each) spread over the given days; returns the pandaids."""
    pandaids = []
    for index, days in enumerate(days_ago):
        day = today(conn) - timedelta(days=days)
        for table in ARCHIVED:
            conn.execute("SELECT doma_panda.create_partition_for_value(%s, %s)", (f"doma_panda.{table}", str(day)))
        first = first_pandaid + index * per_day
        params = {"first": first, "last": first + per_day - 1, "day": day}
        conn.execute(
            """INSERT INTO doma_panda.jobsarchived4 (pandaid, modificationtime, jobstatus, computingsite)
                        SELECT g, %(day)s + make_interval(mins => (g %% 1440)::int), 'finished', 'SITE_A'
                          FROM generate_series(%(first)s::bigint, %(last)s::bigint) g""",
            params,
        )
        conn.execute(
            """INSERT INTO doma_panda.filestable4 (row_id, pandaid, modificationtime, lfn, type)
                        SELECT g * 10 + k, g, %(day)s + make_interval(mins => (g %% 1440)::int), 'file_' || g || '_' || k, 'output'
                          FROM generate_series(%(first)s::bigint, %(last)s::bigint) g, generate_series(1, 2) k""",
            params,
        )
        conn.execute(
            """INSERT INTO doma_panda.metatable (pandaid, modificationtime, metadata)
                        SELECT g, %(day)s + make_interval(mins => (g %% 1440)::int), '{"job": ' || g || '}'
                          FROM generate_series(%(first)s::bigint, %(last)s::bigint) g""",
            params,
        )
        conn.execute(
            """INSERT INTO doma_panda.jobparamstable (pandaid, modificationtime, jobparameters)
                        SELECT g, %(day)s + make_interval(mins => (g %% 1440)::int), '--run ' || g
                          FROM generate_series(%(first)s::bigint, %(last)s::bigint) g""",
            params,
        )
        pandaids += list(range(first, first + per_day))
    return pandaids


def assert_archived_exactly_once(conn: psycopg.Connection, pandaids: list[int]) -> None:
    for table, (archive, key, per_job) in ARCHIVED.items():
        rows = conn.execute(
            f"SELECT {key}, count(*) FROM {archive} WHERE pandaid = ANY(%s) GROUP BY {key}", (pandaids,)
        ).fetchall()
        assert len(rows) == len(pandaids) * per_job, f"{archive}: {len(rows)} distinct rows"
        assert all(count == 1 for _, count in rows), f"{archive} has duplicates"
        assert (
            conn.execute(f"SELECT count(*) FROM doma_panda.{table} WHERE pandaid = ANY(%s)", (pandaids,)).fetchone()[0]
            == 0
        )
    # the archived copy is the row itself (same modification time, same payload)
    assert conn.execute(
        """SELECT count(*) FROM doma_pandaarch.metatable_arch
                            WHERE pandaid = ANY(%s) AND metadata = '{"job": ' || pandaid || '}'""",
        (pandaids,),
    ).fetchone()[0] == len(pandaids)


def old_partitions(conn: psycopg.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT child_table FROM doma_panda.archive_targets() t, doma_panda.partition_children(t.source_table) "
            "WHERE NOT is_default AND upper_bound::timestamp <= doma_panda.panda_now() - interval '3 days'"
        ).fetchall()
    ]


def copy_flags(conn: psycopg.Connection) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT partition_name, copied_to_arch, data_verif_passed, deleted_on IS NOT NULL FROM doma_panda.tablepart4copying"
        ).fetchall()
    }


def test_archive_copies_verifies_and_drops_old_partitions(db):
    pandaids = create_jobs(db)
    recent = create_jobs(db, days_ago=(0,), per_day=5, first_pandaid=900_000)
    assert len(old_partitions(db)) >= 12
    steps = run_archive(db)
    assert [s["status"] for s in steps].count("dropped") == 12
    assert_archived_exactly_once(db, pandaids)
    assert old_partitions(db) == []
    flags = copy_flags(db)
    for days in OLD_DAYS:
        day = today(db) - timedelta(days=days)
        for table in ARCHIVED:
            assert flags[f"{table}_p{day:%Y_%m_%d}"] == ("Y", "YES", True)
    log = db.execute(
        "SELECT rows_copied, rows_verified FROM doma_panda.archive_partition_log WHERE partition_name = %s",
        (f"filestable4_p{today(db) - timedelta(days=5):%Y_%m_%d}",),
    ).fetchone()
    assert log == (2 * JOBS_PER_DAY, 2 * JOBS_PER_DAY)
    # recent jobs stay where they are; a second run has nothing to do
    assert (
        db.execute("SELECT count(*) FROM doma_panda.jobsarchived4 WHERE pandaid = ANY(%s)", (recent,)).fetchone()[0]
        == 5
    )
    assert run_archive(db) == []
    assert_archived_exactly_once(db, pandaids)


def test_a_stop_between_copy_and_drop_is_finished_by_the_next_run(db):
    pandaids = create_jobs(db)
    db.execute("SET pandadb.archive_test_failure = 'after_copy'")
    with pytest.raises(psycopg.errors.RaiseException, match="after_copy"):
        db.execute("CALL doma_panda.archive_old_partitions()")
    first = f"jobsarchived4_p{today(db) - timedelta(days=7):%Y_%m_%d}"
    assert copy_flags(db)[first] == ("Y", None, False)  # copied, committed, not dropped
    assert first in old_partitions(db)
    assert db.execute("SELECT count(*) FROM doma_pandaarch.jobsarchived").fetchone()[0] == JOBS_PER_DAY
    db.execute("RESET pandadb.archive_test_failure")
    steps = run_archive(db)
    assert (steps[0]["partition_name"], steps[0]["status"]) == (first, "dropped")
    assert_archived_exactly_once(db, pandaids)
    assert old_partitions(db) == []


@pytest.mark.parametrize("failure", ["mid_copy", "before_drop"])
def test_a_failure_inside_a_step_rolls_it_back_and_the_rerun_is_exact(db, failure):
    pandaids = create_jobs(db)
    db.execute(f"SET pandadb.archive_test_failure = '{failure}'")
    with pytest.raises(psycopg.errors.RaiseException, match=failure):
        db.execute("CALL doma_panda.archive_old_partitions()")
    first = f"jobsarchived4_p{today(db) - timedelta(days=7):%Y_%m_%d}"
    archived = db.execute("SELECT count(*) FROM doma_pandaarch.jobsarchived").fetchone()[0]
    if failure == "mid_copy":
        assert archived == 0 and copy_flags(db)[first] == ("N", None, False)
    else:  # the copy was committed; verify + drop rolled back
        assert archived == JOBS_PER_DAY and copy_flags(db)[first] == ("Y", None, False)
    assert first in old_partitions(db)
    db.execute("RESET pandadb.archive_test_failure")
    run_archive(db)
    assert_archived_exactly_once(db, pandaids)


def test_an_archiver_killed_halfway_loses_and_duplicates_nothing(db, database_url):
    pandaids = create_jobs(db)
    blocked = f"metatable_p{today(db) - timedelta(days=6):%Y_%m_%d}"
    errors: list[BaseException] = []
    archiver_pid: list[int] = []

    def archive() -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                archiver_pid.append(conn.info.backend_pid)
                conn.execute("CALL doma_panda.archive_old_partitions()")
        except BaseException as error:  # the kill ends up here
            errors.append(error)

    with psycopg.connect(database_url) as holder:
        holder.execute(f"LOCK TABLE doma_panda.{blocked} IN ACCESS EXCLUSIVE MODE")
        thread = threading.Thread(target=archive)
        thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until the archiver waits for the lock, halfway through
            if archiver_pid and db.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (archiver_pid[0],)
            ).fetchone() == ("Lock",):
                break
            time.sleep(0.05)
        assert db.execute("SELECT pg_terminate_backend(%s)", (archiver_pid[0],)).fetchone()[0]
        thread.join(30)
        holder.rollback()
    assert errors and isinstance(errors[0], psycopg.OperationalError)
    flags = copy_flags(db)
    done = [name for name, (copied, _, dropped) in flags.items() if copied == "Y" and dropped]
    assert 0 < len(done) < 12 and blocked in old_partitions(db)
    run_archive(db)
    assert_archived_exactly_once(db, pandaids)
    assert old_partitions(db) == []


def test_rows_changed_after_the_copy_are_copied_again_before_the_drop(db):
    pandaids = create_jobs(db)
    db.execute("SET pandadb.archive_test_failure = 'after_copy'")
    with pytest.raises(psycopg.errors.RaiseException):
        db.execute("CALL doma_panda.archive_old_partitions()")
    db.execute("RESET pandadb.archive_test_failure")
    day = today(db) - timedelta(days=7)
    # a late job lands in the copied partition, another one is updated there
    db.execute(
        "INSERT INTO doma_panda.jobsarchived4 (pandaid, modificationtime, jobstatus) VALUES (5, %s, 'failed')",
        (day + timedelta(hours=23),),
    )
    updated = pandaids[2 * JOBS_PER_DAY]  # OLD_DAYS[2], the day archived first
    db.execute("UPDATE doma_panda.jobsarchived4 SET jobstatus = 'closed' WHERE pandaid = %s", (updated,))
    steps = run_archive(db)
    first = next(s for s in steps if s["partition_name"] == f"jobsarchived4_p{day:%Y_%m_%d}")
    assert first["status"] == "dropped" and first["recopied"] is True and first["rows_verified"] == JOBS_PER_DAY + 1
    assert db.execute(
        "SELECT jobstatus FROM doma_pandaarch.jobsarchived WHERE pandaid = %s", (updated,)
    ).fetchone() == ("closed",)
    assert_archived_exactly_once(db, pandaids)
    assert db.execute("SELECT count(*) FROM doma_pandaarch.jobsarchived WHERE pandaid = 5").fetchone()[0] == 1


def test_concurrent_archivers_archive_each_row_once(db, database_url):
    pandaids = create_jobs(db)
    errors: list[BaseException] = []

    def archive() -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute("CALL doma_panda.archive_old_partitions()")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=archive) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    if old_partitions(db):  # a partition skipped as busy by every runner is done by the next run
        run_archive(db)
    assert_archived_exactly_once(db, pandaids)


def test_bad_input_is_refused_and_changes_nothing_and_gdpconfig_sets_the_age(db):
    create_jobs(db, days_ago=(5,), per_day=3)
    name = f"jobsarchived4_p{today(db) - timedelta(days=5):%Y_%m_%d}"
    for helper, function, arguments, state in [
        (call, "archive_copy_partition", {"p_table_name": "jobsactive4", "p_partition_name": name}, "PD002"),
        (
            call,
            "archive_copy_partition",
            {"p_table_name": "jobsarchived4", "p_partition_name": "jobsarchived4_p1999_01_01"},
            "PD003",
        ),
        (
            call,
            "archive_verify_and_drop_partition",
            {"p_table_name": "jobsarchived4", "p_partition_name": name},
            "PD004",
        ),
        (rows, "archive_candidates", {"p_older_than_days": -1}, "PD002"),
    ]:
        with pytest.raises(ProcedureError) as refused:
            helper(db, function, **arguments)
        assert refused.value.sqlstate == state, refused.value.message
    assert name in old_partitions(db)
    assert db.execute("SELECT count(*) FROM doma_panda.tablepart4copying").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM doma_pandaarch.jobsarchived").fetchone()[0] == 0
    # the default age is gdpconfig ARCHIVE_AFTER_DAYS
    db.execute("UPDATE doma_panda.config SET value = '10' WHERE component = 'archive' AND key = 'ARCHIVE_AFTER_DAYS'")
    assert run_archive(db) == []
    assert len(run_archive(db, older_than_days=4)) == 8  # 4 tables x (copy, verify + drop)


def test_a_job_end_holding_the_parent_table_makes_the_drop_wait_briefly_not_deadlock(db, database_url):
    create_jobs(db, days_ago=(5,), per_day=2)
    db.execute("SELECT doma_panda.create_partition_for_value('doma_panda.filestable4', %s)", (str(today(db)),))
    with psycopg.connect(database_url) as job_end:  # a job end in progress: writes today's files, holds the parent
        job_end.execute("UPDATE doma_panda.filestable4 SET status = status WHERE modificationtime >= %s", (today(db),))
        steps = run_archive(db, 3)
        job_end.rollback()
    by_table = {step["table_name"]: step for step in steps if step["status"] in ("dropped", "busy")}
    assert (
        by_table["filestable4"]["status"] == "busy"
        and by_table["filestable4"]["waiting_for"] == "doma_panda.filestable4"
    )
    assert by_table["jobsarchived4"]["status"] == "dropped"  # the other tables went on
    assert [name for name in old_partitions(db) if name.startswith("filestable4")], "left for the next run"
    run_archive(db, 3)
    assert old_partitions(db) == []


def test_cli_archive_run_exits_non_zero_naming_a_partition_another_run_holds(db, database_url):
    create_jobs(db, days_ago=(5,), per_day=2)
    held = f"jobsarchived4_p{today(db) - timedelta(days=5):%Y_%m_%d}"
    with psycopg.connect(database_url) as other:  # another archive run in the middle of this partition
        other.execute("SELECT pg_advisory_xact_lock(hashtext('pandadb archive'), hashtext(%s))", (held,))
        result = run_cli("pandadb", "archive", "run", "--older-than", "3", env={"PANDADB_URL": database_url})
        other.rollback()
    assert result.returncode == 1, result.stdout + result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1 and f"jobsarchived4.{held} (busy)" in error_lines[0]
    assert "\r" not in result.stderr  # no progress-bar redraws when the output is not a terminal
    assert held in old_partitions(db)  # left for the next run, the others archived
    assert len(old_partitions(db)) == 1
    again = run_cli("pandadb", "archive", "run", "--older-than", "3", env={"PANDADB_URL": database_url})
    assert again.returncode == 0 and old_partitions(db) == []


def test_cli_archive_run_and_status(db):
    pandaids = create_jobs(db, days_ago=(5,), per_day=4)
    env = {"PANDADB_URL": db.info.dsn}
    result = run_cli("pandadb", "archive", "run", "--older-than", "3", env=env)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "4 partitions due for archival" in output
    assert "jobsarchived4_p" in output and "4 rows copied" in output and "4/4 rows verified, dropped" in output
    assert "archived 4 partitions, 20 rows" in output
    status = run_cli("pandadb", "archive", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert f"filestable4_p{today(db) - timedelta(days=5):%Y_%m_%d}" in status.stdout and " YES " in status.stdout
    assert "doma_pandaarch.filestable_arch" in status.stdout and "8 rows" in status.stdout
    assert_archived_exactly_once(db, pandaids)


def test_bench_archive_prints_both_rates(server_url):
    result = run_cli(
        "pandadb", "bench", "archive", "--jobs", "40", "--days", "1", env={"PANDADB_URL": server_url}, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if "jobs/s" in line]
    assert any(line.startswith("archive_old_partitions") for line in lines), result.stdout
    assert any(line.startswith("reference") for line in lines), result.stdout
    assert "ratio" in result.stdout
