"""Tables behind the statistics, creds and file_server API modules: the file store's bookkeeping and the
users' requests (schema/postgres/65_file_store.sql), and the scheduled job that expires stored files.

New databases get the tables from revision 0001 (schema/postgres/*.sql); databases migrated before the
file existed get them here (the file is idempotent). The user secrets live in upstream's
doma_panda.secrets (revision 0001). The stored logic (procedures/postgres/statistics.sql, creds.sql,
file_server.sql) is re-created on every upgrade like all stored logic.

The scheduled job `expire_file_store` of partitions/scheduled_jobs.tsv is loaded here as well (upsert of
that one job; revision 0004 loaded the registry as it was then). Oracle: 0001 already applies the twin
schema file in the (always complete) offline script, so there is nothing to do.

Revision ID: 0006_services
Revises: 0005_tasks
Create Date: 2026-11-30
"""

from pandadb.migrations.sqlfiles import (
    apply_sql_files,
    delete_scheduled_jobs,
    dialect_directory_name,
    drop_tables,
    upsert_scheduled_jobs,
)
from pandadb.settings import SCHEMA_DIR

revision = "0006_services"
down_revision = "0005_tasks"
branch_labels = None
depends_on = None

FILE_STORE_SCHEMA_FILE = SCHEMA_DIR / "postgres" / "65_file_store.sql"
TABLES = ("doma_panda.pandadb_user_requests", "doma_panda.pandadb_file_removals", "doma_panda.pandadb_file_store")
SCHEDULED_JOBS = ("expire_file_store",)


def upgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    apply_sql_files([FILE_STORE_SCHEMA_FILE])
    upsert_scheduled_jobs(SCHEDULED_JOBS)


def downgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    delete_scheduled_jobs(SCHEDULED_JOBS)
    drop_tables(TABLES)
