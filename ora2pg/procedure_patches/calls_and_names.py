"""Calls, names and values: package calls, CALL, types, package variables, Oracle's '' = NULL and ||, the
search path, MERGE, record types, and the Oracle functions ora2pg translates badly."""

from __future__ import annotations

import re

from ora2pg.patches import PatchContext, split_top_level
from ora2pg.procedure_patches.scanner import closing_bracket, in_code, skip_literal_or_comment, sub_in_code
from ora2pg.procedure_patches.statements import statement_end

# --------------------------------------------------------------------------------------------
# The other patches
# --------------------------------------------------------------------------------------------


STATEMENT_KEYWORDS = {
    "if",
    "elsif",
    "while",
    "return",
    "raise",
    "perform",
    "call",
    "select",
    "insert",
    "update",
    "delete",
    "merge",
    "execute",
    "open",
    "fetch",
    "close",
    "exit",
    "continue",
    "for",
    "foreach",
    "with",
    "values",
    "case",
    "when",
    "loop",
    "null",
    "commit",
    "rollback",
    "get",
    "assert",
    "lock",
}


def procedure_calls_with_call(sql: str, ctx: PatchContext | None = None) -> str:
    """A PL/SQL procedure call is a statement of its own, `name(args);`; PL/pgSQL wants `CALL name(args);`.
    ora2pg adds CALL for the procedures of the same file it converts, not for those of other files
    (doma_panda.job_lock(...) from job_commands.sql) nor for orafce's (DBMS_SQL.PARSE). A statement
    starts after ';' or after BEGIN, THEN, ELSE, LOOP, DECLARE's end."""
    out, position = [], 0
    for match in re.finditer(r"(?m)^([ \t]*)([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)\s*\(", sql):
        if match.group(2).lower() in STATEMENT_KEYWORDS or match.start() < position:
            continue
        before = re.sub(r"--[^\n]*", "", sql[max(0, match.start() - 400) : match.start()]).rstrip()
        if not re.search(r"(?i)(;|\bBEGIN|\bTHEN|\bELSE|\bLOOP|\$body\$)$", before):
            continue
        try:
            close = closing_bracket(sql, match.end() - 1)
        except ValueError:
            continue
        if not re.match(r"\s*;", sql[close + 1 :]):
            continue
        out.append(sql[position : match.start(2)] + "CALL ")
        position = match.start(2)
    return "".join(out) + sql[position:]


def package_calls_as_functions(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg -t FUNCTION -i writes the members of package PANDADB_SUPPORT as functions of the schema
    under their member names, but leaves the calls to them written as package.member(...) in the
    bodies of the other files' routines: the calls are renamed the same way."""
    return re.sub(
        r"(?i)\b(?:doma_panda\.|atlas_panda\.)?pandadb_support\.(\w+)",
        lambda m: f"doma_panda.{m.group(1).lower()}",
        sql,
    )


def routines_as_separate_statements(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg ends a routine with `LANGUAGE PLPGSQL` and a ';' on its own line, and comments the
    REVOKE it would add: the statement separators are made uniform (one routine per statement) so
    each routine can be created, and counted, on its own."""
    return re.sub(r"\n;\n", ";\n", sql)


def no_semicolon_after_return_type(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg 23.2 writes the return type of a package member followed by the ';' of its declaration
    in the package spec: `RETURNS character varying; AS $body$`, which does not parse."""
    return re.sub(r"(RETURNS [^\n;]*?);( AS \$body\$)", r"\1\2", sql)


def ref_cursor_type(sql: str, ctx: PatchContext | None = None) -> str:
    """SYS_REFCURSOR (Oracle's weak ref cursor) is PostgreSQL's refcursor; ora2pg keeps the Oracle name."""
    return re.sub(r"(?i)\bSYS_REFCURSOR\b", "refcursor", sql)


def oracle_scalar_types(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg converts the types of a standalone routine's signature but keeps the package members'
    (VARCHAR2, NUMBER, PLS_INTEGER): they are text, numeric and integer (in code only: the messages
    that name Oracle column types keep them)."""
    sql = sub_in_code(r"(?i)\bN?VARCHAR2\b(?:\s*\(\s*\d+\s*(?:CHAR|BYTE)?\s*\))?", "text", sql)
    sql = sub_in_code(r"(?i)\bPLS_INTEGER\b|\bBINARY_INTEGER\b", "integer", sql)
    return sub_in_code(r"(?i)(?<![.\w])NUMBER\b(?!\s*\()", "numeric", sql)


def string_list_type(sql: str, ctx: PatchContext | None = None) -> str:
    """SYS.ODCIVARCHAR2LIST / SYS.ODCINUMBERLIST (VARRAYs of VARCHAR2(4000) / NUMBER) are text[] /
    numeric[] in PostgreSQL; ora2pg keeps the Oracle names (with or without SYS.). The constructor
    SYS.ODCIVARCHAR2LIST(a, b) becomes ARRAY[a, b]; the empty one, '{}'."""
    for oracle, postgres in (("ODCIVARCHAR2LIST", "text[]"), ("ODCINUMBERLIST", "numeric[]")):
        sql = re.sub(rf"(?i)\b(?:SYS\.)?{oracle}\(\s*\)", f"'{{}}'::{postgres}", sql)
        sql = re.sub(rf"(?i)\b(?:SYS\.)?{oracle}\(", "ARRAY[", sql)  # closed below
        sql = re.sub(rf"(?i)\b(?:SYS\.)?{oracle}\b", postgres, sql)
    return sql


def close_array_constructors(sql: str, ctx: PatchContext | None = None) -> str:
    """The other half of string_list_type: the ')' that closed SYS.ODCIVARCHAR2LIST(...) closes ARRAY[...]."""
    out, i = [], 0
    while True:
        j = sql.find("ARRAY[", i)
        if j < 0:
            out.append(sql[i:])
            return "".join(out)
        depth, k = 1, j + 6
        while k < len(sql) and depth:
            if sql[k] == "'":
                k = sql.find("'", k + 1)
                if k < 0:
                    k = len(sql)
            elif sql[k] in "([":
                depth += 1
            elif sql[k] in ")]":
                depth -= 1
            k += 1
        out.append(sql[i : k - 1] + ("]" if k - 1 < len(sql) and sql[k - 1] == ")" else sql[k - 1 : k]))
        i = k


# PANDADB_SUPPORT's package variables -> the settings (GUCs) they stand for (see 00_support.sql's header)
SUPPORT_PACKAGE_SETTINGS = {
    "clock": ("pandadb.clock", "timestamp without time zone"),
    "archive_test_failure": ("pandadb.archive_test_failure", "text"),
}


def support_package_variables_as_settings(sql: str, ctx: PatchContext | None = None) -> str:
    """PL/pgSQL has no package variables: PANDADB_SUPPORT's (CLOCK, ARCHIVE_TEST_FAILURE) stand for the
    session settings pandadb.clock and pandadb.archive_test_failure, so reads become current_setting and
    the assignment in SET_CLOCK becomes set_config (the tests pin the clock with the same setting)."""
    for variable, (setting, kind) in SUPPORT_PACKAGE_SETTINGS.items():
        sql = re.sub(
            rf"(?i)\bdoma_panda\.{variable}\b(?!\s*\()",
            f"nullif(current_setting('{setting}', true), '')::{kind}",
            sql,
        )
        sql = re.sub(
            rf"(?im)^(\s*){variable}\s*:=\s*([^;]+);",
            rf"\1PERFORM set_config('{setting}', coalesce(to_char((\2), 'YYYY-MM-DD HH24:MI:SS'), ''), false);"
            if kind.startswith("timestamp")
            else rf"\1PERFORM set_config('{setting}', coalesce((\2)::text, ''), false);",
            sql,
        )
    return sql


def top_level_mask(text: str) -> str:
    """text with its string literals, comments and bracketed parts blanked (same length): a regular
    expression run on it finds the keywords of the statement itself only."""
    out, depth, i = [], 0, 0
    while i < len(text):
        after = skip_literal_or_comment(text, i)
        if after != i:
            out.append(" " * (after - i))
            i = after
            continue
        if text[i] in "([":
            depth += 1
        out.append(text[i] if depth == 0 else " ")
        if text[i] in ")]":
            depth -= 1
        i += 1
    return "".join(out)


def oracle_merge_as_postgres_merge(sql: str, ctx: PatchContext | None = None) -> str:
    """Oracle's MERGE writes the condition of an action after it (WHEN MATCHED THEN UPDATE SET ... WHERE c;
    WHEN NOT MATCHED THEN INSERT ... VALUES (...) WHERE c) and lets UPDATE SET name the target's columns
    through its alias (SET t.col = x); PostgreSQL 15's MERGE puts the condition in the WHEN clause (WHEN
    MATCHED AND c THEN UPDATE SET ...) and wants the bare column (SET t.col means the field col of a
    composite column t). ora2pg 23.2 keeps Oracle's form."""
    out, position = [], 0
    for match in re.finditer(r"(?i)\bMERGE\s+INTO\s+[\w.\"]+(?:\s+(?:AS\s+)?(?!USING\b)(\w+))?", sql):
        if match.start() < position or not in_code(sql, match.start()):
            continue
        mask = top_level_mask(sql[match.start() :])
        end = match.start() + (mask.find(";") if ";" in mask else len(mask))
        statement, mask = sql[match.start() : end], mask[: end - match.start()]
        alias = match.group(1)
        actions = [m.start() for m in re.finditer(r"(?i)\bWHEN\s+(?:NOT\s+)?MATCHED\b", mask)]
        pieces = [statement[: actions[0]] if actions else statement]
        for index, start in enumerate(actions):
            stop = actions[index + 1] if index + 1 < len(actions) else len(statement)
            action, action_mask = statement[start:stop], mask[start:stop]
            then = re.search(r"(?i)\bTHEN\b", action_mask)
            condition = re.search(r"(?i)\sWHERE\b", action_mask[then.end() :]) if then else None
            if condition:
                where = then.end() + condition.start()
                trailing = re.search(r"\s*$", action).start()
                action = (
                    action[: then.start()].rstrip()
                    + f" AND ({action[where + len(condition.group(0)) : trailing].strip()}) "
                    + action[then.start() : where].rstrip()
                    + action[trailing:]
                )
                action_mask = top_level_mask(action)
            update = re.search(r"(?i)\bUPDATE\s+SET\b", action_mask)
            if update and alias:
                assignments = action[update.end() :]
                action = action[: update.end()] + sub_in_code(
                    rf"(?i)(^|,)(\s*){alias}\.(\w+|\"\w+\")(\s*=)", r"\1\2\3\4", assignments
                )
            pieces.append(action)
        out.append(sql[position : match.start()] + "".join(pieces))
        position = end
    return "".join(out) + sql[position:]


def record_types_as_schema_types(sql: str, ctx: PatchContext | None = None) -> str:
    """A RECORD type declared in a routine (TYPE r IS RECORD (...)) is written by ora2pg as a composite
    type created before the routine (CREATE TYPE r AS (...);), unqualified: PL/pgSQL has no local types.
    The type goes into doma_panda under the routine's name (<routine>__<r>, so two routines' record types
    of the same name cannot clash; dropped first, so a new conversion replaces it) and the routine's uses
    of it are qualified (procedures.py creates it with the routine that follows it)."""
    out, position = [], 0
    for match in re.finditer(r"(?ms)^CREATE TYPE (\w+) AS \(.*?\);\n", sql):
        routine = re.compile(r"(?m)^CREATE OR REPLACE (?:FUNCTION|PROCEDURE) (?:\w+\.)?(\w+)").search(sql, match.end())
        if not routine:
            continue
        end = sql.find("\n$body$\nLANGUAGE", routine.start())
        end = len(sql) if end < 0 else end
        qualified = f"doma_panda.{routine.group(1).lower()}__{match.group(1).lower()}"
        declaration = re.sub(r"^CREATE TYPE \w+", f"CREATE TYPE {qualified}", match.group(0))
        body = sub_in_code(rf"(?i)(?<![\w.]){match.group(1)}\b", qualified, sql[routine.start() : end])
        out.append(sql[position : match.start()] + f"DROP TYPE IF EXISTS {qualified} CASCADE;\n{declaration}")
        out.append(sql[match.end() : routine.start()] + body)
        position = end
    return "".join(out) + sql[position:]


def package_constants_as_calls(sql: str, ctx: PatchContext | None = None) -> str:
    """Oracle's package constants and argument-less functions are written without parentheses
    (DBMS_LOCK.X_MODE, DBMS_SQL.OPEN_CURSOR); the environment's stand-ins are functions, which PostgreSQL
    calls with ()."""
    return re.sub(
        r"(?i)\b(DBMS_LOCK\.(?:NL_MODE|SS_MODE|SX_MODE|S_MODE|SSX_MODE|X_MODE|MAXWAIT)|DBMS_SQL\.(?:NATIVE|OPEN_CURSOR)"
        r"|DBMS_FLASHBACK\.GET_SYSTEM_CHANGE_NUMBER)\b(?!\s*\()",
        r"\1()",
        sql,
    )


def quoted_dictionary_names_in_lower_case(sql: str, ctx: PatchContext | None = None) -> str:
    """Dynamic SQL quotes the names it reads from the dictionary ('"' || COLUMN_NAME || '"'): Oracle's
    names are upper case, PostgreSQL's lower case, so a quoted name is lower-cased."""
    return re.sub(r"(\"')(\s*\|\|\s*)([^|;']+?)(\s*\|\|\s*)('\")", r"\1\2lower(\3)\4\5", sql)


def oracle_trunc_not_date_trunc(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg 23.2 writes every TRUNC(x[, f]) as date_trunc(f, x) (f 'day' when absent), TRUNC of a DATE
    with a format literal it can name in PostgreSQL. Three TRUNCs are not that: TRUNC(n, -1) of a number
    (a numeric first argument), TRUNC(TO_NUMBER(t)) (the value cast to numeric), which are PostgreSQL's
    trunc(n[, d]); and TRUNC(d, <computed format>) (CASE ... 'MM' ... END), an Oracle format only known at
    run time, which is orafce's oracle.trunc(timestamp, text) (Oracle's formats)."""
    out, position = [], 0
    for match in re.finditer(r"(?i)(?<![\w.])date_trunc\s*\(", sql):
        if match.start() < position or not in_code(sql, match.start()):
            continue
        close = closing_bracket(sql, match.end() - 1)
        arguments = split_top_level(sql[match.end() : close])
        if len(arguments) != 2:
            continue
        unit, value = arguments
        if re.fullmatch(r"-?\s*\d+", unit):
            replacement = f"trunc({value}, {unit})"
        elif unit.lower() == "'day'" and re.search(r"(?i)::\s*numeric\s*$", value):
            replacement = f"trunc({value})"
        elif not unit.startswith("'"):
            replacement = f"oracle.trunc(({value})::timestamp without time zone, {unit})"
        else:
            continue
        out.append(sql[position : match.start()] + replacement)
        position = close + 1
    return "".join(out) + sql[position:]


# Oracle functions whose ora2pg 23.2 translation loses arguments: REGEXP_SUBSTR(s, p, position, occurrence,
# flags, subexpression) becomes regexp_matches(s, p, 'g') without the flags and the subexpression, and
# returns every capture group concatenated where Oracle returns the whole match ('^-?[0-9]+(\.[0-9]+)?'
# on '10 seconds' gives '' instead of '10'). orafce implements them with Oracle's arguments and results.
ORAFCE_KEPT_FUNCTIONS = ("REGEXP_SUBSTR",)


def oracle_functions_kept_for_orafce(source: str) -> str:
    """The PL/SQL given to ora2pg (not a patch of its output: run by procedures.py on each source file):
    each call of an ORAFCE_KEPT_FUNCTIONS function is renamed ORAFCE_<name>(, which ora2pg does not know
    and leaves as it is; orafce_functions_restored makes it orafce's oracle.<name>(."""
    for name in ORAFCE_KEPT_FUNCTIONS:
        source = re.sub(rf"(?i)(?<![\w.]){name}(\s*\()", rf"ORAFCE_{name}\1", source)
    return source


def orafce_functions_restored(sql: str, ctx: PatchContext | None = None) -> str:
    """The other half of oracle_functions_kept_for_orafce: ORAFCE_<name>( is orafce's oracle.<name>( (the
    same arguments as Oracle's function, the same results). Its numeric arguments (position, occurrence,
    subexpression: NUMBER in Oracle, integer in orafce) are cast to integer, so a bigint (a LEVEL from
    generate_series) or numeric expression finds the function."""
    for name in ORAFCE_KEPT_FUNCTIONS:
        while True:
            match = re.search(rf"(?i)\bORAFCE_{name}\s*\(", sql)
            if not match:
                break
            close = closing_bracket(sql, match.end() - 1)
            arguments = split_top_level(sql[match.end() : close])
            arguments = [
                a if index in (0, 1, 4) or re.fullmatch(r"\d+", a) else f"({a})::integer"
                for index, a in enumerate(arguments)
            ]
            sql = sql[: match.start()] + f"oracle.{name.lower()}({', '.join(arguments)})" + sql[close + 1 :]
    return sql


# the string functions whose result can be '' in PostgreSQL where Oracle's is NULL
ORACLE_NULL_FOR_EMPTY_FUNCTIONS = ("trim", "ltrim", "rtrim", "substr", "replace", "regexp_replace")


def string_results_null_for_empty(sql: str, ctx: PatchContext | None = None) -> str:
    """Oracle has no empty string: TRIM('  '), SUBSTR(s, n) past its end, REPLACE(s, s) are NULL, and the
    twin tests them with IS NULL (a blank command is refused). In PostgreSQL they are ''. Each call of
    those functions in code (ORACLE_NULL_FOR_EMPTY_FUNCTIONS) becomes nullif(call, '') (the calls in
    literals, dynamic SQL text, are left: the text runs where '' is ''), from the last call back, so nested
    calls are each wrapped once."""
    names = "|".join(ORACLE_NULL_FOR_EMPTY_FUNCTIONS)
    starts = [
        m.start()
        for m in re.finditer(rf"(?i)(?<![\w.$])(?:{names})\s*\(", sql)
        if in_code(sql, m.start()) and not re.search(r"(?i)\bFUNCTION\s+\S*$", sql[max(0, m.start() - 80) : m.start()])
    ]
    for start in reversed(starts):
        opening = sql.index("(", start)
        try:
            close = closing_bracket(sql, opening)
        except ValueError:
            continue
        sql = sql[:start] + "nullif(" + sql[start : close + 1] + ", '')" + sql[close + 1 :]
    return sql


def is_null_conditions_in_update_set(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg 23.2 turns every `x IS NULL` after UPDATE (up to its WHERE) back into `x = NULL`, meaning the
    assignments SET col = NULL; a condition inside an assigned value (SET status = CASE WHEN p_error IS NULL
    THEN ...) becomes `WHEN p_error = NULL`, never true. The conditions of CASE WHEN are given back IS
    NULL."""
    return sub_in_code(r"(?i)(\bWHEN\s+[\w.\"]+)\s*=\s*NULL\b", r"\1 IS NULL", sql)


def commit_in_function_left_to_caller(sql: str, ctx: PatchContext | None = None) -> str:
    """A PostgreSQL function runs inside its caller's transaction and cannot end it (COMMIT there raises
    invalid transaction termination; only a procedure called by a top-level CALL may). The twin's
    functions that COMMIT do so where Oracle's DBMS_SCHEDULER/DDL would commit implicitly anyway
    (load_scheduled_jobs before DBMS_SCHEDULER.DROP_JOB/CREATE_JOB); the environment's stand-ins for those do
    not commit, so the function's work is committed with its caller's transaction, as PostgreSQL's
    function of the same name is. The COMMIT statements of functions are dropped (procedures keep theirs)."""
    routines = re.split(r"(?m)^(?=CREATE OR REPLACE )", sql)
    for index, routine in enumerate(routines):
        if routine.startswith("CREATE OR REPLACE FUNCTION"):
            routines[index] = re.sub(
                r"(?im)^([ \t]*)COMMIT\s*;", r"\1NULL;  -- COMMIT: left to the caller's transaction", routine
            )
    return "".join(routines)


def empty_strings_stored_as_null(sql: str, ctx: PatchContext | None = None) -> str:
    """Oracle has no empty string: '' is NULL, so a VARCHAR2 variable never holds '' (TRIM(SUBSTR(s, n)) past
    the end is NULL, and `WHILE v IS NOT NULL` loops stop there). In PostgreSQL '' is a value. Every
    assignment to a routine's text variable (character varying, text: declared in its DECLARE section,
    with an initial value or later with :=) stores nullif(value, '') instead, as Oracle would."""
    routines = re.split(r"(?m)^(?=CREATE OR REPLACE )", sql)
    for index, routine in enumerate(routines):
        body = routine.find("$body$")
        begin = re.search(r"(?im)^\s*BEGIN\b", routine[body:]) if body >= 0 else None
        if not begin:
            continue
        declare_end = body + begin.start()
        text_type = r"(?:character\s+varying|varchar|text)(?:\s*\(\s*\d+\s*\))?"
        names = {
            m.group(1).lower()
            for m in re.finditer(
                rf"(?im)^\s*(\w+)\s+(?:CONSTANT\s+)?{text_type}\s*(?::=|;|DEFAULT\b)", routine[body:declare_end]
            )
        }
        if not names:
            continue
        alternatives = "|".join(sorted(names, key=len, reverse=True))
        out, position = [], 0
        pattern = re.compile(
            rf"(?im)^([ \t]*(?:{alternatives})\s+(?:CONSTANT\s+)?{text_type}\s*:=|[ \t]*(?:{alternatives})\s*:=)"
        )
        for match in pattern.finditer(routine, body):
            if match.start() < position or not in_code(routine, match.start()):
                continue
            end = statement_end(routine, match.end())
            value = routine[match.end() : end].strip()
            # (as text: a call of a routine whose result the loader makes jsonb gives jsonb)
            out.append(routine[position : match.end()] + f" nullif(({value})::text, '')")
            position = end
        routines[index] = "".join(out) + routine[position:]
    return "".join(routines)


def oracle_search_path(sql: str, ctx: PatchContext | None = None) -> str:
    """Each converted routine runs with doma_panda before pg_catalog in its search_path, so its text ||
    text is the environment's NULL-ignoring concatenation (ora2pg/oracle_environment/), as Oracle's is. A
    routine that commits cannot have a SET clause (PostgreSQL forbids transaction control in it): those
    keep PostgreSQL's ||."""
    routines = re.split(r"(?m)^(?=CREATE OR REPLACE )", sql)
    for index, routine in enumerate(routines):
        if routine.startswith("CREATE OR REPLACE") and not re.search(r"(?i)^\s*(COMMIT|ROLLBACK)\b", routine, re.M):
            routines[index] = re.sub(
                r"(?m)^LANGUAGE PLPGSQL;",
                "LANGUAGE PLPGSQL SET search_path = doma_panda, pg_catalog, oracle, public;",
                routine,
                count=1,
            )
    return "".join(routines)
