"""`pandadb run`: the main job behind `make run`, in the foreground.

Embedded database up (unless PANDADB_URL is set), migrated to head, the scheduled jobs running
(registered in pg_cron where it is usable, else the built-in scheduler in this process), then the
API served until Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import click

from pandadb.db import resolve_database_url
from pandadb.migrations.runner import migrate_to_head


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the API listens on.")
@click.option("--http-port", type=int, default=25080, show_default=True, help="Plain HTTP (insecure development mode).")
@click.option("--https-port", type=int, default=25443, show_default=True, help="HTTPS (development certificate).")
@click.option(
    "--scheduler",
    "scheduler_mode",
    type=click.Choice(["auto", "pg_cron", "builtin", "off"]),
    default="auto",
    show_default=True,
    help="who runs the scheduled jobs: pg_cron when usable (auto), or `pandadb scheduler` in-process",
)
def run(host: str, http_port: int, https_port: int, scheduler_mode: str) -> None:
    """Bring the PanDA database up, migrate it, and serve the API until interrupted."""
    for port in (http_port, https_port):
        refuse_busy_port(host, port)
    url = resolve_database_url(start_embedded=True)
    click.echo(f"database: {url}")
    migrate_to_head(url)
    click.echo("schema and stored logic at head")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = start_scheduled_jobs(url, scheduler_mode)
    servers = start_development_servers(url, host, http_port, https_port)
    click.echo(
        f"API: http://{host}:{http_port}/api/v1/ (insecure development mode) and "
        f"https://{host}:{https_port}/api/v1/ (development certificate); press Ctrl-C to stop"
    )
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
    from pandadb.scheduler import CRON_CLEANUP_JOB_NAME, PgCronUnavailable, cron_install, run_scheduler_in_thread

    if mode == "off":
        click.echo("scheduled jobs: off (--scheduler off)")
        return None
    if mode in ("auto", "pg_cron"):
        try:
            report = cron_install(url)
        except PgCronUnavailable as error:
            if mode == "pg_cron":
                raise click.ClickException(str(error)) from error
            click.echo(f"scheduled jobs: pg_cron not usable ({error}); using the built-in scheduler")
        else:
            # the registry's jobs, as `pandadb cron list` shows them (not pg_cron's own log cleanup)
            total = len([name for name in report.scheduled + report.unchanged if name != CRON_CLEANUP_JOB_NAME])
            click.echo(f"scheduled jobs: {total} registered in pg_cron; 'pandadb cron list' shows their runs")
            return None
    scheduler = run_scheduler_in_thread(url)
    click.echo("scheduled jobs: built-in scheduler running in this process ('pandadb cron list' shows runs)")
    return scheduler


def refuse_busy_port(host: str, port: int) -> None:
    """One line and exit 1 when something already listens on host:port (another `pandadb run`?)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise click.ClickException(
                f"cannot listen on {host}:{port} ({error.strerror}): is another pandadb run or "
                "serve using it? Stop it, or choose other ports (--http-port/--https-port, "
                "--port)"
            ) from None


def spawn_serve(arguments: list[str], env: dict[str, str]) -> subprocess.Popen:
    """`pandadb serve <arguments>` as a child process (its own gunicorn master)."""
    return subprocess.Popen([sys.executable, "-m", "pandadb", "serve", *arguments], env=env)


def start_development_servers(
    database_url: str, host: str = "127.0.0.1", http_port: int = 25080, https_port: int = 25443
) -> list[subprocess.Popen]:
    """Plain HTTP in insecure development mode and HTTPS with the development certificate: two gunicorn
    masters (TLS applies to every address one master binds)."""
    env = {**os.environ, "PANDADB_URL": database_url}
    return [
        spawn_serve(["--host", host, "--port", str(http_port), "--insecure"], env),
        spawn_serve(["--host", host, "--port", str(https_port), "--tls"], env),
    ]


def supervise(children: list[subprocess.Popen], stop_requested: Callable[[], bool]) -> int:
    """Wait until a stop is requested or a child dies; then stop all children. Returns an exit code."""
    exit_code = 0
    while not stop_requested():
        dead = [child for child in children if child.poll() is not None]
        if dead:
            exit_code = dead[0].returncode or 1
            break
        time.sleep(0.5)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return exit_code


commands = [run]
