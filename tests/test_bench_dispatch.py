"""`pandadb bench dispatch` runs all four scenarios on tiny sizes and prints figures and ratios (no timing asserted)."""

from __future__ import annotations

import re

from cli_helpers import run_cli
from conftest import url_for_database


def test_bench_dispatch_prints_every_scenario_and_the_ratios(server_url, tmp_path):
    result = run_cli("pandadb", "bench", "dispatch", "--jobs", "3000", "--queues", "5", "--shares", "2",
                     "--clients", "2", "--seconds", "0.5", "--database", "pandadb_bench_dispatch_test",
                     env={"PANDADB_URL": url_for_database(server_url, "postgres"), "PANDADB_HOME": str(tmp_path)},
                     timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = dict(re.findall(r"^([abcd]) \w+\s+([\d,]+) jobs/s", result.stdout, flags=re.MULTILINE))
    assert set(figures) == {"a", "b", "c", "d"}, result.stdout
    assert all(int(value.replace(",", "")) > 0 for value in figures.values()), "every scenario acquired jobs"
    for ratio in ("b/a", "c/a", "b/d"):
        assert re.search(rf"{ratio} = \d+\.\d\d", result.stdout), ratio
