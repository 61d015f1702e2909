"""`pandadb partitions maintain|list`: partition maintenance of the policy tables (partitions/policy.tsv)."""

from __future__ import annotations

from typing import Any

import click
import psycopg
from tqdm import tqdm

from pandadb.db import connect
from pandadb.errors import ProcedureError
from pandadb.partitions import maintain_table, maintenance_tables, partition_engine, partition_report, run_maintenance


def _describe(result: dict[str, Any]) -> str:
    parts = [f"{result['parent_table']}: {result['status']}"]
    if result.get("created"):
        parts.append(f"created {', '.join(result['created'])}")
    if result.get("dropped"):
        parts.append(f"dropped {', '.join(result['dropped'])}")
    if result.get("rows_moved"):
        parts.append(f"{result['rows_moved']} rows moved out of the default partition")
    if result.get("rows_left_in_default"):
        parts.append(f"WARNING: {result['rows_left_in_default']} rows left in the default partition (past retention)")
    return "; ".join(parts)


@click.group("partitions")
def partitions_group() -> None:
    """Partition maintenance (pg_partman where installed, the same children without it)."""


@partitions_group.command("maintain")
@click.option("--table", "parent_table", help="only this schema-qualified table (MANUAL tables too)")
@click.option("--include-manual", is_flag=True, help="also the MANUAL tables of the policy")
def partitions_maintain(parent_table: str | None, include_manual: bool) -> None:
    """Create the partitions ahead, drop the expired ones, move default-partition rows into their partitions."""
    with connect(autocommit=True) as conn:
        try:
            engine = partition_engine(conn)
            if parent_table:
                click.echo(f"engine {engine}")
                click.echo(_describe(maintain_table(conn, parent_table)))
                return
            tables = maintenance_tables(conn, include_manual)
            click.echo(f"engine {engine}: maintaining {len(tables)} tables")
            with tqdm(total=len(tables), unit="table", desc="partition maintenance", disable=None) as bar:

                def table_done(result: dict[str, Any]) -> None:
                    bar.write(_describe(result))
                    bar.update(1)

                run_maintenance(conn, include_manual, table_done)
        except ProcedureError as error:
            raise click.ClickException(error.message) from error
        except psycopg.Error as error:
            raise click.ClickException(f"partition maintenance failed: {error}") from error


@partitions_group.command("list")
@click.option("--table", "parent_table", help="only this schema-qualified table")
def partitions_list(parent_table: str | None) -> None:
    """Each partitioned table, its partitions with bounds and row estimates; rows in a default partition are flagged."""
    with connect(autocommit=True) as conn:
        engine = partition_engine(conn)
        rows = partition_report(conn, parent_table)
    if parent_table and not rows:
        raise click.ClickException(f"{parent_table} is not a partitioned table of the policy")
    click.echo(f"engine {engine}")
    warnings: list[str] = []
    current = None
    for row in rows:
        if row["parent_table"] != current:
            current = row["parent_table"]
            click.echo(f"{current}  (interval {row['partition_interval']}, {row['handled']})")
        estimate = "?" if row["row_estimate"] is None else f"~{row['row_estimate']}"
        if row["is_default"]:
            line = f"  {row['child_table']:<40} DEFAULT{'':<38} {row['default_rows']} rows"
            if row["default_rows"]:
                line += "  WARNING: rows in the default partition (pandadb partitions maintain moves them)"
                warnings.append(f"{current}: {row['default_rows']} rows in {row['child_table']}")
        elif row["lower_bound"] is None:
            line = f"  {row['child_table']:<40} (list partition){'':<29} {estimate} rows"
        else:
            line = f"  {row['child_table']:<40} [{row['lower_bound']}, {row['upper_bound']})  {estimate} rows"
        click.echo(line)
    for warning in warnings:
        click.echo(f"WARNING: {warning}", err=True)


commands = [partitions_group]
