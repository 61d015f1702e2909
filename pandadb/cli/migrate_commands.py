"""`pandadb migrate upgrade|downgrade|current|history|sql`: Alembic on the PanDA database
(the runner is pandadb.migrations.runner)."""

from __future__ import annotations

import click
from alembic import command

from pandadb.db import resolve_database_url
from pandadb.migrations import runner


@click.group("migrate")
def migrate_group() -> None:
    """Create or change the schema and stored logic (Alembic revisions in pandadb/migrations)."""


@migrate_group.command("upgrade")
@click.argument("revision", default="head")
def migrate_upgrade(revision: str) -> None:
    """Upgrade to REVISION (default: head); starts the embedded cluster if PANDADB_URL is unset."""
    runner.upgrade(resolve_database_url(start_embedded=True), revision)
    click.echo(f"upgraded to {revision}")


@migrate_group.command("downgrade")
@click.argument("revision")
def migrate_downgrade(revision: str) -> None:
    """Downgrade to REVISION ('base' removes every doma_* object)."""
    runner.downgrade(resolve_database_url(), revision)
    click.echo(f"downgraded to {revision}")


@migrate_group.command("current")
def migrate_current() -> None:
    """Show the revision the database is at."""
    command.current(runner.alembic_config(resolve_database_url()), verbose=False)


@migrate_group.command("history")
def migrate_history() -> None:
    """List the revisions."""
    command.history(runner.alembic_config("postgresql://offline/none"))


@migrate_group.command("sql")
@click.option("--dialect", type=click.Choice(["postgres", "oracle"]), default="postgres", show_default=True)
@click.argument("revision_range", default="base:head")
def migrate_sql(dialect: str, revision_range: str) -> None:
    """Print the migration script offline (no database needed), e.g. for an Oracle DBA."""
    runner.offline_script(dialect, revision_range)


commands = [migrate_group]
