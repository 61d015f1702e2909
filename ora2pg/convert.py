"""Oracle DDL -> PostgreSQL DDL with ora2pg (seed 004, section 8.6), the patches, and the check.

Two ways in, one way out:

- offline (`pandadb ora2pg convert`, no Oracle needed): the statements of schema/oracle/*.sql are
  sorted by Oracle schema and handed to ora2pg with -i (ora2pg parses the DDL text itself,
  without connecting to Oracle), once per schema and export type, as section 8.6 does:
      ora2pg -t TABLE    -i <schema's tables>    -n ATLAS_PANDA -N doma_panda -c ora2pg.conf
      ora2pg -t SEQUENCE -i <schema's sequences> -n ATLAS_PANDA -N doma_panda -c ora2pg.conf
      ora2pg -t VIEW     -i <schema's (materialized) views> ...
- live (`pandadb ora2pg convert --oracle-dsn dbi:Oracle:...`, needs an Oracle server, which this
  project's machines do not have): the same loop with -u ATLAS_X and the password in ORA2PG_PASSWD.

Then the patches (patches.py, each a small named function saying why) turn ora2pg's output into
the DDL of schema/postgres, and the result is written as one directory of .sql files with a load
order (load_order.txt). `pandadb ora2pg check` loads it into a scratch database and compares the
catalog with a database migrated by `pandadb migrate upgrade` (check.py); every difference left is
either fixed by a patch or listed, with its reason, in check.ALLOWED_DIFFERENCES. The Oracle DDL is
read by oracle_ddl.py.

What ora2pg 23.2 cannot do offline (documented here, handled by patches):
- partitioning: the -i parser ignores everything after a CREATE TABLE's column list, so the
  PARTITION BY clauses are re-added from the Oracle DDL (patch add_partitioning);
- materialized views: there is no -i parser for CREATE MATERIALIZED VIEW (export type MVIEW reads
  ALL_MVIEWS from a live Oracle), so they go through the VIEW parser and are turned back into
  materialized views (input patch materialized_views_as_views, output patch views_as_materialized_views);
- ALTER TABLE ... ADD CONSTRAINT ... CHECK (...) directly followed by ';' is dropped by the -i parser
  (its regex wants a constraint state after the condition): input patch check_constraints_with_state;
- foreign keys from ALTER TABLE come out as "ALTER TABLETABLE" (patch fix_alter_tabletable).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ora2pg.export import write_report
from ora2pg.oracle_ddl import (
    DEFAULT_INPUT_DIR,
    ORACLE_TO_POSTGRES_SCHEMA,
    POSTGRES_SCHEMAS,
    Ora2pgError,
    check_constraints_with_state,
    materialized_views_as_views,
    read_oracle_ddl,
)
from ora2pg.patches import (
    SEQUENCE_PATCHES,
    TABLE_PATCHES,
    VIEW_PATCHES,
    Patch,
    PatchContext,
    default_partitions,
    fix_alter_tabletable,
    move_materialized_view_indexes,
    rename_oracle_schemas,
    strip_psql_meta_commands,
)

TEMPLATE_PATH = Path(__file__).resolve().with_name("ora2pg.conf.template")


# --------------------------------------------------------------------------------------------
# The configuration
# --------------------------------------------------------------------------------------------


def render_config(
    *,
    oracle_dsn: str = "dbi:Oracle:none",
    oracle_user: str = "",
    schema: str = "ATLAS_PANDA",
    pg_schema: str | None = None,
    owner: str | None = None,
    debug: bool = False,
) -> str:
    """ora2pg.conf from the template. No password is ever written (ORA2PG_PASSWD)."""
    values = {
        "ORACLE_DSN": oracle_dsn,
        "ORACLE_USER": oracle_user or schema,
        "SCHEMA": schema,
        "PG_SCHEMA": pg_schema or ORACLE_TO_POSTGRES_SCHEMA.get(schema.upper(), schema.lower()),
        # 0: no OWNER TO statements, the loading user owns the objects
        "OWNER": owner or "0",
        "DEBUG": "1" if debug else "0",
    }
    text = TEMPLATE_PATH.read_text()
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    leftover = re.findall(r"@@[A-Z_]+@@", text)
    if leftover:
        raise Ora2pgError(f"ora2pg.conf.template has unknown placeholders: {', '.join(leftover)}")
    return text


def find_ora2pg() -> str:
    explicit = os.environ.get("ORA2PG_BIN")
    found = explicit or shutil.which("ora2pg")
    if not found:
        raise Ora2pgError(
            "ora2pg is not installed: apt-get install ora2pg (Debian's package; `make postgres` installs it)"
        )
    return found


def ora2pg_version(binary: str | None = None) -> str:
    out = subprocess.run([binary or find_ora2pg(), "--version"], capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()


# --------------------------------------------------------------------------------------------
# Running ora2pg and the drivers
# --------------------------------------------------------------------------------------------


@dataclass
class ConversionResult:
    output_dir: Path
    files: list[Path]  # in load order
    patches_applied: dict[str, int] = field(default_factory=dict)  # patch -> statements (input) or files it changed
    ora2pg_version: str = ""
    # what the input held that was dropped or not converted, with the reasons (conversion_report.txt)
    report: list = field(default_factory=list)


def run_ora2pg(
    export_type: str,
    config: Path,
    output: Path,
    *,
    oracle_schema: str,
    pg_schema: str,
    input_file: Path | None = None,
    oracle_user: str | None = None,
    quiet: bool = True,
    binary: str | None = None,
) -> str:
    """One ora2pg run; returns the SQL it wrote ('' when it exported nothing)."""
    command = [
        binary or find_ora2pg(),
        "-t",
        export_type,
        "-c",
        str(config),
        "-b",
        str(output.parent),
        "-o",
        output.name,
        "-n",
        oracle_schema,
        "-N",
        pg_schema,
    ]
    if input_file is not None:
        command += ["-i", str(input_file)]
    if oracle_user:
        command += ["-u", oracle_user]
    if quiet:
        command.append("-q")
    run = subprocess.run(command, capture_output=True, text=True, cwd=output.parent)
    if run.returncode != 0:
        raise Ora2pgError(
            f"ora2pg -t {export_type} for {oracle_schema} failed (exit {run.returncode}):\n"
            f"{run.stderr.strip() or run.stdout.strip()}"
        )
    return output.read_text() if output.exists() else ""


def _apply(patches: list[Patch], sql: str, ctx: PatchContext, applied: dict[str, int]) -> str:
    for patch in patches:
        patched = patch(sql, ctx)
        if patched != sql and patch is not strip_psql_meta_commands:
            applied[patch.__name__] = applied.get(patch.__name__, 0) + 1
        sql = patched
    return sql


SCHEMAS_SQL = "".join(f"CREATE SCHEMA IF NOT EXISTS {schema};\n" for schema in POSTGRES_SCHEMAS)


def convert(
    output_dir: Path,
    *,
    input_dir: Path | None = DEFAULT_INPUT_DIR,
    oracle_dsn: str | None = None,
    oracle_user: str | None = None,
    owner: str | None = None,
    progress: Callable[[str], None] | None = None,
    ddl_dir: Path | None = None,
) -> ConversionResult:
    """Convert the Oracle schemas into PostgreSQL DDL under output_dir.

    Offline (oracle_dsn None): from the DDL files in input_dir. Live (oracle_dsn given, e.g.
    'dbi:Oracle:host:1521/service'): ora2pg reads each schema from Oracle as user ATLAS_X (or
    oracle_user) with the password in ORA2PG_PASSWD; the Oracle DDL files (ddl_dir, default
    schema/oracle) still tell the patches how the tables are partitioned and named. The live path
    cannot run on this project's machines (no Oracle server): it is the documented ora2pg loop plus
    the same patches, each written to leave output that is already right alone, but it is untested.
    """
    say = progress or (lambda message: None)
    binary = find_ora2pg()
    output_dir = Path(output_dir)
    raw_dir = output_dir / "ora2pg"
    input_copy_dir = output_dir / "input"
    for directory in (output_dir, raw_dir, input_copy_dir):
        directory.mkdir(parents=True, exist_ok=True)
    oracle = read_oracle_ddl(ddl_dir or input_dir or DEFAULT_INPUT_DIR)
    live = oracle_dsn is not None
    if live and not os.environ.get("ORA2PG_PASSWD"):
        raise Ora2pgError("set ORA2PG_PASSWD to the Oracle password (it is never written to a file)")
    applied: dict[str, int] = {}
    files = [output_dir / "00_schemas.sql"]
    files[0].write_text(SCHEMAS_SQL)
    tables, sequences, views, partitions, fkeys = [], [], [], [], []
    for oracle_schema, pg_schema in ORACLE_TO_POSTGRES_SCHEMA.items():
        ctx = PatchContext(oracle_schema, pg_schema, oracle)
        config = raw_dir / f"ora2pg_{pg_schema}.conf"
        config.write_text(
            render_config(
                oracle_dsn=oracle_dsn or "dbi:Oracle:none",
                oracle_user=oracle_user or oracle_schema,
                schema=oracle_schema,
                pg_schema=pg_schema,
                owner=owner,
                debug=live,
            )
        )
        inputs = {}
        if not live:
            for export_type, kinds, input_patches in (
                ("TABLE", ("table", "index", "alter", "comment"), [check_constraints_with_state]),
                ("SEQUENCE", ("sequence",), []),
                ("VIEW", ("view", "mview"), [materialized_views_as_views]),
            ):
                statements = []
                for statement in oracle.of_schema(oracle_schema, *kinds):
                    text = statement.text
                    for patch in input_patches:
                        patched = patch(text)
                        if patched != text:
                            applied[patch.__name__] = applied.get(patch.__name__, 0) + 1
                        text = patched
                    statements.append(text + ";\n")
                if statements:
                    inputs[export_type] = input_copy_dir / f"{export_type}_{oracle_schema}.sql"
                    inputs[export_type].write_text("".join(statements))
        # live: MVIEW reads the materialized views from ALL_MVIEWS (written into the VIEW file below)
        export_types = ("TABLE", "SEQUENCE", "VIEW", "MVIEW") if live else tuple(inputs)
        outputs = {}
        for export_type in export_types:
            say(f"ora2pg -t {export_type} {oracle_schema} -> {pg_schema}")
            out = raw_dir / f"{export_type}_{pg_schema}.sql"
            outputs[export_type] = run_ora2pg(
                export_type,
                config,
                out,
                oracle_schema=oracle_schema,
                pg_schema=pg_schema,
                input_file=inputs.get(export_type),
                binary=binary,
                oracle_user=(oracle_user or oracle_schema) if live else None,
                quiet=not live,
            )
        table_sql = outputs.get("TABLE", "")
        fkey_file = raw_dir / f"FKEYS_TABLE_{pg_schema}.sql"  # FILE_PER_FKEYS (live export)
        fkey_sql = fkey_file.read_text() if fkey_file.exists() else ""
        if table_sql:
            table_sql = _apply(TABLE_PATCHES, table_sql, ctx, applied)
            table_sql, mview_indexes = move_materialized_view_indexes(table_sql, ctx)
            if mview_indexes:
                applied["move_materialized_view_indexes"] = applied.get("move_materialized_view_indexes", 0) + 1
            # foreign keys after every table of every schema
            fk_pattern = re.compile(r"^ALTER TABLE \S+ ADD CONSTRAINT \S+ FOREIGN KEY[^;]*;\n?", re.M)
            fkey_sql += "".join(m.group(0) for m in fk_pattern.finditer(table_sql))
            table_sql = fk_pattern.sub("", table_sql)
            tables.append((pg_schema, table_sql))
            partition_sql = default_partitions(ctx)
            if partition_sql:
                applied["default_partitions"] = applied.get("default_partitions", 0) + 1
                partitions.append((pg_schema, partition_sql))
        else:
            mview_indexes = []
        if fkey_sql:
            fkeys.append(
                (
                    pg_schema,
                    _apply(
                        [strip_psql_meta_commands, rename_oracle_schemas, fix_alter_tabletable], fkey_sql, ctx, applied
                    ),
                )
            )
        if outputs.get("SEQUENCE"):
            sequences.append((pg_schema, _apply(SEQUENCE_PATCHES, outputs["SEQUENCE"], ctx, applied)))
        if outputs.get("VIEW") or outputs.get("MVIEW") or mview_indexes:
            view_sql = _apply(VIEW_PATCHES, outputs.get("VIEW", "") + "\n" + outputs.get("MVIEW", ""), ctx, applied)
            views.append((pg_schema, view_sql + "\n" + "\n".join(mview_indexes) + "\n"))
    for prefix, parts in (
        ("10_TABLE", tables),
        ("20_PARTITIONS", partitions),
        ("30_SEQUENCE", sequences),
        ("40_VIEW", views),
        ("50_FKEYS", fkeys),
    ):
        for pg_schema, sql in parts:
            path = output_dir / f"{prefix}_{pg_schema}.sql"
            path.write_text(sql)
            files.append(path)
    (output_dir / "load_order.txt").write_text("".join(f"{path.name}\n" for path in files))
    write_report(oracle.report, output_dir / "conversion_report.txt")
    return ConversionResult(output_dir, files, applied, ora2pg_version(binary), list(oracle.report))


def converted_files(output_dir: Path) -> list[Path]:
    order = Path(output_dir) / "load_order.txt"
    if not order.exists():
        raise Ora2pgError(f"{output_dir} holds no conversion (load_order.txt missing): run `pandadb ora2pg convert`")
    return [Path(output_dir) / name for name in order.read_text().split()]


def load_converted(output_dir: Path, database_url: str) -> None:
    """Load a conversion into a database, all files in one transaction (nothing left on error)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        for path in converted_files(output_dir):
            sql = path.read_text()
            if not sql.strip():
                continue
            try:
                conn.execute(sql)
            except psycopg.Error as error:
                raise Ora2pgError(f"{path.name} does not load: {error}") from error


def convert_into_temporary_directory(**kwargs) -> tuple[ConversionResult, tempfile.TemporaryDirectory]:
    holder = tempfile.TemporaryDirectory(prefix="pandadb-ora2pg-")
    return convert(Path(holder.name), **kwargs), holder
