"""Test fixtures: one real PostgreSQL 15 cluster per test session, one database per test.

The cluster is a throw-away embedded cluster (pandadb.cluster) under a temporary PANDADB_HOME,
with pg_cron preloaded when installed. Set PANDADB_TEST_URL to a superuser URL of an existing
server to use that instead. A template database is migrated to head once; each test that asks
for `database_url` gets its own copy (CREATE DATABASE ... TEMPLATE), dropped afterwards.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from pandadb.cluster import EmbeddedCluster
from pandadb.migrations.runner import migrate_to_head
from pandadb.settings import Settings, find_postgres_bin_directory

TEMPLATE_DATABASE = "pandadb_test_template"

# the real-server fixtures (api_server, secure_api_server, module_database_url, services_home)
pytest_plugins = ["http_helpers", "api_helpers"]


def url_for_database(server_url: str, database: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(url_for_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return url_for_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(url_for_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def server_url():
    """URL of the session's PostgreSQL server (database 'postgres')."""
    explicit = os.environ.get("PANDADB_TEST_URL")
    if explicit:
        yield url_for_database(explicit, "postgres")
        return
    home = Path(tempfile.mkdtemp(prefix="pandadb-test-"))
    previous = os.environ.get("PANDADB_FAST_UNSAFE")
    os.environ["PANDADB_FAST_UNSAFE"] = "1"
    cluster = EmbeddedCluster(Settings(database_url=None, home=home, pg_bin=find_postgres_bin_directory()))
    try:
        cluster.start()
    finally:
        if previous is None:
            os.environ.pop("PANDADB_FAST_UNSAFE", None)
    yield url_for_database(cluster.url(), "postgres")
    cluster.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(server_url):
    """Name of a database migrated to head, used as the template of each test database."""
    drop_database(server_url, TEMPLATE_DATABASE)
    url = create_database(server_url, TEMPLATE_DATABASE)
    migrate_to_head(url)
    return TEMPLATE_DATABASE


class DatabaseSupply:
    """Migrated databases made ahead, on a thread, while the tests run: copying the template costs about a
    second (thousands of relations), so a test takes one that is ready instead of waiting for its copy."""

    AHEAD = 2

    def __init__(self, server_url: str, template: str):
        self._server_url = server_url
        self._template = template
        self._ready: queue.Queue[tuple[str, str]] = queue.Queue(maxsize=self.AHEAD)
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._make, name="database-supply", daemon=True)
        self._thread.start()

    def _make(self) -> None:
        while not self._stop.is_set():
            name = f"t_{uuid.uuid4().hex[:12]}"
            try:
                url = create_database(self._server_url, name, template=self._template)
            except BaseException as error:  # handed to the next test that asks, which fails with it
                self._failure = error
                return
            while not self._stop.is_set():
                try:
                    self._ready.put((name, url), timeout=0.2)
                    break
                except queue.Full:
                    continue
            else:
                drop_database(self._server_url, name)

    def take(self) -> tuple[str, str]:
        """(name, url) of a database of its own, migrated to head."""
        while True:
            try:
                return self._ready.get(timeout=1)
            except queue.Empty:
                if self._failure is not None:
                    raise self._failure from None
                if not self._thread.is_alive():
                    raise RuntimeError("the database supply stopped") from None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        while not self._ready.empty():
            drop_database(self._server_url, self._ready.get_nowait()[0])


@pytest.fixture(scope="session")
def database_supply(server_url, template_database):
    supply = DatabaseSupply(server_url, template_database)
    yield supply
    supply.close()


@pytest.fixture
def fresh_database_url(server_url):
    """An empty database of its own (not migrated)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = create_database(server_url, name)
    yield url
    drop_database(server_url, name)


@pytest.fixture
def database_url(server_url, database_supply):
    """A database of its own, migrated to head."""
    name, url = database_supply.take()
    yield url
    drop_database(server_url, name)


@pytest.fixture
def db(database_url):
    """An autocommit connection to this test's migrated database."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def oracle_db(database_url):
    """An autocommit connection to this test's migrated database with the environment the converted PL/SQL
    twin runs in: orafce and ora2pg/oracle_environment/*.sql (`pandadb ora2pg check --procedures`)."""
    from ora2pg.procedures import oracle_environment_sql

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS orafce")
        conn.execute(oracle_environment_sql())
        yield conn
