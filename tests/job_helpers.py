"""Helpers of the job-lifecycle tests: call the stored functions, pin the clock, snapshot the job tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pandadb.errors import ProcedureError
from pandadb.procedures import bigint_ids, call

__all__ = [
    "acquire",
    "bigint_ids",
    "call",
    "dispatched_job",
    "expect_refusal",
    "job_row",
    "job_spec",
    "pin_clock",
    "pilot_description_keys",
    "register_queue",
    "snapshot",
    "statuses_logged",
    "submit",
    "update",
]

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
if not REFERENCE.exists():  # CI clones the project with shared/ beside it
    REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"

SNAPSHOT_TABLES = (
    "jobsdefined4",
    "jobswaiting4",
    "jobsactive4",
    "jobsarchived4",
    "filestable4",
    "jobs_statuslog",
    "jobparamstable",
    "metatable",
    "jedi_job_retry_history",
)


def pilot_description_keys() -> set[str]:
    lines = (REFERENCE / "pilot_job_description_keys.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def expect_refusal(db: psycopg.Connection, sqlstate: str, function: str, **arguments: Any) -> str:
    """Call a function that must refuse with `sqlstate`; returns the message."""
    with pytest.raises(ProcedureError) as caught:
        call(db, function, **arguments)
    assert caught.value.sqlstate == sqlstate, f"{caught.value.sqlstate}: {caught.value}"
    return caught.value.message


def pin_clock(db: psycopg.Connection, when: str | None) -> None:
    db.execute("SELECT set_config('pandadb.clock', %s, false)", (when or "",))


def snapshot(db: psycopg.Connection) -> dict[str, list]:
    """Every row of the job tables, files, status log, parameters, metadata and retry history."""
    return {
        table: sorted(map(repr, db.execute(f"SELECT * FROM doma_panda.{table}").fetchall()))
        for table in SNAPSHOT_TABLES
    }


def register_queue(db: psycopg.Connection, queue: str, config: dict | None = None, site: str = "TEST_SITE") -> None:
    db.execute("SELECT doma_panda.register_site(%s)", (site,))
    db.execute("SELECT doma_panda.register_panda_queue(%s, %s, %s)", (queue, site, Jsonb(config or {})))


def job_spec(queue: str = "TEST_QUEUE", **fields: Any) -> dict:
    spec = {
        "jobName": "test.job",
        "computingSite": queue,
        "prodSourceLabel": "managed",
        "transformation": "/bin/true",
        "jobStatus": "activated",
        "assignedPriority": 100,
    }
    spec.update(fields)
    return spec


def submit(db: psycopg.Connection, *specs: dict, submitter: str = "alice") -> list[int]:
    """Submit through submit_jobs; a queue named by a spec that the test did not register is registered first
    (empty configuration), since submit_jobs refuses jobs for unknown queues."""
    for queue in {spec.get("computingSite") for spec in specs if isinstance(spec, dict)} - {None}:
        if not db.execute("SELECT 1 FROM doma_panda.schedconfig_json WHERE panda_queue = %s", (queue,)).fetchone():
            register_queue(db, queue)
    result = call(db, "submit_jobs", p_job_specs=list(specs), p_submitter=submitter)
    return [entry["PandaID"] for entry in result]


def acquire(db: psycopg.Connection, queue: str = "TEST_QUEUE", n_jobs: int | None = 1, **request: Any) -> list[dict]:
    return call(db, "acquire_jobs", p_site_name=queue, p_n_jobs=n_jobs, p_request=request)


def update(db: psycopg.Connection, pandaid: int, status: str | None, **request: Any) -> dict:
    return call(db, "update_job", p_pandaid=pandaid, p_job_status=status, p_request=request)


def job_row(db: psycopg.Connection, pandaid: int) -> tuple[str, dict] | None:
    """(table, row as dict) of a job, searching the four job tables."""
    found = []
    for table in ("jobsdefined4", "jobswaiting4", "jobsactive4", "jobsarchived4"):
        row = db.execute(f"SELECT to_jsonb(j) FROM doma_panda.{table} j WHERE pandaid = %s", (pandaid,)).fetchone()
        if row:
            found.append((table, row[0]))
    assert len(found) <= 1, f"job {pandaid} is in several tables: {[t for t, _ in found]}"
    return found[0] if found else None


def statuses_logged(db: psycopg.Connection, pandaid: int) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT jobstatus FROM doma_panda.jobs_statuslog WHERE pandaid = %s ORDER BY modiftime_extended, modificationtime",
            (pandaid,),
        ).fetchall()
    ]


def dispatched_job(db: psycopg.Connection, queue: str = "TEST_QUEUE", status: str = "running", **fields: Any) -> int:
    """A job submitted activated, acquired by a pilot (the queue must have no other activated job) and
    reported `status` ('sent' leaves it as acquired)."""
    [pandaid] = submit(db, job_spec(queue, **fields))
    descriptions = acquire(db, queue, 1)
    assert [d["PandaID"] for d in descriptions] == [pandaid]
    if status != "sent":
        update(db, pandaid, status, node="wn-1")
    return pandaid
