"""The `pandadb` command: one click group, one module per command group.

Each module in COMMAND_MODULES exposes `commands`, a list of click commands/groups.
"""

from __future__ import annotations

import importlib
import re
import sys

import click

from pandadb import __version__

COMMAND_MODULES = (
    "pandadb.cli.db_commands",
    "pandadb.cli.migrate_commands",
    "pandadb.cli.register_commands",
    "pandadb.cli.run_commands",
    "pandadb.cli.bench_commands",
    "pandadb.cli.demo_commands",
    "pandadb.cli.scheduler_commands",
    "pandadb.cli.serve_commands",
    "pandadb.cli.partitions_commands",
    "pandadb.cli.archive_commands",
    "pandadb.cli.ora2pg_commands",
    "pandadb.cli.chaos_commands",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pandadb")
def cli() -> None:
    """PanDA DB: create, migrate, serve, schedule, partition, archive and inspect the PanDA database."""


for module_name in COMMAND_MODULES:
    for command in importlib.import_module(module_name).commands:
        cli.add_command(command)


def _without_password(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def main() -> None:
    """The `pandadb` command. Failures to reach the database are one line saying what to do, not a traceback."""
    import psycopg
    import psycopg_pool
    import sqlalchemy.exc

    from pandadb.cluster import ClusterError
    from pandadb.settings import load_settings

    try:
        cli(standalone_mode=True)
    except ClusterError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except (
        psycopg.OperationalError,
        psycopg.ProgrammingError,
        psycopg_pool.PoolTimeout,
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.ArgumentError,
        sqlalchemy.exc.NoSuchModuleError,
    ) as error:
        url = load_settings().database_url
        where = f" at {_without_password(url)}" if url else ""
        click.echo(
            f"error: cannot use the database{where}: {_first_line(error)}. Check PANDADB_URL (or unset it "
            "and run 'pandadb db start' for the embedded cluster).",
            err=True,
        )
        sys.exit(1)
