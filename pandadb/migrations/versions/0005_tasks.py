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

from alembic import op

from pandadb.migrations.sqlfiles import apply_sql_files, apply_sql_text, dialect_directory_name
from pandadb.scheduler import load_registry_sql, read_registry_file
from pandadb.settings import SCHEMA_DIR

revision = "0005_tasks"
down_revision = "0004_scheduler"
branch_labels = None
depends_on = None

REPLICAS_SCHEMA_FILE = SCHEMA_DIR / "postgres" / "35_replicas.sql"
# children first
REPLICA_TABLES = ("doma_panda.pandadb_file_replicas", "doma_panda.pandadb_dataset_files", "doma_panda.pandadb_files",
                  "doma_panda.pandadb_datasets")
CREATED_HERE_MARK = "[created by revision 0005_tasks]"


def _is_offline() -> bool:
    return op.get_context().as_sql


def _scalar(sql: str):
    return op.get_bind().exec_driver_sql(sql).scalar()


def upgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    created_here = not _is_offline() and _scalar("SELECT to_regclass('doma_panda.pandadb_datasets') IS NULL")
    apply_sql_files([REPLICAS_SCHEMA_FILE])
    if created_here:
        for table in REPLICA_TABLES:
            apply_sql_text(f"DO $mark$ BEGIN EXECUTE format('COMMENT ON TABLE {table} IS %L', "
                           f"obj_description('{table}'::regclass, 'pg_class') || ' {CREATED_HERE_MARK}'); END $mark$;",
                           f"mark {table} as created by 0005_tasks")
    apply_sql_text(load_registry_sql(read_registry_file()), "partitions/scheduled_jobs.tsv")


def downgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    created_here = not _is_offline() and bool(_scalar(
        "SELECT strpos(coalesce(obj_description(to_regclass('doma_panda.pandadb_datasets'), 'pg_class'), ''), "
        f"'{CREATED_HERE_MARK}') > 0"))
    if created_here:
        for table in REPLICA_TABLES:
            apply_sql_text(f"DROP TABLE IF EXISTS {table};", f"drop {table}")
