"""Collections of scalars (nested tables, VARRAYs) -> arrays; associative arrays -> jsonb objects."""

from __future__ import annotations

import re

from ora2pg.patches import PatchContext
from ora2pg.procedure_patches.calls_and_names import close_array_constructors
from ora2pg.procedure_patches.scanner import closing_bracket, sub_in_code

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
