"""Shared pieces of the benchmarks: a scratch database, chunked loading with progress, timed client loops."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
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


def run_clients(n_clients: int, seconds: float, make_worker: Callable[[int], Callable[[], int]]) -> float:
    """Run n_clients threads, each calling its worker (which returns items done per call) until the
    deadline; returns items per second over the whole run."""
    counts = [0] * n_clients
    errors: list[BaseException] = []
    start_barrier = threading.Barrier(n_clients + 1)
    deadline_holder: list[float] = []

    def client(index: int) -> None:
        try:
            worker = make_worker(index)
            start_barrier.wait()
            while time.monotonic() < deadline_holder[0]:
                counts[index] += worker()
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
    started = time.monotonic()
    deadline_holder[0] = started + seconds
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(counts) / (time.monotonic() - started)
