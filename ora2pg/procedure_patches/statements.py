"""Statements PL/pgSQL lacks (bulk binds, savepoints, CONNECT BY) and ora2pg slips of the job area."""

from __future__ import annotations

import re

from ora2pg.patches import PatchContext, split_top_level
from ora2pg.procedure_patches.scanner import (
    closing_bracket,
    code_with_depth,
    in_code,
    rewrite_tokens,
    sub_in_code,
)

# --------------------------------------------------------------------------------------------
# Statements PL/pgSQL lacks (bulk binds, savepoints, CONNECT BY) and ora2pg slips of the job area
# --------------------------------------------------------------------------------------------


def statement_end(sql: str, start: int) -> int:
    """The index of the ';' ending the statement that starts at `start` (outside literals, comments and
    brackets)."""
    for i, character, depth in code_with_depth(sql, start):
        if character == ";" and depth <= 0:
            return i
    return len(sql)


def trailing_anonymous_block_dropped(sql: str, ctx: PatchContext | None = None) -> str:
    """An anonymous block after a file's last routine (BEGIN DBMS_UTILITY.COMPILE_SCHEMA(...); END; or
    BEGIN SET_SCHEMA_VERSION(...); COMMIT; END;, run once by SQL*Plus when the file is loaded) is pasted
    by ora2pg 23.2 into that routine's body, after its END;, which does not parse. It is install-time
    work, not part of the routine: dropped."""
    return re.sub(
        r"(?m)(^END;\n)(?:--[^\n]*\n)*BEGIN\n(?:[^\n]*\n)*?END;\n(?=\$body\$)",
        r"\1",
        sql,
    )


def package_member_header_in_declare(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg 23.2 pastes a package body's own declarations (TYPE ... INDEX BY, the package variables) and
    the member's PL/SQL header (FUNCTION f(p IN NUMBER) RETURN BOOLEAN IS) into the DECLARE section of
    the last member, with the package's END; after the member's; of a member whose name occurs in a
    package variable's name (g_row_json_sql / row_json_sql) it leaves the tail of the header (IN text)
    RETURN text IS). The package variables are per-session caches the converted code does not use
    (support_package_caches_dropped): the header, what precedes it in DECLARE and the extra END; go."""
    routines = re.split(r"(?m)^(?=CREATE OR REPLACE )", sql)
    for index, routine in enumerate(routines):
        declare = re.search(r"(?m)^DECLARE\n", routine)
        begin = re.search(r"(?m)^BEGIN\b", routine[declare.end() :]) if declare else None
        if not declare or not begin:
            continue
        section = routine[declare.end() : declare.end() + begin.start()]
        header = re.search(
            r"(?im)^\s*(?:FUNCTION|PROCEDURE)\s+\w+\s*\([^\n]*\)\s*(?:RETURN\s+\w+\s+)?(?:IS|AS)\s*\n", section
        )
        if header:
            section = section[header.end() :]
            tail = routine[declare.end() + begin.start() :]
            tail = re.sub(r"(?m)^(\s+END;\n)END;\n(?=\$body\$)", r"\1", tail, count=1)
        else:
            tail = routine[declare.end() + begin.start() :]
        section = re.sub(r"(?im)\A\s*IN\s+[^\n]*\)\s*RETURN\s+\w+\s+(?:IS|AS)\s*\n", "", section)
        routines[index] = routine[: declare.end()] + section + tail
    return "".join(routines)


def oracle_error_numbers_as_panda_sqlstates(sql: str, ctx: PatchContext | None = None) -> str:
    """RAISE_APPLICATION_ERROR(-2000N, m) is the twin's PDxxx refusal (ORA-20001 = PD001 ... ORA-20005 =
    PD005, see the files' headers); ora2pg 23.2 raises it with SQLSTATE '4500N'. The refusals get their
    PostgreSQL SQLSTATE, which the services and tests read."""
    return re.sub(r"(?i)(ERRCODE\s*=\s*)'4500([1-5])'", r"\1'PD00\2'", sql)


def sqlcode_as_oracle_error_number(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg 23.2 writes Oracle's SQLCODE (a negative error number: -20002, -1847, -54) as SQLSTATE (a
    five-character code), and the twin compares it with numbers (SQLCODE BETWEEN -20005 AND -20001):
    SQLSTATE in an expression becomes doma_panda.oracle_sqlcode(SQLSTATE), the Oracle number of that
    condition (ora2pg/oracle_environment/). The handler condition WHEN SQLSTATE '...' stays."""
    # (not sub_in_code: it cuts the code before a literal, hiding the '...' of WHEN SQLSTATE '...')
    sql = re.sub(r"(?<![\w.'])SQLSTATE\b(?!\s*')", "doma_panda.oracle_sqlcode(SQLSTATE)", sql)
    # -SQLCODE cast to text (TO_CHAR(-SQLCODE)): the minus applies to the number, before the cast
    return re.sub(r"-\s*(doma_panda\.oracle_sqlcode\(SQLSTATE\))(?=::)", r"(-\1)", sql)


def open_for_update_not_execute(sql: str, ctx: PatchContext | None = None) -> str:
    """OPEN c FOR SELECT ... FOR UPDATE: ora2pg 23.2 takes the FOR of FOR UPDATE for the FOR of OPEN c FOR
    <string> and writes FOR EXECUTE UPDATE."""
    return re.sub(r"(?i)\bFOR\s+EXECUTE\s+UPDATE\b", "FOR UPDATE", sql)


def numeric_trunc_not_date_trunc(sql: str, ctx: PatchContext | None = None) -> str:
    """TRUNC(n) of a number: ora2pg 23.2 writes every one-argument TRUNC as date_trunc('day', x), TRUNC of a
    DATE; when x is arithmetic on variables the routine declares numeric (TRUNC(v_ram / v_cores)) it is
    PostgreSQL's trunc(x)."""
    routines = re.split(r"(?m)^(?=CREATE OR REPLACE )", sql)
    for index, routine in enumerate(routines):
        names = {
            m.group(1).lower()
            for m in re.finditer(
                r"(?im)(?:^|[(,])\s*(\w+)\s+(?:CONSTANT\s+|IN\s+|INOUT\s+)?(?:numeric|integer|bigint|smallint)\b(?!\s*\[)",
                routine,
            )
        }
        out, position = [], 0
        for match in re.finditer(r"(?i)\bdate_trunc\('day',\s*", routine):
            if match.start() < position:
                continue
            close = closing_bracket(routine, match.start() + len("date_trunc"))
            value = routine[match.end() : close]
            words = re.findall(r"[A-Za-z_]\w*", value)
            if not words or not re.fullmatch(r"[\w\s.()+\-*/]+", value) or any(w.lower() not in names for w in words):
                continue
            out.append(routine[position : match.start()] + f"trunc({value})")
            position = close + 1
        routines[index] = "".join(out) + routine[position:]
    return "".join(routines)


def fetch_bulk_collect_as_loop(sql: str, ctx: PatchContext | None = None) -> str:
    """FETCH c BULK COLLECT INTO a, b [LIMIT n]; (the rows of a cursor into one collection per column)
    has no PL/pgSQL form: the rows are fetched one by one (at most n) into a record and each column
    appended to its array (the record read as json keeps the column order; the text of a value is
    converted back by the assignment to the array's element)."""
    out, position = [], 0
    pattern = re.compile(r"(?im)^([ \t]*)FETCH\s+(\w+)\s+BULK\s+COLLECT\s+INTO\s+")
    for match in pattern.finditer(sql):
        if match.start() < position:
            continue
        end = statement_end(sql, match.end())
        targets_and_limit = sql[match.end() : end]
        limit = re.search(r"(?is)\s+LIMIT\s+(.*)$", targets_and_limit)
        targets = [
            t.strip() for t in split_top_level(targets_and_limit[: limit.start()] if limit else targets_and_limit)
        ]
        pad = match.group(1)
        lines = [
            f"{pad}DECLARE",
            f"{pad}    oracle_bulk_row record;",
            f"{pad}    oracle_bulk_values text[];",
            f"{pad}BEGIN",
        ]
        lines += [f"{pad}    {t} := '{{}}';" for t in targets]
        loop = f"FOR oracle_bulk_index IN 1 .. ({limit.group(1).strip()}) LOOP" if limit else "LOOP"
        lines += [
            f"{pad}    {loop}",
            f"{pad}        FETCH {match.group(2)} INTO oracle_bulk_row;",
            f"{pad}        EXIT WHEN NOT FOUND;",
            f"{pad}        oracle_bulk_values := ARRAY(SELECT value FROM json_each_text(row_to_json(oracle_bulk_row)));",
        ]
        lines += [
            f"{pad}        {t}[coalesce(cardinality({t}), 0) + 1] := oracle_bulk_values[{n}];"
            for n, t in enumerate(targets, start=1)
        ]
        lines += [f"{pad}    END LOOP;", f"{pad}END"]
        out.append(sql[position : match.start()] + "\n".join(lines))
        position = end
    return "".join(out) + sql[position:]


def forall_as_for_loop(sql: str, ctx: PatchContext | None = None) -> str:
    """FORALL i IN a .. b <DML statement>; (a bulk bind) is the loop FOR i IN a .. b LOOP <statement>; END
    LOOP; in PL/pgSQL: the same rows change, one statement at a time."""
    out, position = [], 0
    for match in re.finditer(r"(?im)^([ \t]*)FORALL\s+(\w+)\s+IN\s+(.+?)\s*\n", sql):
        if match.start() < position:
            continue
        end = statement_end(sql, match.end())
        pad = match.group(1)
        out.append(
            sql[position : match.start()]
            + f"{pad}FOR {match.group(2)} IN {match.group(3)} LOOP\n"
            + sql[match.end() : end + 1]
            + f"\n{pad}END LOOP;"
        )
        position = end + 1
    return "".join(out) + sql[position:]


def update_set_targets_unqualified(sql: str, ctx: PatchContext | None = None) -> str:
    """UPDATE t a SET a.col = x: Oracle lets the SET list name the columns through the table's alias;
    PostgreSQL wants the bare column (a.col would be the field col of a composite column a). ora2pg 23.2
    keeps the alias. The same in MERGE's UPDATE SET (oracle_merge_as_postgres_merge leaves a quoted
    name qualified: SET r."TIMESTAMP" = x)."""
    out, position = [], 0
    for match in re.finditer(r"(?i)\bUPDATE(?:\s+[\w.\"]+(?:\s+(?:AS\s+)?(?!SET\b)\w+)?)?\s+SET\b", sql):
        if match.start() < position or not in_code(sql, match.start()):
            continue
        end = statement_end(sql, match.end())
        # (a plain re.sub: sub_in_code would take the quoted names for literals and skip them)
        assignments = re.sub(r"(?i)(^|,)(\s*)\w+\.(?=(?:\w+|\"\w+\")\s*=(?!>))", r"\1\2", sql[match.end() : end])
        out.append(sql[position : match.end()] + assignments)
        position = end
    return "".join(out) + sql[position:]


def returning_bulk_collect_as_array_agg(sql: str, ctx: PatchContext | None = None) -> str:
    """UPDATE/DELETE ... RETURNING x, y BULK COLLECT INTO a, b; (every changed row's values into
    collections) is, in PostgreSQL, the statement in a WITH whose RETURNING rows are aggregated into the
    arrays: WITH changed AS (UPDATE ... RETURNING x, y) SELECT array_agg(..), array_agg(..) INTO a, b."""
    out, position = [], 0
    for match in re.finditer(r"(?im)^([ \t]*)(UPDATE|DELETE)\b", sql):
        if match.start() < position:
            continue
        end = statement_end(sql, match.start())
        statement = sql[match.start() : end]
        returning = re.search(r"(?is)\bRETURNING\s+(.*?)\s+BULK\s+COLLECT\s+INTO\s+(.*)$", statement)
        if not returning:
            continue
        values = split_top_level(returning.group(1))
        targets = [t.strip() for t in split_top_level(returning.group(2))]
        pad = match.group(1)
        returned = ", ".join(f"{v} AS returned_{n}" for n, v in enumerate(values, start=1))
        aggregates = ", ".join(f"coalesce(array_agg(returned_{n}), '{{}}')" for n in range(1, len(values) + 1))
        out.append(
            sql[position : match.start()]
            + f"{pad}WITH oracle_returned AS (\n{statement[: returning.start()].rstrip()}\n{pad}RETURNING {returned})\n"
            + f"{pad}SELECT {aggregates} INTO {', '.join(targets)} FROM oracle_returned"
        )
        position = end
    return "".join(out) + sql[position:]


def savepoint_of_exception_block_dropped(sql: str, ctx: PatchContext | None = None) -> str:
    """SAVEPOINT s; BEGIN ... EXCEPTION WHEN ... THEN ROLLBACK TO SAVEPOINT s; ... END; undoes the block's
    work when it fails. PL/pgSQL has no SAVEPOINT statement, but a block with an EXCEPTION clause is a
    subtransaction that is rolled back before its handler runs, which is the same: the two statements
    go."""
    for name in re.findall(r"(?im)^\s*SAVEPOINT\s+(\w+)\s*;\s*\n(?=\s*BEGIN\b)", sql):
        sql = re.sub(rf"(?im)^\s*SAVEPOINT\s+{name}\s*;\s*\n", "", sql)
        sql = re.sub(rf"(?im)^\s*ROLLBACK\s+TO\s+(?:SAVEPOINT\s+)?{name}\s*;\s*\n", "", sql)
    return sql


def quoted_upper_case_names_lowered(sql: str, ctx: PatchContext | None = None) -> str:
    """The twin quotes the column names that are Oracle keywords ("TYPE", "VALUE", "KEY", "TIMESTAMP"):
    in Oracle a quoted upper-case name is the unquoted name; PostgreSQL's columns are lower case, so the
    quoted name is lower-cased (COLLATE "BINARY" is an Oracle collation name: left)."""

    def lowered(token: str, code_before: str) -> str:
        if re.fullmatch(r'"[A-Z][A-Z0-9_$#]*"', token) and not re.search(r"(?i)COLLATE\s*$", code_before):
            return token.lower()
        return token

    return rewrite_tokens(sql, lowered)


def call_variables_as_text(sql: str, ctx: PatchContext | None = None) -> str:
    """CALL p(v_table, v_text) with OUT parameters: PostgreSQL passes an OUT argument back only into a
    variable of the parameter's very type (a VARCHAR2(30) variable, character varying(30) once converted,
    given to a text parameter is wrapped in a cast: "argument is not writable"). The twin's routines'
    text parameters are text, so the variables a routine passes to CALL are declared text (also those
    declared several to a line: v_a VARCHAR2(30); v_b VARCHAR2(30);)."""
    routines = re.split(r"(?m)^(?=CREATE OR REPLACE )", sql)
    for index, routine in enumerate(routines):
        passed = set()
        for match in re.finditer(r"(?i)\bCALL\s+[\w.]+\s*\(", routine):
            close = closing_bracket(routine, match.end() - 1)
            passed |= {
                a.strip().lower()
                for a in split_top_level(routine[match.end() : close])
                if re.fullmatch(r"\s*\w+\s*", a)
            }
        for name in passed:
            routine = re.sub(
                rf"(?im)((?:^|;)\s*{name}\s+)character varying(?:\(\d+\))?(\s*(?::=|;))", r"\1text\2", routine, count=1
            )
        routines[index] = routine
    return "".join(routines)


def dynamic_sql_translated(sql: str, ctx: PatchContext | None = None) -> str:
    """The SQL text the twin builds at run time (EXECUTE IMMEDIATE, OPEN c FOR <text>) is Oracle's: bind
    placeholders :1 / :name, JSON_OBJECT(... VALUE ...) and JSON_ARRAYAGG from PANDADB_SUPPORT.row_json_sql.
    ora2pg cannot convert text it never sees: the text of every EXECUTE goes through
    doma_panda.oracle_dynamic_sql (ora2pg/oracle_environment/), which rewrites those parts when it runs."""
    out, position = [], 0
    for match in re.finditer(r"(?i)(?<![\w.])EXECUTE\s+", sql):
        if match.start() < position or not in_code(sql, match.start()):
            continue
        if re.match(r"(?i)(FUNCTION|PROCEDURE|ON)\b", sql[match.end() :]):
            continue
        end = statement_end(sql, match.end())
        mask = sql[match.end() : end]
        stop = next(  # the text ends at INTO or USING outside brackets and literals
            (
                i
                for i, _, depth in code_with_depth(mask, 0)
                if depth == 0 and re.match(r"(?i)\s(INTO|USING)\b", mask[i:])
            ),
            len(mask),
        )
        text = mask[:stop].strip()
        out.append(sql[position : match.end()] + f"doma_panda.oracle_dynamic_sql({text})" + mask[stop:])
        position = end
    return "".join(out) + sql[position:]


def recursive_with_marked(sql: str, ctx: PatchContext | None = None) -> str:
    """Oracle's recursive subquery factoring (WITH t (a, b) AS (... UNION ALL ... FROM t ...)) has no
    RECURSIVE keyword; PostgreSQL needs WITH RECURSIVE when one of the WITH's queries reads itself."""
    out, position = [], 0
    for match in re.finditer(r"(?i)\bWITH\s+(?!RECURSIVE\b)(?=\w+\s*(?:\([^()]*\)\s*)?AS\s*\()", sql):
        if match.start() < position or not in_code(sql, match.start()):
            continue
        i, recursive = match.end(), False
        while True:  # the WITH's queries: name [(columns)] AS (query), ...
            item = re.compile(r"\s*(\w+)\s*(?:\([^()]*\)\s*)?AS\s*\(", re.I).match(sql, i)
            if not item:
                break
            close = closing_bracket(sql, item.end() - 1)
            if re.search(rf"(?i)(?<![\w.]){item.group(1)}\b", sql[item.end() : close]):
                recursive = True
            comma = re.compile(r"\s*,").match(sql, close + 1)
            if not comma:
                break
            i = comma.end()
        if recursive:
            out.append(sql[position : match.start()] + "WITH RECURSIVE ")
            position = match.end()
    return "".join(out) + sql[position:]


def computed_error_number_as_sqlstate(sql: str, ctx: PatchContext | None = None) -> str:
    """RAISE_APPLICATION_ERROR(v_code, m) with a computed number: ora2pg 23.2 writes USING ERRCODE = v_code,
    a number where PostgreSQL wants a SQLSTATE; doma_panda.oracle_sqlstate (ora2pg/oracle_environment/) gives
    the SQLSTATE of an Oracle error number (-20002 -> PD002, as oracle_error_numbers_as_panda_sqlstates)."""
    return re.sub(r"(?i)(\bERRCODE\s*=\s*)(?!')([^;']+?)(\s*;)", r"\1doma_panda.oracle_sqlstate(\2)\3", sql)


def listagg_of_any_type(sql: str, ctx: PatchContext | None = None) -> str:
    """LISTAGG(x, sep) converts x to text (a NUMBER too); ora2pg 23.2 writes string_agg(x, sep), which takes
    text only: the value is cast. Oracle's ORDER BY ROWNUM inside it (the order of the rows read, e.g. of a
    collection) has no PostgreSQL name: the aggregate reads unnest's rows in that order without it."""
    sql = re.sub(r"(?i)\s+ORDER\s+BY\s+ROWNUM\s*\)", ")", sql)
    out, position = [], 0
    for match in re.finditer(r"(?i)(?<![\w.])string_agg\s*\(", sql):
        if match.start() < position or not in_code(sql, match.start()):
            continue
        close = closing_bracket(sql, match.end() - 1)
        arguments = split_top_level(sql[match.end() : close])
        if len(arguments) < 2:
            continue
        inner = sql[match.end() : close]
        start = inner.find(arguments[0])  # the first argument, after any leading blanks
        value_end = match.end() + start + len(arguments[0])
        out.append(sql[position : match.end() + start] + f"({arguments[0]})::text")
        position = value_end
    return "".join(out) + sql[position:]


def columns_before_variables(sql: str, ctx: PatchContext | None = None) -> str:
    """In a SQL statement of PL/SQL a name that is both a column (or a table alias) and a variable is the
    column (Oracle's name resolution): FOR d IN (...) LOOP leaves a record d that an UPDATE ... d SET ...
    WHERE d.JEDITASKID = ... must not see. PL/pgSQL's #variable_conflict use_column is that rule."""
    return re.sub(r"(?m)( AS \$body\$\n)(?!#variable_conflict)", r"\1#variable_conflict use_column\n", sql)


def member_date_result_as_timestamp(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg 23.2 keeps a package member's DATE result type: RETURNS DATE is PostgreSQL's date, without the
    time of day (PANDADB_SUPPORT.to_date_value would cut every time to midnight). Oracle's DATE is
    ora2pg's timestamp without time zone."""
    return re.sub(r"(?i)(\bRETURNS\s+)DATE(\s+AS\s+\$body\$)", r"\1timestamp without time zone\2", sql)


def to_date_of_orafce(sql: str, ctx: PatchContext | None = None) -> str:
    """TO_DATE(t, fmt) is a DATE with its time of day in Oracle; ora2pg 23.2 keeps the name, and with
    pg_catalog before orafce's schema on the search path it is PostgreSQL's to_date, a date at midnight.
    orafce's oracle.to_date is Oracle's (its oracle.date keeps the time). The three-argument form (with
    NLS parameters) is the environment's."""
    out, position = [], 0
    for match in re.finditer(r"(?i)(?<![\w.])TO_DATE\s*\(", sql):
        if match.start() < position or not in_code(sql, match.start()):
            continue
        close = closing_bracket(sql, match.end() - 1)
        if len(split_top_level(sql[match.end() : close])) > 2:
            continue
        out.append(sql[position : match.start()] + "oracle.to_date(")
        position = match.end()
    return "".join(out) + sql[position:]


def for_update_of_tables(sql: str, ctx: PatchContext | None = None) -> str:
    """FOR UPDATE OF j.PANDAID: Oracle names a column of each table whose rows are locked; PostgreSQL names
    the table (its alias): FOR UPDATE OF j. (In dynamic SQL text: doma_panda.oracle_dynamic_sql.)"""
    return sub_in_code(r"(?i)(FOR\s+UPDATE\s+OF\s+)(\w+)\.\w+", r"\1\2", sql)


def empty_string_arguments_as_null(sql: str, ctx: PatchContext | None = None) -> str:
    """Oracle has no empty string: a VARCHAR2 argument given as '' arrives as NULL, and the twin's checks
    (IF p_site_name IS NULL THEN -20002) rely on it. Each text parameter (IN) of a converted routine is
    set to nullif(p, '') first thing in its body."""
    routines = re.split(r"(?m)^(?=CREATE OR REPLACE )", sql)
    for index, routine in enumerate(routines):
        header = re.match(
            r"CREATE OR REPLACE (?:FUNCTION|PROCEDURE) \S+ ?\((.*?)\)\s*(?:RETURNS\b.*?)?AS \$body\$", routine, re.S
        )
        begin = re.search(r"(?m)^BEGIN\n", routine)
        if not header or not begin:
            continue
        names = [
            m.group(1)
            for m in (
                re.match(
                    r"\s*(\w+)\s+(?:IN\s+)?(?:text|character varying(?:\(\d+\))?)(?:\s+DEFAULT\b.*)?\s*$",
                    a,
                    re.I | re.S,
                )
                for a in split_top_level(header.group(1))
            )
            if m
        ]
        if names:
            # (::text: the loader may make a CLOB parameter jsonb, json_signature_as_postgres)
            assignments = "".join(f"    {n} := nullif({n}::text, '');\n" for n in names)
            routine = routine[: begin.end()] + assignments + routine[begin.end() :]
        routines[index] = routine
    return "".join(routines)


def connect_by_level_as_generate_series(sql: str, ctx: PatchContext | None = None) -> str:
    """SELECT f(LEVEL) ... FROM DUAL CONNECT BY LEVEL <= n (the rows 1..n) is written by ora2pg 23.2 as a
    recursive WITH that does not parse (no FROM, an empty JOIN ... ON ()): it is SELECT f(level) FROM
    generate_series(1, n) AS level_rows(level)."""
    return re.sub(
        r"(?s)WITH RECURSIVE cte AS \(\nSELECT (.*?)\n\s*\n\s*LEVEL <= (.*?)\s+UNION ALL\n.*?JOIN cte c ON \(\)\s*\n\s*\) SELECT \* FROM cte\)",
        r"SELECT \1 FROM generate_series(1, \2) AS level_rows(level))",
        sql,
    )
