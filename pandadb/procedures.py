"""Calling the stored logic: one helper for services, CLI, benches and tests alike.

    call(conn, "submit_jobs", p_job_specs=[...], p_submitter="alice")
        runs  SELECT doma_panda.submit_jobs(p_job_specs => %(p_job_specs)s::jsonb, p_submitter => %(p_submitter)s)
        in its own transaction and returns the function's value.
    rows(conn, "scheduler_jobs", p_job_names=text_array(["aggregates"]))
        runs  SELECT * FROM doma_panda.scheduler_jobs(p_job_names => %(p_job_names)s::text[]) and returns dict rows.

Arguments are always named (the routines' own `p_...` names), so the SQL that runs can be read off the
call. Values: dict and list -> jsonb; `bigint_ids([...])` / `text_array([...])` -> a typed SQL array;
anything else as psycopg adapts it. A name without a schema is in doma_panda.

A refusal (SQLSTATE PDxxx, or PostgreSQL's own bad-input SQLSTATEs) becomes the typed error of
pandadb.errors (BadInput, UnknownObject, IllegalTransition, NotAllowed, ...); the transaction is rolled
back, so the database is unchanged. Other database errors propagate as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pandadb.errors import ProcedureError, is_refusal, refusal

DEFAULT_SCHEMA = "doma_panda"
_ROUTINE_NAME = re.compile(r"^(?:(?P<schema>[a-z_][a-z0-9_]*)\.)?(?P<name>[a-z_][a-z0-9_]*)$")
_ARGUMENT_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

__all__ = [
    "ProcedureError",
    "SqlArray",
    "bigint_ids",
    "call",
    "call_procedure_with_progress",
    "refusals_as_errors",
    "rows",
    "text_array",
]


@dataclass(frozen=True)
class SqlArray:
    """A Python list passed as a typed SQL array (`values::<element_type>[]`) instead of jsonb."""

    values: Sequence[Any]
    element_type: str


def bigint_ids(ids: Sequence[int]) -> SqlArray:
    """Job, task or worker ids as bigint[]."""
    return SqlArray(list(ids), "bigint")


def text_array(values: Sequence[str]) -> SqlArray:
    return SqlArray(list(values), "text")


def _routine(function: str) -> sql.Composable:
    match = _ROUTINE_NAME.match(function)
    if not match:
        raise ValueError(f"not a routine name: {function!r}")
    return sql.Identifier(match["schema"] or DEFAULT_SCHEMA, match["name"])


def _arguments(arguments: dict[str, Any]) -> tuple[sql.Composable, dict[str, Any]]:
    """`p_a => %(p_a)s::jsonb, ...` and the values to bind."""
    parts, values = [], {}
    for name, value in arguments.items():
        if not _ARGUMENT_NAME.match(name):
            raise ValueError(f"not a parameter name: {name!r}")
        cast: sql.Composable = sql.SQL("")
        if isinstance(value, SqlArray):
            cast = sql.SQL("::{}[]").format(sql.SQL(value.element_type))
            value = list(value.values)
        elif isinstance(value, (dict, list)):
            cast, value = sql.SQL("::jsonb"), Jsonb(value)
        parts.append(sql.SQL("{} => {}{}").format(sql.Identifier(name), sql.Placeholder(name), cast))
        values[name] = value
    return sql.SQL(", ").join(parts), values


def _cast_of(value: Any) -> str:
    """The SQL cast a value is bound with (see _arguments), as the key of its statement's text."""
    if isinstance(value, SqlArray):
        return f"::{value.element_type}[]"
    if isinstance(value, (dict, list)):
        return "::jsonb"
    return ""


@lru_cache(maxsize=1024)
def _statement_text(template: str, function: str, signature: tuple[tuple[str, str], ...]) -> bytes:
    """The text of `template` (SELECT {routine}({arguments}) ...) for a routine and its arguments' names and
    casts, composed once: the services call the same few routines with the same arguments all day, and
    composing the SQL objects again on every call was a tenth of a request's CPU in the server (py-spy)."""
    for name, _cast in signature:
        if not _ARGUMENT_NAME.match(name):
            raise ValueError(f"not a parameter name: {name!r}")
    argument_list = sql.SQL(", ").join(
        sql.SQL("{} => {}" + cast).format(sql.Identifier(name), sql.Placeholder(name)) for name, cast in signature
    )
    return sql.SQL(template).format(_routine(function), argument_list).as_bytes(None)


def _statement(template: str, function: str, arguments: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """The statement (cached text) and the values to bind, as _arguments adapts them."""
    signature = tuple((name, _cast_of(value)) for name, value in arguments.items())
    values = {}
    for name, value in arguments.items():
        if isinstance(value, SqlArray):
            value = list(value.values)
        elif isinstance(value, (dict, list)):
            value = Jsonb(value)
        values[name] = value
    return _statement_text(template, function, signature), values


@contextmanager
def refusals_as_errors() -> Iterator[None]:
    """Turn a refusal raised inside the block into its pandadb.errors type."""
    try:
        yield
    except psycopg.Error as error:
        if not is_refusal(error.sqlstate):
            raise
        diag = error.diag
        message = diag.message_primary or str(error)
        if diag.message_detail:
            message += f" ({diag.message_detail})"
        raise refusal(error.sqlstate or "", message) from error


def _own_transaction(conn: psycopg.Connection) -> AbstractContextManager[Any]:
    """The transaction of one statement: on an autocommit connection outside a transaction the statement
    is one by itself (no BEGIN/COMMIT round trips: the services' pool, pandadb bench heartbeat); else
    conn.transaction() (BEGIN ... COMMIT, or a savepoint inside the caller's transaction)."""
    if conn.autocommit and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return nullcontext()
    return conn.transaction()


def call(conn: psycopg.Connection, function: str, /, **arguments: Any) -> Any:
    """`SELECT <function>(name => value, ...)` in its own transaction; the function's value."""
    query, values = _statement("SELECT {}({})", function, arguments)
    with refusals_as_errors(), _own_transaction(conn), conn.cursor() as cursor:
        cursor.execute(query, values)
        row = cursor.fetchone()
    return row[0] if row else None


def rows(conn: psycopg.Connection, function: str, /, **arguments: Any) -> list[dict[str, Any]]:
    """`SELECT * FROM <function>(name => value, ...)` in its own transaction; the rows as dicts."""
    query, values = _statement("SELECT * FROM {}({})", function, arguments)
    with refusals_as_errors(), _own_transaction(conn), conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(query, values)
        return cursor.fetchall()


def call_procedure_with_progress(
    conn: psycopg.Connection,
    procedure: str,
    notice_prefix: str,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    **arguments: Any,
) -> list[dict[str, Any]]:
    """`CALL <procedure>(name => value, ...)` for a long procedure that reports each step as a NOTICE
    '<notice_prefix>{json}'; returns the steps and hands each one to `on_progress` as it arrives (for
    progress bars). The procedure may COMMIT as it goes, so `conn` must be in autocommit mode."""
    steps: list[dict[str, Any]] = []

    def on_notice(diagnostic: psycopg.errors.Diagnostic) -> None:
        message = diagnostic.message_primary or ""
        if message.startswith(notice_prefix):
            step = json.loads(message[len(notice_prefix) :])
            steps.append(step)
            if on_progress:
                on_progress(step)

    argument_list, values = _arguments(arguments)
    conn.add_notice_handler(on_notice)
    try:
        with refusals_as_errors():
            conn.execute(sql.SQL("CALL {}({})").format(_routine(procedure), argument_list), values)
    finally:
        conn.remove_notice_handler(on_notice)
    return steps
