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
    with driver_connection.cursor() as cursor:
        try:
            cursor.execute(sql)
        except Exception as error:  # name the file: the DBA must know where to look
            raise RuntimeError(f"{label}: {error}") from error


def apply_sql_files(paths: list[Path]) -> None:
    for path in paths:
        apply_sql_text(path.read_text(), str(path.relative_to(SCHEMA_DIR.parent)))
