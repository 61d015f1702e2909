"""`pandadb scheduler`: the registry run without pg_cron, with PanDA daemon semantics (seed 004 chapter 11)
to the second.

Each run asks `scheduler_run_started` on a pooled connection, which takes the job's session-level
advisory lock (per job for exclusive jobs, per job and host otherwise), executes the command on
that same connection, then `scheduler_run_finished` records the outcome and releases the lock.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from croniter import croniter
from psycopg_pool import ConnectionPool

from pandadb.procedures import rows, text_array

log = logging.getLogger("pandadb.scheduler")

# small on purpose: this runs beside the database on a 2-core machine
DEFAULT_MAX_CONNECTIONS = 3
REGISTRY_REFRESH_SECONDS = 60.0
LOOP_TICK_SECONDS = 1.0
FAILURE_RETRY_SECONDS = 5.0


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
    return datetime.now(UTC).replace(tzinfo=None)


def _error_text(error: BaseException) -> str:
    if isinstance(error, psycopg.Error):
        diag = error.diag
        message = diag.message_primary or str(error).strip()
        if diag.message_detail:
            message += f" ({diag.message_detail})"
        return f"{error.sqlstate}: {message}" if error.sqlstate else message
    return f"{type(error).__name__}: {error}"


def _reset_session(conn: psycopg.Connection) -> None:
    """A pooled connection comes back without what the last command SET."""
    conn.execute("RESET ALL")


def default_host_id() -> str:
    return socket.gethostname()


class Scheduler:
    """Runs the registry's enabled jobs (or the named ones) against one database until stopped.

    Thread-safe `stop()`; `run()` blocks. One small connection pool is shared by every run.
    """

    def __init__(
        self,
        database_url: str,
        host_id: str | None = None,
        job_names: Iterable[str] | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        shutdown_grace_seconds: float = 30.0,
        registry_refresh_seconds: float = REGISTRY_REFRESH_SECONDS,
        on_result: Callable[[RunResult], None] | None = None,
    ):
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
        # one direct connection first: a database that refuses or does not answer fails here in seconds,
        # with the driver's own reason, instead of after the pool's wait
        psycopg.connect(self.database_url, connect_timeout=5).close()
        pool = ConnectionPool(
            self.database_url,
            min_size=1,
            max_size=self.max_connections,
            open=False,
            name=f"pandadb-scheduler-{self.host_id}",
            # autocommit: the advisory lock must outlive scheduler_run_started's transaction, and
            # commands run as pg_cron runs them (a CALL may COMMIT; several statements allowed)
            kwargs={
                "autocommit": True,
                "application_name": f"pandadb scheduler {self.host_id}"[:63],
                "prepare_threshold": None,
            },
            reset=_reset_session,
        )
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
            registered = rows(
                conn, "scheduler_jobs", p_job_names=None if self.job_names is None else text_array(self.job_names)
            )
        jobs = []
        for row in registered:
            if row["cron_expression"] and not croniter.is_valid(row["cron_expression"]):
                log.error(
                    "job %s: cron expression %r cannot be evaluated; skipped", row["name"], row["cron_expression"]
                )
                continue
            jobs.append(
                ScheduledJob(
                    row["name"],
                    row["schedule"],
                    row["period_seconds"],
                    row["cron_expression"],
                    row["command"],
                    row["exclusive"],
                )
            )
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
                            job.cron_expression,
                            job.command,
                            job.exclusive,
                        )
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
            [started] = rows(
                conn,
                "scheduler_run_started",
                p_job_name=job.name,
                p_host=self.host_id,
                p_cron_slot=None if force else job.cron_slot,
                p_force=force,
            )
            run_id, outcome, retry_after = started["run_id"], started["outcome"], started["retry_after_seconds"]
            if outcome != "started":
                return RunResult(job.name, outcome, retry_after_seconds=retry_after)
            started_monotonic = time.monotonic()
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
            seconds = time.monotonic() - started_monotonic
            try:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                conn.execute("SELECT doma_panda.scheduler_run_finished(%s, %s)", (run_id, error))
            except psycopg.OperationalError:
                # the run's connection broke, and its lock went with it: record the end elsewhere
                with self._pool.connection() as other:
                    other.execute(
                        "SELECT doma_panda.scheduler_run_finished(%s, %s, false)",
                        (run_id, error or "the connection broke during the run"),
                    )
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
            job.next_due = max(now, started_monotonic + (job.period_seconds or 0.0))

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
