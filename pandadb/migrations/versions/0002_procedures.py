"""The stored logic (procedures/<dialect>/*.sql): every state transition, aggregation and maintenance job.

Files are CREATE OR REPLACE, so a later revision that changes a procedure re-applies its file.

Revision ID: 0002_procedures
Revises: 0001_schema
Create Date: 2026-11-21
"""

from alembic import op

from pandadb.migrations.sqlfiles import apply_sql_files, dialect_directory_name, procedure_files

revision = "0002_procedures"
down_revision = "0001_schema"
branch_labels = None
depends_on = None

DROP_ALL_ROUTINES_IN_PANDA_SCHEMAS = """
DO $drop$
DECLARE routine record;
BEGIN
    FOR routine IN
        SELECT p.oid::regprocedure AS signature, p.prokind
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('doma_panda', 'doma_pandaarch', 'doma_pandameta', 'doma_deft')
    LOOP
        EXECUTE format('DROP %s IF EXISTS %s CASCADE',
                       CASE routine.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
                       routine.signature);
    END LOOP;
END
$drop$;
"""


def upgrade() -> None:
    if dialect_directory_name() == "postgres":
        # bodies are checked when called, so files may reference each other in any order
        op.execute("SET LOCAL check_function_bodies = off")
    apply_sql_files(procedure_files())


def downgrade() -> None:
    if dialect_directory_name() == "postgres":
        op.execute(DROP_ALL_ROUTINES_IN_PANDA_SCHEMAS)
