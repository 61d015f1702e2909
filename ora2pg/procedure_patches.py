"""Patches of ora2pg's PL/pgSQL output for the PL/SQL twin (procedures/oracle -> ora2pg -t FUNCTION -i).
Each patch is a named function whose docstring says what ora2pg 23.2 leaves Oracle-only and what the
PostgreSQL equivalent is; PROCEDURE_PATCHES gives their order. ora2pg/procedures.py runs them.

The largest group maps Oracle's PL/SQL JSON object types (JSON_OBJECT_T, JSON_ARRAY_T, JSON_ELEMENT_T,
JSON_KEY_LIST), which ora2pg keeps as they are, to jsonb: the types become jsonb and text[], the static
constructors casts, the methods jsonb operators, and the mutating methods (put, append, remove)
assignments of a new jsonb value to the same variable (jsonb is a value, JSON_OBJECT_T an object)."""

from __future__ import annotations

import re
from collections.abc import Callable

from ora2pg.patches import PatchContext, rename_oracle_schemas, split_top_level, strip_psql_meta_commands

# --------------------------------------------------------------------------------------------
# A small scanner: balanced parentheses outside string literals and comments
# --------------------------------------------------------------------------------------------


def skip_literal_or_comment(sql: str, i: int) -> int:
    """The index after the string literal, quoted identifier or comment starting at i (i if none does)."""
    if sql.startswith("--", i):
        end = sql.find("\n", i)
        return len(sql) if end < 0 else end
    if sql.startswith("/*", i):
        end = sql.find("*/", i + 2)
        return len(sql) if end < 0 else end + 2
    if sql[i] in "'\"":
        quote, j = sql[i], i + 1
        while j < len(sql):
            if sql[j] == quote:
                if sql[j + 1 : j + 2] == quote:
                    j += 2
                    continue
                return j + 1
            j += 1
        return len(sql)
    if sql.startswith("$body$", i):
        return i  # the routine's body is code
    return i


def code_with_depth(sql: str, start: int):
    """(index, character, bracket depth after it) of each character of code from `start` on: string
    literals, quoted identifiers and comments are stepped over."""
    depth, i = 0, start
    while i < len(sql):
        after = skip_literal_or_comment(sql, i)
        if after != i:
            i = after
            continue
        if sql[i] in "([":
            depth += 1
        elif sql[i] in ")]":
            depth -= 1
        yield i, sql[i], depth
        i += 1


def closing_bracket(sql: str, opening: int) -> int:
    """The index of the bracket closing the '(' or '[' at `opening`."""
    for i, character, depth in code_with_depth(sql, opening):
        if depth == 0 and character in ")]":
            return i
    raise ValueError(f"unbalanced bracket at {opening}: {sql[opening : opening + 80]!r}")


def opening_bracket(sql: str, closing: int) -> int:
    """The index of the '(' or '[' that the bracket at `closing` closes (scanning back; the twin's
    literals hold no unbalanced brackets in the expressions this is used on)."""
    depth, i = 0, closing
    while i >= 0:
        if sql[i] in ")]":
            depth += 1
        elif sql[i] in "([":
            depth -= 1
            if depth == 0:
                return i
        elif sql[i] == "'":
            i = sql.rfind("'", 0, i)  # back over a literal
        i -= 1
    raise ValueError(f"unbalanced bracket before {closing}")


def in_code(sql: str, position: int) -> bool:
    """Whether `position` is in code, not in a string literal or a comment of its line."""
    line_start = sql.rfind("\n", 0, position) + 1
    i = line_start
    while i < position:
        after = skip_literal_or_comment(sql, i)
        if after != i:
            if after > position:
                return False
            i = after
            continue
        i += 1
    return True


def sub_in_code(pattern: str, replacement: str, sql: str) -> str:
    """re.sub applied to the code only, not to string literals and comments."""
    out, i, segment_start = [], 0, 0
    while i < len(sql):
        after = skip_literal_or_comment(sql, i)
        if after != i:
            out.append(re.sub(pattern, replacement, sql[segment_start:i]))
            out.append(sql[i:after])
            i = segment_start = after
            continue
        i += 1
    out.append(re.sub(pattern, replacement, sql[segment_start:]))
    return "".join(out)


def receiver_start(sql: str, end: int) -> int:
    """Where the receiver of a method call ending at `end` (exclusive) starts: an identifier chain
    (v_job, r.field), a call or subscript (f(x), v(i), CAST(... AS jsonb)), or a parenthesised expression."""
    i = end
    while True:
        if i > 0 and sql[i - 1] in ")]":
            i = opening_bracket(sql, i - 1)
            continue
        word = re.search(r"[\w$.]+$", sql[:i])
        if word and word.start() < i:
            i = word.start()
            if i > 0 and sql[i - 1] in ")]":
                continue
        return i


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
    (doma_panda.oracle_json_value, oracle_environment.sql: NULL when doc is not JSON or the path is
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
    out, i, start = [], 0, 0
    while i < len(sql):
        after = skip_literal_or_comment(sql, i)
        if after == i:
            i += 1
            continue
        literal = sql[i:after]
        if literal.startswith("'") and re.search(r"(?i)\bJSON_VALUE\s*\(", literal):
            try:
                literal = "'" + sql_json_value_as_path_query(literal[1:-1]) + "'"
            except ValueError:  # the call does not end in this literal
                pass
        out.append(sql[start:i] + literal)
        i = start = after
    return "".join(out) + sql[start:]


def oracle_regex_escapes(sql: str, ctx: PatchContext | None = None) -> str:
    """Oracle's regular expressions end a string with \\z; PostgreSQL's ARE spell it \\Z (and have no \\z).
    Applied to the string literals (the patterns)."""
    out, i, start = [], 0, 0
    while i < len(sql):
        after = skip_literal_or_comment(sql, i)
        if after != i:
            literal = sql[i:after]
            out.append(sql[start:i] + (literal.replace("\\z", "\\Z") if literal.startswith("'") else literal))
            i = start = after
            continue
        i += 1
    return "".join(out) + sql[start:]


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


# --------------------------------------------------------------------------------------------
# Collections of scalars (nested tables, VARRAYs) -> arrays
# --------------------------------------------------------------------------------------------


def collection_types_as_arrays(sql: str, ctx: PatchContext | None = None) -> str:
    """A collection type of scalars declared in a routine (TYPE t IS TABLE OF x; TYPE t IS VARRAY(n) OF
    x) is x[]: ora2pg either keeps the declaration (not PL/pgSQL) or makes it a composite type created
    outside the routine (CREATE TYPE t AS (t x[n])). The declaration goes; the type's uses become x[],
    its constructor t(a, b) ARRAY[a, b]. Collections indexed by a key (INDEX BY) are not arrays: kept."""
    declared = [
        (m.group(0), m.group(1), m.group(2).strip())
        for m in re.finditer(r"(?im)^\s*TYPE\s+(\w+)\s+IS\s+(?:TABLE|VARRAY\s*\(\s*\d+\s*\))\s+OF\s+([^;]+?);\n", sql)
        if not re.search(r"(?i)\bINDEX\s+BY\b", m.group(2))
    ]
    declared += [
        (m.group(0), m.group(1), m.group(2).strip())
        for m in re.finditer(r"(?m)^CREATE TYPE (\w+) AS \(\1 ([\w ]+?(?:\(\d+\))?)\[\d*\]\);\n", sql)
    ]
    for declaration, name, element in declared:
        if re.search(rf"(?i)\bTYPE\s+{name}\b[^;]*\bRECORD\b", sql) or "%" in element:
            continue
        sql = sql.replace(declaration, "")
        sql = re.sub(rf"(?i)(?<![\w.]){name}\s*\(\s*\)", f"'{{}}'::{element}[]", sql)
        sql = re.sub(rf"(?i)(?<![\w.]){name}\s*\(", "ARRAY[", sql)  # closed by close_array_constructors
        sql = sub_in_code(rf"(?i)(?<![\w.]){name}\b", f"{element}[]", sql)
    return close_array_constructors(sql)


def associative_arrays_as_jsonb(sql: str, ctx: PatchContext | None = None) -> str:
    """A collection indexed by a string (TYPE t IS TABLE OF x INDEX BY VARCHAR2(n)) is a jsonb object in the
    routine: v(k) := e -> v := v || {k: e}; v(k) -> (v ->> k)::x; v.EXISTS(k) -> v ? k; v.COUNT -> its
    number of keys; v.FIRST / v.NEXT(k) -> the smallest key / the next key in key order (Oracle's
    order of VARCHAR2 keys); v.DELETE -> the empty object."""
    routines = re.split(r"(?m)^(?=CREATE OR REPLACE )", sql)
    for index, routine in enumerate(routines):
        for declaration in re.finditer(
            r"(?im)^\s*TYPE\s+(\w+)\s+IS\s+TABLE\s+OF\s+(.+?)\s+INDEX\s+BY\s+[^;]+;\n", routine
        ):
            type_name, element = declaration.group(1), declaration.group(2).strip()
            # ora2pg 23.2 gives the element the key's length (TABLE OF VARCHAR2(32767) INDEX BY VARCHAR2(30)
            # comes out as TABLE OF character varying(30)): a text element is read as text
            element = re.sub(r"(?i)^(?:character varying|varchar)\s*\(\s*\d+\s*\)$", "text", element)
            routine = routine.replace(declaration.group(0), "")
            names = [m.group(1) for m in re.finditer(rf"(?im)^\s*(\w+)\s+{type_name}\s*;", routine)]
            routine = re.sub(rf"(?im)^(\s*\w+\s+){type_name}\s*;", r"\1jsonb := '{}';", routine)
            for name in names:
                routine = re.sub(
                    rf"(?i)\b{name}\.EXISTS\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)", rf"({name} ? (\1))", routine
                )
                routine = re.sub(
                    rf"(?i)\b{name}\.COUNT\b", f"(SELECT count(*)::integer FROM jsonb_object_keys({name}))", routine
                )
                routine = re.sub(
                    rf"(?i)\b{name}\.FIRST\b", f"(SELECT min(k) FROM jsonb_object_keys({name}) k)", routine
                )
                routine = re.sub(
                    rf"(?i)\b{name}\.NEXT\s*\(([^()]*)\)",
                    rf"(SELECT min(k) FROM jsonb_object_keys({name}) k WHERE k > (\1))",
                    routine,
                )
                routine = re.sub(rf"(?i)\b{name}\.DELETE\b", f"{name} := '{{}}'", routine)
                routine = re.sub(
                    rf"(?im)^(\s*){name}\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*:=\s*([^;]+);",
                    rf"\1{name} := {name} || jsonb_build_object(\2, \3);",
                    routine,
                )
                routine = re.sub(
                    rf"(?i)(?<![\w.]){name}\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)",
                    rf"({name} ->> (\2))::{element}".replace("\\2", "\\1"),
                    routine,
                )
        routines[index] = routine
    return "".join(routines)


def support_package_caches_dropped(sql: str, ctx: PatchContext | None = None) -> str:
    """PANDADB_SUPPORT keeps per-session caches in package variables (g_row_json_sql, g_types): PL/pgSQL
    has no package state, so the converted functions compute the value on every call (the cache is
    only an optimisation: the lookups and stores go)."""
    sql = re.sub(
        r"(?is)\n\s*IF\s+g_\w+\.EXISTS\s*\([^()]*\)\s+THEN\s+RETURN\s+g_\w+\s*\([^()]*\);\s*END\s+IF;", "", sql
    )
    return re.sub(r"(?im)^\s*g_\w+\s*\([^()]*\)\s*:=\s*[^;]+;\n", "", sql)


def array_variables(routine: str) -> set[str]:
    """The names of a routine's parameters and variables of an array type (its header and DECLARE part)."""
    body = routine.find("$body$")
    begin = re.search(r"(?im)^\s*BEGIN\b", routine[body:]) if body >= 0 else None
    routine = routine[: body + begin.start()] if begin else routine
    return {
        m.group(1).lower()
        for m in re.finditer(
            r"(?im)(?:^|[(,])\s*(\w+)[ \t]+(?:CONSTANT[ \t]+|IN[ \t]+|INOUT[ \t]+|OUT[ \t]+)?[\w. ]+?(?:\(\d+(?:,\d+)?\))?\[\d*\]",
            routine,
        )
    }


def collection_methods_as_array_functions(sql: str, ctx: PatchContext | None = None) -> str:
    """The collection methods and subscripts on array variables: v.EXTEND -> array_append(v, NULL),
    v.COUNT -> its cardinality (0 when empty), v.DELETE -> the empty array, v(i) -> v[i]; and
    x [NOT] MEMBER OF v -> x = ANY (v)."""
    routines = re.split(r"(?m)^(?=CREATE OR REPLACE )", sql)
    for index, routine in enumerate(routines):
        names = array_variables(routine)
        if not names:
            continue
        alternatives = "|".join(sorted(names, key=len, reverse=True))
        routine = re.sub(rf"(?i)\b({alternatives})\.EXTEND\b(?:\s*\(\s*\))?", r"\1 := array_append(\1, NULL)", routine)
        routine = re.sub(rf"(?i)\b({alternatives})\.COUNT\b(?:\s*\(\s*\))?", r"coalesce(cardinality(\1), 0)", routine)
        routine = re.sub(rf"(?i)\b({alternatives})\.DELETE\b(?:\s*\(\s*\))?", r"\1 := '{}'", routine)
        position = 0
        while True:
            match = re.compile(rf"(?i)(?<![\w.])({alternatives})\s*\(").search(routine, position)
            if not match:
                break
            close = closing_bracket(routine, match.end() - 1)
            routine = routine[: match.end() - 1] + "[" + routine[match.end() : close] + "]" + routine[close + 1 :]
            position = match.end()
        routines[index] = routine
    sql = "".join(routines)
    sql = re.sub(r"(?i)([\w.\]\[)]+)\s+NOT\s+MEMBER\s+OF\s+([\w.]+)", r"NOT (\1 = ANY (\2))", sql)
    return re.sub(r"(?i)([\w.\]\[)]+)\s+MEMBER\s+OF\s+([\w.]+)", r"(\1 = ANY (\2))", sql)


def table_collections_as_unnest(sql: str, ctx: PatchContext | None = None) -> str:
    """FROM TABLE(v) [alias] reads a collection as rows of COLUMN_VALUE: unnest(v) AS alias(column_value)."""
    out, position = [], 0
    for match in re.finditer(r"(?i)\bTABLE\s*\(", sql):
        if match.start() < position or not re.search(r"(?i)(FROM|JOIN|,)\s*$", sql[: match.start()]):
            continue
        close = closing_bracket(sql, match.end() - 1)
        alias = re.match(
            r"\s+(?!(?:WHERE|ORDER|GROUP|JOIN|LEFT|CROSS|INNER|ON|UNION|EXCEPT|INTERSECT|CONNECT|START|LIMIT|FETCH)\b)(\w+)",
            sql[close + 1 :],
            re.I,
        )
        name = alias.group(1) if alias else "t"
        out.append(sql[position : match.start()] + f"unnest({sql[match.end() : close]}) AS {name}(column_value)")
        position = close + 1 + (alias.end() if alias else 0)
    return "".join(out) + sql[position:]


def bulk_collect_as_array(sql: str, ctx: PatchContext | None = None) -> str:
    """SELECT x BULK COLLECT INTO [STRICT] v FROM ...; (one collection) is v := ARRAY(SELECT x FROM ...);"""
    return re.sub(
        r"(?is)(?<![\w])SELECT(\s+(?:DISTINCT\s+)?)((?:(?!;).)*?)\s+BULK\s+COLLECT\s+INTO\s+(?:STRICT\s+)?(\w+)\s+(FROM\b[^;]*);",
        r"\3 := ARRAY(SELECT\1\2 \4);",
        sql,
    )


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
    text is the environment's NULL-ignoring concatenation (oracle_environment.sql), as Oracle's is. A
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
    condition (oracle_environment.sql). The handler condition WHEN SQLSTATE '...' stays."""
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
    out, i, start = [], 0, 0
    while i < len(sql):
        after = skip_literal_or_comment(sql, i)
        if after == i:
            i += 1
            continue
        token = sql[i:after]
        if re.fullmatch(r'"[A-Z][A-Z0-9_$#]*"', token) and not re.search(r"(?i)COLLATE\s*$", sql[start:i]):
            token = token.lower()
        out.append(sql[start:i] + token)
        i = start = after
    return "".join(out) + sql[start:]


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
    doma_panda.oracle_dynamic_sql (oracle_environment.sql), which rewrites those parts when it runs."""
    out, position = [], 0
    for match in re.finditer(r"(?i)(?<![\w.])EXECUTE\s+", sql):
        if match.start() < position or not in_code(sql, match.start()):
            continue
        if re.match(r"(?i)(FUNCTION|PROCEDURE|ON)\b", sql[match.end() :]):
            continue
        end = statement_end(sql, match.end())
        mask = sql[match.end() : end]
        depth, i, stop = 0, 0, len(mask)
        while i < len(mask):  # the text ends at INTO or USING outside brackets and literals
            after = skip_literal_or_comment(mask, i)
            if after != i:
                i = after
                continue
            if mask[i] in "([":
                depth += 1
            elif mask[i] in ")]":
                depth -= 1
            elif depth == 0 and re.match(r"(?i)\s(INTO|USING)\b", mask[i:]):
                stop = i
                break
            i += 1
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
    a number where PostgreSQL wants a SQLSTATE; doma_panda.oracle_sqlstate (oracle_environment.sql) gives
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


PROCEDURE_PATCHES = [
    strip_psql_meta_commands,
    orafce_functions_restored,
    rename_oracle_schemas,
    package_calls_as_functions,
    routines_as_separate_statements,
    trailing_anonymous_block_dropped,
    package_member_header_in_declare,
    no_semicolon_after_return_type,
    ref_cursor_type,
    string_list_type,
    close_array_constructors,
    unnamed_method_is_to_clob,
    method_subscripts_as_calls,
    json_treat_as_value,
    json_constructors_as_casts,
    json_methods_as_operators,
    json_types_as_jsonb,
    oracle_scalar_types,
    numeric_trunc_not_date_trunc,
    support_package_caches_dropped,
    associative_arrays_as_jsonb,
    collection_types_as_arrays,
    record_types_as_schema_types,
    bulk_collect_as_array,
    collection_methods_as_array_functions,
    table_collections_as_unnest,
    sql_json_object_as_jsonb_build_object,
    sql_json_arrayagg_as_jsonb_agg,
    sql_json_value_as_path_query,
    sql_json_value_in_dynamic_sql,
    apply_as_lateral_join,
    oracle_merge_as_postgres_merge,
    oracle_trunc_not_date_trunc,
    oracle_regex_escapes,
    procedure_calls_with_call,
    support_package_variables_as_settings,
    package_constants_as_calls,
    quoted_dictionary_names_in_lower_case,
    oracle_error_numbers_as_panda_sqlstates,
    sqlcode_as_oracle_error_number,
    open_for_update_not_execute,
    fetch_bulk_collect_as_loop,
    forall_as_for_loop,
    returning_bulk_collect_as_array_agg,
    quoted_upper_case_names_lowered,
    update_set_targets_unqualified,
    call_variables_as_text,
    dynamic_sql_translated,
    recursive_with_marked,
    computed_error_number_as_sqlstate,
    listagg_of_any_type,
    columns_before_variables,
    member_date_result_as_timestamp,
    to_date_of_orafce,
    for_update_of_tables,
    empty_string_arguments_as_null,
    savepoint_of_exception_block_dropped,
    connect_by_level_as_generate_series,
    empty_strings_stored_as_null,
    string_results_null_for_empty,
    is_null_conditions_in_update_set,
    commit_in_function_left_to_caller,
    oracle_search_path,
]
