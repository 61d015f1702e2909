"""The processes a scenario disturbs: its own embedded cluster and the API server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from pandadb.chaos.common import (
    SERVER_STARTUP_SECONDS,
    ChaosError,
)

# ------------------------------------------------------------------------------------------------
# the database and the API server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnCluster:
    """A throw-away embedded PostgreSQL cluster under `home`/pg, migrated to head."""

    def __init__(self, home: Path):
        from pandadb.cluster import EmbeddedCluster
        from pandadb.settings import Settings, find_postgres_bin_directory

        self.cluster = EmbeddedCluster(
            Settings(database_url=None, home=home / "pg", pg_bin=find_postgres_bin_directory())
        )

    def start(self) -> str:
        from pandadb.migrations.runner import migrate_to_head

        url = self.cluster.start()
        with psycopg.connect(url, autocommit=True) as conn:
            # only an operating-system crash needs fsync; a process crash (what we cause) does not.
            # synchronous_commit stays on: an acknowledged commit must survive 'pg_ctl stop -m immediate'.
            conn.execute("ALTER SYSTEM SET fsync = off")
            conn.execute("SELECT pg_reload_conf()")
        migrate_to_head(url)
        return url

    def stop_immediately(self) -> None:
        from pandadb.cluster import _run_as_server_account

        result = _run_as_server_account(
            [str(self.cluster.settings.pg_bin / "pg_ctl"), "stop", "-m", "immediate", "-D", str(self.cluster.data_dir)]
        )
        if result.returncode != 0:
            raise ChaosError(f"pg_ctl stop -m immediate failed: {result.stderr.strip()}")

    def start_again(self) -> None:
        self.cluster.start()

    def destroy(self) -> None:
        try:
            self.cluster.stop()
        except Exception:  # noqa: BLE001 - best effort: a cluster that will not stop is removed with its directory
            pass


class ApiServer:
    """`pandadb serve --insecure` as a subprocess in its own process group (so kill -9 takes its workers too)."""

    def __init__(self, database_url: str, home: Path, workers: int = 2, threads: int = 4):
        self.database_url = database_url
        self.home = home
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen | None = None
        self.log_file = home / "server.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start the server; returns the seconds until it answered isAlive."""
        started = time.monotonic()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANDADB_")}
        env.update(PANDADB_URL=self.database_url, PANDADB_HOME=str(self.home))
        args = [
            sys.executable,
            "-m",
            "pandadb",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--insecure",
        ]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = started + SERVER_STARTUP_SECONDS
        with httpx.Client(base_url=self.base_url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise ChaosError(f"pandadb serve exited with {self.process.returncode}: see {self.log_file}")
                try:
                    if client.get("/server/panda/isAlive").status_code == 200:
                        return time.monotonic() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise ChaosError(f"pandadb serve did not answer within {SERVER_STARTUP_SECONDS} s: see {self.log_file}")

    def kill(self) -> None:
        """kill -9 of the whole process group (gunicorn master and workers)."""
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
