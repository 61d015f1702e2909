"""Where the database is, and connections to it."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from pandadb.cluster import ClusterError, EmbeddedCluster
from pandadb.settings import Settings, load_settings

DATABASE_URL_SCHEMES = ("postgresql://", "postgres://", "oracle://", "oracle+oracledb://")


class DatabaseUrlError(ClusterError):
    """PANDADB_URL is not a database URL this project can use; the message says what one looks like."""


def check_database_url(url: str) -> str:
    """A URL of one of DATABASE_URL_SCHEMES, or a libpq key=value connection string; else DatabaseUrlError."""
    if url.startswith(DATABASE_URL_SCHEMES):
        return url
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        valid = False
    else:
        valid = "=" in url
    if not valid:
        shown = url if len(url) < 60 else url[:57] + "..."
        raise DatabaseUrlError(
            f"PANDADB_URL {shown!r} is not a database URL: use postgresql://user@host:port/database "
            "(or unset it to use the embedded cluster)"
        )
    return url


def resolve_database_url(settings: Settings | None = None, start_embedded: bool = False) -> str:
    """PANDADB_URL if set (and a database URL), else the embedded cluster's URL (started on request)."""
    settings = settings or load_settings()
    if settings.database_url:
        return check_database_url(settings.database_url)
    cluster = EmbeddedCluster(settings)
    if start_embedded:
        return cluster.start()
    if not cluster.is_running():
        raise ClusterError(
            f"the embedded database under {settings.home} is not running: run 'pandadb db start' or set PANDADB_URL"
        )
    return cluster.url()


def sqlalchemy_url(database_url: str) -> str:
    """The SQLAlchemy spelling of a libpq/oracle URL (psycopg 3 and python-oracledb drivers)."""
    for prefix, driver in (
        ("postgresql://", "postgresql+psycopg://"),
        ("postgres://", "postgresql+psycopg://"),
        ("oracle://", "oracle+oracledb://"),
    ):
        if database_url.startswith(prefix):
            return driver + database_url[len(prefix) :]
    return database_url


def scalar(conn: psycopg.Connection, query: Any, params: Any = None) -> Any:
    """The first column of the first row of a query that always returns a row (count(*), a setting, ...)."""
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise LookupError(f"the query returned no row: {query}")
    return row[0]


def connect(database_url: str | None = None, autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(database_url or resolve_database_url(), autocommit=autocommit)
