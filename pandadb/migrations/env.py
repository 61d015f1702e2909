"""Alembic environment: online against PostgreSQL (psycopg 3), offline SQL for either dialect.

The URL is taken, in order, from `-x url=...`, the config's sqlalchemy.url (set by the
pandadb CLI), PANDADB_URL, or the embedded cluster.
"""

from alembic import context
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from pandadb.db import resolve_database_url, sqlalchemy_url
from pandadb.migrations.runner import VERSION_TABLE_SCHEMA
from pandadb.migrations.sqlfiles import refresh_stored_logic

# from this revision on the database holds stored logic (procedures/postgres/*.sql)
STORED_LOGIC_REVISION = "0002_procedures"


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    return sqlalchemy_url(url or resolve_database_url())


def run_migrations_offline() -> None:
    url = database_url()
    is_postgres = url.startswith("postgresql")
    context.configure(
        url=url,
        literal_binds=True,
        version_table_schema=VERSION_TABLE_SCHEMA if is_postgres else None,
        transaction_per_migration=True,
    )
    if not is_postgres:
        # SQLAlchemy's Oracle dialect writes an INSERT into a table with a primary key as
        # `INSERT ... RETURNING version_num INTO :ret_0`, a bind variable a SQL*Plus script never
        # declares: the version rows are plain INSERT/UPDATE statements instead.
        context.get_context()._version.implicit_returning = False
    with context.begin_transaction():
        context.run_migrations()


def upgrade_of_a_database_with_stored_logic(connection) -> bool:
    """True when this run upgrades (or re-applies head to) a database that already has its stored logic."""
    script = ScriptDirectory.from_config(context.config)
    try:  # commands without a destination (current, stamp ...) have no revision argument at all
        target = context.get_revision_argument()
        if not isinstance(target, str):  # None = base (a downgrade), a tuple = several heads
            return False
        destination = script.as_revision_number(target)
    except Exception:  # relative or unknown targets: leave the stored logic to the revisions
        return False
    if not isinstance(destination, str):  # None = base (a downgrade), a tuple = several heads
        return False
    order = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    current = MigrationContext.configure(
        connection, opts={"version_table_schema": VERSION_TABLE_SCHEMA}
    ).get_current_revision()
    if current not in order or destination not in order:
        return False
    return order.index(current) >= order.index(STORED_LOGIC_REVISION) and order.index(destination) >= order.index(
        current
    )


def run_migrations_online() -> None:
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, version_table_schema=VERSION_TABLE_SCHEMA)
        with context.begin_transaction():
            if upgrade_of_a_database_with_stored_logic(connection):
                refresh_stored_logic(connection.connection.driver_connection)
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
