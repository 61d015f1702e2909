"""Reading the Oracle DDL of schema/oracle (or a directory like it) without an Oracle server: the
statements sorted by Oracle schema and kind, the partitioning sqlglot-free, and the input patches
that make ora2pg's offline (-i) parser accept them. Used by convert.py, patches.py and copy.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUT_DIR = PROJECT_ROOT / "schema" / "oracle"

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
ORACLE_ONLY_PARTITIONED = frozenset(
    {
        "doma_pandaarch.jobsarchived",
        "doma_pandaarch.filestable_arch",
        "doma_pandaarch.jobparamstable_arch",
        "doma_pandaarch.metatable_arch",
    }
)


class Ora2pgError(RuntimeError):
    """ora2pg is missing or failed, or the conversion result does not load."""


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
                    if text[end + 1 : end + 2] == ch:
                        end += 2
                        continue
                    break
                end += 1
            current.append(text[i : end + 1])
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
    (
        "index",
        re.compile(rf"^CREATE\s+(?:UNIQUE\s+|BITMAP\s+)?INDEX\s+(?:{NAME}\.)?{NAME}\s+ON\s+({NAME})\.({NAME})", re.I),
    ),
    ("alter", re.compile(rf"^ALTER\s+TABLE\s+({NAME})\.({NAME})", re.I)),
    ("comment", re.compile(rf"^COMMENT\s+ON\s+(?:TABLE|COLUMN)\s+({NAME})\.({NAME})", re.I)),
    ("mview", re.compile(rf"^CREATE\s+MATERIALIZED\s+VIEW\s+({NAME})\.({NAME})", re.I)),
    ("view", re.compile(rf"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:FORCE\s+)?VIEW\s+({NAME})\.({NAME})", re.I)),
    # rows (registration defaults): not DDL, they come over with the data copy
    ("data", re.compile(rf"^(?:MERGE\s+INTO|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+({NAME})\.({NAME})", re.I)),
]


def classify(statement: str, file: str) -> OracleStatement | None:
    """The statement's schema, kind and object; None for a statement the driver does not know."""
    for kind, pattern in STATEMENT_KINDS:
        match = pattern.match(statement)
        if match:
            return OracleStatement(file, unquote(match.group(1)).upper(), kind, unquote(match.group(2)), statement)
    return None


@dataclass
class Partitioning:
    kind: str  # RANGE or LIST
    column: str  # lower case
    interval: str | None
    partitions: list[tuple[str, str]]  # (name, values) as written in Oracle


@dataclass
class OracleDDL:
    statements: list[OracleStatement]
    # what was dropped or not converted, with the reason (ora2pg/export.py)
    report: list = field(default_factory=list)

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
                statement.text,
                re.S | re.I,
            )
            if not match:
                continue
            partitions = re.findall(
                rf"PARTITION\s+({NAME})\s+VALUES\s+(?:LESS\s+THAN\s*)?\(((?:[^()]|\([^()]*\))*)\)", match.group(4), re.I
            )
            result[self.pg_name(statement)] = Partitioning(
                match.group(1).upper(), unquote(match.group(2)), match.group(3), partitions
            )
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
                    (unquote(match.group(1)), balanced(statement.text, start)[1:-1].strip())
                )
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
            while text[i + 1 : i + 2] == "'":
                i = text.index("'", i + 2)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
        i += 1
    raise Ora2pgError(f"unbalanced parentheses in: {text[start : start + 120]}")


def read_oracle_ddl(input_dir: Path = DEFAULT_INPUT_DIR) -> OracleDDL:
    """The DDL of a directory of *.sql files (schema/oracle) or of one export file (DBMS_METADATA,
    SQL Developer, expdp SQLFILE): every statement is converted, dropped or reported as not
    converted, with its reason (export.py); reading never stops at an unknown statement."""
    from ora2pg.export import ReportEntry, classify_script_statement, split_script

    path = Path(input_dir)
    files = [path] if path.is_file() else sorted(path.glob("*.sql"))
    if not files:
        raise Ora2pgError(f"no Oracle DDL (*.sql) in {input_dir}")
    statements, report = [], []
    for file in files:
        for script_statement in split_script(file.read_text(errors="replace"), file.name):
            normalised = classify_script_statement(script_statement)
            report += normalised.entries
            if normalised.text is None:
                continue
            statement = classify(normalised.text, file.name)
            if statement is None:
                report.append(
                    ReportEntry(
                        "not converted",
                        script_statement.source,
                        " ".join(normalised.text.split())[:160],
                        "a statement the conversion driver does not know: convert it by hand if it "
                        "matters, or tell the PanDA DB developers",
                    )
                )
            elif statement.schema not in ORACLE_TO_POSTGRES_SCHEMA:
                report.append(
                    ReportEntry(
                        "not converted",
                        script_statement.source,
                        " ".join(normalised.text.split())[:160],
                        f"schema {statement.schema} is not one of PanDA's ({', '.join(ORACLE_TO_POSTGRES_SCHEMA)})",
                    )
                )
            else:
                statements.append(statement)
    return OracleDDL(statements, report)


# --------------------------------------------------------------------------------------------
# Input patches: the Oracle DDL handed to ora2pg -i (offline only)
# --------------------------------------------------------------------------------------------


def check_constraints_with_state(statement: str) -> str:
    """ora2pg 23.2's -i parser keeps `ALTER TABLE t ADD CONSTRAINT c CHECK (...)` only when a
    constraint state (ENABLE, VALIDATE...) follows the condition: with the ';' right after it, the
    constraint is silently dropped. ENABLE is Oracle's default state, so adding it changes nothing."""
    if re.match(r"^ALTER\s+TABLE\b.*\bCHECK\s*\(", statement, re.S | re.I) and not re.search(
        r"\b(ENABLE|DISABLE|VALIDATE|NOVALIDATE)\s*$", statement, re.I
    ):
        return statement + " ENABLE"
    return statement


def materialized_views_as_views(statement: str) -> str:
    """ora2pg has no -i parser for CREATE MATERIALIZED VIEW (its MVIEW export reads ALL_MVIEWS from a
    live Oracle): the query goes through the VIEW parser, which translates it (CAST AS NUMBER(19),
    COALESCE...), and views_as_materialized_views turns the result back into a materialized view."""
    return re.sub(
        rf"^CREATE\s+MATERIALIZED\s+VIEW\s+({NAME}\.{NAME})\s+(?:BUILD\s+(?:DEFERRED|IMMEDIATE)\s+)?"
        r"(?:REFRESH\s+(?:COMPLETE|FAST|FORCE)\s+ON\s+(?:DEMAND|COMMIT)\s+)?AS\b",
        r"CREATE VIEW \1 AS",
        statement,
        flags=re.S | re.I,
    )
