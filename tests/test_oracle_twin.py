"""The Oracle twin (schema/oracle, procedures/oracle) matches the PostgreSQL side, without a database.

- Every statement of schema/oracle/*.sql is parsed with sqlglot's Oracle dialect (error level RAISE);
  a statement sqlglot can only take as an opaque 'Command' counts as a failure.
- Tables, columns (in order), types, partitioning, indexes, materialized views, the constraints of
  98_* and the default rows of 99_* are compared with schema/postgres/*.sql parsed with sqlglot's
  postgres dialect (ATLAS_X is doma_x; names compared case-insensitively).
- Oracle rules PostgreSQL does not have are checked: reserved words quoted, identifiers of at most
  128 bytes, no second visible index on a column list (ORA-01408), LOCAL indexes only on
  partitioned tables, no LOB in a key, SQL*Plus-safe text.
- Partial indexes have their function-based twins (CASE WHEN <predicate> THEN <column> END), and the
  Oracle dispatch query is written with those very expressions; booleans are NUMBER(1) checked 0/1.
- Every procedures/postgres file has its procedures/oracle twin declaring the same routines with the
  same parameters (name, default, OUT) and raising the same messages with RAISE_APPLICATION_ERROR
  (PD00n is -2000n); everything the PL/SQL names in ATLAS_* schemas and in its support package exists;
  the Oracle partition policy is partitions/policy.tsv; `pandadb migrate sql --dialect oracle` prints
  every table and routine, each PL/SQL unit ended by a '/' line.

sqlglot does not know a few genuine Oracle clauses. Those, and only those, are cut out of a
statement before it is parsed (cut_oracle_clauses); each cut-out clause is matched against a
regular expression of its Oracle syntax instead, and what it says (partition key, interval,
LOCAL, INVISIBLE, BUILD DEFERRED) is kept for the comparisons.

Each test collects every difference and reports them all by name.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

ROOT = Path(__file__).resolve().parents[1]
ORACLE_SCHEMA = ROOT / "schema" / "oracle"
POSTGRES_SCHEMA = ROOT / "schema" / "postgres"
ORACLE_PROCEDURES = ROOT / "procedures" / "oracle"
POSTGRES_PROCEDURES = ROOT / "procedures" / "postgres"

# ATLAS_X on the Oracle side is doma_x on the PostgreSQL side
ORACLE_TO_POSTGRES_SCHEMA = {
    "ATLAS_PANDA": "doma_panda",
    "ATLAS_PANDAARCH": "doma_pandaarch",
    "ATLAS_PANDAMETA": "doma_pandameta",
    "ATLAS_DEFT": "doma_deft",
}
POSTGRES_TO_ORACLE_SCHEMA = {v: k for k, v in ORACLE_TO_POSTGRES_SCHEMA.items()}

# schema/postgres files whose Oracle twin is not written yet, with the reason. They are left out of
# the comparisons; test_postgres_files_without_an_oracle_twin_are_the_listed_ones fails for any other
# file without a twin, and for a listed file once its twin exists (then remove it from here).
POSTGRES_FILES_AWAITING_AN_ORACLE_TWIN: dict[str, str] = {}

# Partitioned only in Oracle (seed 004, section 8.4, ATLAS_PANDAARCH): partition key and interval.
ORACLE_ONLY_PARTITIONED = {
    ("doma_pandaarch", "jobsarchived"): ("modificationtime", "NUMTODSINTERVAL(3,'DAY')"),
    ("doma_pandaarch", "filestable_arch"): ("modificationtime", "NUMTOYMINTERVAL(1,'MONTH')"),
    ("doma_pandaarch", "jobparamstable_arch"): ("modificationtime", "NUMTOYMINTERVAL(1,'MONTH')"),
    ("doma_pandaarch", "metatable_arch"): ("modificationtime", "NUMTOYMINTERVAL(1,'MONTH')"),
}

# Oracle SQL reserved words (Oracle Database SQL Language Reference, appendix "Oracle SQL
# Reserved Words"): as identifiers they must be double-quoted.
ORACLE_RESERVED_WORDS = frozenset("""
    ACCESS ADD ALL ALTER AND ANY AS ASC AUDIT BETWEEN BY CHAR CHECK CLUSTER COLUMN COLUMN_VALUE
    COMMENT COMPRESS CONNECT CREATE CURRENT DATE DECIMAL DEFAULT DELETE DESC DISTINCT DROP ELSE
    EXCLUSIVE EXISTS FILE FLOAT FOR FROM GRANT GROUP HAVING IDENTIFIED IMMEDIATE IN INCREMENT INDEX
    INITIAL INSERT INTEGER INTERSECT INTO IS LEVEL LIKE LOCK LONG MAXEXTENTS MINUS MLSLABEL MODE
    MODIFY NESTED_TABLE_ID NOAUDIT NOCOMPRESS NOT NOWAIT NULL NUMBER OF OFFLINE ON ONLINE OPTION OR
    ORDER PCTFREE PRIOR PUBLIC RAW RENAME RESOURCE REVOKE ROW ROWID ROWNUM ROWS SELECT SESSION SET
    SHARE SIZE SMALLINT START SUCCESSFUL SYNONYM SYSDATE TABLE THEN TO TRIGGER UID UNION UNIQUE
    UPDATE USER VALIDATE VALUES VARCHAR VARCHAR2 VIEW WHENEVER WHERE WITH
""".split())

ORACLE_MAX_IDENTIFIER_BYTES = 128  # Oracle 12.2 and later
ORACLE_MAX_INDEX_KEY_BYTES = 6398  # 8 KB blocks: the longest B-tree index key (ORA-01450)


# --------------------------------------------------------------------------------------------
# Reading SQL text
# --------------------------------------------------------------------------------------------

def scan_sql(text: str) -> list[tuple[str, str]]:
    """The text cut into ('comment' | 'string' | 'identifier' | 'code', text) pieces:
    -- and /* */ comments, '...' literals, "..." identifiers (doubled quotes inside), the rest."""
    pieces: list[tuple[str, str]] = []
    i, n, code_start = 0, len(text), 0

    def flush(upto: int) -> None:
        if upto > code_start:
            pieces.append(("code", text[code_start:upto]))

    while i < n:
        if text.startswith("--", i) or text.startswith("/*", i):
            end = text.find("\n", i) if text[i] == "-" else text.find("*/", i + 2) + 2
            end = n if end <= 1 or end < i else end
            flush(i)
            pieces.append(("comment", text[i:end]))
            i = code_start = end
        elif text[i] in "'\"":
            quote, end = text[i], i + 1
            while end < n and (text[end] != quote or text[end + 1:end + 2] == quote):
                end += 2 if text[end] == quote else 1
            flush(i)
            pieces.append(("string" if quote == "'" else "identifier", text[i:end + 1]))
            i = code_start = end + 1
        else:
            i += 1
    flush(n)
    return pieces


def without_comments(text: str) -> str:
    return "".join(piece for kind, piece in scan_sql(text) if kind != "comment")


def without_comments_and_literals(text: str) -> str:
    return "".join("''" if kind == "string" else piece for kind, piece in scan_sql(text) if kind != "comment")


def string_literals(text: str) -> list[str]:
    return [piece[1:-1].replace("''", "'") for kind, piece in scan_sql(text) if kind == "string"]


@dataclass
class Statement:
    file: str
    line: int  # line of the statement's first code
    text: str  # comments removed
    raw: str  # as written, from its first code line to its ';'


def split_statements(text: str, file: str) -> list[Statement]:
    """Plain SQL split at ';' outside comments and quotes (schema files hold no PL/SQL blocks)."""
    statements: list[Statement] = []
    offset, start, code = 0, None, []
    for kind, piece in scan_sql(text):
        if kind != "code":
            if kind != "comment":
                start = offset if start is None else start
                code.append(piece)
            offset += len(piece)
            continue
        for part in re.split(r"(;)", piece):
            if part == ";" and start is not None:
                raw_start = text.rfind("\n", 0, start) + 1
                statements.append(Statement(file, text.count("\n", 0, start) + 1, "".join(code).strip(),
                                            text[raw_start:offset + 1]))
                start, code = None, []
            elif part != ";":
                if start is None and part.strip():
                    start = offset + len(part) - len(part.lstrip())
                if start is not None:
                    code.append(part)
            offset += len(part)
    if start is not None:
        statements.append(Statement(file, text.count("\n", 0, start) + 1, "".join(code).strip(), text[start:]))
    return statements


def schema_files(directory: Path) -> list[Path]:
    paths = sorted(directory.glob("*.sql"))
    if directory == POSTGRES_SCHEMA:
        paths = [p for p in paths if p.name not in POSTGRES_FILES_AWAITING_AN_ORACLE_TWIN]
    return paths


def schema_statements(directory: Path) -> list[Statement]:
    return [s for path in schema_files(directory) for s in split_statements(path.read_text(), path.name)]


# --------------------------------------------------------------------------------------------
# Oracle clauses sqlglot cannot parse: cut out, matched against their syntax instead
# --------------------------------------------------------------------------------------------

IDENT = r'(?:"[^"]+"|[A-Za-z][A-Za-z0-9_$#]*)'
DATE_BOUND = r"TO_DATE\('\d{4}-\d{2}-\d{2}',\s*'YYYY-MM-DD'\)"
RANGE_PARTITION = rf"PARTITION\s+{IDENT}\s+VALUES\s+LESS\s+THAN\s*\(\s*(?:{DATE_BOUND}|\d+|MAXVALUE)\s*\)"
LIST_PARTITION = rf"PARTITION\s+{IDENT}\s+VALUES\s*\(\s*(?:DEFAULT|'[^']*'(?:\s*,\s*'[^']*')*)\s*\)"
INTERVAL_VALUE = r"NUMTODSINTERVAL\(\s*\d+\s*,\s*'DAY'\s*\)|NUMTOYMINTERVAL\(\s*\d+\s*,\s*'(?:MONTH|YEAR)'\s*\)|\d+"

# CREATE TABLE ...) PARTITION BY RANGE|LIST (col) [INTERVAL (...)] (PARTITION ..., ...) [ENABLE ROW MOVEMENT]
# sqlglot (oracle) parses "PARTITION BY RANGE (col)", but not the INTERVAL clause of interval
# partitioning, the list of partition definitions or the row movement clause: those are cut out.
TABLE_PARTITIONING = re.compile(
    rf"\)\s*PARTITION\s+BY\s+(?P<kind>RANGE|LIST)\s*\(\s*(?P<column>{IDENT})\s*\)"
    rf"(?:\s*INTERVAL\s*\(\s*(?P<interval>{INTERVAL_VALUE})\s*\))?"
    rf"\s*\(\s*(?P<partitions>.*)\)"
    rf"(?P<row_movement>\s*ENABLE\s+ROW\s+MOVEMENT)?\s*$",
    re.S | re.I,
)
# CREATE [UNIQUE] INDEX schema.name ON schema.table (...) [LOCAL] [INVISIBLE]
# sqlglot (oracle) takes neither a schema-qualified index name (the schema is cut, it must be the
# table's), nor LOCAL (an index partitioned like its table), nor INVISIBLE.
INDEX_STATEMENT = re.compile(
    rf"^CREATE\s+(?P<unique>UNIQUE\s+)?INDEX\s+(?:(?P<index_schema>{IDENT})\.)?(?P<index>{IDENT})\s+ON\s+"
    rf"(?P<table_schema>{IDENT})\.(?P<table>{IDENT})\s*(?P<columns>\(.*\))"
    rf"\s*(?P<local>\bLOCAL)?\s*(?P<invisible>\bINVISIBLE)?\s*$",
    re.S | re.I,
)
# CREATE MATERIALIZED VIEW name BUILD DEFERRED|IMMEDIATE REFRESH COMPLETE|FAST|FORCE ON DEMAND|COMMIT AS ...
# sqlglot (oracle) takes neither the build clause nor the refresh clause: both are cut out.
MATERIALIZED_VIEW_OPTIONS = re.compile(
    rf"^(?P<head>CREATE\s+MATERIALIZED\s+VIEW\s+{IDENT}\.{IDENT})"
    r"\s+BUILD\s+(?P<build>DEFERRED|IMMEDIATE)\s+REFRESH\s+(?:COMPLETE|FAST|FORCE)\s+ON\s+(?:DEMAND|COMMIT)"
    r"(?P<tail>\s+AS\s+.*)$",
    re.S | re.I,
)


@dataclass
class OracleClauses:
    partition_kind: str | None = None
    partition_column: str | None = None
    interval: str | None = None
    row_movement: bool = False
    local: bool = False
    invisible: bool = False
    build: str | None = None


def cut_oracle_clauses(text: str) -> tuple[str, OracleClauses, list[str]]:
    """The statement without the clauses sqlglot cannot parse, what they say, what is wrong with them."""
    clauses, problems = OracleClauses(), []
    if re.match(r"CREATE\s+TABLE\b", text, re.I) and re.search(r"\)\s*PARTITION\s+BY\b", text, re.I):
        match = TABLE_PARTITIONING.search(text)
        if not match:
            return text, clauses, ["malformed partitioning clause"]
        clauses.partition_kind = match["kind"].upper()
        clauses.partition_column = match["column"].strip('"')
        clauses.interval = re.sub(r"\s+", "", match["interval"]).upper() if match["interval"] else None
        clauses.row_movement = bool(match["row_movement"])
        one = RANGE_PARTITION if clauses.partition_kind == "RANGE" else LIST_PARTITION
        if not re.fullmatch(rf"\s*{one}(?:\s*,\s*{one})*\s*", match["partitions"], re.S | re.I):
            problems.append(f"malformed {clauses.partition_kind} partition list: {match['partitions']!r}")
        if clauses.interval and clauses.partition_kind != "RANGE":
            problems.append("INTERVAL is only for RANGE partitioning")
        kept = f") PARTITION BY {clauses.partition_kind} ({match['column']})"
        return text[:match.start()] + kept, clauses, problems
    if re.match(r"CREATE\s+(UNIQUE\s+)?INDEX\b", text, re.I):
        match = INDEX_STATEMENT.match(text)
        if not match:
            return text, clauses, ["malformed CREATE INDEX"]
        clauses.local, clauses.invisible = bool(match["local"]), bool(match["invisible"])
        if match["index_schema"] and match["index_schema"].upper() != match["table_schema"].upper():
            problems.append(f"index {match['index']} is in schema {match['index_schema']}, "
                            f"its table in {match['table_schema']}")
        kept = (f"CREATE {'UNIQUE ' if match['unique'] else ''}INDEX {match['index']} "
                f"ON {match['table_schema']}.{match['table']} {match['columns']}")
        return kept, clauses, problems
    if re.match(r"CREATE\s+MATERIALIZED\s+VIEW\b", text, re.I):
        match = MATERIALIZED_VIEW_OPTIONS.match(text)
        if not match:
            return text, clauses, ["materialized view without a well-formed BUILD ... REFRESH ... clause"]
        clauses.build = match["build"].upper()
        return match["head"] + match["tail"], clauses, problems
    return text, clauses, problems


def parse_one_statement(text: str, dialect: str) -> exp.Expression:
    """Exactly one statement, parsed for real (an opaque 'Command' fallback is an error)."""
    parsed = [e for e in sqlglot.parse(text, read=dialect, error_level=ErrorLevel.RAISE) if e is not None]
    if len(parsed) != 1:
        raise ValueError(f"expected one statement, sqlglot found {len(parsed)}")
    if isinstance(parsed[0], exp.Command):
        raise ValueError("sqlglot could only take it as an opaque command: unsupported syntax")
    return parsed[0]


# --------------------------------------------------------------------------------------------
# A model of each side: tables, columns, keys, indexes, partitioning, materialized views
# --------------------------------------------------------------------------------------------

@dataclass
class Table:
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, type)
    quoted_columns: set[str] = field(default_factory=set)
    keys: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (constraint, columns)
    checks: list[str] = field(default_factory=list)  # CHECK conditions as Oracle SQL, upper case
    defaults: dict[str, str] = field(default_factory=dict)  # column (upper case) -> DEFAULT as Oracle SQL
    partition_kind: str | None = None
    partition_column: str | None = None
    interval: str | None = None
    row_movement: bool = False

    def column_type(self, column: str) -> str | None:
        return next((t for c, t in self.columns if c.upper() == column.upper()), None)


@dataclass
class Index:
    schema: str
    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool
    local: bool
    invisible: bool
    predicate: str | None = None  # a PostgreSQL partial index's WHERE, as comparable text


@dataclass
class Model:
    tables: dict[tuple[str, str], Table] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)
    views: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    view_build: dict[tuple[str, str], str | None] = field(default_factory=dict)
    statements: dict[str, list[tuple[Statement, exp.Expression]]] = field(default_factory=dict)
    statement_count: int = 0
    parse_errors: list[str] = field(default_factory=list)


def identifier_name(node: exp.Expression) -> str:
    return node.name if isinstance(node, (exp.Identifier, exp.Column)) else node.sql()


def table_key(table: exp.Table, dialect: str) -> tuple[str, str]:
    schema = ORACLE_TO_POSTGRES_SCHEMA.get(table.db.upper(), table.db) if dialect == "oracle" else table.db
    return schema.lower(), table.name.lower()


def oracle_types_as_written(create_table: str) -> dict[str, str]:
    """column -> type exactly as written in an Oracle CREATE TABLE (sqlglot reads VARCHAR as VARCHAR2)."""
    body = create_table[create_table.index("(") + 1:]
    items, depth, current = [], 0, []
    for kind, piece in scan_sql(body):
        if kind != "code":
            current.append(piece)
            continue
        for ch in piece:
            depth += (ch == "(") - (ch == ")")
            if depth < 0:
                break
            if ch == "," and depth == 0:
                items.append("".join(current))
                current = []
            else:
                current.append(ch)
        if depth < 0:
            break
    items.append("".join(current))
    types = {}
    for item in items:
        match = re.match(r'\s*("[^"]+"|\S+)\s+(INTERVAL\s+(?:DAY|YEAR)(?:\s*\(\d+\))?\s+TO\s+(?:SECOND|MONTH)'
                         r'(?:\s*\(\d+\))?|\w+(?:\s*\([\d\s,]*\))?)', item, re.I)
        if match and match[1].upper() not in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
            written = re.sub(r"\s*\(\s*|\s*,\s*|\s*\)", lambda m: m[0].strip(), re.sub(r"\s+", " ", match[2].strip()))
            types[match[1].strip('"').upper()] = written.upper()
    return types


def comparable_sql(node: exp.Expression) -> str:
    """An expression as comparable text: Oracle SQL, upper case, without PostgreSQL's casts and
    parentheses (upper((col)::text) is UPPER(COL)) and without the quotes of plain names."""
    def plain(n: exp.Expression) -> exp.Expression:
        while isinstance(n, (exp.Cast, exp.Paren)):
            n = n.this
        return n
    return re.sub(r'"([A-Za-z0-9_$#]+)"', r"\1", plain(node.copy()).transform(plain).sql("oracle").upper())


def index_column_text(ordered: exp.Expression) -> str:
    """An index key as comparable text: COL, COL DESC, or the expression (comparable_sql)."""
    node = ordered.this
    text = node.name.upper() if isinstance(node, exp.Column) else comparable_sql(node)
    return text + (" DESC" if ordered.args.get("desc") else "")


def oracle_twin_of_partial_index(columns: tuple[str, ...], predicate: str) -> tuple[str, ...]:
    """The key of the Oracle function-based index that stands for a PostgreSQL partial index: each key
    column becomes CASE WHEN <predicate> THEN <column> END (rows outside the predicate get an all-NULL
    key, which a B-tree does not hold), with '' written ' ' (Oracle has no empty string)."""
    twin = []
    for column in columns:
        key, desc = (column[:-5], " DESC") if column.endswith(" DESC") else (column, "")
        case = sqlglot.parse_one(f"CASE WHEN {predicate} THEN {key} END", read="oracle")
        case = case.transform(lambda n: exp.Literal.string(" ") if isinstance(n, exp.Literal) and n.is_string
                              and n.this == "" else n)
        twin.append(comparable_sql(case) + desc)
    return tuple(twin)


def add_table(model: Model, tree: exp.Create, statement: Statement, clauses: OracleClauses, dialect: str) -> None:
    table = Table()
    written = oracle_types_as_written(statement.text) if dialect == "oracle" else {}
    for item in tree.this.expressions:
        if isinstance(item, exp.ColumnDef):
            column_type = written.get(item.name.upper()) if dialect == "oracle" else item.args["kind"].sql("postgres")
            table.columns.append((item.name, column_type or "?"))
            if item.this.quoted:
                table.quoted_columns.add(item.name)
            for constraint in item.args.get("constraints") or []:
                if isinstance(constraint.kind, exp.DefaultColumnConstraint):
                    table.defaults[item.name.upper()] = constraint.kind.this.sql("oracle").upper()
        elif isinstance(item, exp.Constraint):
            for kind in item.expressions:
                if isinstance(kind, exp.CheckColumnConstraint):
                    table.checks.append(re.sub(r'"([A-Za-z0-9_$#]+)"', r"\1", kind.this.sql("oracle").upper()))
                elif isinstance(kind, exp.PrimaryKey):
                    table.keys.append((item.name, tuple(identifier_name(c).upper() for c in kind.expressions)))
                elif isinstance(kind, exp.UniqueColumnConstraint):
                    table.keys.append((item.name, tuple(identifier_name(c).upper() for c in kind.this.expressions)))
    partitioned = tree.find(exp.PartitionedByProperty)
    if partitioned is not None:
        column = partitioned.this.find(exp.Column)
        table.partition_kind = "LIST" if isinstance(partitioned.this, exp.List) else partitioned.this.name.upper()
        table.partition_column = column.name if column is not None else None
    if clauses.partition_kind:
        table.partition_kind = clauses.partition_kind
        table.partition_column = clauses.partition_column
        table.interval = clauses.interval
        table.row_movement = clauses.row_movement
    model.tables[table_key(tree.this.this, dialect)] = table


def build_model(directory: Path, dialect: str) -> Model:
    model = Model()
    for statement in schema_statements(directory):
        model.statement_count += 1
        where = f"{statement.file}:{statement.line}"
        if dialect == "oracle":
            text, clauses, problems = cut_oracle_clauses(statement.text)
            model.parse_errors += [f"{where}: {problem}" for problem in problems]
        else:
            # sqlglot (postgres) takes no WITH [NO] DATA after a materialized view's query
            text, clauses = re.sub(r"\s+WITH\s+(NO\s+)?DATA\s*$", "", statement.text, flags=re.I), OracleClauses()
        try:
            tree = parse_one_statement(text, dialect)
        except Exception as error:  # noqa: BLE001 - every failure is reported by name
            message = (str(error).splitlines() or [type(error).__name__])[0][:300]
            model.parse_errors.append(f"{where}: {statement.text.splitlines()[0][:100]}: {message}")
            continue
        model.statements.setdefault(statement.file, []).append((statement, tree))
        if not isinstance(tree, exp.Create):
            continue
        if tree.kind == "TABLE" and isinstance(tree.this, exp.Schema):
            add_table(model, tree, statement, clauses, dialect)
        elif tree.kind == "INDEX":
            index = tree.this
            schema, table = table_key(index.args["table"], dialect)
            columns = tuple(index_column_text(o) for o in index.args["params"].args.get("columns") or [])
            where = index.args["params"].args.get("where")
            model.indexes.append(Index(schema, index.name, table, columns, bool(tree.args.get("unique")),
                                       clauses.local, clauses.invisible,
                                       comparable_sql(where.this) if where is not None else None))
        elif tree.kind == "VIEW" and tree.find(exp.MaterializedProperty) is not None:
            key = table_key(tree.this, dialect)
            model.views[key] = [s.alias_or_name.lower() for s in tree.expression.selects]
            model.view_build[key] = clauses.build
    return model


_MODELS: dict[str, Model] = {}


def model_of(dialect: str) -> Model:
    if dialect not in _MODELS:
        _MODELS[dialect] = build_model(ORACLE_SCHEMA if dialect == "oracle" else POSTGRES_SCHEMA, dialect)
    return _MODELS[dialect]


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

def test_every_oracle_schema_statement_parses():
    oracle = model_of("oracle")
    assert oracle.statement_count > 200, "the Oracle schema files are (nearly) empty"
    assert not oracle.parse_errors, "statements sqlglot (oracle) cannot parse:\n" + "\n".join(oracle.parse_errors)
    assert sum(len(v) for v in oracle.statements.values()) == oracle.statement_count


def test_the_postgres_side_parses_too():
    # the comparisons are only as good as the PostgreSQL model
    postgres = model_of("postgres")
    assert not postgres.parse_errors, "\n".join(postgres.parse_errors)
    assert len(postgres.tables) > 90


def test_postgres_files_without_an_oracle_twin_are_the_listed_ones():
    postgres = {p.name for p in POSTGRES_SCHEMA.glob("*.sql")}
    oracle = {p.name for p in ORACLE_SCHEMA.glob("*.sql")}
    awaiting = set(POSTGRES_FILES_AWAITING_AN_ORACLE_TWIN)
    problems = [f"schema/postgres/{name} has no Oracle twin schema/oracle/{name}"
                for name in sorted(postgres - oracle - awaiting)]
    problems += [f"schema/oracle/{name} has no PostgreSQL original" for name in sorted(oracle - postgres)]
    problems += [f"{name} is listed as awaiting its Oracle twin, but the twin exists or the PostgreSQL file "
                 "is gone: remove it from POSTGRES_FILES_AWAITING_AN_ORACLE_TWIN"
                 for name in sorted(awaiting & oracle | awaiting - postgres)]
    assert not problems, "\n".join(problems)


def test_cut_out_clauses_are_checked_not_ignored():
    malformed = [
        "CREATE TABLE A.T (X DATE) PARTITION BY RANGE (X) INTERVAL (NUMTODSINTERVAL(1,'WEEK')) "
        "(PARTITION P VALUES LESS THAN (TO_DATE('2020-01-01','YYYY-MM-DD')))",
        "CREATE TABLE A.T (X DATE) PARTITION BY RANGE (X) INTERVAL (NUMTODSINTERVAL(1,'DAY')) (PARTITION P VALUES (1))",
        "CREATE TABLE A.T (X DATE) PARTITION BY LIST (X) INTERVAL (1) (PARTITION P VALUES ('N'))",
        "CREATE INDEX A.I ON B.T (X) LOCAL",
        "CREATE INDEX A.I ON A.T (X) GLOBAL",
        "CREATE MATERIALIZED VIEW A.V BUILD LATER REFRESH COMPLETE ON DEMAND AS SELECT 1 AS X FROM DUAL",
    ]
    for text in malformed:
        _, _, problems = cut_oracle_clauses(text)
        assert problems, f"accepted malformed Oracle: {text}"
    text, clauses, problems = cut_oracle_clauses(
        "CREATE TABLE A.T (X DATE) PARTITION BY RANGE (X) INTERVAL (NUMTODSINTERVAL(3, 'DAY')) "
        "(PARTITION P_INITIAL VALUES LESS THAN (TO_DATE('2020-01-01','YYYY-MM-DD'))) ENABLE ROW MOVEMENT")
    assert not problems and clauses.interval == "NUMTODSINTERVAL(3,'DAY')" and clauses.row_movement
    assert isinstance(parse_one_statement(text, "oracle"), exp.Create)


def test_the_sql_reader_keeps_quotes_and_comments_apart():
    text = "-- it's a comment; not a statement\nSELECT 'a;b' AS \"X;\" FROM DUAL; /* ; */ SELECT 1 FROM DUAL;"
    statements = split_statements(text, "t.sql")
    assert [s.text for s in statements] == ["SELECT 'a;b' AS \"X;\" FROM DUAL", "SELECT 1 FROM DUAL"]
    assert [s.line for s in statements] == [2, 2]
    assert string_literals(text) == ["a;b"]
    assert oracle_types_as_written("CREATE TABLE A.T (X VARCHAR(5), Y NUMBER(10, 2) DEFAULT 0 NOT NULL, "
                                   "CONSTRAINT P PRIMARY KEY (X))") == {"X": "VARCHAR(5)", "Y": "NUMBER(10,2)"}


# --------------------------------------------------------------------------------------------
# Same tables, same columns, counterpart types
# --------------------------------------------------------------------------------------------

def test_same_tables_and_columns_in_the_same_order():
    oracle, postgres = model_of("oracle").tables, model_of("postgres").tables
    assert len(postgres) > 90
    problems = [f"table {'.'.join(key)} is missing on the Oracle side" for key in sorted(set(postgres) - set(oracle))]
    problems += [f"table {'.'.join(key)} is only on the Oracle side" for key in sorted(set(oracle) - set(postgres))]
    for key in sorted(set(oracle) & set(postgres)):
        ora_columns = [c.lower() for c, _ in oracle[key].columns]
        pg_columns = [c.lower() for c, _ in postgres[key].columns]
        name = ".".join(key)
        problems += [f"{name}.{c} is missing on the Oracle side" for c in pg_columns if c not in ora_columns]
        problems += [f"{name}.{c} is only on the Oracle side" for c in ora_columns if c not in pg_columns]
        if sorted(ora_columns) == sorted(pg_columns) and ora_columns != pg_columns:
            problems.append(f"{name}: columns in another order: Oracle {ora_columns}, PostgreSQL {pg_columns}")
    assert not problems, "\n".join(problems)


def oracle_counterpart(postgres_type: str) -> str | None:
    """The Oracle type of a PostgreSQL type as sqlglot (postgres) writes it."""
    t = postgres_type.upper().replace(" ", "")
    if m := re.fullmatch(r"VARCHAR\((\d+)\)", t):
        return f"VARCHAR2({m[1]})"
    if m := re.fullmatch(r"CHAR\((\d+)\)", t):
        return f"CHAR({m[1]})"
    if m := re.fullmatch(r"DECIMAL(\(\d+(?:,\d+)?\))?", t):
        return f"NUMBER{m[1] or ''}"
    return {
        # booleans: NUMBER(1) with CHECK (... IN (0, 1)) (test_boolean_columns_are_checked_zero_or_one)
        "BOOLEAN": "NUMBER(1)",
        "INTERVAL": "INTERVAL DAY TO SECOND",
        "BIGINT": "NUMBER(19)",
        "INT": "NUMBER(10)",
        "SMALLINT": "NUMBER(5)",
        "TIMESTAMP": "DATE",
        "TEXT": "CLOB",
        "JSON": "CLOB",
        "JSONB": "CLOB",
        # Oracle's DML error log tables (ORA_ERR_ROWID$) hold a ROWID; ora2pg makes it an oid
        "OID": "ROWID",
    }.get(t)


def test_every_oracle_type_is_the_counterpart_of_the_postgres_type():
    oracle, postgres = model_of("oracle").tables, model_of("postgres").tables
    problems, compared = [], 0
    for key in sorted(set(oracle) & set(postgres)):
        pg_types = {c.lower(): t for c, t in postgres[key].columns}
        for column, ora_type in oracle[key].columns:
            if column.lower() not in pg_types:
                continue
            compared += 1
            pg_type = pg_types[column.lower()]
            expected = oracle_counterpart(pg_type)
            if expected is None:
                problems.append(f"{'.'.join(key)}.{column.lower()}: no Oracle counterpart known for {pg_type}")
            elif ora_type != expected:
                problems.append(f"{'.'.join(key)}.{column.lower()}: Oracle {ora_type}, PostgreSQL {pg_type} "
                                f"(expected {expected})")
    assert not problems, "\n".join(problems)
    assert compared > 1500


def test_the_type_mapping_itself():
    postgres = model_of("postgres").tables
    written = {t for table in postgres.values() for _, t in table.columns}
    assert {"VARCHAR(52)", "BIGINT", "INT", "SMALLINT", "TIMESTAMP", "TEXT", "JSONB", "CHAR(1)", "BOOLEAN",
            "INTERVAL"} <= written
    assert oracle_counterpart("DECIMAL(10, 2)") == "NUMBER(10,2)" and oracle_counterpart("DECIMAL") == "NUMBER"
    assert oracle_counterpart("BIGINT") != oracle_counterpart("INT")
    assert oracle_counterpart("BOOLEAN") == "NUMBER(1)" and oracle_counterpart("INTERVAL") == "INTERVAL DAY TO SECOND"
    assert oracle_counterpart("TIMESTAMPTZ") is None and oracle_counterpart("INTERVAL YEAR") is None
    assert oracle_types_as_written("CREATE TABLE A.T (D INTERVAL DAY TO SECOND NOT NULL, E INTERVAL  DAY (3) TO "
                                   "SECOND, F NUMBER(1) DEFAULT 1)") == {
        "D": "INTERVAL DAY TO SECOND", "E": "INTERVAL DAY(3) TO SECOND", "F": "NUMBER(1)"}


def test_boolean_columns_are_checked_zero_or_one():
    # a PostgreSQL boolean is an Oracle NUMBER(1) that only takes 0 and 1 (CHECK), DEFAULT true is DEFAULT 1
    oracle, postgres = model_of("oracle").tables, model_of("postgres").tables
    problems, compared = [], 0
    for key in sorted(set(oracle) & set(postgres)):
        for column, pg_type in postgres[key].columns:
            if pg_type != "BOOLEAN":
                continue
            compared += 1
            name, column = ".".join(key), column.upper()
            if not any(re.fullmatch(rf"{column} IN \(0, 1\)", check) for check in oracle[key].checks):
                problems.append(f"{name}.{column.lower()}: no CHECK ({column} IN (0, 1)) on the Oracle side")
            pg_default = postgres[key].defaults.get(column)
            expected = {"TRUE": "1", "FALSE": "0", None: None}.get(pg_default, "?")
            if oracle[key].defaults.get(column) != expected:
                problems.append(f"{name}.{column.lower()}: DEFAULT {oracle[key].defaults.get(column)} in Oracle, "
                                f"{pg_default} in PostgreSQL (expected {expected})")
    assert not problems, "\n".join(problems)
    assert compared >= 2


# --------------------------------------------------------------------------------------------
# Partitioning
# --------------------------------------------------------------------------------------------

def test_partitioned_tables_and_keys_match():
    oracle, postgres = model_of("oracle").tables, model_of("postgres").tables
    ora = {k: t.partition_column.lower() for k, t in oracle.items() if t.partition_kind}
    pg = {k: t.partition_column.lower() for k, t in postgres.items() if t.partition_kind}
    assert len(pg) > 20
    expected = pg | {k: column for k, (column, _) in ORACLE_ONLY_PARTITIONED.items()}
    problems = [f"{'.'.join(k)} is partitioned in PostgreSQL (or by section 8.4) but not in Oracle"
                for k in sorted(set(expected) - set(ora))]
    problems += [f"{'.'.join(k)} is partitioned only in Oracle" for k in sorted(set(ora) - set(expected))]
    for key in sorted(set(ora) & set(expected)):
        if ora[key] != expected[key]:
            problems.append(f"{'.'.join(key)}: partitioned by {ora[key]} in Oracle, by {expected[key]} expected")
        if key in pg and oracle[key].partition_kind != postgres[key].partition_kind:
            problems.append(f"{'.'.join(key)}: {oracle[key].partition_kind} in Oracle, "
                            f"{postgres[key].partition_kind} in PostgreSQL")
    assert not problems, "\n".join(problems)


def test_oracle_partitioning_is_interval_partitioning_of_the_right_type():
    problems = []
    partitioned = {k: t for k, t in model_of("oracle").tables.items() if t.partition_kind}
    assert len(partitioned) > 20
    for key, table in sorted(partitioned.items()):
        name = ".".join(key)
        if key in ORACLE_ONLY_PARTITIONED and table.interval != ORACLE_ONLY_PARTITIONED[key][1]:
            problems.append(f"{name}: interval {table.interval}, section 8.4 says {ORACLE_ONLY_PARTITIONED[key][1]}")
        if table.partition_kind == "RANGE":
            column_type = table.column_type(table.partition_column) or ""
            if table.interval is None:
                problems.append(f"{name}: RANGE partitioning without INTERVAL needs manual partitions")
            elif column_type == "DATE" and not table.interval.startswith("NUMTO"):
                problems.append(f"{name}: DATE key {table.partition_column} with numeric interval {table.interval}")
            elif column_type.startswith("NUMBER") and not table.interval.isdigit():
                problems.append(f"{name}: NUMBER key {table.partition_column} with interval {table.interval}")
            elif not (column_type == "DATE" or column_type.startswith("NUMBER")):
                problems.append(f"{name}: interval partition key {table.partition_column} is {column_type}")
        # PostgreSQL moves a row to its new partition when an UPDATE changes its key; Oracle does
        # only with ENABLE ROW MOVEMENT (ORA-14402 otherwise)
        if not table.row_movement:
            problems.append(f"{name}: partitioned without ENABLE ROW MOVEMENT")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# Oracle rules beyond syntax
# --------------------------------------------------------------------------------------------

def identifier_problems(tree: exp.Expression) -> list[str]:
    problems = []
    for node in tree.find_all(exp.Identifier):
        name = node.name
        if not node.quoted and name.upper() in ORACLE_RESERVED_WORDS:
            problems.append(f"reserved word {name} must be double-quoted")
        if node.quoted and name != name.upper():
            problems.append(f"quoted identifier {name!r} is not upper case: not the same name as unquoted {name}")
        if len(name.encode()) > ORACLE_MAX_IDENTIFIER_BYTES:
            problems.append(f"identifier {name} is longer than {ORACLE_MAX_IDENTIFIER_BYTES} bytes")
    return problems


def test_reserved_words_are_quoted_and_identifiers_fit():
    problems = []
    for file, statements in model_of("oracle").statements.items():
        for statement, tree in statements:
            problems += [f"{file}:{statement.line}: {p}" for p in identifier_problems(tree)]
    assert not problems, "\n".join(problems)
    # and the check does see an unquoted reserved word
    assert identifier_problems(exp.column("SIZE")) and not identifier_problems(exp.column("SIZE", quoted=True))


def type_bytes(column_type: str) -> int:
    if m := re.fullmatch(r"(?:VARCHAR2|CHAR)\((\d+)\)", column_type):
        return int(m[1])
    return {"DATE": 7, "ROWID": 10}.get(column_type, 22 if column_type.startswith("NUMBER") else 4000)


def test_indexes_and_keys_are_valid_oracle():
    oracle = model_of("oracle")
    problems = []
    owners: dict[tuple[str, str], str] = {}  # tables, indexes and constraints share a namespace per schema

    def claim(schema: str, name: str, what: str) -> None:
        if (schema, name.upper()) in owners:
            problems.append(f"{schema}: {what} {name} has the name of {owners[schema, name.upper()]}")
        owners[schema, name.upper()] = f"{what} {name}"

    keyed: dict[tuple[str, str], list[tuple[str, tuple[str, ...], bool]]] = {}
    for key, table in oracle.tables.items():
        claim(key[0], key[1], "table")
        for constraint, columns in table.keys:
            claim(key[0], constraint, f"key of {key[1]}")
            keyed.setdefault(key, []).append((constraint, columns, False))
    for index in oracle.indexes:
        key = (index.schema, index.table)
        claim(index.schema, index.name, f"index on {index.table}")
        table = oracle.tables.get(key)
        if table is None:
            if key not in oracle.views:
                problems.append(f"index {index.name} is on {'.'.join(key)}, neither a table nor a materialized view")
            continue
        keyed.setdefault(key, []).append((index.name, index.columns, index.invisible))
        if index.local and not table.partition_kind:
            problems.append(f"LOCAL index {index.name} on non-partitioned {index.table} (ORA-14016)")
        elif index.local and index.unique and table.partition_column.upper() not in index.columns:
            problems.append(f"unique LOCAL index {index.name} lacks the partition key (ORA-14039)")
        if table.partition_kind and not index.local and not index.unique:
            problems.append(f"index {index.name} on partitioned {index.table} is global: make it LOCAL, "
                            "so that dropping a partition does not make it unusable")
    for key, entries in keyed.items():
        table, visible = oracle.tables[key], {}
        for name, columns, invisible in entries:
            # since 12c, a second index on the same column list is allowed only while invisible
            if columns in visible and not invisible:
                problems.append(f"{'.'.join(key)}: {name} and {visible[columns]} index the same columns "
                                f"{columns} (ORA-01408)")
            if not invisible:
                visible.setdefault(columns, name)
            key_bytes = 0
            for column in columns:
                expression = column.removesuffix(" DESC")
                referenced = [c for c in re.findall(r"[A-Z_][A-Z0-9_$#]*", expression) if table.column_type(c)]
                if not referenced:
                    problems.append(f"{'.'.join(key)}: {name} names unknown column {column}")
                    continue
                types = [table.column_type(c) for c in referenced]
                if "CLOB" in types:
                    problems.append(f"{'.'.join(key)}: {name} indexes a CLOB in {column} (ORA-02327)")
                plain = expression in referenced or re.fullmatch(r"(UPPER|LOWER)\(\w+\)", expression)
                key_bytes += type_bytes(types[0]) if plain else 22  # else a numeric CASE expression
            if key_bytes > ORACLE_MAX_INDEX_KEY_BYTES:
                problems.append(f"{'.'.join(key)}: the key of {name} may reach {key_bytes} bytes (ORA-01450)")
    assert not problems, "\n".join(problems)


def test_oracle_files_read_well_in_sqlplus():
    # SQL*Plus ends a plain statement at a blank line (SQLBLANKLINES OFF), substitutes &names
    # everywhere (DEFINE ON), and runs the buffer again at a line holding only '/'
    problems = []
    for statement in schema_statements(ORACLE_SCHEMA):
        if re.search(r"\n[ \t]*\n", statement.raw.strip()):
            problems.append(f"{statement.file}:{statement.line}: blank line inside a statement")
    for path in sorted(ORACLE_SCHEMA.glob("*.sql")) + sorted(ORACLE_PROCEDURES.glob("*.sql")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "&" in line:
                problems.append(f"{path.name}:{number}: '&' would start a SQL*Plus substitution variable")
            if path.parent == ORACLE_SCHEMA and line.strip() == "/":
                problems.append(f"{path.name}:{number}: '/' in a schema file runs the previous statement again")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# Indexes and materialized views
# --------------------------------------------------------------------------------------------

def test_indexes_match_by_name_and_columns():
    oracle, postgres = model_of("oracle"), model_of("postgres")
    ora = {(i.schema, i.name.lower()): (i.table, i.columns, i.unique) for i in oracle.indexes}
    # a partial index's Oracle twin is the function-based index of oracle_twin_of_partial_index
    pg = {(i.schema, i.name.lower()): (i.table, oracle_twin_of_partial_index(i.columns, i.predicate)
                                       if i.predicate else i.columns, i.unique) for i in postgres.indexes}
    assert len(pg) > 100 and any(i.predicate for i in postgres.indexes)
    problems = [f"index {'.'.join(k)} is missing on the Oracle side" for k in sorted(set(pg) - set(ora))]
    problems += [f"index {'.'.join(k)} is only on the Oracle side" for k in sorted(set(ora) - set(pg))]
    problems += [f"index {'.'.join(k)}: (table, columns, unique) {ora[k]} in Oracle, {pg[k]} in PostgreSQL"
                 for k in sorted(set(ora) & set(pg)) if ora[k] != pg[k]]
    assert not problems, "\n".join(problems)


def test_materialized_views_match():
    oracle, postgres = model_of("oracle"), model_of("postgres")
    assert {("doma_panda", "mv_worker_node_summary"), ("doma_panda", "mv_worker_node_gpu_summary")} <= set(postgres.views)
    problems = []
    for key in sorted(set(postgres.views) | set(oracle.views)):
        name = ".".join(key)
        if key not in oracle.views or key not in postgres.views:
            problems.append(f"materialized view {name} is only on the {'PostgreSQL' if key in postgres.views else 'Oracle'} side")
            continue
        if oracle.views[key] != postgres.views[key]:
            problems.append(f"{name}: columns {oracle.views[key]} in Oracle, {postgres.views[key]} in PostgreSQL")
        if oracle.view_build.get(key) != "DEFERRED":
            problems.append(f"{name}: the Oracle twin of WITH NO DATA is BUILD DEFERRED")
        ora_unique = sorted((i.name.lower(), i.columns) for i in oracle.indexes if (i.schema, i.table) == key and i.unique)
        pg_unique = sorted((i.name.lower(), i.columns) for i in postgres.indexes if (i.schema, i.table) == key and i.unique)
        if not pg_unique or ora_unique != pg_unique:
            problems.append(f"{name}: unique indexes {ora_unique} in Oracle, {pg_unique} in PostgreSQL")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# Constraints (98) and default rows (99)
# --------------------------------------------------------------------------------------------

def added_constraints(model: Model, file: str) -> dict[str, tuple[str, str]]:
    """constraint name -> (table, definition as comparable text) of the ALTER TABLE ... ADD CONSTRAINTs."""
    found = {}
    for _, tree in model.statements.get(file, []):
        if isinstance(tree, exp.Alter):
            for constraint in tree.find_all(exp.Constraint):
                text = " ".join(e.sql("oracle") for e in constraint.expressions)
                text = re.sub(r'"([A-Za-z0-9_$#]+)"', r"\1", text)  # "TYPE" and type are the same name
                text = re.sub(r"\bDOMA_(PANDA|PANDAARCH|PANDAMETA|DEFT)\b", r"ATLAS_\1", text.upper())
                found[constraint.name.lower()] = (tree.this.name.lower(), re.sub(r"\s+", " ", text))
    return found


def test_constraints_are_the_same():
    file = "98_constraints_and_default_partitions.sql"
    assert (ORACLE_SCHEMA / file).exists(), f"schema/oracle/{file} is missing"
    pg = added_constraints(model_of("postgres"), file)
    ora = added_constraints(model_of("oracle"), file)
    assert len(pg) >= 15
    problems = [f"constraint {name} is missing on the Oracle side" for name in sorted(set(pg) - set(ora))]
    problems += [f"constraint {name} is only on the Oracle side" for name in sorted(set(ora) - set(pg))]
    problems += [f"constraint {name}:\n    Oracle     {ora[name]}\n    PostgreSQL {pg[name]}"
                 for name in sorted(set(pg) & set(ora)) if pg[name] != ora[name]]
    if not re.search(r"^--.*default partitions", (ORACLE_SCHEMA / file).read_text(), re.I | re.M):
        problems.append(f"{file} does not say why Oracle needs no default partitions")
    assert not problems, "\n".join(problems)


def literal_value(node: exp.Expression):
    while isinstance(node, (exp.Alias, exp.Cast)):
        node = node.this
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else int(node.this)
    raise ValueError(f"not a literal: {node.sql()}")


def dual_rows(source: exp.Expression) -> list[exp.Select]:
    """The SELECT ... FROM DUAL branches of a (subquery of a) UNION ALL, left to right."""
    while isinstance(source, (exp.Subquery, exp.Paren)):
        source = source.this
    if isinstance(source, exp.Union):
        return dual_rows(source.this) + dual_rows(source.expression)
    assert isinstance(source, exp.Select), f"not a SELECT: {source.sql('oracle')[:80]}"
    origin = source.args.get("from_") or source.args.get("from")
    assert origin is not None and origin.this.name.upper() == "DUAL", f"not FROM DUAL: {source.sql('oracle')[:80]}"
    return [source]


def default_rows(model: Model, file: str) -> dict[str, set[tuple]]:
    """table -> the rows the file inserts, each a sorted tuple of (column, value)."""
    rows: dict[str, set[tuple]] = {}
    for statement, tree in model.statements.get(file, []):
        if isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Values):
            table = tree.this.this.name.lower()
            columns = [identifier_name(c).lower() for c in tree.this.expressions]
            tuples = [[literal_value(v) for v in row.expressions] for row in tree.expression.expressions]
        elif isinstance(tree, exp.Merge):
            table = tree.this.name.lower()
            insert = tree.find(exp.Insert)
            assert insert is not None, f"{file}:{statement.line}: MERGE into {table} without an INSERT"
            columns = [identifier_name(c).lower() for c in insert.this.expressions]
            selects = dual_rows(tree.args["using"])
            # the first branch of the UNION ALL names the columns; the INSERT takes them by name
            names = [s.alias.lower() for s in selects[0].selects]
            order = [names.index(identifier_name(v).lower()) for v in insert.expression.expressions]
            tuples = [[literal_value(s.selects[i]) for i in order] for s in selects]
        else:
            continue
        for values in tuples:
            rows.setdefault(table, set()).add(tuple(sorted(zip(columns, values))))
    return rows


def test_registration_defaults_are_the_same_rows():
    file = "99_registration_defaults.sql"
    assert (ORACLE_SCHEMA / file).exists(), f"schema/oracle/{file} is missing"
    pg = default_rows(model_of("postgres"), file)
    ora = default_rows(model_of("oracle"), file)
    assert sum(len(r) for r in pg.values()) >= 20
    problems = []
    for table in sorted(set(pg) | set(ora)):
        problems += [f"{table}: row missing on the Oracle side: {dict(row)}"
                     for row in sorted(pg.get(table, set()) - ora.get(table, set()), key=str)]
        problems += [f"{table}: row only on the Oracle side: {dict(row)}"
                     for row in sorted(ora.get(table, set()) - pg.get(table, set()), key=str)]
    assert not problems, "\n".join(problems)


def test_registration_defaults_are_rerunnable():
    # like ON CONFLICT DO NOTHING: only insert what is not there, never change an existing row
    statements = model_of("oracle").statements.get("99_registration_defaults.sql", [])
    assert statements
    problems = []
    for statement, tree in statements:
        where = f"99_registration_defaults.sql:{statement.line}"
        if isinstance(tree, exp.Merge):
            whens = tree.sql("oracle").upper()
            if re.search(r"\bWHEN MATCHED\b", whens) or "WHEN NOT MATCHED" not in whens:
                problems.append(f"{where}: MERGE must only insert (WHEN NOT MATCHED THEN INSERT)")
        elif isinstance(tree, exp.Insert):
            if tree.find(exp.Exists) is None:
                problems.append(f"{where}: INSERT without WHERE NOT EXISTS is not re-runnable")
        elif not isinstance(tree, exp.Commit):
            problems.append(f"{where}: unexpected {tree.key} statement")
    assert not problems, "\n".join(problems)


def test_quoted_columns_are_quoted_in_the_default_rows():
    # KEY, VALUE, TYPE are created as "KEY", "VALUE", "TYPE": the DML names them the same way
    quoted = {c.upper() for t in model_of("oracle").tables.values() for c in t.quoted_columns}
    assert {"KEY", "VALUE", "TYPE"} <= quoted
    problems = []
    for statement, tree in model_of("oracle").statements.get("99_registration_defaults.sql", []):
        for node in tree.find_all(exp.Identifier):
            if node.name.upper() in quoted and not (node.quoted and node.name.isupper()) \
                    and isinstance(node.parent, (exp.Column, exp.Alias, exp.Schema)):
                problems.append(f"99_registration_defaults.sql:{statement.line}: write \"{node.name.upper()}\", "
                                f"not {node.sql('oracle')}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# The PL/SQL twins of the procedures
# --------------------------------------------------------------------------------------------

ROUTINE = re.compile(
    r"CREATE\s+OR\s+REPLACE\s+(?P<kind>PROCEDURE|FUNCTION)\s+(?P<schema>\w+)\.(?P<name>\w+)\s*"
    r"(?:\((?P<params>[^;]*?)\))?\s*(?:RETURNS?\b|LANGUAGE\b|AS\b|IS\b)",
    re.I | re.S,
)


def parameter(part: str, dialect: str) -> tuple[str, bool, bool]:
    """(name, has a default, is OUT) of one parameter declaration: PostgreSQL writes the mode first
    ('OUT job jsonb'), Oracle after the name ('job OUT CLOB', 'p IN OUT NOCOPY JSON_OBJECT_T')."""
    words = part.split()
    if dialect == "postgres" and words[0].upper() in ("IN", "OUT", "INOUT", "VARIADIC") and len(words) > 2:
        name, out = words[1], words[0].upper() in ("OUT", "INOUT")
    else:
        name = words[0]
        modes = [w.upper() for w in words[1:3]]
        out = dialect == "oracle" and "OUT" in modes
    return name.lower(), bool(re.search(r"\bDEFAULT\b|:=", part, re.I)), out


def routines(path: Path, dialect: str) -> dict[tuple[str, str], list[tuple[str, bool, bool]]]:
    """(schema, name) -> parameters (name, has a default, is OUT) of each routine the file creates."""
    found = {}
    for match in ROUTINE.finditer(without_comments_and_literals(path.read_text())):
        schema = ORACLE_TO_POSTGRES_SCHEMA.get(match["schema"].upper(), match["schema"]) if dialect == "oracle" \
            else match["schema"]
        params = [parameter(part, dialect) for part in re.split(r",(?![^(]*\))", match["params"] or "") if part.strip()]
        found[(schema.lower(), match["name"].lower())] = params
    return found


def routine_bodies(text: str) -> dict[str, str]:
    """name -> text of each routine, from its CREATE to the next CREATE (or the end), comments removed."""
    text = without_comments(text)
    starts = [(m.start(), m["name"].lower()) for m in ROUTINE.finditer(text)]
    return {name: text[start:(starts[i + 1][0] if i + 1 < len(starts) else len(text))]
            for i, (start, name) in enumerate(starts)}


def oracle_procedure_files() -> list[Path]:
    return sorted(ORACLE_PROCEDURES.glob("*.sql"))


def test_every_postgres_procedure_file_has_its_oracle_twin():
    postgres = {p.name for p in POSTGRES_PROCEDURES.glob("*.sql")}
    oracle = {p.name for p in ORACLE_PROCEDURES.glob("*.sql")}
    assert {"jobs.sql", "dispatch.sql", "clock.sql", "partitions.sql", "archive.sql", "scheduler.sql"} <= postgres
    problems = [f"procedures/postgres/{name} has no PL/SQL twin procedures/oracle/{name}"
                for name in sorted(postgres - oracle)]
    problems += [f"procedures/oracle/{name} has no PostgreSQL original" for name in sorted(oracle - postgres)]
    assert not problems, "\n".join(problems)


def test_plsql_twins_declare_the_same_routines_with_the_same_parameters():
    # each procedures/oracle file is the twin of the procedures/postgres file of the same name
    files = oracle_procedure_files()
    assert {p.name for p in files} >= {"version.sql", "registration.sql"}
    problems, compared = [], 0
    for ora_path in files:
        pg_path = POSTGRES_PROCEDURES / ora_path.name
        if not pg_path.exists():
            problems.append(f"procedures/oracle/{ora_path.name} has no PostgreSQL twin")
            continue
        pg, ora = routines(pg_path, "postgres"), routines(ora_path, "oracle")
        problems += [f"{ora_path.name}: {'.'.join(k)} has no Oracle twin" for k in sorted(set(pg) - set(ora))]
        problems += [f"{ora_path.name}: {'.'.join(k)} is only on the Oracle side" for k in sorted(set(ora) - set(pg))]
        for key in sorted(set(pg) & set(ora)):
            compared += 1
            if pg[key] != ora[key]:
                problems.append(f"{'.'.join(key)}: parameters (name, has a default, OUT) {ora[key]} in Oracle, "
                                f"{pg[key]} in PostgreSQL")
    assert not problems, "\n".join(problems)
    assert compared >= 150, f"only {compared} routines compared"


def test_the_routine_reader_sees_modes_and_defaults():
    assert parameter("OUT job_table text", "postgres") == ("job_table", False, True)
    assert parameter("p_n integer DEFAULT 1", "postgres") == ("p_n", True, False)
    assert parameter("job OUT CLOB", "oracle") == ("job", False, True)
    assert parameter("p_x IN OUT NOCOPY JSON_OBJECT_T", "oracle") == ("p_x", False, True)
    assert parameter("p_mode IN BOOLEAN DEFAULT FALSE", "oracle") == ("p_mode", True, False)


# SQLSTATE of a PL/pgSQL RAISE -> the error number of its RAISE_APPLICATION_ERROR twin. A RAISE without
# ERRCODE is P0001 (PL/pgSQL's default: only the test-only failure injection of archive.sql).
SQLSTATE_TO_ORACLE_ERROR = {"PD001": -20001, "PD002": -20002, "PD003": -20003, "PD004": -20004, "PD005": -20005,
                            "P0001": -20000}


def schema_neutral(text: str) -> str:
    """Messages name tables as doma_panda.global_shares in PostgreSQL, ATLAS_PANDA.GLOBAL_SHARES in Oracle."""
    return re.sub(r"\b(?:doma|atlas)_(panda|pandaarch|pandameta|deft)\.(\w+)",
                  lambda m: f"ATLAS_{m[1]}.{m[2]}".upper(), text, flags=re.I)


def plpgsql_raises(body: str) -> list[tuple[str, str]]:
    """(message, SQLSTATE) of each RAISE EXCEPTION '<message>' ... [USING ERRCODE = '<state>']; of a
    PL/pgSQL text (comments removed). RAISE EXCEPTION USING MESSAGE = <expression> is not counted."""
    pieces = scan_sql(body)
    raises = []
    for i, (kind, text) in enumerate(pieces):
        if kind != "code" or not re.search(r"\bRAISE\s+EXCEPTION\s*$", text, re.I) or i + 1 == len(pieces) \
                or pieces[i + 1][0] != "string":
            continue
        message, state = pieces[i + 1][1][1:-1].replace("''", "'"), "P0001"
        for j in range(i + 2, len(pieces)):  # up to the ';' that ends the RAISE statement
            kind_j, text_j = pieces[j]
            if kind_j == "code" and ";" in text_j:
                break
            if kind_j == "string" and re.search(r"\bERRCODE\s*=\s*$", pieces[j - 1][1], re.I):
                state = text_j[1:-1]
        raises.append((message, state))
    return raises


def test_plpgsql_raise_reader():
    body = ("RAISE EXCEPTION 'a %: b', x USING ERRCODE = 'PD002';\n"
            "RAISE EXCEPTION 'c; %', array_to_string(v, '; ') USING ERRCODE = 'PD004';\n"
            "RAISE EXCEPTION 'test only %', x;\nRAISE EXCEPTION USING ERRCODE = v ->> 'sqlstate', MESSAGE = m;\n")
    assert plpgsql_raises(body) == [("a %: b", "PD002"), ("c; %", "PD004"), ("test only %", "P0001")]
    assert schema_neutral("see doma_panda.global_shares") == schema_neutral("see ATLAS_PANDA.GLOBAL_SHARES")


def test_plsql_raises_the_same_messages_as_application_errors():
    # every RAISE EXCEPTION of a PL/pgSQL routine is a RAISE_APPLICATION_ERROR of its twin: the same
    # number of raises per SQLSTATE (PD00n is -2000n), the same message text
    problems, compared, states = [], 0, set()
    for ora_path in oracle_procedure_files():
        pg_path = POSTGRES_PROCEDURES / ora_path.name
        if not pg_path.exists():
            continue  # reported by test_plsql_twins_declare_the_same_routines_with_the_same_parameters
        ora_text = ora_path.read_text()
        header = "\n".join(line for line in ora_text.splitlines()[:30] if line.startswith("--"))
        if not re.search(r"-20001.*PD001|PD001.*-20001", header, re.S):
            problems.append(f"{ora_path.name}: the header comment must say that -20001 stands for SQLSTATE PD001")
        pg_bodies = routine_bodies(pg_path.read_text())
        for state in sorted({state for body in pg_bodies.values() for _, state in plpgsql_raises(body)} - {"PD001"}):
            if not re.search(rf"^--.*\b{state}\s*->\s*{SQLSTATE_TO_ORACLE_ERROR[state]}\b", header, re.M):
                problems.append(f"{ora_path.name}: the header comment must map {state} -> "
                                f"{SQLSTATE_TO_ORACLE_ERROR[state]} (one line)")
        ora_bodies = routine_bodies(ora_text)
        for name, body in pg_bodies.items():
            raises = plpgsql_raises(body)
            ora_body = ora_bodies.get(name, "")
            ora_code = without_comments_and_literals(ora_body)
            for state in sorted({state for _, state in raises} | {"PD001"}):
                states.add(state)
                number = SQLSTATE_TO_ORACLE_ERROR.get(state)
                expected = sum(1 for _, s in raises if s == state)
                raised = len(re.findall(rf"RAISE_APPLICATION_ERROR\s*\(\s*{number}\b", ora_code)) if number else 0
                if raised != expected:
                    problems.append(f"{name}: {expected} {state} raises in PostgreSQL, {raised} "
                                    f"RAISE_APPLICATION_ERROR({number}, ...) in Oracle")
            ora_literals = schema_neutral(" ".join(string_literals(ora_body)))
            for message, _ in raises:
                for fragment in filter(None, (f.strip() for f in message.split("%"))):
                    compared += 1
                    if schema_neutral(fragment) not in ora_literals:
                        problems.append(f"{name}: message text {fragment!r} is not in the Oracle twin")
            if re.search(r"SQLSTATE|ERRCODE|RAISE\s+EXCEPTION", ora_code, re.I):
                problems.append(f"{name}: PostgreSQL error syntax in the Oracle twin")
        known = set(SQLSTATE_TO_ORACLE_ERROR.values())
        for number in re.findall(r"RAISE_APPLICATION_ERROR\s*\(\s*(-?\d+)", without_comments_and_literals(ora_text)):
            if int(number) not in known:
                problems.append(f"{ora_path.name}: RAISE_APPLICATION_ERROR({number}) stands for no SQLSTATE of the "
                                "PostgreSQL side (-20000 .. -20005)")
    assert not problems, "\n".join(problems)
    assert compared > 100 and {"PD001", "PD002", "PD003", "PD004"} <= states


def plsql_units(text: str) -> list[tuple[int, str, bool]]:
    """Read a script as SQL*Plus does: (line, first line, ended by '/') of every PL/SQL unit.

    A PL/SQL unit (CREATE PROCEDURE/FUNCTION/..., BEGIN, DECLARE) runs at a line holding only '/';
    a plain statement runs at its ';' (or at a '/' line). A '/' line right after a statement has run
    runs it a second time: that raises AssertionError."""
    units = []
    lines = text.splitlines()
    plsql_start = re.compile(
        r"^\s*(CREATE\s+(OR\s+REPLACE\s+)?(PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE)\b|BEGIN\b|DECLARE\b)", re.I)
    just_ran = False  # the buffer has just been executed: a '/' now would execute it again
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("--"):
            i += 1
        elif stripped == "/":
            if just_ran:
                raise AssertionError(f"line {i + 1}: this '/' runs the statement before it a second time")
            just_ran = True
            i += 1
        elif plsql_start.match(lines[i]):
            start = i
            i += 1
            # up to its '/' line; a CREATE before it means the '/' is missing (SQL*Plus would send
            # both units to the server as one)
            while i < len(lines) and lines[i].strip() != "/" and not re.match(r"CREATE\b", lines[i], re.I):
                i += 1
            just_ran = i < len(lines) and lines[i].strip() == "/"
            units.append((start + 1, stripped, just_ran))
            i += 1 if just_ran else 0
        else:  # a plain statement: up to the line ending with ';' (it runs there) or a '/' line
            while i < len(lines) and lines[i].strip() != "/" \
                    and not without_comments_and_literals(lines[i]).rstrip().endswith(";"):
                i += 1
            just_ran = True
            i += 1
    return units


def test_plsql_unit_reader_catches_missing_and_stray_slashes():
    units = plsql_units("CREATE OR REPLACE PROCEDURE A.P AS\nBEGIN\n  NULL;\nEND;\n")
    assert units == [(1, "CREATE OR REPLACE PROCEDURE A.P AS", False)]
    units = plsql_units("CREATE OR REPLACE PROCEDURE A.P AS\nBEGIN\n  NULL;\nEND;\n"
                        "CREATE OR REPLACE PROCEDURE A.Q AS\nBEGIN\n  NULL;\nEND;\n/\n")
    assert [terminated for _, _, terminated in units] == [False, True]
    for script in ("CREATE TABLE A.T (X NUMBER(10));\n/\n", "BEGIN\n  NULL;\nEND;\n/\n\n/\n"):
        try:
            plsql_units(script)
        except AssertionError:
            continue
        raise AssertionError(f"a '/' running a statement twice was not noticed in {script!r}")
    assert plsql_units("CREATE TABLE alembic_version (\n    X NUMBER(10)\n)\n\n/\n\nSELECT 1 FROM DUAL;\n") == []


def test_plsql_files_end_every_unit_with_a_slash():
    files = oracle_procedure_files()
    assert {p.name for p in files} >= {"version.sql", "registration.sql"}
    problems = []
    for path in files:
        try:
            units = plsql_units(path.read_text())
        except AssertionError as error:
            problems.append(f"{path.name}: {error}")
            continue
        if not units:
            problems.append(f"{path.name}: no PL/SQL unit")
        problems += [f"{path.name}:{line}: {first} is not ended by a line with only '/'"
                     for line, first, terminated in units if not terminated]
        code = without_comments_and_literals(path.read_text())
        if re.search(r"\$\$|LANGUAGE\s+plpgsql|ON\s+CONFLICT|::|\bRETURNS\b|\bPERFORM\b|\bjsonb\b", code, re.I):
            problems.append(f"{path.name}: PostgreSQL syntax in the Oracle twin")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# The offline Oracle script
# --------------------------------------------------------------------------------------------

def test_migrate_sql_prints_the_whole_oracle_schema_and_procedures():
    result = subprocess.run(
        [sys.executable, "-c", "from pandadb.cli import main; main()", "migrate", "sql", "--dialect", "oracle"],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    script = result.stdout
    problems = []
    created = {(m[1].upper(), m[2].upper()) for m in re.finditer(r"^CREATE\s+TABLE\s+(\w+)\.(\w+)", script, re.M | re.I)}
    assert len(model_of("oracle").tables) > 90
    for schema, table in sorted(model_of("oracle").tables):
        if (POSTGRES_TO_ORACLE_SCHEMA[schema], table.upper()) not in created:
            problems.append(f"no CREATE TABLE {POSTGRES_TO_ORACLE_SCHEMA[schema]}.{table.upper()} in the script")
    for path in sorted(ORACLE_SCHEMA.glob("*.sql")) + oracle_procedure_files():
        if not re.search(rf"^-- {re.escape(str(path.relative_to(ROOT)))}$", script, re.M):
            problems.append(f"{path.relative_to(ROOT)} is not in the script")
    names = sorted(f"{POSTGRES_TO_ORACLE_SCHEMA[s]}.{n.upper()}"
                   for path in oracle_procedure_files() for s, n in routines(path, "oracle"))
    assert names, "no Oracle routines"
    for name in names:
        if not re.search(rf"^CREATE\s+OR\s+REPLACE\s+(PROCEDURE|FUNCTION)\s+{re.escape(name)}\b", script, re.I | re.M):
            problems.append(f"routine {name} is not in the script")
    try:
        units = plsql_units(script)
    except AssertionError as error:
        problems.append(str(error))
        units = []
    if len([u for u in units if u[1].upper().startswith("CREATE")]) < len(names):
        problems.append(f"{len(units)} PL/SQL units in the script for {len(names)} routines")
    problems += [f"script line {line}: PL/SQL unit {first!r} is not ended by '/'"
                 for line, first, terminated in units if not terminated]
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# What the PL/SQL names exists; the Oracle-native policy and dispatch index
# --------------------------------------------------------------------------------------------

SUPPORT_PACKAGE = "PANDADB_SUPPORT"
# created by procedures/oracle files, not by schema/oracle: the twins of revision 0003's PostgreSQL tables
TABLES_CREATED_BY_PROCEDURE_FILES = {"ATLAS_PANDA.PARTITION_POLICY": "partitions.sql",
                                     "ATLAS_PANDA.ARCHIVE_PARTITION_LOG": "archive.sql"}


def oracle_objects() -> set[str]:
    """OWNER.NAME (upper case) of every table, sequence, view, routine and package the Oracle side creates."""
    names = {f"{POSTGRES_TO_ORACLE_SCHEMA[schema]}.{name.upper()}"
             for schema, name in list(model_of("oracle").tables) + list(model_of("oracle").views)}
    text = "\n".join(without_comments(p.read_text()) for p in sorted(ORACLE_SCHEMA.glob("*.sql")))
    names |= {f"{m[1]}.{m[2]}".upper() for m in re.finditer(r"CREATE\s+SEQUENCE\s+(\w+)\.(\w+)", text, re.I)}
    for path in oracle_procedure_files():
        code = without_comments(path.read_text())
        names |= {f"{m[1]}.{m[2]}".upper() for m in re.finditer(
            r"CREATE\s+OR\s+REPLACE\s+(?:PROCEDURE|FUNCTION|PACKAGE)\s+(\w+)\.(\w+)", code, re.I)}
        names |= {f"{m[1]}.{m[2]}".upper() for m in re.finditer(r"CREATE\s+TABLE\s+(\w+)\.(\w+)", code, re.I)}
    return names


def test_every_object_the_plsql_names_exists():
    # a typo in a table, sequence or routine name compiles in PL/SQL only to fail at the first call
    known = oracle_objects()
    assert {"ATLAS_PANDA.JOBSACTIVE4", "ATLAS_PANDA.JOBSDEFINED4_PANDAID_SEQ", "ATLAS_PANDA.ACQUIRE_JOBS",
            f"ATLAS_PANDA.{SUPPORT_PACKAGE}"} | set(TABLES_CREATED_BY_PROCEDURE_FILES) <= known
    problems, seen = [], 0
    for path in oracle_procedure_files():
        # code and the dynamic SQL in literals alike
        text = "".join(piece for kind, piece in scan_sql(path.read_text()) if kind != "comment")
        for match in re.finditer(r"\b(ATLAS_(?:PANDA|PANDAARCH|PANDAMETA|DEFT))\.\"?([A-Za-z_][A-Za-z0-9_$#]*)", text):
            name = f"{match[1]}.{match[2]}".upper()
            seen += 1
            if match[2].endswith("_"):  # a prefix completed at run time ('ATLAS_PANDA.PANDADB_' || job name)
                continue
            if name not in known:
                problems.append(f"{path.name}: {name} is not created by schema/oracle or procedures/oracle")
    assert seen > 500
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_support_package_declares_what_the_twins_use():
    clock = without_comments((ORACLE_PROCEDURES / "clock.sql").read_text())
    spec = re.search(rf"CREATE\s+OR\s+REPLACE\s+PACKAGE\s+ATLAS_PANDA\.{SUPPORT_PACKAGE}\b(.*?)\bEND\s+{SUPPORT_PACKAGE}\s*;",
                     clock, re.S | re.I)
    body = re.search(rf"CREATE\s+OR\s+REPLACE\s+PACKAGE\s+BODY\s+ATLAS_PANDA\.{SUPPORT_PACKAGE}\b(.*?)"
                     rf"\bEND\s+{SUPPORT_PACKAGE}\s*;", clock, re.S | re.I)
    assert spec and body, f"procedures/oracle/clock.sql must create the package {SUPPORT_PACKAGE} and its body"
    declared = {m[1].lower() for m in re.finditer(r"^\s*(?:FUNCTION|PROCEDURE)\s+(\w+)", spec[1], re.M | re.I)}
    declared |= {m[1].lower() for m in re.finditer(r"^\s*(\w+)\s+(?:DATE|VARCHAR2\(\d+\))\s*;", spec[1], re.M | re.I)}
    implemented = {m[1].lower() for m in re.finditer(r"^\s*(?:FUNCTION|PROCEDURE)\s+(\w+)", body[1], re.M | re.I)}
    assert {"clock", "set_clock", "member_text", "row_json_sql", "try_xact_lock"} <= declared
    problems = [f"{SUPPORT_PACKAGE}.{name} is declared but has no body" for name in sorted(declared - implemented
                                                                                           - {"clock", "archive_test_failure"})]
    used = 0
    for path in oracle_procedure_files():
        code = without_comments_and_literals(path.read_text())
        for match in re.finditer(rf"\b{SUPPORT_PACKAGE}\.(\w+)", code, re.I):
            used += 1
            if match[1].lower() not in declared:
                problems.append(f"{path.name}: {SUPPORT_PACKAGE}.{match[1]} is not declared in the package")
    assert used > 200
    assert not problems, "\n".join(sorted(set(problems)))


def test_panda_now_reads_the_pinned_clock_of_the_support_package():
    body = routine_bodies((ORACLE_PROCEDURES / "clock.sql").read_text())["panda_now"]
    assert re.search(rf"{SUPPORT_PACKAGE}\.clock\b", body, re.I), "PANDA_NOW must read PANDADB_SUPPORT.CLOCK"
    assert "SYS_EXTRACT_UTC(SYSTIMESTAMP)" in body.upper()


def test_oracle_dispatch_filters_with_the_function_based_index_expressions():
    # Oracle uses a function-based index only for predicates written with its very expressions
    dispatch = re.sub(r"\s+", " ", without_comments((ORACLE_PROCEDURES / "dispatch.sql").read_text())).upper()
    twins = {i.name.lower(): i.columns for i in model_of("oracle").indexes if i.name.lower().startswith("jobsactive4_dispatch")}
    assert set(twins) == {"jobsactive4_dispatch_idx", "jobsactive4_dispatch_busy_idx"}
    problems = []
    for name, columns in sorted(twins.items()):
        for column in columns:
            expression = column.removesuffix(" DESC")
            written = re.sub(r"\s+", " ", expression)
            if written not in dispatch:
                problems.append(f"procedures/oracle/dispatch.sql never writes {written} (key of {name})")
    assert not problems, "\n".join(problems)


def read_policy_tsv() -> list[dict[str, str]]:
    lines = [line for line in (ROOT / "partitions" / "policy.tsv").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t") + [""] * (len(header) - len(line.split("\t"))))) for line in lines[1:]]


def test_the_oracle_partition_policy_is_policy_tsv():
    text = without_comments((ORACLE_PROCEDURES / "partitions.sql").read_text())
    match = re.search(r"MERGE\s+INTO\s+ATLAS_PANDA\.PARTITION_POLICY\b.*?;", text, re.S | re.I)
    assert match, "procedures/oracle/partitions.sql must MERGE the policy rows into ATLAS_PANDA.PARTITION_POLICY"
    tree = parse_one_statement(match[0].rstrip(";"), "oracle")
    assert isinstance(tree, exp.Merge)
    selects = dual_rows(tree.args["using"])
    names = [s.alias.lower() for s in selects[0].selects]
    oracle = {tuple((names[i], literal_value(s.selects[i])) for i in range(len(names))) for s in selects}
    expected = set()
    for row in read_policy_tsv():
        expected.add((("schema_name", POSTGRES_TO_ORACLE_SCHEMA[row["schema"]]), ("table_name", row["table"].upper()),
                      ("partition_key", row["partition_key"].upper()), ("partition_interval", row["interval"]),
                      ("premake", int(row["premake"]) if row["premake"] else None),
                      ("retention", row["retention"] or None), ("handled", row["handled"])))
    assert len(expected) > 20
    problems = [f"policy.tsv row missing in procedures/oracle/partitions.sql: {dict(r)}" for r in sorted(expected - oracle, key=str)]
    problems += [f"procedures/oracle/partitions.sql row not in policy.tsv: {dict(r)}" for r in sorted(oracle - expected, key=str)]
    assert not problems, "\n".join(problems)


def test_oracle_procedure_files_say_how_they_were_checked():
    # none of this PL/SQL ran on an Oracle server here: the headers of the twins written that way say so
    problems = []
    for path in oracle_procedure_files():
        if path.name in ("version.sql", "registration.sql"):
            continue
        header = "\n".join(line for line in path.read_text().splitlines()[:60] if line.startswith("--"))
        if not re.search(r"without an Oracle server", header, re.I):
            problems.append(f"{path.name}: the header must say that it was written without an Oracle server")
    assert not problems, "\n".join(problems)
