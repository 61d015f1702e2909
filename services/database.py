"""The services' way into the stored logic: a connection pool and one function call per API call.

`Database.call(function, p_x=...)` is `pandadb.procedures.call` on a pooled connection: the same
helper the CLI and the tests use, named arguments, refusals as pandadb.errors types.

The pool is opened lazily by the first request, so under gunicorn each worker process gets its
own pool after the fork (connections are never shared across processes).
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from pandadb import procedures
from pandadb.procedures import bigint_ids, text_array

__all__ = ["Database", "bigint_ids", "text_array"]


class Database:
    def __init__(self, url: str, min_size: int = 1, max_size: int = 4, statement_timeout_ms: int = 60_000):
        self.url = url
        self._min_size = min_size
        self._max_size = max_size
        self._statement_timeout_ms = statement_timeout_ms
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()

    def _configure(self, conn: psycopg.Connection) -> None:
        conn.execute(f"SET statement_timeout = {int(self._statement_timeout_ms)}")
        conn.execute("SET application_name = 'pandadb-services'")
        conn.commit()

    @property
    def pool(self) -> ConnectionPool:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ConnectionPool(self.url, min_size=self._min_size, max_size=self._max_size,
                                                configure=self._configure, open=True, timeout=30,
                                                name="pandadb-services")
        return self._pool

    def open(self) -> None:
        """Open the pool now (gunicorn's post_worker_init) instead of on the first request."""
        _ = self.pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def call(self, function: str, /, **arguments: Any) -> Any:
        """`SELECT doma_panda.<function>(p_x => ..., ...)` in one transaction; the function's value."""
        with self.pool.connection() as conn:
            return procedures.call(conn, function, **arguments)

    def rows(self, function: str, /, **arguments: Any) -> list[dict[str, Any]]:
        """`SELECT * FROM doma_panda.<function>(...)` in one transaction; the rows as dicts."""
        with self.pool.connection() as conn:
            return procedures.rows(conn, function, **arguments)

    def ping(self) -> bool:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT true").fetchone()
            return bool(row and row[0])
