"""Oracle's PL/SQL JSON object types (JSON_OBJECT_T, JSON_ARRAY_T, JSON_ELEMENT_T, JSON_KEY_LIST) -> jsonb."""

from __future__ import annotations

import re
from collections.abc import Callable

from ora2pg.patches import PatchContext, split_top_level
from ora2pg.procedure_patches.scanner import closing_bracket, in_code, receiver_start

# --------------------------------------------------------------------------------------------
# JSON_OBJECT_T & co. -> jsonb
# --------------------------------------------------------------------------------------------

JSON_TYPE = r"JSON_(?:OBJECT|ARRAY|ELEMENT|SCALAR)_T"
# a package or schema name before a call (DBMS_SQL.PARSE, doma_panda.f): not a JSON value
NOT_A_RECEIVER = re.compile(r"(?i)(?:dbms_\w+|utl_\w+|doma_\w+|atlas_\w+|pandadb_support|sys|apex_\w+)(?:\.\w+)*")

# method -> (mutates the receiver, PostgreSQL expression of (receiver, arguments))
JSON_METHODS: dict[str, tuple[bool, Callable[[str, list[str]], str]]] = {
    "put": (True, lambda r, a: f"{r} := coalesce({r}, '{{}}'::jsonb) || jsonb_build_object({', '.join(a)})"),
    "put_null": (True, lambda r, a: f"{r} := coalesce({r}, '{{}}'::jsonb) || jsonb_build_object({a[0]}, NULL)"),
    "append": (True, lambda r, a: f"{r} := coalesce({r}, '[]'::jsonb) || jsonb_build_array({a[0]})"),
    "append_null": (True, lambda r, a: f"{r} := coalesce({r}, '[]'::jsonb) || jsonb_build_array(NULL)"),
    "remove": (True, lambda r, a: f"{r} := {r} - ({a[0]})"),
    "get": (False, lambda r, a: f"doma_panda.oracle_json_get({r}, {a[0]})"),
    "get_object": (False, lambda r, a: f"({r} -> ({a[0]}))"),
    "get_array": (False, lambda r, a: f"({r} -> ({a[0]}))"),
    "get_string": (False, lambda r, a: f"({r} ->> ({a[0]}))"),
    "get_clob": (False, lambda r, a: f"({r} ->> ({a[0]}))"),
    "get_number": (False, lambda r, a: f"({r} ->> ({a[0]}))::numeric"),
    "get_boolean": (False, lambda r, a: f"({r} ->> ({a[0]}))::boolean"),
    "get_keys": (False, lambda r, a: f"ARRAY(SELECT jsonb_object_keys({r}))"),
    "get_size": (False, lambda r, a: f"doma_panda.oracle_json_size({r})"),
    "has": (False, lambda r, a: f"({r} ? ({a[0]}))"),
    "to_clob": (False, lambda r, a: f"({r})::text"),
    "to_string": (False, lambda r, a: f"({r})::text"),
    "clone": (False, lambda r, a: f"({r})"),
    "is_object": (False, lambda r, a: f"(jsonb_typeof({r}) = 'object')"),
    "is_array": (False, lambda r, a: f"(jsonb_typeof({r}) = 'array')"),
    "is_string": (False, lambda r, a: f"(jsonb_typeof({r}) = 'string')"),
    "is_number": (False, lambda r, a: f"(jsonb_typeof({r}) = 'number')"),
    "is_boolean": (False, lambda r, a: f"(jsonb_typeof({r}) = 'boolean')"),
    "is_null": (False, lambda r, a: f"(jsonb_typeof({r}) = 'null')"),
    "is_scalar": (False, lambda r, a: f"(jsonb_typeof({r}) NOT IN ('object', 'array'))"),
}
METHOD_CALL = re.compile(r"(?i)\.(" + "|".join(sorted(JSON_METHODS, key=len, reverse=True)) + r")\s*\(")


def json_treat_as_value(sql: str, ctx: PatchContext | None = None) -> str:
    """TREAT(x AS JSON_OBJECT_T) narrows a JSON_ELEMENT_T to an object; with jsonb every JSON value has
    one type, so it is the value itself. (ora2pg 23.2 sometimes writes TREAT[x AS ...].)"""
    out, i = [], 0
    for match in re.finditer(r"(?i)\bTREAT\s*[(\[]", sql):
        if match.start() < i:
            continue
        close = closing_bracket(sql, match.end() - 1)
        inner = re.match(rf"(?is)(.*)\s+AS\s+{JSON_TYPE}\s*$", sql[match.end() : close])
        if not inner:
            continue
        out.append(sql[i : match.start()] + f"({inner.group(1)})")
        i = close + 1
    return "".join(out) + sql[i:]


def json_constructors_as_casts(sql: str, ctx: PatchContext | None = None) -> str:
    """JSON_OBJECT_T.parse(t), JSON_ELEMENT_T.parse(t), JSON_OBJECT_T(t) (ora2pg 23.2 sometimes writes
    the last one with brackets, JSON_OBJECT_T[t], taking it for a collection element) are t::jsonb;
    the empty constructors JSON_OBJECT_T() and JSON_ARRAY_T() the empty object and array."""
    sql = re.sub(r"(?i)\bJSON_OBJECT_T\s*\(\s*\)", "'{}'::jsonb", sql)
    sql = re.sub(r"(?i)\bJSON_ARRAY_T\s*\(\s*\)", "'[]'::jsonb", sql)
    while True:
        match = re.search(rf"(?i)\b{JSON_TYPE}(?:\s*\.\s*parse)?\s*([(\[])", sql)
        if not match:
            return sql
        close = closing_bracket(sql, match.end() - 1)
        sql = sql[: match.start()] + f"CAST(({sql[match.end() : close]}) AS jsonb)" + sql[close + 1 :]


def json_types_as_jsonb(sql: str, ctx: PatchContext | None = None) -> str:
    """The types: JSON_OBJECT_T, JSON_ARRAY_T, JSON_ELEMENT_T are jsonb; JSON_KEY_LIST (a VARRAY of
    VARCHAR2) is text[]."""
    sql = re.sub(rf"(?i)\b{JSON_TYPE}\b", "jsonb", sql)
    return re.sub(r"(?i)\bJSON_KEY_LIST\b", "text[]", sql)


def unnamed_method_is_to_clob(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg 23.2 drops the name of the methods to_clob and to_string (it removes Oracle's conversion
    functions TO_CLOB/TO_STRING from calls, method calls included), leaving `v.()`."""
    return re.sub(r"([\w)\]])\.\(\s*\)", r"\1.to_clob()", sql)


def method_subscripts_as_calls(sql: str, ctx: PatchContext | None = None) -> str:
    """ora2pg 23.2 takes `v.get(i).is_object()` for a collection element and writes `v.get[i].is_object()`:
    the call of a JSON method is given back its parentheses."""
    while True:
        match = re.search(r"(?i)\.(" + "|".join(JSON_METHODS) + r")\[", sql)
        if not match:
            return sql
        close = closing_bracket(sql, match.end() - 1)
        sql = sql[: match.end() - 1] + "(" + sql[match.end() : close] + ")" + sql[close + 1 :]


def json_methods_as_operators(sql: str, ctx: PatchContext | None = None) -> str:
    """The methods of the JSON object types on a jsonb value (JSON_METHODS): reads become operators
    (get_string -> ->>, has -> ?, get_keys -> jsonb_object_keys...), and a mutating call, always a
    statement of its own (v.put(k, x);), the assignment of the new value (v := v || jsonb_build_object(k,
    x);). jsonb_build_object writes a DATE/TIMESTAMP value as ISO text, as put does. Innermost calls
    first, so chained calls (JSON_OBJECT_T.parse(t).get_string(k)) compose."""
    position = 0
    while True:
        match = METHOD_CALL.search(sql, position)
        if not match:
            return sql
        start = receiver_start(sql, match.start())
        receiver = sql[start : match.start()].strip()
        if not receiver or NOT_A_RECEIVER.fullmatch(receiver) or not in_code(sql, match.start()):
            position = match.end()
            continue
        close = closing_bracket(sql, match.end() - 1)
        arguments = [a.strip() for a in split_top_level(sql[match.end() : close]) if a.strip()]
        mutates, render = JSON_METHODS[match.group(1).lower()]
        sql = sql[:start] + render(receiver, arguments) + sql[close + 1 :]
        position = start
