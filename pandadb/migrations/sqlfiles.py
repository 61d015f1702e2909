"""Apply the project's .sql files from a revision.

Online (PostgreSQL) each file goes to the server as one simple-protocol batch through the raw
psycopg connection, so the SQL runs exactly as written (no bind-parameter parsing).
Offline (`alembic upgrade --sql`, the Oracle script) the file text is written out as is.
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

from pandadb.settings import PROCEDURES_DIR, SCHEMA_DIR


def dialect_directory_name() -> str:
    return "oracle" if op.get_context().dialect.name == "oracle" else "postgres"


def schema_files() -> list[Path]:
    return sorted((SCHEMA_DIR / dialect_directory_name()).glob("*.sql"))


def procedure_files() -> list[Path]:
    return sorted((PROCEDURES_DIR / dialect_directory_name()).glob("*.sql"))


def apply_sql_text(sql: str, label: str) -> None:
    context = op.get_context()
    if context.as_sql:
        context.impl.static_output(f"-- {label}")
        context.impl.static_output(sql.rstrip() + "\n")
        return
    driver_connection = op.get_bind().connection.driver_connection
    assert driver_connection is not None, "online migrations run on a live DB-API connection"
    with driver_connection.cursor() as cursor:
        try:
            cursor.execute(sql)
        except Exception as error:  # name the file: the DBA must know where to look
            raise RuntimeError(f"{label}: {error}") from error


def apply_sql_files(paths: list[Path]) -> None:
    for path in paths:
        apply_sql_text(path.read_text(), str(path.relative_to(SCHEMA_DIR.parent)))


# -- what revisions after 0001 share ----------------------------------------------------------------
# New tables are in schema/postgres files (applied by 0001 to new databases) and applied again by the
# revision that introduced them to databases migrated before; such a revision marks the tables it really
# created, so that its downgrade drops those and only those.


def _scalar(sql: str):
    return op.get_bind().exec_driver_sql(sql).scalar()


def _created_mark(revision: str) -> str:
    return f"[created by revision {revision}]"


def apply_schema_file_marking_new_tables(path: Path, tables: tuple[str, ...], revision: str) -> None:
    """Apply an idempotent schema file; when its first table did not exist before, mark `tables` (comments)
    as created by `revision`."""
    created_here = not op.get_context().as_sql and _scalar(f"SELECT to_regclass('{tables[0]}') IS NULL")
    apply_sql_files([path])
    if created_here:
        for table in tables:
            apply_sql_text(
                f"DO $mark$ BEGIN EXECUTE format('COMMENT ON TABLE {table} IS %L', "
                f"obj_description('{table}'::regclass, 'pg_class') || ' {_created_mark(revision)}'); END $mark$;",
                f"mark {table} as created by {revision}",
            )


def tables_created_by(revision: str, probe_table: str) -> bool:
    """Whether `revision` created `probe_table` (apply_schema_file_marking_new_tables marked it)."""
    return not op.get_context().as_sql and bool(
        _scalar(
            f"SELECT strpos(coalesce(obj_description(to_regclass('{probe_table}'), 'pg_class'), ''), "
            f"'{_created_mark(revision)}') > 0"
        )
    )


def drop_tables(tables: tuple[str, ...]) -> None:
    for table in tables:
        apply_sql_text(f"DROP TABLE IF EXISTS {table};", f"drop {table}")


def upsert_scheduled_jobs(names: tuple[str, ...]) -> None:
    """Load these jobs of partitions/scheduled_jobs.tsv into the registry, leaving its other rows alone."""
    from pandadb.scheduler import load_registry_sql, read_registry_file

    jobs = [job for job in read_registry_file() if job["name"] in names]
    if jobs:
        apply_sql_text(load_registry_sql(jobs, remove_missing=False), "scheduled jobs " + ", ".join(names))


def delete_scheduled_jobs(names: tuple[str, ...]) -> None:
    quoted = ", ".join("'" + name.replace("'", "''") + "'" for name in names)
    apply_sql_text(f"DELETE FROM doma_panda.pandadb_scheduled_jobs WHERE name IN ({quoted});", "unload " + quoted)


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


def refresh_stored_logic(driver_connection) -> None:
    """Make the stored logic of a PostgreSQL database exactly procedures/postgres/*.sql, in the caller's
    transaction: every routine of the doma_* schemas is dropped and re-created from the files.

    The stored logic is a repeatable migration: its files are the truth, revisions only change tables and
    data. Run before pending revisions (which may call routines added since the database's last upgrade),
    so a routine renamed, re-typed or removed in the files is renamed, re-typed or removed in the database.
    Nothing depends on these routines (no triggers, views or defaults use them), so dropping is safe.
    """
    with driver_connection.cursor() as cursor:
        cursor.execute("SET LOCAL check_function_bodies = off")
        cursor.execute(DROP_ALL_ROUTINES_IN_PANDA_SCHEMAS)
        for path in sorted((PROCEDURES_DIR / "postgres").glob("*.sql")):
            try:
                cursor.execute(path.read_text())
            except Exception as error:
                raise RuntimeError(f"{path.relative_to(PROCEDURES_DIR.parent)}: {error}") from error
