"""The scheduled-job registry: partitions/scheduled_jobs.tsv loaded into doma_panda.pandadb_scheduled_jobs.

New databases get the registry and run-log tables from revision 0001 (schema/postgres/97_scheduler.sql)
and the stored logic from 0002 (procedures/postgres/scheduler.sql); databases migrated before those
files existed get them here. Both files are idempotent. Then the registry file is loaded (upsert,
jobs no longer listed are deleted). PostgreSQL only: pg_cron and `pandadb scheduler` run against
PostgreSQL, so the Oracle script has nothing to do here.

Downgrade deletes the registry rows this revision loaded, and drops the tables (and the scheduler
routines) when this revision created them.

Revision ID: 0004_scheduler
Revises: 0003_partitioning
Create Date: 2026-11-21
"""

import re

from pandadb.migrations.sqlfiles import (
    apply_schema_file_marking_new_tables,
    apply_sql_files,
    apply_sql_text,
    dialect_directory_name,
    drop_tables,
    tables_created_by,
)
from pandadb.scheduler import load_registry_sql, read_registry_file
from pandadb.settings import PROCEDURES_DIR, SCHEMA_DIR

revision = "0004_scheduler"
down_revision = "0003_partitioning"
branch_labels = None
depends_on = None

SCHEDULER_SCHEMA_FILE = SCHEMA_DIR / "postgres" / "97_scheduler.sql"
SCHEDULER_PROCEDURES_FILE = PROCEDURES_DIR / "postgres" / "scheduler.sql"
SCHEDULER_TABLES = ("doma_panda.pandadb_scheduler_runs", "doma_panda.pandadb_scheduled_jobs")


def upgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    apply_schema_file_marking_new_tables(SCHEDULER_SCHEMA_FILE, SCHEDULER_TABLES, revision)
    # bodies are checked when called (as in revision 0002)
    apply_sql_text("SET LOCAL check_function_bodies = off;", "check bodies when called")
    apply_sql_files([SCHEDULER_PROCEDURES_FILE])
    apply_sql_text(load_registry_sql(read_registry_file()), "partitions/scheduled_jobs.tsv")
    # the gdpconfig default purge_scheduler_runs() reads (scheduler/RUNS_KEEP_DAYS) is in
    # schema/<dialect>/99_registration_defaults.sql with the other defaults


def _scheduler_routines() -> list[str]:
    return re.findall(r"CREATE OR REPLACE FUNCTION (doma_panda\.\w+)\(", SCHEDULER_PROCEDURES_FILE.read_text())


def downgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    if tables_created_by(revision, "doma_panda.pandadb_scheduled_jobs"):
        drop_tables(SCHEDULER_TABLES)
        for routine in _scheduler_routines():
            apply_sql_text(f"DROP FUNCTION IF EXISTS {routine};", f"drop {routine}")
        return
    names = ", ".join("'" + job["name"].replace("'", "''") + "'" for job in read_registry_file())
    apply_sql_text(f"DELETE FROM doma_panda.pandadb_scheduled_jobs WHERE name IN ({names});", "unload the registry")
