"""The embedded PostgreSQL cluster under PANDADB_HOME.

Layout of PANDADB_HOME:
    data/            the cluster (initdb)
    run/             unix socket directory
    log/postgresql.log
    port             the TCP port this cluster listens on (kept across restarts while free)

initdb and postgres refuse to run as root, so when invoked as root every server-side
command runs as the unprivileged 'postgres' account (created by Debian's package) or,
failing that, a 'pandadb' system account that we create.
"""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
import time
from pathlib import Path

import psycopg

from pandadb.settings import EMBEDDED_DATABASE_NAME, EMBEDDED_SUPERUSER, Settings

SERVER_ACCOUNT_CANDIDATES = ("postgres", "pandadb")


class ClusterError(RuntimeError):
    """A cluster operation failed; the message says what to do next."""


def _server_account() -> pwd.struct_passwd | None:
    """The account that runs initdb/postgres, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in SERVER_ACCOUNT_CANDIDATES:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "pandadb"], check=True)
    return pwd.getpwnam("pandadb")


def _run_as_server_account(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    account = _server_account()
    if account is not None:
        kwargs.setdefault("user", account.pw_uid)
        kwargs.setdefault("group", account.pw_gid)
        kwargs.setdefault("extra_groups", [])
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def _chown_tree(path: Path) -> None:
    account = _server_account()
    if account is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, account.pw_uid, account.pw_gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), account.pw_uid, account.pw_gid)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pick_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def extension_is_installed(settings: Settings, extension_library: str) -> bool:
    """Whether the server has the shared library of an extension (pg_cron, pg_partman_bgw)."""
    pg_config = settings.pg_bin / "pg_config"
    libdir = Path("/usr/lib/postgresql/15/lib")
    if pg_config.exists():
        out = subprocess.run([str(pg_config), "--pkglibdir"], capture_output=True, text=True, check=False)
        if out.returncode == 0:
            libdir = Path(out.stdout.strip())
    return (libdir / f"{extension_library}.so").exists()


class EmbeddedCluster:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.home = settings.home
        self.data_dir = self.home / "data"
        self.socket_dir = self.home / "run"
        self.log_file = self.home / "log" / "postgresql.log"
        self.port_file = self.home / "port"

    # -- facts ---------------------------------------------------------------
    @property
    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    @property
    def port(self) -> int | None:
        if self.port_file.exists():
            return int(self.port_file.read_text().strip())
        return None

    def url(self, database: str = EMBEDDED_DATABASE_NAME) -> str:
        if self.port is None:
            raise ClusterError(f"no embedded cluster under {self.home}: run 'pandadb db start'")
        return f"postgresql://{EMBEDDED_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def is_running(self) -> bool:
        if not self.is_initialised:
            return False
        result = _run_as_server_account([str(self.settings.pg_bin / "pg_ctl"), "status", "-D", str(self.data_dir)])
        return result.returncode == 0

    # -- actions -------------------------------------------------------------
    def initialise(self) -> None:
        if self.is_initialised:
            return
        for directory in (self.home, self.socket_dir, self.log_file.parent):
            directory.mkdir(parents=True, exist_ok=True)
        _chown_tree(self.home)
        result = _run_as_server_account(
            [
                str(self.settings.pg_bin / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                EMBEDDED_SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
            ]
        )
        if result.returncode != 0:
            raise ClusterError(f"initdb failed in {self.data_dir}:\n{result.stderr.strip()}")
        self._write_configuration()

    def _write_configuration(self) -> None:
        preload = [lib for lib in ("pg_cron",) if extension_is_installed(self.settings, lib)]
        lines = [
            "# Written by pandadb: the embedded PanDA database cluster",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.socket_dir}'",
            "max_connections = 200",
            "shared_buffers = '512MB'",
            "work_mem = '32MB'",
            "maintenance_work_mem = '256MB'",
            "max_wal_size = '4GB'",
            "timezone = 'UTC'",
            "log_timezone = 'UTC'",
            f"cron.database_name = '{EMBEDDED_DATABASE_NAME}'" if preload else "",
            f"shared_preload_libraries = '{','.join(preload)}'" if preload else "",
        ]
        if os.environ.get("PANDADB_FAST_UNSAFE") == "1":
            # throw-away test clusters only: trade crash safety for speed
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a") as handle:
            handle.write("\n" + "\n".join(line for line in lines if line) + "\n")

    def start(self) -> str:
        """Start the cluster (initialising it first if needed); idempotent. Returns the URL."""
        self.initialise()
        if not self.is_running():
            port = self.port if self.port and _port_is_free(self.port) else _pick_free_port()
            self.port_file.write_text(f"{port}\n")
            result = _run_as_server_account(
                [
                    str(self.settings.pg_bin / "pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-o",
                    f"-p {port}",
                ]
            )
            if result.returncode != 0:
                tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
                raise ClusterError(f"PostgreSQL did not start (see {self.log_file}):\n{result.stderr.strip()}\n{tail}")
        self._ensure_database()
        return self.url()

    def _ensure_database(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
                    exists = conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (EMBEDDED_DATABASE_NAME,)
                    ).fetchone()
                    if not exists:
                        conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE_NAME}"')
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> bool:
        """Stop the cluster; returns False when it was not running."""
        if not self.is_running():
            return False
        result = _run_as_server_account(
            [str(self.settings.pg_bin / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data_dir)]
        )
        if result.returncode != 0:
            raise ClusterError(f"pg_ctl stop failed: {result.stderr.strip()}")
        return True
