"""Scheduled jobs: the registry, `pandadb scheduler` (PanDA daemon semantics) and `pandadb cron` (pg_cron).

Concurrency is tested with real concurrent schedulers (threads or `pandadb scheduler` processes)
against one test database. Each test job writes its own start/end times (clock_timestamp()) into
a scratch table, so overlap is judged from what the database saw, not from the scheduler's log.
Tests load their own jobs into the test database's registry; partitions/scheduled_jobs.tsv is not touched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.script import ScriptDirectory

from pandadb.cluster import EmbeddedCluster
from pandadb.migrations.runner import alembic_config, migrate_to_head
from pandadb.scheduler import (
    CRON_CLEANUP_JOB_NAME,
    REGISTRY_FILE,
    Scheduler,
    cron_job_name,
    read_registry_file,
)
from pandadb.settings import Settings, find_postgres_bin_directory

from cli_helpers import BIN, run_cli
from conftest import url_for_database

SCRATCH_TABLE = """
CREATE TABLE public.job_intervals (
    job text NOT NULL,
    scheduler text NOT NULL,
    started timestamptz NOT NULL,
    finished timestamptz NOT NULL
)"""


def timed_command(job: str, seconds: float) -> str:
    """A job command that sleeps and logs its own start and end (and which scheduler ran it)."""
    return (
        "DO $job$ DECLARE t0 timestamptz := clock_timestamp(); BEGIN "
        f"PERFORM pg_sleep({seconds}); "
        f"INSERT INTO public.job_intervals VALUES ('{job}', current_setting('application_name'), t0, clock_timestamp()); "
        "END $job$"
    )


def load_jobs(db: psycopg.Connection, jobs: list[dict]) -> dict:
    return db.execute("SELECT doma_panda.load_scheduled_jobs(%s::jsonb)", (json.dumps(jobs),)).fetchone()[0]


def intervals(db: psycopg.Connection, job: str) -> list[tuple[str, object, object]]:
    return db.execute(
        "SELECT scheduler, started, finished FROM public.job_intervals WHERE job = %s ORDER BY started", (job,)
    ).fetchall()


def overlaps(runs: list[tuple[str, object, object]]) -> list[tuple]:
    """Pairs of runs where one started before the previous one ended."""
    ordered = sorted(runs, key=lambda run: run[1])
    return [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b[1] < a[2]]


def wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@contextmanager
def schedulers_in_threads(database_url: str, specs: list[tuple[str, list[str]]], **options):
    """Run one Scheduler per (host id, job names) in its own thread; stop and join them on exit."""
    options.setdefault("max_connections", 2)
    schedulers = [Scheduler(database_url, host_id=host, job_names=jobs, **options) for host, jobs in specs]
    threads = [threading.Thread(target=scheduler.run, daemon=True) for scheduler in schedulers]
    for thread in threads:
        thread.start()
    try:
        yield schedulers
    finally:
        for scheduler in schedulers:
            scheduler.stop()
        for thread in threads:
            thread.join(timeout=20)
        assert not any(thread.is_alive() for thread in threads), "a scheduler did not stop"


@pytest.fixture
def scratch(db):
    db.execute(SCRATCH_TABLE)
    return db


# -- the registry ------------------------------------------------------------------------------


def test_the_migration_loads_the_registry_file_and_schedules_translate_for_pg_cron(db):
    in_file = {job["name"]: job for job in read_registry_file(REGISTRY_FILE)}
    rows = {
        name: (schedule, command, exclusive, enabled)
        for name, schedule, command, exclusive, enabled in db.execute(
            "SELECT name, schedule, command, exclusive, enabled FROM doma_panda.pandadb_scheduled_jobs"
        )
    }
    assert set(rows) == set(in_file)
    assert {"update_jobsactive_stats", "job_watchdog", "sliding_windows", "archive_old_partitions"} <= set(rows)
    watchdog = rows["job_watchdog"]
    assert watchdog == ("1 minute", "SELECT doma_panda.run_watchdog()", True, True)
    # every registry job can run under pg_cron (no sub-minute periods in the shipped registry)
    assert len(db.execute("SELECT * FROM doma_panda.cron_jobs()").fetchall()) == len(in_file)
    # periods become the cron expressions with the same runs; what pg_cron cannot run is refused by name
    converted = [
        (schedule, db.execute("SELECT doma_panda.schedule_cron_expression(%s)", (schedule,)).fetchone()[0])
        for schedule, _ in PERIODS_AND_THEIR_CRON_EXPRESSIONS
    ]
    assert converted == PERIODS_AND_THEIR_CRON_EXPRESSIONS
    for schedule, message in SCHEDULES_PG_CRON_REFUSES:
        with pytest.raises(psycopg.Error) as error:
            db.execute("SELECT doma_panda.schedule_cron_expression(%s)", (schedule,))
        assert error.value.sqlstate == "PD002", schedule
        assert message in error.value.diag.message_primary, schedule


PERIODS_AND_THEIR_CRON_EXPRESSIONS = [
    ("1 minute", "* * * * *"),
    ("5 minutes", "*/5 * * * *"),
    ("1 hour", "0 * * * *"),
    ("6 hours", "0 */6 * * *"),
    ("1 day", "0 0 * * *"),
    ("7 days", "0 0 * * 0"),
    ("120 seconds", "*/2 * * * *"),
    ("@daily", "0 0 * * *"),
    ("*/10  2-4 * jan-mar mon-fri", "*/10 2-4 * jan-mar mon-fri"),
]
SCHEDULES_PG_CRON_REFUSES = [
    ("10 seconds", "pandadb scheduler"),
    ("7 minutes", "no exact cron equivalent"),
    ("90 seconds", "whole number of minutes"),
    ("1 month", "no fixed length"),
    ("10", "with a unit"),
    ("61 * * * *", "neither a cron expression"),
    ("every minute", "neither a cron expression"),
]


def test_loading_is_upsert_plus_delete_and_invalid_input_changes_nothing(db):
    first = load_jobs(
        db,
        [
            {"name": "a", "schedule": "1 minute", "command": "SELECT 1"},
            {"name": "b", "schedule": "10 seconds", "command": "SELECT 2", "exclusive": False},
        ],
    )
    assert first["inserted"] == 2 and first["deleted"] > 0  # the shipped registry was replaced
    again = load_jobs(
        db,
        [
            {"name": "a", "schedule": "1 minute", "command": "SELECT 1"},
            {"name": "c", "schedule": "*/5 * * * *", "command": "SELECT 3", "enabled": False},
        ],
    )
    assert again == {"inserted": 1, "updated": 0, "unchanged": 1, "deleted": 1}
    before = db.execute(
        "SELECT name, schedule, command, exclusive, enabled FROM doma_panda.pandadb_scheduled_jobs ORDER BY 1"
    ).fetchall()
    assert before == [("a", "1 minute", "SELECT 1", True, True), ("c", "*/5 * * * *", "SELECT 3", True, False)]
    bad_inputs = [
        (
            [
                {"name": "a", "schedule": "1 minute", "command": "SELECT 1"},
                {"name": "d", "schedule": "1 minut", "command": "x"},
            ],
            "1 minut",
        ),
        ([{"name": "Bad Name", "schedule": "1 minute", "command": "SELECT 1"}], "invalid scheduled job name"),
        ([{"name": "a", "schedule": "1 minute", "command": "SELECT 1", "period": 3}], "unknown keys: period"),
        ([{"name": "a", "schedule": "1 minute", "command": "SELECT 1", "enabled": "yes"}], "must be true or false"),
        ([{"name": "a", "schedule": "1 minute", "command": " "}], "has no command"),
        ([{"name": "a", "schedule": "1 minute", "command": "SELECT 1"}] * 2, "given twice"),
    ]
    for jobs, message in bad_inputs:
        with pytest.raises(psycopg.Error) as error:
            load_jobs(db, jobs)
        assert error.value.sqlstate == "PD002" and message in error.value.diag.message_primary
    after = db.execute(
        "SELECT name, schedule, command, exclusive, enabled FROM doma_panda.pandadb_scheduled_jobs ORDER BY 1"
    ).fetchall()
    assert after == before


def test_cron_load_reads_a_registry_file(database_url, db, tmp_path):
    registry = tmp_path / "jobs.tsv"
    registry.write_text(
        "# test registry\nname\tschedule\tcommand\texclusive\tenabled\tdescription\n"
        "tick\t10 seconds\tSELECT 1\tno\tyes\ta test job\n"
        "nightly\t0 3 * * *\tSELECT 2\tyes\tno\t\n"
    )
    loaded = run_cli("pandadb", "cron", "load", str(registry), env={"PANDADB_URL": database_url})
    assert loaded.returncode == 0, loaded.stderr
    assert "inserted 2" in loaded.stdout
    assert db.execute(
        "SELECT name, schedule, exclusive, enabled, description FROM doma_panda.pandadb_scheduled_jobs ORDER BY 1"
    ).fetchall() == [("nightly", "0 3 * * *", True, False, None), ("tick", "10 seconds", False, True, "a test job")]
    registry.write_text("name\tschedule\tcommand\texclusive\ntick\t10 seconds\tSELECT 1\tmaybe\n")
    refused = run_cli("pandadb", "cron", "load", str(registry), env={"PANDADB_URL": database_url})
    assert refused.returncode == 1 and "exclusive must be yes or no" in refused.stderr
    assert db.execute("SELECT count(*) FROM doma_panda.pandadb_scheduled_jobs").fetchone()[0] == 2


def test_downgrade_unloads_the_registry_and_drops_tables_it_created(fresh_database_url):
    url = fresh_database_url
    migrate_to_head(url)
    script = ScriptDirectory.from_config(alembic_config(url))
    previous = script.get_revision("0004_scheduler").down_revision
    registry_size = len(read_registry_file(REGISTRY_FILE))
    count_jobs = "SELECT count(*) FROM doma_panda.pandadb_scheduled_jobs"
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute(count_jobs).fetchone()[0] == registry_size
        command.downgrade(alembic_config(url), previous)
        # created by 0001 in a new database: only the rows go
        assert conn.execute(count_jobs).fetchone()[0] == 0
        # a database migrated before the scheduler existed has no registry tables: 0004 creates them...
        conn.execute("DROP TABLE doma_panda.pandadb_scheduled_jobs, doma_panda.pandadb_scheduler_runs")
        migrate_to_head(url)
        assert conn.execute(count_jobs).fetchone()[0] == registry_size
        assert conn.execute("SELECT doma_panda.get_config_value('scheduler', 'RUNS_KEEP_DAYS')").fetchone()[0] == "7"
        # ...and drops them again on downgrade
        command.downgrade(alembic_config(url), previous)
        assert conn.execute("SELECT to_regclass('doma_panda.pandadb_scheduled_jobs')").fetchone()[0] is None
        assert conn.execute("SELECT to_regprocedure('doma_panda.scheduler_jobs(text[])')").fetchone()[0] is None
        migrate_to_head(url)
        assert conn.execute(count_jobs).fetchone()[0] == registry_size


# -- pandadb scheduler -------------------------------------------------------------------------


def scheduler_process(database_url: str, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANDADB_")}
    env["PANDADB_URL"] = database_url
    return subprocess.Popen(
        [str(BIN / "pandadb"), "scheduler", *args], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def test_two_schedulers_never_run_an_exclusive_job_twice_at_once(database_url, scratch):
    # the period is shorter than the run, so both schedulers want to run it all the time
    load_jobs(
        scratch,
        [
            {
                "name": "exclusive_job",
                "schedule": "0.1 seconds",
                "command": timed_command("exclusive_job", 0.3),
                "exclusive": True,
            }
        ],
    )
    processes = [
        scheduler_process(database_url, "--host-id", host, "--jobs", "exclusive_job") for host in ("host_a", "host_b")
    ]
    try:
        assert wait_for(lambda: len(intervals(scratch, "exclusive_job")) >= 1, timeout=30)
        time.sleep(2.0)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=30)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert all("stopped" in output for output in outputs), outputs
    runs = intervals(scratch, "exclusive_job")
    assert len(runs) >= 4, runs
    assert overlaps(runs) == []
    # the run log agrees, and the clean shutdown left no run unfinished
    logged = scratch.execute(
        "SELECT host, started, finished, status FROM doma_panda.pandadb_scheduler_runs "
        "WHERE job_name = 'exclusive_job' ORDER BY started"
    ).fetchall()
    assert {status for *_, status in logged} == {"succeeded"}
    assert len(logged) == len(runs)
    assert overlaps([(host, started, finished) for host, started, finished, _ in logged]) == []


def test_a_job_never_overlaps_itself_on_one_host_but_runs_on_every_host_unless_exclusive(database_url, scratch):
    load_jobs(
        scratch,
        [
            {
                "name": "everywhere",
                "schedule": "0.1 seconds",
                "command": timed_command("everywhere", 0.3),
                "exclusive": False,
            }
        ],
    )
    # two schedulers with the same host id and one with another
    specs = [("host_1", ["everywhere"]), ("host_1", ["everywhere"]), ("host_2", ["everywhere"])]
    with schedulers_in_threads(database_url, specs):
        assert wait_for(lambda: len(intervals(scratch, "everywhere")) >= 8, timeout=30)
    runs = intervals(scratch, "everywhere")
    host_1 = [run for run in runs if run[0].endswith("host_1")]
    host_2 = [run for run in runs if run[0].endswith("host_2")]
    assert len(host_1) >= 3 and len(host_2) >= 3, runs
    assert overlaps(host_1) == [] and overlaps(host_2) == []
    # non-exclusive: each host runs it on its own schedule (PanDA daemon without "sync")
    assert overlaps(runs) != []


def test_a_failing_job_is_recorded_and_the_scheduler_goes_on(database_url, scratch):
    load_jobs(
        scratch,
        [
            {"name": "divides_by_zero", "schedule": "0.1 seconds", "command": "SELECT 1/0"},
            {
                "name": "not_written_yet",
                "schedule": "0.1 seconds",
                "command": "CALL doma_panda.procedure_not_written_yet()",
            },
            {"name": "healthy", "schedule": "0.1 seconds", "command": timed_command("healthy", 0.01)},
        ],
    )
    results = []
    with schedulers_in_threads(database_url, [("host_1", None)], on_result=results.append):
        assert wait_for(lambda: len(intervals(scratch, "healthy")) >= 3, timeout=30)
        assert wait_for(
            lambda: sum(r.job_name == "divides_by_zero" and r.outcome == "failed" for r in results) >= 3, timeout=30
        )
    failures = scratch.execute("""SELECT job_name, count(*), min(error), max(error) FROM doma_panda.pandadb_scheduler_runs
                                  WHERE status = 'failed' GROUP BY job_name ORDER BY 1""").fetchall()
    by_job = {job: (count, first, last) for job, count, first, last in failures}
    assert set(by_job) == {"divides_by_zero", "not_written_yet"}
    assert by_job["divides_by_zero"][0] >= 3 and by_job["divides_by_zero"][1] == "22012: division by zero"
    assert "procedure doma_panda.procedure_not_written_yet() does not exist" in by_job["not_written_yet"][1]
    # the healthy job kept running after the first failure
    first_failure = scratch.execute(
        "SELECT min(finished) FROM doma_panda.pandadb_scheduler_runs WHERE status = 'failed'"
    ).fetchone()[0]
    later = scratch.execute(
        """SELECT count(*) FROM doma_panda.pandadb_scheduler_runs
                               WHERE job_name = 'healthy' AND status = 'succeeded' AND started > %s""",
        (first_failure,),
    ).fetchone()[0]
    assert later >= 2


def test_once_runs_the_named_jobs_and_reports_failures(database_url, scratch):
    load_jobs(
        scratch,
        [
            {"name": "fine", "schedule": "1 hour", "command": timed_command("fine", 0.01)},
            {
                "name": "broken",
                "schedule": "1 hour",
                "command": "SELECT no_such_column FROM doma_panda.pandadb_scheduled_jobs",
            },
            {"name": "untouched", "schedule": "1 hour", "command": timed_command("untouched", 0.01)},
        ],
    )
    env = {"PANDADB_URL": database_url}
    once = run_cli("pandadb", "scheduler", "--once", "--jobs", "fine,broken", "--host-id", "cli", env=env)
    assert once.returncode == 1, once.stdout + once.stderr
    assert "2 jobs, 1 failed" in once.stdout and "no_such_column" in once.stdout
    assert scratch.execute(
        "SELECT job_name, host, status FROM doma_panda.pandadb_scheduler_runs ORDER BY 1"
    ).fetchall() == [("broken", "cli", "failed"), ("fine", "cli", "succeeded")]
    assert len(intervals(scratch, "untouched")) == 0
    unknown = run_cli("pandadb", "scheduler", "--once", "--jobs", "fine,nonesuch", env=env)
    assert unknown.returncode == 1 and "no scheduled job named nonesuch" in unknown.stderr


def test_exclusive_periods_and_cron_slots_count_across_hosts(db):
    load_jobs(
        db,
        [
            {"name": "hourly", "schedule": "1 hour", "command": "SELECT 1"},
            {"name": "per_minute", "schedule": "* * * * *", "command": "SELECT 1"},
        ],
    )
    start = "SELECT run_id, outcome, retry_after_seconds FROM doma_panda.scheduler_run_started(%s, %s, %s)"
    run_id, outcome, _ = db.execute(start, ("hourly", "host_a", None)).fetchone()
    assert outcome == "started"
    db.execute("SELECT doma_panda.scheduler_run_finished(%s)", (run_id,))
    # host_b may not start it again within the hour that host_a's run began
    _, outcome, retry_after = db.execute(start, ("hourly", "host_b", None)).fetchone()
    assert outcome == "not_due" and 3590 < retry_after <= 3600
    # cron slots: one run per slot across hosts
    slot = db.execute("SELECT date_trunc('minute', doma_panda.scheduler_utc_now())").fetchone()[0]
    run_id, outcome, _ = db.execute(start, ("per_minute", "host_a", slot)).fetchone()
    db.execute("SELECT doma_panda.scheduler_run_finished(%s)", (run_id,))
    assert outcome == "started"
    assert db.execute(start, ("per_minute", "host_b", slot)).fetchone()[1:] == ("not_due", None)
    next_slot = db.execute("SELECT %s::timestamp + interval '1 minute'", (slot,)).fetchone()[0]
    assert db.execute(start, ("per_minute", "host_b", next_slot)).fetchone()[1] == "started"


def test_a_run_left_behind_by_a_dead_scheduler_is_marked_abandoned(database_url, db):
    load_jobs(db, [{"name": "job", "schedule": "1 hour", "command": "SELECT 1"}])
    with psycopg.connect(database_url, autocommit=True) as dying:
        run_id, outcome, _ = dying.execute(
            "SELECT * FROM doma_panda.scheduler_run_started('job', 'dying_host')"
        ).fetchone()
        assert outcome == "started"
        # while its connection holds the lock, nobody else starts the job
        assert (
            db.execute("SELECT outcome FROM doma_panda.scheduler_run_started('job', 'other_host')").fetchone()[0]
            == "busy"
        )
    # the connection is gone and its lock with it: the next run marks the old one abandoned
    assert wait_for(
        lambda: (
            db.execute(
                "SELECT outcome FROM doma_panda.scheduler_run_started('job', 'other_host', NULL, true)"
            ).fetchone()[0]
            == "started"
        ),
        10,
    )
    status, error = db.execute(
        "SELECT status, error FROM doma_panda.pandadb_scheduler_runs WHERE run_id = %s", (run_id,)
    ).fetchone()
    assert status == "abandoned" and "went away" in error


def test_shutdown_cancels_a_run_that_outlasts_the_grace_period(database_url, scratch):
    load_jobs(scratch, [{"name": "sleeper", "schedule": "1 hour", "command": "SELECT pg_sleep(30)"}])
    started = time.monotonic()
    with schedulers_in_threads(database_url, [("host_1", ["sleeper"])], shutdown_grace_seconds=0.3):
        assert wait_for(
            lambda: (
                scratch.execute(
                    "SELECT count(*) FROM doma_panda.pandadb_scheduler_runs WHERE status = 'running'"
                ).fetchone()[0]
                == 1
            ),
            20,
        )
    assert time.monotonic() - started < 15
    status, error = scratch.execute("SELECT status, error FROM doma_panda.pandadb_scheduler_runs").fetchone()
    assert status == "failed" and "canceling statement" in error


# -- pg_cron -----------------------------------------------------------------------------------


@pytest.fixture
def cron_db(server_url, database_url):
    """(connection to pg_cron's database, test database name); our entries of the test database are removed afterwards."""
    database = database_url.rsplit("/", 1)[1]
    with psycopg.connect(url_for_database(server_url, "postgres"), autocommit=True) as conn:
        cron_database = conn.execute("SELECT current_setting('cron.database_name')").fetchone()[0]
    with psycopg.connect(url_for_database(server_url, cron_database), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
        yield conn, database
        conn.execute(
            "SELECT cron.unschedule(jobid) FROM cron.job WHERE starts_with(jobname, %s) OR jobname = %s",
            (f"pandadb:{database}:", CRON_CLEANUP_JOB_NAME),
        )


def cron_entries(conn: psycopg.Connection, database: str) -> list[tuple]:
    return conn.execute(
        "SELECT jobname, schedule, command, database, jobid FROM cron.job "
        "WHERE starts_with(jobname, %s) ORDER BY jobname",
        (f"pandadb:{database}:",),
    ).fetchall()


def test_cron_install_is_idempotent_and_removes_jobs_gone_from_the_registry(database_url, db, cron_db):
    cron, database = cron_db
    load_jobs(
        db,
        [
            {"name": "every_minute", "schedule": "1 minute", "command": "SELECT 1"},
            {"name": "every_five", "schedule": "*/5 * * * *", "command": "SELECT 5"},
            {"name": "switched_off", "schedule": "1 hour", "command": "SELECT 0", "enabled": False},
        ],
    )
    env = {"PANDADB_URL": database_url}
    first = run_cli("pandadb", "cron", "install", env=env)
    assert first.returncode == 0, first.stderr
    second = run_cli("pandadb", "cron", "install", env=env)
    assert second.returncode == 0, second.stderr
    assert "0 scheduled, 0 removed" in second.stdout
    entries = cron_entries(cron, database)
    assert [(name, schedule, command, db_name) for name, schedule, command, db_name, _ in entries] == [
        (cron_job_name(database, "every_five"), "*/5 * * * *", "SELECT 5", database),
        (cron_job_name(database, "every_minute"), "* * * * *", "SELECT 1", database),
    ]
    assert cron.execute(
        "SELECT count(*), min(schedule) FROM cron.job WHERE jobname = %s", (CRON_CLEANUP_JOB_NAME,)
    ).fetchone() == (1, "0 0 * * *")

    # a job removed from the registry and one changed: removed and re-registered
    load_jobs(db, [{"name": "every_five", "schedule": "*/10 * * * *", "command": "SELECT 5"}])
    third = run_cli("pandadb", "cron", "install", env=env)
    assert third.returncode == 0, third.stderr
    assert [(name, schedule) for name, schedule, *_ in cron_entries(cron, database)] == [
        (cron_job_name(database, "every_five"), "*/10 * * * *")
    ]


def test_cron_install_refuses_sub_minute_periods_and_changes_nothing(database_url, db, cron_db):
    cron, database = cron_db
    load_jobs(db, [{"name": "every_minute", "schedule": "1 minute", "command": "SELECT 1"}])
    env = {"PANDADB_URL": database_url}
    assert run_cli("pandadb", "cron", "install", env=env).returncode == 0
    before = cron_entries(cron, database)
    load_jobs(
        db,
        [
            {"name": "every_minute", "schedule": "1 minute", "command": "SELECT 1"},
            {"name": "fast", "schedule": "10 seconds", "command": "SELECT 2"},
        ],
    )
    refused = run_cli("pandadb", "cron", "install", env=env)
    assert refused.returncode == 1
    assert "fast" in refused.stderr and "pandadb scheduler" in refused.stderr
    assert cron_entries(cron, database) == before


def test_cron_list_shows_installed_jobs_and_last_runs_and_uninstall_removes_them(database_url, db, cron_db):
    cron, database = cron_db
    load_jobs(
        db,
        [
            {"name": "by_cron", "schedule": "0 3 1 1 *", "command": "SELECT 1"},
            {"name": "by_scheduler", "schedule": "1 hour", "command": "SELECT 1/0"},
        ],
    )
    env = {"PANDADB_URL": database_url}
    assert run_cli("pandadb", "cron", "install", env=env).returncode == 0
    # a run that pg_cron logged, and one by `pandadb scheduler`
    jobid = cron.execute(
        "SELECT jobid FROM cron.job WHERE jobname = %s", (cron_job_name(database, "by_cron"),)
    ).fetchone()[0]
    cron.execute(
        """INSERT INTO cron.job_run_details (jobid, runid, job_pid, database, username, command, status,
                                                      return_message, start_time, end_time)
                    VALUES (%s, nextval('cron.runid_seq'), 1, %s, 'panda', 'SELECT 1', 'failed', 'ERROR:  boom',
                            now() - interval '2 seconds', now() - interval '1.5 seconds')""",
        (jobid, database),
    )
    [result] = Scheduler(database_url, host_id="h9", job_names=["by_scheduler"]).run_once()
    assert result.outcome == "failed"

    listed = run_cli("pandadb", "cron", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    jobs = {job["name"]: job for job in json.loads(listed.stdout)["jobs"]}
    assert jobs["by_cron"]["installed"] and jobs["by_cron"]["cron_schedule"] == "0 3 1 1 *"
    assert (jobs["by_cron"]["last_by"], jobs["by_cron"]["last_status"], jobs["by_cron"]["last_error"]) == (
        "pg_cron",
        "failed",
        "ERROR:  boom",
    )
    assert abs(jobs["by_cron"]["last_duration_seconds"] - 0.5) < 0.01
    assert (jobs["by_scheduler"]["last_by"], jobs["by_scheduler"]["last_status"]) == ("scheduler@h9", "failed")
    assert jobs["by_scheduler"]["last_error"] == "22012: division by zero"
    table = run_cli("pandadb", "cron", "list", env=env)
    assert table.returncode == 0
    line = next(line for line in table.stdout.splitlines() if line.startswith("by_scheduler"))
    assert "0 * * * *" in line and "scheduler@h9" in line and "division by zero" in line

    removed = run_cli("pandadb", "cron", "uninstall", env=env)
    assert removed.returncode == 0, removed.stderr
    assert cron_entries(cron, database) == []
    others = cron.execute(
        "SELECT count(*) FROM cron.job WHERE starts_with(jobname, 'pandadb:') AND jobname <> %s",
        (CRON_CLEANUP_JOB_NAME,),
    ).fetchone()[0]
    cleanup = cron.execute("SELECT count(*) FROM cron.job WHERE jobname = %s", (CRON_CLEANUP_JOB_NAME,)).fetchone()[0]
    assert cleanup == (1 if others else 0)
    listed = json.loads(run_cli("pandadb", "cron", "list", "--json", env=env).stdout)
    assert not any(job["installed"] for job in listed["jobs"])


@pytest.fixture(scope="module")
def server_without_pg_cron():
    """A throw-away cluster of its own with pg_cron not preloaded; yields its 'postgres' URL."""
    home = Path(tempfile.mkdtemp(prefix="pandadb-nocron-"))
    os.environ["PANDADB_FAST_UNSAFE"] = "1"
    cluster = EmbeddedCluster(Settings(database_url=None, home=home, pg_bin=find_postgres_bin_directory()))
    try:
        cluster.initialise()
    finally:
        os.environ.pop("PANDADB_FAST_UNSAFE", None)
    with (cluster.data_dir / "postgresql.conf").open("a") as conf:
        conf.write("shared_preload_libraries = ''\nshared_buffers = '16MB'\nmax_connections = 20\n")
    cluster.start()
    try:
        yield cluster.url("postgres")
    finally:
        # immediate shutdown (SIGQUIT to the postmaster): nothing in this cluster is worth a checkpoint
        postmaster_pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster_pid, signal.SIGQUIT)
        wait_for(lambda: not (cluster.data_dir / "postmaster.pid").exists(), timeout=30)
        shutil.rmtree(home, ignore_errors=True)


def test_cron_install_without_pg_cron_names_the_scheduler(server_without_pg_cron):
    result = run_cli("pandadb", "cron", "install", env={"PANDADB_URL": server_without_pg_cron})
    assert result.returncode == 3
    assert "pg_cron is not loaded" in result.stderr and "pandadb scheduler" in result.stderr
