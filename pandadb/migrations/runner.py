"""Running the migrations: Alembic configured for a database URL, for the CLI, the benches and the tests.

    migrate_to_head(url)               upgrade to head (what `pandadb migrate upgrade` does)
    upgrade(url, "0003_partitioning")  / downgrade(url, "base") / current_revision(url)
    offline_script("oracle")           the whole script as SQL text, no database needed

The revisions (versions/) apply schema/<dialect>/*.sql and procedures/<dialect>/*.sql; env.py re-creates
the stored logic from its files on every upgrade of a database that has it.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from pandadb.db import sqlalchemy_url
from pandadb.settings import PROJECT_ROOT

ORACLE_OFFLINE_URL = "oracle+oracledb://atlas_panda@oracle-host/pandadb"
POSTGRES_OFFLINE_URL = "postgresql+psycopg://panda@offline/panda_db"
VERSION_TABLE_SCHEMA = "public"  # outside the doma_* schemas, so that 'downgrade base' can drop them whole


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "pandadb" / "migrations"))
    # '%' must be doubled for configparser
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def migrate_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def stamp(database_url: str, revision: str) -> None:
    """Record `revision` as applied without running it (a schema loaded by other means, e.g. ora2pg)."""
    command.stamp(alembic_config(database_url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("postgresql://offline/none")).get_current_head()
    assert head is not None, "the migrations have no head"
    return head


def revisions_in_order() -> list[str]:
    """Every revision, base first."""
    script = ScriptDirectory.from_config(alembic_config("postgresql://offline/none"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def current_revision(database_url: str) -> str | None:
    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table_schema": VERSION_TABLE_SCHEMA})
            return context.get_current_revision()
    finally:
        engine.dispose()


def offline_script(dialect: str, revision_range: str = "base:head") -> None:
    """Print the migration script for `dialect` (postgres or oracle) to standard output."""
    url = ORACLE_OFFLINE_URL if dialect == "oracle" else POSTGRES_OFFLINE_URL
    command.upgrade(alembic_config(url), revision_range, sql=True)
