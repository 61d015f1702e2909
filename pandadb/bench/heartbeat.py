"""`pandadb bench heartbeat`: how fast pilots' heartbeats (update_job of running jobs) are stored.

Measured in one run, on one database of running jobs, with the same number of clients each:
  (r) bare:   a single-row UPDATE of jobsactive4 setting the columns a heartbeat sets (modificationtime,
              modificationhost, cpuconsumptiontime, maxrss, maxpss, nevents, actualcorecount) by pandaid
  (h) direct: doma_panda.update_job(pandaid, 'running', {the same values by their API names}) over psycopg
  (s) http:   POST /api/v1/pilot/update_job through the real server
and prints heartbeats/s for each and the ratios h/r and s/h. Each client heartbeats its own slice of the
jobs (as one pilot reports its own job), so no two clients wait on the same row.
"""

from __future__ import annotations

import random

import click
import psycopg
from psycopg.types.json import Jsonb

from pandadb.bench.common import CpuMeter, load_in_chunks, run_clients, scratch_database
from pandadb.bench.dispatch import ApiClient, api_server

LOAD_RUNNING_SQL = """
INSERT INTO doma_panda.jobsactive4 (pandaid, jobdefinitionid, creationtime, modificationtime, statechangetime, starttime,
    jobstatus, computingsite, prodsourcelabel, currentpriority, assignedpriority, gshare, minramcount, maxdiskcount,
    corecount, resource_type, transformation, jobname, produsername, attemptnr, maxattempt, vo, modificationhost)
SELECT g, g, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC',
       'running', 'BENCH_Q' || lpad(mod(g, %(queues)s)::text, 4, '0'), 'managed', mod(g * 7919, 1000), 0, 'BenchShare0',
       2000, 0, 1, 'SCORE', '/bin/true', 'bench.job.' || g, 'bench', 1, 3, 'wlcg', 'bench-node'
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""

BARE_UPDATE_SQL = """
UPDATE doma_panda.jobsactive4
   SET modificationtime = now() AT TIME ZONE 'UTC', modificationhost = %s, cpuconsumptiontime = %s, maxrss = %s,
       maxpss = %s, nevents = %s, actualcorecount = %s
 WHERE pandaid = %s
"""


def heartbeat_values(rng: random.Random, index: int) -> dict:
    """One heartbeat's values by their API names."""
    return {
        "node": f"bench-node-{index}",
        "cpu_consumption_time": rng.randrange(1, 100_000),
        "max_rss": rng.randrange(1, 4_000_000),
        "max_pss": rng.randrange(1, 4_000_000),
        "n_events": rng.randrange(0, 1000),
        "core_count": 1,
    }


def own_job(rng: random.Random, index: int, clients: int, jobs: int) -> int:
    """A random job of client `index`'s slice (pandaid = index + 1 mod clients)."""
    return index + 1 + clients * rng.randrange(max(1, (jobs - index - 1) // clients + 1))


def prepare(url: str, jobs: int, queues: int) -> None:
    with psycopg.connect(url) as conn:
        load_in_chunks(conn, jobs, 50_000, LOAD_RUNNING_SQL, "running jobs", {"queues": queues})
        conn.autocommit = True  # VACUUM cannot run in a transaction block
        conn.execute("VACUUM ANALYZE doma_panda.jobsactive4")


def measure_bare(url: str, clients: int, seconds: float, jobs: int, meter: CpuMeter | None = None) -> float:
    def make_worker(index: int):
        conn = psycopg.connect(url, autocommit=True)
        rng = random.Random(index)

        def beat() -> int:
            values = heartbeat_values(rng, index)
            cursor = conn.execute(
                BARE_UPDATE_SQL,
                (
                    values["node"],
                    values["cpu_consumption_time"],
                    values["max_rss"],
                    values["max_pss"],
                    values["n_events"],
                    values["core_count"],
                    own_job(rng, index, clients, jobs),
                ),
                prepare=True,
            )
            return cursor.rowcount

        return beat

    return run_clients(clients, seconds, make_worker, meter)


def measure_direct(url: str, clients: int, seconds: float, jobs: int, meter: CpuMeter | None = None) -> float:
    def make_worker(index: int):
        conn = psycopg.connect(url, autocommit=True)
        rng = random.Random(1000 + index)

        def beat() -> int:
            row = conn.execute(
                "SELECT doma_panda.update_job(p_pandaid => %s, p_job_status => 'running', p_request => %s)",
                (own_job(rng, index, clients, jobs), Jsonb(heartbeat_values(rng, index))),
                prepare=True,
            ).fetchone()
            return 1 if row is not None and row[0].get("StatusCode") == 0 else 0

        return beat

    return run_clients(clients, seconds, make_worker, meter)


def measure_http(url: str, clients: int, seconds: float, jobs: int, meter: CpuMeter | None = None) -> float:
    with api_server(url) as (base, token, server_pid):
        if meter is not None:
            meter.server_pid = server_pid

        def make_worker(index: int):
            client = ApiClient(base, token)
            rng = random.Random(2000 + index)

            def beat() -> int:
                body = {
                    "job_id": own_job(rng, index, clients, jobs),
                    "job_status": "running",
                    **heartbeat_values(rng, index),
                }
                envelope = client.post("/api/v1/pilot/update_job", body)
                if not envelope.get("success"):
                    raise RuntimeError(f"update_job over HTTP failed: {envelope.get('message')}")
                return 1 if envelope["data"].get("StatusCode") == 0 else 0

            return beat

        return run_clients(clients, seconds, make_worker, meter)


@click.command("heartbeat")
@click.option("--jobs", default=100_000, show_default=True, help="running jobs loaded")
@click.option("--queues", default=200, show_default=True)
@click.option("--clients", default=8, show_default=True, help="concurrent pilots in every scenario")
@click.option("--seconds", default=10.0, show_default=True, help="measured time per scenario")
@click.option(
    "--database", default="pandadb_bench_heartbeat", show_default=True, help="scratch database (dropped and recreated)"
)
def command(jobs: int, queues: int, clients: int, seconds: float, database: str) -> None:
    """Heartbeats/s: a bare UPDATE of jobsactive4, update_job direct, update_job over HTTP."""
    url = scratch_database(database)
    prepare(url, jobs, queues)
    results: dict[str, float] = {}
    for key, name, measure in (
        ("r", "r bare UPDATE of jobsactive4", measure_bare),
        ("h", "h update_job (direct)", measure_direct),
        ("s", "s update_job (HTTP)", measure_http),
    ):
        click.echo(f"measuring {name} for {seconds:g}s with {clients} clients ...")
        meter = CpuMeter(url)
        results[key] = measure(url, clients, seconds, jobs, meter)
        click.echo(f"  {name}: {results[key]:,.0f} heartbeats/s")
        if meter.describe():
            click.echo(f"    {meter.describe()}")
    click.echo(f"\njobs={jobs} queues={queues} clients={clients} (ratios are of this run)")
    click.echo(f"r bare      {results['r']:>12,.0f} heartbeats/s")
    click.echo(f"h direct    {results['h']:>12,.0f} heartbeats/s   h/r = {results['h'] / results['r']:.2f}")
    click.echo(f"s http      {results['s']:>12,.0f} heartbeats/s   s/h = {results['s'] / results['h']:.2f}")
