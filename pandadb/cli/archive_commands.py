"""`pandadb archive run|status`: copy old job partitions to doma_pandaarch, verify, drop (seed 004, 8.5)."""

from __future__ import annotations

from typing import Any

import click
import psycopg
from tqdm import tqdm

from pandadb.archive import archive_status, archive_table_counts, candidates, run_archive
from pandadb.db import connect
from pandadb.errors import ProcedureError


def _describe(step: dict[str, Any]) -> str:
    name = f"{step['table_name']}.{step['partition_name']}"
    status = step["status"]
    if status == "copied":
        return f"{name}: {step['rows_copied']} rows copied" + (
            f" ({step['rows_replaced']} earlier archive rows replaced)" if step.get("rows_replaced") else ""
        )
    if status == "dropped":
        return f"{name}: {step['rows_verified']}/{step['rows_in_partition']} rows verified, dropped" + (
            " (copied again: rows had changed)" if step.get("recopied") else ""
        )
    if status == "verify failed":
        return f"{name}: WARNING verification failed ({step['rows_verified']}/{step['rows_in_partition']} rows): kept"
    return f"{name}: {status}"


@click.group("archive")
def archive_group() -> None:
    """Archival of jobsarchived4, filestable4, metatable and jobparamstable partitions to doma_pandaarch."""


@archive_group.command("run")
@click.option(
    "--older-than",
    "older_than_days",
    type=click.IntRange(min=0),
    default=None,
    help="archive partitions whose range ended this many days ago (default: gdpconfig ARCHIVE_AFTER_DAYS, 3)",
)
def archive_run(older_than_days: int | None) -> None:
    """Archive every partition due: copy, verify, drop; one transaction per step, progress per partition.

    Exits 1 naming the partitions left when another run holds one (busy) or a verification failed."""
    with connect(autocommit=True) as conn:
        # the server stops this session's work within a second when this command is killed
        conn.execute("SET client_connection_check_interval = '1s'")
        try:
            due = candidates(conn, older_than_days)
            click.echo(f"{len(due)} partitions due for archival")
            # the bar only on a terminal: in a log its redraws would interleave with the per-partition lines
            with tqdm(total=len(due), unit="partition", desc="archive", disable=None) as bar:

                def step_done(step: dict[str, Any]) -> None:
                    bar.write(_describe(step))
                    if step["status"] in ("dropped", "verify failed", "already dropped", "busy"):
                        bar.update(1)

                steps = run_archive(conn, older_than_days, step_done)
        except ProcedureError as error:
            raise click.ClickException(error.message) from error
        except psycopg.Error as error:
            raise click.ClickException(f"archival stopped: {error} (run it again: finished steps are kept)") from error
    dropped = [s for s in steps if s["status"] == "dropped"]
    click.echo(f"archived {len(dropped)} partitions, {sum(s['rows_verified'] for s in dropped)} rows")
    done = {(s["table_name"], s["partition_name"]) for s in steps if s["status"] in ("dropped", "already dropped")}
    left = sorted(
        {
            f"{s['table_name']}.{s['partition_name']} ({s['status']})"
            for s in steps
            if s["status"] in ("busy", "verify failed") and (s["table_name"], s["partition_name"]) not in done
        }
    )
    if left:
        raise click.ClickException(
            f"{len(left)} partitions left: {', '.join(left)}; busy ones are held by another "
            "archive run (run again when it ends), failed verifications are kept for a look"
        )


@archive_group.command("status")
@click.option(
    "--estimate", is_flag=True, help="archive row counts from the planner's statistics (fast) instead of count(*)"
)
def archive_status_command(estimate: bool) -> None:
    """doma_panda.tablepart4copying with row counts, and the rows of each archive table."""
    with connect(autocommit=True) as conn:
        rows = archive_status(conn)
        counts = archive_table_counts(conn, exact=not estimate)
    click.echo(
        f"{'table':<16} {'partition':<28} {'copied':<6} {'copying_done_on':<20} {'verified':<8} "
        f"{'deleted_on':<20} {'rows copied':>12} {'rows verified':>14}"
    )
    for row in rows:
        click.echo(
            f"{row['table_name']:<16} {row['partition_name']:<28} {row['copied_to_arch']:<6} "
            f"{str(row['copying_done_on'] or ''):<20} {row['data_verif_passed'] or '':<8} "
            f"{str(row['deleted_on'] or ''):<20} {'' if row['rows_copied'] is None else row['rows_copied']:>12} "
            f"{'' if row['rows_verified'] is None else row['rows_verified']:>14}"
        )
    click.echo("archive tables:")
    for count in counts:
        click.echo(f"  {count['archive_table']:<40} {count['row_count']} rows{' (estimate)' if estimate else ''}")


commands = [archive_group]
