"""Reading an Oracle DDL export as DBAs produce it (DBMS_METADATA.GET_DDL, SQL Developer's export,
expdp ... SQLFILE=), and the project's own schema/oracle, into the plain statements ora2pg's offline
(-i) parser takes, with a report of everything left out and why.

An export is a SQL*Plus script: quoted upper-case names with the schema prefix, storage and tablespace
clauses, PL/SQL units ended by a line holding only '/', GRANTs, synonyms, triggers, SQL*Plus
directives. The reader never stops at a statement it does not know:

- a statement with a PostgreSQL meaning (tables, indexes, constraints, comments, sequences, views,
  materialized views) is normalised (names unquoted unless reserved, physical clauses removed,
  partitioning reduced to its key and named partitions) and converted;
- a statement without one is DROPPED with its reason (grants to Oracle users and roles, synonyms, DDL
  triggers, session settings, SQL*Plus directives, storage-only ALTERs...);
- a statement the driver cannot convert is NOT CONVERTED, with its reason and the next step (PL/SQL
  units, row triggers, objects of other schemas, statements it does not understand).
Clauses dropped from a converted statement (storage, subpartitions, virtual columns...) are reported
too, one entry per statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ora2pg.oracle_words import ORACLE_RESERVED_WORDS

NAME = r'(?:"[^"]+"|[A-Za-z][A-Za-z0-9_$#]*)'

# Oracle SQL reserved words, and the keywords schema/oracle quotes as column names: such a name stays quoted.
RESERVED = ORACLE_RESERVED_WORDS | {"TIMESTAMP", "TYPE", "VALUE"}


@dataclass(frozen=True)
class ReportEntry:
    action: str  # "dropped" or "not converted"
    source: str  # file:line
    statement: str  # the statement (shortened) or "<clauses> of <statement head>"
    reason: str

    def __str__(self) -> str:
        return f"{self.action.upper()} {self.source}: {self.statement}\n    why: {self.reason}"


@dataclass
class ScriptStatement:
    file: str
    line: int
    text: str
    plsql: bool = False  # a PL/SQL unit or block ended by '/'
    sqlplus: bool = False  # a SQL*Plus directive

    @property
    def source(self) -> str:
        return f"{self.file}:{self.line}"


# --------------------------------------------------------------------------------------------
# Splitting a SQL*Plus script
# --------------------------------------------------------------------------------------------

SQLPLUS_DIRECTIVE = re.compile(  # matched at a statement's start (Pattern.match(text, pos))
    r"(?:@@?|(?:SET|PROMPT|PRO|REM|REMARK|WHENEVER|SPOOL|DEFINE|DEF|UNDEFINE|SHOW|CONNECT|CONN|EXIT|QUIT|"
    r"COLUMN|COL|TTITLE|BTITLE|BREAK|COMPUTE|CLEAR|PAUSE|ACCEPT|VARIABLE|VAR|PRINT|HOST|EXECUTE|EXEC|"
    r"DISCONNECT|SHUTDOWN|STARTUP|RECOVER|PASSWORD|DESCRIBE|DESC|TIMING|STORE|SAVE|START)\b)",
    re.I,
)
PLSQL_START = re.compile(
    r"(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:NON)?EDITIONABLE\s+)?(?:PROCEDURE|FUNCTION|PACKAGE|TRIGGER|"
    r"TYPE|LIBRARY|JAVA)\b|DECLARE\b|BEGIN\b)",
    re.I,
)


def _skip_quoted(text: str, i: int) -> int:
    """Index after the literal or quoted identifier starting at text[i] (doubled quotes inside)."""
    quote = text[i]
    end = i + 1
    while end < len(text):
        if text[end] == quote:
            if text[end + 1 : end + 2] == quote:
                end += 2
                continue
            return end + 1
        end += 1
    return len(text)


def split_script(text: str, file: str) -> list[ScriptStatement]:
    """The statements of a SQL*Plus script: SQL ended by ';' (or a '/' line), PL/SQL units and blocks
    ended by a '/' line, SQL*Plus directives (one line each). Comments are removed from SQL
    statements (kept in PL/SQL, which is only reported)."""
    statements: list[ScriptStatement] = []
    i, n = 0, len(text)

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    def slash_line_at(pos: int) -> int | None:
        """pos at a line start: end of that line when it holds only '/'."""
        match = re.compile(r"[ \t]*/[ \t]*(?:\n|$)").match(text, pos)
        return match.end() if match else None

    while i < n:
        # whitespace and comments between statements
        match = re.compile(r"\s+").match(text, i)
        if match:
            i = match.end()
            continue
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        line_start = text.rfind("\n", 0, i) + 1
        end_of_slash = slash_line_at(line_start)
        if end_of_slash is not None:  # '/' re-running the statement just ended: nothing new
            i = end_of_slash
            continue
        line_end = text.find("\n", i)
        line_end = n if line_end < 0 else line_end
        if SQLPLUS_DIRECTIVE.match(text, i) and not re.compile(r"SET\s+(TRANSACTION|ROLE|CONSTRAINTS?)\b", re.I).match(
            text, i
        ):
            statements.append(ScriptStatement(file, line_of(i), text[i:line_end].strip(), sqlplus=True))
            i = line_end
            continue
        start, plsql = i, bool(PLSQL_START.match(text, i))
        code: list[str] = []
        while i < n:
            ch = text[i]
            if ch == "\n":
                code.append(ch)
                i += 1
                end_of_slash = slash_line_at(i)
                if end_of_slash is not None:
                    i = end_of_slash
                    break
                continue
            if text.startswith("--", i) and not plsql:
                end = text.find("\n", i)
                i = n if end < 0 else end
                continue
            if text.startswith("/*", i) and not plsql:
                end = text.find("*/", i + 2)
                i = n if end < 0 else end + 2
                code.append(" ")
                continue
            if text.startswith("--", i):  # PL/SQL: keep comments, but a quote inside one is no quote
                end = text.find("\n", i)
                end = n if end < 0 else end
                code.append(text[i:end])
                i = end
                continue
            if ch in "'\"":
                end = _skip_quoted(text, i)
                code.append(text[i:end])
                i = end
                continue
            if ch == ";" and not plsql:
                i += 1
                break
            code.append(ch)
            i += 1
        statement = "".join(code).strip()
        if plsql:
            statement = statement.rstrip()
        if statement:
            statements.append(ScriptStatement(file, line_of(start), statement, plsql=plsql))
    return statements


# --------------------------------------------------------------------------------------------
# Normalising a DDL statement
# --------------------------------------------------------------------------------------------


def _outside_literals(text: str, change) -> str:
    """Apply change() to the text outside '...' literals."""
    pieces = re.split(r"('(?:[^']|'')*')", text)
    return "".join(piece if piece.startswith("'") else change(piece) for piece in pieces)


def unquote_names(text: str) -> str:
    """ "ATLAS_PANDA"."JOBSACTIVE4" -> ATLAS_PANDA.JOBSACTIVE4: a quoted upper-case name means what it
    means unquoted, unless it is a reserved word (then it stays quoted, as schema/oracle writes it)."""

    def one(match: re.Match) -> str:
        name = match.group(1)
        if re.fullmatch(r"[A-Z][A-Z0-9_$#]*", name) and name not in RESERVED:
            return name
        return match.group(0)

    return _outside_literals(text, lambda piece: re.sub(r'"([^"]+)"', one, piece))


def balanced(text: str, start: int) -> int:
    """Index after the parenthesised group starting at text[start] == '('."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            i = _skip_quoted(text, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def split_top_level(text: str) -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            i = _skip_quoted(text, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


# physical clauses with no PostgreSQL meaning (storage is PostgreSQL's own; no tablespaces are used)
_PAREN = r"\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)"
PHYSICAL_CLAUSES = [
    ("SEGMENT CREATION", r"\bSEGMENT\s+CREATION\s+(?:IMMEDIATE|DEFERRED)"),
    ("LOB storage", rf"\bLOB\s*\([^)]*\)\s*STORE\s+AS(?:\s+(?:SECUREFILE|BASICFILE))?(?:\s+{NAME})?(?:\s*{_PAREN})?"),
    ("STORAGE", rf"\bSTORAGE\s*{_PAREN}"),
    ("TABLESPACE", rf"\bTABLESPACE\s+{NAME}"),
    (
        "block parameters",
        r"\b(?:PCTFREE|PCTUSED|INITRANS|MAXTRANS|PCTTHRESHOLD|PCTVERSION|FREELISTS|FREELIST\s+GROUPS)\s+\d+",
    ),
    (
        "COMPRESS",
        r"\b(?:(?:ROW|COLUMN)\s+STORE\s+)?(?:NOCOMPRESS|COMPRESS(?:\s+FOR\s+(?:OLTP|ALL\s+OPERATIONS|DIRECT_LOAD\s+OPERATIONS|"
        r"QUERY(?:\s+(?:LOW|HIGH))?|ARCHIVE(?:\s+(?:LOW|HIGH))?)|\s+BASIC|\s+ADVANCED(?:\s+(?:LOW|HIGH))?|\s+\d+)?)\b",
    ),
    ("LOGGING", r"\b(?:NO)?LOGGING\b"),
    ("PARALLEL", r"\b(?:NOPARALLEL|PARALLEL(?:\s+\d+)?)\b"),
    ("CACHE", r"\b(?:NO)?CACHE\b"),
    ("ROWDEPENDENCIES", r"\b(?:NO)?ROWDEPENDENCIES\b"),
    ("MONITORING", r"\b(?:NO)?MONITORING\b"),
    ("COMPUTE STATISTICS", r"\bCOMPUTE\s+STATISTICS\b"),
    ("ROW MOVEMENT", r"\b(?:ENABLE|DISABLE)\s+ROW\s+MOVEMENT\b"),
    (
        "INMEMORY",
        r"\bNO\s+INMEMORY\b|\bINMEMORY\b(?:\s+MEMCOMPRESS\s+FOR\s+\w+(?:\s+(?:LOW|HIGH))?)?(?:\s+PRIORITY\s+\w+)?",
    ),
    ("collation", rf"\bDEFAULT\s+COLLATION\s+{NAME}|\bCOLLATE\s+{NAME}"),
    ("index visibility", r"\b(?:IN)?VISIBLE\b"),
    ("RESULT_CACHE", rf"\bRESULT_CACHE\s*{_PAREN}"),
    ("FLASH_CACHE", r"\b(?:CELL_)?FLASH_CACHE\s+\w+"),
    (
        "index-organised table",
        rf"\bORGANIZATION\s+INDEX\b|\bINCLUDING\s+{NAME}\s+OVERFLOW\b|\bOVERFLOW\b|\bMAPPING\s+TABLE\b",
    ),
    ("heap organisation", r"\bORGANIZATION\s+HEAP\b"),
]
PHYSICAL_REASON = (
    "physical storage clauses ({}): PostgreSQL manages its own storage and the PanDA "
    "PostgreSQL schema uses no tablespaces"
)


def strip_physical(text: str, removed: set[str], *, keep_cache: bool = False) -> str:
    def change(piece: str) -> str:
        for label, pattern in PHYSICAL_CLAUSES:
            if keep_cache and label == "CACHE":
                continue
            piece, count = re.subn(pattern, " ", piece, flags=re.I)
            if count:
                removed.add(label)
        return piece

    return _outside_literals(text, change)


def strip_constraint_states(text: str) -> str:
    """NOT NULL ENABLE -> NOT NULL; `USING INDEX` (its storage already removed), ENABLE, VALIDATE:
    the PostgreSQL defaults."""

    def change(piece: str) -> str:
        piece = re.sub(
            rf"\bUSING\s+INDEX(?:\s+LOCAL)?(?:\s+(?!ENABLE\b|DISABLE\b|VALIDATE\b|NOVALIDATE\b){NAME}(?:\.{NAME})?)?",
            " ",
            piece,
            flags=re.I,
        )
        piece = re.sub(r"\b(?:ENABLE|VALIDATE)\b", " ", piece, flags=re.I)
        return piece

    return _outside_literals(text, change)


def tidy(text: str) -> str:
    text = _outside_literals(text, lambda piece: re.sub(r"[ \t]+", " ", re.sub(r"\s*\n\s*", "\n", piece)))
    text = re.sub(r" +,", ",", text)
    text = re.sub(r"\( +", "(", text)
    text = re.sub(r" +\)", ")", text)
    return text.strip()


def length_semantics(text: str) -> str:
    """VARCHAR2(64 BYTE), CHAR(1 CHAR) -> VARCHAR2(64), CHAR(1): PostgreSQL counts characters.
    NUMBER(19,0) (as DBMS_METADATA writes it) is NUMBER(19), which the type mapping knows."""

    def change(piece: str) -> str:
        piece = re.sub(r"\(\s*(\d+)\s+(?:BYTE|CHAR)\s*\)", r"(\1)", piece, flags=re.I)
        return re.sub(r"\bNUMBER\s*\(\s*(\d+)\s*,\s*0\s*\)", r"NUMBER(\1)", piece, flags=re.I)

    return _outside_literals(text, change)


@dataclass
class Normalised:
    text: str | None  # None: nothing left to convert
    entries: list[ReportEntry]


def _head(text: str, words: int = 6) -> str:
    return " ".join(text.split()[:words])


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def normalise_partitioning(tail: str, source: str, head: str, entries: list[ReportEntry]) -> str:
    """The PARTITION BY clause reduced to what the conversion uses: method, key, interval and the
    named partitions with their bounds; subpartitioning and per-partition storage are dropped."""
    match = re.search(
        rf"\bPARTITION\s+BY\s+(RANGE|LIST|HASH|REFERENCE|SYSTEM)\s*(\(\s*{NAME}(?:\s*,\s*{NAME})*\s*\))?", tail, re.I
    )
    if not match:
        return ""
    kind = match.group(1).upper()
    if kind not in ("RANGE", "LIST") or not match.group(2) or "," in match.group(2):
        entries.append(
            ReportEntry(
                "not converted",
                source,
                f"PARTITION BY {kind} of {head}",
                "only single-column range, interval and list partitioning have a PostgreSQL counterpart here: the "
                "table is converted unpartitioned; partition it by hand (PARTITION BY ... and pandadb partitions) if needed",
            )
        )
        return ""
    rest = tail[match.end() :]
    clause = f"PARTITION BY {kind} {match.group(2).strip()}"
    interval = re.match(r"\s*INTERVAL\s*\(", rest, re.I)
    if interval:
        end = balanced(rest, interval.end() - 1)
        clause += f" INTERVAL {rest[interval.end() - 1 : end].strip()}"
        rest = rest[end:]
    dropped = []
    sub = re.match(r"\s*SUBPARTITION\s+BY\s+\w+\s*\([^)]*\)", rest, re.I)
    if sub:
        dropped.append("SUBPARTITION BY")
        rest = rest[sub.end() :]
        template = re.match(r"\s*SUBPARTITION\s+TEMPLATE\s*\(", rest, re.I)
        if template:
            rest = rest[balanced(rest, template.end() - 1) :]
    store = re.match(r"\s*STORE\s+IN\s*\(", rest, re.I)
    if store:
        rest = rest[balanced(rest, store.end() - 1) :]
    opening = rest.find("(")
    partitions = []
    if opening >= 0:
        body = rest[opening + 1 : balanced(rest, opening) - 1]
        for part in split_top_level(body):
            bound = re.match(rf"PARTITION\s+({NAME})\s+VALUES\s+(LESS\s+THAN\s*)?\(", part, re.I)
            if not bound:
                continue
            values_end = balanced(part, bound.end() - 1)
            values = part[bound.end() - 1 : values_end]
            leftover = part[values_end:]
            if re.search(r"\bSUBPARTITION", leftover, re.I):
                dropped.append(f"subpartitions of {bound.group(1)}")
            partitions.append(f"PARTITION {bound.group(1)} VALUES {'LESS THAN ' if bound.group(2) else ''}{values}")
    if dropped:
        entries.append(
            ReportEntry(
                "dropped",
                source,
                f"{', '.join(dropped)} of {head}",
                "subpartitions: PostgreSQL partitions are made by partition maintenance (pandadb partitions) on the "
                "partition key only; the subpartition key is served by the table's indexes",
            )
        )
    if partitions:
        clause += " (" + ", ".join(partitions) + ")"
    return clause


def normalise_create_table(text: str, source: str, entries: list[ReportEntry]) -> str:
    match = re.match(rf"CREATE\s+(?:GLOBAL\s+TEMPORARY\s+)?TABLE\s+({NAME}\.{NAME})\s*\(", text, re.I)
    if not match:
        return text
    head = f"CREATE TABLE {match.group(1)}"
    end = balanced(text, match.end() - 1)
    items, virtual, supplemental = [], [], False
    for item in split_top_level(text[match.end() : end - 1]):
        if re.match(r"SUPPLEMENTAL\s+LOG\b", item, re.I):
            supplemental = True
            continue
        if (
            re.search(r"\bGENERATED\s+ALWAYS\s+AS\s*\((?:.|\n)*\)\s*(?:VIRTUAL)?\s*$", item, re.I)
            and not re.search(r"\bAS\s+IDENTITY\b", item, re.I)
            or re.match(rf"{NAME}\s+AS\s*\(", item, re.I)
        ):
            virtual.append(item)
            continue
        items.append(item)
    tail = text[end:]
    removed: set[str] = set()
    items = [strip_constraint_states(strip_physical(item, removed)) for item in items]
    partitioning = normalise_partitioning(tail, source, head, entries)
    strip_physical(re.sub(r"\bPARTITION\s+BY\b.*", "", tail, flags=re.I | re.S), removed)
    if re.search(r"\bPARTITION\s+BY\b", tail, re.I):
        strip_physical(tail, removed)
    if virtual:
        entries.append(
            ReportEntry(
                "not converted",
                source,
                f"virtual column(s) {'; '.join(_short(v, 100) for v in virtual)} of {head}",
                "an Oracle virtual column is computed on read; its expression is Oracle SQL: add it by hand as "
                "GENERATED ALWAYS AS (<PostgreSQL expression>) STORED, or compute it in a view",
            )
        )
    if supplemental:
        entries.append(
            ReportEntry(
                "dropped",
                source,
                f"SUPPLEMENTAL LOG DATA of {head}",
                "redo-log detail for Oracle replication (GoldenGate, Streams); PostgreSQL logical replication uses "
                "REPLICA IDENTITY (the primary key by default)",
            )
        )
    if "index-organised table" in removed:
        removed.discard("index-organised table")
        entries.append(
            ReportEntry(
                "dropped",
                source,
                f"ORGANIZATION INDEX of {head}",
                "PostgreSQL has no index-organised tables: the table becomes a heap table whose primary key has its own "
                "index (CLUSTER on it to order the rows once, if wanted)",
            )
        )
    removed.discard("heap organisation")
    if removed:
        entries.append(
            ReportEntry(
                "dropped",
                source,
                f"{', '.join(sorted(removed))} of {head}",
                PHYSICAL_REASON.format(", ".join(sorted(removed))),
            )
        )
    body = ",\n    ".join(tidy(length_semantics(item)) for item in items)
    return f"{head} (\n    {body}\n)" + (f"\n{partitioning}" if partitioning else "")


def normalise_create_index(text: str, source: str, entries: list[ReportEntry]) -> str:
    match = re.match(
        rf"CREATE\s+(UNIQUE\s+|BITMAP\s+)?INDEX\s+({NAME}(?:\.{NAME})?)\s+ON\s+({NAME}\.{NAME})\s*\(", text, re.I
    )
    if not match:
        return text
    end = balanced(text, match.end() - 1)
    kind = (match.group(1) or "").strip().upper()
    head = f"CREATE {kind + ' ' if kind else ''}INDEX {match.group(2)}"
    removed: set[str] = set()
    tail = strip_physical(text[end:], removed)
    if re.search(r"\bLOCAL\b", tail, re.I):
        removed.add("LOCAL partitioning")
    if kind == "BITMAP":
        entries.append(
            ReportEntry(
                "dropped",
                source,
                f"BITMAP of {head}",
                "PostgreSQL has no bitmap indexes (it combines B-tree indexes into bitmaps at query "
                "time): the index is converted as a B-tree index",
            )
        )
        kind = ""
    if removed - {"LOCAL partitioning"}:
        entries.append(
            ReportEntry(
                "dropped",
                source,
                f"{', '.join(sorted(removed))} of {head}",
                PHYSICAL_REASON.format(", ".join(sorted(removed - {'LOCAL partitioning'})))
                + "; a LOCAL index is a partitioned index in PostgreSQL anyway",
            )
        )
    return (
        f"CREATE {kind + ' ' if kind else ''}INDEX {match.group(2)} ON {match.group(3)} {text[match.end() - 1 : end]}"
    )


def normalise_sequence(text: str) -> str:
    """Oracle-only sequence options go; MAXVALUE 9999...9 (28 digits, Oracle's unlimited) does not fit a
    bigint: no MAXVALUE (PostgreSQL's unlimited)."""
    text = re.sub(
        r"\b(?:NOORDER|ORDER|NOKEEP|KEEP|NOSCALE|SCALE(?:\s+(?:NO)?EXTEND)?|GLOBAL|SESSION|NOSHARD|SHARD"
        r"(?:\s+(?:NO)?EXTEND)?|NOPARTITION|PARTITION)\b",
        " ",
        text,
        flags=re.I,
    )
    text = re.sub(r"\bMAXVALUE\s+\d{20,}", " ", text, flags=re.I)
    return tidy(text)


DROPPED_KINDS = [
    (
        r"GRANT\b",
        "privileges of Oracle users and roles: grant the PostgreSQL roles of this deployment instead "
        "(the services connect as the database owner)",
    ),
    (r"REVOKE\b", "privileges of Oracle users and roles (see GRANT): nothing to revoke in the new database"),
    (
        r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:NON)?EDITIONABLE\s+)?(?:PUBLIC\s+)?SYNONYM\b",
        "PostgreSQL has no synonyms: the doma_* schema names and the search_path resolve the names",
    ),
    (r"ALTER\s+SESSION\b", "session setting of the export or import run, not part of the schema"),
    (
        r"ALTER\s+(?:INDEX|TRIGGER|PROCEDURE|FUNCTION|PACKAGE|VIEW|MATERIALIZED\s+VIEW\s+LOG)\b",
        "maintenance of an Oracle object (rebuild, compile, enable, visibility): no schema content",
    ),
    (
        r"ALTER\s+TABLE\s+\S+\s+ADD\s+SUPPLEMENTAL\s+LOG\b",
        "redo-log detail for Oracle replication (GoldenGate, Streams); PostgreSQL logical replication uses "
        "REPLICA IDENTITY (the primary key by default)",
    ),
    (
        r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:USER|ROLE|TABLESPACE|DATABASE\s+LINK|PUBLIC\s+DATABASE\s+LINK|DIRECTORY|PROFILE|CONTEXT)\b",
        "an object of the Oracle instance, not of the PanDA schemas",
    ),
    (
        r"CREATE\s+MATERIALIZED\s+VIEW\s+LOG\b",
        "materialized view logs serve Oracle's fast refresh; PostgreSQL refreshes a materialized view completely",
    ),
    (r"DROP\b", "a drop of a re-runnable script: the conversion starts from an empty database"),
    (r"(?:COMMIT|ROLLBACK)\b", "transaction control of the script"),
    (
        r"(?:ANALYZE|AUDIT|NOAUDIT|PURGE|TRUNCATE|LOCK\s+TABLE|RENAME|FLASHBACK|ASSOCIATE\s+STATISTICS)\b",
        "an Oracle maintenance statement, not schema content",
    ),
]

DDL_TRIGGER = re.compile(
    r"\b(?:BEFORE|AFTER|INSTEAD\s+OF)\s+(?:[A-Z_]+(?:\s+OR\s+[A-Z_]+)*)\s+ON\s+"
    rf"(?:{NAME}\s*\.\s*)?(?:SCHEMA|DATABASE)\b",
    re.I,
)


def plsql_unit(text: str) -> tuple[str, str]:
    """(kind, name) of a PL/SQL unit: ('PACKAGE BODY', 'ATLAS_PANDA.X')."""
    match = re.match(
        rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:NON)?EDITIONABLE\s+)?(PACKAGE\s+BODY|TYPE\s+BODY|\w+)\s+"
        rf"({NAME}(?:\s*\.\s*{NAME})?)",
        text,
        re.I,
    )
    if not match:
        return ("anonymous PL/SQL block", "")
    return (" ".join(match.group(1).upper().split()), unquote_names(re.sub(r"\s+", "", match.group(2))))


def classify_script_statement(statement: ScriptStatement) -> Normalised:
    """What the conversion does with one statement of a script (see the module docstring)."""
    text, source = statement.text, statement.source
    if statement.sqlplus and re.match(r"EXEC(?:UTE)?\b", text, re.I):
        return Normalised(
            None,
            [
                ReportEntry(
                    "dropped",
                    source,
                    _short(text),
                    "SQL*Plus EXECUTE of a PL/SQL call (statistics, jobs): an Oracle maintenance "
                    "action, not schema content",
                )
            ],
        )
    if statement.sqlplus:
        return Normalised(
            None,
            [
                ReportEntry(
                    "dropped",
                    source,
                    _short(text),
                    "SQL*Plus directive, not SQL: it only steers the SQL*Plus session that ran the export",
                )
            ],
        )
    if statement.plsql:
        kind, name = plsql_unit(text)
        if kind == "TRIGGER" and DDL_TRIGGER.search(text[:600]):
            return Normalised(
                None,
                [
                    ReportEntry(
                        "dropped",
                        source,
                        f"DDL trigger {name}",
                        "an Oracle system (DDL) trigger on the schema, which fires on CREATE/ALTER/DROP of Oracle objects "
                        "(typically grants or auditing for new objects); PanDA DB needs none. A PostgreSQL event trigger "
                        "would be written anew",
                    )
                ],
            )
        if kind == "TRIGGER":
            reason = (
                "a row/statement trigger: PanDA DB keeps such logic in its stored functions "
                "(procedures/postgres, created by `pandadb migrate upgrade`); if the site relies on it, convert "
                "it with `ora2pg -t TRIGGER -i <file>` and review it"
            )
        elif kind == "anonymous PL/SQL block":
            reason = (
                "a PL/SQL block the script runs (statistics, scheduler jobs, grants in a loop): the scheduled "
                "work of PanDA DB is partitions/scheduled_jobs.tsv; run its PostgreSQL equivalent by hand if needed"
            )
        else:
            reason = (
                f"PL/SQL {kind.lower()}: PanDA DB's stored logic comes from procedures/postgres (created by "
                "`pandadb migrate upgrade`, Oracle twin in procedures/oracle); a site's own unit: convert it with "
                "`ora2pg -t "
                + ("PACKAGE" if kind.startswith("PACKAGE") else kind.split()[0])
                + " -i <file>` and review it"
            )
        return Normalised(None, [ReportEntry("not converted", source, f"{kind} {name}".strip(), reason)])
    text = unquote_names(text)
    for pattern, reason in DROPPED_KINDS:
        if re.match(pattern, text, re.I):
            return Normalised(None, [ReportEntry("dropped", source, _short(text), reason)])
    entries: list[ReportEntry] = []
    if re.match(r"CREATE\s+(?:GLOBAL\s+TEMPORARY\s+)?TABLE\b", text, re.I):
        text = normalise_create_table(text, source, entries)
    elif re.match(r"CREATE\s+(?:UNIQUE\s+|BITMAP\s+)?INDEX\b", text, re.I):
        text = normalise_create_index(text, source, entries)
    elif re.match(r"CREATE\s+SEQUENCE\b", text, re.I):
        text = normalise_sequence(text)
    elif re.match(r"ALTER\s+TABLE\b", text, re.I):
        removed: set[str] = set()
        stripped = tidy(strip_constraint_states(strip_physical(text, removed)))
        if re.fullmatch(rf"ALTER\s+TABLE\s+{NAME}(?:\.{NAME})?(?:\s+(?:MODIFY|MOVE|ENABLE|DISABLE))?", stripped, re.I):
            return Normalised(
                None,
                [
                    ReportEntry(
                        "dropped",
                        source,
                        _short(text),
                        PHYSICAL_REASON.format(", ".join(sorted(removed)) or "physical attributes"),
                    )
                ],
            )
        text = stripped
    elif re.match(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:NO\s+)?(?:FORCE\s+)?(?:(?:NON)?EDITIONABLE\s+)?VIEW\b", text, re.I):
        text = re.sub(r"\b(?:NON)?EDITIONABLE\s+", "", text, count=1, flags=re.I)
    elif re.match(r"CREATE\s+MATERIALIZED\s+VIEW\b", text, re.I):
        removed = set()
        head, _, query = (
            re.split(r"(\bAS\b)", text, maxsplit=1, flags=re.I) if re.search(r"\bAS\b", text, re.I) else (text, "", "")
        )
        text = tidy(strip_physical(head, removed)) + (" AS" + query if query else "")
    return Normalised(text, entries)


def write_report(entries: list[ReportEntry], path) -> None:
    """The report as a text file: one entry per dropped or not converted statement (or clause)."""
    dropped = sum(1 for e in entries if e.action == "dropped")
    lines = [f"# {dropped} dropped, {len(entries) - dropped} not converted", ""]
    lines += [str(entry) for entry in entries]
    from pathlib import Path

    Path(path).write_text("\n".join(lines) + "\n")
