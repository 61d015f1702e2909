"""The `pandadb` command: one click group, one module per command group.

Each module in COMMAND_MODULES exposes `commands`, a list of click commands/groups.
"""

from __future__ import annotations

import importlib
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
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pandadb")
def cli() -> None:
    """PanDA DB: create, migrate, serve, schedule, partition, archive and inspect the PanDA database."""


for module_name in COMMAND_MODULES:
    for command in importlib.import_module(module_name).commands:
        cli.add_command(command)


def main() -> None:
    from pandadb.cluster import ClusterError

    try:
        cli(standalone_mode=True)
    except ClusterError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
