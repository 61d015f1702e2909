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
def run() -> None:
    """Bring the PanDA database up, migrate it, and keep it serving until interrupted."""
    url = resolve_database_url(start_embedded=True)
    click.echo(f"database: {url}")
    migrate_to_head(url)
    click.echo("schema and stored logic at head; press Ctrl-C to stop")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    click.echo("stopping (the embedded database keeps running: 'pandadb db stop' stops it)")


commands = [run]
