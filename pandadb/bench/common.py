"""Shared pieces of the benchmarks: a scratch database, chunked loading with progress, timed client loops."""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import click
import psycopg
from tqdm import tqdm

from pandadb.db import resolve_database_url
from pandadb.migrations.runner import migrate_to_head


def scratch_database(name: str) -> str:
    """A freshly migrated database `name` on the server PANDADB_URL / the embedded cluster points at."""
    server = resolve_database_url(start_embedded=True)
    parts = urlsplit(server)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    click.echo(f"scratch database {name}: migrating ...")
    migrate_to_head(url)
    return url


def load_in_chunks(
    conn: psycopg.Connection, total: int, chunk: int, sql: str, label: str, params: dict | None = None
) -> None:
    """Run `sql` with parameters (first, last, **params) over [1, total] in chunks, committing each, with a progress bar."""
    with tqdm(total=total, desc=label, unit="rows", unit_scale=True) as bar:
        for first in range(1, total + 1, chunk):
            last = min(total, first + chunk - 1)
            conn.execute(sql, {**(params or {}), "first": first, "last": last})
            conn.commit()
            bar.update(last - first + 1)


def _process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None when it is gone or not readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _child_pids(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


@dataclass
class CpuMeter:
    """Where a scenario's CPU goes, per call: the bench's own process (the clients), the API server's processes
    (when server_pid is set) and the client backends of the bench database (not autovacuum), from /proc. Readable only when
    the database server runs on this machine (the embedded cluster); otherwise `per_call` stays empty."""

    url: str
    server_pid: int | None = None
    per_call: dict[str, float] = field(default_factory=dict)
    _start: dict[str, dict[int, float]] = field(default_factory=dict)

    def _snapshot(self) -> dict[str, dict[int, float]] | None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        snapshot: dict[str, dict[int, float]] = {"client": {0: usage.ru_utime + usage.ru_stime}}
        with psycopg.connect(self.url, autocommit=True) as conn:
            backends = [
                row[0]
                for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                ).fetchall()
            ]
        groups = {"database": backends}
        if self.server_pid is not None:
            groups["server"] = [self.server_pid, *_child_pids(self.server_pid)]
        for name, pids in groups.items():
            seconds = {pid: _process_cpu_seconds(pid) for pid in pids}
            if any(value is None for value in seconds.values()) and not any(seconds.values()):
                return None  # a remote database server: nothing to read here
            snapshot[name] = {pid: value for pid, value in seconds.items() if value is not None}
        return snapshot

    def start(self) -> None:
        self._start = self._snapshot() or {}

    def stop(self, calls: int) -> None:
        end = self._snapshot()
        if not end or not self._start or calls <= 0:
            return
        for name, seconds in end.items():
            before = self._start.get(name, {})
            used = sum(value - before.get(pid, 0.0) for pid, value in seconds.items())
            self.per_call[name] = used / calls * 1e6

    def describe(self) -> str:
        """'CPU per call: client 140 us, server 800 us, database 520 us' (empty when not measured)."""
        if not self.per_call:
            return ""
        parts = [
            f"{name} {self.per_call[name]:,.0f} us"
            for name in ("client", "server", "database")
            if name in self.per_call
        ]
        return "CPU per call: " + ", ".join(parts)


def run_clients(
    n_clients: int, seconds: float, make_worker: Callable[[int], Callable[[], int]], meter: CpuMeter | None = None
) -> float:
    """Run n_clients threads, each calling its worker (which returns items done per call) until the
    deadline; returns items per second over the whole run. With a meter, the CPU of the clients, the
    server and the database over the timed part is measured per call."""
    counts = [0] * n_clients
    calls = [0] * n_clients
    errors: list[BaseException] = []
    start_barrier = threading.Barrier(n_clients + 1)
    go = threading.Event()  # set once the deadline is known (and the meter started)
    deadline_holder: list[float] = []

    def client(index: int) -> None:
        try:
            worker = make_worker(index)
            start_barrier.wait()
            go.wait()
            while time.monotonic() < deadline_holder[0]:
                counts[index] += worker()
                calls[index] += 1
        except BaseException as error:  # report, do not hide
            errors.append(error)
            try:
                start_barrier.abort()
            except threading.BrokenBarrierError:
                pass

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n_clients)]
    for thread in threads:
        thread.start()
    deadline_holder.append(time.monotonic() + 3600)  # placeholder until all workers are ready
    try:
        start_barrier.wait()
    except threading.BrokenBarrierError:
        pass
    if meter is not None and not errors:
        meter.start()  # every client is connected: their backends exist
    started = time.monotonic()
    deadline_holder[0] = started + seconds
    go.set()
    if meter is not None and not errors:
        # read just before the deadline: the clients' connections (their backends) close as they end
        time.sleep(max(0.0, deadline_holder[0] - min(0.2, seconds / 10) - time.monotonic()))
        meter.stop(sum(calls))
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(counts) / (time.monotonic() - started)
