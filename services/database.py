"""The services' way into the stored logic: a connection pool and one function call per API call.

`Database.call(function, p_x=...)` is `pandadb.procedures.call` on a pooled connection: the same
helper the CLI and the tests use, named arguments, refusals as pandadb.errors types.

The pool is opened lazily by the first request, so under gunicorn each worker process gets its
own pool after the fork (connections are never shared across processes).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from pandadb import procedures
from pandadb.procedures import bigint_ids, text_array

__all__ = ["Database", "bigint_ids", "text_array"]


@dataclass
class _SharedPool:
    """The pool of a Database and of its per-request copies (with_statement_timeout)."""

    pool: ConnectionPool | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Database:
    """The pool and the calls. Fail fast: a connection is waited for at most `checkout_timeout_s` (then
    PoolTimeout, answered 503), a new connection at most `connect_timeout_s`, a statement runs at most
    `statement_timeout_ms` unless the request asked for less or more (`with_statement_timeout`)."""

    def __init__(
        self,
        url: str,
        min_size: int = 1,
        max_size: int = 4,
        statement_timeout_ms: int = 60_000,
        checkout_timeout_s: float = 5.0,
        connect_timeout_s: int = 5,
    ):
        self.url = url
        self._min_size = min_size
        self._max_size = max_size
        self._statement_timeout_ms = statement_timeout_ms
        self._checkout_timeout_s = checkout_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._request_timeout_ms: int | None = None  # this request's own statement timeout, when it differs
        self._shared = _SharedPool()

    def _configure(self, conn: psycopg.Connection) -> None:
        conn.execute(f"SET statement_timeout = {int(self._statement_timeout_ms)}")
        conn.execute("SET application_name = 'pandadb-services'")
        conn.commit()

    @property
    def pool(self) -> ConnectionPool:
        shared = self._shared
        if shared.pool is None:
            with shared.lock:
                if shared.pool is None:
                    shared.pool = ConnectionPool(
                        self.url,
                        min_size=self._min_size,
                        max_size=self._max_size,
                        configure=self._configure,
                        open=True,
                        timeout=self._checkout_timeout_s,
                        name="pandadb-services",
                        kwargs={
                            "connect_timeout": self._connect_timeout_s,
                            # one call = one statement = its own transaction:
                            # no BEGIN/COMMIT round trips (pandadb.procedures)
                            "autocommit": True,
                        },
                    )
        return shared.pool

    def open(self) -> None:
        """Open the pool now (gunicorn's post_worker_init) instead of on the first request."""
        _ = self.pool

    def close(self) -> None:
        if self._shared.pool is not None:
            self._shared.pool.close()
            self._shared.pool = None

    def with_statement_timeout(self, seconds: float | None) -> Database:
        """The same pool, with statements of this request cancelled after `seconds` (seed 000's `timeout`
        parameters); the server's own timeout when None or equal to it."""
        if seconds is None or not seconds > 0:  # absent, zero, negative or NaN: the server's own timeout
            return self
        # never longer than the server's own timeout (a client cannot hold a connection longer than that)
        milliseconds = max(1, int(min(seconds * 1000, self._statement_timeout_ms)))
        if milliseconds == self._statement_timeout_ms:
            return self
        bound = copy.copy(self)
        bound._request_timeout_ms = milliseconds
        return bound

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        with self.pool.connection() as conn:
            if self._request_timeout_ms is None:
                yield conn
                return
            with conn.transaction():  # the call's own transaction becomes a savepoint inside it
                conn.execute("SELECT set_config('statement_timeout', %s, true)", (str(self._request_timeout_ms),))
                yield conn

    def call(self, function: str, /, **arguments: Any) -> Any:
        """`SELECT doma_panda.<function>(p_x => ..., ...)` in one transaction; the function's value."""
        with self._connection() as conn:
            return procedures.call(conn, function, **arguments)

    def rows(self, function: str, /, **arguments: Any) -> list[dict[str, Any]]:
        """`SELECT * FROM doma_panda.<function>(...)` in one transaction; the rows as dicts."""
        with self._connection() as conn:
            return procedures.rows(conn, function, **arguments)

    def ping(self) -> bool:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT true").fetchone()
            return bool(row and row[0])
