"""Calling the stored logic: one call, one transaction, errors with the procedure's own message.

Procedures signal rule violations with SQLSTATEs of class 'PD' (see procedures/postgres/*.sql);
`ProcedureError` carries that SQLSTATE and message so that callers (CLI, services) can map
them without re-checking the rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import dict_row

PANDA_ERROR_CLASS = "PD"

# SQLSTATEs of PostgreSQL itself that mean "your input was wrong", not "the server broke"
INPUT_ERROR_SQLSTATES = {
    "22001",  # string_data_right_truncation
    "22003",  # numeric_value_out_of_range
    "22007",  # invalid_datetime_format
    "22008",  # datetime_field_overflow
    "22P02",  # invalid_text_representation
    "22023",  # invalid_parameter_value
    "22004",  # null_value_not_allowed
    "23502",  # not_null_violation
    "23503",  # foreign_key_violation
    "23505",  # unique_violation
    "23514",  # check_violation
    "2202E",  # array_subscript_error
    "22P05",  # untranslatable_character
    "42883",  # undefined_function (wrong argument types)
}


class ProcedureError(Exception):
    """A procedure refused the call; `sqlstate` says why, the message says what to do."""

    def __init__(self, sqlstate: str, message: str):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message

    @property
    def is_input_error(self) -> bool:
        return self.sqlstate.startswith(PANDA_ERROR_CLASS) or self.sqlstate in INPUT_ERROR_SQLSTATES


def _as_procedure_error(error: psycopg.Error) -> ProcedureError:
    diag = error.diag
    message = diag.message_primary or str(error)
    if diag.message_detail:
        message += f" ({diag.message_detail})"
    return ProcedureError(error.sqlstate or "XX000", message)


def call_function(conn: psycopg.Connection, sql: str, params: Any = None, *, one: bool = True) -> Any:
    """Run `SELECT ... FROM function(...)` in its own transaction and return the row(s) as dicts."""
    try:
        with conn.transaction():
            with conn.cursor(row_factory=dict_row) as cur:
                cur.execute(sql, params)
                return cur.fetchone() if one else cur.fetchall()
    except psycopg.errors.Error as error:
        if error.sqlstate and (error.sqlstate.startswith(PANDA_ERROR_CLASS) or error.sqlstate in INPUT_ERROR_SQLSTATES):
            raise _as_procedure_error(error) from error
        raise


def call_procedure_with_progress(conn: psycopg.Connection, sql: str, params: Any, notice_prefix: str,
                                 on_progress: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """CALL a long procedure that reports each step as a NOTICE '<notice_prefix>{json}'; returns the steps
    and hands each one to `on_progress` as it arrives (for progress bars). The procedure may COMMIT as it
    goes, so `conn` must be in autocommit mode."""
    steps: list[dict[str, Any]] = []

    def on_notice(diagnostic: psycopg.errors.Diagnostic) -> None:
        message = diagnostic.message_primary or ""
        if message.startswith(notice_prefix):
            step = json.loads(message[len(notice_prefix):])
            steps.append(step)
            if on_progress:
                on_progress(step)

    conn.add_notice_handler(on_notice)
    try:
        conn.execute(sql, params)
    finally:
        conn.remove_notice_handler(on_notice)
    return steps
