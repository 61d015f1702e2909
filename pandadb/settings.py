"""Configuration from the environment, read in one place.

PANDADB_URL    an existing database (postgresql://... or oracle://...); unset: the embedded cluster
PANDADB_HOME   where the embedded cluster lives (default ./.pandadb)
PANDADB_PG_BIN directory of initdb/pg_ctl/postgres (default: found via pg_config or Debian's layout)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = PROJECT_ROOT / "schema"
PROCEDURES_DIR = PROJECT_ROOT / "procedures"
PARTITIONS_DIR = PROJECT_ROOT / "partitions"

EMBEDDED_DATABASE_NAME = "panda_db"
EMBEDDED_SUPERUSER = "panda"


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    home: Path
    pg_bin: Path

    @property
    def uses_embedded_cluster(self) -> bool:
        return self.database_url is None


def find_postgres_bin_directory() -> Path:
    explicit = os.environ.get("PANDADB_PG_BIN")
    if explicit:
        return Path(explicit)
    debian = Path("/usr/lib/postgresql/15/bin")
    if (debian / "pg_ctl").exists():
        return debian
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and (Path(out.stdout.strip()) / "pg_ctl").exists():
            return Path(out.stdout.strip())
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).resolve().parent
    return debian


def load_settings() -> Settings:
    url = os.environ.get("PANDADB_URL") or None
    home = Path(os.environ.get("PANDADB_HOME") or "./.pandadb").resolve()
    return Settings(database_url=url, home=home, pg_bin=find_postgres_bin_directory())
