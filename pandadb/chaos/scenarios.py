"""The scenarios: the jobs they run on, the faults, and run_chaos."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pandadb.chaos.common import (
    ARCHIVE_DAYS,
    ARCHIVE_KILL_AFTER_LINES,
    PILOT_GROUPS,
    PILOT_USER,
    PILOT_VO,
    SCENARIOS,
    SITE,
    Echo,
)
from pandadb.chaos.invariants import ScenarioResult, archive_snapshot, check_invariants
from pandadb.chaos.load import Load
from pandadb.chaos.processes import ApiServer, OwnCluster
from pandadb.db import scalar
from pandadb.procedures import call

# ------------------------------------------------------------------------------------------------
# the scenarios


def _token_headers(home: Path) -> dict[str, str]:
    from pandadb.tokens import issue_token

    token = issue_token(PILOT_USER, PILOT_VO, list(PILOT_GROUPS), 6 * 3600, home=home)
    return {"Authorization": f"Bearer {token}", "Origin": PILOT_VO}


def prepare_queue(conn: psycopg.Connection, queue: str, jobs: int) -> list[int]:
    """Register the queue and submit `jobs` activated managed jobs to it through submit_jobs; their PandaIDs."""
    conn.execute("SELECT doma_panda.register_site(%s)", (SITE,))
    conn.execute("SELECT doma_panda.register_panda_queue(%s, %s, %s)", (queue, SITE, Jsonb({})))
    pandaids: list[int] = []
    for first in range(0, jobs, 500):
        specs = [
            {
                "jobName": f"chaos.{queue.lower()}.{n}",
                "computingSite": queue,
                "prodSourceLabel": "managed",
                "transformation": "/bin/true",
                "jobStatus": "activated",
                "assignedPriority": 100,
            }
            for n in range(first, min(jobs, first + 500))
        ]
        pandaids += [entry["PandaID"] for entry in call(conn, "submit_jobs", p_job_specs=specs, p_submitter="chaos")]
    return pandaids


def create_old_archived_jobs(
    conn: psycopg.Connection, per_day: int, days_ago: tuple[int, ...] = ARCHIVE_DAYS
) -> list[int]:
    """Finished jobs (2 files, metadata and parameters each) in the daily partitions of old days, due for
    archival; returns their PandaIDs (from the PandaID sequence)."""
    pandaids: list[int] = []
    today = scalar(conn, "SELECT date_trunc('day', doma_panda.panda_now())")
    for days in days_ago:
        day = today - timedelta(days=days)
        for table in ("jobsarchived4", "filestable4", "metatable", "jobparamstable"):
            conn.execute("SELECT doma_panda.create_partition_for_value(%s, %s)", (f"doma_panda.{table}", str(day)))
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT nextval('doma_panda.jobsdefined4_pandaid_seq') FROM generate_series(1, %s)", (per_day,)
            )
        ]
        params = {"ids": ids, "day": day}
        conn.execute(
            """INSERT INTO doma_panda.jobsarchived4 (pandaid, modificationtime, creationtime, jobstatus,
                                                              computingsite, prodsourcelabel, jobname, transformation)
                        SELECT g, %(day)s + make_interval(mins => (g %% 1440)::int), %(day)s, 'finished',
                               'CHAOS_OLD', 'managed', 'chaos.old.' || g, '/bin/true'
                          FROM unnest(%(ids)s::bigint[]) g""",
            params,
        )
        conn.execute(
            """INSERT INTO doma_panda.filestable4 (row_id, pandaid, modificationtime, lfn, type, fsize)
                        SELECT nextval('doma_panda.filestable4_row_id_seq'), g,
                               %(day)s + make_interval(mins => (g %% 1440)::int), 'chaos_' || g || '_' || k, 'output', k * 1000
                          FROM unnest(%(ids)s::bigint[]) g, generate_series(1, 2) k""",
            params,
        )
        conn.execute(
            """INSERT INTO doma_panda.metatable (pandaid, modificationtime, metadata)
                        SELECT g, %(day)s + make_interval(mins => (g %% 1440)::int), '{"chaos": ' || g || '}'
                          FROM unnest(%(ids)s::bigint[]) g""",
            params,
        )
        conn.execute(
            """INSERT INTO doma_panda.jobparamstable (pandaid, modificationtime, jobparameters)
                        SELECT g, %(day)s + make_interval(mins => (g %% 1440)::int), '--chaos ' || g
                          FROM unnest(%(ids)s::bigint[]) g""",
            params,
        )
        pandaids += ids
    return pandaids


def _left_in_live_tables(conn: psycopg.Connection, pandaids: list[int]) -> dict[str, int]:
    return dict(
        conn.execute(
            """SELECT jobstatus, count(*) FROM (
                                    SELECT jobstatus FROM doma_panda.jobsdefined4 WHERE pandaid = ANY(%(ids)s)
                                    UNION ALL SELECT jobstatus FROM doma_panda.jobswaiting4 WHERE pandaid = ANY(%(ids)s)
                                    UNION ALL SELECT jobstatus FROM doma_panda.jobsactive4 WHERE pandaid = ANY(%(ids)s)) j
                                 GROUP BY jobstatus""",
            {"ids": pandaids},
        ).fetchall()
    )


class Chaos:
    """The environment of a chaos run: the database (own cluster or given), the API server, the tokens."""

    def __init__(
        self,
        database_url: str | None = None,
        home: Path | None = None,
        echo: Echo = print,
        workers: int = 2,
        threads: int = 4,
        keep: bool = False,
    ):
        self.echo = echo
        self.keep = keep
        self.home = home or Path(tempfile.mkdtemp(prefix="pandadb-chaos-"))
        self.own_home = home is None
        if self.own_home:
            self.home.chmod(0o755)  # as root the cluster runs as the postgres account: it must reach home/pg
        self.cluster: OwnCluster | None = None
        self.database_url = database_url
        self.workers = workers
        self.threads = threads
        self.server: ApiServer | None = None

    def __enter__(self) -> Chaos:
        try:
            if self.database_url is None:
                started = time.monotonic()
                self.echo(f"setting up: a throw-away PostgreSQL cluster under {self.home / 'pg'} (initdb, migrate) ...")
                self.cluster = OwnCluster(self.home)
                self.database_url = self.cluster.start()
                self.echo(f"setting up: database ready in {time.monotonic() - started:.1f} s")
            self.server = ApiServer(self.database_url, self.home, self.workers, self.threads)
            self.echo(
                f"setting up: pandadb serve on {self.server.base_url} "
                f"({self.workers} workers x {self.threads} threads) up in {self.server.start():.1f} s"
            )
            self.headers = _token_headers(self.home)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.server is not None:
            self.server.stop()
        if self.cluster is not None:
            self.cluster.destroy()
        if self.keep:
            self.echo(f"kept: {self.home} (server.log; pg/log/postgresql.log; pg/data)")
        elif self.own_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def connect(self) -> psycopg.Connection:
        assert self.database_url is not None
        return psycopg.connect(self.database_url, autocommit=True)

    # -- one scenario --------------------------------------------------------------------------------
    def run(self, name: str, jobs: int, clients: int, seconds: float, outage: float = 2.0) -> ScenarioResult:
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}: one of {', '.join(SCENARIOS)}")
        if name == "db-restart" and self.cluster is None:
            raise ValueError("db-restart stops the database: it runs only on the chaos run's own cluster")
        assert self.server is not None
        result = ScenarioResult(name, jobs, clients)
        queue = "CHAOS_" + name.upper().replace("-", "_") + "_" + hashlib.sha1(os.urandom(8)).hexdigest()[:6].upper()
        with self.connect() as conn:
            pandaids = prepare_queue(conn, queue, jobs)
            old_ids: list[int] = []
            snapshot = None
            if name == "archive-kill":
                old_ids = create_old_archived_jobs(conn, per_day=max(50, jobs // 4))
                snapshot = archive_snapshot(conn, old_ids)
        self.echo(
            f"{name}: {jobs} jobs submitted to {queue}"
            + (
                f", {len(old_ids)} old finished jobs in {len(ARCHIVE_DAYS)} daily partitions to archive"
                if old_ids
                else ""
            )
            + f"; {clients} pilot clients start"
        )

        load = Load(self.server.base_url, self.headers, queue, clients)
        load.start()
        deadline = load.started + seconds
        # the fault: once a third of the jobs is done (or a third of the time is gone)
        while len(load.acknowledged) < jobs // 3 and time.monotonic() < load.started + seconds / 3 and load.running():
            time.sleep(0.02)
        self.echo(
            f"{name}: fault after {time.monotonic() - load.started:.1f} s ({len(load.acknowledged)} jobs "
            f"finished, {load.requests} requests)"
        )
        # the fault time is when the thing is down: a request sent after it can only succeed once it is back
        if name == "api-kill":
            self.server.kill()
            fault = load.mark_fault()
            self.echo(f"{name}: kill -9 of the API server's process group; starting it again")
            self.server.start()
            result.down_seconds = time.monotonic() - fault
        elif name == "db-restart":
            assert self.cluster is not None
            self.cluster.stop_immediately()
            fault = load.mark_fault()
            self.echo(f"{name}: pg_ctl stop -m immediate; database down for {outage:.1f} s")
            time.sleep(outage)
            self.cluster.start_again()
            result.down_seconds = time.monotonic() - fault
            self.echo(f"{name}: database started again (crash recovery) after {result.down_seconds:.1f} s")
        else:
            notes, fault, completed = self._kill_and_rerun_archive(load.mark_fault)
            result.notes += notes
            result.recovery_seconds = completed - fault
            result.recovery_what = "kill -> the archive rerun completed"
        result.fault_at = fault - load.started
        # carry on until the queue is drained (or the time is up)
        next_line = time.monotonic() + 5
        while load.running() and time.monotonic() < deadline:
            load.wait(min(deadline, next_line))
            if time.monotonic() >= next_line:
                self.echo(f"{name}: {len(load.acknowledged)}/{jobs} jobs finished, {load.requests} requests")
                next_line += 5
        load.stop()
        result.load_seconds = time.monotonic() - load.started
        result.requests, result.succeeded, result.failures = load.requests, load.succeeded, load.failures
        result.latencies = sorted(load.latencies)
        result.slowest_failure = load.slowest_failure
        result.acknowledged = len(load.acknowledged)
        if name != "archive-kill" and load.first_success_after_fault is not None:
            result.recovery_seconds = load.first_success_after_fault - fault
        with self.connect() as conn:
            result.left = _left_in_live_tables(conn, pandaids)
            result.checks = check_invariants(
                conn, pandaids + old_ids, dict(load.acknowledged), sorted(load.duplicates), snapshot
            )
        return result

    def _kill_and_rerun_archive(self, on_kill: Callable[[], float]) -> tuple[list[str], float, float]:
        """Start `pandadb archive run`, kill -9 it mid-run, run it again until it completes: (notes, kill time,
        completion time)."""
        assert self.database_url is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANDADB_")}
        env.update(PANDADB_URL=self.database_url, PANDADB_HOME=str(self.home), PYTHONUNBUFFERED="1")
        args = [sys.executable, "-m", "pandadb", "archive", "run"]
        started = time.monotonic()
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, start_new_session=True
        )
        assert process.stdout is not None
        steps = 0
        for line in process.stdout:
            if ": " in line and "." in line.split(":", 1)[0]:  # a per-partition step line
                steps += 1
                if steps >= ARCHIVE_KILL_AFTER_LINES:
                    break
        killed_mid_run = process.poll() is None
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        killed_at = on_kill()
        process.stdout.close()
        notes = [
            f"archive run killed with -9 after {steps} steps, {time.monotonic() - started:.2f} s"
            + ("" if killed_mid_run else " (WARNING: it had already ended: not a mid-run kill)")
        ]
        self.echo(f"archive-kill: {notes[0]}; running it again until it completes")
        rerun_started = time.monotonic()
        attempts = []
        while True:
            rerun = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
            attempts.append(rerun.returncode)
            if rerun.returncode == 0 or time.monotonic() - rerun_started > 120:
                break
            time.sleep(1)  # a partition still held by the killed run's server-side work: ask again
        last = rerun.stdout.strip().splitlines()[-1] if rerun.stdout.strip() else rerun.stderr.strip()
        notes.append(
            f"archive rerun: {len(attempts)} run(s), exit codes {attempts}, "
            f"{time.monotonic() - rerun_started:.2f} s; last line: {last}"
        )
        self.echo(f"archive-kill: {notes[-1]}")
        return notes, killed_at, time.monotonic()


def run_chaos(
    scenarios: list[str],
    jobs: int = 1000,
    clients: int = 8,
    seconds: float = 30.0,
    outage: float = 2.0,
    echo: Echo = print,
    database_url: str | None = None,
    workers: int = 2,
    threads: int = 4,
    keep: bool = False,
) -> list[ScenarioResult]:
    """Run the scenarios one after the other (each with its own queue and jobs) and print their figures."""
    unknown = [name for name in scenarios if name not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario {unknown[0]!r}: one of {', '.join(SCENARIOS)}")
    if database_url is not None and "db-restart" in scenarios:
        raise ValueError("db-restart stops the database: it runs only on the chaos run's own cluster")
    results = []
    with Chaos(database_url=database_url, echo=echo, workers=workers, threads=threads, keep=keep) as chaos:
        for name in scenarios:
            result = chaos.run(name, jobs, clients, seconds, outage)
            for line in result.lines():
                echo(line)
            results.append(result)
    return results
