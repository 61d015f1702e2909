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
from ora2pg.patches import PatchContext
from ora2pg.procedure_patches import PROCEDURE_PATCHES, in_code, oracle_functions_kept_for_orafce

ORACLE_PROCEDURES = PROJECT_ROOT / "procedures" / "oracle"
# what the converted twin runs with in the scratch database (orafce, the JSON methods)
ORACLE_ENVIRONMENT_DIR = Path(__file__).with_name("oracle_environment")


def oracle_environment_sql() -> str:
    """The SQL of the Oracle environment: ora2pg/oracle_environment/*.sql in file order."""
    return "\n".join(path.read_text() for path in sorted(ORACLE_ENVIRONMENT_DIR.glob("*.sql")))


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
    "test_status_summary.py",
)


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
        # the Oracle functions ora2pg translates lossily are hidden from it (orafce runs them)
        source = output_dir / f"oracle_{path.name}"
        source.write_text(oracle_functions_kept_for_orafce(path.read_text()))
        sql = run_ora2pg(
            "FUNCTION",
            config,
            output_dir / f"FUNCTION_{path.stem}.sql",
            oracle_schema="ATLAS_PANDA",
            pg_schema="doma_panda",
            input_file=source,
            binary=binary or find_ora2pg(),
        )
        for patch in PROCEDURE_PATCHES:
            sql = patch(sql, ctx)
        (output_dir / f"converted_{path.stem}.sql").write_text(sql)
        for match in re.finditer(
            # a routine with the composite types created for it (record_types_as_schema_types)
            r"^(?:DROP TYPE IF EXISTS \S+ CASCADE;\nCREATE TYPE \S+ AS \(.*?\);\n\s*)*"
            r"CREATE OR REPLACE (?:FUNCTION|PROCEDURE) (\S+) ?\(.*?^\$body\$\n.*?;$",
            sql,
            re.M | re.S,
        ):
            routines.append(ConvertedRoutine(path.name, match.group(1).lower(), match.group(0)))
    return ProcedureConversion(oracle_routines(input_dir), routines)


def json_signature_as_postgres(sql: str, jsonb_parameters: set[str], returns_jsonb: bool) -> str:
    """The twin passes JSON as CLOB (text once converted) where the PostgreSQL routine it stands for takes
    and returns jsonb: the parameters that are jsonb in the PostgreSQL routine, and its result, are made
    jsonb, so callers (the services, the tests) call the converted routine as they call PostgreSQL's.
    (A CLOB holding JSON and a jsonb are the same value to the twin's code: it parses one as JSON_OBJECT_T,
    i.e. casts it to jsonb.) Not the OUT parameters of a procedure (job_lock: a function with OUT parameters
    in PostgreSQL, a procedure in the twin): the twin's callers pass text variables to them, and CALL
    needs a variable of the parameter's type (a cast argument is not writable)."""
    header_end = sql.find("$body$")
    header, body = sql[:header_end], sql[header_end:]
    modes = r"IN\s+" if re.search(r"(?m)^CREATE OR REPLACE PROCEDURE", header) else r"IN\s+|INOUT\s+|OUT\s+"
    for name in jsonb_parameters:
        header = re.sub(
            rf"(?i)(\b{re.escape(name)}\s+(?:{modes})?)(?:text|character varying(?:\(\d+\))?)\b",
            r"\1jsonb",
            header,
        )
    if returns_jsonb:
        header = re.sub(
            r"(?i)\bRETURNS\s+(?:text|character varying(?:\(\d+\))?)(\s+AS\s*)$", r"RETURNS jsonb\1", header
        )
    return header + body


@dataclass
class PostgresRoutine:
    """How the services call a PostgreSQL routine the twin replaces (read before it is dropped)."""

    kind: str  # 'f' function, 'p' procedure
    arguments: str  # pg_get_function_arguments: the parameter list with defaults
    result: str  # pg_get_function_result: 'TABLE(name text, ...)', 'SETOF x', 'record', 'void', ...
    returns_set: bool
    names: list[str]  # every parameter's name
    modes: list[str]  # their modes (i, o, b, v, t); empty when all are IN


# the name a converted routine is created under when a PostgreSQL-signature adapter takes its name
ORACLE_ROUTINE_SUFFIX = "__oracle"


def client_adapter(sql: str, name: str, postgres: PostgresRoutine | None, routines: list[ConvertedRoutine]):
    """Where the twin returns what PostgreSQL's routine returns in the Oracle way, the client's side of it,
    as an adapter routine under the PostgreSQL name and signature (the converted routine is created as
    <name>__oracle):
    - a SYS_REFCURSOR (RETURNS TABLE in PostgreSQL): the adapter fetches the cursor's rows and returns them,
      as an Oracle client fetches the cursor it is given;
    - a procedure with OUT parameters (a function with OUT parameters, or RETURNS void, in PostgreSQL:
      an Oracle function cannot be called with OUT parameters from SQL): the adapter CALLs it and returns
      the OUT values.
    Only for routines no other converted routine calls (they call the Oracle form). Returns a function of
    the connection giving the adapter's CREATE statement, or None."""
    if postgres is None or postgres.kind != "f":
        return None
    header = sql[: sql.find("$body$")]
    cursor = postgres.returns_set and re.search(r"(?i)\bRETURNS\s+refcursor\b", header)
    procedure = re.match(r"(?m)^CREATE OR REPLACE PROCEDURE\b", sql) or "\nCREATE OR REPLACE PROCEDURE " in header
    if not cursor and not procedure:
        return None
    call = re.compile(rf"(?i)(?<![\w$]){name}\s*\(")
    for other in routines:  # (a call in a literal is text for DBMS_SCHEDULER, not a call here)
        if other.name.split(".")[-1] != name and any(in_code(other.sql, m.start()) for m in call.finditer(other.sql)):
            return None
    modes = postgres.modes or ["i"] * len(postgres.names)
    inputs = [n for n, m in zip(postgres.names, modes, strict=False) if m in ("i", "b", "v")]
    outputs = [n for n, m in zip(postgres.names, modes, strict=False) if m in ("o", "b", "t")]

    def create(conn) -> str:
        oracle = f"doma_panda.{name}{ORACLE_ROUTINE_SUFFIX}"
        head = f"CREATE OR REPLACE FUNCTION doma_panda.{name}({postgres.arguments}) RETURNS {postgres.result}\n"
        if cursor:
            into = ", ".join(outputs) if outputs else "v_row"
            return (
                head
                + "LANGUAGE plpgsql AS $adapter$\nDECLARE\n    v_cursor refcursor;\n"
                + ("" if outputs else "    v_row record;\n")
                + f"BEGIN\n    v_cursor := {oracle}({', '.join(inputs)});\n    LOOP\n"
                f"        FETCH v_cursor INTO {into};\n        EXIT WHEN NOT FOUND;\n"
                + ("        RETURN NEXT;\n" if outputs else "        RETURN NEXT v_row;\n")
                + "    END LOOP;\n    CLOSE v_cursor;\nEND;\n$adapter$"
            )
        # the procedure's parameters (by name): its OUT ones get a variable of their type each
        row = conn.execute(
            "SELECT p.proargnames, p.proargmodes::text[], "
            "       ARRAY(SELECT format_type(t, NULL) FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) t) "
            "  FROM pg_proc p WHERE p.oid = %s::regproc",
            [oracle],
        ).fetchone()
        names, proc_modes, types = row[0] or [], row[1] or ["i"] * len(row[0] or []), row[2]
        declare, arguments, copies = [], [], []
        for index, (parameter, mode, kind) in enumerate(zip(names, proc_modes, types, strict=False)):
            if mode in ("o", "b"):
                declare.append(f"    v_out_{index} {kind};")
                arguments.append(f"v_out_{index}")
                if parameter in outputs:
                    copies.append(f"    {parameter} := v_out_{index};")
            else:
                arguments.append(parameter if parameter in inputs else "NULL")
        return (
            head + "LANGUAGE plpgsql AS $adapter$\nDECLARE\n" + "\n".join(declare) + "\nBEGIN\n"
            f"    CALL {oracle}({', '.join(arguments)});\n" + "\n".join(copies) + "\nEND;\n$adapter$"
        )

    return create


def load_in_place(database_url: str, conversion: ProcedureConversion) -> ProcedureConversion:
    """Drop the PostgreSQL routines the twin defines, create the converted ones (each on its own: one
    that does not create is recorded with its error and left out)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS orafce")
        conn.execute(oracle_environment_sql())
        json_parameters: dict[str, tuple[set[str], bool]] = {}
        postgres_clients: dict[str, PostgresRoutine] = {}
        for name in sorted(conversion.oracle_routines):
            for signature, kind, names, types, returns_jsonb, arguments, result, returns_set, modes in conn.execute(
                "SELECT p.oid::regprocedure::text, p.prokind, p.proargnames, "
                "       ARRAY(SELECT format_type(t, NULL) FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) t), "
                "       p.prorettype = 'jsonb'::regtype, pg_get_function_arguments(p.oid), "
                "       pg_get_function_result(p.oid), p.proretset, p.proargmodes::text[] "
                "  FROM pg_proc p WHERE p.pronamespace = 'doma_panda'::regnamespace AND p.proname = %s",
                [name],
            ).fetchall():
                jsonb_names = {n for n, t in zip(names or [], types, strict=False) if t == "jsonb"}
                json_parameters[name] = (jsonb_names, returns_jsonb)
                postgres_clients[name] = PostgresRoutine(kind, arguments, result, returns_set, names or [], modes or [])
                conn.execute(f"DROP {'PROCEDURE' if kind == 'p' else 'FUNCTION'} {signature} CASCADE")
        for routine in conversion.routines:
            short = routine.name.split(".")[-1]
            try:
                with conn.transaction():
                    sql = json_signature_as_postgres(routine.sql, *json_parameters.get(short, (set(), False)))
                    adapter = client_adapter(sql, short, postgres_clients.get(short), conversion.routines)
                    if adapter:
                        sql = re.sub(
                            rf"(?m)^(CREATE OR REPLACE (?:FUNCTION|PROCEDURE) doma_panda\.){short} \(",
                            rf"\1{short}{ORACLE_ROUTINE_SUFFIX} (",
                            sql,
                            count=1,
                        )
                    conn.execute(sql)
                    if adapter:
                        conn.execute(adapter(conn))
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
