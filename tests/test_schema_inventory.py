"""The migrated catalog matches the public PanDA PostgreSQL inventory (shared/reference/*.tsv).

Each test collects every difference and reports them all by name.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import psycopg
import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
if not REFERENCE.exists():  # CI clones the project with shared/ beside it
    REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


def read_tsv(name: str) -> list[dict]:
    with open(REFERENCE / name, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", text).replace('"', "").lower()


@pytest.fixture
def catalog(db: psycopg.Connection):
    return db


def test_reference_inventory_is_present():
    # without it every other test here would pass vacuously
    assert len(read_tsv("upstream_postgres_columns.tsv")) > 1500


def test_every_table_and_column_exists_with_a_compatible_type(catalog):
    rows = catalog.execute("""
        SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname LIKE 'doma\\_%' AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
    """).fetchall()
    actual = {(s, t, c): (typ, notnull) for s, t, c, typ, notnull in rows}
    actual_tables = {(s, t) for s, t, _ in actual}
    problems = []
    for ref in read_tsv("upstream_postgres_columns.tsv"):
        table = (ref["schema"], ref["table"])
        key = (ref["schema"], ref["table"], ref["column"])
        if table not in actual_tables:
            problems.append(f"missing table {ref['schema']}.{ref['table']}")
            continue
        if key not in actual:
            problems.append(f"missing column {'.'.join(key)}")
            continue
        typ, notnull = actual[key]
        if typ != ref["type"]:
            problems.append(f"type of {'.'.join(key)}: {typ}, reference {ref['type']}")
        if ref["nullable"] == "NO" and not notnull:
            problems.append(f"{'.'.join(key)} is nullable, reference NOT NULL")
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


def test_every_index_and_key_exists_on_the_same_columns(catalog):
    rows = catalog.execute("""
        SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname LIKE 'doma\\_%'
    """).fetchall()
    actual = {(s, t, i): d for s, t, i, d in rows}
    problems = []
    for ref in read_tsv("upstream_postgres_indexes.tsv"):
        key = (ref["schema"], ref["table"], ref["index"])
        if key not in actual:
            problems.append(f"missing index {'.'.join(key)} ({ref['key']})")
            continue
        definition = actual[key]
        columns = definition[definition.index(" USING ") :]
        columns = columns[columns.index("(") + 1 : columns.rindex(")")]
        if normalise(columns) != normalise(ref["key"]):
            problems.append(f"index {'.'.join(key)} on ({columns}), reference ({ref['key']})")
        if (ref["unique"] == "yes") != definition.startswith("CREATE UNIQUE"):
            problems.append(f"index {'.'.join(key)} uniqueness differs from the reference")
        if f"USING {ref['method']} " not in definition:
            problems.append(f"index {'.'.join(key)} method differs: {definition}")
    assert not problems, "\n".join(problems)


def test_every_sequence_exists(catalog):
    actual = set(
        catalog.execute(
            "SELECT sequence_schema, sequence_name FROM information_schema.sequences WHERE sequence_schema LIKE 'doma\\_%'"
        ).fetchall()
    )
    missing = [
        f"{r['schema']}.{r['sequence']}"
        for r in read_tsv("upstream_postgres_sequences.tsv")
        if (r["schema"], r["sequence"]) not in actual
    ]
    assert not missing, "missing sequences: " + ", ".join(missing)


def test_partitioned_tables_use_the_reference_keys(catalog):
    actual = dict(
        ((s, t), k)
        for s, t, k in catalog.execute("""
        SELECT n.nspname, c.relname, pg_get_partkeydef(c.oid)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'p' AND n.nspname LIKE 'doma\\_%'
    """).fetchall()
    )
    problems = []
    for ref in read_tsv("upstream_postgres_partition_keys.tsv"):
        key = (ref["schema"], ref["table"])
        if key not in actual:
            problems.append(f"{'.'.join(key)} is not partitioned (reference: {ref['partition_key']})")
        elif normalise(actual[key]) != normalise(ref["partition_key"]):
            problems.append(f"{'.'.join(key)} partitioned by {actual[key]}, reference {ref['partition_key']}")
    assert not problems, "\n".join(problems)


def test_every_partitioned_table_accepts_rows_before_maintenance(catalog):
    """Each partitioned table has a partition for any key (default, or the LIST values)."""
    rows = catalog.execute("""
        SELECT n.nspname || '.' || p.relname, count(*) FILTER (WHERE pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'),
               count(*)
          FROM pg_class p JOIN pg_namespace n ON n.oid = p.relnamespace
          JOIN pg_inherits i ON i.inhparent = p.oid JOIN pg_class c ON c.oid = i.inhrelid
         WHERE p.relkind = 'p' AND n.nspname LIKE 'doma\\_%'
         GROUP BY 1
    """).fetchall()
    by_table = {name: (defaults, total) for name, defaults, total in rows}
    problems = [
        f"{r['schema']}.{r['table']} has no partitions"
        for r in read_tsv("upstream_postgres_partition_keys.tsv")
        if by_table.get(f"{r['schema']}.{r['table']}", (0, 0))[1] == 0
    ]
    assert not problems, "\n".join(problems)


def test_job_status_is_constrained_per_job_table(catalog):
    with pytest.raises(psycopg.errors.CheckViolation):
        catalog.execute("""
            INSERT INTO doma_panda.jobsactive4 (pandaid, jobdefinitionid, creationtime, modificationtime, jobstatus)
            VALUES (1, 1, now(), now(), 'finished')""")
    catalog.execute("""
        INSERT INTO doma_panda.jobsactive4 (pandaid, jobdefinitionid, creationtime, modificationtime, jobstatus)
        VALUES (1, 1, now(), now(), 'running')""")
    assert catalog.execute("SELECT jobstatus FROM doma_panda.jobsactive4 WHERE pandaid = 1").fetchone() == ("running",)


def test_foreign_keys_refuse_orphans(catalog):
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        catalog.execute("INSERT INTO doma_panda.panda_site (panda_site_name, site_name) VALUES ('Q', 'NO_SUCH_SITE')")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        catalog.execute("""INSERT INTO doma_panda.harvester_workers (harvesterid, workerid, lastupdate, status)
                           VALUES ('not_registered', 1, now(), 'running')""")
