"""`pandadb run` serves the API on plain HTTP (insecure development mode) and HTTPS at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from pandadb.tokens import issue_token

from http_helpers import free_port

BIN = Path(sys.executable).parent


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"pandadb run exited with {process.returncode}"
        try:
            return httpx.get(url, verify=False, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_run_serves_http_and_https_and_stops_on_sigint(database_url, tmp_path):
    http_port, https_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANDADB_")}
    env.update(PANDADB_URL=database_url, PANDADB_HOME=str(tmp_path))
    process = subprocess.Popen(
        [
            str(BIN / "pandadb"),
            "run",
            "--http-port",
            str(http_port),
            "--https-port",
            str(https_port),
            "--scheduler",
            "builtin",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_for(f"http://127.0.0.1:{http_port}/server/panda/isAlive", process).text == "alive=yes"
        assert _wait_for(f"https://127.0.0.1:{https_port}/server/panda/isAlive", process).text == "alive=yes"
        assert (tmp_path / "tls" / "dev_cert.pem").exists()
        headers = {"Authorization": f"Bearer {issue_token('rita', 'atlas', [], 600, home=tmp_path)}", "Origin": "atlas"}
        # insecure development mode: secure endpoints answer over plain HTTP too
        plain = httpx.get(f"http://127.0.0.1:{http_port}/api/v1/system/get_user_attributes", headers=headers)
        assert plain.status_code == 200 and plain.json()["data"]["user"] == "rita"
        tls = httpx.get(
            f"https://127.0.0.1:{https_port}/api/v1/system/get_user_attributes", headers=headers, verify=False
        )
        assert tls.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{http_port}/api/v1/" in output
    assert "built-in scheduler running" in output
    with psycopg.connect(database_url) as conn:  # period jobs run when the scheduler starts (PanDA daemon)
        succeeded = conn.execute(
            "SELECT count(*) FROM doma_panda.pandadb_scheduler_runs "
            "WHERE job_name = 'update_jobsactive_stats' AND status = 'succeeded'"
        ).fetchone()[0]
    assert succeeded >= 1, output
    # both gunicorn masters are gone: the ports are free again
    for port in (http_port, https_port):
        try:
            httpx.get(f"http://127.0.0.1:{port}/server/panda/isAlive", timeout=2)
            raise AssertionError(f"port {port} still answers after pandadb run stopped")
        except httpx.TransportError:
            pass


def test_serve_without_a_database_says_what_to_do(tmp_path):
    from cli_helpers import run_cli

    result = run_cli("pandadb", "serve", "--port", str(free_port()), env={"PANDADB_HOME": str(tmp_path)}, timeout=30)
    assert result.returncode != 0
    assert "pandadb db start" in result.stderr or "PANDADB_URL" in result.stderr


def test_serve_on_a_busy_port_says_so_in_one_line_without_claiming_to_serve(tmp_path, database_url):
    import socket

    from cli_helpers import run_cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("pandadb", "serve", "--port", str(port), env={"PANDADB_URL": database_url}, timeout=30)
    assert result.returncode == 1
    assert "serving" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "another pandadb" in lines[0]


def test_run_registers_the_scheduled_jobs_in_pg_cron_when_usable(database_url, capsys):
    from pandadb.cli.run_commands import start_scheduled_jobs
    from pandadb.scheduler import cron_listing, cron_uninstall

    assert start_scheduled_jobs(database_url, "auto") is None, "pg_cron is preloaded in the test cluster"
    try:
        listing, _ = cron_listing(database_url)
        installed = {job.name for job in listing if job.cron_schedule is not None}
        assert {"update_jobsactive_stats", "job_watchdog", "partition_maintenance"} <= installed
        # what `make run` says it registered is what `pandadb cron list` shows
        assert f"scheduled jobs: {len(installed)} registered in pg_cron" in capsys.readouterr().out
    finally:
        cron_uninstall(database_url)
