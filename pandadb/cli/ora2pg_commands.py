"""`pandadb ora2pg config|convert|check|load|copy`: the Oracle -> PostgreSQL migration (seed 004, 8.6).

No Oracle server exists on this project's machines: `config` and `convert`/`check` (offline, from
schema/oracle) run anywhere ora2pg is installed (`apt-get install ora2pg`); `convert --oracle-dsn` and
`copy --oracle-dsn` need a reachable Oracle. The password is never an option nor written to a file:
ORA2PG_PASSWD, as in the documentation.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import click
import psycopg

from ora2pg import check as catalog_check
from ora2pg import convert as conversion
from ora2pg import oracle_ddl
from pandadb.db import resolve_database_url


def _url_for_database(url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


@click.group("ora2pg")
def ora2pg_group() -> None:
    """Migration from an Oracle PanDA database: ora2pg config, DDL conversion and its check, data copy."""


@ora2pg_group.command("config")
@click.option(
    "--oracle-dsn",
    required=True,
    help="ora2pg's DBI data source, e.g. dbi:Oracle:host=db;service_name=PANDA;port=1521 or dbi:Oracle:INT8R",
)
@click.option("--user", "oracle_user", required=True, help="Oracle user (the schema owner, e.g. ATLAS_PANDA)")
@click.option(
    "--schema",
    default="ATLAS_PANDA",
    show_default=True,
    type=click.Choice(list(oracle_ddl.ORACLE_TO_POSTGRES_SCHEMA)),
    help="default Oracle schema (-n overrides it per run)",
)
@click.option("--owner", default="panda", show_default=True, help="PostgreSQL owner of the objects (FORCE_OWNER)")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("ora2pg.conf"), show_default=True
)
def ora2pg_config(oracle_dsn: str, oracle_user: str, schema: str, owner: str, output: Path) -> None:
    """Write ora2pg.conf for a live Oracle (no password in it: export ORA2PG_PASSWD)."""
    output.write_text(
        conversion.render_config(oracle_dsn=oracle_dsn, oracle_user=oracle_user, schema=schema, owner=owner, debug=True)
    )
    click.echo(f"wrote {output}")
    click.echo(f"next: export ORA2PG_PASSWD=<Oracle password>; ora2pg -t SHOW_VERSION -u {oracle_user} -c {output}")


def _run_convert(
    output_dir: Path, input_dir: Path, oracle_dsn: str | None, oracle_user: str | None, owner: str | None
) -> conversion.ConversionResult:
    try:
        result = conversion.convert(
            output_dir,
            input_dir=None if oracle_dsn else input_dir,
            ddl_dir=input_dir,
            oracle_dsn=oracle_dsn,
            oracle_user=oracle_user,
            owner=owner,
            progress=lambda message: click.echo(message, err=True),
        )
    except oracle_ddl.Ora2pgError as error:
        raise click.ClickException(str(error)) from error
    return result


@ora2pg_group.command("convert")
@click.option(
    "--input-dir",
    "--input",
    "input_dir",
    type=click.Path(exists=True, path_type=Path),
    default=oracle_ddl.DEFAULT_INPUT_DIR,
    show_default=True,
    help="the Oracle DDL (offline conversion)",
)
@click.option(
    "--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("ora2pg-output"), show_default=True
)
@click.option("--oracle-dsn", default=None, help="convert from a live Oracle instead (needs ORA2PG_PASSWD)")
@click.option(
    "--oracle-user", default=None, help="with --oracle-dsn: Oracle user (default: each schema's owner ATLAS_X)"
)
@click.option("--owner", default=None, help="PostgreSQL owner of the objects (default: the user that loads them)")
def ora2pg_convert(
    input_dir: Path, output_dir: Path, oracle_dsn: str | None, oracle_user: str | None, owner: str | None
) -> None:
    """Convert the Oracle schemas to PostgreSQL DDL (ora2pg per schema + patches) in OUTPUT_DIR."""
    result = _run_convert(output_dir, input_dir, oracle_dsn, oracle_user, owner)
    click.echo(f"{result.ora2pg_version}: {len(result.files)} files in {output_dir} (load order: load_order.txt)")
    for patch, count in result.patches_applied.items():
        click.echo(f"  patch {patch}: {count} change(s)")
    _echo_report(result.report, output_dir / "conversion_report.txt")


def _echo_report(report: list, path: Path | None = None) -> None:
    """Every dropped or not converted statement of the input, with its reason."""
    if not report:
        return
    dropped = sum(1 for entry in report if entry.action == "dropped")
    click.echo(
        f"{dropped} dropped and {len(report) - dropped} not converted statement(s) or clause(s)"
        + (f" (also in {path})" if path else "")
        + ":"
    )
    for entry in report:
        click.echo(str(entry))


@ora2pg_group.command("load")
@click.argument("output_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--stamp/--no-stamp",
    default=True,
    show_default=True,
    help="mark the database as at revision 0001_schema, so `pandadb migrate upgrade` adds the rest",
)
def ora2pg_load(output_dir: Path, stamp: bool) -> None:
    """Load a conversion into PANDADB_URL (one transaction), e.g. before `pandadb ora2pg copy`."""
    url = resolve_database_url(start_embedded=True)
    try:
        conversion.load_converted(output_dir, url)
    except oracle_ddl.Ora2pgError as error:
        raise click.ClickException(str(error)) from error
    if stamp:
        from pandadb.migrations.runner import stamp as stamp_revision

        stamp_revision(url, "0001_schema")
    click.echo(
        f"loaded {output_dir}"
        + (
            "; stamped 0001_schema: run `pandadb migrate upgrade` for the stored logic, partitioning and scheduler"
            if stamp
            else ""
        )
    )


def run_check(
    *,
    server_url: str,
    input_dir: Path = oracle_ddl.DEFAULT_INPUT_DIR,
    reference_url: str | None = None,
    keep: bool = False,
    echo=click.echo,
) -> catalog_check.CheckResult:
    """Convert offline, load into a scratch database, compare with a migrated database."""
    from pandadb.migrations.runner import migrate_to_head

    suffix = uuid.uuid4().hex[:8]
    created: list[str] = []
    admin_url = _url_for_database(server_url, "postgres")

    def scratch(name: str) -> str:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _url_for_database(server_url, name)

    try:
        result, holder = conversion.convert_into_temporary_directory(
            input_dir=input_dir, progress=lambda m: echo(m, err=True)
        )
        with holder:
            converted_url = scratch(f"pandadb_ora2pg_converted_{suffix}")
            conversion.load_converted(result.output_dir, converted_url)
        if reference_url is None:
            reference_url = scratch(f"pandadb_ora2pg_migrated_{suffix}")
            echo("migrating the reference database (pandadb migrate upgrade)", err=True)
            migrate_to_head(reference_url)
        checked = catalog_check.check_databases(converted_url, reference_url)
        checked.report = result.report
        return checked
    finally:
        if keep:
            for name in created:
                echo(f"kept database {name}", err=True)
        else:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                for name in created:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@ora2pg_group.command("check")
@click.option(
    "--input-dir",
    "--input",
    "input_dir",
    type=click.Path(exists=True, path_type=Path),
    default=oracle_ddl.DEFAULT_INPUT_DIR,
    show_default=True,
)
@click.option(
    "--reference-url",
    default=None,
    help="a database migrated by `pandadb migrate upgrade` (default: a scratch one, migrated now)",
)
@click.option("--keep", is_flag=True, help="keep the scratch databases")
@click.option(
    "--procedures",
    is_flag=True,
    help="check the PL/SQL twin instead: convert procedures/oracle with ora2pg, create it in place of the "
    "PostgreSQL routines, run the behavioural tests on it, print the two figures",
)
@click.option(
    "--tests",
    "test_files",
    multiple=True,
    help="with --procedures: these tests/ files instead of the behavioural tests of the stored logic",
)
def ora2pg_check(
    input_dir: Path, reference_url: str | None, keep: bool, procedures: bool, test_files: tuple[str, ...]
) -> None:
    """Convert schema/oracle (or an Oracle export file) offline, load it into a scratch database and
    compare its catalog (tables, columns, types, keys, constraints, indexes, sequences) with a migrated
    database. Exit 1 on any difference that is not in the allow-list (ora2pg/check.py ALLOWED_DIFFERENCES).
    With --procedures: the PL/SQL twin, converted and run (ora2pg/procedures.py)."""
    if procedures:
        _check_procedures(resolve_database_url(start_embedded=True), tuple(test_files))
        return
    try:
        result = run_check(
            server_url=resolve_database_url(start_embedded=True),
            input_dir=input_dir,
            reference_url=reference_url,
            keep=keep,
        )
    except oracle_ddl.Ora2pgError as error:
        raise click.ClickException(str(error)) from error
    _echo_report(result.report)
    for difference in result.differences:
        reason = result.allowed.get(difference.key)
        click.echo(
            f"allowed: {difference}  [{reason}]"
            if reason
            else f"DIFFERENCE: {difference}\n    next step: {catalog_check.next_step(difference)}"
        )
    for key in result.stale_allowances:
        click.echo(f"stale allow-list entry (no longer a difference): {key}")
    if not result.ok:
        raise click.ClickException(
            f"{len(result.unexpected)} difference(s) between the converted and the migrated database. Next step: "
            "fix each as its 'next step' says (or convert again after changing the export or ora2pg.conf.template), "
            "then `pandadb ora2pg load <dir>` and `pandadb migrate upgrade`"
        )
    click.echo(f"converted database matches the migrated one ({len(result.differences)} allowed difference(s))")


def _check_procedures(server_url: str, test_files: tuple[str, ...]) -> None:
    import tempfile

    from ora2pg import procedures as twin
    from pandadb.migrations.runner import migrate_to_head

    admin_url = _url_for_database(server_url, "postgres")
    name = f"pandadb_ora2pg_procedures_{uuid.uuid4().hex[:8]}"
    try:
        with tempfile.TemporaryDirectory(prefix="pandadb-ora2pg-plsql-") as directory:
            click.echo("converting procedures/oracle with ora2pg (-t FUNCTION -i, offline)", err=True)
            conversion = twin.convert_procedures(Path(directory))
            twin.save(conversion, Path(directory))
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                scratch = _url_for_database(server_url, name)
                migrate_to_head(scratch)
                twin.load_in_place(scratch, conversion)
            finally:
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            total = set(conversion.oracle_routines)
            converted = conversion.converted_names & total
            created = conversion.created_names & total
            for routine in sorted(total - converted):
                click.echo(
                    f"not converted: {routine} ({conversion.oracle_routines[routine]}): ora2pg -i wrote no routine for it "
                    "(ora2pg 23.2's offline parser drops a routine that declares local subprograms, writing only those)"
                )
            for routine in sorted(converted - created):
                click.echo(
                    f"not created: {routine} ({conversion.oracle_routines[routine]}): {conversion.created[routine]}"
                )
            click.echo(f"routines converted by ora2pg: {len(converted)} / {len(total)}")
            click.echo(f"routines converted and created: {len(created)} / {len(total)}")
            click.echo("running the behavioural tests on the converted logic", err=True)
            passed, count, summary = twin.run_behaviour_tests(Path(directory), test_files or twin.BEHAVIOUR_TESTS)
            click.echo(f"tests passing on the converted logic: {passed} / {count}  ({summary.strip('= ')})")
    except oracle_ddl.Ora2pgError as error:
        raise click.ClickException(str(error)) from error


@ora2pg_group.command("copy")
@click.option(
    "--oracle-dsn",
    default=None,
    help="Oracle to copy from (python-oracledb Easy Connect host:port/service, "
    "or ora2pg's dbi:Oracle:...); password in ORA2PG_PASSWD",
)
@click.option(
    "--oracle-user", default="ATLAS_PANDA", show_default=True, help="Oracle user that can read the four ATLAS_ schemas"
)
@click.option(
    "--source-url", default=None, help="copy from a PostgreSQL database shaped like the Oracle one instead (rehearsal)"
)
@click.option(
    "--tables", default=None, help="comma-separated doma_x.table names (default: every table of schema/oracle)"
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=5000,
    show_default=True,
    help="rows per fetch (cursor.arraysize)",
)
@click.option("--checksum", is_flag=True, help="also compare a checksum of the primary keys of each table")
@click.option("--progress/--no-progress", default=True, show_default=True)
def ora2pg_copy(
    oracle_dsn: str | None,
    oracle_user: str,
    source_url: str | None,
    tables: str | None,
    batch_size: int,
    checksum: bool,
    progress: bool,
) -> None:
    """Copy every table into PANDADB_URL (COPY, resumable per table, verified), then set the sequences."""
    from ora2pg import copy as datacopy

    if bool(oracle_dsn) == bool(source_url):
        raise click.UsageError("give exactly one of --oracle-dsn and --source-url")
    target_url = resolve_database_url(start_embedded=True)
    names = [name.strip() for name in tables.split(",") if name.strip()] if tables else None
    try:
        if oracle_dsn:
            source, adapter = datacopy.connect_oracle(oracle_dsn, oracle_user), datacopy.ORACLE_SOURCE
        else:
            source, adapter = psycopg.connect(source_url or "", autocommit=True), datacopy.POSTGRES_SOURCE
        with source:
            report = datacopy.copy_database(
                source,
                target_url,
                adapter=adapter,
                tables=names,
                batch_size=batch_size,
                checksum=checksum,
                progress=progress,
                say=lambda m: click.echo(m, err=True),
            )
    except datacopy.CopyError as error:
        raise click.ClickException(str(error)) from error
    except psycopg.Error as error:
        raise click.ClickException(
            f"copy stopped: {error} (run it again: the tables already copied are kept)"
        ) from error
    for sequence, value in sorted(report.sequences.items()):
        click.echo(f"sequence {sequence}: next value {value}")
    if not report.ok:
        for entry in report.mismatches:
            click.echo(f"MISMATCH {entry}", err=True)
        raise click.ClickException(f"{len(report.mismatches)} table(s) do not match the source")
    click.echo(
        f"copied and verified {len(report.tables)} tables "
        f"({sum(t.copied_rows for t in report.tables)} rows copied by this run)"
    )


commands = [ora2pg_group]
