"""Sliding windows (procedures/postgres/windows.sql): with a pinned clock, each window deletes exactly
the rows older than now - retention, drops whole expired partitions (never the default one), leaves
busy partitions for the next run, rejects bad arguments, and run_sliding_windows runs them all."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
import pytest

NOW = datetime(2026, 6, 15, 12, 0, 0)

# procedure -> (table, time column, upstream default retention in days, INSERT of %(n)s rows at %(ts)s
#               with keys from %(base)s)
WINDOWS = {
    "jobs_statuslog_sl_window": (
        "doma_panda.jobs_statuslog",
        "modificationtime",
        93,
        "INSERT INTO doma_panda.jobs_statuslog (pandaid, modificationtime, jobstatus) "
        "SELECT %(base)s + g, %(ts)s, 'running' FROM generate_series(1, %(n)s) g",
    ),
    "tasks_statuslog_sl_window": (
        "doma_panda.tasks_statuslog",
        "modificationtime",
        93,
        "INSERT INTO doma_panda.tasks_statuslog (jeditaskid, modificationtime, status) "
        "SELECT %(base)s + g, %(ts)s, 'running' FROM generate_series(1, %(n)s) g",
    ),
    "harvester_workers_sl_window": (
        "doma_panda.harvester_workers",
        "lastupdate",
        60,
        "INSERT INTO doma_panda.harvester_workers (harvesterid, workerid, lastupdate, status) "
        "SELECT 'harv_w', %(base)s + g, %(ts)s, 'running' FROM generate_series(1, %(n)s) g",
    ),
    "harvester_rel_jobs_workers_sl_window": (
        "doma_panda.harvester_rel_jobs_workers",
        "lastupdate",
        60,
        "INSERT INTO doma_panda.harvester_rel_jobs_workers (harvesterid, workerid, pandaid, lastupdate) "
        "SELECT 'harv_w', %(base)s + g, %(base)s + g, %(ts)s FROM generate_series(1, %(n)s) g",
    ),
    "harvester_dialogs_sl_window": (
        "doma_panda.harvester_dialogs",
        "creationtime",
        10,
        "INSERT INTO doma_panda.harvester_dialogs (harvester_id, diagid, creationtime) "
        "SELECT 'harv_w', %(base)s + g, %(ts)s FROM generate_series(1, %(n)s) g",
    ),
    "harvester_metrics_sl_window": (
        "doma_panda.harvester_metrics",
        "creation_time",
        7,
        "INSERT INTO doma_panda.harvester_metrics (harvester_id, creation_time, metrics) "
        "SELECT 'harv_w', %(ts)s, 'm' || (%(base)s + g) FROM generate_series(1, %(n)s) g",
    ),
    "pandalog_sl_window": (
        "doma_panda.pandalog",
        "bintime",
        10,
        "INSERT INTO doma_panda.pandalog (bintime, name, message) "
        "SELECT %(ts)s, 'panda', 'message ' || (%(base)s + g) FROM generate_series(1, %(n)s) g",
    ),
    "datasets_sl_window": (
        "doma_panda.datasets",
        "modificationdate",
        93,
        "INSERT INTO doma_panda.datasets (vuid, name, modificationdate) "
        "SELECT 'vuid' || (%(base)s + g), 'ds' || (%(base)s + g), %(ts)s FROM generate_series(1, %(n)s) g",
    ),
    "job_metrics_sl_window": (
        "doma_panda.job_metrics",
        "modificationtime",
        365,
        "INSERT INTO doma_panda.job_metrics (pandaid, modificationtime) "
        "SELECT %(base)s + g, %(ts)s FROM generate_series(1, %(n)s) g",
    ),
    "task_metrics_sl_window": (
        "doma_panda.task_metrics",
        "modificationtime",
        365,
        "INSERT INTO doma_panda.task_metrics (jeditaskid, modificationtime) "
        "SELECT %(base)s + g, %(ts)s FROM generate_series(1, %(n)s) g",
    ),
    "worker_node_metrics_sl_window": (
        "doma_panda.worker_node_metrics",
        "timestamp",
        365,
        "INSERT INTO doma_panda.worker_node_metrics (site, host_name, timestamp) "
        "SELECT 'SITE', 'host' || (%(base)s + g), %(ts)s FROM generate_series(1, %(n)s) g",
    ),
    "task_attempts_sl_window": (
        "doma_panda.task_attempts",
        "starttime",
        365,
        "INSERT INTO doma_panda.task_attempts (jeditaskid, attemptnr, starttime) "
        "SELECT %(base)s + g, 1, %(ts)s FROM generate_series(1, %(n)s) g",
    ),
    "usercacheusage_sl_window": (
        "doma_pandameta.usercacheusage",
        "creationtime",
        93,
        "INSERT INTO doma_pandameta.usercacheusage (username, filename, hostname, creationtime) "
        "SELECT 'user', 'file' || (%(base)s + g), 'host', %(ts)s FROM generate_series(1, %(n)s) g",
    ),
    "job_output_report_sl_window": (
        "doma_panda.job_output_report",
        "timestamp",
        30,
        "INSERT INTO doma_panda.job_output_report (pandaid, jobstatus, attemptnr, timestamp) "
        "SELECT %(base)s + g, 'finished', 1, %(ts)s FROM generate_series(1, %(n)s) g",
    ),
}


@pytest.fixture
def pinned(db):
    db.execute(f"SET pandadb.clock = '{NOW:%Y-%m-%d %H:%M:%S}'")
    db.execute("SELECT doma_panda.register_harvester_instance('harv_w')")
    return db


def insert_rows(conn: psycopg.Connection, procedure: str, times: dict[datetime, int]) -> None:
    insert_sql = WINDOWS[procedure][3]
    for index, (ts, n) in enumerate(times.items()):
        conn.execute(insert_sql, {"base": 1000 * (index + 1), "ts": ts, "n": n})


def remaining(conn: psycopg.Connection, table: str, column: str) -> dict[datetime, int]:
    return dict(conn.execute(f'SELECT "{column}", count(*) FROM {table} GROUP BY 1').fetchall())


def partitions(conn: psycopg.Connection, table: str) -> set[str]:
    return {
        name
        for (name,) in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            (table,),
        ).fetchall()
    }


def test_each_window_deletes_exactly_the_rows_older_than_its_retention(pinned):
    for procedure, (table, column, days, _) in sorted(WINDOWS.items()):
        boundary = NOW - timedelta(days=days)
        expired = {
            boundary - timedelta(days=40): 2,
            boundary - timedelta(days=1): 3,
            boundary - timedelta(seconds=1): 4,
        }
        kept = {boundary: 2, boundary + timedelta(seconds=1): 3, NOW: 2}
        insert_rows(pinned, procedure, {**expired, **kept})
        pinned.execute(f"CALL doma_panda.{procedure}(p_batch_size => 2)")  # default retention, small batches
        assert remaining(pinned, table, column) == kept, procedure
        pinned.execute(f"CALL doma_panda.{procedure}()")  # idempotent
        assert remaining(pinned, table, column) == kept, procedure
        # the retention is a parameter: one day keeps only today's rows
        pinned.execute(f"CALL doma_panda.{procedure}(p_retention_days => 1)")
        assert remaining(pinned, table, column) == {NOW: 2}, procedure


def create_daily_partitions(conn: psycopg.Connection, table: str, days: list[str]) -> None:
    for day in days:
        start = datetime.strptime(day, "%Y-%m-%d")
        conn.execute(
            f"CREATE TABLE {table}_p{start:%Y%m%d} PARTITION OF {table} "
            f"FOR VALUES FROM ('{start}') TO ('{start + timedelta(days=1)}')"
        )


def test_expired_partitions_are_dropped_the_straddling_one_and_the_default_are_trimmed(pinned):
    table = "doma_panda.jobs_statuslog"
    # 93 days before 2026-06-15 12:00 is 2026-03-14 12:00
    create_daily_partitions(pinned, table, ["2026-03-12", "2026-03-13", "2026-03-14", "2026-03-15", "2026-06-15"])
    expired = {
        datetime(2026, 3, 12, 1): 2,
        datetime(2026, 3, 13, 23, 59, 59): 2,
        datetime(2026, 3, 14, 0): 1,
        datetime(2026, 3, 14, 11, 59, 59): 1,
        datetime(2026, 1, 1): 3,
    }
    kept = {
        datetime(2026, 3, 14, 12): 1,
        datetime(2026, 3, 14, 18): 2,
        datetime(2026, 3, 15, 6): 2,
        NOW: 1,
        datetime(2026, 5, 1): 3,
    }
    insert_rows(pinned, "jobs_statuslog_sl_window", {**expired, **kept})
    before = partitions(pinned, table)
    assert {"jobs_statuslog_default", "jobs_statuslog_p20260312", "jobs_statuslog_p20260313"} <= before

    # rows phase: expired rows of the straddling and default partitions go, the expired partitions stay
    pinned.execute("CALL doma_panda.jobs_statuslog_sl_window(p_phase => 'rows')")
    assert partitions(pinned, table) == before
    assert remaining(pinned, table, "modificationtime") == {
        **kept,
        datetime(2026, 3, 12, 1): 2,
        datetime(2026, 3, 13, 23, 59, 59): 2,
    }
    assert pinned.execute("SELECT count(*) FROM doma_panda.jobs_statuslog_default").fetchone() == (3,)

    # partitions phase: the two expired partitions are detached and dropped, nothing else
    pinned.execute("CALL doma_panda.jobs_statuslog_sl_window(p_phase => 'partitions')")
    assert partitions(pinned, table) == before - {"jobs_statuslog_p20260312", "jobs_statuslog_p20260313"}
    assert pinned.execute("SELECT to_regclass('doma_panda.jobs_statuslog_p20260312')").fetchone() == (None,)
    assert remaining(pinned, table, "modificationtime") == kept

    # far in the future every bounded partition has expired (including those partition maintenance
    # made ahead); the default partition stays
    pinned.execute("SET pandadb.clock = '2100-01-01 00:00:00'")
    pinned.execute("CALL doma_panda.jobs_statuslog_sl_window()")
    assert partitions(pinned, table) == {"jobs_statuslog_default"}
    assert remaining(pinned, table, "modificationtime") == {}


def test_a_busy_partition_is_left_for_the_next_run_without_blocking_writers(pinned, database_url):
    table = "doma_panda.jobs_statuslog"
    create_daily_partitions(pinned, table, ["2026-03-01"])
    insert_rows(pinned, "jobs_statuslog_sl_window", {datetime(2026, 3, 1, 6): 2, datetime(2026, 1, 1): 1, NOW: 1})
    notices: list[str] = []
    pinned.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary))
    with psycopg.connect(database_url) as writer:
        # a writer in the middle of its transaction holds its lock on the table
        writer.execute(
            "INSERT INTO doma_panda.jobs_statuslog (pandaid, modificationtime, jobstatus) VALUES (1, %s, 'running')",
            (NOW,),
        )
        pinned.execute("CALL doma_panda.jobs_statuslog_sl_window()")
        assert any("busy" in n for n in notices)
        assert "jobs_statuslog_p20260301" in partitions(pinned, table)
        assert remaining(pinned, table, "modificationtime") == {datetime(2026, 3, 1, 6): 2, NOW: 1}
        # the writer was not blocked: it still works and commits
        writer.execute(
            "INSERT INTO doma_panda.jobs_statuslog (pandaid, modificationtime, jobstatus) VALUES (2, %s, 'running')",
            (NOW,),
        )
        writer.commit()
    assert pinned.execute("SHOW lock_timeout").fetchone() == ("0",)  # the caller's setting is restored
    pinned.execute("CALL doma_panda.jobs_statuslog_sl_window()")
    assert "jobs_statuslog_p20260301" not in partitions(pinned, table)
    assert remaining(pinned, table, "modificationtime") == {NOW: 3}


JEDI_TASKS = {  # jeditaskid: (status, modificationtime)
    1001: ("finished", datetime(2026, 4, 1)),
    1002: ("aborted", datetime(2026, 1, 1)),
    2001: ("done", datetime(2026, 4, 1)),
    2002: ("running", datetime(2026, 1, 1)),
    3001: ("failed", datetime(2026, 4, 1)),
    3500: ("running", datetime(2026, 6, 1)),
    5001: ("broken", NOW - timedelta(days=30, seconds=1)),
    5002: ("finished", NOW - timedelta(days=30)),
}


def test_jedi_events_of_tasks_over_for_30_days_go_by_partition_or_by_row(pinned):
    for jeditaskid, (status, modified) in JEDI_TASKS.items():
        pinned.execute(
            "INSERT INTO doma_panda.jedi_tasks (jeditaskid, status, username, creationdate, modificationtime) "
            "VALUES (%s, %s, 'user', '2026-01-01', %s)",
            (jeditaskid, status, modified),
        )
    # our own ranges instead of the ones partition maintenance made ahead
    for (premade,) in pinned.execute(
        "SELECT c.oid::regclass::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'doma_panda.jedi_events'::regclass "
        "AND c.relname <> 'jedi_events_default'"
    ).fetchall():
        pinned.execute(f"DROP TABLE {premade}")
    pinned.execute(
        "CREATE TABLE doma_panda.jedi_events_t4000 PARTITION OF doma_panda.jedi_events FOR VALUES FROM (4000) TO (5000)"
    )  # empty: left to partition maintenance
    for first in (1000, 2000, 3000, 6000):
        pinned.execute(
            f"CREATE TABLE doma_panda.jedi_events_t{first} PARTITION OF doma_panda.jedi_events "
            f"FOR VALUES FROM ({first}) TO ({first + 1000})"
        )
    for jeditaskid in (1001, 1002, 2001, 2002, 3001, 5001, 5002):
        pinned.execute(
            "INSERT INTO doma_panda.jedi_events (jeditaskid, pandaid, fileid, job_processid, datasetid, status) "
            "SELECT %s, 1, 1, g, 1, 0 FROM generate_series(1, 5) g",
            (jeditaskid,),
        )
    pinned.execute("CALL doma_panda.jedi_events_sl_window(p_batch_size => 2)")
    remaining_events = dict(
        pinned.execute("SELECT jeditaskid, count(*) FROM doma_panda.jedi_events GROUP BY 1").fetchall()
    )
    # 2002 is running; 5002 ended exactly 30 days ago, not before
    assert remaining_events == {2002: 5, 5002: 5}
    # only the partition whose every task is over goes; 3000-3999 has a running task (3500) without events,
    # 4000-4999 is empty, 6000-6999 lies beyond the newest task; the default partition stays
    assert partitions(pinned, "doma_panda.jedi_events") == {
        "jedi_events_default",
        "jedi_events_t2000",
        "jedi_events_t3000",
        "jedi_events_t4000",
        "jedi_events_t6000",
    }


def test_run_sliding_windows_runs_every_window_with_its_default(pinned):
    for procedure, (_, _, days, _) in WINDOWS.items():
        boundary = NOW - timedelta(days=days)
        insert_rows(pinned, procedure, {boundary - timedelta(seconds=1): 1, boundary + timedelta(seconds=1): 2})
    pinned.execute(
        "INSERT INTO doma_panda.jedi_tasks (jeditaskid, status, username, creationdate, modificationtime) "
        "VALUES (1, 'done', 'user', '2026-01-01', '2026-01-01'), (2, 'done', 'user', '2026-01-01', %s)",
        (NOW,),
    )
    pinned.execute(
        "INSERT INTO doma_panda.jedi_events (jeditaskid, pandaid, fileid, job_processid, datasetid, status) "
        "VALUES (1, 1, 1, 1, 1, 0), (2, 1, 1, 1, 1, 0)"
    )
    create_daily_partitions(pinned, "doma_panda.pandalog", ["2026-05-01"])
    pinned.execute("INSERT INTO doma_panda.pandalog (bintime, name) VALUES ('2026-05-01 10:00', 'old')")
    pinned.execute("CALL doma_panda.run_sliding_windows()")
    for procedure, (table, column, days, _) in WINDOWS.items():
        assert remaining(pinned, table, column) == {NOW - timedelta(days=days) + timedelta(seconds=1): 2}, procedure
    assert pinned.execute("SELECT jeditaskid FROM doma_panda.jedi_events").fetchall() == [(2,)]
    assert "pandalog_p20260501" not in partitions(pinned, "doma_panda.pandalog")


def test_a_concurrent_run_is_skipped(pinned, database_url):
    insert_rows(pinned, "pandalog_sl_window", {datetime(2026, 1, 1): 2})
    with psycopg.connect(database_url, autocommit=True) as other:
        notices: list[str] = []
        other.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary))
        other.execute("SET statement_timeout = '5s'")
        with pinned.transaction():
            pinned.execute("CALL doma_panda.run_sliding_windows()")
            other.execute("CALL doma_panda.run_sliding_windows()")
            other.execute("CALL doma_panda.pandalog_sl_window()")
        assert [n for n in notices if "skipped" in n] == [
            "run_sliding_windows is running in another session: this run is skipped",
            "sliding window of doma_panda.pandalog is running in another session: this run is skipped",
        ]
    assert remaining(pinned, "doma_panda.pandalog", "bintime") == {}


BAD_CALLS = [
    ("CALL doma_panda.jobs_statuslog_sl_window(p_retention_days => 0)", "PD002", "retention"),
    ("CALL doma_panda.jobs_statuslog_sl_window(p_retention_days => NULL)", "PD002", "retention"),
    ("CALL doma_panda.pandalog_sl_window(p_batch_size => 0)", "PD002", "batch size"),
    ("CALL doma_panda.jedi_events_sl_window(p_phase => 'everything')", "PD002", "phase"),
    (
        "CALL doma_panda.panda_table_sl_window('doma_panda.no_such_table', 'modificationtime', 3)",
        "PD003",
        "does not exist",
    ),
    ("CALL doma_panda.panda_table_sl_window('doma_panda.jobs_statuslog', 'jobstatus', 3)", "PD002", "timestamp column"),
]


def test_bad_arguments_are_rejected_and_change_nothing(pinned):
    insert_rows(pinned, "jobs_statuslog_sl_window", {datetime(2025, 1, 1): 2})
    for call, sqlstate, words in BAD_CALLS:
        with pytest.raises(psycopg.Error) as raised:
            pinned.execute(call)
        assert raised.value.sqlstate == sqlstate, call
        assert words in raised.value.diag.message_primary, call
        assert remaining(pinned, "doma_panda.jobs_statuslog", "modificationtime") == {datetime(2025, 1, 1): 2}


def test_partition_retention_of_each_windowed_table_equals_its_window_default(db):
    """Partition drops (policy retention, pg_partman or ours) and row deletions (windows) agree per table."""
    import re

    policy = (
        dict(
            ((s + "." + t), r)
            for s, t, r in db.execute(
                "SELECT schema_name, table_name, retention FROM doma_panda.partition_policy WHERE retention IS NOT NULL"
                " AND retention <> ''"
            ).fetchall()
        )
        if db.execute("SELECT to_regclass('doma_panda.partition_policy') IS NOT NULL").fetchone()[0]
        else None
    )
    assert policy, "the partition policy is loaded"
    mismatches = []
    for procedure, (table, _column, default_days, _insert) in WINDOWS.items():
        arguments = db.execute(
            "SELECT pg_get_function_arguments(%s::regproc)", (f"doma_panda.{procedure}",)
        ).fetchone()[0]
        declared = int(re.search(r"p_retention_days integer DEFAULT (\d+)", arguments).group(1))
        assert declared == default_days, f"{procedure}: declared default {declared}, test table says {default_days}"
        if table in policy and policy[table] != f"{declared} days":
            mismatches.append(f"{table}: policy retention {policy[table]!r}, window default {declared} days")
    assert not mismatches, "\n".join(mismatches)
