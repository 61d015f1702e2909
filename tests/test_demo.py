"""`pandadb demo` runs the whole system end to end and reports what happened."""

from __future__ import annotations

import re

from cli_helpers import run_cli


def test_demo_submits_runs_and_reports_every_job(fresh_database_url, tmp_path):
    result = run_cli(
        "pandadb",
        "demo",
        "--jobs",
        "5",
        "--pilots",
        "2",
        env={"PANDADB_URL": fresh_database_url, "PANDADB_HOME": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "submitted 5 jobs" in result.stdout
    assert "5 jobs run by 2 pilot(s): 4 finished, 1 failed" in result.stdout
    assert re.search(r"outcome in doma_panda.jobsarchived4: 1 failed, 4 finished", result.stdout), result.stdout
    summary = re.search(r"status_summary.*?: (\[.*\])", result.stdout).group(1)
    assert '"finished": 4' in summary and '"failed": 1' in summary and '"computingsite": "DEMO_QUEUE"' in summary
    # the task: submitted through task/submit, scouts, avalanche, done
    assert re.search(r"submitted task \d+ through /api/v1/task/submit", result.stdout), result.stdout
    assert "registered -> defined -> ready -> scouting -> scouted -> running -> done" in result.stdout, result.stdout
    assert "its jobs: 2 scout finished, 4 avalanche finished" in result.stdout, result.stdout
