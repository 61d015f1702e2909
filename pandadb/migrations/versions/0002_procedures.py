"""The stored logic (procedures/<dialect>/*.sql): every state transition, aggregation and maintenance job.

Later upgrades re-create the stored logic from the files before their revisions run
(pandadb/migrations/env.py, refresh_stored_logic): the files are the truth.

Revision ID: 0002_procedures
Revises: 0001_schema
Create Date: 2026-11-21
"""

from alembic import op

from pandadb.migrations.sqlfiles import (
    DROP_ALL_ROUTINES_IN_PANDA_SCHEMAS,
    apply_sql_files,
    dialect_directory_name,
    procedure_files,
)

revision = "0002_procedures"
down_revision = "0001_schema"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if dialect_directory_name() == "postgres":
        # bodies are checked when called, so files may reference each other in any order
        op.execute("SET LOCAL check_function_bodies = off")
    apply_sql_files(procedure_files())


def downgrade() -> None:
    if dialect_directory_name() == "postgres":
        op.execute(DROP_ALL_ROUTINES_IN_PANDA_SCHEMAS)
