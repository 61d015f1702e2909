"""Aggregations (procedures/postgres/aggregates.sql): each CALL leaves its statistics table equal to
a GROUP BY over the same data, is idempotent, never shows readers an empty table, and skips
(instead of queueing or duplicating) when another session is already refreshing."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest

from cli_helpers import run_cli
from conftest import url_for_database

PINNED_NOW = "2026-03-01 12:00:00"

AGGREGATE_PROCEDURES = {
    "update_jobsactive_stats": "mv_jobsactive4_stats",
    "update_jobsdef_stats_by_gshare": "jobsdefined_share_stats",
    "update_jobsact_stats_by_gshare": "jobs_share_stats",
    "update_job_stats_hp": "job_stats_hp",
    "update_num_input_data_files": "typical_num_input",
    "update_total_walltime": "total_walltime_cache",
    "jedi_refr_mintaskids_bystatus": "jedi_aux_status_mintaskid",
    "update_run_jumbo_count": "mv_running_jumbo_task_count",
    "update_ups_stats": "harvester_worker_stats",
}

# Job columns shared by the active and defined tables; varied so that groups, NULL keys, negative
# priorities, zero/NULL core counts, merge and event-service jobs all occur.
JOB_COLUMNS_SQL = """
    'SITE_' || (g % 7), CASE WHEN g % 5 = 0 THEN NULL ELSE 'CLOUD' || (g % 3) END,
    CASE WHEN g % 13 = 0 THEN 'us' END, CASE WHEN g % 17 = 0 THEN 'AP_X' END, (g % 2)::smallint,
    (ARRAY['simul', 'reprocessing', 'pmerge', NULL])[1 + g % 4],
    CASE WHEN g % 3 = 0 THEN 'user' ELSE 'managed' END, (g * 37) % 1000 - 100,
    CASE WHEN g % 19 = 0 THEN NULL ELSE 'atlas' END,
    CASE WHEN g % 23 = 0 THEN NULL ELSE (ARRAY[1, 11, 12])[1 + g % 3] END,
    CASE WHEN g % 29 = 0 THEN NULL ELSE (ARRAY['SCORE', 'MCORE', 'SCORE_HIMEM'])[1 + g % 3] END,
    CASE WHEN g % 31 = 0 THEN NULL WHEN g % 37 = 0 THEN 0 ELSE (ARRAY[1, 8])[1 + g % 2] END,
    CASE WHEN g % 4 = 0 THEN 4 END,
    CASE WHEN g % 41 = 0 THEN NULL ELSE (ARRAY['Express', 'MC', 'Analysis'])[1 + g % 3] END,
    CASE WHEN g % 43 = 0 THEN NULL ELSE g % 500 END, 1000 + (g % 5) * 500,
    CASE WHEN g % 2 = 0 THEN 'NUC_A' END,
    CASE WHEN g % 10 = 0 THEN 2 WHEN g % 10 = 1 THEN 1 END,
    CASE WHEN g % 9 = 0 THEN NULL ELSE 1 + (g * 7) % 20 END,
    CASE WHEN g % 6 = 0 THEN NULL ELSE 3600 + g % 100 END
"""
JOB_COLUMN_NAMES = """computingsite, cloud, countrygroup, workinggroup, relocationflag, processingtype,
    prodsourcelabel, currentpriority, vo, workqueue_id, resource_type, corecount, actualcorecount, gshare,
    diskio, minramcount, nucleus, eventservice, ninputdatafiles, maxwalltime"""

SEED_SQL = f"""
INSERT INTO doma_panda.schedconfig_json (panda_queue, data, last_update) VALUES
    ('SITE_0', '{{"corepower": 10}}', now()), ('SITE_1', '{{"corepower": "12.5"}}', now()),
    ('SITE_2', '{{"corepower": 8.25}}', now()), ('SITE_3', '{{}}', now()), ('SITE_4', '{{"corepower": "n/a"}}', now());
INSERT INTO doma_panda.jedi_work_queue (queue_id, queue_name, queue_type, vo, queue_function)
VALUES (11, 'q_managed', 'managed', 'atlas', NULL), (12, 'q_user', 'user', 'atlas', 'Production');
INSERT INTO doma_panda.jobsactive4 (pandaid, jobstatus, {JOB_COLUMN_NAMES})
SELECT g, (ARRAY['activated', 'sent', 'starting', 'running', 'holding', 'throttled', 'merging', 'transferring'])[1 + g % 8],
       {JOB_COLUMNS_SQL}
  FROM generate_series(1, 3000) AS g;
-- a tie at the top priority of one group, for job_stats_hp
INSERT INTO doma_panda.jobsactive4 (pandaid, jobstatus, computingsite, cloud, prodsourcelabel, currentpriority, vo,
                                    workqueue_id, resource_type, gshare)
SELECT 900000 + g, 'activated', 'SITE_TIE', 'TIECLOUD', 'managed', 5000, 'atlas', 11, 'SCORE', 'MC'
  FROM generate_series(1, 3) AS g;
INSERT INTO doma_panda.jobsdefined4 (pandaid, jobstatus, {JOB_COLUMN_NAMES})
SELECT g, (ARRAY['pending', 'defined', 'assigned'])[1 + g % 3], {JOB_COLUMNS_SQL}
  FROM generate_series(5001, 6500) AS g;
INSERT INTO doma_panda.jedi_tasks (jeditaskid, status, username, creationdate, modificationtime, vo, cloud,
                                   prodsourcelabel, gshare, workqueue_id, usejumbo)
SELECT g, (ARRAY['registered', 'defined', 'ready', 'running', 'scouting', 'pending', 'paused', 'done', 'finished',
                 'failed', 'broken', 'aborted'])[1 + (g * 7) % 12],
       'user' || g % 5, '2026-01-01', '2026-01-02', 'atlas', CASE WHEN g % 4 = 0 THEN NULL ELSE 'CL' || g % 2 END,
       'managed', (ARRAY['MC', 'Express'])[1 + g % 2], 1 + g % 2, (ARRAY[NULL, 'Y', 'R', 'P', 'D'])[1 + g % 5]
  FROM generate_series(100, 2099) AS g;
-- stale rows the refresh must correct or remove
INSERT INTO doma_panda.jedi_aux_status_mintaskid (status, min_jeditaskid)
VALUES ('running', 1), ('finished', 1), ('obsolete_status', 5);
SELECT doma_panda.register_harvester_instance('harv_a'), doma_panda.register_harvester_instance('harv_b');
INSERT INTO doma_panda.harvester_workers (harvesterid, workerid, lastupdate, status, computingsite, resourcetype, jobtype)
SELECT (ARRAY['harv_a', 'harv_b'])[1 + g % 2], g, '2026-03-01 11:00:00',
       (ARRAY['submitted', 'running', 'idle', 'finished', 'failed', 'cancelled', 'missed', 'ready'])[1 + (g * 3) % 8],
       CASE WHEN g % 50 = 0 THEN NULL ELSE 'SITE_' || g % 5 END,
       CASE WHEN g % 11 = 0 THEN NULL ELSE (ARRAY['SCORE', 'MCORE'])[1 + g % 2] END,
       CASE WHEN g % 13 = 0 THEN NULL ELSE (ARRAY['managed', 'user'])[1 + g % 2] END
  FROM generate_series(1, 2000) AS g;
-- rows a refresh must drop: a group whose workers are all gone
INSERT INTO doma_panda.harvester_worker_stats (harvester_id, computingsite, resourcetype, status, jobtype, n_workers, lastupdate)
VALUES ('harv_a', 'GONE_SITE', 'SCORE', 'running', 'managed', 7, '2026-02-01');
"""

# The figures each reference query must reproduce, as plain GROUP BYs over the same data.
REFERENCE_SQL = {
    "mv_jobsactive4_stats": (
        "SELECT cloud, computingsite, countrygroup, workinggroup, relocationflag, jobstatus, processingtype, "
        "prodsourcelabel, currentpriority, vo, workqueue_id, num_of_jobs, num_of_cores, resource_type "
        "FROM doma_panda.mv_jobsactive4_stats",
        "SELECT cloud, computingsite, countrygroup, workinggroup, relocationflag, jobstatus, processingtype, "
        "prodsourcelabel, trunc(currentpriority::numeric, -1)::bigint, vo, workqueue_id, count(*), "
        "sum(coalesce(actualcorecount, corecount)), resource_type FROM doma_panda.jobsactive4 "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14",
    ),
    "job_stats_hp": (
        "SELECT prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, max_priority, "
        "max_priority_count FROM doma_panda.job_stats_hp",
        # the maximum by window function, then the jobs at it
        "WITH queued AS (SELECT prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority "
        "  FROM doma_panda.jobsactive4 WHERE jobstatus = 'activated' "
        "   AND coalesce(processingtype, '') <> 'pmerge' AND coalesce(eventservice, 0) <> 2 "
        "  UNION ALL SELECT prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority "
        "  FROM doma_panda.jobsdefined4 WHERE jobstatus IN ('assigned', 'defined') "
        "   AND coalesce(processingtype, '') <> 'pmerge' AND coalesce(eventservice, 0) <> 2), "
        "with_max AS (SELECT *, max(currentpriority) OVER (PARTITION BY prodsourcelabel, cloud, resource_type, gshare, "
        "  jobstatus, workqueue_id, vo) AS top FROM queued) "
        "SELECT prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, top, "
        "count(*) FILTER (WHERE currentpriority = top) FROM with_max GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
    ),
    "total_walltime_cache": (
        "SELECT vo, agg_type, agg_key, prodsourcelabel, resource_type, total_walltime, n_has_value, n_no_value "
        "FROM doma_panda.total_walltime_cache",
        "WITH queued AS (SELECT vo, prodsourcelabel, resource_type, gshare, workqueue_id, maxwalltime "
        "  FROM doma_panda.jobsactive4 WHERE jobstatus IN ('activated', 'starting') "
        "  UNION ALL SELECT vo, prodsourcelabel, resource_type, gshare, workqueue_id, maxwalltime FROM doma_panda.jobsdefined4), "
        "keyed AS (SELECT *, CASE WHEN EXISTS (SELECT 1 FROM doma_panda.jedi_work_queue w WHERE w.queue_id = workqueue_id "
        "  AND w.queue_function = 'Resource') THEN 'workqueue' ELSE 'gshare' END AS agg_type FROM queued "
        "  WHERE workqueue_id IS NOT NULL AND vo IS NOT NULL AND prodsourcelabel IS NOT NULL AND resource_type IS NOT NULL) "
        "SELECT vo, agg_type, CASE agg_type WHEN 'workqueue' THEN workqueue_id::text ELSE gshare END AS agg_key, "
        "prodsourcelabel, resource_type, sum(coalesce(maxwalltime, 0))::bigint, "
        "sum(CASE WHEN maxwalltime IS NULL THEN 0 ELSE 1 END)::int, sum(CASE WHEN maxwalltime IS NULL THEN 1 ELSE 0 END)::int "
        "FROM keyed WHERE (agg_type = 'workqueue' OR gshare IS NOT NULL) GROUP BY 1, 2, 3, 4, 5",
    ),
    "jedi_aux_status_mintaskid": (
        "SELECT status, min_jeditaskid FROM doma_panda.jedi_aux_status_mintaskid",
        "SELECT status, min(jeditaskid) FROM doma_panda.jedi_tasks "
        "WHERE status NOT IN ('broken', 'aborted', 'finished', 'failed') GROUP BY status",
    ),
    "mv_running_jumbo_task_count": (
        "SELECT vo, cloud, prodsourcelabel, usejumbo, status, gshare, workqueue_id, task_count "
        "FROM doma_panda.mv_running_jumbo_task_count",
        "SELECT vo, cloud, prodsourcelabel, usejumbo, status, gshare, workqueue_id, count(*) FROM doma_panda.jedi_tasks "
        "WHERE usejumbo IS NOT NULL AND status NOT IN ('done', 'finished', 'failed', 'broken', 'aborted') "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7",
    ),
    "harvester_worker_stats": (
        "SELECT harvester_id, computingsite, resourcetype, status, jobtype, n_workers FROM doma_panda.harvester_worker_stats",
        "SELECT harvesterid, computingsite, coalesce(resourcetype, 'ANY'), status, coalesce(jobtype, 'ANY'), count(*)::int "
        "FROM doma_panda.harvester_workers WHERE computingsite IS NOT NULL "
        "AND status IN ('submitted', 'running', 'idle', 'ready') GROUP BY 1, 2, 3, 4, 5",
    ),
}

SHARE_STATS_COLUMNS = (
    "gshare, workqueue_id, resource_type, computingsite, jobstatus, maxpriority, prorated_diskio_avg, "
    "prorated_mem_avg, njobs, hs, vo, nucleus"
)
CORE_POWER = {"SITE_0": 10.0, "SITE_1": 12.5, "SITE_2": 8.25}  # SITE_3/4: no numeric corepower, SITE_5/6: no row


def rows(conn: psycopg.Connection, sql: str) -> Counter:
    return Counter(tuple(row) for row in conn.execute(sql).fetchall())


def call_all(conn: psycopg.Connection) -> None:
    for procedure in AGGREGATE_PROCEDURES:
        conn.execute(f"CALL doma_panda.{procedure}()")


def expected_share_stats(conn: psycopg.Connection, job_table: str) -> Counter:
    """jobs_share_stats figures computed in Python from the raw jobs."""
    groups: dict[tuple, list] = {}
    for gshare, workqueue_id, resource_type, site, status, priority, diskio, minram, cores, vo, nucleus in conn.execute(
        f"SELECT gshare, workqueue_id, resource_type, computingsite, jobstatus, currentpriority, diskio, minramcount, "
        f"corecount, vo, nucleus FROM doma_panda.{job_table}"
    ).fetchall():
        groups.setdefault((gshare, workqueue_id, resource_type, site, status, vo, nucleus), []).append(
            (priority, diskio, minram, cores or 1)
        )
    expected = Counter()
    for (gshare, workqueue_id, resource_type, site, status, vo, nucleus), jobs in groups.items():
        diskio_per_core = [Decimal(d) / c for _, d, _, c in jobs if d is not None]
        mem_per_core = [Decimal(m) / c for _, _, m, c in jobs]
        power = CORE_POWER.get(site)
        expected[
            (
                gshare,
                workqueue_id,
                resource_type,
                site,
                status,
                max(p for p, *_ in jobs),
                (sum(diskio_per_core) / len(diskio_per_core)).quantize(Decimal("0.01"), ROUND_HALF_UP)
                if diskio_per_core
                else None,
                (sum(mem_per_core) / len(mem_per_core)).quantize(Decimal("0.01"), ROUND_HALF_UP),
                len(jobs),
                None if power is None else round(sum(c * power for *_, c in jobs)),
                vo,
                nucleus,
            )
        ] += 1
    return expected


def expected_typical_num_input(conn: psycopg.Connection) -> Counter:
    """typical_num_input computed in Python: Oracle MEDIAN, rounded half up, per gshare or resource work queue."""
    resource_queues = {
        q
        for (q,) in conn.execute(
            "SELECT queue_id FROM doma_panda.jedi_work_queue WHERE queue_function = 'Resource'"
        ).fetchall()
    }
    groups: dict[tuple, list[int]] = {}
    for vo, label, ptype, gshare, queue, n_files in conn.execute(
        "SELECT vo, prodsourcelabel, processingtype, gshare, workqueue_id, ninputdatafiles FROM doma_panda.jobsactive4"
    ).fetchall():
        if None in (vo, label, ptype, queue, n_files):
            continue
        key = (vo, "workqueue", str(queue)) if queue in resource_queues else (vo, "gshare", gshare)
        if key[2] is None:
            continue
        groups.setdefault((*key, label, ptype), []).append(n_files)
    return Counter(
        {
            key: 1
            for key in (
                (*k, int(Decimal(str(statistics.median(v))).quantize(Decimal("1"), ROUND_HALF_UP)))
                for k, v in groups.items()
            )
        }
    )


def assert_all_targets_match(conn: psycopg.Connection) -> None:
    for table, (target_sql, reference_sql) in REFERENCE_SQL.items():
        target, reference = rows(conn, target_sql), rows(conn, reference_sql)
        assert target == reference, f"{table}: {target - reference} unexpected, {reference - target} missing"
        assert sum(target.values()) > 0, f"{table} is empty: the seed data does not exercise it"
    for table, job_table in (("jobs_share_stats", "jobsactive4"), ("jobsdefined_share_stats", "jobsdefined4")):
        target = rows(conn, f"SELECT {SHARE_STATS_COLUMNS} FROM doma_panda.{table}")
        expected = expected_share_stats(conn, job_table)
        assert target == expected, f"{table}: {target - expected} unexpected, {expected - target} missing"
    target = rows(
        conn,
        "SELECT vo, agg_type, agg_key, prodsourcelabel, processingtype, ninputdatafiles "
        "FROM doma_panda.typical_num_input",
    )
    assert target == expected_typical_num_input(conn)
    assert {agg_type for _, agg_type, *_ in target} == {"gshare", "workqueue"}


@pytest.fixture
def seeded(db):
    db.execute(f"SET pandadb.clock = '{PINNED_NOW}'")
    db.execute(SEED_SQL)
    return db


def test_each_aggregate_equals_a_group_by_over_the_same_data_and_is_idempotent(seeded):
    call_all(seeded)
    assert_all_targets_match(seeded)
    # the refresh time is the (pinned) clock
    for table, column in (
        ("mv_jobsactive4_stats", "cur_date"),
        ("jobs_share_stats", "ts"),
        ("job_stats_hp", "ts"),
        ("mv_running_jumbo_task_count", "cur_date"),
        ("harvester_worker_stats", "lastupdate"),
    ):
        assert seeded.execute(f"SELECT DISTINCT {column}::text FROM doma_panda.{table}").fetchall() == [(PINNED_NOW,)]
    first = {table: rows(seeded, f"SELECT * FROM doma_panda.{table}") for table in AGGREGATE_PROCEDURES.values()}
    call_all(seeded)
    second = {table: rows(seeded, f"SELECT * FROM doma_panda.{table}") for table in AGGREGATE_PROCEDURES.values()}
    assert first == second
    assert_hand_checked_figures(seeded)


def test_refresh_follows_the_data(seeded):
    call_all(seeded)
    # jobs move on: the tie group loses its top jobs, a site empties, a task finishes, workers end
    seeded.execute("DELETE FROM doma_panda.jobsactive4 WHERE pandaid IN (900001, 900002)")
    seeded.execute("DELETE FROM doma_panda.jobsactive4 WHERE computingsite = 'SITE_6'")
    seeded.execute("UPDATE doma_panda.jedi_tasks SET status = 'finished' WHERE status = 'paused'")
    seeded.execute("UPDATE doma_panda.harvester_workers SET status = 'finished' WHERE computingsite = 'SITE_1'")
    call_all(seeded)
    assert_all_targets_match(seeded)
    assert seeded.execute(
        "SELECT max_priority, max_priority_count FROM doma_panda.job_stats_hp WHERE cloud = 'TIECLOUD'"
    ).fetchall() == [(5000, 1)]
    assert seeded.execute(
        "SELECT count(*) FROM doma_panda.mv_jobsactive4_stats WHERE computingsite = 'SITE_6'"
    ).fetchone() == (0,)
    assert seeded.execute(
        "SELECT count(*) FROM doma_panda.jedi_aux_status_mintaskid "
        "WHERE status IN ('paused', 'finished', 'obsolete_status')"
    ).fetchone() == (0,)
    assert seeded.execute(
        "SELECT count(*) FROM doma_panda.harvester_worker_stats WHERE computingsite IN ('SITE_1', 'GONE_SITE')"
    ).fetchone() == (0,)


def assert_hand_checked_figures(seeded: psycopg.Connection) -> None:
    # three jobs tie at priority 5000 in their group
    assert seeded.execute(
        "SELECT max_priority, max_priority_count FROM doma_panda.job_stats_hp WHERE cloud = 'TIECLOUD'"
    ).fetchall() == [(5000, 3)]
    # merge and event-service merge jobs never count as high priority
    assert seeded.execute(
        "SELECT count(*) FROM doma_panda.job_stats_hp hp WHERE NOT EXISTS ("
        " SELECT 1 FROM doma_panda.jobsactive4 j WHERE j.jobstatus = 'activated' "
        " AND coalesce(j.processingtype, '') <> 'pmerge' AND coalesce(j.eventservice, 0) <> 2 "
        " AND j.currentpriority = hp.max_priority AND j.gshare IS NOT DISTINCT FROM hp.gshare"
        ") AND hp.jobstatus = 'activated'"
    ).fetchone() == (0,)
    # priority is truncated towards zero to tens: -95 -> -90, 895 -> 890
    priorities = {
        p for (p,) in seeded.execute("SELECT currentpriority FROM doma_panda.mv_jobsactive4_stats").fetchall()
    }
    assert all(p % 10 == 0 for p in priorities) and -90 in priorities and -100 in priorities
    # jobs of queues without a numeric corepower are counted, with no HS
    assert (
        seeded.execute(
            "SELECT sum(njobs), count(hs) FROM doma_panda.jobs_share_stats "
            "WHERE computingsite IN ('SITE_3', 'SITE_4', 'SITE_5', 'SITE_6')"
        ).fetchone()[1]
        == 0
    )
    assert seeded.execute("SELECT sum(njobs) FROM doma_panda.jobs_share_stats").fetchone() == (3003,)
    # the aux table: the stale minimum is corrected, the excluded and vanished statuses are gone
    aux = dict(seeded.execute("SELECT status, min_jeditaskid FROM doma_panda.jedi_aux_status_mintaskid").fetchall())
    assert "finished" not in aux and "obsolete_status" not in aux
    assert (
        aux["running"]
        == seeded.execute("SELECT min(jeditaskid) FROM doma_panda.jedi_tasks WHERE status = 'running'").fetchone()[0]
    )
    assert seeded.execute(
        "SELECT count(*) FROM doma_panda.harvester_worker_stats WHERE computingsite = 'GONE_SITE'"
    ).fetchone() == (0,)


def test_readers_never_see_an_empty_table_during_refreshes(seeded, database_url):
    call_all(seeded)
    count_sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM doma_panda.{t})" for t in AGGREGATE_PROCEDURES.values())
    populated = seeded.execute(count_sql).fetchone()
    assert all(n > 0 for n in populated)
    observed: list[tuple] = []
    done = threading.Event()

    def read_in_a_loop() -> None:
        with psycopg.connect(database_url, autocommit=True) as reader:
            while not done.is_set():
                observed.append(reader.execute(count_sql).fetchone())

    reader_thread = threading.Thread(target=read_in_a_loop)
    reader_thread.start()
    try:
        for _ in range(12):
            call_all(seeded)
    finally:
        done.set()
        reader_thread.join()
    assert len(observed) > 20, "the reader did not overlap the refreshes"
    # the data did not change, so every read sees exactly the populated counts: never 0, never doubled
    assert set(observed) == {populated}


def test_a_concurrent_run_is_skipped_not_queued_or_duplicated(seeded, database_url):
    call_all(seeded)
    expected = {t: rows(seeded, f"SELECT * FROM doma_panda.{t}") for t in AGGREGATE_PROCEDURES.values()}
    with psycopg.connect(database_url, autocommit=True) as other:
        notices: list[str] = []
        other.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary))
        other.execute("SET statement_timeout = '5s'")
        with seeded.transaction():
            call_all(seeded)  # holds every refresh lock until this transaction ends
            started = time.monotonic()
            call_all(other)
            assert time.monotonic() - started < 3
        assert sorted(n.split()[0] for n in notices) == sorted(AGGREGATE_PROCEDURES)
        assert all("skipped" in n for n in notices)
    assert {t: rows(seeded, f"SELECT * FROM doma_panda.{t}") for t in AGGREGATE_PROCEDURES.values()} == expected
    # each procedure has a lock key of its own
    keys = seeded.execute(
        "SELECT count(DISTINCT hashtext(name)) FROM unnest(%s::text[]) AS name", (list(AGGREGATE_PROCEDURES),)
    ).fetchone()
    assert keys == (len(AGGREGATE_PROCEDURES),)


def test_bench_aggregates_prints_a_line_per_procedure(server_url):
    result = run_cli(
        "pandadb",
        "bench",
        "aggregates",
        "--active-jobs",
        "2000",
        "--archived-jobs",
        "5000",
        env={"PANDADB_URL": url_for_database(server_url, "postgres")},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("pandadb_bench_aggregates" in line for line in lines)
    for procedure in AGGREGATE_PROCEDURES:
        matching = [line for line in lines if line.startswith(procedure + " ")]
        assert len(matching) == 1, f"no result line for {procedure}:\n{result.stdout}"
        assert "ratio" in matching[0]


def test_ups_stats_keep_what_an_instance_reported_for_a_queue_it_has_no_workers_at(db):
    db.execute("SELECT doma_panda.register_harvester_instance('HARV_UPS')")
    db.execute("SELECT set_config('pandadb.clock', '2026-06-01 12:00:00', false)")
    reported = (
        "INSERT INTO doma_panda.harvester_worker_stats "
        "(harvester_id, computingsite, resourcetype, status, jobtype, n_workers, lastupdate) "
        "VALUES ('HARV_UPS', %s, 'SCORE', 'submitted', 'managed', 3, doma_panda.panda_now())"
    )
    db.execute(reported, ("Q_REPORTED",))  # the instance's own report: no worker rows at this queue
    db.execute(reported, ("Q_WITH_WORKERS",))
    db.execute(
        "INSERT INTO doma_panda.harvester_workers (harvesterid, workerid, computingsite, status, lastupdate) "
        "VALUES ('HARV_UPS', 1, 'Q_WITH_WORKERS', 'finished', doma_panda.panda_now())"
    )
    db.execute("CALL doma_panda.update_ups_stats()")
    kept = db.execute(
        "SELECT computingsite FROM doma_panda.harvester_worker_stats WHERE harvester_id = 'HARV_UPS'"
    ).fetchall()
    # where workers are known the aggregate rebuilds the counts (no live worker: no row); elsewhere the report stays
    assert kept == [("Q_REPORTED",)]
    db.execute("SELECT set_config('pandadb.clock', '2026-06-01 13:30:00', false)")
    db.execute("CALL doma_panda.update_ups_stats()")
    assert db.execute("SELECT count(*) FROM doma_panda.harvester_worker_stats").fetchone() == (0,)  # an hour old: gone
