"""`pandadb run`: the main job behind `make run`, in the foreground.

Embedded database up (unless PANDADB_URL is set), migrated to head, then the long-running
parts of the system until Ctrl-C.
"""

from __future__ import annotations

import signal
import threading

import click

from pandadb.cli.migrate_commands import migrate_to_head
from pandadb.db import resolve_database_url


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the API listens on.")
@click.option("--http-port", type=int, default=25080, show_default=True, help="Plain HTTP (insecure development mode).")
@click.option("--https-port", type=int, default=25443, show_default=True, help="HTTPS (development certificate).")
def run(host: str, http_port: int, https_port: int) -> None:
    """Bring the PanDA database up, migrate it, and serve the API until interrupted."""
    from services.server import start_development_servers, supervise

    url = resolve_database_url(start_embedded=True)
    click.echo(f"database: {url}")
    migrate_to_head(url)
    click.echo("schema and stored logic at head")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    servers = start_development_servers(url, host, http_port, https_port)
    click.echo(f"API: http://{host}:{http_port}/api/v1/ (insecure development mode) and "
               f"https://{host}:{https_port}/api/v1/ (development certificate); press Ctrl-C to stop")
    exit_code = supervise(servers, stop.is_set)
    click.echo("stopping (the embedded database keeps running: 'pandadb db stop' stops it)")
    if exit_code:
        raise SystemExit(f"an API server exited with code {exit_code} (port in use? see its log above)")


commands = [run]
