"""The scheduled-job registry: partitions/scheduled_jobs.tsv read, checked and loaded into
doma_panda.pandadb_scheduled_jobs (revision 0004_scheduler, `pandadb cron load`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import psycopg

from pandadb.procedures import call
from pandadb.settings import PARTITIONS_DIR

REGISTRY_FILE = PARTITIONS_DIR / "scheduled_jobs.tsv"
REGISTRY_COLUMNS = ("name", "schedule", "command", "exclusive", "enabled", "description")


class RegistryFileError(ValueError):
    """The registry TSV cannot be read; the message names the line."""


def _yes_no(value: str, column: str, line_number: int, path: Path) -> bool:
    lowered = value.strip().lower()
    if lowered in ("yes", "true"):
        return True
    if lowered in ("no", "false"):
        return False
    raise RegistryFileError(f"{path}:{line_number}: {column} must be yes or no, not {value!r}")


def read_registry_file(path: Path = REGISTRY_FILE) -> list[dict[str, Any]]:
    """The jobs of a registry TSV ('#' comment lines, a header line, tab-separated rows) as JSON-ready dicts."""
    lines = [
        (number, line)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise RegistryFileError(f"{path}: no header line")
    header = next(csv.reader([lines[0][1]], delimiter="\t", quoting=csv.QUOTE_NONE))
    missing = [column for column in ("name", "schedule", "command") if column not in header]
    unknown = [column for column in header if column not in REGISTRY_COLUMNS]
    if missing or unknown:
        raise RegistryFileError(
            f"{path}:{lines[0][0]}: header needs {', '.join(REGISTRY_COLUMNS)}"
            f" (missing: {', '.join(missing) or '-'}; unknown: {', '.join(unknown) or '-'})"
        )
    jobs = []
    for number, line in lines[1:]:
        values = line.split("\t")
        if len(values) > len(header):
            raise RegistryFileError(f"{path}:{number}: {len(values)} fields, the header has {len(header)}")
        row = dict(zip(header, (value.strip() for value in values), strict=False))  # short lines: defaults
        job: dict[str, Any] = {
            "name": row.get("name", ""),
            "schedule": row.get("schedule", ""),
            "command": row.get("command", ""),
        }
        for column in ("exclusive", "enabled"):
            if row.get(column):
                job[column] = _yes_no(row[column], column, number, path)
        if row.get("description"):
            job["description"] = row["description"]
        jobs.append(job)
    return jobs


def load_registry_sql(jobs: list[dict[str, Any]], remove_missing: bool = True) -> str:
    """One SQL statement that loads the jobs into the registry (for migrations, online and offline); with
    remove_missing false the other jobs of the registry are left as they are."""
    document = json.dumps(jobs, indent=1)
    tag = "$pandadb_scheduled_jobs$"
    if tag in document:
        raise RegistryFileError(f"the registry must not contain {tag}")
    return (
        f"SELECT doma_panda.load_scheduled_jobs({tag}{document}{tag}::jsonb, {'true' if remove_missing else 'false'});"
    )


def load_registry(conn: psycopg.Connection, jobs: list[dict[str, Any]], remove_missing: bool = True) -> dict[str, int]:
    """Upsert the jobs into the registry (deleting the others unless remove_missing is false)."""
    return call(conn, "load_scheduled_jobs", p_jobs=jobs, p_remove_missing=remove_missing)
