"""`pandadb chaos`: fault scenarios under load on a throw-away cluster, each ending with the invariants checked."""

from __future__ import annotations

import sys

import click

from pandadb.chaos import SCENARIOS


@click.command("chaos")
@click.argument("scenario", type=click.Choice(("all", *SCENARIOS)), default="all")
@click.option(
    "--jobs", type=click.IntRange(min=10), default=1000, show_default=True, help="Jobs submitted per scenario."
)
@click.option(
    "--clients",
    type=click.IntRange(min=1, max=128),
    default=8,
    show_default=True,
    help="Concurrent pilot clients (threads) over HTTP.",
)
@click.option(
    "--seconds",
    type=click.FloatRange(min=1),
    default=60,
    show_default=True,
    help="Longest load of a scenario (it ends earlier once the queue is drained); the fault comes after "
    "a third of the jobs (or of this time).",
)
@click.option(
    "--outage",
    type=click.FloatRange(min=0),
    default=2,
    show_default=True,
    help="db-restart: seconds the database stays down before it is started again.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=2, show_default=True, help="API server worker processes."
)
@click.option(
    "--threads", type=click.IntRange(min=1), default=4, show_default=True, help="Threads per API server worker."
)
@click.option(
    "--keep", is_flag=True, help="Keep the temporary PANDADB_HOME (server log, cluster log and data) for a look."
)
def chaos(
    scenario: str, jobs: int, clients: int, seconds: float, outage: float, workers: int, threads: int, keep: bool
) -> None:
    """Run fault scenarios under load and check the invariants; exit 1 if one fails.

    \b
    SCENARIO: api-kill      kill -9 of the API server mid-load, restarted
              db-restart    pg_ctl stop -m immediate mid-load, started again
              archive-kill  kill -9 of 'pandadb archive run' mid-run, run again to completion
              all           the three, one after the other

    Everything runs on its own throw-away PostgreSQL cluster and API server under a temporary
    PANDADB_HOME (PANDADB_URL is not used): nobody's data is touched. Per scenario it prints the
    requests sent, the failures the clients saw (by kind), the recovery time (from the fault to the
    first successful request) and PASS/FAIL of each invariant: every PandaID in exactly one job table,
    none dispatched twice, every acknowledged final state archived, archive rows exactly once and identical.
    """
    from pandadb.chaos import ChaosError, run_chaos

    names = list(SCENARIOS) if scenario == "all" else [scenario]
    try:
        results = run_chaos(
            names,
            jobs=jobs,
            clients=clients,
            seconds=seconds,
            outage=outage,
            echo=click.echo,
            workers=workers,
            threads=threads,
            keep=keep,
        )
    except ChaosError as error:
        raise click.ClickException(str(error)) from error
    failed = [result.name for result in results if not result.passed]
    click.echo(
        "chaos: "
        + ("all invariants hold" if not failed else f"invariants FAILED in {', '.join(failed)}")
        + f" ({len(results)} scenario{'s' if len(results) != 1 else ''})"
    )
    if failed:
        sys.exit(1)


commands = [chaos]
