"""Partition maintenance and archival: the partition policy (partitions/policy.tsv), pg_partman where
available, the pandadb engine's part_config otherwise, and the first maintenance run.

pg_partman: when the extension is available on the server and this role may create it, the
revision creates schema `partman` and the extension in it, and pg_partman manages the tables.
Set PANDADB_PARTMAN=off (or `alembic -x partman=off`) to leave it out: the pandadb engine
(procedures/postgres/partitions.sql) then creates the same children itself.
PostgreSQL only: in Oracle the tables are interval-partitioned by their DDL (schema/oracle).

Revision ID: 0003_partitioning
Revises: 0002_procedures
Create Date: 2026-11-22
"""

from __future__ import annotations

import csv
import os

from alembic import context as alembic_context
from alembic import op

from pandadb.migrations.sqlfiles import apply_sql_files, apply_sql_text, dialect_directory_name
from pandadb.settings import PARTITIONS_DIR, PROCEDURES_DIR

revision = "0003_partitioning"
down_revision = "0002_procedures"
branch_labels = None
depends_on = None

POLICY_FILE = PARTITIONS_DIR / "policy.tsv"
PROCEDURE_FILES = [PROCEDURES_DIR / "postgres" / "partitions.sql", PROCEDURES_DIR / "postgres" / "archive.sql"]

TABLES = """
-- The partition policy of seed 004 section 8.4, one row per partitioned table (partitions/policy.tsv).
CREATE TABLE IF NOT EXISTS doma_panda.partition_policy (
    schema_name text NOT NULL,
    table_name text NOT NULL,
    partition_key text NOT NULL,
    partition_interval text NOT NULL,
    premake integer,
    retention text,
    handled text NOT NULL,
    CONSTRAINT partition_policy_pkey PRIMARY KEY (schema_name, table_name),
    CONSTRAINT partition_policy_handled_check CHECK (handled IN ('AUTO', 'ADD_DAILYPART', 'MANUAL', 'STATIC')),
    CONSTRAINT partition_policy_premake_check CHECK (handled = 'STATIC' OR premake > 0)
);
COMMENT ON TABLE doma_panda.partition_policy IS
    'Partition policy (seed 004, 8.4): interval, premake, retention and handling of each partitioned table';

-- pg_partman's part_config (the columns the pandadb engine uses, same names and meaning), for
-- databases without pg_partman. With pg_partman, partman.part_config is used and this stays empty.
CREATE TABLE IF NOT EXISTS doma_panda.part_config (
    parent_table text NOT NULL,
    control text NOT NULL,
    partition_type text NOT NULL DEFAULT 'native',
    partition_interval text NOT NULL,
    premake integer NOT NULL DEFAULT 4,
    epoch text NOT NULL DEFAULT 'none',
    retention text,
    retention_schema text,
    retention_keep_table boolean NOT NULL DEFAULT true,
    infinite_time_partitions boolean NOT NULL DEFAULT false,
    datetime_string text,
    automatic_maintenance text NOT NULL DEFAULT 'on',
    ignore_default_data boolean NOT NULL DEFAULT false,
    CONSTRAINT part_config_parent_table_pkey PRIMARY KEY (parent_table),
    CONSTRAINT positive_premake_check CHECK (premake > 0)
);
COMMENT ON TABLE doma_panda.part_config IS
    'pg_partman-compatible configuration of the pandadb partition engine (used where pg_partman is not installed)';

-- Row counts of each archived partition (tablepart4copying keeps PanDA's own flags and times).
CREATE TABLE IF NOT EXISTS doma_panda.archive_partition_log (
    table_name character varying(30) NOT NULL,
    partition_name character varying(30) NOT NULL,
    lower_bound timestamp without time zone,
    upper_bound timestamp without time zone,
    rows_copied bigint,
    rows_verified bigint,
    copies integer NOT NULL DEFAULT 0,
    copy_xid xid8,
    copied_on timestamp without time zone,
    verified_on timestamp without time zone,
    dropped_on timestamp without time zone,
    CONSTRAINT archive_partition_log_pkey PRIMARY KEY (table_name, partition_name)
);
COMMENT ON TABLE doma_panda.archive_partition_log IS
    'Archival of each partition: rows copied to doma_pandaarch, rows verified there, when dropped';
"""

CREATE_PARTMAN = """
DO $partman$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman') THEN
        BEGIN
            CREATE SCHEMA IF NOT EXISTS partman;
            CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pg_partman is available but this role may not create it: the pandadb engine maintains the partitions';
        END;
    END IF;
END
$partman$;
"""

FIRST_MAINTENANCE = """
SELECT doma_panda.register_partitioned_table(t) FROM doma_panda.partition_maintenance_tables(true) AS t;
SELECT doma_panda.maintain_partitioned_table(t) FROM doma_panda.partition_maintenance_tables(false) AS t;
"""

UNDO = """
SELECT doma_panda.unregister_partitioned_table(t) FROM doma_panda.partition_maintenance_tables(true) AS t;
DROP EXTENSION IF EXISTS pg_partman;
DROP SCHEMA IF EXISTS partman CASCADE;
DROP TABLE IF EXISTS doma_panda.archive_partition_log, doma_panda.part_config, doma_panda.partition_policy;
"""


def read_policy() -> list[dict[str, str]]:
    """partitions/policy.tsv without its comment lines."""
    with open(POLICY_FILE, newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def sql_literal(value: str) -> str:
    return "NULL" if value == "" else "'" + value.replace("'", "''") + "'"


def policy_insert_sql(rows: list[dict[str, str]]) -> str:
    values = ",\n    ".join(
        "("
        + ", ".join(
            sql_literal(row[column])
            for column in ("schema", "table", "partition_key", "interval", "premake", "retention", "handled")
        )
        + ")"
        for row in rows
    )
    return (
        "INSERT INTO doma_panda.partition_policy (schema_name, table_name, partition_key, partition_interval, premake, retention, handled)\n"
        f"VALUES\n    {values}\n"
        "ON CONFLICT (schema_name, table_name) DO UPDATE SET partition_key = EXCLUDED.partition_key,\n"
        "    partition_interval = EXCLUDED.partition_interval, premake = EXCLUDED.premake,\n"
        "    retention = EXCLUDED.retention, handled = EXCLUDED.handled;\n"
    )


def partman_wanted() -> bool:
    """False when PANDADB_PARTMAN=off or `-x partman=off`: the pandadb engine does the work."""
    setting = alembic_context.get_x_argument(as_dictionary=True).get("partman") or os.environ.get(
        "PANDADB_PARTMAN", "auto"
    )
    return setting.strip().lower() not in ("off", "no", "false", "0")


def upgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    apply_sql_text(TABLES, "0003_partitioning: policy, part_config and archive log tables")
    op.execute("SET LOCAL check_function_bodies = off")
    apply_sql_files(PROCEDURE_FILES)
    if partman_wanted():
        apply_sql_text(CREATE_PARTMAN, "0003_partitioning: pg_partman in schema partman")
    apply_sql_text(policy_insert_sql(read_policy()), "0003_partitioning: partitions/policy.tsv")
    apply_sql_text(FIRST_MAINTENANCE, "0003_partitioning: first partition maintenance")


def downgrade() -> None:
    if dialect_directory_name() != "postgres":
        return
    apply_sql_text(UNDO, "0003_partitioning: children back into the default partitions, pg_partman removed")
