"""`pandadb chaos`: the fault scenarios of a PanDA DB deployment, run under load, each ending with the invariants.

Each scenario runs concurrent pilot clients (threads doing acquire_jobs -> update_job running -> finished over
HTTP against a real `pandadb serve` subprocess) on jobs submitted through doma_panda.submit_jobs, injects one
fault mid-load, lets the clients carry on (retrying as pilots do) and then checks, in SQL:

  one table     every PandaID in exactly one of jobsdefined4 / jobswaiting4 / jobsactive4 / jobsarchived4 /
                doma_pandaarch.jobsarchived (none lost, none in two places)
  dispatched    no job dispatched twice: no PandaID logged 'sent' (jobs_statuslog) for two pilots, none handed
                to two clients (a new attempt is a new PandaID, so this is "once per attempt")
  acknowledged  every final state a client got acknowledged (200, success true) is in jobsarchived4 or the
                archive with that state
  archive       archive rows exactly once (no key twice in an archive table), identical to the source rows
                (hash of the common columns, snapshotted before archival), every dropped partition verified
                and none left copied-but-not-dropped

Scenarios:
  api-kill      kill -9 of the API server's process group mid-load, then start it again
  db-restart    `pg_ctl stop -m immediate` mid-load, down for a moment, then started again (crash recovery)
  archive-kill  `pandadb archive run` killed with -9 mid-run (old archived jobs in daily partitions first),
                then run again to completion, while the pilot load goes on

By default everything happens on a throw-away embedded cluster under a temporary PANDADB_HOME (so the
database can be stopped without touching anyone's data); `run_chaos(..., database_url=...)` runs the
scenarios that do not stop the database on an existing scratch database instead (the tests do).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb

from pandadb.db import scalar
from pandadb.procedures import call

SCENARIOS = ("api-kill", "db-restart", "archive-kill")
JOB_TABLES = (
    "doma_panda.jobsdefined4",
    "doma_panda.jobswaiting4",
    "doma_panda.jobsactive4",
    "doma_panda.jobsarchived4",
    "doma_pandaarch.jobsarchived",
)
SITE = "CHAOS_SITE"
PILOT_USER, PILOT_VO, PILOT_GROUPS = "chaos-pilot", "atlas", ("production",)
SERVER_STARTUP_SECONDS = 60
ARCHIVE_DAYS = tuple(range(4, 14))  # ten old days: 40 partitions to archive
ARCHIVE_KILL_AFTER_LINES = 3  # kill the archive run once it has reported this many steps

Echo = Callable[[str], None]


class ChaosError(RuntimeError):
    """The harness itself could not run (a server that does not start, a database that does not come back)."""


# ------------------------------------------------------------------------------------------------
# figures and checks


@dataclass
class Check:
    name: str
    passed: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.detail}"


@dataclass
class ScenarioResult:
    name: str
    jobs: int
    clients: int
    requests: int = 0
    succeeded: int = 0
    failures: Counter = field(default_factory=Counter)
    fault_at: float | None = None  # seconds after the load started
    down_seconds: float | None = None
    recovery_seconds: float | None = None
    recovery_what: str = "fault -> first successful request"
    load_seconds: float = 0.0
    acknowledged: int = 0
    left: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # sorted
    slowest_failure: float = 0.0
    notes: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    def _percentile(self, percent: int) -> str:
        if not self.latencies:
            return "n/a"
        index = min(len(self.latencies) - 1, int(len(self.latencies) * percent / 100))
        return f"{self.latencies[index] * 1000:.0f} ms"

    def lines(self) -> list[str]:
        failures = sum(self.failures.values())
        kinds = ", ".join(f"{kind} {count}" for kind, count in self.failures.most_common()) or "none"
        out = [
            f"== {self.name}: {self.jobs} jobs, {self.clients} clients, load {self.load_seconds:.1f} s",
            f"   requests              {self.requests} ({self.succeeded} succeeded, "
            f"{self.requests / self.load_seconds if self.load_seconds else 0:.0f}/s)",
            f"   failures seen         {failures}: {kinds}",
            f"   latency               median {self._percentile(50)}, p99 {self._percentile(99)}, max "
            f"{self._percentile(100)}; slowest failure {_seconds(self.slowest_failure) if failures else 'n/a'}",
            f"   fault at              {_seconds(self.fault_at)} after the load started"
            + (f"; down {_seconds(self.down_seconds)}" if self.down_seconds is not None else ""),
            f"   recovery              {_seconds(self.recovery_seconds)} ({self.recovery_what})",
            f"   final states acked    {self.acknowledged}; jobs left: "
            + (", ".join(f"{status} {count}" for status, count in sorted(self.left.items())) or "none"),
        ]
        out += [f"   {note}" for note in self.notes]
        out.append("   invariants:")
        out += [f"     {check.line()}" for check in self.checks]
        return out


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


# ------------------------------------------------------------------------------------------------
# invariants


def check_invariants(
    conn: psycopg.Connection,
    expected_pandaids: list[int],
    acknowledged: dict[int, str],
    client_duplicates: list[int] | None = None,
    archive_snapshot: dict[str, dict[int, str]] | None = None,
) -> list[Check]:
    """The four invariants on `conn`'s database (autocommit connection); each Check says PASS/FAIL and why.

    expected_pandaids  the jobs the scenario created (each must be found exactly once)
    acknowledged       PandaID -> final state a client got acknowledged
    client_duplicates  PandaIDs that two clients both received (seen by the load)
    archive_snapshot   archive_snapshot() taken before archival: the rows that must be in the archive, identical
    """
    return [
        _check_one_table(conn, expected_pandaids),
        _check_dispatched_once(conn, client_duplicates or []),
        _check_acknowledged(conn, acknowledged),
        _check_archive(conn, archive_snapshot),
    ]


def _examples(values: list[Any]) -> str:
    return ", ".join(map(str, values[:5])) + (" ..." if len(values) > 5 else "")


def _check_one_table(conn: psycopg.Connection, expected: list[int]) -> Check:
    present = " UNION ALL ".join(f"SELECT pandaid, '{table}' AS t FROM {table}" for table in JOB_TABLES)
    twice = conn.execute(f"""SELECT pandaid, string_agg(t, ' + ' ORDER BY t) FROM ({present}) p
                              GROUP BY pandaid HAVING count(*) > 1 ORDER BY pandaid""").fetchall()
    missing = [
        row[0]
        for row in conn.execute(
            f"""SELECT e.id FROM unnest(%s::bigint[]) e(id)
             WHERE NOT EXISTS (SELECT 1 FROM ({present}) p WHERE p.pandaid = e.id) ORDER BY 1""",
            (expected,),
        )
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing ({_examples(missing)})")
    if twice:
        problems.append(f"{len(twice)} in several tables ({_examples([f'{p} in {t}' for p, t in twice])})")
    return Check(
        "every PandaID in exactly one job table",
        not problems,
        "; ".join(problems) or f"{len(expected)} jobs of the scenario, no PandaID in two tables",
    )


def _check_dispatched_once(conn: psycopg.Connection, client_duplicates: list[int]) -> Check:
    # a re-delivery to the same pilot (recoverable acquire) is not a second dispatch; two pilots are
    twice = conn.execute("""SELECT pandaid, string_agg(DISTINCT coalesce(modificationhost, '?'), ' + ')
                              FROM doma_panda.jobs_statuslog WHERE jobstatus = 'sent'
                             GROUP BY pandaid HAVING count(DISTINCT coalesce(modificationhost, '?')) > 1
                             ORDER BY pandaid""").fetchall()
    sent = scalar(conn, "SELECT count(DISTINCT pandaid) FROM doma_panda.jobs_statuslog WHERE jobstatus = 'sent'")
    problems = []
    if twice:
        problems.append(
            f"{len(twice)} PandaIDs logged 'sent' to several pilots "
            f"({_examples([f'{p}: {hosts}' for p, hosts in twice])})"
        )
    if client_duplicates:
        problems.append(
            f"{len(client_duplicates)} PandaIDs received by two clients ({_examples(sorted(client_duplicates))})"
        )
    return Check(
        "none dispatched twice", not problems, "; ".join(problems) or f"{sent} PandaIDs dispatched, each to one pilot"
    )


def _check_acknowledged(conn: psycopg.Connection, acknowledged: dict[int, str]) -> Check:
    ids = list(acknowledged)
    lost = conn.execute(
        """SELECT a.id, a.status FROM unnest(%s::bigint[], %s::text[]) a(id, status)
                            WHERE NOT EXISTS (SELECT 1 FROM doma_panda.jobsarchived4 j
                                               WHERE j.pandaid = a.id AND j.jobstatus = a.status)
                              AND NOT EXISTS (SELECT 1 FROM doma_pandaarch.jobsarchived j
                                               WHERE j.pandaid = a.id AND j.jobstatus = a.status)
                            ORDER BY 1""",
        (ids, [acknowledged[i] for i in ids]),
    ).fetchall()
    return Check(
        "every acknowledged final state archived",
        not lost,
        f"{len(lost)} of {len(ids)} not archived with their state ({_examples([f'{p} {s}' for p, s in lost])})"
        if lost
        else f"{len(ids)} acknowledged final states found in jobsarchived4 / the archive",
    )


def archive_snapshot(conn: psycopg.Connection, pandaids: list[int]) -> dict[str, dict[int, str]]:
    """Archive table -> {row key: hash of the row's columns common to source and archive} of `pandaids`' rows
    in the live tables: what the archive must hold exactly once, identical, once they are archived."""
    snapshot: dict[str, dict[int, str]] = {}
    for source, archive, key in _archive_targets(conn):
        columns = scalar(conn, "SELECT doma_panda.archive_column_list(%s, %s)", (source, archive))
        snapshot[archive] = {
            row[0]: row[1]
            for row in conn.execute(
                f"SELECT {key}, md5(ROW({columns})::text) FROM {source} WHERE pandaid = ANY(%s)", (pandaids,)
            )
        }
    return snapshot


def _archive_targets(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(
        "SELECT source_table, archive_table, key_column FROM doma_panda.archive_targets() ORDER BY table_order"
    ).fetchall()


def _check_archive(conn: psycopg.Connection, snapshot: dict[str, dict[int, str]] | None) -> Check:
    problems = []
    compared = 0
    for source, archive, key in _archive_targets(conn):
        duplicated = [
            row[0] for row in conn.execute(f"SELECT {key} FROM {archive} GROUP BY {key} HAVING count(*) > 1 ORDER BY 1")
        ]
        if duplicated:
            problems.append(f"{archive}: {len(duplicated)} keys twice ({_examples(duplicated)})")
        expected = (snapshot or {}).get(archive)
        if expected:
            columns = scalar(conn, "SELECT doma_panda.archive_column_list(%s, %s)", (source, archive))
            found: dict[int, list[str]] = {}
            for row_key, digest in conn.execute(
                f"SELECT {key}, md5(ROW({columns})::text) FROM {archive} WHERE {key} = ANY(%s)", (list(expected),)
            ):
                found.setdefault(row_key, []).append(digest)
            missing = [k for k in expected if k not in found]
            changed = [k for k, digests in found.items() if len(digests) == 1 and digests[0] != expected[k]]
            if missing:
                problems.append(f"{archive}: {len(missing)} rows missing ({_examples(sorted(missing))})")
            if changed:
                problems.append(f"{archive}: {len(changed)} rows differ from the source ({_examples(sorted(changed))})")
            still_live = scalar(conn, f"SELECT count(*) FROM {source} WHERE {key} = ANY(%s)", (list(expected),))
            if still_live:
                problems.append(f"{source}: {still_live} archived rows still in the live table")
            compared += len(expected)
    unverified = conn.execute("""SELECT table_name || '.' || partition_name FROM doma_panda.tablepart4copying
                                  WHERE deleted_on IS NOT NULL AND data_verif_passed IS DISTINCT FROM 'YES'
                                  ORDER BY 1""").fetchall()
    if unverified:
        problems.append(
            f"{len(unverified)} partitions dropped without a passed verification "
            f"({_examples([r[0] for r in unverified])})"
        )
    half_done = conn.execute("""SELECT c.table_name || '.' || c.partition_name FROM doma_panda.tablepart4copying c
                                 WHERE c.copied_to_arch = 'Y' AND c.deleted_on IS NULL ORDER BY 1""").fetchall()
    if snapshot and half_done:
        problems.append(f"{len(half_done)} partitions copied but not dropped ({_examples([r[0] for r in half_done])})")
    dropped = scalar(conn, "SELECT count(*) FROM doma_panda.tablepart4copying WHERE deleted_on IS NOT NULL")
    return Check(
        "archive rows exactly once and identical",
        not problems,
        "; ".join(problems)
        or (
            f"{compared} archived rows compared with their source, {dropped} partitions dropped after verification"
            if snapshot
            else f"no key twice in the archive tables, {dropped} partitions dropped after verification"
        ),
    )


# ------------------------------------------------------------------------------------------------
# the database and the API server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnCluster:
    """A throw-away embedded PostgreSQL cluster under `home`/pg, migrated to head."""

    def __init__(self, home: Path):
        from pandadb.cluster import EmbeddedCluster
        from pandadb.settings import Settings, find_postgres_bin_directory

        self.cluster = EmbeddedCluster(
            Settings(database_url=None, home=home / "pg", pg_bin=find_postgres_bin_directory())
        )

    def start(self) -> str:
        from pandadb.migrations.runner import migrate_to_head

        url = self.cluster.start()
        with psycopg.connect(url, autocommit=True) as conn:
            # only an operating-system crash needs fsync; a process crash (what we cause) does not.
            # synchronous_commit stays on: an acknowledged commit must survive 'pg_ctl stop -m immediate'.
            conn.execute("ALTER SYSTEM SET fsync = off")
            conn.execute("SELECT pg_reload_conf()")
        migrate_to_head(url)
        return url

    def stop_immediately(self) -> None:
        from pandadb.cluster import _run_as_server_account

        result = _run_as_server_account(
            [str(self.cluster.settings.pg_bin / "pg_ctl"), "stop", "-m", "immediate", "-D", str(self.cluster.data_dir)]
        )
        if result.returncode != 0:
            raise ChaosError(f"pg_ctl stop -m immediate failed: {result.stderr.strip()}")

    def start_again(self) -> None:
        self.cluster.start()

    def destroy(self) -> None:
        try:
            self.cluster.stop()
        except Exception:  # noqa: BLE001 - best effort: a cluster that will not stop is removed with its directory
            pass


class ApiServer:
    """`pandadb serve --insecure` as a subprocess in its own process group (so kill -9 takes its workers too)."""

    def __init__(self, database_url: str, home: Path, workers: int = 2, threads: int = 4):
        self.database_url = database_url
        self.home = home
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen | None = None
        self.log_file = home / "server.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start the server; returns the seconds until it answered isAlive."""
        started = time.monotonic()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANDADB_")}
        env.update(PANDADB_URL=self.database_url, PANDADB_HOME=str(self.home))
        args = [
            sys.executable,
            "-m",
            "pandadb",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--insecure",
        ]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = started + SERVER_STARTUP_SECONDS
        with httpx.Client(base_url=self.base_url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise ChaosError(f"pandadb serve exited with {self.process.returncode}: see {self.log_file}")
                try:
                    if client.get("/server/panda/isAlive").status_code == 200:
                        return time.monotonic() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise ChaosError(f"pandadb serve did not answer within {SERVER_STARTUP_SECONDS} s: see {self.log_file}")

    def kill(self) -> None:
        """kill -9 of the whole process group (gunicorn master and workers)."""
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


# ------------------------------------------------------------------------------------------------
# the load: pilot clients over HTTP


class Load:
    """`clients` pilot threads: acquire_jobs -> update_job running -> update_job finished, retrying what fails
    (as pilots do, honouring a short Retry-After), until the queue is drained or `stop()`."""

    def __init__(self, base_url: str, headers: dict[str, str], queue: str, clients: int, jobs_per_acquire: int = 1):
        self.base_url = base_url
        self.headers = headers
        self.queue = queue
        self.clients = clients
        self.jobs_per_acquire = jobs_per_acquire
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.requests = 0
        self.succeeded = 0
        self.failures: Counter = Counter()
        self.latencies: list[float] = []
        self.slowest_failure = 0.0
        self.acknowledged: dict[int, str] = {}
        self.received_by: dict[int, int] = {}
        self.duplicates: set[int] = set()
        self.fault_time: float | None = None
        self.first_success_after_fault: float | None = None
        self.threads = [threading.Thread(target=self._pilot, args=(index,), daemon=True) for index in range(clients)]
        self.started = 0.0

    def start(self) -> None:
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()

    def mark_fault(self) -> float:
        with self.lock:
            self.fault_time = time.monotonic()
            self.first_success_after_fault = None
        return self.fault_time

    def running(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def stop(self, timeout: float = 30) -> None:
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.1, deadline - time.monotonic()))

    def wait(self, until: float) -> None:
        """Wait until every client is done (queue drained) or the monotonic time `until`."""
        for thread in self.threads:
            thread.join(max(0.0, until - time.monotonic()))

    # -- one request -------------------------------------------------------------------------------
    def _post(self, client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The envelope of a 200 answer, or None after counting the failure (and pausing a little)."""
        kind = None
        retry_after = 0.0
        sent = time.monotonic()
        try:
            response = client.post(path, json=body)
            if response.status_code == 200:
                answer = response.json()
            else:
                kind = f"HTTP {response.status_code}"
                retry_after = float(response.headers.get("Retry-After") or 0)
        except httpx.ConnectError:
            kind = "connection refused"
        except httpx.TimeoutException:
            kind = "timeout"
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            kind = "connection lost"
        except httpx.TransportError as error:
            kind = type(error).__name__
        except ValueError:
            kind = "bad JSON"
        refused = kind is None and not answer.get("success")
        latency = time.monotonic() - sent
        if kind is not None and kind.startswith("HTTP"):
            kind += f" ({path.rsplit('/', 1)[-1]})"
        with self.lock:
            self.requests += 1
            self.latencies.append(latency)
            if kind is not None:
                self.slowest_failure = max(self.slowest_failure, latency)
            if refused:
                self.failures["200 refused (success false)"] += 1
            elif kind is None:
                self.succeeded += 1
                if self.fault_time is not None and self.first_success_after_fault is None and sent > self.fault_time:
                    self.first_success_after_fault = time.monotonic()
            else:
                self.failures[kind] += 1
        if kind is not None:
            # a pilot waits before it tries again: Retry-After (capped, this is a test) or a short backoff
            time.sleep(min(retry_after, 0.5) if retry_after else random.uniform(0.05, 0.2))
            return None
        return answer

    def _until_answered(self, client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        while not self.stopping.is_set():
            answer = self._post(client, path, body)
            if answer is not None:
                return answer
        return None

    # -- the pilot loop ----------------------------------------------------------------------------
    def _pilot(self, index: int) -> None:
        node = f"chaos-{self.queue.lower()}-{index}"
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=httpx.Timeout(10, connect=2)) as client:
            while not self.stopping.is_set():
                answer = self._until_answered(
                    client,
                    "/api/v1/pilot/acquire_jobs",
                    {"site_name": self.queue, "n_jobs": self.jobs_per_acquire, "node": node},
                )
                if answer is None:
                    return
                if not answer.get("success"):
                    time.sleep(0.1)
                    continue
                jobs = (answer.get("data") or {}).get("jobs") or []
                if not jobs:
                    return  # the queue is drained
                with self.lock:
                    for job in jobs:
                        pandaid = int(job["PandaID"])
                        owner = self.received_by.setdefault(pandaid, index)
                        if owner != index:
                            self.duplicates.add(pandaid)
                for job in jobs:
                    self._run_job(client, int(job["PandaID"]), node)

    def _run_job(self, client: httpx.Client, pandaid: int, node: str) -> None:
        for status in ("running", "finished"):
            answer = self._until_answered(
                client, "/api/v1/pilot/update_job", {"job_id": pandaid, "job_status": status, "node": node}
            )
            if answer is None:
                return
            if not answer.get("success"):
                # e.g. a repeated report whose first answer was lost: the job already moved on; not acknowledged
                if status == "running":
                    continue
                return
            if status == "finished":
                with self.lock:
                    self.acknowledged[pandaid] = status


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
