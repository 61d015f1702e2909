"""Data copy: every table of the four PanDA schemas from a source database into PostgreSQL.

The source is any DB-API 2 connection: python-oracledb for the Oracle PanDA database (what
`pandadb ora2pg copy --oracle-dsn ...` uses; there is no Oracle server on this project's machines, so
that path runs only where one is reachable), or psycopg for a PostgreSQL database shaped like it (what
the tests use, and a way to rehearse a migration). Everything Oracle-specific is in SourceAdapter
(ORACLE_SOURCE): schema names (ATLAS_X), upper-case identifiers, LOB reading, ROWID columns,
sequence values.

For each table, in foreign-key order (referenced tables first):
- the source rows are read in cursor.arraysize batches and written with COPY ... FROM STDIN into the
  PostgreSQL table (the parent of a partitioned table: PostgreSQL routes the rows);
- a table is copied in one transaction that also records it in ora2pg_copy.copy_state, so a run that
  stops is resumed at the table it was in (its partial copy was rolled back) and the tables already
  copied are skipped, not copied twice;
- a target table that already holds rows (a migrated database holds the registration defaults)
  gets the source rows through a staging table: rows whose primary key is already there must be
  identical, otherwise the copy stops with CopyConflict naming the table and keys; a table without a
  primary key must be empty;
- verification: source and target row counts, and with checksum=True an order-independent checksum of
  the primary keys on both sides.
Afterwards every sequence is set past the ids it hands out (max(id)+1 over the columns it feeds, and
not below the source sequence's own next value), and so is every identity column's sequence.
"""

from __future__ import annotations

import decimal
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ora2pg.oracle_ddl import DEFAULT_INPUT_DIR, POSTGRES_SCHEMAS, POSTGRES_TO_ORACLE_SCHEMA, read_oracle_ddl

STATE_SCHEMA = "ora2pg_copy"
STATE_TABLE = f"{STATE_SCHEMA}.copy_state"
DEFAULT_BATCH_SIZE = 5000

# The columns each sequence numbers (PanDA's naming: <table>_<column>_seq, and ids that move from
# table to table with their row: a PandaID lives in one of the four job tables or in the archive).
# After the copy each sequence restarts at max(column)+1 over these.
SEQUENCE_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "doma_panda.jobsdefined4_pandaid_seq": [
        ("doma_panda.jobsdefined4", "pandaid"),
        ("doma_panda.jobswaiting4", "pandaid"),
        ("doma_panda.jobsactive4", "pandaid"),
        ("doma_panda.jobsarchived4", "pandaid"),
        ("doma_pandaarch.jobsarchived", "pandaid"),
    ],
    "doma_panda.group_jobid_seq": [
        ("doma_panda.jobsdefined4", "jobsetid"),
        ("doma_panda.jobswaiting4", "jobsetid"),
        ("doma_panda.jobsactive4", "jobsetid"),
        ("doma_panda.jobsarchived4", "jobsetid"),
    ],
    "doma_panda.filestable4_row_id_seq": [
        ("doma_panda.filestable4", "row_id"),
        ("doma_pandaarch.filestable_arch", "row_id"),
    ],
    "doma_panda.error_descriptions_id_seq": [("doma_panda.error_descriptions", "id")],
    "doma_panda.harvester_command_id_seq": [("doma_panda.harvester_commands", "command_id")],
    "doma_panda.jedi_data_carousel_request_id_seq": [("doma_panda.data_carousel_requests", "request_id")],
    "doma_panda.jedi_dataset_cont_fileid_seq": [("doma_panda.jedi_dataset_contents", "fileid")],
    "doma_panda.jedi_datasets_id_seq": [("doma_panda.jedi_datasets", "datasetid")],
    "doma_panda.jedi_output_template_id_seq": [("doma_panda.jedi_output_template", "outtempid")],
    "doma_panda.jedi_work_queue_id_seq": [("doma_panda.jedi_work_queue", "queue_id")],
    "doma_panda.retryactions_id_seq": [("doma_panda.retryactions", "retryaction_id")],
    "doma_panda.retryerrors_id_seq": [("doma_panda.retryerrors", "retryerror_id")],
    "doma_panda.workflow_data_id_seq": [("doma_panda.workflow_data", "data_id")],
    "doma_panda.workflow_id_seq": [("doma_panda.workflows", "workflow_id")],
    "doma_panda.workflow_step_id_seq": [("doma_panda.workflow_steps", "step_id")],
    "doma_pandameta.proxykey_id_seq": [("doma_pandameta.proxykey", "id")],
    "doma_pandameta.users_id_seq": [("doma_pandameta.users", "id")],
    "doma_deft.prodsys2_task_id_seq": [("doma_deft.t_task", "taskid"), ("doma_panda.jedi_tasks", "jeditaskid")],
    # subcounter_subid_seq numbers sub-dataset names, not a column: it keeps the source's value
}


class CopyError(RuntimeError):
    """The copy cannot go on; the message names the table."""


class CopyConflict(CopyError):
    """The target table already holds rows that differ from the source's."""


# --------------------------------------------------------------------------------------------
# The source side: a DB-API connection and how to address it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceAdapter:
    """How to read the PanDA tables from a source connection (all the dialect-specific parts)."""

    name: str
    table_name: Callable[[str], str]  # "doma_panda.jobsactive4" -> the source's qualified name
    column_expression: Callable[[str, str], str]  # (PostgreSQL column name, PostgreSQL type) -> select item
    read_value: Callable[[Any], Any]  # a fetched value -> what COPY gets
    prepare_connection: Callable[[Any], None]  # once per source connection
    sequence_next_value: Callable[[Any, str], int | None]  # next value the source sequence would give
    open_cursor: Callable[[Any], Any] = lambda conn: conn.cursor()  # a cursor that streams a big result


def _identity(value: Any) -> Any:
    return value


# PostgreSQL source (tests, rehearsals): same names, json/jsonb read as text so COPY gets the text.


def postgres_prepare_connection(conn: Any) -> None:
    from psycopg.types.string import TextLoader

    for type_name in ("json", "jsonb"):
        conn.adapters.register_loader(type_name, TextLoader)


def postgres_sequence_next_value(conn: Any, sequence: str) -> int | None:
    with conn.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [sequence])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {sequence}")
        return int(cursor.fetchone()[0])


def postgres_open_cursor(conn: Any) -> Any:
    """A server-side cursor (WITH HOLD: works in autocommit too), so fetchmany streams."""
    return conn.cursor(name=f"ora2pg_copy_{os.getpid()}", withhold=True)


POSTGRES_SOURCE = SourceAdapter(
    name="postgresql",
    table_name=lambda table: table,
    column_expression=lambda column, type_: '"' + column.replace('"', '""') + '"',
    read_value=_identity,
    prepare_connection=postgres_prepare_connection,
    sequence_next_value=postgres_sequence_next_value,
    open_cursor=postgres_open_cursor,
)


# Oracle source (python-oracledb): ATLAS_X.TABLE, upper-case identifiers (quoted: some are reserved
# words such as "TYPE"), CLOB/BLOB read as str/bytes, NUMBER with a scale as Decimal (no float
# rounding), NUMBER(1) booleans arrive as 0/1 (PostgreSQL's boolean input takes '0'/'1').


def oracle_table_name(table: str) -> str:
    schema, name = table.split(".", 1)
    return f'{POSTGRES_TO_ORACLE_SCHEMA[schema]}."{name.upper()}"'


def oracle_column_expression(column: str, pg_type: str) -> str:
    # A ROWID (the error-log tables' ORA_ERR_ROWID$, an oid column in PostgreSQL) means nothing outside
    # Oracle and is no oid: it is copied as NULL.
    if pg_type == "oid":
        return f'NULL AS "{column.upper()}"'
    return f'"{column.upper()}"'


def oracle_read_value(value: Any) -> Any:
    """LOB locators (when the output type handler did not apply) are read whole."""
    if hasattr(value, "read") and callable(value.read):
        return value.read()
    return value


def oracle_prepare_connection(conn: Any) -> None:
    import oracledb

    def output_type_handler(cursor, metadata):
        if metadata.type_code is oracledb.DB_TYPE_CLOB or metadata.type_code is oracledb.DB_TYPE_NCLOB:
            return cursor.var(oracledb.DB_TYPE_LONG, arraysize=cursor.arraysize)
        if metadata.type_code is oracledb.DB_TYPE_BLOB:
            return cursor.var(oracledb.DB_TYPE_LONG_RAW, arraysize=cursor.arraysize)
        if metadata.type_code is oracledb.DB_TYPE_NUMBER and (metadata.scale or 0) > 0:
            return cursor.var(decimal.Decimal, arraysize=cursor.arraysize)
        return None

    conn.outputtypehandler = output_type_handler


def oracle_sequence_next_value(conn: Any, sequence: str) -> int | None:
    schema, name = sequence.split(".", 1)
    cursor = conn.cursor()
    try:
        # LAST_NUMBER: the next number not yet handed to any session's cache
        cursor.execute(
            "SELECT LAST_NUMBER FROM ALL_SEQUENCES WHERE SEQUENCE_OWNER = :1 AND SEQUENCE_NAME = :2",
            [POSTGRES_TO_ORACLE_SCHEMA[schema], name.upper()],
        )
        row = cursor.fetchone()
        return int(row[0]) if row else None
    finally:
        cursor.close()


ORACLE_SOURCE = SourceAdapter(
    name="oracle",
    table_name=oracle_table_name,
    column_expression=oracle_column_expression,
    read_value=oracle_read_value,
    prepare_connection=oracle_prepare_connection,
    sequence_next_value=oracle_sequence_next_value,
)


def oracle_connect_arguments(dsn: str) -> str:
    """python-oracledb's DSN from ora2pg's (dbi:Oracle:host=h;port=p;service_name=s, dbi:Oracle:TNSNAME)
    or an Easy Connect string (host:port/service)."""
    if not dsn.lower().startswith("dbi:oracle:"):
        return dsn
    rest = dsn.split(":", 2)[2]
    if "=" not in rest:
        return rest  # a TNS alias or Easy Connect string
    parts = dict(item.split("=", 1) for item in rest.split(";") if "=" in item)
    host, port = parts.get("host", "localhost"), parts.get("port", "1521")
    service = parts.get("service_name") or parts.get("sid") or ""
    return f"{host}:{port}/{service}"


def connect_oracle(dsn: str, user: str, password: str | None = None) -> Any:
    """A python-oracledb connection (thin mode: no Oracle client libraries needed). Password from
    ORA2PG_PASSWD, as for ora2pg. Needs an Oracle server, which this project's machines do not have."""
    import oracledb

    password = password if password is not None else os.environ.get("ORA2PG_PASSWD")
    if not password:
        raise CopyError("set ORA2PG_PASSWD to the Oracle password")
    return oracledb.connect(user=user, password=password, dsn=oracle_connect_arguments(dsn))


# --------------------------------------------------------------------------------------------
# The target side: catalog, order, state
# --------------------------------------------------------------------------------------------


@dataclass
class TargetTable:
    name: str  # doma_x.table
    columns: list[tuple[str, str]]  # (name, type) in order
    primary_key: list[str]
    identity_columns: list[str]

    @property
    def ident(self) -> sql.Composable:
        schema, table = self.name.split(".", 1)
        return sql.Identifier(schema, table)


def target_tables(conn: psycopg.Connection, names: Iterable[str]) -> dict[str, TargetTable]:
    """The target tables (not partitions) among names, with their columns and primary keys."""
    rows = conn.execute(
        """
        SELECT n.nspname || '.' || c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attidentity,
               coalesce(a.attnum = ANY (k.conkey), false), array_position(k.conkey, a.attnum)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attgenerated = ''
          AND n.nspname || '.' || c.relname = ANY(%s)
        ORDER BY 1, a.attnum""",
        [list(names)],
    ).fetchall()
    tables: dict[str, TargetTable] = {}
    keys: dict[str, list[tuple[int, str]]] = {}
    for table, column, type_, identity, in_key, key_position in rows:
        entry = tables.setdefault(table, TargetTable(table, [], [], []))
        entry.columns.append((column, type_))
        if identity:
            entry.identity_columns.append(column)
        if in_key:
            keys.setdefault(table, []).append((key_position, column))
    for table, key in keys.items():
        tables[table].primary_key = [column for _, column in sorted(key)]
    return tables


def foreign_key_order(conn: psycopg.Connection, names: Sequence[str]) -> list[str]:
    """names with every referenced table before the tables referencing it (stable otherwise)."""
    edges = conn.execute("""
        SELECT cn.nspname || '.' || c.relname, rn.nspname || '.' || r.relname
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
        JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
        WHERE k.contype = 'f' AND NOT c.relispartition""").fetchall()
    wanted = set(names)
    depends: dict[str, set[str]] = {name: set() for name in names}
    for table, referenced in edges:
        if table in wanted and referenced in wanted and referenced != table:
            depends[table].add(referenced)
    ordered: list[str] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise CopyError(f"foreign keys form a cycle through {name}")
        visiting.add(name)
        for referenced in sorted(depends[name]):
            visit(referenced)
        visiting.discard(name)
        done.add(name)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def default_tables(input_dir: Path = DEFAULT_INPUT_DIR) -> list[str]:
    """The tables that exist on both sides: those of the Oracle DDL (schema/oracle), by PostgreSQL
    name. Materialized views are not copied (they are refreshed); PostgreSQL-only tables (partition
    policy, part_config...) have no source."""
    oracle = read_oracle_ddl(input_dir)
    return [oracle.pg_name(s) for s in oracle.statements if s.kind == "table"]


STATE_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {STATE_SCHEMA};
CREATE TABLE IF NOT EXISTS {STATE_TABLE} (
    table_name text PRIMARY KEY,
    source_rows bigint NOT NULL,
    copied_rows bigint NOT NULL,
    preexisting_rows bigint NOT NULL,
    pk_checksum text,
    copied_on timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE {STATE_TABLE} IS
    'pandadb ora2pg copy: the tables already copied (a table is copied and recorded in one transaction)';
"""


# --------------------------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------------------------


def normalize(value: Any) -> Any:
    """One spelling for a key value whatever the driver: Decimal 7 and int 7, datetime, str."""
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return value


def key_checksum(rows: Iterable[Sequence[Any]]) -> str:
    """Order-independent checksum of key tuples: count and the sum mod 2**64 of their hashes."""
    total, count = 0, 0
    for row in rows:
        digest = hashlib.blake2b(repr(tuple(normalize(v) for v in row)).encode(), digest_size=8).digest()
        total = (total + int.from_bytes(digest, "big")) % (1 << 64)
        count += 1
    return f"{count}:{total:016x}"


def _fetch_batches(cursor: Any, batch_size: int) -> Iterable[Sequence[Any]]:
    while True:
        rows = cursor.fetchmany(batch_size)
        if not rows:
            return
        yield from rows


def source_key_checksum(source: Any, adapter: SourceAdapter, table: TargetTable, batch_size: int) -> str:
    types = dict(table.columns)
    cursor = adapter.open_cursor(source)
    cursor.arraysize = batch_size
    try:
        cursor.execute(
            f"SELECT {', '.join(adapter.column_expression(c, types[c]) for c in table.primary_key)} "
            f"FROM {adapter.table_name(table.name)}"
        )
        return key_checksum(tuple(adapter.read_value(v) for v in row) for row in _fetch_batches(cursor, batch_size))
    finally:
        cursor.close()


def target_key_checksum(conn: psycopg.Connection, table: TargetTable) -> str:
    with conn.transaction(), conn.cursor(name=f"ora2pg_keys_{os.getpid()}") as cursor:
        cursor.itersize = 10000
        cursor.execute(
            sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, table.primary_key)), table.ident)
        )
        return key_checksum(cursor)


# --------------------------------------------------------------------------------------------
# Copying
# --------------------------------------------------------------------------------------------


@dataclass
class TableReport:
    table: str
    source_rows: int
    target_rows: int
    copied_rows: int  # by this run
    resumed: bool  # copied by an earlier run
    source_checksum: str | None = None
    target_checksum: str | None = None

    @property
    def verified(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum

    def __str__(self) -> str:
        state = "already copied" if self.resumed else f"{self.copied_rows} rows copied"
        check = "verified" if self.verified else "MISMATCH"
        text = f"{self.table}: {state}; source {self.source_rows}, target {self.target_rows} rows: {check}"
        if self.source_checksum is not None:
            text += f" (keys {self.source_checksum} / {self.target_checksum})"
        return text


@dataclass
class CopyReport:
    tables: list[TableReport] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)  # sequence -> next value it gives

    @property
    def mismatches(self) -> list[TableReport]:
        return [t for t in self.tables if not t.verified]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _count(source: Any, adapter: SourceAdapter, table: str) -> int:
    cursor = source.cursor()
    try:
        cursor.execute(f"SELECT COUNT(*) FROM {adapter.table_name(table)}")
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


def _progress(total: int, table: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=table, unit="rows", unit_scale=True, disable=not enabled, leave=True)


def _stream_into(copy: Any, cursor: Any, adapter: SourceAdapter, batch_size: int, bar) -> int:
    copied = 0
    while True:
        rows = cursor.fetchmany(batch_size)
        if not rows:
            return copied
        for row in rows:
            copy.write_row([adapter.read_value(value) for value in row])
        copied += len(rows)
        bar.update(len(rows))


def _comparable(column: str, type_: str, alias: str) -> sql.Composable:
    """A column in a whole-row comparison (json has no equality operator: compared as text)."""
    expression = sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(column))
    return sql.SQL("{}::text").format(expression) if type_ == "json" else expression


def copy_table(
    source: Any,
    adapter: SourceAdapter,
    target: psycopg.Connection,
    table: TargetTable,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
) -> tuple[int, int]:
    """Copy one table in the target's current transaction; returns (rows that went in, source rows).
    Raises CopyConflict when rows already in the target differ from the source's."""
    columns = [column for column, _ in table.columns]
    types = dict(table.columns)
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    select = (
        f"SELECT {', '.join(adapter.column_expression(c, types[c]) for c in columns)} "
        f"FROM {adapter.table_name(table.name)}"
    )
    total = _count(source, adapter, table.name)
    preexisting = target.execute(sql.SQL("SELECT count(*) FROM {}").format(table.ident)).fetchone()[0]
    if preexisting and not table.primary_key:
        raise CopyConflict(
            f"{table.name}: the target table already has {preexisting} rows and no primary key to "
            "match them with the source's: empty it (TRUNCATE) and run the copy again"
        )
    cursor = adapter.open_cursor(source)
    cursor.arraysize = batch_size
    try:
        cursor.execute(select)
        with _progress(total, table.name, progress) as bar:
            if not preexisting:
                with target.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table.ident, column_list)) as copy:
                    return _stream_into(copy, cursor, adapter, batch_size, bar), total
            # rows already there (e.g. the registration defaults of a migrated database): stage, check, add
            target.execute("DROP TABLE IF EXISTS pg_temp.ora2pg_stage")
            target.execute(
                sql.SQL("CREATE TEMPORARY TABLE ora2pg_stage ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
                    column_list, table.ident
                )
            )
            with target.cursor().copy(sql.SQL("COPY pg_temp.ora2pg_stage ({}) FROM STDIN").format(column_list)) as copy:
                _stream_into(copy, cursor, adapter, batch_size, bar)
    finally:
        cursor.close()
    key_match = sql.SQL(" AND ").join(
        sql.SQL("s.{0} = t.{0}").format(sql.Identifier(column)) for column in table.primary_key
    )
    differs = sql.SQL("ROW({}) IS DISTINCT FROM ROW({})").format(
        sql.SQL(", ").join(_comparable(c, types[c], "s") for c in columns),
        sql.SQL(", ").join(_comparable(c, types[c], "t") for c in columns),
    )
    conflicts = target.execute(
        sql.SQL("SELECT {keys} FROM pg_temp.ora2pg_stage s JOIN {table} t ON {match} WHERE {differs} LIMIT 5").format(
            keys=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in table.primary_key),
            table=table.ident,
            match=key_match,
            differs=differs,
        )
    ).fetchall()
    if conflicts:
        keys = "; ".join(
            ", ".join(f"{c}={v!r}" for c, v in zip(table.primary_key, row, strict=False)) for row in conflicts
        )
        raise CopyConflict(
            f"{table.name}: the target table already has rows with the source's primary keys but other "
            f"values ({keys}{' ...' if len(conflicts) == 5 else ''}): resolve them (or empty the table) "
            "and run the copy again"
        )
    overriding = sql.SQL(" OVERRIDING SYSTEM VALUE") if table.identity_columns else sql.SQL("")
    inserted = target.execute(
        sql.SQL(
            "INSERT INTO {table} ({columns}){overriding} SELECT {columns} FROM pg_temp.ora2pg_stage s "
            "WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
        ).format(table=table.ident, columns=column_list, overriding=overriding, match=key_match)
    ).rowcount
    return inserted, total


def advance_sequences(
    source: Any, adapter: SourceAdapter, target: psycopg.Connection, schemas: Sequence[str] = POSTGRES_SCHEMAS
) -> dict[str, int]:
    """Every sequence of the target schemas to its next value: max(id)+1 over the columns it numbers
    (SEQUENCE_COLUMNS), not below the source sequence's next value nor the target's own; identity
    columns' sequences to max(column)+1. Returns sequence -> next value."""
    result: dict[str, int] = {}
    sequences = target.execute(
        """
        SELECT s.schemaname || '.' || s.sequencename,
               CASE WHEN s.last_value IS NULL THEN s.start_value ELSE s.last_value + s.increment_by END
        FROM pg_sequences s WHERE s.schemaname = ANY(%s)""",
        [list(schemas)],
    ).fetchall()
    identity = {
        row[0]: (row[1], row[2])
        for row in target.execute(
            """
        SELECT pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname),
               n.nspname || '.' || c.relname, a.attname
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE a.attidentity <> '' AND NOT c.relispartition AND n.nspname = ANY(%s)""",
            [list(schemas)],
        ).fetchall()
    }
    for sequence, target_next in sequences:
        candidates = [int(target_next)]
        columns = SEQUENCE_COLUMNS.get(sequence, [])
        if sequence in identity:
            columns = [identity[sequence]]
        else:
            source_next = adapter.sequence_next_value(source, sequence)
            if source_next is not None:
                candidates.append(source_next)
        for table, column in columns:
            if target.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
                continue
            schema, name = table.split(".", 1)
            maximum = target.execute(
                sql.SQL("SELECT max({}) FROM {}").format(sql.Identifier(column), sql.Identifier(schema, name))
            ).fetchone()[0]
            if maximum is not None:
                candidates.append(int(maximum) + 1)
        next_value = max(candidates)
        target.execute("SELECT setval(%s, %s, false)", [sequence, next_value])
        result[sequence] = next_value
    return result


def copy_database(
    source: Any,
    target_url: str,
    *,
    adapter: SourceAdapter = POSTGRES_SOURCE,
    tables: Sequence[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    checksum: bool = False,
    progress: bool = True,
    say: Callable[[str], None] = lambda message: None,
) -> CopyReport:
    """Copy tables (default: all of default_tables()) from the source connection into target_url,
    resumably, then verify them and advance the sequences. Raises CopyConflict / CopyError."""
    adapter.prepare_connection(source)
    names = list(tables) if tables else default_tables()
    unknown = [name for name in names if not re.fullmatch(r"doma_\w+\.\w+", name)]
    if unknown:
        raise CopyError(f"not a table name of the form doma_<schema>.<table>: {', '.join(unknown)}")
    report = CopyReport()
    with psycopg.connect(target_url, autocommit=True) as target:
        target.execute(STATE_DDL)
        catalog = target_tables(target, names)
        missing = [name for name in names if name not in catalog]
        if missing:
            raise CopyError(f"not in the target database (run `pandadb migrate upgrade` first?): {', '.join(missing)}")
        done = {
            row[0]: row
            for row in target.execute(f"SELECT table_name, source_rows, copied_rows FROM {STATE_TABLE}").fetchall()
        }
        for name in foreign_key_order(target, names):
            table = catalog[name]
            resumed = name in done
            copied = 0
            if resumed:
                say(f"{name}: already copied (ora2pg_copy.copy_state), verifying")
                source_rows = _count(source, adapter, name)
            else:
                with target.transaction():
                    copied, source_rows = copy_table(
                        source, adapter, target, table, batch_size=batch_size, progress=progress
                    )
                    preexisting = (
                        target.execute(sql.SQL("SELECT count(*) FROM {}").format(table.ident)).fetchone()[0] - copied
                    )
                    target.execute(
                        f"INSERT INTO {STATE_TABLE} (table_name, source_rows, copied_rows, preexisting_rows) "
                        "VALUES (%s, %s, %s, %s)",
                        [name, source_rows, copied, preexisting],
                    )
            entry = TableReport(
                name,
                source_rows,
                target.execute(sql.SQL("SELECT count(*) FROM {}").format(table.ident)).fetchone()[0],
                copied,
                resumed,
            )
            if checksum and table.primary_key:
                entry.source_checksum = source_key_checksum(source, adapter, table, batch_size)
                entry.target_checksum = target_key_checksum(target, table)
                target.execute(
                    f"UPDATE {STATE_TABLE} SET pk_checksum = %s WHERE table_name = %s", [entry.target_checksum, name]
                )
            report.tables.append(entry)
            say(str(entry))
        report.sequences = advance_sequences(source, adapter, target)
    return report
