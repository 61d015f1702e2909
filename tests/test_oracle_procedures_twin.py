"""The PL/SQL twins (procedures/oracle) of the stored logic: see test_oracle_schema_twin.py for the method."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlglot import exp

from oracle_sql import (
    ORACLE_PROCEDURES,
    ORACLE_SCHEMA,
    ORACLE_TO_POSTGRES_SCHEMA,
    POSTGRES_PROCEDURES,
    POSTGRES_TO_ORACLE_SCHEMA,
    ROOT,
    dual_rows,
    literal_value,
    model_of,
    parse_one_statement,
    scan_sql,
    string_literals,
    without_comments,
    without_comments_and_literals,
)

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
        schema = (
            ORACLE_TO_POSTGRES_SCHEMA.get(match["schema"].upper(), match["schema"])
            if dialect == "oracle"
            else match["schema"]
        )
        params = [parameter(part, dialect) for part in re.split(r",(?![^(]*\))", match["params"] or "") if part.strip()]
        found[(schema.lower(), match["name"].lower())] = params
    return found


def routine_bodies(text: str) -> dict[str, str]:
    """name -> text of each routine, from its CREATE to the next CREATE (or the end), comments removed."""
    text = without_comments(text)
    starts = [(m.start(), m["name"].lower()) for m in ROUTINE.finditer(text)]
    return {
        name: text[start : (starts[i + 1][0] if i + 1 < len(starts) else len(text))]
        for i, (start, name) in enumerate(starts)
    }


def oracle_procedure_files() -> list[Path]:
    return sorted(ORACLE_PROCEDURES.glob("*.sql"))


# New stored logic is PostgreSQL-only until the PL/SQL twin can be converted and run (the Oracle issue):
# such a file says so in its header with this line, and has no twin yet.
POSTGRESQL_ONLY_MARK = "-- PostgreSQL only:"
# Oracle-only files (the support package every PL/SQL unit uses) say so with this line.
ORACLE_ONLY_MARK = "-- Oracle only:"


def is_marked(path: Path, mark: str) -> bool:
    return any(line.startswith(mark) for line in path.read_text().splitlines()[:40])


def postgres_files_with_twins() -> list[Path]:
    return sorted(p for p in POSTGRES_PROCEDURES.glob("*.sql") if not is_marked(p, POSTGRESQL_ONLY_MARK))


def test_the_support_package_is_the_first_oracle_file_and_marked_oracle_only():
    files = oracle_procedure_files()
    assert files[0].name == SUPPORT_FILE and is_marked(files[0], ORACLE_ONLY_MARK)
    assert not any(is_marked(path, ORACLE_ONLY_MARK) for path in files[1:])


def test_every_postgres_procedure_file_has_its_oracle_twin():
    postgres = {p.name for p in postgres_files_with_twins()}
    oracle = {p.name for p in oracle_procedure_files() if not is_marked(p, ORACLE_ONLY_MARK)}
    assert {"jobs.sql", "dispatch.sql", "clock.sql", "partitions.sql", "archive.sql", "scheduler.sql"} <= postgres
    problems = [
        f"procedures/postgres/{name} has no PL/SQL twin procedures/oracle/{name}" for name in sorted(postgres - oracle)
    ]
    problems += [f"procedures/oracle/{name} has no PostgreSQL original" for name in sorted(oracle - postgres)]
    assert not problems, "\n".join(problems)


def test_plsql_twins_declare_the_same_routines_with_the_same_parameters():
    # each procedures/oracle file is the twin of the procedures/postgres file of the same name
    files = oracle_procedure_files()
    assert {p.name for p in files} >= {"version.sql", "registration.sql"}
    problems, compared = [], 0
    for ora_path in files:
        pg_path = POSTGRES_PROCEDURES / ora_path.name
        if is_marked(ora_path, ORACLE_ONLY_MARK):
            continue
        if not pg_path.exists():
            problems.append(f"procedures/oracle/{ora_path.name} has no PostgreSQL twin")
            continue
        pg, ora = routines(pg_path, "postgres"), routines(ora_path, "oracle")
        problems += [f"{ora_path.name}: {'.'.join(k)} has no Oracle twin" for k in sorted(set(pg) - set(ora))]
        problems += [f"{ora_path.name}: {'.'.join(k)} is only on the Oracle side" for k in sorted(set(ora) - set(pg))]
        for key in sorted(set(pg) & set(ora)):
            compared += 1
            if pg[key] != ora[key]:
                problems.append(
                    f"{'.'.join(key)}: parameters (name, has a default, OUT) {ora[key]} in Oracle, "
                    f"{pg[key]} in PostgreSQL"
                )
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
SQLSTATE_TO_ORACLE_ERROR = {
    "PD001": -20001,
    "PD002": -20002,
    "PD003": -20003,
    "PD004": -20004,
    "PD005": -20005,
    "P0001": -20000,
}


def schema_neutral(text: str) -> str:
    """Messages name tables as doma_panda.global_shares in PostgreSQL, ATLAS_PANDA.GLOBAL_SHARES in Oracle."""
    return re.sub(
        r"\b(?:doma|atlas)_(panda|pandaarch|pandameta|deft)\.(\w+)",
        lambda m: f"ATLAS_{m[1]}.{m[2]}".upper(),
        text,
        flags=re.I,
    )


def plpgsql_raises(body: str) -> list[tuple[str, str]]:
    """(message, SQLSTATE) of each RAISE EXCEPTION '<message>' ... [USING ERRCODE = '<state>']; of a
    PL/pgSQL text (comments removed). RAISE EXCEPTION USING MESSAGE = <expression> is not counted."""
    pieces = scan_sql(body)
    raises = []
    for i, (kind, text) in enumerate(pieces):
        if (
            kind != "code"
            or not re.search(r"\bRAISE\s+EXCEPTION\s*$", text, re.I)
            or i + 1 == len(pieces)
            or pieces[i + 1][0] != "string"
        ):
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
    body = (
        "RAISE EXCEPTION 'a %: b', x USING ERRCODE = 'PD002';\n"
        "RAISE EXCEPTION 'c; %', array_to_string(v, '; ') USING ERRCODE = 'PD004';\n"
        "RAISE EXCEPTION 'test only %', x;\nRAISE EXCEPTION USING ERRCODE = v ->> 'sqlstate', MESSAGE = m;\n"
    )
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
                problems.append(
                    f"{ora_path.name}: the header comment must map {state} -> "
                    f"{SQLSTATE_TO_ORACLE_ERROR[state]} (one line)"
                )
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
                    problems.append(
                        f"{name}: {expected} {state} raises in PostgreSQL, {raised} "
                        f"RAISE_APPLICATION_ERROR({number}, ...) in Oracle"
                    )
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
                problems.append(
                    f"{ora_path.name}: RAISE_APPLICATION_ERROR({number}) stands for no SQLSTATE of the "
                    "PostgreSQL side (-20000 .. -20005)"
                )
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
        r"^\s*(CREATE\s+(OR\s+REPLACE\s+)?(PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE)\b|BEGIN\b|DECLARE\b)", re.I
    )
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
            while (
                i < len(lines)
                and lines[i].strip() != "/"
                and not without_comments_and_literals(lines[i]).rstrip().endswith(";")
            ):
                i += 1
            just_ran = True
            i += 1
    return units


def test_plsql_unit_reader_catches_missing_and_stray_slashes():
    units = plsql_units("CREATE OR REPLACE PROCEDURE A.P AS\nBEGIN\n  NULL;\nEND;\n")
    assert units == [(1, "CREATE OR REPLACE PROCEDURE A.P AS", False)]
    units = plsql_units(
        "CREATE OR REPLACE PROCEDURE A.P AS\nBEGIN\n  NULL;\nEND;\n"
        "CREATE OR REPLACE PROCEDURE A.Q AS\nBEGIN\n  NULL;\nEND;\n/\n"
    )
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
        problems += [
            f"{path.name}:{line}: {first} is not ended by a line with only '/'"
            for line, first, terminated in units
            if not terminated
        ]
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
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    script = result.stdout
    problems = []
    created = {
        (m[1].upper(), m[2].upper()) for m in re.finditer(r"^CREATE\s+TABLE\s+(\w+)\.(\w+)", script, re.M | re.I)
    }
    assert len(model_of("oracle").tables) > 90
    for schema, table in sorted(model_of("oracle").tables):
        if (POSTGRES_TO_ORACLE_SCHEMA[schema], table.upper()) not in created:
            problems.append(f"no CREATE TABLE {POSTGRES_TO_ORACLE_SCHEMA[schema]}.{table.upper()} in the script")
    for path in sorted(ORACLE_SCHEMA.glob("*.sql")) + oracle_procedure_files():
        if not re.search(rf"^-- {re.escape(str(path.relative_to(ROOT)))}$", script, re.M):
            problems.append(f"{path.relative_to(ROOT)} is not in the script")
    names = sorted(
        f"{POSTGRES_TO_ORACLE_SCHEMA[s]}.{n.upper()}"
        for path in oracle_procedure_files()
        for s, n in routines(path, "oracle")
    )
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
    problems += [
        f"script line {line}: PL/SQL unit {first!r} is not ended by '/'"
        for line, first, terminated in units
        if not terminated
    ]
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# What the PL/SQL names exists; the Oracle-native policy and dispatch index
# --------------------------------------------------------------------------------------------

SUPPORT_PACKAGE = "PANDADB_SUPPORT"
SUPPORT_FILE = "00_support.sql"  # Oracle only, loaded first
# created by procedures/oracle files, not by schema/oracle: the twins of revision 0003's PostgreSQL tables
TABLES_CREATED_BY_PROCEDURE_FILES = {
    "ATLAS_PANDA.PARTITION_POLICY": "partitions.sql",
    "ATLAS_PANDA.ARCHIVE_PARTITION_LOG": "archive.sql",
}


def oracle_objects() -> set[str]:
    """OWNER.NAME (upper case) of every table, sequence, view, routine and package the Oracle side creates."""
    names = {
        f"{POSTGRES_TO_ORACLE_SCHEMA[schema]}.{name.upper()}"
        for schema, name in list(model_of("oracle").tables) + list(model_of("oracle").views)
    }
    text = "\n".join(without_comments(p.read_text()) for p in sorted(ORACLE_SCHEMA.glob("*.sql")))
    names |= {f"{m[1]}.{m[2]}".upper() for m in re.finditer(r"CREATE\s+SEQUENCE\s+(\w+)\.(\w+)", text, re.I)}
    for path in oracle_procedure_files():
        code = without_comments(path.read_text())
        names |= {
            f"{m[1]}.{m[2]}".upper()
            for m in re.finditer(r"CREATE\s+OR\s+REPLACE\s+(?:PROCEDURE|FUNCTION|PACKAGE)\s+(\w+)\.(\w+)", code, re.I)
        }
        names |= {f"{m[1]}.{m[2]}".upper() for m in re.finditer(r"CREATE\s+TABLE\s+(\w+)\.(\w+)", code, re.I)}
    return names


def test_every_object_the_plsql_names_exists():
    # a typo in a table, sequence or routine name compiles in PL/SQL only to fail at the first call
    known = oracle_objects()
    assert {
        "ATLAS_PANDA.JOBSACTIVE4",
        "ATLAS_PANDA.JOBSDEFINED4_PANDAID_SEQ",
        "ATLAS_PANDA.ACQUIRE_JOBS",
        f"ATLAS_PANDA.{SUPPORT_PACKAGE}",
    } | set(TABLES_CREATED_BY_PROCEDURE_FILES) <= known
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
    clock = without_comments((ORACLE_PROCEDURES / SUPPORT_FILE).read_text())
    spec = re.search(
        rf"CREATE\s+OR\s+REPLACE\s+PACKAGE\s+ATLAS_PANDA\.{SUPPORT_PACKAGE}\b(.*?)\bEND\s+{SUPPORT_PACKAGE}\s*;",
        clock,
        re.S | re.I,
    )
    body = re.search(
        rf"CREATE\s+OR\s+REPLACE\s+PACKAGE\s+BODY\s+ATLAS_PANDA\.{SUPPORT_PACKAGE}\b(.*?)"
        rf"\bEND\s+{SUPPORT_PACKAGE}\s*;",
        clock,
        re.S | re.I,
    )
    assert spec and body, f"procedures/oracle/{SUPPORT_FILE} must create the package {SUPPORT_PACKAGE} and its body"
    declared = {m[1].lower() for m in re.finditer(r"^\s*(?:FUNCTION|PROCEDURE)\s+(\w+)", spec[1], re.M | re.I)}
    declared |= {m[1].lower() for m in re.finditer(r"^\s*(\w+)\s+(?:DATE|VARCHAR2\(\d+\))\s*;", spec[1], re.M | re.I)}
    implemented = {m[1].lower() for m in re.finditer(r"^\s*(?:FUNCTION|PROCEDURE)\s+(\w+)", body[1], re.M | re.I)}
    assert {"clock", "set_clock", "member_text", "row_json_sql", "try_xact_lock"} <= declared
    problems = [
        f"{SUPPORT_PACKAGE}.{name} is declared but has no body"
        for name in sorted(declared - implemented - {"clock", "archive_test_failure"})
    ]
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
    twins = {
        i.name.lower(): i.columns
        for i in model_of("oracle").indexes
        if i.name.lower().startswith("jobsactive4_dispatch")
    }
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
    lines = [
        line
        for line in (ROOT / "partitions" / "policy.tsv").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    header = lines[0].split("\t")
    return [
        dict(zip(header, line.split("\t") + [""] * (len(header) - len(line.split("\t"))), strict=False))
        for line in lines[1:]
    ]


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
        expected.add(
            (
                ("schema_name", POSTGRES_TO_ORACLE_SCHEMA[row["schema"]]),
                ("table_name", row["table"].upper()),
                ("partition_key", row["partition_key"].upper()),
                ("partition_interval", row["interval"]),
                ("premake", int(row["premake"]) if row["premake"] else None),
                ("retention", row["retention"] or None),
                ("handled", row["handled"]),
            )
        )
    assert len(expected) > 20
    problems = [
        f"policy.tsv row missing in procedures/oracle/partitions.sql: {dict(r)}"
        for r in sorted(expected - oracle, key=str)
    ]
    problems += [
        f"procedures/oracle/partitions.sql row not in policy.tsv: {dict(r)}" for r in sorted(oracle - expected, key=str)
    ]
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
