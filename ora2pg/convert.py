"""Oracle DDL -> PostgreSQL DDL with ora2pg (seed 004, section 8.6), the patches, and the check.

Two ways in, one way out:

- offline (`pandadb ora2pg convert`, no Oracle needed): the statements of schema/oracle/*.sql are
  sorted by Oracle schema and handed to ora2pg with -i (ora2pg parses the DDL text itself,
  without connecting to Oracle), once per schema and export type, as section 8.6 does:
      ora2pg -t TABLE    -i <schema's tables>    -n ATLAS_PANDA -N doma_panda -c ora2pg.conf
      ora2pg -t SEQUENCE -i <schema's sequences> -n ATLAS_PANDA -N doma_panda -c ora2pg.conf
      ora2pg -t VIEW     -i <schema's (materialized) views> ...
- live (`pandadb ora2pg convert --oracle-dsn dbi:Oracle:...`, needs an Oracle server, which this
  project's machines do not have): the same loop with -u ATLAS_X and the password in ORA2PG_PASSWD.

Then the patches (PATCHES, each a small named function saying why) turn ora2pg's output into the
DDL of schema/postgres, and the result is written as one directory of .sql files with a load order
(load_order.txt). `pandadb ora2pg check` loads it into a scratch database and compares the catalog
with a database migrated by `pandadb migrate upgrade` (compare_catalogs); every difference left is
either fixed by a patch or listed, with its reason, in ALLOWED_DIFFERENCES.

What ora2pg 23.2 cannot do offline (documented here, handled by patches):
- partitioning: the -i parser ignores everything after a CREATE TABLE's column list, so the
  PARTITION BY clauses are re-added from the Oracle DDL (patch add_partitioning);
- materialized views: there is no -i parser for CREATE MATERIALIZED VIEW (export type MVIEW reads
  ALL_MVIEWS from a live Oracle), so they go through the VIEW parser and are turned back into
  materialized views (input patch materialized_views_as_views, output patch views_as_materialized_views);
- ALTER TABLE ... ADD CONSTRAINT ... CHECK (...) directly followed by ';' is dropped by the -i parser
  (its regex wants a constraint state after the condition): input patch check_constraints_with_state;
- foreign keys from ALTER TABLE come out as "ALTER TABLETABLE" (patch fix_alter_tabletable).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUT_DIR = PROJECT_ROOT / "schema" / "oracle"
TEMPLATE_PATH = Path(__file__).resolve().with_name("ora2pg.conf.template")

# ATLAS_X in Oracle is doma_x in PostgreSQL; this is also the load order (foreign keys all point
# inside doma_panda).
ORACLE_TO_POSTGRES_SCHEMA = {
    "ATLAS_PANDA": "doma_panda",
    "ATLAS_PANDAMETA": "doma_pandameta",
    "ATLAS_PANDAARCH": "doma_pandaarch",
    "ATLAS_DEFT": "doma_deft",
}
POSTGRES_TO_ORACLE_SCHEMA = {pg: ora for ora, pg in ORACLE_TO_POSTGRES_SCHEMA.items()}
POSTGRES_SCHEMAS = tuple(ORACLE_TO_POSTGRES_SCHEMA.values())

# Partitioned in Oracle only. Seed 004 section 8.4 lists the ATLAS_PANDAARCH tables as partitioned
# (MANUAL) in Oracle; PanDA's PostgreSQL schema keeps them as plain tables (the archive is written in
# bulk by `pandadb archive`, a partition at a time, and rarely read), and so does schema/postgres.
# Patch add_partitioning leaves them unpartitioned. (tests/oracle_sql.py ORACLE_ONLY_PARTITIONED.)
ORACLE_ONLY_PARTITIONED = frozenset({
    "doma_pandaarch.jobsarchived",
    "doma_pandaarch.filestable_arch",
    "doma_pandaarch.jobparamstable_arch",
    "doma_pandaarch.metatable_arch",
})

# Differences between a converted database and a migrated one that remain on purpose, by the key
# compare_catalogs gives them ("<kind> <name>"), with the reason. The check fails on any other
# difference, and the test fails on an entry here that no longer matches a difference (stale).
ALLOWED_DIFFERENCES: dict[str, str] = {
    # Partial indexes do not exist in Oracle. schema/oracle/41_jobs_dispatch.sql writes the two
    # dispatch indexes as function-based indexes (every key CASE WHEN <predicate> THEN <col> END),
    # which ora2pg converts faithfully into expression indexes over the whole table. They are correct
    # but larger and not what acquire_jobs' queries are planned for: after the conversion, recreate
    # them from schema/postgres/41_jobs_dispatch.sql (CREATE INDEX ... WHERE jobstatus = 'activated').
    "index doma_panda.jobsactive4_dispatch_idx":
        "partial index in PostgreSQL, CASE-expression index in Oracle (no partial indexes there)",
    "index doma_panda.jobsactive4_dispatch_busy_idx":
        "partial index in PostgreSQL, CASE-expression index in Oracle (no partial indexes there)",
    # Oracle's list-partitioned TABLEPART4COPYING has a catch-all VALUES (DEFAULT) partition as well
    # as 'N' and 'Y'; in PostgreSQL the CHECK (copied_to_arch IN ('N','Y')) makes a default partition
    # unreachable, so schema/postgres has none. The converted one is empty and harmless.
    # Upstream's WN_METRICS_IDX has exactly the primary key's columns (it is INVISIBLE in Oracle: kept
    # but not used by the optimizer). ora2pg leaves out an index whose columns are those of the primary
    # key, which has its own index in PostgreSQL; schema/postgres keeps upstream's index. Nothing reads
    # through it that the primary key index does not serve.
    "index doma_panda.wn_metrics_idx":
        "same columns as worker_node_metrics_pkey: ora2pg omits it as redundant, schema/postgres keeps upstream's",
    "partition doma_panda.tablepart4copying_other":
        "Oracle's VALUES (DEFAULT) list partition P_OTHER; unreachable under the CHECK in PostgreSQL",
    # Tables created by alembic revision 0003_partitioning, which is PostgreSQL-only (partition
    # policy, pg_partman-compatible part_config, archival log): they have no Oracle twin, so the
    # conversion cannot produce them. `pandadb ora2pg load` stamps the loaded database at revision
    # 0001_schema, so that `pandadb migrate upgrade` adds them (and the stored logic).
    "table doma_panda.partition_policy": "PostgreSQL-only table of revision 0003_partitioning",
    "table doma_panda.part_config": "PostgreSQL-only table of revision 0003_partitioning",
    "table doma_panda.archive_partition_log": "PostgreSQL-only table of revision 0003_partitioning",
}


class Ora2pgError(RuntimeError):
    """ora2pg is missing or failed, or the conversion result does not load."""


# --------------------------------------------------------------------------------------------
# The configuration
# --------------------------------------------------------------------------------------------

def render_config(*, oracle_dsn: str = "dbi:Oracle:none", oracle_user: str = "",
                  schema: str = "ATLAS_PANDA", pg_schema: str | None = None,
                  owner: str | None = None, debug: bool = False) -> str:
    """ora2pg.conf from the template. No password is ever written (ORA2PG_PASSWD)."""
    values = {
        "ORACLE_DSN": oracle_dsn,
        "ORACLE_USER": oracle_user or schema,
        "SCHEMA": schema,
        "PG_SCHEMA": pg_schema or ORACLE_TO_POSTGRES_SCHEMA.get(schema.upper(), schema.lower()),
        # 0: no OWNER TO statements, the loading user owns the objects
        "OWNER": owner or "0",
        "DEBUG": "1" if debug else "0",
    }
    text = TEMPLATE_PATH.read_text()
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    leftover = re.findall(r"@@[A-Z_]+@@", text)
    if leftover:
        raise Ora2pgError(f"ora2pg.conf.template has unknown placeholders: {', '.join(leftover)}")
    return text


def find_ora2pg() -> str:
    explicit = os.environ.get("ORA2PG_BIN")
    found = explicit or shutil.which("ora2pg")
    if not found:
        raise Ora2pgError("ora2pg is not installed: apt-get install ora2pg (Debian's package; `make postgres` installs it)")
    return found


def ora2pg_version(binary: str | None = None) -> str:
    out = subprocess.run([binary or find_ora2pg(), "--version"], capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()


# --------------------------------------------------------------------------------------------
# Reading the Oracle DDL
# --------------------------------------------------------------------------------------------

def split_sql(text: str) -> list[str]:
    """Statements of a plain SQL file (no PL/SQL blocks), comments removed, split at ';' outside
    quotes."""
    statements, current, i, n = [], [], 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch in "'\"":
            end = i + 1
            while end < n:
                if text[end] == ch:
                    if text[end + 1:end + 2] == ch:
                        end += 2
                        continue
                    break
                end += 1
            current.append(text[i:end + 1])
            i = end + 1
        elif ch == ";":
            statement = "".join(current).strip()
            if statement:
                statements.append(statement)
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    statement = "".join(current).strip()
    if statement:
        statements.append(statement)
    return statements


NAME = r'(?:"[^"]+"|[A-Za-z][A-Za-z0-9_$#]*)'


def unquote(name: str) -> str:
    """An Oracle identifier as PostgreSQL spells it after ora2pg: lower case, no quotes."""
    return name.strip().strip('"').lower()


@dataclass
class OracleStatement:
    file: str
    schema: str  # ATLAS_X
    kind: str  # table, index, alter, comment, sequence, mview, view, data
    table: str  # the table (or sequence/view) it is about, lower case, unqualified
    text: str


STATEMENT_KINDS = [
    ("sequence", re.compile(rf"^CREATE\s+SEQUENCE\s+({NAME})\.({NAME})", re.I)),
    ("table", re.compile(rf"^CREATE\s+(?:GLOBAL\s+TEMPORARY\s+)?TABLE\s+({NAME})\.({NAME})", re.I)),
    ("index", re.compile(rf"^CREATE\s+(?:UNIQUE\s+|BITMAP\s+)?INDEX\s+(?:{NAME}\.)?{NAME}\s+ON\s+({NAME})\.({NAME})", re.I)),
    ("alter", re.compile(rf"^ALTER\s+TABLE\s+({NAME})\.({NAME})", re.I)),
    ("comment", re.compile(rf"^COMMENT\s+ON\s+(?:TABLE|COLUMN)\s+({NAME})\.({NAME})", re.I)),
    ("mview", re.compile(rf"^CREATE\s+MATERIALIZED\s+VIEW\s+({NAME})\.({NAME})", re.I)),
    ("view", re.compile(rf"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:FORCE\s+)?VIEW\s+({NAME})\.({NAME})", re.I)),
    # rows (registration defaults): not DDL, they come over with the data copy
    ("data", re.compile(rf"^(?:MERGE\s+INTO|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+({NAME})\.({NAME})", re.I)),
]


def classify(statement: str, file: str) -> OracleStatement | None:
    if re.match(r"^(COMMIT|ROLLBACK)\b", statement, re.I):
        return None
    for kind, pattern in STATEMENT_KINDS:
        match = pattern.match(statement)
        if match:
            return OracleStatement(file, unquote(match.group(1)).upper(), kind, unquote(match.group(2)), statement)
    raise Ora2pgError(f"{file}: statement not understood by the conversion driver: {statement[:120]}")


@dataclass
class Partitioning:
    kind: str  # RANGE or LIST
    column: str  # lower case
    interval: str | None
    partitions: list[tuple[str, str]]  # (name, values) as written in Oracle


@dataclass
class OracleDDL:
    statements: list[OracleStatement]

    def of_schema(self, schema: str, *kinds: str) -> list[OracleStatement]:
        return [s for s in self.statements if s.schema == schema and (not kinds or s.kind in kinds)]

    def partitioning(self) -> dict[str, Partitioning]:
        """Partitioned Oracle tables by PostgreSQL name (doma_x.table)."""
        result = {}
        for statement in self.statements:
            if statement.kind != "table":
                continue
            match = re.search(
                rf"\)\s*PARTITION\s+BY\s+(RANGE|LIST)\s*\(\s*({NAME})\s*\)"
                r"(?:\s*INTERVAL\s*\((.*?\)?)\))?\s*\((.*)\)(?:\s*ENABLE\s+ROW\s+MOVEMENT)?\s*$",
                statement.text, re.S | re.I)
            if not match:
                continue
            partitions = re.findall(
                rf"PARTITION\s+({NAME})\s+VALUES\s+(?:LESS\s+THAN\s*)?\(((?:[^()]|\([^()]*\))*)\)",
                match.group(4), re.I)
            result[self.pg_name(statement)] = Partitioning(match.group(1).upper(), unquote(match.group(2)),
                                                           match.group(3), partitions)
        return result

    def check_constraints(self) -> dict[str, list[tuple[str, str]]]:
        """(constraint name, condition) of the CHECK constraints, by PostgreSQL table name."""
        result: dict[str, list[tuple[str, str]]] = {}
        for statement in self.statements:
            if statement.kind not in ("table", "alter"):
                continue
            for match in re.finditer(rf"CONSTRAINT\s+({NAME})\s+CHECK\s*\(", statement.text, re.I):
                start = match.end() - 1
                result.setdefault(self.pg_name(statement), []).append(
                    (unquote(match.group(1)), balanced(statement.text, start)[1:-1].strip()))
        return result

    def materialized_views(self) -> set[str]:
        return {self.pg_name(s) for s in self.statements if s.kind == "mview"}

    @staticmethod
    def pg_name(statement: OracleStatement) -> str:
        return f"{ORACLE_TO_POSTGRES_SCHEMA.get(statement.schema, statement.schema.lower())}.{statement.table}"


def balanced(text: str, start: int) -> str:
    """The parenthesised text starting at text[start] == '(' (quotes respected)."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch == "'":
            i = text.index("'", i + 1)
            while text[i + 1:i + 2] == "'":
                i = text.index("'", i + 2)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
        i += 1
    raise Ora2pgError(f"unbalanced parentheses in: {text[start:start + 120]}")


def read_oracle_ddl(input_dir: Path = DEFAULT_INPUT_DIR) -> OracleDDL:
    statements = []
    files = sorted(Path(input_dir).glob("*.sql"))
    if not files:
        raise Ora2pgError(f"no Oracle DDL (*.sql) in {input_dir}")
    for path in files:
        for text in split_sql(path.read_text()):
            statement = classify(text, path.name)
            if statement is not None:
                statements.append(statement)
    unknown = {s.schema for s in statements} - set(ORACLE_TO_POSTGRES_SCHEMA)
    if unknown:
        raise Ora2pgError(f"objects in unknown Oracle schemas: {', '.join(sorted(unknown))}")
    return OracleDDL(statements)


# --------------------------------------------------------------------------------------------
# Input patches: the Oracle DDL handed to ora2pg -i (offline only)
# --------------------------------------------------------------------------------------------

def check_constraints_with_state(statement: str) -> str:
    """ora2pg 23.2's -i parser keeps `ALTER TABLE t ADD CONSTRAINT c CHECK (...)` only when a
    constraint state (ENABLE, VALIDATE...) follows the condition: with the ';' right after it, the
    constraint is silently dropped. ENABLE is Oracle's default state, so adding it changes nothing."""
    if re.match(r"^ALTER\s+TABLE\b.*\bCHECK\s*\(", statement, re.S | re.I) and not re.search(
            r"\b(ENABLE|DISABLE|VALIDATE|NOVALIDATE)\s*$", statement, re.I):
        return statement + " ENABLE"
    return statement


def materialized_views_as_views(statement: str) -> str:
    """ora2pg has no -i parser for CREATE MATERIALIZED VIEW (its MVIEW export reads ALL_MVIEWS from a
    live Oracle): the query goes through the VIEW parser, which translates it (CAST AS NUMBER(19),
    COALESCE...), and views_as_materialized_views turns the result back into a materialized view."""
    return re.sub(
        rf"^CREATE\s+MATERIALIZED\s+VIEW\s+({NAME}\.{NAME})\s+(?:BUILD\s+(?:DEFERRED|IMMEDIATE)\s+)?"
        r"(?:REFRESH\s+(?:COMPLETE|FAST|FORCE)\s+ON\s+(?:DEMAND|COMMIT)\s+)?AS\b",
        r"CREATE VIEW \1 AS", statement, flags=re.S | re.I)


# --------------------------------------------------------------------------------------------
# Output patches: ora2pg's PostgreSQL DDL -> schema/postgres
# --------------------------------------------------------------------------------------------

@dataclass
class PatchContext:
    oracle_schema: str
    pg_schema: str
    oracle: OracleDDL


Patch = Callable[[str, PatchContext], str]


def rename_oracle_schemas(sql: str, ctx: PatchContext) -> str:
    """Section 8.6: `sed -E "s/atlas_(panda[^.]*)/doma_\\1/gi"`. ora2pg keeps the Oracle schema as the
    qualifier of tables, indexes and foreign-key targets (-N only sets the search_path)."""
    return re.sub(r'(?i)"?\batlas_(pandaarch|pandameta|panda|deft)\b"?',
                  lambda m: "doma_" + m.group(1).lower(), sql)


def fix_alter_tabletable(sql: str, ctx: PatchContext) -> str:
    """ora2pg 23.2 writes the foreign keys it reads from ALTER TABLE (-i) as `ALTER TABLETABLE`."""
    return re.sub(r"\bALTER TABLETABLE\b", "ALTER TABLE", sql)


def retry_history_unique_with_timestamp(sql: str, ctx: PatchContext) -> str:
    """Section 8.6's documented correction: the unique index and unique constraint of
    jedi_job_retry_history must include ins_utc_tstamp, its partition key (PostgreSQL requires the
    partition key in every unique index of a partitioned table). schema/oracle already has it in
    both, so this is a no-op on our DDL; it matters for an Oracle exported as ATLAS has it."""
    def add(match: re.Match) -> str:
        columns = match.group(2)
        if "ins_utc_tstamp" in columns.lower():
            return match.group(0)
        return f"{match.group(1)}({columns.rstrip()}, ins_utc_tstamp)"
    sql = re.sub(r"(CREATE UNIQUE INDEX jedi_job_retry_history_uq ON \S+ )\(([^)]*)\)", add, sql)
    return re.sub(r"(ALTER TABLE \S*jedi_job_retry_history ADD (?:CONSTRAINT \S+ )?UNIQUE )\(([^)]*)\)", add, sql)


def split_top_level(text: str) -> list[str]:
    """text split at the commas outside parentheses and quotes."""
    parts, depth, current, i = [], 0, [], 0
    while i < len(text):
        ch = text[i]
        if ch == "'":
            end = i + 1
            while end < len(text) and (text[end] != "'" or text[end + 1:end + 2] == "'"):
                end += 2 if text[end] == "'" else 1
            current.append(text[i:end + 1])
            i = end + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current).strip())
    return parts


def lower_outside_quotes(text: str) -> str:
    """Oracle SQL to PostgreSQL case: identifiers lower case (double quotes dropped), literals kept."""
    return "".join(piece if piece.startswith("'") else piece.replace('"', "").lower()
                   for piece in re.split(r"('(?:[^']|'')*')", text))


def repair_expression_index_columns(sql: str, ctx: PatchContext) -> str:
    """ora2pg 23.2's -i parser splits an index's column list at every comma, also inside an expression,
    and puts each piece holding a parenthesis in parentheses: CASE WHEN s IN ('a', 'b') THEN c END
    comes out as (case when s in ('a'), 'b' then c end), COALESCE(g, ' ') as coalesce(g), (' '), and a
    DESC ends up inside the expression's parentheses. The column list of such an index is rebuilt from
    the Oracle text: one element per top-level expression, expressions in parentheses, ASC/DESC after."""
    for statement in ctx.oracle.of_schema(ctx.oracle_schema, "index"):
        match = re.match(rf"^CREATE\s+(UNIQUE\s+)?INDEX\s+(?:{NAME}\.)?({NAME})\s+ON\s+{NAME}\.{NAME}\s*\(",
                         statement.text, re.I)
        columns = split_top_level(balanced(statement.text, match.end() - 1)[1:-1])
        if all(re.fullmatch(rf"{NAME}(\s+(ASC|DESC))?", column, re.I) for column in columns):
            continue  # plain columns: ora2pg gets them right
        elements = []
        for column in columns:
            order = re.search(r"\s+(ASC|DESC)$", column, re.I)
            expression = column[:order.start()] if order else column
            expression = lower_outside_quotes(expression.strip())
            if not re.fullmatch(r"[a-z_][a-z0-9_$#]*", expression):
                expression = f"({expression})"
            elements.append(expression + (f" {order.group(1).upper()}" if order else ""))
        index, table = unquote(match.group(2)), OracleDDL.pg_name(statement)
        unique = "UNIQUE " if match.group(1) else ""
        sql = re.sub(rf"^CREATE {unique}INDEX {re.escape(index)} ON {re.escape(table)} .*;$",
                     lambda m: f"CREATE {unique}INDEX {index} ON {table} ({', '.join(elements)});", sql, flags=re.M)
    return sql


def restore_check_constraint_names(sql: str, ctx: PatchContext) -> str:
    """ora2pg (-i) renames a CHECK declared inside CREATE TABLE to <name>_<first column>
    (pandadb_scheduled_jobs_enabled_ck -> pandadb_scheduled_jobs_enabled_ck_enabled); the Oracle names
    are schema/postgres's names, which the stored logic and the error mapping rely on."""
    names = {name for checks in ctx.oracle.check_constraints().values() for name, _ in checks}

    def rename(match: re.Match) -> str:
        name = match.group(2)
        if name in names:
            return match.group(0)
        candidates = [n for n in names if name.startswith(n + "_")]
        return match.group(1) + max(candidates, key=len) + match.group(3) if candidates else match.group(0)
    return re.sub(r"(ADD CONSTRAINT )(\w+)( CHECK\b)", rename, sql)


def lower_quoted_identifiers_in_checks(sql: str, ctx: PatchContext) -> str:
    """Oracle's reserved words used as column names are written quoted and upper case ("TYPE",
    "VALUE"); ora2pg lower-cases the column names of CREATE TABLE but copies CHECK conditions as
    written, so CHECK ("VALUE" >= 0) names a column that does not exist."""
    return "\n".join(re.sub(r'"([A-Z][A-Z0-9_$#]*)"', lambda m: f'"{m.group(1).lower()}"', line)
                     if re.match(r"ALTER TABLE \S+ ADD CONSTRAINT \S+ CHECK\b", line) else line
                     for line in sql.split("\n"))


def trim_not_null_check(sql: str, ctx: PatchContext) -> str:
    """ora2pg reads CHECK (TRIM(col) IS NOT NULL) as a NOT NULL column and writes
    `ALTER COLUMN TRIM(col) SET NOT NULL`, which does not load. In Oracle '' is NULL, so the check
    means "not blank": in PostgreSQL CHECK (btrim(col) <> ''), named as in Oracle."""
    checks = ctx.oracle.check_constraints()

    def replace(match: re.Match) -> str:
        table, column = match.group(1), match.group(2).lower()
        for name, condition in checks.get(table, []):
            if re.fullmatch(rf"TRIM\s*\(\s*\"?{column}\"?\s*\)\s+IS\s+NOT\s+NULL", condition, re.I):
                return f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (btrim({column}) <> '');"
        return match.group(0)
    return re.sub(r"ALTER TABLE (\S+) ALTER COLUMN TRIM\((\w+)\) SET NOT NULL;", replace, sql, flags=re.I)


def regexp_like_check_as_regex_match(sql: str, ctx: PatchContext) -> str:
    """ora2pg turns CHECK (REGEXP_LIKE(col, 'pattern')) into a three-fold regexp_match() expression;
    PostgreSQL's own spelling (schema/postgres) is CHECK (col ~ 'pattern')."""
    for table, checks in ctx.oracle.check_constraints().items():
        for name, condition in checks:
            match = re.fullmatch(r"REGEXP_LIKE\s*\(\s*\"?(\w+)\"?\s*,\s*('(?:[^']|'')*')\s*\)", condition, re.I)
            if match:
                sql = re.sub(rf"^(ALTER TABLE {re.escape(table)} ADD CONSTRAINT {name} CHECK ).*;$",
                             lambda m: f"{m.group(1)}({match.group(1).lower()} ~ {match.group(2)});", sql, flags=re.M)
    return sql


def drop_boolean_encoding_checks(sql: str, ctx: PatchContext) -> str:
    """NUMBER(1) columns become boolean (REPLACE_AS_BOOLEAN NUMBER:1); their Oracle CHECK (col IN (0, 1))
    only encoded "boolean" and cannot be evaluated on a boolean column (boolean = integer)."""
    booleans = set()
    for match in re.finditer(r"CREATE (?:UNLOGGED )?TABLE (\S+) \((.*?)\n\)", sql, re.S):
        for column in re.findall(r'^\s+"?(\w+)"? boolean\b', match.group(2), re.M):
            booleans.add((match.group(1), column.lower()))
    def keep(line: str) -> bool:
        m = re.match(r'ALTER TABLE (\S+) ADD CONSTRAINT \w+ CHECK \("?(\w+)"? IN \(0, ?1\)\);$', line)
        return not (m and (m.group(1), m.group(2).lower()) in booleans)
    return "\n".join(line for line in sql.split("\n") if keep(line))


def fix_comment_quotes(sql: str, ctx: PatchContext) -> str:
    """ora2pg (-i) keeps Oracle's doubled quotes inside a comment and escapes them again:
    'a ''b''' comes out as E'a ''''b'''''. One level of doubling is the right one."""
    return "\n".join(line.replace("''''", "''") if line.startswith("COMMENT ON ") else line
                     for line in sql.split("\n"))


def add_partitioning(sql: str, ctx: PatchContext) -> str:
    """ora2pg's -i parser ignores the partition clause of CREATE TABLE; a live export writes
    PARTITION BY itself (then this patch leaves the table alone). The Oracle interval/list
    partitioning becomes PARTITION BY RANGE/LIST (key) with the same key; the partitions themselves
    are made by partition maintenance (pandadb partitions / pg_partman) and default_partitions.
    The ATLAS_PANDAARCH tables stay plain (ORACLE_ONLY_PARTITIONED)."""
    for table, partitioning in ctx.oracle.partitioning().items():
        if not table.startswith(ctx.pg_schema + ".") or table in ORACLE_ONLY_PARTITIONED:
            continue
        pattern = re.compile(rf"(CREATE (?:UNLOGGED )?TABLE {re.escape(table)} \(.*?\n\))([^;]*);", re.S)

        def partition(match: re.Match) -> str:
            if "PARTITION BY" in match.group(2).upper():
                return match.group(0)
            return f'{match.group(1)} PARTITION BY {partitioning.kind} ("{partitioning.column}");'
        sql = pattern.sub(partition, sql, count=1)
    return sql


def remove_oracle_only_partitioning(sql: str, ctx: PatchContext) -> str:
    """A live export partitions the ATLAS_PANDAARCH tables as Oracle does; schema/postgres does not
    (ORACLE_ONLY_PARTITIONED): drop their PARTITION BY and the partitions ora2pg made for them."""
    for table in ORACLE_ONLY_PARTITIONED:
        if table.startswith(ctx.pg_schema + "."):
            sql = re.sub(rf"(CREATE (?:UNLOGGED )?TABLE {re.escape(table)} \(.*?\n\))\s*PARTITION BY [^;]*;",
                         r"\1;", sql, flags=re.S)
            sql = re.sub(rf"^CREATE TABLE \S+ PARTITION OF {re.escape(table)}\b[^;]*;\n?", "", sql, flags=re.M)
    return sql


def default_partitions(ctx: PatchContext) -> str:
    """The PostgreSQL counterpart of Oracle's interval partitioning (which creates the partition of a
    new key on insert): a DEFAULT partition per range-partitioned table, named as pg_partman names it
    (<table>_default), so the table is writable before partition maintenance has run. Oracle's list
    partitions P_<X> VALUES (...) become <table>_<x> FOR VALUES IN (...), VALUES (DEFAULT) a DEFAULT
    partition."""
    lines = []
    for table, partitioning in sorted(ctx.oracle.partitioning().items()):
        if not table.startswith(ctx.pg_schema + ".") or table in ORACLE_ONLY_PARTITIONED:
            continue
        if partitioning.kind == "RANGE":
            lines.append(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT;")
            continue
        for name, values in partitioning.partitions:
            suffix = re.sub(r"^p_", "", unquote(name))
            bound = "DEFAULT" if values.strip().upper() == "DEFAULT" else f"FOR VALUES IN ({values.strip()})"
            lines.append(f"CREATE TABLE {table}_{suffix} PARTITION OF {table} {bound};")
    return "\n".join(lines) + ("\n" if lines else "")


def move_materialized_view_indexes(sql: str, ctx: PatchContext) -> tuple[str, list[str]]:
    """ora2pg puts the indexes of a materialized view into the TABLE file, before the view exists:
    they are moved after the view (returned, for the VIEW file)."""
    moved = []
    for view in ctx.oracle.materialized_views():
        if not view.startswith(ctx.pg_schema + "."):
            continue
        pattern = re.compile(rf"^CREATE (?:UNIQUE )?INDEX \S+ ON {re.escape(view)} [^;]*;\n?", re.M)
        moved += [m.group(0).rstrip("\n") for m in pattern.finditer(sql)]
        sql = pattern.sub("", sql)
    return sql, moved


def views_as_materialized_views(sql: str, ctx: PatchContext) -> str:
    """The other half of materialized_views_as_views: the views that were materialized in Oracle are
    created as materialized views WITH NO DATA (Oracle's BUILD DEFERRED: empty until the first
    refresh; the scheduled job refreshes them)."""
    for view in ctx.oracle.materialized_views():
        if not view.startswith(ctx.pg_schema + "."):
            continue
        pattern = re.compile(rf"CREATE (?:OR REPLACE )?VIEW {re.escape(view)} AS\b(.*?);", re.S)
        sql = pattern.sub(lambda m: f"CREATE MATERIALIZED VIEW {view} AS{m.group(1).rstrip()}\nWITH NO DATA;", sql)
        sql = re.sub(rf"^ALTER VIEW {re.escape(view)} OWNER TO", f"ALTER MATERIALIZED VIEW {view} OWNER TO", sql, flags=re.M)
    return sql


def reset_sequences(sql: str, ctx: PatchContext) -> str:
    """Section 8.6: `sed -E "s/START +[0-9]+/START 1/" | sed -E "s/MINVALUE +([0-9]+)/MINVALUE 1/"`:
    a live export starts each sequence at Oracle's current value; the data copy sets them past the
    copied ids (copy.advance_sequences), so the DDL starts at 1."""
    return re.sub(r"MINVALUE +[0-9]+", "MINVALUE 1", re.sub(r"START +[0-9]+", "START 1", sql))


def sequence_cache_as_postgres(sql: str, ctx: PatchContext) -> str:
    """Oracle's CACHE 1000 is shared by all sessions (in the SGA); PostgreSQL caches per session, so
    CACHE 1000 would skip up to 1000 numbers for every connection that draws one. schema/postgres uses
    PostgreSQL's default (1)."""
    return re.sub(r" CACHE \d+", "", sql)


def strip_psql_meta_commands(sql: str, ctx: PatchContext) -> str:
    r"""ora2pg writes psql scripts (\set ON_ERROR_STOP ON); the loader sends plain SQL. The
    loader stops on the first error anyway (one transaction)."""
    return "\n".join(line for line in sql.split("\n") if not line.startswith("\\"))


# Applied in this order to ora2pg's TABLE output of each schema
TABLE_PATCHES: list[Patch] = [
    strip_psql_meta_commands,
    rename_oracle_schemas,
    fix_alter_tabletable,
    repair_expression_index_columns,
    retry_history_unique_with_timestamp,
    restore_check_constraint_names,
    lower_quoted_identifiers_in_checks,
    trim_not_null_check,
    regexp_like_check_as_regex_match,
    drop_boolean_encoding_checks,
    fix_comment_quotes,
    add_partitioning,
    remove_oracle_only_partitioning,
]
SEQUENCE_PATCHES: list[Patch] = [strip_psql_meta_commands, rename_oracle_schemas, reset_sequences,
                                 sequence_cache_as_postgres]
VIEW_PATCHES: list[Patch] = [strip_psql_meta_commands, rename_oracle_schemas, views_as_materialized_views]
# every patch, for the report and the docs
PATCHES: list[Callable] = [check_constraints_with_state, materialized_views_as_views, *TABLE_PATCHES,
                           default_partitions, move_materialized_view_indexes, *SEQUENCE_PATCHES[2:],
                           views_as_materialized_views]


# --------------------------------------------------------------------------------------------
# Running ora2pg and the drivers
# --------------------------------------------------------------------------------------------

@dataclass
class ConversionResult:
    output_dir: Path
    files: list[Path]  # in load order
    patches_applied: dict[str, int] = field(default_factory=dict)  # patch -> statements (input) or files it changed
    ora2pg_version: str = ""


def run_ora2pg(export_type: str, config: Path, output: Path, *, oracle_schema: str, pg_schema: str,
               input_file: Path | None = None, oracle_user: str | None = None, quiet: bool = True,
               binary: str | None = None) -> str:
    """One ora2pg run; returns the SQL it wrote ('' when it exported nothing)."""
    command = [binary or find_ora2pg(), "-t", export_type, "-c", str(config), "-b", str(output.parent),
               "-o", output.name, "-n", oracle_schema, "-N", pg_schema]
    if input_file is not None:
        command += ["-i", str(input_file)]
    if oracle_user:
        command += ["-u", oracle_user]
    if quiet:
        command.append("-q")
    run = subprocess.run(command, capture_output=True, text=True, cwd=output.parent)
    if run.returncode != 0:
        raise Ora2pgError(f"ora2pg -t {export_type} for {oracle_schema} failed (exit {run.returncode}):\n"
                          f"{run.stderr.strip() or run.stdout.strip()}")
    return output.read_text() if output.exists() else ""


def _apply(patches: list[Patch], sql: str, ctx: PatchContext, applied: dict[str, int]) -> str:
    for patch in patches:
        patched = patch(sql, ctx)
        if patched != sql and patch is not strip_psql_meta_commands:
            applied[patch.__name__] = applied.get(patch.__name__, 0) + 1
        sql = patched
    return sql


SCHEMAS_SQL = "".join(f"CREATE SCHEMA IF NOT EXISTS {schema};\n" for schema in POSTGRES_SCHEMAS)


def convert(output_dir: Path, *, input_dir: Path | None = DEFAULT_INPUT_DIR, oracle_dsn: str | None = None,
            oracle_user: str | None = None, owner: str | None = None, progress: Callable[[str], None] | None = None,
            ddl_dir: Path | None = None) -> ConversionResult:
    """Convert the Oracle schemas into PostgreSQL DDL under output_dir.

    Offline (oracle_dsn None): from the DDL files in input_dir. Live (oracle_dsn given, e.g.
    'dbi:Oracle:host:1521/service'): ora2pg reads each schema from Oracle as user ATLAS_X (or
    oracle_user) with the password in ORA2PG_PASSWD; the Oracle DDL files (ddl_dir, default
    schema/oracle) still tell the patches how the tables are partitioned and named. The live path
    cannot run on this project's machines (no Oracle server): it is the documented ora2pg loop plus
    the same patches, each written to leave output that is already right alone, but it is untested.
    """
    say = progress or (lambda message: None)
    binary = find_ora2pg()
    output_dir = Path(output_dir)
    raw_dir = output_dir / "ora2pg"
    input_copy_dir = output_dir / "input"
    for directory in (output_dir, raw_dir, input_copy_dir):
        directory.mkdir(parents=True, exist_ok=True)
    oracle = read_oracle_ddl(ddl_dir or input_dir or DEFAULT_INPUT_DIR)
    live = oracle_dsn is not None
    if live and not os.environ.get("ORA2PG_PASSWD"):
        raise Ora2pgError("set ORA2PG_PASSWD to the Oracle password (it is never written to a file)")
    applied: dict[str, int] = {}
    files = [output_dir / "00_schemas.sql"]
    files[0].write_text(SCHEMAS_SQL)
    tables, sequences, views, partitions, fkeys = [], [], [], [], []
    for oracle_schema, pg_schema in ORACLE_TO_POSTGRES_SCHEMA.items():
        ctx = PatchContext(oracle_schema, pg_schema, oracle)
        config = raw_dir / f"ora2pg_{pg_schema}.conf"
        config.write_text(render_config(oracle_dsn=oracle_dsn or "dbi:Oracle:none", oracle_user=oracle_user or oracle_schema,
                                        schema=oracle_schema, pg_schema=pg_schema, owner=owner, debug=live))
        inputs = {}
        if not live:
            for export_type, kinds, input_patches in (
                    ("TABLE", ("table", "index", "alter", "comment"), [check_constraints_with_state]),
                    ("SEQUENCE", ("sequence",), []),
                    ("VIEW", ("view", "mview"), [materialized_views_as_views])):
                statements = []
                for statement in oracle.of_schema(oracle_schema, *kinds):
                    text = statement.text
                    for patch in input_patches:
                        patched = patch(text)
                        if patched != text:
                            applied[patch.__name__] = applied.get(patch.__name__, 0) + 1
                        text = patched
                    statements.append(text + ";\n")
                if statements:
                    inputs[export_type] = input_copy_dir / f"{export_type}_{oracle_schema}.sql"
                    inputs[export_type].write_text("".join(statements))
        # live: MVIEW reads the materialized views from ALL_MVIEWS (written into the VIEW file below)
        export_types = ("TABLE", "SEQUENCE", "VIEW", "MVIEW") if live else tuple(inputs)
        outputs = {}
        for export_type in export_types:
            say(f"ora2pg -t {export_type} {oracle_schema} -> {pg_schema}")
            out = raw_dir / f"{export_type}_{pg_schema}.sql"
            outputs[export_type] = run_ora2pg(export_type, config, out, oracle_schema=oracle_schema, pg_schema=pg_schema,
                                              input_file=inputs.get(export_type), binary=binary,
                                              oracle_user=(oracle_user or oracle_schema) if live else None, quiet=not live)
        table_sql = outputs.get("TABLE", "")
        fkey_file = raw_dir / f"FKEYS_TABLE_{pg_schema}.sql"  # FILE_PER_FKEYS (live export)
        fkey_sql = fkey_file.read_text() if fkey_file.exists() else ""
        if table_sql:
            table_sql = _apply(TABLE_PATCHES, table_sql, ctx, applied)
            table_sql, mview_indexes = move_materialized_view_indexes(table_sql, ctx)
            if mview_indexes:
                applied["move_materialized_view_indexes"] = applied.get("move_materialized_view_indexes", 0) + 1
            # foreign keys after every table of every schema
            fk_pattern = re.compile(r"^ALTER TABLE \S+ ADD CONSTRAINT \S+ FOREIGN KEY[^;]*;\n?", re.M)
            fkey_sql += "".join(m.group(0) for m in fk_pattern.finditer(table_sql))
            table_sql = fk_pattern.sub("", table_sql)
            tables.append((pg_schema, table_sql))
            partition_sql = default_partitions(ctx)
            if partition_sql:
                applied["default_partitions"] = applied.get("default_partitions", 0) + 1
                partitions.append((pg_schema, partition_sql))
        else:
            mview_indexes = []
        if fkey_sql:
            fkeys.append((pg_schema, _apply([strip_psql_meta_commands, rename_oracle_schemas, fix_alter_tabletable],
                                            fkey_sql, ctx, applied)))
        if outputs.get("SEQUENCE"):
            sequences.append((pg_schema, _apply(SEQUENCE_PATCHES, outputs["SEQUENCE"], ctx, applied)))
        if outputs.get("VIEW") or outputs.get("MVIEW") or mview_indexes:
            view_sql = _apply(VIEW_PATCHES, outputs.get("VIEW", "") + "\n" + outputs.get("MVIEW", ""), ctx, applied)
            views.append((pg_schema, view_sql + "\n" + "\n".join(mview_indexes) + "\n"))
    for prefix, parts in (("10_TABLE", tables), ("20_PARTITIONS", partitions), ("30_SEQUENCE", sequences),
                          ("40_VIEW", views), ("50_FKEYS", fkeys)):
        for pg_schema, sql in parts:
            path = output_dir / f"{prefix}_{pg_schema}.sql"
            path.write_text(sql)
            files.append(path)
    (output_dir / "load_order.txt").write_text("".join(f"{path.name}\n" for path in files))
    return ConversionResult(output_dir, files, applied, ora2pg_version(binary))


def converted_files(output_dir: Path) -> list[Path]:
    order = Path(output_dir) / "load_order.txt"
    if not order.exists():
        raise Ora2pgError(f"{output_dir} holds no conversion (load_order.txt missing): run `pandadb ora2pg convert`")
    return [Path(output_dir) / name for name in order.read_text().split()]


def load_converted(output_dir: Path, database_url: str) -> None:
    """Load a conversion into a database, all files in one transaction (nothing left on error)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        for path in converted_files(output_dir):
            sql = path.read_text()
            if not sql.strip():
                continue
            try:
                conn.execute(sql)
            except psycopg.Error as error:
                raise Ora2pgError(f"{path.name} does not load: {error}") from error


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
        description += {"a": " GENERATED ALWAYS AS IDENTITY", "d": " GENERATED BY DEFAULT AS IDENTITY"}.get(identity, "")
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
    return CheckResult(compare_catalogs(catalog_snapshot(migrated_url), catalog_snapshot(converted_url)),
                       dict(ALLOWED_DIFFERENCES if allowed is None else allowed))


def convert_into_temporary_directory(**kwargs) -> tuple[ConversionResult, tempfile.TemporaryDirectory]:
    holder = tempfile.TemporaryDirectory(prefix="pandadb-ora2pg-")
    return convert(Path(holder.name), **kwargs), holder
