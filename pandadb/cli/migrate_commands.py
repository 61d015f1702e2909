"""`pandadb migrate upgrade|downgrade|current|history|sql`: Alembic on the PanDA database."""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config

from pandadb.db import resolve_database_url, sqlalchemy_url
from pandadb.settings import PROJECT_ROOT

ORACLE_OFFLINE_URL = "oracle+oracledb://atlas_panda@oracle-host/pandadb"


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "pandadb" / "migrations"))
    # '%' must be doubled for configparser
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def migrate_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


@click.group("migrate")
def migrate_group() -> None:
    """Create or change the schema and stored logic (Alembic revisions in pandadb/migrations)."""


@migrate_group.command("upgrade")
@click.argument("revision", default="head")
def migrate_upgrade(revision: str) -> None:
    """Upgrade to REVISION (default: head); starts the embedded cluster if PANDADB_URL is unset."""
    command.upgrade(alembic_config(resolve_database_url(start_embedded=True)), revision)
    click.echo(f"upgraded to {revision}")


@migrate_group.command("downgrade")
@click.argument("revision")
def migrate_downgrade(revision: str) -> None:
    """Downgrade to REVISION ('base' removes every doma_* object)."""
    command.downgrade(alembic_config(resolve_database_url()), revision)
    click.echo(f"downgraded to {revision}")


@migrate_group.command("current")
def migrate_current() -> None:
    """Show the revision the database is at."""
    command.current(alembic_config(resolve_database_url()), verbose=False)


@migrate_group.command("history")
def migrate_history() -> None:
    """List the revisions."""
    command.history(alembic_config("postgresql://offline/none"))


@migrate_group.command("sql")
@click.option("--dialect", type=click.Choice(["postgres", "oracle"]), default="postgres", show_default=True)
@click.argument("revision_range", default="base:head")
def migrate_sql(dialect: str, revision_range: str) -> None:
    """Print the migration script offline (no database needed), e.g. for an Oracle DBA."""
    url = ORACLE_OFFLINE_URL if dialect == "oracle" else "postgresql+psycopg://panda@offline/panda_db"
    command.upgrade(alembic_config(url), revision_range, sql=True)


commands = [migrate_group]
