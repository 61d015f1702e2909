"""`pandadb bench dispatch` and `pandadb bench heartbeat` run every scenario on tiny sizes and print
figures and same-run ratios (no timing asserted)."""

from __future__ import annotations

import re

from cli_helpers import run_cli
from conftest import url_for_database


def test_bench_dispatch_prints_every_scenario_and_the_ratios(server_url, tmp_path):
    result = run_cli(
        "pandadb",
        "bench",
        "dispatch",
        "--jobs",
        "3000",
        "--queues",
        "5",
        "--shares",
        "2",
        "--clients",
        "2",
        "--seconds",
        "0.5",
        "--database",
        "pandadb_bench_dispatch_test",
        env={"PANDADB_URL": url_for_database(server_url, "postgres"), "PANDADB_HOME": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = dict(re.findall(r"^([abcd]'?) \w+\s+([\d,]+) jobs/s", result.stdout, flags=re.MULTILINE))
    assert set(figures) == {"a", "a'", "b", "c", "d"}, result.stdout
    assert all(int(value.replace(",", "")) > 0 for value in figures.values()), "every scenario acquired jobs"
    for ratio in ("b/a", "c/a", "a'/a", "b/a'", "c/b", "b/d", "a'/d"):
        assert re.search(rf"{re.escape(ratio)} = \d+\.\d\d", result.stdout), ratio
    # where the time goes (the database server is local here): the HTTP scenario's CPU per call of each side
    assert re.search(r"CPU per call: client [\d,]+ us, server [\d,]+ us, database [\d,]+ us", result.stdout), (
        result.stdout
    )
    assert re.search(r"CPU per call: client [\d,]+ us, database [\d,]+ us", result.stdout), result.stdout


def test_bench_dispatch_runs_only_the_scenarios_asked(server_url, tmp_path):
    result = run_cli(
        "pandadb",
        "bench",
        "dispatch",
        "--jobs",
        "500",
        "--queues",
        "2",
        "--shares",
        "1",
        "--clients",
        "1",
        "--seconds",
        "0.2",
        "--scenarios",
        "a',b",
        "--database",
        "pandadb_bench_dispatch_test2",
        env={"PANDADB_URL": url_for_database(server_url, "postgres"), "PANDADB_HOME": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = dict(re.findall(r"^([abcd]'?) \w+\s+([\d,]+) jobs/s", result.stdout, flags=re.MULTILINE))
    assert set(figures) == {"a'", "b"}, result.stdout
    assert re.search(r"b/a' = \d+\.\d\d", result.stdout) and "b/d" not in result.stdout


def test_bench_heartbeat_prints_every_scenario_and_the_ratios(server_url, tmp_path):
    result = run_cli(
        "pandadb",
        "bench",
        "heartbeat",
        "--jobs",
        "2000",
        "--queues",
        "5",
        "--clients",
        "2",
        "--seconds",
        "0.5",
        "--database",
        "pandadb_bench_heartbeat_test",
        env={"PANDADB_URL": url_for_database(server_url, "postgres"), "PANDADB_HOME": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = dict(re.findall(r"^([rhs]) \w+\s+([\d,]+) heartbeats/s", result.stdout, flags=re.MULTILINE))
    assert set(figures) == {"r", "h", "s"}, result.stdout
    assert all(int(value.replace(",", "")) > 0 for value in figures.values()), "every scenario stored heartbeats"
    for ratio in ("h/r", "s/h"):
        assert re.search(rf"{ratio} = \d+\.\d\d", result.stdout), ratio
    assert re.search(r"CPU per call: client [\d,]+ us, server [\d,]+ us, database [\d,]+ us", result.stdout), (
        result.stdout
    )
