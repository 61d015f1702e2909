"""Tables behind the statistics, creds and file_server API modules (user secrets, file store records).

New databases get the tables from revision 0001 (schema/postgres/*.sql); databases migrated before those
files existed get them here (the files are idempotent).

Revision ID: 0006_services
Revises: 0005_tasks
Create Date: 2026-11-30
"""

revision = "0006_services"
down_revision = "0005_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
