"""Scheduled database jobs: one registry, run by pg_cron where installed, by `pandadb scheduler` otherwise.

The registry is doma_panda.pandadb_scheduled_jobs, loaded from partitions/scheduled_jobs.tsv
(revision 0004_scheduler, `pandadb cron load`). The rules live in procedures/postgres/scheduler.sql:
schedule parsing, the pg_cron translation, and the run bookkeeping with its advisory locks.
This module only translates:

- pg_cron (`pandadb cron install|uninstall|list`): pg_cron lives in the database named by
  `cron.database_name`; our entries there are named `pandadb:<target database>:<job>` and run in
  the target database (`cron.schedule_in_database`), plus one daily cleanup of cron.job_run_details.
- `Scheduler`: PanDA daemon semantics (seed 004 chapter 11) with seconds granularity. Each run
  asks `scheduler_run_started` on a pooled connection, which takes the job's session-level
  advisory lock (per job for exclusive jobs, per job and host otherwise), executes the command on
  that same connection, then `scheduler_run_finished` records the outcome and releases the lock.
"""

from __future__ import annotations

import csv
import json
import logging
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import psycopg
from croniter import croniter
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from pandadb.procedures import call, rows, text_array
from pandadb.settings import PARTITIONS_DIR

log = logging.getLogger("pandadb.scheduler")

REGISTRY_FILE = PARTITIONS_DIR / "scheduled_jobs.tsv"
REGISTRY_COLUMNS = ("name", "schedule", "command", "exclusive", "enabled", "description")
CRON_JOB_PREFIX = "pandadb:"
CRON_JOB_NAME_MAX_BYTES = 63  # cron.job.jobname is of type name
# section 8.6.4: pg_cron's own log grows by one row per run; keep three days of it
CRON_CLEANUP_JOB_NAME = CRON_JOB_PREFIX + "cron_job_run_details_cleanup"
CRON_CLEANUP_SCHEDULE = "0 0 * * *"
CRON_CLEANUP_COMMAND = "DELETE FROM cron.job_run_details WHERE end_time < now() - interval '3 days'"
# small on purpose: this runs beside the database on a 2-core machine
DEFAULT_MAX_CONNECTIONS = 3
REGISTRY_REFRESH_SECONDS = 60.0
LOOP_TICK_SECONDS = 1.0
FAILURE_RETRY_SECONDS = 5.0


class RegistryFileError(ValueError):
    """The registry TSV cannot be read; the message names the line."""


class PgCronUnavailable(RuntimeError):
    """pg_cron cannot be used on this server; the message says why and names the alternative."""


# -- the registry file ---------------------------------------------------------------------------

def _yes_no(value: str, column: str, line_number: int, path: Path) -> bool:
    lowered = value.strip().lower()
    if lowered in ("yes", "true"):
        return True
    if lowered in ("no", "false"):
        return False
    raise RegistryFileError(f"{path}:{line_number}: {column} must be yes or no, not {value!r}")


def read_registry_file(path: Path = REGISTRY_FILE) -> list[dict[str, Any]]:
    """The jobs of a registry TSV ('#' comment lines, a header line, tab-separated rows) as JSON-ready dicts."""
    lines = [(number, line) for number, line in enumerate(path.read_text().splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise RegistryFileError(f"{path}: no header line")
    header = next(csv.reader([lines[0][1]], delimiter="\t", quoting=csv.QUOTE_NONE))
    missing = [column for column in ("name", "schedule", "command") if column not in header]
    unknown = [column for column in header if column not in REGISTRY_COLUMNS]
    if missing or unknown:
        raise RegistryFileError(f"{path}:{lines[0][0]}: header needs {', '.join(REGISTRY_COLUMNS)}"
                                f" (missing: {', '.join(missing) or '-'}; unknown: {', '.join(unknown) or '-'})")
    jobs = []
    for number, line in lines[1:]:
        values = line.split("\t")
        if len(values) > len(header):
            raise RegistryFileError(f"{path}:{number}: {len(values)} fields, the header has {len(header)}")
        row = dict(zip(header, (value.strip() for value in values)))
        job: dict[str, Any] = {"name": row.get("name", ""), "schedule": row.get("schedule", ""),
                               "command": row.get("command", "")}
        for column in ("exclusive", "enabled"):
            if row.get(column):
                job[column] = _yes_no(row[column], column, number, path)
        if row.get("description"):
            job["description"] = row["description"]
        jobs.append(job)
    return jobs


def load_registry_sql(jobs: list[dict[str, Any]]) -> str:
    """One SQL statement that loads the jobs into the registry (for migrations, online and offline)."""
    document = json.dumps(jobs, indent=1)
    tag = "$pandadb_scheduled_jobs$"
    if tag in document:
        raise RegistryFileError(f"the registry must not contain {tag}")
    return f"SELECT doma_panda.load_scheduled_jobs({tag}{document}{tag}::jsonb);"


def load_registry(conn: psycopg.Connection, jobs: list[dict[str, Any]], remove_missing: bool = True) -> dict[str, int]:
    """Upsert the jobs into the registry (deleting the others unless remove_missing is false)."""
    return call(conn, "load_scheduled_jobs", p_jobs=jobs, p_remove_missing=remove_missing)


# -- pg_cron ---------------------------------------------------------------------------------------

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
        database, cron_database = conn.execute(
            "SELECT current_database(), current_setting('cron.database_name', true)").fetchone()
        try:
            preloaded = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()[0]
        except psycopg.errors.InsufficientPrivilege:
            preloaded = None  # only superusers may look; connect_to_cron finds out otherwise
    if preloaded is not None and "pg_cron" not in [name.strip() for name in preloaded.split(",")]:
        cron_database = None
    if not cron_database:
        raise PgCronUnavailable(
            "pg_cron is not loaded on this server (add pg_cron to shared_preload_libraries and set "
            "cron.database_name, then restart PostgreSQL); run the registry with `pandadb scheduler` instead")
    return CronTarget(database_url, database, cron_database)


def connect_to_cron(target: CronTarget, create_extension: bool) -> psycopg.Connection:
    """A connection to pg_cron's database with the extension present (created when asked and missing)."""
    try:
        conn = psycopg.connect(target.cron_url, autocommit=True)
    except psycopg.OperationalError as error:
        raise PgCronUnavailable(f"cannot connect to pg_cron's database {target.cron_database!r} ({error}); "
                                "run the registry with `pandadb scheduler` instead") from error
    try:
        present = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'").fetchone()
        if present is None and create_extension:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
            present = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'").fetchone()
        if present is None:
            raise PgCronUnavailable(f"the pg_cron extension is not created in database {target.cron_database!r}")
        has_schedule_in_database = conn.execute(
            "SELECT to_regprocedure('cron.schedule_in_database(text,text,text,text,text,boolean)') IS NOT NULL").fetchone()[0]
        if not has_schedule_in_database:
            raise PgCronUnavailable(f"pg_cron {present[0]} has no cron.schedule_in_database (needs 1.4 or later): "
                                    "ALTER EXTENSION pg_cron UPDATE, or run the registry with `pandadb scheduler`")
        return conn
    except psycopg.Error as error:
        conn.close()
        raise PgCronUnavailable(f"pg_cron cannot be used in database {target.cron_database!r}: "
                                f"{error.diag.message_primary or error}; run the registry with `pandadb scheduler` instead") from error
    except PgCronUnavailable:
        conn.close()
        raise


@dataclass
class CronSyncReport:
    """What `cron install` / `cron uninstall` changed in cron.job."""
    scheduled: list[str] = field(default_factory=list)
    unscheduled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _sync_cron_jobs(cron_conn: psycopg.Connection, target: CronTarget, wanted: dict[str, tuple[str, str]],
                    remove_cleanup_if_unused: bool) -> CronSyncReport:
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
            (_cron_job_prefix(target.database), target.database, CRON_CLEANUP_JOB_NAME)).fetchall()
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
            cron_conn.execute("SELECT cron.schedule_in_database(%s, %s, %s, %s)", (jobname, schedule, command, database))
            report.scheduled.append(jobname)
        if remove_cleanup_if_unused:
            others = cron_conn.execute(
                "SELECT count(*) FROM cron.job WHERE starts_with(jobname, %s) AND jobname <> %s",
                (CRON_JOB_PREFIX, CRON_CLEANUP_JOB_NAME)).fetchone()[0]
            cleanup = cron_conn.execute("SELECT jobid FROM cron.job WHERE jobname = %s", (CRON_CLEANUP_JOB_NAME,)).fetchall()
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
            raise ValueError(f"pg_cron job names are at most {CRON_JOB_NAME_MAX_BYTES} bytes: "
                             f"{', '.join(too_long)}; shorten the registry job names (nothing was installed)")
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
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


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
        with connect_to_cron(target, create_extension=False) as cron_conn:
            cron_conn.row_factory = dict_row
            for row in cron_conn.execute("""
                    SELECT j.jobname, j.schedule, j.active, d.status, d.return_message, d.start_time, d.end_time
                      FROM cron.job j
                      LEFT JOIN LATERAL (SELECT * FROM cron.job_run_details d WHERE d.jobid = j.jobid
                                          ORDER BY d.start_time DESC NULLS LAST, d.runid DESC LIMIT 1) d ON true
                     WHERE starts_with(j.jobname, %s) AND j.database = %s""",
                    (_cron_job_prefix(target.database), target.database)):
                cron_rows[row["jobname"][len(_cron_job_prefix(target.database)):]] = row
    except PgCronUnavailable as error:
        note = str(error)
    listing = []
    for job in registry:
        cron = cron_rows.get(job["name"])
        line = JobListing(job["name"], job["schedule"], job["enabled"], job["exclusive"],
                          cron["schedule"] if cron else None, None, None, None, None, None)
        if job["last_started"] is not None:
            line.last_by = f"scheduler@{job['last_host']}"
            line.last_started = job["last_started"]
            line.last_duration_seconds = job["last_duration"].total_seconds() if job["last_duration"] else None
            line.last_status, line.last_error = job["last_status"], job["last_error"]
        cron_started = _utc_naive(cron["start_time"]) if cron else None
        if cron_started is not None and (line.last_started is None or cron_started > line.last_started):
            line.last_by = "pg_cron"
            line.last_started = cron_started
            end = _utc_naive(cron["end_time"])
            line.last_duration_seconds = (end - cron_started).total_seconds() if end else None
            line.last_status = cron["status"]
            line.last_error = cron["return_message"] if cron["status"] == "failed" else None
        listing.append(line)
    return listing, note


# -- pandadb scheduler ---------------------------------------------------------------------------

@dataclass
class RunResult:
    """The outcome of one attempt to run a job."""
    job_name: str
    outcome: str  # succeeded, failed, busy, not_due, disabled, error
    run_id: int | None = None
    error: str | None = None
    seconds: float | None = None
    retry_after_seconds: float | None = None


@dataclass
class ScheduledJob:
    name: str
    schedule: str
    period_seconds: float | None
    cron_expression: str | None
    command: str
    exclusive: bool
    next_due: float = 0.0  # time.monotonic()
    cron_slot: datetime | None = None  # UTC slot the next run belongs to (cron jobs)
    running: bool = False

    def same_definition(self, other: ScheduledJob) -> bool:
        return (self.schedule, self.command, self.exclusive) == (other.schedule, other.command, other.exclusive)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _error_text(error: BaseException) -> str:
    if isinstance(error, psycopg.Error):
        diag = error.diag
        message = diag.message_primary or str(error).strip()
        if diag.message_detail:
            message += f" ({diag.message_detail})"
        return f"{error.sqlstate}: {message}" if error.sqlstate else message
    return f"{type(error).__name__}: {error}"


def default_host_id() -> str:
    return socket.gethostname()


class Scheduler:
    """Runs the registry's enabled jobs (or the named ones) against one database until stopped.

    Thread-safe `stop()`; `run()` blocks. One small connection pool is shared by every run.
    """

    def __init__(self, database_url: str, host_id: str | None = None, job_names: Iterable[str] | None = None,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS, shutdown_grace_seconds: float = 30.0,
                 registry_refresh_seconds: float = REGISTRY_REFRESH_SECONDS,
                 on_result: Callable[[RunResult], None] | None = None):
        self.database_url = database_url
        self.host_id = host_id or default_host_id()
        self.job_names = sorted(set(job_names)) if job_names else None
        self.max_connections = max(1, max_connections)
        self.shutdown_grace_seconds = shutdown_grace_seconds
        self.registry_refresh_seconds = registry_refresh_seconds
        self.on_result = on_result
        self.jobs: dict[str, ScheduledJob] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._running_connections: dict[str, psycopg.Connection] = {}
        self._pool: ConnectionPool | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def _open_pool(self) -> ConnectionPool:
        pool = ConnectionPool(
            self.database_url, min_size=1, max_size=self.max_connections, open=False,
            name=f"pandadb-scheduler-{self.host_id}",
            # autocommit: the advisory lock must outlive scheduler_run_started's transaction, and
            # commands run as pg_cron runs them (a CALL may COMMIT; several statements allowed)
            kwargs={"autocommit": True, "application_name": f"pandadb scheduler {self.host_id}"[:63],
                    "prepare_threshold": None},
            reset=lambda conn: conn.execute("RESET ALL"))
        pool.open(wait=True, timeout=30)
        return pool

    def stop(self) -> None:
        """Ask the scheduler to stop: no new runs; running ones get the shutdown grace period."""
        self._stop.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- registry ----------------------------------------------------------------------------
    def _read_registry(self, pool: ConnectionPool) -> list[ScheduledJob]:
        with pool.connection() as conn:
            registered = rows(conn, "scheduler_jobs",
                              p_job_names=None if self.job_names is None else text_array(self.job_names))
        jobs = []
        for row in registered:
            if row["cron_expression"] and not croniter.is_valid(row["cron_expression"]):
                log.error("job %s: cron expression %r cannot be evaluated; skipped", row["name"], row["cron_expression"])
                continue
            jobs.append(ScheduledJob(row["name"], row["schedule"], row["period_seconds"], row["cron_expression"],
                                     row["command"], row["exclusive"]))
        return jobs

    def _apply_registry(self, fresh: list[ScheduledJob]) -> None:
        now = time.monotonic()
        with self._lock:
            merged = {}
            for job in fresh:
                current = self.jobs.get(job.name)
                if current is not None:
                    if not current.same_definition(job):
                        # changed in place: a run in progress reschedules the same object when it ends
                        current.schedule, current.period_seconds = job.schedule, job.period_seconds
                        current.cron_expression, current.command, current.exclusive = (
                            job.cron_expression, job.command, job.exclusive)
                        if not current.running:
                            self._first_due(current, now)
                    merged[job.name] = current
                else:
                    self._first_due(job, now)
                    merged[job.name] = job
            self.jobs = merged

    def _first_due(self, job: ScheduledJob, now_monotonic: float) -> None:
        if job.cron_expression:
            self._advance_cron_slot(job, _utc_now(), now_monotonic)
        else:
            job.cron_slot = None
            job.next_due = now_monotonic  # PanDA daemon: a period job runs when the scheduler starts

    @staticmethod
    def _advance_cron_slot(job: ScheduledJob, after_utc: datetime, now_monotonic: float) -> None:
        job.cron_slot = croniter(job.cron_expression, after_utc).get_next(datetime)
        job.next_due = now_monotonic + max(0.0, (job.cron_slot - _utc_now()).total_seconds())

    # -- one run -----------------------------------------------------------------------------
    def _run_job(self, job: ScheduledJob, force: bool) -> RunResult:
        """Try one run of the job on a pooled connection: lock, log, execute, log, unlock."""
        assert self._pool is not None
        with self._pool.connection() as conn:
            run_id, outcome, retry_after = conn.execute(
                "SELECT run_id, outcome, retry_after_seconds FROM doma_panda.scheduler_run_started(%s, %s, %s, %s)",
                (job.name, self.host_id, None if force else job.cron_slot, force)).fetchone()
            if outcome != "started":
                return RunResult(job.name, outcome, retry_after_seconds=retry_after)
            started = time.monotonic()
            error = None
            with self._lock:
                self._running_connections[job.name] = conn
            try:
                conn.execute(job.command)
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                    error = "the command left a transaction open; it was rolled back"
            except psycopg.Error as failure:
                error = _error_text(failure)
            finally:
                with self._lock:
                    self._running_connections.pop(job.name, None)
            seconds = time.monotonic() - started
            try:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                conn.execute("SELECT doma_panda.scheduler_run_finished(%s, %s)", (run_id, error))
            except psycopg.OperationalError:
                # the run's connection broke, and its lock went with it: record the end elsewhere
                with self._pool.connection() as other:
                    other.execute("SELECT doma_panda.scheduler_run_finished(%s, %s, false)",
                                  (run_id, error or "the connection broke during the run"))
            return RunResult(job.name, "failed" if error else "succeeded", run_id, error, seconds)

    def _attempt(self, job: ScheduledJob, force: bool) -> RunResult:
        try:
            result = self._run_job(job, force)
        except Exception as error:  # a broken database or pool must not stop the scheduler
            result = RunResult(job.name, "error", error=_error_text(error))
        self._report(result)
        return result

    def _report(self, result: RunResult) -> None:
        if result.outcome == "succeeded":
            log.info("%s succeeded in %.3f s", result.job_name, result.seconds)
        elif result.outcome == "failed":
            log.warning("%s failed in %.3f s: %s", result.job_name, result.seconds, result.error)
        elif result.outcome == "error":
            log.error("%s could not be run: %s", result.job_name, result.error)
        else:
            log.debug("%s: %s", result.job_name, result.outcome)
        if self.on_result is not None:
            self.on_result(result)

    def _reschedule(self, job: ScheduledJob, started_monotonic: float, result: RunResult) -> None:
        now = time.monotonic()
        if result.outcome == "busy":
            job.next_due = now + (result.retry_after_seconds or LOOP_TICK_SECONDS)
        elif result.outcome == "error":
            job.next_due = now + min(FAILURE_RETRY_SECONDS, job.period_seconds or FAILURE_RETRY_SECONDS)
        elif result.outcome == "disabled":
            job.next_due = now + self.registry_refresh_seconds
        elif job.cron_expression:
            # ran or already run elsewhere for this slot: the next slot from now (missed slots are not caught up)
            self._advance_cron_slot(job, max(job.cron_slot or _utc_now(), _utc_now()), now)
        elif result.outcome == "not_due":
            job.next_due = now + max(0.0, result.retry_after_seconds or 0.0)
        else:
            # period counted from the start; a run longer than its period is followed at once, never overlapped
            job.next_due = max(now, started_monotonic + job.period_seconds)

    def _run_and_reschedule(self, job: ScheduledJob) -> None:
        started = time.monotonic()
        result = self._attempt(job, force=False)
        with self._lock:
            self._reschedule(job, started, result)
            job.running = False
        self._wake.set()

    # -- loops -------------------------------------------------------------------------------
    def run_once(self) -> list[RunResult]:
        """Run every selected job once now (regardless of its schedule, still never overlapping), then return."""
        self._pool = self._open_pool()
        try:
            jobs = self._read_registry(self._pool)
            with ThreadPoolExecutor(max_workers=self.max_connections, thread_name_prefix="pandadb-job") as executor:
                return list(executor.map(lambda job: self._attempt(job, force=True), jobs))
        finally:
            self._pool.close()
            self._pool = None

    def run(self) -> None:
        """Run the jobs on their schedules until stop() (or SIGINT/SIGTERM through the CLI)."""
        self._pool = self._open_pool()
        executor = ThreadPoolExecutor(max_workers=self.max_connections, thread_name_prefix="pandadb-job")
        futures: set[Future] = set()
        try:
            self._apply_registry(self._read_registry(self._pool))
            log.info("scheduler on host %s: %d jobs", self.host_id, len(self.jobs))
            next_refresh = time.monotonic() + self.registry_refresh_seconds
            while not self._stop.is_set():
                self._wake.clear()  # before scanning: a run ending from here on wakes the wait below
                now = time.monotonic()
                if now >= next_refresh:
                    next_refresh = now + self.registry_refresh_seconds
                    try:
                        self._apply_registry(self._read_registry(self._pool))
                    except Exception as error:  # keep running the jobs we know
                        log.error("registry not refreshed: %s", _error_text(error))
                with self._lock:
                    due = [job for job in self.jobs.values() if not job.running and job.next_due <= now]
                    for job in due:
                        job.running = True
                    idle_due = [job.next_due for job in self.jobs.values() if not job.running]
                for job in due:
                    futures.add(executor.submit(self._run_and_reschedule, job))
                futures = {future for future in futures if not future.done()}
                wait = min([LOOP_TICK_SECONDS] + [max(0.0, due_at - time.monotonic()) for due_at in idle_due])
                self._wake.wait(timeout=max(wait, 0.005))
        finally:
            self._shutdown(executor, futures)

    def _shutdown(self, executor: ThreadPoolExecutor, futures: set[Future]) -> None:
        deadline = time.monotonic() + self.shutdown_grace_seconds
        pending = {future for future in futures if not future.done()}
        if pending:
            log.info("waiting up to %.0f s for %d running jobs", self.shutdown_grace_seconds, len(pending))
        while pending and time.monotonic() < deadline:
            time.sleep(0.05)
            pending = {future for future in pending if not future.done()}
        if pending:
            with self._lock:
                connections = list(self._running_connections.items())
            for name, conn in connections:
                log.warning("cancelling %s (shutdown grace period over)", name)
                try:
                    conn.cancel_safe(timeout=5)
                except Exception as error:
                    log.error("could not cancel %s: %s", name, error)
        executor.shutdown(wait=True, cancel_futures=True)
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        log.info("scheduler on host %s stopped", self.host_id)


def run_scheduler_in_thread(database_url: str, **options: Any) -> tuple[Scheduler, threading.Thread]:
    """Start a Scheduler in a daemon thread (for `pandadb run`); call .stop() then join the thread."""
    scheduler = Scheduler(database_url, **options)
    thread = threading.Thread(target=scheduler.run, name="pandadb-scheduler", daemon=True)
    thread.start()
    return scheduler, thread


__all__ = [
    "CRON_CLEANUP_JOB_NAME", "CRON_JOB_PREFIX", "CronSyncReport", "JobListing", "PgCronUnavailable",
    "REGISTRY_FILE", "RegistryFileError", "RunResult", "Scheduler", "cron_install", "cron_job_name",
    "cron_listing", "cron_uninstall", "default_host_id", "load_registry", "load_registry_sql",
    "read_registry_file", "run_scheduler_in_thread",
]
