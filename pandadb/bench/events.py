"""`pandadb bench events`: how fast pilots of event-service jobs can acquire event ranges.

Measured in one run, on one database, with the same clients and ranges per call each:
  (a) raw:    UPDATE ... WHERE (key) IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED) on a plain table of the
              same ranges (one jobset, status ready -> sent)
  (b) direct: doma_panda.acquire_event_ranges(job, jobset, n) over psycopg, each client the pilot of its own
              consumer job of the jobset (job checks, attempt counting, the range descriptions with LFN/GUID)
and prints event ranges/s for each and the ratio b/a.
"""

from __future__ import annotations

from typing import Any

import click
import psycopg

from pandadb.bench.common import load_in_chunks, run_clients, scratch_database

TASK, JOBSET, DATASET = 1, 10_000_000_000, 1
RANGES_PER_FILE = 100

LOAD_EVENTS_SQL = """
INSERT INTO doma_panda.jedi_events (jeditaskid, pandaid, fileid, job_processid, datasetid, status, def_min_eventid,
                                    def_max_eventid, attemptnr)
SELECT %(task)s, %(jobset)s, g / %(per_file)s, mod(g, %(per_file)s) * 10, %(dataset)s, 0,
       mod(g, %(per_file)s) * 10, mod(g, %(per_file)s) * 10 + 9, 0
  FROM generate_series(%(first)s::bigint - 1, %(last)s::bigint - 1) AS g
"""

LOAD_RAW_SQL = """
INSERT INTO bench_raw_events (fileid, job_processid, jobset, status)
SELECT g / %(per_file)s, mod(g, %(per_file)s) * 10, %(jobset)s, 0
  FROM generate_series(%(first)s::bigint - 1, %(last)s::bigint - 1) AS g
"""

RAW_ACQUIRE_SQL = """
UPDATE bench_raw_events SET status = 1
 WHERE (fileid, job_processid) IN (SELECT fileid, job_processid FROM bench_raw_events
                                    WHERE jobset = %s AND status = 0 ORDER BY fileid, job_processid
                                    LIMIT %s FOR UPDATE SKIP LOCKED)
RETURNING fileid
"""


def scalar(conn: psycopg.Connection, query: str, params: tuple = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def prepare(url: str, ranges: int, clients: int) -> list[int]:
    """The task, the consumer jobs (one per client, running), their input files, the ranges; the raw table."""
    n_files = (ranges + RANGES_PER_FILE - 1) // RANGES_PER_FILE
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO doma_panda.jedi_tasks (jeditaskid, status, username, creationdate, modificationtime, "
            "vo, eventservice) VALUES (%s, 'running', 'bench', now(), now(), 'wlcg', 1)",
            (TASK,),
        )
        pandaids = [
            row[0]
            for row in conn.execute(
                "INSERT INTO doma_panda.jobsactive4 (pandaid, jobdefinitionid, creationtime, modificationtime, statechangetime, "
                "jobstatus, computingsite, prodsourcelabel, currentpriority, assignedpriority, transformation, jobname, "
                "produsername, attemptnr, maxattempt, vo, jeditaskid, jobsetid, eventservice) "
                "SELECT nextval('doma_panda.jobsdefined4_pandaid_seq'), g, now(), now(), now(), 'running', 'BENCH_ES', "
                "'managed', 100, 100, '/bin/true', 'bench.es.' || g, 'bench', 1, 3, 'wlcg', %s, %s, 1 "
                "FROM generate_series(1, %s) g RETURNING pandaid",
                (TASK, JOBSET, clients),
            ).fetchall()
        ]
        conn.execute(
            "INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, guid, "
            "type, status, scope, nevents) SELECT %s, %s, f, now(), 'EVNT.bench._' || f || '.pool.root', "
            "md5(f::text), 'input', 'running', 'bench', %s FROM generate_series(0, %s) f",
            (TASK, DATASET, RANGES_PER_FILE * 10, n_files),
        )
        conn.commit()
        params = {"task": TASK, "jobset": JOBSET, "dataset": DATASET, "per_file": RANGES_PER_FILE}
        load_in_chunks(conn, ranges, 100_000, LOAD_EVENTS_SQL, "event ranges", params)
        conn.execute(
            "CREATE TABLE bench_raw_events (fileid bigint NOT NULL, job_processid bigint NOT NULL, "
            "jobset bigint NOT NULL, status smallint NOT NULL, PRIMARY KEY (fileid, job_processid))"
        )
        conn.commit()
        load_in_chunks(conn, ranges, 100_000, LOAD_RAW_SQL, "raw reference rows", params)
        conn.execute(
            "CREATE INDEX bench_raw_events_jobset_idx ON bench_raw_events (jobset, status, fileid, job_processid)"
        )
        conn.commit()
        conn.autocommit = True  # VACUUM cannot run in a transaction block
        conn.execute("VACUUM ANALYZE bench_raw_events")
        conn.execute("VACUUM ANALYZE doma_panda.jedi_events")
    return pandaids


def measure_raw(url: str, clients: int, seconds: float, per_call: int) -> float:
    def make_worker(index: int):
        conn = psycopg.connect(url, autocommit=True)
        return lambda: len(conn.execute(RAW_ACQUIRE_SQL, (JOBSET, per_call)).fetchall())

    return run_clients(clients, seconds, make_worker)


def measure_direct(url: str, pandaids: list[int], seconds: float, per_call: int) -> float:
    def make_worker(index: int):
        conn = psycopg.connect(url, autocommit=True)

        def acquire() -> int:
            data = scalar(
                conn,
                "SELECT doma_panda.acquire_event_ranges(p_pandaid => %s, p_jobsetid => %s, p_n_ranges => %s)",
                (pandaids[index], JOBSET, per_call),
            )
            return len(data or [])

        return acquire

    return run_clients(len(pandaids), seconds, make_worker)


@click.command("events")
@click.option(
    "--ranges", default=1_000_000, show_default=True, help="ready event ranges loaded (and rows in the reference)"
)
@click.option("--clients", default=8, show_default=True, help="concurrent pilots in both scenarios")
@click.option("--per-call", default=10, show_default=True, help="ranges asked for in each call (n_ranges)")
@click.option("--seconds", default=10.0, show_default=True, help="measured time per scenario")
@click.option(
    "--database", default="pandadb_bench_events", show_default=True, help="scratch database (dropped and recreated)"
)
def command(ranges: int, clients: int, per_call: int, seconds: float, database: str) -> None:
    """Event ranges/s acquired: raw SKIP LOCKED update vs acquire_event_ranges, same ranges, same run."""
    url = scratch_database(database)
    pandaids = prepare(url, ranges, clients)
    click.echo(f"measuring a raw UPDATE ... SKIP LOCKED for {seconds:g}s with {clients} clients ...")
    raw = measure_raw(url, clients, seconds, per_call)
    click.echo(f"measuring b acquire_event_ranges (direct) for {seconds:g}s with {clients} clients ...")
    direct = measure_direct(url, pandaids, seconds, per_call)
    with psycopg.connect(url) as conn:
        left_raw = scalar(conn, "SELECT count(*) FROM bench_raw_events WHERE status = 0")
        left = scalar(conn, "SELECT count(*) FROM doma_panda.jedi_events WHERE status = 0")
    if not left_raw or not left:
        click.echo("warning: the ranges ran out during a measurement; load more (--ranges) for a steady figure")
    click.echo(f"\nranges={ranges} clients={clients} per_call={per_call}")
    click.echo(f"a raw       {raw:>12,.0f} ranges/s")
    click.echo(f"b direct    {direct:>12,.0f} ranges/s   b/a = {direct / raw:.2f}")
