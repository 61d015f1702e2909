"""The registry in pg_cron (`pandadb cron install|uninstall|list`).

pg_cron lives in the database named by `cron.database_name`; our entries there are named
`pandadb:<target database>:<job>` and run in the target database (`cron.schedule_in_database`),
plus one daily cleanup of cron.job_run_details. The schedules come translated from
doma_panda.cron_jobs() (procedures/postgres/scheduler.sql).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from pandadb.db import scalar
from pandadb.procedures import rows

CRON_JOB_PREFIX = "pandadb:"
CRON_JOB_NAME_MAX_BYTES = 63  # cron.job.jobname is of type name
# section 8.6.4: pg_cron's own log grows by one row per run; keep three days of it
CRON_CLEANUP_JOB_NAME = CRON_JOB_PREFIX + "cron_job_run_details_cleanup"
CRON_CLEANUP_SCHEDULE = "0 0 * * *"
CRON_CLEANUP_COMMAND = "DELETE FROM cron.job_run_details WHERE end_time < now() - interval '3 days'"


class PgCronUnavailable(RuntimeError):
    """pg_cron cannot be used on this server; the message says why and names the alternative."""


def cron_job_name(database: str, job_name: str) -> str:
    return f"{CRON_JOB_PREFIX}{database}:{job_name}"


def _cron_job_prefix(database: str) -> str:
    return f"{CRON_JOB_PREFIX}{database}:"


@dataclass(frozen=True)
class CronTarget:
    """The database whose registry is installed, and pg_cron's database on the same server."""

    database_url: str
    database: str
    cron_database: str

    @property
    def cron_url(self) -> str:
        return make_conninfo(self.database_url, dbname=self.cron_database)


def find_cron_target(database_url: str) -> CronTarget:
    """Where pg_cron lives for this database; PgCronUnavailable if the server does not preload it."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        database = scalar(conn, "SELECT current_database()")
        cron_database = scalar(conn, "SELECT current_setting('cron.database_name', true)")
        try:
            preloaded = scalar(conn, "SELECT current_setting('shared_preload_libraries')")
        except psycopg.errors.InsufficientPrivilege:
            preloaded = None  # only superusers may look; connect_to_cron finds out otherwise
    if preloaded is not None and "pg_cron" not in [name.strip() for name in preloaded.split(",")]:
        cron_database = None
    if not cron_database:
        raise PgCronUnavailable(
            "pg_cron is not loaded on this server (add pg_cron to shared_preload_libraries and set "
            "cron.database_name, then restart PostgreSQL); run the registry with `pandadb scheduler` instead"
        )
    return CronTarget(database_url, database, cron_database)


def connect_to_cron(target: CronTarget, create_extension: bool) -> psycopg.Connection:
    """A connection to pg_cron's database with the extension present (created when asked and missing)."""
    try:
        conn = psycopg.connect(target.cron_url, autocommit=True)
    except psycopg.OperationalError as error:
        raise PgCronUnavailable(
            f"cannot connect to pg_cron's database {target.cron_database!r} ({error}); "
            "run the registry with `pandadb scheduler` instead"
        ) from error
    try:
        present = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'").fetchone()
        if present is None and create_extension:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
            present = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'").fetchone()
        if present is None:
            raise PgCronUnavailable(f"the pg_cron extension is not created in database {target.cron_database!r}")
        has_schedule_in_database = scalar(
            conn, "SELECT to_regprocedure('cron.schedule_in_database(text,text,text,text,text,boolean)') IS NOT NULL"
        )
        if not has_schedule_in_database:
            raise PgCronUnavailable(
                f"pg_cron {present[0]} has no cron.schedule_in_database (needs 1.4 or later): "
                "ALTER EXTENSION pg_cron UPDATE, or run the registry with `pandadb scheduler`"
            )
        return conn
    except psycopg.Error as error:
        conn.close()
        raise PgCronUnavailable(
            f"pg_cron cannot be used in database {target.cron_database!r}: "
            f"{error.diag.message_primary or error}; run the registry with `pandadb scheduler` instead"
        ) from error
    except PgCronUnavailable:
        conn.close()
        raise


@dataclass
class CronSyncReport:
    """What `cron install` / `cron uninstall` changed in cron.job."""

    scheduled: list[str] = field(default_factory=list)
    unscheduled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _sync_cron_jobs(
    cron_conn: psycopg.Connection,
    target: CronTarget,
    wanted: dict[str, tuple[str, str]],
    remove_cleanup_if_unused: bool,
) -> CronSyncReport:
    """Make our entries of the target database in cron.job exactly `wanted` (cron job name -> schedule, command).

    One transaction, serialised by an advisory lock so that concurrent installs cannot interleave;
    identical entries are kept (same jobid), so running it twice changes nothing.
    """
    report = CronSyncReport()
    with cron_conn.transaction():
        cron_conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('pandadb cron install', 0))")
        existing = cron_conn.execute(
            "SELECT jobid, jobname, schedule, command, database, active FROM cron.job "
            "WHERE (starts_with(jobname, %s) AND database = %s) OR jobname = %s ORDER BY jobname",
            (_cron_job_prefix(target.database), target.database, CRON_CLEANUP_JOB_NAME),
        ).fetchall()
        kept = set()
        for jobid, jobname, schedule, command, database, active in existing:
            if jobname == CRON_CLEANUP_JOB_NAME and jobname not in wanted:
                continue  # decided below, it serves every database of the server
            expected = wanted.get(jobname)
            expected_database = target.cron_database if jobname == CRON_CLEANUP_JOB_NAME else target.database
            if expected == (schedule, command) and database == expected_database and active:
                kept.add(jobname)
                report.unchanged.append(jobname)
            else:
                cron_conn.execute("SELECT cron.unschedule(%s::bigint)", (jobid,))
                if expected is None:
                    report.unscheduled.append(jobname)
        for jobname, (schedule, command) in wanted.items():
            if jobname in kept:
                continue
            database = target.cron_database if jobname == CRON_CLEANUP_JOB_NAME else target.database
            cron_conn.execute(
                "SELECT cron.schedule_in_database(%s, %s, %s, %s)", (jobname, schedule, command, database)
            )
            report.scheduled.append(jobname)
        if remove_cleanup_if_unused:
            others = scalar(
                cron_conn,
                "SELECT count(*) FROM cron.job WHERE starts_with(jobname, %s) AND jobname <> %s",
                (CRON_JOB_PREFIX, CRON_CLEANUP_JOB_NAME),
            )
            cleanup = cron_conn.execute(
                "SELECT jobid FROM cron.job WHERE jobname = %s", (CRON_CLEANUP_JOB_NAME,)
            ).fetchall()
            if others == 0:
                for (jobid,) in cleanup:
                    cron_conn.execute("SELECT cron.unschedule(%s::bigint)", (jobid,))
                    report.unscheduled.append(CRON_CLEANUP_JOB_NAME)
    return report


def cron_install(database_url: str) -> CronSyncReport:
    """Register every enabled registry job in pg_cron (idempotent; removes our entries no longer in the registry)."""
    target = find_cron_target(database_url)
    with connect_to_cron(target, create_extension=True) as cron_conn:
        with psycopg.connect(database_url, autocommit=True) as conn:
            jobs = rows(conn, "cron_jobs")
        wanted = {cron_job_name(target.database, job["name"]): (job["cron_schedule"], job["command"]) for job in jobs}
        too_long = [name for name in wanted if len(name.encode()) > CRON_JOB_NAME_MAX_BYTES]
        if too_long:
            raise ValueError(
                f"pg_cron job names are at most {CRON_JOB_NAME_MAX_BYTES} bytes: "
                f"{', '.join(too_long)}; shorten the registry job names (nothing was installed)"
            )
        wanted[CRON_CLEANUP_JOB_NAME] = (CRON_CLEANUP_SCHEDULE, CRON_CLEANUP_COMMAND)
        return _sync_cron_jobs(cron_conn, target, wanted, remove_cleanup_if_unused=False)


def cron_uninstall(database_url: str) -> CronSyncReport:
    """Remove our pg_cron entries of this database (and the cleanup entry when no database uses pg_cron any more)."""
    target = find_cron_target(database_url)
    with connect_to_cron(target, create_extension=False) as cron_conn:
        return _sync_cron_jobs(cron_conn, target, {}, remove_cleanup_if_unused=True)


@dataclass
class JobListing:
    """One line of `pandadb cron list`."""

    name: str
    schedule: str
    enabled: bool
    exclusive: bool
    cron_schedule: str | None  # as installed in pg_cron; None: not installed
    last_by: str | None
    last_started: datetime | None
    last_duration_seconds: float | None
    last_status: str | None
    last_error: str | None

    def as_json(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        data["installed"] = self.cron_schedule is not None
        data["last_started"] = self.last_started.isoformat(sep=" ") if self.last_started else None
        return data


def _utc_naive(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def cron_listing(database_url: str) -> tuple[list[JobListing], str | None]:
    """Every registry job with its pg_cron entry and last run (pg_cron's or the scheduler's, the later one).

    Returns the lines and a note about pg_cron (None when it is available).
    """
    with psycopg.connect(database_url, autocommit=True) as conn:
        registry = rows(conn, "scheduler_job_status")
    cron_rows: dict[str, dict[str, Any]] = {}
    note = None
    try:
        target = find_cron_target(database_url)
        with (
            connect_to_cron(target, create_extension=False) as cron_conn,
            cron_conn.cursor(row_factory=dict_row) as cursor,
        ):
            for row in cursor.execute(
                """
                    SELECT j.jobname, j.schedule, j.active, d.status, d.return_message, d.start_time, d.end_time
                      FROM cron.job j
                      LEFT JOIN LATERAL (SELECT * FROM cron.job_run_details d WHERE d.jobid = j.jobid
                                          ORDER BY d.start_time DESC NULLS LAST, d.runid DESC LIMIT 1) d ON true
                     WHERE starts_with(j.jobname, %s) AND j.database = %s""",
                (_cron_job_prefix(target.database), target.database),
            ):
                cron_rows[row["jobname"][len(_cron_job_prefix(target.database)) :]] = row
    except PgCronUnavailable as error:
        note = str(error)
    listing = []
    for job in registry:
        cron = cron_rows.get(job["name"])
        line = JobListing(
            job["name"],
            job["schedule"],
            job["enabled"],
            job["exclusive"],
            cron["schedule"] if cron else None,
            None,
            None,
            None,
            None,
            None,
        )
        if job["last_started"] is not None:
            line.last_by = f"scheduler@{job['last_host']}"
            line.last_started = job["last_started"]
            line.last_duration_seconds = job["last_duration"].total_seconds() if job["last_duration"] else None
            line.last_status, line.last_error = job["last_status"], job["last_error"]
        cron_started = _utc_naive(cron["start_time"]) if cron else None
        if cron_started is not None and (line.last_started is None or cron_started > line.last_started):
            line.last_by = "pg_cron"
            line.last_started = cron_started
            assert cron is not None  # cron_started came from it
            end = _utc_naive(cron["end_time"])
            line.last_duration_seconds = (end - cron_started).total_seconds() if end else None
            line.last_status = cron["status"]
            line.last_error = cron["return_message"] if cron["status"] == "failed" else None
        listing.append(line)
    return listing, note
