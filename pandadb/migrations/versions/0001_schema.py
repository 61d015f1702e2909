"""The PanDA schemas, sequences, tables, keys and indexes (schema/<dialect>/*.sql).

Revision ID: 0001_schema
Revises:
Create Date: 2026-11-21
"""

from alembic import op

from pandadb.migrations.sqlfiles import apply_sql_files, apply_sql_text, dialect_directory_name, schema_files

revision = "0001_schema"
down_revision = None
branch_labels = None
depends_on = None

PANDA_SCHEMAS = ("doma_panda", "doma_pandaarch", "doma_pandameta", "doma_deft")
ORACLE_SCHEMAS = ("ATLAS_PANDA", "ATLAS_PANDAARCH", "ATLAS_PANDAMETA", "ATLAS_DEFT")


def upgrade() -> None:
    apply_sql_files(schema_files())


def downgrade() -> None:
    if dialect_directory_name() == "oracle":
        # Oracle schemas are users the DBA owns; drop their objects, not the users
        for schema in ORACLE_SCHEMAS:
            apply_sql_text(
                "BEGIN\n  FOR obj IN (SELECT object_name, object_type FROM all_objects WHERE owner = '"
                + schema
                + "' AND object_type IN ('TABLE','SEQUENCE','VIEW','MATERIALIZED VIEW')) LOOP\n"
                "    EXECUTE IMMEDIATE 'DROP ' || obj.object_type || ' " + schema + ".\"' || obj.object_name || '\"'"
                " || CASE WHEN obj.object_type = 'TABLE' THEN ' CASCADE CONSTRAINTS PURGE' END;\n"
                "  END LOOP;\nEND;\n/",
                f"drop objects of {schema}",
            )
        return
    for schema in reversed(PANDA_SCHEMAS):
        op.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
