"""`pandadb cron install|uninstall|list|load` and `pandadb scheduler`: the scheduled-job registry.

pg_cron runs the registry where it is installed; `pandadb scheduler` runs the same registry
otherwise (seconds granularity, PanDA daemon semantics). See pandadb/scheduler.py.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path

import click
import psycopg
from psycopg_pool import PoolTimeout

from pandadb.db import resolve_database_url
from pandadb.errors import ProcedureError
from pandadb.scheduler import (
    DEFAULT_MAX_CONNECTIONS,
    REGISTRY_FILE,
    CronSyncReport,
    PgCronUnavailable,
    RegistryFileError,
    Scheduler,
    cron_install,
    cron_listing,
    cron_uninstall,
    default_host_id,
    load_registry,
    read_registry_file,
)

# exit status when pg_cron cannot be used, so that scripts can fall back to `pandadb scheduler`
EXIT_PG_CRON_UNAVAILABLE = 3


def _fail(message: str, status: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def _print_sync_report(report: CronSyncReport, verb: str) -> None:
    for name in report.scheduled:
        click.echo(f"  scheduled    {name}")
    for name in report.unscheduled:
        click.echo(f"  unscheduled  {name}")
    click.echo(
        f"{verb}: {len(report.scheduled)} scheduled, {len(report.unscheduled)} removed, "
        f"{len(report.unchanged)} unchanged"
    )


@click.group("cron")
def cron_group() -> None:
    """Run the scheduled-job registry with pg_cron (where pg_cron is not available: `pandadb scheduler`)."""


@cron_group.command("install")
def cron_install_command() -> None:
    """Register every enabled registry job in pg_cron (re-runnable; removes our entries no longer in the registry).

    Entries are named pandadb:<database>:<job> and run in this database; a daily cleanup of
    cron.job_run_details is registered too. Exit status 3 when pg_cron cannot be used.
    """
    try:
        report = cron_install(resolve_database_url())
    except PgCronUnavailable as error:
        _fail(str(error), EXIT_PG_CRON_UNAVAILABLE)
    except ProcedureError as error:
        _fail(error.message)
    except ValueError as error:
        _fail(str(error))
    _print_sync_report(report, "pg_cron")


@cron_group.command("uninstall")
def cron_uninstall_command() -> None:
    """Remove this database's pandadb entries from pg_cron (and the cleanup entry once no database uses it)."""
    try:
        report = cron_uninstall(resolve_database_url())
    except PgCronUnavailable as error:
        _fail(str(error), EXIT_PG_CRON_UNAVAILABLE)
    _print_sync_report(report, "pg_cron")


def _format_seconds(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f}s"


@cron_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def cron_list_command(as_json: bool) -> None:
    """Show every registry job: schedule, pg_cron entry, last run (pg_cron's or the scheduler's), status, error."""
    try:
        listing, note = cron_listing(resolve_database_url())
    except ProcedureError as error:
        _fail(error.message)
    if as_json:
        click.echo(json.dumps({"jobs": [line.as_json() for line in listing], "pg_cron": note or "available"}, indent=1))
        return
    header = (
        "name",
        "schedule",
        "enabled",
        "exclusive",
        "pg_cron",
        "last run (UTC)",
        "by",
        "duration",
        "status",
        "error",
    )
    rows = [header]
    for line in listing:
        last_error = " ".join((line.last_error or "").split())
        rows.append(
            (
                line.name,
                line.schedule,
                "yes" if line.enabled else "no",
                "yes" if line.exclusive else "no",
                line.cron_schedule or "not installed",
                line.last_started.isoformat(sep=" ", timespec="seconds") if line.last_started else "-",
                line.last_by or "-",
                _format_seconds(line.last_duration_seconds),
                line.last_status or "-",
                (last_error[:77] + "...") if len(last_error) > 80 else (last_error or "-"),
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        click.echo(
            "  ".join(str(value).ljust(width) for value, width in zip(row, widths, strict=False)) + "  " + str(row[-1])
        )
    if note:
        click.echo(f"pg_cron: {note}")


@cron_group.command("load")
@click.argument("registry_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=REGISTRY_FILE)
@click.option("--keep-missing", is_flag=True, help="Keep registry jobs that the file does not list.")
def cron_load_command(registry_file: Path, keep_missing: bool) -> None:
    """Load REGISTRY_FILE (default partitions/scheduled_jobs.tsv) into the registry table; then `cron install` again."""
    try:
        jobs = read_registry_file(registry_file)
        with psycopg.connect(resolve_database_url()) as conn:
            summary = load_registry(conn, jobs, remove_missing=not keep_missing)
    except RegistryFileError as error:
        _fail(str(error))
    except ProcedureError as error:
        _fail(f"{registry_file}: {error.message} (the registry is unchanged)")
    click.echo(f"registry loaded from {registry_file}: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.items())))


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run each selected job once now, then exit (status 1 if any failed).")
@click.option("--jobs", "job_names", default=None, metavar="NAME,...", help="Only these registry jobs.")
@click.option(
    "--host-id",
    default=None,
    help="This scheduler's host id (default: the host name). Exclusive jobs "
    "run on one host at a time; other jobs never overlap on one host id.",
)
@click.option(
    "--max-connections",
    default=DEFAULT_MAX_CONNECTIONS,
    show_default=True,
    help="Size of the connection pool, i.e. how many jobs may run at the same time.",
)
@click.option(
    "--shutdown-grace",
    default=30.0,
    show_default=True,
    help="Seconds to let running jobs finish on SIGINT/SIGTERM before cancelling them.",
)
@click.option("-v", "--verbose", is_flag=True, help="Also log skipped attempts (busy elsewhere, not due).")
def scheduler_command(
    once: bool, job_names: str | None, host_id: str | None, max_connections: int, shutdown_grace: float, verbose: bool
) -> None:
    """Run the scheduled-job registry where pg_cron is absent (PanDA daemon semantics, seconds granularity).

    A job never overlaps itself; an exclusive job runs on one host at a time across every scheduler
    of the database and its period counts across hosts. Each run is logged in
    doma_panda.pandadb_scheduler_runs (see `pandadb cron list`). Stops cleanly on SIGINT/SIGTERM.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stdout,
    )
    logging.getLogger("psycopg.pool").setLevel(logging.WARNING)
    names = [name.strip() for name in job_names.split(",") if name.strip()] if job_names else None
    scheduler = Scheduler(
        resolve_database_url(),
        host_id=host_id or default_host_id(),
        job_names=names,
        max_connections=max_connections,
        shutdown_grace_seconds=shutdown_grace,
    )
    try:
        if once:
            results = scheduler.run_once()
            for result in results:
                if result.outcome in ("busy", "disabled"):
                    click.echo(
                        f"{result.job_name}: skipped ({'running on another scheduler' if result.outcome == 'busy' else 'disabled'})"
                    )
            failed = [result for result in results if result.outcome in ("failed", "error")]
            click.echo(f"{len(results)} jobs, {len(failed)} failed")
            sys.exit(1 if failed else 0)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: scheduler.stop())
        scheduler.run()
    except ProcedureError as error:
        _fail(error.message)
    except PoolTimeout as error:
        _fail(f"cannot connect to the database: {error}")


commands = [cron_group, scheduler_command]
