"""The check behind `pandadb ora2pg check`: a converted database against one migrated by
`pandadb migrate upgrade`, catalog to catalog, every difference by name; ALLOWED_DIFFERENCES lists
those that remain on purpose, each with its reason."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ora2pg.oracle_ddl import POSTGRES_SCHEMAS

# Differences between a converted database and a migrated one that remain on purpose, by the key
# compare_catalogs gives them ("<kind> <name>"), with the reason. The check fails on any other
# difference, and the test fails on an entry here that no longer matches a difference (stale).
ALLOWED_DIFFERENCES: dict[str, str] = {
    # Partial indexes do not exist in Oracle. schema/oracle/41_jobs_dispatch.sql writes the two
    # dispatch indexes as function-based indexes (every key CASE WHEN <predicate> THEN <col> END),
    # which ora2pg converts faithfully into expression indexes over the whole table. They are correct
    # but larger and not what acquire_jobs' queries are planned for: after the conversion, recreate
    # them from schema/postgres/41_jobs_dispatch.sql (CREATE INDEX ... WHERE jobstatus = 'activated').
    "index doma_panda.jobsactive4_dispatch_idx": "partial index in PostgreSQL, CASE-expression index in Oracle (no partial indexes there)",
    "index doma_panda.jobsactive4_dispatch_busy_idx": "partial index in PostgreSQL, CASE-expression index in Oracle (no partial indexes there)",
    # Oracle's list-partitioned TABLEPART4COPYING has a catch-all VALUES (DEFAULT) partition as well
    # as 'N' and 'Y'; in PostgreSQL the CHECK (copied_to_arch IN ('N','Y')) makes a default partition
    # unreachable, so schema/postgres has none. The converted one is empty and harmless.
    # Upstream's WN_METRICS_IDX has exactly the primary key's columns (it is INVISIBLE in Oracle: kept
    # but not used by the optimizer). ora2pg leaves out an index whose columns are those of the primary
    # key, which has its own index in PostgreSQL; schema/postgres keeps upstream's index. Nothing reads
    # through it that the primary key index does not serve.
    "index doma_panda.wn_metrics_idx": "same columns as worker_node_metrics_pkey: ora2pg omits it as redundant, schema/postgres keeps upstream's",
    "partition doma_panda.tablepart4copying_other": "Oracle's VALUES (DEFAULT) list partition P_OTHER; unreachable under the CHECK in PostgreSQL",
    # Tables created by alembic revision 0003_partitioning, which is PostgreSQL-only (partition
    # policy, pg_partman-compatible part_config, archival log): they have no Oracle twin, so the
    # conversion cannot produce them. `pandadb ora2pg load` stamps the loaded database at revision
    # 0001_schema, so that `pandadb migrate upgrade` adds them (and the stored logic).
    "table doma_panda.partition_policy": "PostgreSQL-only table of revision 0003_partitioning",
    "table doma_panda.part_config": "PostgreSQL-only table of revision 0003_partitioning",
    "table doma_panda.archive_partition_log": "PostgreSQL-only table of revision 0003_partitioning",
}


# --------------------------------------------------------------------------------------------
# The check: a converted database against a migrated one
# --------------------------------------------------------------------------------------------

CATALOG_QUERIES = {
    # tables, partitioned tables, views, materialized views; partitions only when they are DDL
    # (DEFAULT or list bounds): range partitions are made at run time by partition maintenance
    "relations": """
        SELECT n.nspname || '.' || c.relname AS name, c.relkind, c.relispartition,
               pg_get_partkeydef(c.oid) AS partkey, pg_get_expr(c.relpartbound, c.oid) AS bound,
               (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                  JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid) AS parent
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm')""",
    "columns": """
        SELECT n.nspname || '.' || c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
               a.attnotnull, a.attidentity
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
          AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY 1, 2""",
    "constraints": """
        SELECT n.nspname || '.' || c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%(schemas)s) AND NOT c.relispartition AND k.contype IN ('p', 'u', 'c', 'f')""",
    "indexes": """
        SELECT n.nspname || '.' || i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = i.relnamespace
        WHERE n.nspname = ANY(%(schemas)s) AND NOT c.relispartition""",
    "sequences": """
        SELECT s.schemaname || '.' || s.sequencename, s.data_type::text, s.increment_by, s.cache_size
        FROM pg_sequences s
        WHERE s.schemaname = ANY(%(schemas)s)
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = (quote_ident(s.schemaname) || '.' ||
                          quote_ident(s.sequencename))::regclass AND d.deptype = 'i')""",
}
RELKIND = {"r": "table", "p": "partitioned table", "v": "view", "m": "materialized view"}
CONTYPE = {"p": "primary key", "u": "unique", "c": "check", "f": "foreign key"}


def catalog_snapshot(database_url: str, schemas: tuple[str, ...] = POSTGRES_SCHEMAS) -> dict[str, str]:
    """What the check compares, as {"<kind> <name>": description}: relations (kind, partition key),
    DDL partitions, columns (type, NOT NULL, identity), column order, primary keys, unique, check and
    foreign-key constraints, indexes, sequences."""
    import psycopg

    snapshot: dict[str, str] = {}
    with psycopg.connect(database_url) as conn:
        rows = {name: conn.execute(sql, {"schemas": list(schemas)}).fetchall() for name, sql in CATALOG_QUERIES.items()}
    for name, relkind, is_partition, partkey, bound, parent in rows["relations"]:
        if is_partition:
            if bound and not bound.startswith("FOR VALUES FROM"):
                snapshot[f"partition {name}"] = f"partition of {parent} {bound}"
            continue
        snapshot[f"table {name}"] = RELKIND[relkind] + (f" {partkey}" if partkey else "")
    order: dict[str, list[str]] = {}
    for table, _, column, type_, notnull, identity in rows["columns"]:
        description = type_ + (" NOT NULL" if notnull else "")
        description += {"a": " GENERATED ALWAYS AS IDENTITY", "d": " GENERATED BY DEFAULT AS IDENTITY"}.get(
            identity, ""
        )
        snapshot[f"column {table}.{column}"] = description
        order.setdefault(table, []).append(column)
    for table, columns in order.items():
        snapshot[f"column order {table}"] = ", ".join(columns)
    for table, conname, contype, definition in rows["constraints"]:
        if contype == "p":
            snapshot[f"primary key {table}"] = f"{conname} {definition}"
        else:
            snapshot[f"{CONTYPE[contype]} {table}.{conname}"] = definition
    for index, definition in rows["indexes"]:
        snapshot[f"index {index}"] = definition
    for sequence, data_type, increment, cache in rows["sequences"]:
        snapshot[f"sequence {sequence}"] = f"{data_type} increment {increment} cache {cache}"
    return {key: re.sub(r"\s+", " ", value) for key, value in snapshot.items()}


@dataclass(frozen=True)
class Difference:
    key: str  # "<kind> <name>"
    expected: str | None  # in the migrated database (schema/postgres); None: not there
    actual: str | None  # in the converted database; None: not there

    def __str__(self) -> str:
        if self.actual is None:
            return f"{self.key}: missing in the converted database (migrated: {self.expected})"
        if self.expected is None:
            return f"{self.key}: only in the converted database ({self.actual})"
        return f"{self.key}: migrated {self.expected!r}, converted {self.actual!r}"


def compare_catalogs(expected: dict[str, str], actual: dict[str, str]) -> list[Difference]:
    """Every difference by name. Columns, column order and constraints of a table missing on one
    side are not repeated (the table difference says it)."""
    missing_tables = {key.split(" ", 1)[1] for key in set(expected) ^ set(actual) if key.startswith("table ")}

    def of_missing_table(key: str, definition: str) -> bool:
        if key.startswith(("table ", "sequence ", "partition ")):
            return False
        if key.startswith("index "):
            on = re.search(r" ON (?:ONLY )?(\S+) USING ", definition)
            return bool(on) and on.group(1) in missing_tables
        name = key.split(" ")[-1]
        table = name if key.startswith(("column order ", "primary key ")) else name.rsplit(".", 1)[0]
        return table in missing_tables

    differences = []
    for key in sorted(set(expected) | set(actual)):
        if expected.get(key) != actual.get(key) and not of_missing_table(key, expected.get(key) or actual.get(key)):
            differences.append(Difference(key, expected.get(key), actual.get(key)))
    return differences


@dataclass
class CheckResult:
    differences: list[Difference]
    allowed: dict[str, str]  # allow-list entries used
    report: list = field(default_factory=list)  # dropped / not converted statements of the input (export.py)

    @property
    def unexpected(self) -> list[Difference]:
        return [d for d in self.differences if d.key not in self.allowed]

    @property
    def stale_allowances(self) -> list[str]:
        used = {d.key for d in self.differences}
        return [key for key in self.allowed if key not in used]

    @property
    def ok(self) -> bool:
        return not self.unexpected


def check_databases(converted_url: str, migrated_url: str, allowed: dict[str, str] | None = None) -> CheckResult:
    """Compare a database loaded from a conversion with one migrated by `pandadb migrate upgrade`."""
    return CheckResult(
        compare_catalogs(catalog_snapshot(migrated_url), catalog_snapshot(converted_url)),
        dict(ALLOWED_DIFFERENCES if allowed is None else allowed),
    )


def next_step(difference: Difference) -> str:
    """What the DBA does about a difference between the converted and the migrated database."""
    kind = difference.key.split(" ", 1)[0]
    if difference.actual is None:
        if kind == "table":
            return (
                "not in the converted DDL: if the export left it out, export it too and convert again; otherwise "
                "`pandadb ora2pg load` then `pandadb migrate upgrade` creates it"
            )
        if kind == "column":
            return (
                f"the Oracle table lacks it: after loading, add it as schema/postgres defines it "
                f"(ALTER TABLE ... ADD COLUMN ... {difference.expected})"
            )
        return f"create it after loading as the migrated database has it: {difference.expected}"
    if difference.expected is None:
        return (
            "an object PanDA DB does not have: keep it only if a site tool uses it, else drop it after loading "
            "(`pandadb migrate upgrade` ignores it)"
        )
    if kind == "column":
        return (
            f"after loading: ALTER TABLE ... ALTER COLUMN ... TYPE/SET {difference.expected} (or map the Oracle type "
            f"with DATA_TYPE/MODIFY_TYPE in ora2pg.conf.template and convert again)"
        )
    return f"after loading, recreate it as the migrated database has it: {difference.expected}"
