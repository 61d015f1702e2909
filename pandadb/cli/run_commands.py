"""`pandadb run`: the main job behind `make run`, in the foreground.

Embedded database up (unless PANDADB_URL is set), migrated to head, the scheduled jobs running
(registered in pg_cron where it is usable, else the built-in scheduler in this process), then the
API served until Ctrl-C.
"""

from __future__ import annotations

import signal
import threading

import click

from pandadb.migrations.runner import migrate_to_head
from pandadb.db import resolve_database_url


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the API listens on.")
@click.option("--http-port", type=int, default=25080, show_default=True, help="Plain HTTP (insecure development mode).")
@click.option("--https-port", type=int, default=25443, show_default=True, help="HTTPS (development certificate).")
@click.option("--scheduler", "scheduler_mode", type=click.Choice(["auto", "pg_cron", "builtin", "off"]), default="auto",
              show_default=True, help="who runs the scheduled jobs: pg_cron when usable (auto), or `pandadb scheduler` in-process")
def run(host: str, http_port: int, https_port: int, scheduler_mode: str) -> None:
    """Bring the PanDA database up, migrate it, and serve the API until interrupted."""
    from services.server import start_development_servers, supervise

    url = resolve_database_url(start_embedded=True)
    click.echo(f"database: {url}")
    migrate_to_head(url)
    click.echo("schema and stored logic at head")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = start_scheduled_jobs(url, scheduler_mode)
    servers = start_development_servers(url, host, http_port, https_port)
    click.echo(f"API: http://{host}:{http_port}/api/v1/ (insecure development mode) and "
               f"https://{host}:{https_port}/api/v1/ (development certificate); press Ctrl-C to stop")
    exit_code = supervise(servers, stop.is_set)
    if scheduler is not None:
        scheduler[0].stop()
        scheduler[1].join(timeout=60)
    click.echo("stopping (the embedded database keeps running: 'pandadb db stop' stops it)")
    if exit_code:
        raise SystemExit(f"an API server exited with code {exit_code} (port in use? see its log above)")


def start_scheduled_jobs(url: str, mode: str):
    """Register the scheduled-job registry in pg_cron, or start the built-in scheduler; returns
    (scheduler, thread) for the built-in one, None otherwise."""
    from pandadb.scheduler import PgCronUnavailable, cron_install, run_scheduler_in_thread

    if mode == "off":
        click.echo("scheduled jobs: off (--scheduler off)")
        return None
    if mode in ("auto", "pg_cron"):
        try:
            report = cron_install(url)
        except PgCronUnavailable as error:
            if mode == "pg_cron":
                raise click.ClickException(str(error))
            click.echo(f"scheduled jobs: pg_cron not usable ({error}); using the built-in scheduler")
        else:
            total = len(report.scheduled) + len(report.unchanged)
            click.echo(f"scheduled jobs: {total} registered in pg_cron; 'pandadb cron list' shows their runs")
            return None
    scheduler = run_scheduler_in_thread(url)
    click.echo("scheduled jobs: built-in scheduler running in this process ('pandadb cron list' shows runs)")
    return scheduler


commands = [run]
