"""Oracle's SQL/JSON functions (12.2 syntax: JSON_OBJECT, JSON_ARRAYAGG, JSON_VALUE) and APPLY -> PostgreSQL 15."""

from __future__ import annotations

import re
from collections.abc import Callable

from ora2pg.patches import PatchContext, split_top_level
from ora2pg.procedure_patches.scanner import closing_bracket, in_code, rewrite_tokens

# --------------------------------------------------------------------------------------------
# SQL/JSON functions (Oracle 12.2 syntax) -> PostgreSQL 15's jsonb functions
# --------------------------------------------------------------------------------------------

JSON_CLAUSES = r"(?:\s+(?:NULL|ABSENT)\s+ON\s+NULL|\s+RETURNING\s+(?:CLOB|text|VARCHAR2(?:\s*\(\s*\d+\s*\))?)|\s+STRICT|\s+WITH\s+UNIQUE\s+KEYS)*\s*$"


def replace_calls(sql: str, name: str, render: Callable[[str], str]) -> str:
    """Every call name(...) in the code (innermost first) replaced by render(its argument text)."""
    while True:
        matches = [m for m in re.finditer(rf"(?i)(?<![\w.]){name}\s*\(", sql) if in_code(sql, m.start())]
        if not matches:
            return sql
        match = matches[-1]
        close = closing_bracket(sql, match.end() - 1)
        sql = sql[: match.start()] + render(sql[match.end() : close]) + sql[close + 1 :]


def formatted_json_as_jsonb(value: str) -> str:
    """`v FORMAT JSON` (v is JSON text, not a string to quote) is v::jsonb."""
    bare = re.sub(r"(?i)\s+FORMAT\s+JSON\s*$", "", value)
    return f"({bare})::jsonb" if bare != value else value


def sql_json_object_as_jsonb_build_object(sql: str, ctx: PatchContext | None = None) -> str:
    """JSON_OBJECT('k' VALUE v, ... [NULL ON NULL | ABSENT ON NULL] [RETURNING CLOB]) is
    jsonb_build_object('k', v, ...) (ABSENT ON NULL: jsonb_strip_nulls of it; v FORMAT JSON: v::jsonb).
    PostgreSQL 15 has no SQL/JSON constructors (16 has)."""

    def render(arguments: str) -> str:
        absent = re.search(r"(?i)\bABSENT\s+ON\s+NULL", arguments)
        arguments = re.sub(r"(?i)" + JSON_CLAUSES, "", arguments)
        pairs = []
        for member in split_top_level(arguments):
            parts = re.split(r"(?i)\s+VALUE\s+", member.strip(), maxsplit=1)
            key, value = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[0])
            key = re.sub(r"(?i)^KEY\s+", "", key)
            value = formatted_json_as_jsonb(value)
            pairs.append(f"{key}, {value}")
        built = f"jsonb_build_object({', '.join(pairs)})"
        return f"jsonb_strip_nulls({built})" if absent else built

    return replace_calls(sql, "JSON_OBJECT", render)


def sql_json_arrayagg_as_jsonb_agg(sql: str, ctx: PatchContext | None = None) -> str:
    """JSON_ARRAYAGG(v [FORMAT JSON] [ORDER BY ...] [NULL ON NULL] [RETURNING CLOB]) is jsonb_agg(v [ORDER
    BY ...]) (FORMAT JSON: v is JSON text, v::jsonb)."""

    def render(arguments: str) -> str:
        arguments = re.sub(r"(?i)" + JSON_CLAUSES, "", arguments)
        value, order = (re.split(r"(?i)\s+(?=ORDER\s+BY\b)", arguments, maxsplit=1) + [""])[:2]
        value = formatted_json_as_jsonb(value)
        return f"jsonb_agg({value}{' ' + order if order else ''})"

    return replace_calls(sql, "JSON_ARRAYAGG", render)


def sql_json_value_as_path_query(sql: str, ctx: PatchContext | None = None) -> str:
    """JSON_VALUE(doc, '$.path' [RETURNING type] [NULL ON ERROR]) is the scalar at the path
    (doma_panda.oracle_json_value, ora2pg/oracle_environment/: NULL when doc is not JSON or the path is
    not a scalar, as NULL ON ERROR, Oracle's default), cast to the RETURNING type (NULL if it does
    not fit). The JSON path syntax of the two is the same for member paths."""

    def render(arguments: str) -> str:
        document, rest = (split_top_level(arguments) + [""])[:2]
        returning = re.search(r"(?i)\s+RETURNING\s+(\w+(?:\s*\(\s*\d+\s*\))?)", rest)
        path = re.sub(r"(?i)\s+(RETURNING\s+\w+(?:\s*\(\s*\d+\s*\))?|NULL\s+ON\s+(ERROR|EMPTY))", "", rest).strip()
        value = f"doma_panda.oracle_json_value({document.strip()}, {path})"
        kind = returning.group(1).upper() if returning else "VARCHAR2"
        if kind.startswith(("BINARY_DOUBLE", "BINARY_FLOAT")):  # floating point: ROUND halves to even
            return f"doma_panda.oracle_to_number_or_null({value})::double precision"
        if kind.startswith(("NUMBER", "INTEGER")):
            return f"doma_panda.oracle_to_number_or_null({value})"
        return value

    return replace_calls(sql, "JSON_VALUE", render)


def sql_json_value_in_dynamic_sql(sql: str, ctx: PatchContext | None = None) -> str:
    """A JSON_VALUE(...) call written whole inside a string literal (the text of a dynamic statement, run
    by EXECUTE IMMEDIATE) is converted as sql_json_value_as_path_query converts one in code: PostgreSQL 15
    cannot parse its RETURNING ... NULL ON ERROR clauses. (Its quotes stay doubled: it is still literal
    text.) A call split over several concatenated literals is left as it is."""

    def converted(literal: str, code_before: str) -> str:
        if literal.startswith("'") and re.search(r"(?i)\bJSON_VALUE\s*\(", literal):
            try:
                return "'" + sql_json_value_as_path_query(literal[1:-1]) + "'"
            except ValueError:  # the call does not end in this literal
                pass
        return literal

    return rewrite_tokens(sql, converted)


def oracle_regex_escapes(sql: str, ctx: PatchContext | None = None) -> str:
    """Oracle's regular expressions end a string with \\z; PostgreSQL's ARE spell it \\Z (and have no \\z).
    Applied to the string literals (the patterns)."""
    return rewrite_tokens(sql, lambda token, _: token.replace("\\z", "\\Z") if token.startswith("'") else token)


def apply_as_lateral_join(sql: str, ctx: PatchContext | None = None) -> str:
    """OUTER APPLY (subquery) alias is LEFT JOIN LATERAL (subquery) alias ON true; CROSS APPLY is CROSS
    JOIN LATERAL."""
    sql = re.sub(r"(?i)\bCROSS\s+APPLY\b", "CROSS JOIN LATERAL", sql)
    while True:
        match = re.search(r"(?i)\bOUTER\s+APPLY\s*\(", sql)
        if not match:
            return sql
        close = closing_bracket(sql, match.end() - 1)
        alias = re.match(r"\s*(?:AS\s+)?\w+", sql[close + 1 :], re.I)
        end = close + 1 + (alias.end() if alias else 0)
        sql = sql[: match.start()] + "LEFT JOIN LATERAL (" + sql[match.end() : end] + " ON true" + sql[end:]
