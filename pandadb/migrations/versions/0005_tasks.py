"""The task engine's tables (JEDI in the database): the replica catalogue and what the task steps need
beyond the upstream JEDI tables of revision 0001.

New databases get the tables from revision 0001 (schema/postgres/35_replicas.sql); databases migrated
before that file existed get them here (the file is idempotent). The task routines themselves
(procedures/postgres/task_*.sql, replicas.sql) are stored logic, re-created on every upgrade. Then the
scheduled-job registry is reloaded, so that the task steps of partitions/scheduled_jobs.tsv
(refine_tasks, feed_task_contents) are registered. PostgreSQL only: the Oracle twin comes with the
Oracle issue.

Downgrade drops the catalogue tables when this revision created them.

Revision ID: 0005_tasks
Revises: 0004_scheduler
Create Date: 2026-11-30
"""

from pandadb.migrations.sqlfiles import (
    apply_schema_file_marking_new_tables,
    apply_sql_text,
    dialect_directory_name,
    drop_tables,
    tables_created_by,
)
from pandadb.scheduler import load_registry_sql, read_registry_file
from pandadb.settings import SCHEMA_DIR

revision = "0005_tasks"
down_revision = "0004_scheduler"
branch_labels = None
depends_on = None

REPLICAS_SCHEMA_FILE = SCHEMA_DIR / "postgres" / "35_replicas.sql"
# children first
REPLICA_TABLES = (
    "doma_panda.pandadb_file_replicas",
    "doma_panda.pandadb_dataset_files",
    "doma_panda.pandadb_files",
    "doma_panda.pandadb_datasets",
)


def upgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    apply_schema_file_marking_new_tables(REPLICAS_SCHEMA_FILE, REPLICA_TABLES, revision)
    apply_sql_text(load_registry_sql(read_registry_file()), "partitions/scheduled_jobs.tsv")


def downgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    if tables_created_by(revision, "doma_panda.pandadb_datasets"):
        drop_tables(REPLICA_TABLES)
