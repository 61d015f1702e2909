"""Partition maintenance from Python: thin calls of procedures/postgres/partitions.sql.

The work is done in the database (pg_partman where installed, the pandadb engine otherwise); these
functions run it and hand its results back, one dict per table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import dict_row

from pandadb.procedures import call_function, call_procedure_with_progress

NOTICE_PREFIX = "pandadb partitions: "


def partition_engine(conn: psycopg.Connection) -> str:
    """'pg_partman' or 'pandadb'."""
    return call_function(conn, "SELECT doma_panda.partition_engine() AS engine")["engine"]


def maintenance_tables(conn: psycopg.Connection, include_manual: bool = False) -> list[str]:
    rows = call_function(conn, "SELECT t AS parent_table FROM doma_panda.partition_maintenance_tables(%s) AS t",
                         (include_manual,), one=False)
    return [row["parent_table"] for row in rows]


def maintain_table(conn: psycopg.Connection, parent_table: str) -> dict[str, Any]:
    """One table's maintenance, one transaction (doma_panda.maintain_partitioned_table)."""
    return call_function(conn, "SELECT doma_panda.maintain_partitioned_table(%s) AS result", (parent_table,))["result"]


def run_maintenance(conn: psycopg.Connection, include_manual: bool = False,
                    on_table_done: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """CALL doma_panda.run_partition_maintenance() (one transaction per table, as the scheduler runs it);
    `on_table_done` gets each table's result as it is reported. `conn` must be in autocommit mode."""
    return call_procedure_with_progress(conn, "CALL doma_panda.run_partition_maintenance(%s)", (include_manual,),
                                        NOTICE_PREFIX, on_table_done)


def partition_report(conn: psycopg.Connection, parent_table: str | None = None) -> list[dict[str, Any]]:
    """Every child of every policy table: bounds, row estimate, exact rows of the default partition."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM doma_panda.partition_report() WHERE %(t)s::text IS NULL OR parent_table = %(t)s",
                    {"t": parent_table})
        return cur.fetchall()
