"""The real services over real HTTP for tests: `pandadb serve` as a subprocess on a free port.

    with running_server(database_url, home) as server:         # plain HTTP, --insecure
        response = server.client().get("/api/v1/system/get_user_attributes", headers=server.headers())

    with running_server(database_url, home, tls=True, insecure=False) as server:  # HTTPS, dev certificate

Tokens come from the server's own local issuer (keys under its PANDADB_HOME): `server.token(...)`
or `server.headers(user=..., vo=..., groups=...)`. Module-scoped fixtures at the bottom give a
database and a server per test module; import them into a test module to use them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from pandadb.tokens import issue_token

from conftest import drop_database

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT_SECONDS = 40


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    base_url: str
    home: Path
    database_url: str
    process: subprocess.Popen
    log_file: Path

    def token(self, user: str = "alice", vo: str = "atlas", groups: tuple[str, ...] = (), lifetime: int = 3600) -> str:
        return issue_token(user, vo, list(groups), lifetime, home=self.home)

    def headers(
        self,
        user: str = "alice",
        vo: str = "atlas",
        groups: tuple[str, ...] = ("production",),
        origin: str | None = None,
        lifetime: int = 3600,
    ) -> dict[str, str]:
        """Authorization + Origin for a caller; default: a production user of VO atlas."""
        return {"Authorization": f"Bearer {self.token(user, vo, groups, lifetime)}", "Origin": origin or vo}

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, verify=False, timeout=30, **kwargs)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


@contextmanager
def running_server(
    database_url: str,
    home: Path | str,
    *,
    tls: bool = False,
    insecure: bool = True,
    workers: int = 1,
    threads: int = 4,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[RunningServer]:
    """Start `pandadb serve` against `database_url` and wait until it answers; stop it afterwards."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = [
        str(BIN / "pandadb"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        *extra_args,
    ]
    if tls:
        args.append("--tls")
    if insecure:
        args.append("--insecure")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PANDADB_")}
    full_env.update({"PANDADB_URL": database_url, "PANDADB_HOME": str(home)}, **(env or {}))
    log_file = home / f"server-{port}.log"
    with open(log_file, "wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=full_env, start_new_session=True)
    server = RunningServer(f"{'https' if tls else 'http'}://127.0.0.1:{port}", home, database_url, process, log_file)
    try:
        _wait_until_alive(server)
        yield server
    finally:
        _stop(process)


def _wait_until_alive(server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    with server.client() as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log()[-3000:]}")
            try:
                if client.get("/server/panda/isAlive").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"server did not answer within {STARTUP_TIMEOUT_SECONDS}s:\n{server.log()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # gunicorn: quick shutdown of the master and its workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def table_counts(database_url: str) -> dict[str, int]:
    """Row count of every table of the PanDA schemas: compare before/after to prove nothing was written."""
    counts = {}
    with psycopg.connect(database_url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname IN ('doma_panda', 'doma_pandameta', 'doma_pandaarch') ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return counts


# ------------------------------------------------------------------------------------------------
# fixtures (import them into a test module)


@pytest.fixture(scope="module")
def module_database_url(server_url, database_supply):
    """A migrated database shared by the tests of one module (and the servers started on it)."""
    name, url = database_supply.take()
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def services_home():
    with tempfile.TemporaryDirectory(prefix="pandadb-svc-") as home:
        yield Path(home)


@pytest.fixture(scope="module")
def api_server(module_database_url, services_home):
    """Plain HTTP in insecure development mode (tokens still required)."""
    with running_server(module_database_url, services_home, tls=False, insecure=True) as server:
        yield server


@pytest.fixture(scope="module")
def secure_api_server(module_database_url, services_home):
    """HTTPS with the development certificate, NOT insecure (clients use verify=False)."""
    with running_server(module_database_url, services_home, tls=True, insecure=False) as server:
        yield server
