"""Archival from Python: thin calls of procedures/postgres/archive.sql.

`run_archive` CALLs doma_panda.archive_old_partitions() exactly as the scheduler does and reports
each step (copy; verify + drop) of each partition as the procedure announces it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from pandadb.procedures import call_procedure_with_progress, rows

NOTICE_PREFIX = "pandadb archive: "


def candidates(conn: psycopg.Connection, older_than_days: int | None = None) -> list[dict[str, Any]]:
    """Partitions due for archival, oldest first, with their state ('to copy' or 'copied')."""
    return rows(conn, "archive_candidates", p_older_than_days=older_than_days)


def run_archive(
    conn: psycopg.Connection,
    older_than_days: int | None = None,
    on_step: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """CALL doma_panda.archive_old_partitions(); `conn` must be in autocommit mode (the procedure commits)."""
    return call_procedure_with_progress(
        conn, "archive_old_partitions", NOTICE_PREFIX, on_step, p_older_than_days=older_than_days
    )


def archive_status(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """doma_panda.tablepart4copying with the row counts of each archived partition."""
    return rows(conn, "archive_status")


def archive_table_counts(conn: psycopg.Connection, exact: bool = True) -> list[dict[str, Any]]:
    return rows(conn, "archive_table_counts", p_exact=exact)
