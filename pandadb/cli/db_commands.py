"""`pandadb db start|stop|status|url|psql`: the embedded PostgreSQL cluster."""

from __future__ import annotations

import os
import shutil

import click

from pandadb.cluster import EmbeddedCluster
from pandadb.db import resolve_database_url
from pandadb.settings import load_settings


@click.group("db")
def db_group() -> None:
    """Manage the embedded PostgreSQL cluster under PANDADB_HOME (default ./.pandadb)."""


@db_group.command("start")
def db_start() -> None:
    """Create (first time) and start the embedded cluster; does nothing if it is running."""
    cluster = EmbeddedCluster(load_settings())
    was_running = cluster.is_running()
    url = cluster.start()
    click.echo(f"{'already running' if was_running else 'started'}: {url}")


@db_group.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster (data is kept)."""
    cluster = EmbeddedCluster(load_settings())
    click.echo("stopped" if cluster.stop() else "not running")


@db_group.command("status")
def db_status() -> None:
    """Say whether the embedded cluster runs, where, and which URL commands use."""
    settings = load_settings()
    cluster = EmbeddedCluster(settings)
    if settings.database_url:
        click.echo(f"PANDADB_URL is set: commands use {settings.database_url}")
    if not cluster.is_initialised:
        click.echo(f"embedded cluster: not created under {settings.home} (run 'pandadb db start')")
        raise SystemExit(3)
    state = "running" if cluster.is_running() else "stopped"
    click.echo(
        f"embedded cluster: {state}\n  data: {cluster.data_dir}\n  log:  {cluster.log_file}\n  url:  {cluster.url()}"
    )
    if state != "running":
        raise SystemExit(3)


@db_group.command("url")
def db_url() -> None:
    """Print the database URL every other command uses (PANDADB_URL overrides the embedded cluster)."""
    click.echo(resolve_database_url())


@db_group.command("psql", context_settings={"ignore_unknown_options": True})
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
def db_psql(psql_args: tuple[str, ...]) -> None:
    """Open psql on the database (extra arguments go to psql)."""
    psql = shutil.which("psql") or str(load_settings().pg_bin / "psql")
    os.execvp(psql, [psql, resolve_database_url(), *psql_args])


commands = [db_group]
