"""`pandadb db ...` against a real embedded cluster of its own: idempotent start, status, url, stop, restart with data kept."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from cli_helpers import run_cli


@pytest.fixture
def pandadb_home():
    home = Path(tempfile.mkdtemp(prefix="pandadb-cli-"))
    yield home
    run_cli("pandadb", "db", "stop", env={"PANDADB_HOME": str(home)})
    shutil.rmtree(home, ignore_errors=True)


def test_start_twice_status_url_stop_restart_keeps_data(pandadb_home):
    env = {"PANDADB_HOME": str(pandadb_home), "PANDADB_FAST_UNSAFE": "1"}

    status = run_cli("pandadb", "db", "status", env=env)
    assert status.returncode == 3 and "not created" in status.stdout

    first = run_cli("pandadb", "db", "start", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("started: postgresql://")
    second = run_cli("pandadb", "db", "start", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("already running: ")

    url = run_cli("pandadb", "db", "url", env=env).stdout.strip()
    assert url == first.stdout.split(": ", 1)[1].strip()
    status = run_cli("pandadb", "db", "status", env=env)
    assert status.returncode == 0 and "running" in status.stdout and url in status.stdout

    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE kept (x int)")
        conn.execute("INSERT INTO kept VALUES (42)")
        assert conn.execute("SHOW shared_preload_libraries").fetchone()[0] == "pg_cron"
        assert conn.execute("SHOW cron.database_name").fetchone()[0] == "panda_db"

    stopped = run_cli("pandadb", "db", "stop", env=env)
    assert stopped.returncode == 0 and stopped.stdout.strip() == "stopped"
    assert run_cli("pandadb", "db", "stop", env=env).stdout.strip() == "not running"
    assert run_cli("pandadb", "db", "status", env=env).returncode == 3
    url_when_stopped = run_cli("pandadb", "db", "url", env=env)
    assert url_when_stopped.returncode != 0 and "pandadb db start" in url_when_stopped.stderr

    again = run_cli("pandadb", "db", "start", env=env)
    assert again.returncode == 0, again.stderr
    with psycopg.connect(run_cli("pandadb", "db", "url", env=env).stdout.strip()) as conn:
        assert conn.execute("SELECT x FROM kept").fetchone() == (42,)


def test_pandadb_url_overrides_the_embedded_cluster(pandadb_home):
    env = {"PANDADB_HOME": str(pandadb_home), "PANDADB_URL": "postgresql://someone@db.example:5432/panda_db"}
    result = run_cli("pandadb", "db", "url", env=env)
    assert result.returncode == 0
    assert result.stdout.strip() == "postgresql://someone@db.example:5432/panda_db"
    assert not (pandadb_home / "data").exists()


def test_migrate_through_the_cli_against_pandadb_url(fresh_database_url, pandadb_home):
    env = {"PANDADB_URL": fresh_database_url, "PANDADB_HOME": str(pandadb_home)}
    upgraded = run_cli("pandadb", "migrate", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    current = run_cli("pandadb", "migrate", "current", env=env)
    assert "(head)" in current.stdout + current.stderr
    assert not (pandadb_home / "data").exists(), "PANDADB_URL must not create an embedded cluster"
