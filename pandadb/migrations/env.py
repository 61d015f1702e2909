"""Alembic environment: online against PostgreSQL (psycopg 3), offline SQL for either dialect.

The URL is taken, in order, from `-x url=...`, the config's sqlalchemy.url (set by the
pandadb CLI), PANDADB_URL, or the embedded cluster.
"""

from alembic import context
from sqlalchemy import create_engine, pool

from pandadb.db import resolve_database_url, sqlalchemy_url

# the version table stays outside the doma_* schemas so that 'downgrade base' can drop them whole
VERSION_TABLE_SCHEMA = "public"


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
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, version_table_schema=VERSION_TABLE_SCHEMA)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
