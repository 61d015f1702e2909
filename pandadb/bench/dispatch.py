"""`pandadb bench dispatch`: how fast pilots can acquire jobs.

Measured in one run, on one database, with the same number of clients each:
  (a) raw:    single-row UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) on a plain table of the same size
  (a') table: the same single-row update on doma_panda.jobsactive4 itself, through jobsactive4_dispatch_idx
              (queue, share, priority order), every index of the table maintained: the floor of the real table
  (b) direct: doma_panda.acquire_jobs(queue, 1, ...) called over psycopg
  (c) http:   POST /api/v1/pilot/acquire_jobs through the real server
  (d) pgqueuer: pgqueuer's dequeue (batch 1) on the same database
and prints jobs/s for each and the ratios b/a, c/a, b/a', c/b, b/d.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import click
import httpx
import psycopg
from psycopg.types.json import Jsonb

from pandadb.bench.common import CpuMeter, load_in_chunks, run_clients, scratch_database
from pandadb.db import scalar

LOAD_JOBS_SQL = """
INSERT INTO doma_panda.jobsactive4 (pandaid, jobdefinitionid, creationtime, modificationtime, statechangetime,
    jobstatus, computingsite, prodsourcelabel, currentpriority, assignedpriority, gshare, minramcount, maxdiskcount,
    corecount, resource_type, transformation, jobname, produsername, attemptnr, maxattempt, vo)
SELECT nextval('doma_panda.jobsdefined4_pandaid_seq'), g, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC',
       now() AT TIME ZONE 'UTC', 'activated', 'BENCH_Q' || lpad(mod(g, %(queues)s)::text, 4, '0'), 'managed',
       mod(g * 7919, 1000), 0, 'BenchShare' || mod(g, %(shares)s), 2000, 0, 1, 'SCORE', '/bin/true',
       'bench.job.' || g, 'bench', 1, 3, 'wlcg'
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""

LOAD_RAW_SQL = """
INSERT INTO bench_raw_jobs (id, queue, priority, status)
SELECT g, 'BENCH_Q' || lpad(mod(g, %(queues)s)::text, 4, '0'), mod(g * 7919, 1000), 'activated'
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""

RAW_ACQUIRE_SQL = """
UPDATE bench_raw_jobs SET status = 'sent'
 WHERE id = (SELECT id FROM bench_raw_jobs WHERE queue = %s AND status = 'activated'
              ORDER BY priority DESC LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id
"""

TABLE_ACQUIRE_SQL = """
UPDATE doma_panda.jobsactive4 SET jobstatus = 'sent'
 WHERE pandaid = (SELECT pandaid FROM doma_panda.jobsactive4
                   WHERE computingsite = %s AND coalesce(gshare, '') = %s AND jobstatus = 'activated'
                   ORDER BY currentpriority DESC, pandaid LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING pandaid
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str, jobs: int, queues: int, shares: int) -> None:
    with psycopg.connect(url) as conn:
        for share in range(shares):
            conn.execute(
                "INSERT INTO doma_panda.global_shares (name, value, parent, prodsourcelabel, vo) "
                "VALUES (%s, %s, 'Production', 'managed', 'wlcg') ON CONFLICT DO NOTHING",
                (f"BenchShare{share}", max(1, 100 // shares)),
            )
        conn.execute("SELECT doma_panda.register_site('BENCH_SITE')")
        for queue in range(queues):
            conn.execute(
                "SELECT doma_panda.register_panda_queue(%s, 'BENCH_SITE', %s)",
                (f"BENCH_Q{queue:04d}", Jsonb({"status": "online"})),
            )
        conn.commit()
        params = {"queues": queues, "shares": shares}
        load_in_chunks(conn, jobs, 50_000, LOAD_JOBS_SQL, "activated jobs", params)
        conn.execute(
            "CREATE TABLE bench_raw_jobs (id bigint PRIMARY KEY, queue text NOT NULL, priority integer NOT NULL, "
            "status text NOT NULL)"
        )
        conn.commit()
        load_in_chunks(conn, jobs, 100_000, LOAD_RAW_SQL, "raw reference rows", params)
        conn.execute("CREATE INDEX bench_raw_jobs_queue_idx ON bench_raw_jobs (queue, status, priority DESC)")
        conn.commit()
        conn.autocommit = True  # VACUUM cannot run in a transaction block
        conn.execute("VACUUM ANALYZE bench_raw_jobs")
        conn.execute("VACUUM ANALYZE doma_panda.jobsactive4")


def reactivate_sent_jobs(url: str) -> None:
    """Put the jobs an earlier scenario acquired back to activated, so that every scenario has the same jobs to
    take (a fast scenario on a small load would otherwise leave the next one nothing)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE doma_panda.jobsactive4 SET jobstatus = 'activated' WHERE jobstatus = 'sent'")
        conn.execute("VACUUM ANALYZE doma_panda.jobsactive4")


def measure_raw(url: str, clients: int, seconds: float, queues: int, meter: CpuMeter | None = None) -> float:
    def make_worker(index: int):
        conn = psycopg.connect(url, autocommit=True)
        rng = random.Random(index)
        return lambda: len(
            conn.execute(RAW_ACQUIRE_SQL, (f"BENCH_Q{rng.randrange(queues):04d}",), prepare=True).fetchall()
        )

    return run_clients(clients, seconds, make_worker, meter)


def measure_table(
    url: str, clients: int, seconds: float, queues: int, shares: int, meter: CpuMeter | None = None
) -> float:
    def make_worker(index: int):
        conn = psycopg.connect(url, autocommit=True)
        rng = random.Random(500 + index)
        return lambda: len(
            conn.execute(
                TABLE_ACQUIRE_SQL,
                (f"BENCH_Q{rng.randrange(queues):04d}", f"BenchShare{rng.randrange(shares)}"),
                prepare=True,
            ).fetchall()
        )

    return run_clients(clients, seconds, make_worker, meter)


def measure_direct(url: str, clients: int, seconds: float, queues: int, meter: CpuMeter | None = None) -> float:
    def make_worker(index: int):
        conn = psycopg.connect(url, autocommit=True)
        rng = random.Random(1000 + index)
        request = Jsonb({"node": f"bench-node-{index}"})

        def acquire() -> int:
            data = scalar(
                conn,
                "SELECT doma_panda.acquire_jobs(p_site_name => %s, p_n_jobs => 1, p_request => %s)",
                (f"BENCH_Q{rng.randrange(queues):04d}", request),
            )
            return len(data or [])

        return acquire

    return run_clients(clients, seconds, make_worker, meter)


@contextmanager
def api_server(url: str, groups: str = "wlcg/pilot") -> Iterator[tuple[str, str, int]]:
    """The real API server (`pandadb serve`, plain HTTP) on `url`'s database: yields (base URL, bearer token,
    the server's process id)."""
    port = free_port()
    home = os.environ.get("PANDADB_HOME") or str(Path(".pandadb").resolve())
    env = {**os.environ, "PANDADB_URL": url, "PANDADB_HOME": home}
    pandadb = str(Path(sys.executable).parent / "pandadb")
    token = subprocess.run(
        [pandadb, "token", "issue", "--user", "bench", "--vo", "wlcg", "--groups", groups],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    server = subprocess.Popen(
        [pandadb, "serve", "--insecure", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/server/panda/isAlive", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise click.ClickException("the API server did not come up for the HTTP scenario")
            time.sleep(0.2)
        yield base, token, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


class ApiClient:
    """A light keep-alive JSON client (http.client): on a machine whose cores also run the server and the
    database, the client's own CPU per request would otherwise count against the server (httpx costs
    about as much CPU per request as the whole server side of a heartbeat)."""

    def __init__(self, base: str, token: str):
        host, port = base.removeprefix("http://").split(":")
        self._connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self._headers = {"Authorization": f"Bearer {token}", "Origin": "wlcg", "Content-Type": "application/json"}

    def post(self, path: str, body: dict) -> dict:
        self._connection.request("POST", path, json.dumps(body), self._headers)
        return json.loads(self._connection.getresponse().read())


def measure_http(url: str, clients: int, seconds: float, queues: int, meter: CpuMeter | None = None) -> float:
    with api_server(url) as (base, token, server_pid):
        if meter is not None:
            meter.server_pid = server_pid

        def make_worker(index: int):
            client = ApiClient(base, token)
            rng = random.Random(2000 + index)

            def acquire() -> int:
                body = {"site_name": f"BENCH_Q{rng.randrange(queues):04d}", "node": f"bench-node-{index}"}
                envelope = client.post("/api/v1/pilot/acquire_jobs", body)
                if not envelope.get("success"):
                    raise RuntimeError(f"acquire_jobs over HTTP failed: {envelope.get('message')}")
                return 1 if envelope["data"].get("StatusCode") == 0 else 0

            return acquire

        return run_clients(clients, seconds, make_worker, meter)


def measure_pgqueuer(url: str, clients: int, seconds: float, jobs: int) -> float:
    from pgqueuer.ports.repository import EntrypointExecutionParameter
    from pgqueuer.queries import Queries

    async def load() -> None:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
        queries = Queries.from_psycopg_connection(conn)
        await queries.install()
        from tqdm import tqdm

        with tqdm(total=jobs, desc="pgqueuer jobs", unit="rows", unit_scale=True) as bar:
            for first in range(0, jobs, 10_000):
                n = min(10_000, jobs - first)
                await queries.enqueue(["bench"] * n, [None] * n, [(first + i) * 7919 % 1000 for i in range(n)])
                bar.update(n)
        # fresh statistics for pgqueuer's tables too, as for ours: otherwise its dequeue plans blind
        tables = await (
            await conn.execute(
                "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables WHERE relname LIKE 'pgqueuer%'"
            )
        ).fetchall()
        for (table,) in tables:
            await conn.execute(f"VACUUM ANALYZE {table}")
        await conn.close()

    async def run() -> float:
        done = 0
        deadline = 0.0

        async def client(index: int) -> None:
            nonlocal done
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
            queries = Queries.from_psycopg_connection(conn)
            manager = uuid.uuid4()
            while time.monotonic() < deadline:
                picked = await queries.dequeue(
                    1,
                    {"bench": EntrypointExecutionParameter(concurrency_limit=0)},
                    manager,
                    None,
                    timedelta(seconds=300),
                )
                done += len(picked)
            await conn.close()

        deadline = time.monotonic() + seconds
        started = time.monotonic()
        await asyncio.gather(*(client(i) for i in range(clients)))
        return done / (time.monotonic() - started)

    asyncio.run(load())
    return asyncio.run(run())


SCENARIOS = ("a", "a'", "b", "c", "d")


@click.command("dispatch")
@click.option("--jobs", default=1_000_000, show_default=True, help="activated jobs loaded (and rows in each reference)")
@click.option("--queues", default=200, show_default=True)
@click.option("--shares", default=5, show_default=True)
@click.option("--clients", default=8, show_default=True, help="concurrent acquirers in every scenario")
@click.option("--seconds", default=10.0, show_default=True, help="measured time per scenario")
@click.option(
    "--database", default="pandadb_bench_dispatch", show_default=True, help="scratch database (dropped and recreated)"
)
@click.option(
    "--scenarios",
    default=",".join(SCENARIOS),
    show_default=True,
    help="which scenarios to run, comma-separated (ratios are printed for those measured)",
)
def command(jobs: int, queues: int, shares: int, clients: int, seconds: float, database: str, scenarios: str) -> None:
    """Jobs/s acquired: raw SKIP LOCKED update, the same on jobsactive4, acquire_jobs, over HTTP, pgqueuer dequeue."""
    wanted = [name.strip() for name in scenarios.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(SCENARIOS))
    if unknown or not wanted:
        raise click.BadParameter(
            f"scenarios are {', '.join(SCENARIOS)}, not {', '.join(unknown) or 'none'}", param_hint="--scenarios"
        )
    url = scratch_database(database)
    prepare(url, jobs, queues, shares)
    meters = {key: CpuMeter(url) for key in ("a", "a'", "b", "c")}
    measures = {
        "a": ("a raw UPDATE ... SKIP LOCKED", lambda: measure_raw(url, clients, seconds, queues, meters["a"])),
        "a'": (
            "a' same UPDATE on jobsactive4",
            lambda: measure_table(url, clients, seconds, queues, shares, meters["a'"]),
        ),
        "b": ("b acquire_jobs (direct)", lambda: measure_direct(url, clients, seconds, queues, meters["b"])),
        "c": ("c acquire_jobs (HTTP)", lambda: measure_http(url, clients, seconds, queues, meters["c"])),
        "d": ("d pgqueuer dequeue", lambda: measure_pgqueuer(url, clients, seconds, jobs)),
    }
    results: dict[str, float] = {}
    for key in SCENARIOS:
        if key not in wanted:
            continue
        name, measure = measures[key]
        if key in ("a'", "b", "c"):
            reactivate_sent_jobs(url)  # each scenario starts from the same activated jobs
        click.echo(f"measuring {name} for {seconds:g}s with {clients} clients ...")
        results[key] = measure()
        click.echo(f"  {name}: {results[key]:,.0f} jobs/s")
        if key in meters and meters[key].describe():
            click.echo(f"    {meters[key].describe()}")

    def ratio(top: str, bottom: str) -> str:
        if top in results and bottom in results and results[bottom] > 0:
            return f"   {top}/{bottom} = {results[top] / results[bottom]:.2f}"
        return ""

    click.echo(f"\njobs={jobs} queues={queues} shares={shares} clients={clients} (ratios are of this run)")
    labels = {"a": "raw", "a'": "table", "b": "direct", "c": "http", "d": "pgqueuer"}
    ratios = {
        "a": [],
        "a'": [("a'", "a")],
        "b": [("b", "a"), ("b", "a'")],
        "c": [("c", "a"), ("c", "b")],
        "d": [("b", "d"), ("a'", "d")],
    }
    for key in SCENARIOS:
        if key in results:
            text = "".join(ratio(top, bottom) for top, bottom in ratios[key])
            click.echo(f"{key} {labels[key]:<9}{results[key]:>12,.0f} jobs/s{text}")
    if "a'" in results and "d" in results:
        # acquire_jobs makes the very update of a' and more (log, description): it cannot be faster than a'
        click.echo("b/d cannot exceed a'/d: acquire_jobs does the update of a' and more (status log, description)")
