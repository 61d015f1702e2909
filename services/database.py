"""The services' way into the stored logic: a connection pool and one function call per API call.

The pool is opened lazily by the first request, so under gunicorn each worker process gets its
own pool after the fork (connections are never shared across processes).
"""

from __future__ import annotations

import threading
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from pandadb.procedures import call_function


class Database:
    def __init__(self, url: str, min_size: int = 1, max_size: int = 4, statement_timeout_ms: int = 60_000):
        self.url = url
        self._min_size = min_size
        self._max_size = max_size
        self._statement_timeout_ms = statement_timeout_ms
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()

    def _configure(self, conn) -> None:
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

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def call(self, function: str, **arguments: Any) -> Any:
        """`SELECT doma_panda.<function>(p_x => ..., ...) AS data` in one transaction; returns `data`.

        dict/list values (other than id lists) go as jsonb; `bigint_ids(...)` values as bigint[].
        ProcedureError propagates (the rule violation the procedure raised).
        """
        placeholders = []
        values = {}
        for name, value in arguments.items():
            cast = ""
            if isinstance(value, BigintArray):
                value, cast = list(value.ids), "::bigint[]"
            elif isinstance(value, (dict, list)):
                value, cast = Jsonb(value), "::jsonb"
            placeholders.append(f"{name} => %({name})s{cast}")
            values[name] = value
        sql = f"SELECT doma_panda.{function}({', '.join(placeholders)}) AS data"
        with self.pool.connection() as conn:
            row = call_function(conn, sql, values)
        return row["data"]

    def ping(self) -> bool:
        with self.pool.connection() as conn:
            return conn.execute("SELECT true").fetchone()[0]


class BigintArray:
    """A list of job ids passed as bigint[]."""

    def __init__(self, ids: list[int]):
        self.ids = ids


def bigint_ids(ids: list[int]) -> BigintArray:
    return BigintArray(ids)
