"""`pandadb bench tasks` on a tiny task prints both figures and the ratio (no timing asserted)."""

from __future__ import annotations

import re

from cli_helpers import run_cli
from conftest import url_for_database


def test_bench_tasks_prints_the_generator_and_the_reference(server_url, tmp_path):
    result = run_cli(
        "pandadb",
        "bench",
        "tasks",
        "--files",
        "300",
        "--files-per-job",
        "2",
        "--jobs-per-step",
        "40",
        "--database",
        "pandadb_bench_tasks_test",
        env={"PANDADB_URL": url_for_database(server_url, "postgres"), "PANDADB_HOME": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "jobs=150 " in result.stdout, result.stdout
    figures = dict(re.findall(r"^([ab]) \w+\s+([\d,]+) jobs/s", result.stdout, flags=re.MULTILINE))
    assert set(figures) == {"a", "b"} and all(int(v.replace(",", "")) > 0 for v in figures.values()), result.stdout
    assert re.search(r"b/a = \d+\.\d\d", result.stdout)
    assert "input files used" in result.stderr  # progress shown
