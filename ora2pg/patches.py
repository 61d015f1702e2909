"""Output patches: ora2pg's PostgreSQL DDL -> the DDL of schema/postgres. Each patch is a small named
function whose docstring says why it is needed (a documented step of seed 004 section 8.6, something
ora2pg cannot do offline, or an ora2pg slip); TABLE_PATCHES, SEQUENCE_PATCHES and VIEW_PATCHES give
the order in which convert.py applies them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ora2pg.oracle_ddl import (
    NAME,
    ORACLE_ONLY_PARTITIONED,
    OracleDDL,
    balanced,
    check_constraints_with_state,
    materialized_views_as_views,
    unquote,
)

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
    return re.sub(r'(?i)"?\batlas_(pandaarch|pandameta|panda|deft)\b"?', lambda m: "doma_" + m.group(1).lower(), sql)


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
            while end < len(text) and (text[end] != "'" or text[end + 1 : end + 2] == "'"):
                end += 2 if text[end] == "'" else 1
            current.append(text[i : end + 1])
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
    return "".join(
        piece if piece.startswith("'") else piece.replace('"', "").lower()
        for piece in re.split(r"('(?:[^']|'')*')", text)
    )


def repair_expression_index_columns(sql: str, ctx: PatchContext) -> str:
    """ora2pg 23.2's -i parser splits an index's column list at every comma, also inside an expression,
    and puts each piece holding a parenthesis in parentheses: CASE WHEN s IN ('a', 'b') THEN c END
    comes out as (case when s in ('a'), 'b' then c end), COALESCE(g, ' ') as coalesce(g), (' '), and a
    DESC ends up inside the expression's parentheses. The column list of such an index is rebuilt from
    the Oracle text: one element per top-level expression, expressions in parentheses, ASC/DESC after."""
    for statement in ctx.oracle.of_schema(ctx.oracle_schema, "index"):
        match = re.match(
            rf"^CREATE\s+(UNIQUE\s+)?INDEX\s+(?:{NAME}\.)?({NAME})\s+ON\s+{NAME}\.{NAME}\s*\(", statement.text, re.I
        )
        columns = split_top_level(balanced(statement.text, match.end() - 1)[1:-1])
        if all(re.fullmatch(rf"{NAME}(\s+(ASC|DESC))?", column, re.I) for column in columns):
            continue  # plain columns: ora2pg gets them right
        elements = []
        for column in columns:
            order = re.search(r"\s+(ASC|DESC)$", column, re.I)
            expression = column[: order.start()] if order else column
            expression = lower_outside_quotes(expression.strip())
            if not re.fullmatch(r"[a-z_][a-z0-9_$#]*", expression):
                expression = f"({expression})"
            elements.append(expression + (f" {order.group(1).upper()}" if order else ""))
        index, table = unquote(match.group(2)), OracleDDL.pg_name(statement)
        unique = "UNIQUE " if match.group(1) else ""
        sql = re.sub(
            rf"^CREATE {unique}INDEX {re.escape(index)} ON {re.escape(table)} .*;$",
            lambda m: f"CREATE {unique}INDEX {index} ON {table} ({', '.join(elements)});",
            sql,
            flags=re.M,
        )
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
    return "\n".join(
        re.sub(r'"([A-Z][A-Z0-9_$#]*)"', lambda m: f'"{m.group(1).lower()}"', line)
        if re.match(r"ALTER TABLE \S+ ADD CONSTRAINT \S+ CHECK\b", line)
        else line
        for line in sql.split("\n")
    )


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
                sql = re.sub(
                    rf"^(ALTER TABLE {re.escape(table)} ADD CONSTRAINT {name} CHECK ).*;$",
                    lambda m: f"{m.group(1)}({match.group(1).lower()} ~ {match.group(2)});",
                    sql,
                    flags=re.M,
                )
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


def drop_is_json_checks(sql: str, ctx: PatchContext) -> str:
    """Oracle keeps JSON in a CLOB with CHECK (col IS JSON); the PostgreSQL column is json/jsonb
    (MODIFY_TYPE), whose type already refuses what is not JSON. ora2pg rewrites IS JSON into a
    CASE expression that is always true: the constraint is dropped."""
    names = {
        name
        for checks in ctx.oracle.check_constraints().values()
        for name, condition in checks
        if re.fullmatch(r'"?\w+"?\s+IS\s+JSON', condition, re.I)
    }
    return "\n".join(
        line
        for line in sql.split("\n")
        if not (m := re.match(r"ALTER TABLE \S+ ADD CONSTRAINT (\w+) CHECK\b", line)) or m.group(1) not in names
    )


def fix_comment_quotes(sql: str, ctx: PatchContext) -> str:
    """ora2pg (-i) keeps Oracle's doubled quotes inside a comment and escapes them again:
    'a ''b''' comes out as E'a ''''b'''''. One level of doubling is the right one."""
    return "\n".join(line.replace("''''", "''") if line.startswith("COMMENT ON ") else line for line in sql.split("\n"))


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
            sql = re.sub(
                rf"(CREATE (?:UNLOGGED )?TABLE {re.escape(table)} \(.*?\n\))\s*PARTITION BY [^;]*;",
                r"\1;",
                sql,
                flags=re.S,
            )
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
        sql = re.sub(
            rf"^ALTER VIEW {re.escape(view)} OWNER TO", f"ALTER MATERIALIZED VIEW {view} OWNER TO", sql, flags=re.M
        )
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
    drop_is_json_checks,
    fix_comment_quotes,
    add_partitioning,
    remove_oracle_only_partitioning,
]
SEQUENCE_PATCHES: list[Patch] = [
    strip_psql_meta_commands,
    rename_oracle_schemas,
    reset_sequences,
    sequence_cache_as_postgres,
]
VIEW_PATCHES: list[Patch] = [strip_psql_meta_commands, rename_oracle_schemas, views_as_materialized_views]
# every patch, for the report and the docs
PATCHES: list[Callable] = [
    check_constraints_with_state,
    materialized_views_as_views,
    *TABLE_PATCHES,
    default_partitions,
    move_materialized_view_indexes,
    *SEQUENCE_PATCHES[2:],
    views_as_materialized_views,
]
