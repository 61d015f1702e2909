"""The PL/SQL twin (procedures/oracle) verified by running it: converted to PL/pgSQL by ora2pg (offline,
-i), loaded into a scratch copy of a migrated database in place of the PostgreSQL routines of the
same names, then the behavioural tests of the stored logic run against it (`pandadb ora2pg check
--procedures`). Two figures come out: routines converted and created / total, and tests passing on the
converted logic / total.

In place of means: every PostgreSQL routine whose name the twin also defines is dropped first, so a
routine ora2pg could not convert (or whose conversion does not create) is missing, and the tests that
need it fail; nothing of the PostgreSQL logic stands in for the twin. Routines without a twin
(PostgreSQL-only files: tasks, events, harvester...) stay as they are.

Patches of ora2pg's PL/pgSQL output are named functions (PROCEDURE_PATCHES), like the DDL's.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ora2pg.oracle_ddl import PROJECT_ROOT, Ora2pgError
from ora2pg.patches import PatchContext, rename_oracle_schemas, strip_psql_meta_commands

ORACLE_PROCEDURES = PROJECT_ROOT / "procedures" / "oracle"
# the behavioural tests of the stored logic the twin covers
BEHAVIOUR_TESTS = (
    "test_job_lifecycle.py",
    "test_dispatch.py",
    "test_retry.py",
    "test_watchdog.py",
    "test_aggregates.py",
    "test_windows.py",
    "test_partitions.py",
    "test_archive.py",
    "test_scheduler.py",
)


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


PROCEDURE_PATCHES = [
    strip_psql_meta_commands,
    rename_oracle_schemas,
    package_calls_as_functions,
    routines_as_separate_statements,
    no_semicolon_after_return_type,
    ref_cursor_type,
    string_list_type,
    close_array_constructors,
]


@dataclass
class ConvertedRoutine:
    file: str  # procedures/oracle file
    name: str  # doma_panda.<name> as ora2pg wrote it
    sql: str


@dataclass
class ProcedureConversion:
    oracle_routines: dict[str, str]  # PostgreSQL-side name (lower case) -> procedures/oracle file
    routines: list[ConvertedRoutine]
    created: dict[str, str | None] = field(default_factory=dict)  # name -> None (created) or the error

    @property
    def converted_names(self) -> set[str]:
        return {r.name.split(".")[-1] for r in self.routines}

    @property
    def created_names(self) -> set[str]:
        return {name for name, error in self.created.items() if error is None}


def oracle_routines(input_dir: Path = ORACLE_PROCEDURES) -> dict[str, str]:
    """The twin's routines by PostgreSQL-side name: standalone functions and procedures, and the
    members of its package bodies (ora2pg -t FUNCTION writes them under their member names)."""
    names: dict[str, str] = {}
    for path in sorted(Path(input_dir).glob("*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text())
        for match in re.finditer(
            r"CREATE\s+OR\s+REPLACE\s+(?:EDITIONABLE\s+)?(FUNCTION|PROCEDURE|PACKAGE\s+BODY)\s+"
            r"(?:\w+\.)?(\w+)",
            text,
            re.I,
        ):
            if match.group(1).upper().startswith("PACKAGE"):
                body = text[match.end() :]
                end = re.search(rf"\bEND\s+{match.group(2)}\s*;", body, re.I)
                for member in re.finditer(
                    r"^\s{4}(?:FUNCTION|PROCEDURE)\s+(\w+)", body[: end.start() if end else None], re.I | re.M
                ):
                    names.setdefault(member.group(1).lower(), path.name)
            else:
                names.setdefault(match.group(2).lower(), path.name)
    return names


def convert_procedures(
    output_dir: Path, input_dir: Path = ORACLE_PROCEDURES, binary: str | None = None
) -> ProcedureConversion:
    """ora2pg -t FUNCTION -i <file> for each procedures/oracle file (the -i parser reads the packages,
    functions and procedures of the file), then PROCEDURE_PATCHES; one routine per statement."""
    from ora2pg import oracle_ddl
    from ora2pg.convert import find_ora2pg, render_config, run_ora2pg

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    config = output_dir / "ora2pg_procedures.conf"
    config.write_text(render_config(schema="ATLAS_PANDA"))
    ctx = PatchContext("ATLAS_PANDA", "doma_panda", oracle_ddl.OracleDDL([]))
    routines = []
    for path in sorted(Path(input_dir).glob("*.sql")):
        sql = run_ora2pg(
            "FUNCTION",
            config,
            output_dir / f"FUNCTION_{path.stem}.sql",
            oracle_schema="ATLAS_PANDA",
            pg_schema="doma_panda",
            input_file=path,
            binary=binary or find_ora2pg(),
        )
        for patch in PROCEDURE_PATCHES:
            sql = patch(sql, ctx)
        (output_dir / f"converted_{path.stem}.sql").write_text(sql)
        for match in re.finditer(
            r"^CREATE OR REPLACE (?:FUNCTION|PROCEDURE) (\S+) ?\(.*?^\$body\$\n.*?;$", sql, re.M | re.S
        ):
            routines.append(ConvertedRoutine(path.name, match.group(1).lower(), match.group(0)))
    return ProcedureConversion(oracle_routines(input_dir), routines)


def load_in_place(database_url: str, conversion: ProcedureConversion) -> ProcedureConversion:
    """Drop the PostgreSQL routines the twin defines, create the converted ones (each on its own: one
    that does not create is recorded with its error and left out)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        for name in sorted(conversion.oracle_routines):
            for (signature,) in conn.execute(
                "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = 'doma_panda'::regnamespace "
                "AND p.proname = %s",
                [name],
            ).fetchall():
                kind = (
                    "PROCEDURE"
                    if conn.execute("SELECT prokind FROM pg_proc WHERE oid = %s::regprocedure", [signature]).fetchone()[
                        0
                    ]
                    == "p"
                    else "FUNCTION"
                )
                conn.execute(f"DROP {kind} {signature} CASCADE")
        for routine in conversion.routines:
            short = routine.name.split(".")[-1]
            try:
                with conn.transaction():
                    conn.execute(routine.sql)
                conversion.created.setdefault(short, None)
            except psycopg.Error as error:
                if conversion.created.get(short) is None and short in conversion.created:
                    continue  # an overload of it was created
                conversion.created[short] = str(error).strip().splitlines()[0]
    return conversion


def run_behaviour_tests(
    conversion_dir: Path, tests: tuple[str, ...] = BEHAVIOUR_TESTS, timeout: int = 3000
) -> tuple[int, int, str]:
    """The behavioural tests with the converted routines in place (tests/ora2pg_converted_logic.py
    loads them into the template database every test database is copied from). Returns (passed, total,
    pytest's summary line). Needs the project's source tree (tests/)."""
    import os
    import sys

    tests_dir = PROJECT_ROOT / "tests"
    if not (tests_dir / "ora2pg_converted_logic.py").exists():
        raise Ora2pgError(
            "the behavioural tests are not here: run `pandadb ora2pg check --procedures` in a source checkout"
        )
    env = dict(
        os.environ,
        PANDADB_ORA2PG_CONVERTED=str(conversion_dir),
        PYTHONPATH=os.pathsep.join(filter(None, [str(tests_dir), os.environ.get("PYTHONPATH")])),
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "ora2pg_converted_logic",
            "-o",
            "addopts=",
            *[str(tests_dir / t) for t in tests],
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=timeout,
    )
    summary = next(
        (line for line in reversed(run.stdout.splitlines()) if re.search(r"\d+ (passed|failed|error)", line)), ""
    )
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?|skipped)", summary)}
    passed = counts.get("passed", 0)
    total = (
        passed + counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0) + counts.get("skipped", 0)
    )
    if not summary:
        raise Ora2pgError(f"the behavioural tests did not run:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return passed, total, summary


def save(conversion: ProcedureConversion, directory: Path) -> None:
    """The converted routines (routines.json, read back by load_saved in the test process)."""
    import json

    Path(directory, "routines.json").write_text(json.dumps([r.__dict__ for r in conversion.routines]))


def load_saved(directory: Path, input_dir: Path = ORACLE_PROCEDURES) -> ProcedureConversion:
    import json

    routines = [ConvertedRoutine(**r) for r in json.loads(Path(directory, "routines.json").read_text())]
    return ProcedureConversion(oracle_routines(input_dir), routines)
