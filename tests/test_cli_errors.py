"""A wrong PANDADB_URL is one line saying what to do and a non-zero exit, never a traceback, and the
scheduler does not wait half a minute to say it cannot connect."""

from __future__ import annotations

import time

import pytest

from cli_helpers import run_cli

REFUSED = "postgresql://nobody:secret@127.0.0.1:9/panda_db"  # nothing listens on port 9


@pytest.mark.parametrize(
    "url, command, fragment",
    [
        (REFUSED, ("register", "show"), "Connection refused"),
        (REFUSED, ("migrate", "current"), "Connection refused"),
        (REFUSED, ("archive", "status"), "Connection refused"),
        ("garbage", ("cron", "list"), "is not a database URL"),
        ("mysql://a@b/c", ("partitions", "list"), "is not a database URL"),
        ("mysql://a@b/c", ("migrate", "upgrade"), "is not a database URL"),
    ],
)
def test_a_wrong_database_url_is_one_line_naming_what_to_do(url, command, fragment):
    result = run_cli("pandadb", *command, env={"PANDADB_URL": url}, timeout=60)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0]
    assert "Traceback" not in result.stderr and "PANDADB_URL" in lines[0]
    assert "secret" not in result.stderr  # the password is never printed


def test_the_scheduler_says_at_once_that_it_cannot_connect():
    started = time.monotonic()
    result = run_cli("pandadb", "scheduler", "--once", env={"PANDADB_URL": REFUSED}, timeout=60)
    assert result.returncode != 0 and "Connection refused" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 20, "the scheduler waited for its pool instead of failing fast"
