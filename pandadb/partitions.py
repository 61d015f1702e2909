"""Partition maintenance from Python: thin calls of procedures/postgres/partitions.sql.

The work is done in the database (pg_partman where installed, the pandadb engine otherwise); these
functions run it and hand its results back, one dict per table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from pandadb.procedures import call, call_procedure_with_progress, rows

NOTICE_PREFIX = "pandadb partitions: "


def partition_engine(conn: psycopg.Connection) -> str:
    """'pg_partman' or 'pandadb'."""
    return call(conn, "partition_engine")


def maintenance_tables(conn: psycopg.Connection, include_manual: bool = False) -> list[str]:
    return [
        row["partition_maintenance_tables"]
        for row in rows(conn, "partition_maintenance_tables", p_include_manual=include_manual)
    ]


def maintain_table(conn: psycopg.Connection, parent_table: str) -> dict[str, Any]:
    """One table's maintenance, one transaction (doma_panda.maintain_partitioned_table)."""
    return call(conn, "maintain_partitioned_table", p_parent_table=parent_table)


def run_maintenance(
    conn: psycopg.Connection,
    include_manual: bool = False,
    on_table_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """CALL doma_panda.run_partition_maintenance() (one transaction per table, as the scheduler runs it);
    `on_table_done` gets each table's result as it is reported. `conn` must be in autocommit mode."""
    return call_procedure_with_progress(
        conn, "run_partition_maintenance", NOTICE_PREFIX, on_table_done, p_include_manual=include_manual
    )


def partition_report(conn: psycopg.Connection, parent_table: str | None = None) -> list[dict[str, Any]]:
    """Every child of every policy table: bounds, row estimate, exact rows of the default partition."""
    report = rows(conn, "partition_report")
    return [row for row in report if parent_table is None or row["parent_table"] == parent_table]
