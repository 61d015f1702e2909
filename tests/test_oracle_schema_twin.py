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

from sqlglot import exp

from ora2pg.oracle_words import ORACLE_RESERVED_WORDS

from oracle_sql import (
    ORACLE_MAX_IDENTIFIER_BYTES,
    ORACLE_MAX_INDEX_KEY_BYTES,
    ORACLE_ONLY_PARTITIONED,
    ORACLE_PROCEDURES,
    ORACLE_SCHEMA,
    POSTGRES_FILES_AWAITING_AN_ORACLE_TWIN,
    POSTGRES_SCHEMA,
    Model,
    cut_oracle_clauses,
    dual_rows,
    identifier_name,
    literal_value,
    model_of,
    oracle_twin_of_partial_index,
    oracle_types_as_written,
    parse_one_statement,
    schema_statements,
    split_statements,
    string_literals,
)


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
    problems = [
        f"schema/postgres/{name} has no Oracle twin schema/oracle/{name}"
        for name in sorted(postgres - oracle - awaiting)
    ]
    problems += [f"schema/oracle/{name} has no PostgreSQL original" for name in sorted(oracle - postgres)]
    problems += [
        f"{name} is listed as awaiting its Oracle twin, but the twin exists or the PostgreSQL file "
        "is gone: remove it from POSTGRES_FILES_AWAITING_AN_ORACLE_TWIN"
        for name in sorted(awaiting & oracle | awaiting - postgres)
    ]
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
        "(PARTITION P_INITIAL VALUES LESS THAN (TO_DATE('2020-01-01','YYYY-MM-DD'))) ENABLE ROW MOVEMENT"
    )
    assert not problems and clauses.interval == "NUMTODSINTERVAL(3,'DAY')" and clauses.row_movement
    assert isinstance(parse_one_statement(text, "oracle"), exp.Create)


def test_the_sql_reader_keeps_quotes_and_comments_apart():
    text = "-- it's a comment; not a statement\nSELECT 'a;b' AS \"X;\" FROM DUAL; /* ; */ SELECT 1 FROM DUAL;"
    statements = split_statements(text, "t.sql")
    assert [s.text for s in statements] == ["SELECT 'a;b' AS \"X;\" FROM DUAL", "SELECT 1 FROM DUAL"]
    assert [s.line for s in statements] == [2, 2]
    assert string_literals(text) == ["a;b"]
    assert oracle_types_as_written(
        "CREATE TABLE A.T (X VARCHAR(5), Y NUMBER(10, 2) DEFAULT 0 NOT NULL, CONSTRAINT P PRIMARY KEY (X))"
    ) == {"X": "VARCHAR(5)", "Y": "NUMBER(10,2)"}


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
                problems.append(
                    f"{'.'.join(key)}.{column.lower()}: Oracle {ora_type}, PostgreSQL {pg_type} (expected {expected})"
                )
    assert not problems, "\n".join(problems)
    assert compared > 1500


def test_the_type_mapping_itself():
    postgres = model_of("postgres").tables
    written = {t for table in postgres.values() for _, t in table.columns}
    assert {
        "VARCHAR(52)",
        "BIGINT",
        "INT",
        "SMALLINT",
        "TIMESTAMP",
        "TEXT",
        "JSONB",
        "CHAR(1)",
        "BOOLEAN",
        "INTERVAL",
    } <= written
    assert oracle_counterpart("DECIMAL(10, 2)") == "NUMBER(10,2)" and oracle_counterpart("DECIMAL") == "NUMBER"
    assert oracle_counterpart("BIGINT") != oracle_counterpart("INT")
    assert oracle_counterpart("BOOLEAN") == "NUMBER(1)" and oracle_counterpart("INTERVAL") == "INTERVAL DAY TO SECOND"
    assert oracle_counterpart("TIMESTAMPTZ") is None and oracle_counterpart("INTERVAL YEAR") is None
    assert oracle_types_as_written(
        "CREATE TABLE A.T (D INTERVAL DAY TO SECOND NOT NULL, E INTERVAL  DAY (3) TO SECOND, F NUMBER(1) DEFAULT 1)"
    ) == {"D": "INTERVAL DAY TO SECOND", "E": "INTERVAL DAY(3) TO SECOND", "F": "NUMBER(1)"}


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
                problems.append(
                    f"{name}.{column.lower()}: DEFAULT {oracle[key].defaults.get(column)} in Oracle, "
                    f"{pg_default} in PostgreSQL (expected {expected})"
                )
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
    problems = [
        f"{'.'.join(k)} is partitioned in PostgreSQL (or by section 8.4) but not in Oracle"
        for k in sorted(set(expected) - set(ora))
    ]
    problems += [f"{'.'.join(k)} is partitioned only in Oracle" for k in sorted(set(ora) - set(expected))]
    for key in sorted(set(ora) & set(expected)):
        if ora[key] != expected[key]:
            problems.append(f"{'.'.join(key)}: partitioned by {ora[key]} in Oracle, by {expected[key]} expected")
        if key in pg and oracle[key].partition_kind != postgres[key].partition_kind:
            problems.append(
                f"{'.'.join(key)}: {oracle[key].partition_kind} in Oracle, {postgres[key].partition_kind} in PostgreSQL"
            )
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
            problems.append(
                f"index {index.name} on partitioned {index.table} is global: make it LOCAL, "
                "so that dropping a partition does not make it unusable"
            )
    for key, entries in keyed.items():
        table, visible = oracle.tables[key], {}
        for name, columns, invisible in entries:
            # since 12c, a second index on the same column list is allowed only while invisible
            if columns in visible and not invisible:
                problems.append(
                    f"{'.'.join(key)}: {name} and {visible[columns]} index the same columns {columns} (ORA-01408)"
                )
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
    pg = {
        (i.schema, i.name.lower()): (
            i.table,
            oracle_twin_of_partial_index(i.columns, i.predicate) if i.predicate else i.columns,
            i.unique,
        )
        for i in postgres.indexes
    }
    assert len(pg) > 100 and any(i.predicate for i in postgres.indexes)
    problems = [f"index {'.'.join(k)} is missing on the Oracle side" for k in sorted(set(pg) - set(ora))]
    problems += [f"index {'.'.join(k)} is only on the Oracle side" for k in sorted(set(ora) - set(pg))]
    problems += [
        f"index {'.'.join(k)}: (table, columns, unique) {ora[k]} in Oracle, {pg[k]} in PostgreSQL"
        for k in sorted(set(ora) & set(pg))
        if ora[k] != pg[k]
    ]
    assert not problems, "\n".join(problems)


def test_materialized_views_match():
    oracle, postgres = model_of("oracle"), model_of("postgres")
    assert {("doma_panda", "mv_worker_node_summary"), ("doma_panda", "mv_worker_node_gpu_summary")} <= set(
        postgres.views
    )
    problems = []
    for key in sorted(set(postgres.views) | set(oracle.views)):
        name = ".".join(key)
        if key not in oracle.views or key not in postgres.views:
            problems.append(
                f"materialized view {name} is only on the {'PostgreSQL' if key in postgres.views else 'Oracle'} side"
            )
            continue
        if oracle.views[key] != postgres.views[key]:
            problems.append(f"{name}: columns {oracle.views[key]} in Oracle, {postgres.views[key]} in PostgreSQL")
        if oracle.view_build.get(key) != "DEFERRED":
            problems.append(f"{name}: the Oracle twin of WITH NO DATA is BUILD DEFERRED")
        ora_unique = sorted(
            (i.name.lower(), i.columns) for i in oracle.indexes if (i.schema, i.table) == key and i.unique
        )
        pg_unique = sorted(
            (i.name.lower(), i.columns) for i in postgres.indexes if (i.schema, i.table) == key and i.unique
        )
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
    problems += [
        f"constraint {name}:\n    Oracle     {ora[name]}\n    PostgreSQL {pg[name]}"
        for name in sorted(set(pg) & set(ora))
        if pg[name] != ora[name]
    ]
    if not re.search(r"^--.*default partitions", (ORACLE_SCHEMA / file).read_text(), re.I | re.M):
        problems.append(f"{file} does not say why Oracle needs no default partitions")
    assert not problems, "\n".join(problems)


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
            rows.setdefault(table, set()).add(tuple(sorted(zip(columns, values, strict=False))))
    return rows


def test_registration_defaults_are_the_same_rows():
    file = "99_registration_defaults.sql"
    assert (ORACLE_SCHEMA / file).exists(), f"schema/oracle/{file} is missing"
    pg = default_rows(model_of("postgres"), file)
    ora = default_rows(model_of("oracle"), file)
    assert sum(len(r) for r in pg.values()) >= 20
    problems = []
    for table in sorted(set(pg) | set(ora)):
        problems += [
            f"{table}: row missing on the Oracle side: {dict(row)}"
            for row in sorted(pg.get(table, set()) - ora.get(table, set()), key=str)
        ]
        problems += [
            f"{table}: row only on the Oracle side: {dict(row)}"
            for row in sorted(ora.get(table, set()) - pg.get(table, set()), key=str)
        ]
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
            if (
                node.name.upper() in quoted
                and not (node.quoted and node.name.isupper())
                and isinstance(node.parent, (exp.Column, exp.Alias, exp.Schema))
            ):
                problems.append(
                    f"99_registration_defaults.sql:{statement.line}: write \"{node.name.upper()}\", "
                    f"not {node.sql('oracle')}"
                )
    assert not problems, "\n".join(problems)
