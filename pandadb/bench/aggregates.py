"""`pandadb bench aggregates`: how long each scheduled aggregation takes on a loaded job database.

For each aggregate procedure of procedures/postgres/aggregates.sql, measured in one run on one scratch
database: the CALL (compute + replace the statistics rows, in one transaction) against the reference,
the plain GROUP BY SELECT of the same aggregation (computing the figures without storing them).
Prints both times (best of --repeat) and the ratio procedure/reference.
"""

from __future__ import annotations

import time

import click
import psycopg

from pandadb.bench.common import load_in_chunks, scratch_database
from pandadb.db import scalar

QUEUES = 200

# One job of the active or defined table per g; the modular arithmetic gives realistic cardinalities
# (sites, shares, statuses, priorities) and the NULLs PanDA has in practice.
JOB_VALUES_SQL = f"""
    'BENCH_Q' || lpad(mod(g * 13, {QUEUES})::text, 4, '0'), 'CLOUD' || mod(g, 10),
    CASE WHEN mod(g, 13) = 0 THEN 'us' END, CASE WHEN mod(g, 17) = 0 THEN 'AP_X' END, mod(g, 2)::smallint,
    (ARRAY['simul', 'reprocessing', 'evgen', 'pmerge', 'panda-client'])[1 + mod(g, 5)],
    CASE WHEN mod(g, 3) = 0 THEN 'user' ELSE 'managed' END, mod(g * 37, 1000), mod(g * 37, 1000),
    'atlas', (ARRAY[1, 11, 12, 13])[1 + mod(g, 4)], (ARRAY['SCORE', 'MCORE', 'SCORE_HIMEM', 'MCORE_HIMEM'])[1 + mod(g, 4)],
    (ARRAY[1, 8])[1 + mod(g, 2)], CASE WHEN mod(g, 4) = 0 THEN 4 END,
    (ARRAY['Express', 'MC Simulation', 'Data Processing', 'Analysis', 'Validation'])[1 + mod(g, 5)],
    mod(g, 500), 2000 * (1 + mod(g, 2)), 'NUC_' || mod(g, 20), CASE WHEN mod(g, 10) = 0 THEN 2 END,
    1 + mod(g * 7, 20), CASE WHEN mod(g, 6) = 0 THEN NULL ELSE 3600 + mod(g, 100) * 60 END,
    1 + mod(g, %(tasks)s), (now() AT TIME ZONE 'UTC')::timestamp(0), (now() AT TIME ZONE 'UTC')::timestamp(0)
"""
JOB_COLUMNS = """computingsite, cloud, countrygroup, workinggroup, relocationflag, processingtype, prodsourcelabel,
    currentpriority, assignedpriority, vo, workqueue_id, resource_type, corecount, actualcorecount, gshare, diskio,
    minramcount, nucleus, eventservice, ninputdatafiles, maxwalltime, jeditaskid, creationtime, modificationtime"""

LOAD_ACTIVE_SQL = f"""
INSERT INTO doma_panda.jobsactive4 (pandaid, jobstatus, {JOB_COLUMNS})
SELECT g, (ARRAY['activated', 'activated', 'activated', 'running', 'running', 'running', 'starting', 'sent', 'holding',
                 'transferring'])[1 + mod(g * 7, 10)], {JOB_VALUES_SQL}
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""
LOAD_DEFINED_SQL = f"""
INSERT INTO doma_panda.jobsdefined4 (pandaid, jobstatus, {JOB_COLUMNS})
SELECT g + %(offset)s, (ARRAY['defined', 'assigned', 'pending'])[1 + mod(g, 3)], {JOB_VALUES_SQL}
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""
LOAD_ARCHIVED_SQL = f"""
INSERT INTO doma_panda.jobsarchived4 (pandaid, jobstatus, {JOB_COLUMNS.replace('modificationtime', 'endtime')},
                                      modificationtime)
SELECT g + %(offset)s, (ARRAY['finished', 'finished', 'finished', 'failed', 'cancelled'])[1 + mod(g, 5)], {JOB_VALUES_SQL},
       (now() AT TIME ZONE 'UTC')::timestamp(0) - make_interval(mins => mod(g, 43200)::int)
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""
LOAD_TASKS_SQL = """
INSERT INTO doma_panda.jedi_tasks (jeditaskid, status, username, creationdate, modificationtime, vo, cloud,
                                   prodsourcelabel, gshare, workqueue_id, usejumbo)
SELECT g, (ARRAY['running', 'running', 'ready', 'scouting', 'pending', 'paused', 'done', 'finished', 'failed',
                 'broken', 'aborted', 'defined'])[1 + mod(g * 7, 12)],
       'user' || mod(g, 500), now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', 'atlas', 'CL' || mod(g, 10), 'managed',
       (ARRAY['Express', 'MC Simulation', 'Data Processing'])[1 + mod(g, 3)], (ARRAY[1, 11, 12, 13])[1 + mod(g, 4)],
       (ARRAY[NULL, NULL, NULL, 'Y', 'R', 'P', 'D'])[1 + mod(g, 7)]
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""
LOAD_WORKERS_SQL = """
INSERT INTO doma_panda.harvester_workers (harvesterid, workerid, lastupdate, status, computingsite, resourcetype, jobtype)
SELECT 'bench_harvester_' || mod(g, 4), g, now() AT TIME ZONE 'UTC',
       (ARRAY['submitted', 'running', 'running', 'idle', 'finished', 'failed', 'cancelled', 'missed'])[1 + mod(g * 3, 8)],
       'BENCH_Q' || lpad(mod(g * 13, 200)::text, 4, '0'), (ARRAY['SCORE', 'MCORE'])[1 + mod(g, 2)],
       (ARRAY['managed', 'user'])[1 + mod(g, 2)]
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""

# The reference of each procedure: the GROUP BY of its aggregation as a plain SELECT (nothing stored).
REFERENCE_SQL = {
    "update_jobsactive_stats": """
        SELECT cloud, computingsite, countrygroup, workinggroup, relocationflag, jobstatus, processingtype,
               prodsourcelabel, (currentpriority / 10) * 10, vo, workqueue_id, count(*),
               sum(coalesce(actualcorecount, corecount)), resource_type
          FROM doma_panda.jobsactive4
         GROUP BY cloud, computingsite, countrygroup, workinggroup, relocationflag, jobstatus, processingtype,
                  prodsourcelabel, (currentpriority / 10) * 10, vo, workqueue_id, resource_type""",
    "update_jobsdef_stats_by_gshare": """
        SELECT j.gshare, j.workqueue_id, j.resource_type, j.computingsite, j.jobstatus, max(j.currentpriority),
               avg(j.diskio::numeric / coalesce(nullif(j.corecount, 0), 1)),
               avg(j.minramcount::numeric / coalesce(nullif(j.corecount, 0), 1)), count(*),
               sum(coalesce(nullif(j.corecount, 0), 1) * (sc.data ->> 'corepower')::double precision), j.vo, j.nucleus
          FROM doma_panda.jobsdefined4 j LEFT JOIN doma_panda.schedconfig_json sc ON sc.panda_queue = j.computingsite
         GROUP BY j.gshare, j.workqueue_id, j.resource_type, j.computingsite, j.jobstatus, j.vo, j.nucleus""",
    "update_jobsact_stats_by_gshare": """
        SELECT j.gshare, j.workqueue_id, j.resource_type, j.computingsite, j.jobstatus, max(j.currentpriority),
               avg(j.diskio::numeric / coalesce(nullif(j.corecount, 0), 1)),
               avg(j.minramcount::numeric / coalesce(nullif(j.corecount, 0), 1)), count(*),
               sum(coalesce(nullif(j.corecount, 0), 1) * (sc.data ->> 'corepower')::double precision), j.vo, j.nucleus
          FROM doma_panda.jobsactive4 j LEFT JOIN doma_panda.schedconfig_json sc ON sc.panda_queue = j.computingsite
         GROUP BY j.gshare, j.workqueue_id, j.resource_type, j.computingsite, j.jobstatus, j.vo, j.nucleus""",
    "update_job_stats_hp": """
        SELECT DISTINCT ON (prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo)
               prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority, n
          FROM (SELECT prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority,
                       count(*) AS n
                  FROM (SELECT prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority
                          FROM doma_panda.jobsactive4 WHERE jobstatus = 'activated'
                           AND processingtype IS DISTINCT FROM 'pmerge' AND eventservice IS DISTINCT FROM 2
                        UNION ALL
                        SELECT prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority
                          FROM doma_panda.jobsdefined4 WHERE jobstatus IN ('assigned', 'defined')
                           AND processingtype IS DISTINCT FROM 'pmerge' AND eventservice IS DISTINCT FROM 2) queued
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) per_priority
         ORDER BY prodsourcelabel, cloud, resource_type, gshare, jobstatus, workqueue_id, vo, currentpriority DESC""",
    "update_num_input_data_files": """
        SELECT j.vo, wq.queue_id IS NULL, CASE WHEN wq.queue_id IS NULL THEN j.gshare ELSE j.workqueue_id::text END,
               j.prodsourcelabel, j.processingtype, percentile_cont(0.5) WITHIN GROUP (ORDER BY j.ninputdatafiles)
          FROM doma_panda.jobsactive4 j
          LEFT JOIN doma_panda.jedi_work_queue wq ON wq.queue_id = j.workqueue_id AND wq.queue_function = 'Resource'
         WHERE j.ninputdatafiles IS NOT NULL AND j.vo IS NOT NULL AND j.prodsourcelabel IS NOT NULL
           AND j.processingtype IS NOT NULL AND j.workqueue_id IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5""",
    "update_total_walltime": """
        SELECT q.vo, wq.queue_id IS NULL, CASE WHEN wq.queue_id IS NULL THEN q.gshare ELSE q.workqueue_id::text END,
               q.prodsourcelabel, q.resource_type, sum(q.maxwalltime), count(q.maxwalltime), count(*)
          FROM (SELECT vo, prodsourcelabel, resource_type, gshare, workqueue_id, maxwalltime FROM doma_panda.jobsactive4
                 WHERE jobstatus IN ('activated', 'starting')
                UNION ALL
                SELECT vo, prodsourcelabel, resource_type, gshare, workqueue_id, maxwalltime FROM doma_panda.jobsdefined4) q
          LEFT JOIN doma_panda.jedi_work_queue wq ON wq.queue_id = q.workqueue_id AND wq.queue_function = 'Resource'
         WHERE q.workqueue_id IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5""",
    "jedi_refr_mintaskids_bystatus": """
        SELECT status, min(jeditaskid) FROM doma_panda.jedi_tasks
         WHERE status NOT IN ('broken', 'aborted', 'finished', 'failed') GROUP BY status""",
    "update_run_jumbo_count": """
        SELECT vo, cloud, prodsourcelabel, usejumbo, status, gshare, workqueue_id, count(*) FROM doma_panda.jedi_tasks
         WHERE usejumbo IS NOT NULL AND status NOT IN ('done', 'finished', 'failed', 'broken', 'aborted')
         GROUP BY 1, 2, 3, 4, 5, 6, 7""",
    "update_ups_stats": """
        SELECT harvesterid, computingsite, resourcetype, status, jobtype, count(*) FROM doma_panda.harvester_workers
         WHERE computingsite IS NOT NULL AND status NOT IN ('finished', 'failed', 'cancelled', 'missed')
         GROUP BY 1, 2, 3, 4, 5""",
}

TARGET_TABLE = {
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


def prepare(url: str, active_jobs: int, archived_jobs: int) -> dict[str, int]:
    """Load queues, work queues, tasks, active/defined/archived jobs and harvester workers; returns the sizes."""
    sizes = {
        "active jobs": active_jobs,
        "defined jobs": max(1, active_jobs // 4),
        "archived jobs": archived_jobs,
        "tasks": max(100, active_jobs // 100),
        "harvester workers": max(100, active_jobs // 2),
    }
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO doma_panda.schedconfig_json (panda_queue, data, last_update) "
            "SELECT 'BENCH_Q' || lpad(q::text, 4, '0'), json_build_object('corepower', 8 + mod(q, 5)), "
            "now() AT TIME ZONE 'UTC' FROM generate_series(0, %s) AS q",
            (QUEUES - 1,),
        )
        conn.execute(
            "INSERT INTO doma_panda.jedi_work_queue (queue_id, queue_name, queue_type, vo, queue_function) "
            "VALUES (11, 'bench_managed', 'managed', 'atlas', NULL), (12, 'bench_user', 'user', 'atlas', NULL), "
            "(13, 'bench_resource', 'managed', 'atlas', 'Resource') ON CONFLICT DO NOTHING"
        )
        for harvester in range(4):
            conn.execute("SELECT doma_panda.register_harvester_instance(%s)", (f"bench_harvester_{harvester}",))
        conn.commit()
        params = {"tasks": sizes["tasks"]}
        load_in_chunks(conn, sizes["tasks"], 50_000, LOAD_TASKS_SQL, "tasks", params)
        load_in_chunks(conn, active_jobs, 50_000, LOAD_ACTIVE_SQL, "active jobs", params)
        load_in_chunks(
            conn, sizes["defined jobs"], 50_000, LOAD_DEFINED_SQL, "defined jobs", {**params, "offset": active_jobs}
        )
        load_in_chunks(
            conn,
            archived_jobs,
            50_000,
            LOAD_ARCHIVED_SQL,
            "archived jobs",
            {**params, "offset": active_jobs + sizes["defined jobs"]},
        )
        load_in_chunks(conn, sizes["harvester workers"], 50_000, LOAD_WORKERS_SQL, "harvester workers")
    with psycopg.connect(url, autocommit=True) as conn:
        click.echo("vacuum analyze ...")
        conn.execute("VACUUM ANALYZE")
    return sizes


def best_time(conn: psycopg.Connection, sql: str, repeat: int) -> float:
    """The fastest of `repeat` runs of sql, in seconds (each run fully executed and fetched)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        cursor = conn.execute(sql)
        if cursor.description is not None:
            cursor.fetchall()
        best = min(best, time.perf_counter() - started)
    return best


@click.command("aggregates")
@click.option(
    "--active-jobs", default=1_000_000, show_default=True, help="jobs in jobsactive4 (jobsdefined4 gets a quarter)"
)
@click.option("--archived-jobs", default=10_000_000, show_default=True, help="jobs in jobsarchived4")
@click.option("--repeat", default=3, show_default=True, help="runs of each measurement; the best is reported")
@click.option(
    "--database",
    default="pandadb_bench_aggregates",
    show_default=True,
    help="scratch database on the PANDADB_URL / embedded server (dropped and recreated)",
)
def command(active_jobs: int, archived_jobs: int, repeat: int, database: str) -> None:
    """Time of each aggregate procedure vs. the plain GROUP BY SELECT of the same aggregation."""
    click.echo(
        f"scratch database {database} (dropped and recreated, migrated to head) on the PANDADB_URL / embedded server"
    )
    url = scratch_database(database)
    sizes = prepare(url, active_jobs, archived_jobs)
    click.echo("loaded: " + ", ".join(f"{name} {count:,}" for name, count in sizes.items()))
    click.echo(
        f"\n{'procedure':<32} {'rows':>8}  {'procedure':>12}  {'reference':>12}  ratio (procedure / GROUP BY SELECT, best of {repeat})"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        for procedure, reference_sql in REFERENCE_SQL.items():
            procedure_seconds = best_time(conn, f"CALL doma_panda.{procedure}()", repeat)
            reference_seconds = best_time(conn, reference_sql, repeat)
            n_rows = scalar(conn, f"SELECT count(*) FROM doma_panda.{TARGET_TABLE[procedure]}")
            ratio = procedure_seconds / reference_seconds if reference_seconds > 0 else float("inf")
            click.echo(
                f"{procedure:<32} {n_rows:>8,}  {procedure_seconds * 1000:>9.1f} ms  "
                f"{reference_seconds * 1000:>9.1f} ms  ratio {ratio:.2f}"
            )
