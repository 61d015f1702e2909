"""`pandadb bench ...`: each scenario prints its figures and the ratio to a reference measured in the same run.

Scenario modules live in pandadb/bench/ and expose `command`, a click command added to this group.
"""

from __future__ import annotations

import importlib

import click

BENCH_SCENARIO_MODULES: tuple[str, ...] = (
    "pandadb.bench.dispatch",
    "pandadb.bench.heartbeat",
    "pandadb.bench.aggregates",
    "pandadb.bench.archive",
    "pandadb.bench.events",
    "pandadb.bench.tasks",
)


@click.group("bench")
def bench_group() -> None:
    """Measure speed against a reference measured in the same run (no timings are asserted in tests)."""


for module_name in BENCH_SCENARIO_MODULES:
    bench_group.add_command(importlib.import_module(module_name).command)

commands = [bench_group]
