"""Scheduled database jobs: one registry, run by pg_cron where installed, by `pandadb scheduler` otherwise.

The registry is doma_panda.pandadb_scheduled_jobs, loaded from partitions/scheduled_jobs.tsv. The rules
live in procedures/postgres/scheduler.sql: schedule parsing, the pg_cron translation, and the run
bookkeeping with its advisory locks. This package only translates, in three modules:

    registry.py  read and check the registry file, load it into the database
    pg_cron.py   install / uninstall / list the registry's entries in pg_cron
    loop.py      the built-in scheduler (`pandadb scheduler`, `pandadb run --scheduler builtin`)
"""

from pandadb.scheduler.loop import (
    DEFAULT_MAX_CONNECTIONS,
    RunResult,
    ScheduledJob,
    Scheduler,
    default_host_id,
    run_scheduler_in_thread,
)
from pandadb.scheduler.pg_cron import (
    CRON_CLEANUP_JOB_NAME,
    CRON_JOB_NAME_MAX_BYTES,
    CRON_JOB_PREFIX,
    CronSyncReport,
    CronTarget,
    JobListing,
    PgCronUnavailable,
    connect_to_cron,
    cron_install,
    cron_job_name,
    cron_listing,
    cron_uninstall,
    find_cron_target,
)
from pandadb.scheduler.registry import (
    REGISTRY_COLUMNS,
    REGISTRY_FILE,
    RegistryFileError,
    load_registry,
    load_registry_sql,
    read_registry_file,
)

__all__ = [
    "CRON_CLEANUP_JOB_NAME",
    "CRON_JOB_NAME_MAX_BYTES",
    "CRON_JOB_PREFIX",
    "DEFAULT_MAX_CONNECTIONS",
    "REGISTRY_COLUMNS",
    "REGISTRY_FILE",
    "CronSyncReport",
    "CronTarget",
    "JobListing",
    "PgCronUnavailable",
    "RegistryFileError",
    "RunResult",
    "ScheduledJob",
    "Scheduler",
    "connect_to_cron",
    "cron_install",
    "cron_job_name",
    "cron_listing",
    "cron_uninstall",
    "default_host_id",
    "find_cron_target",
    "load_registry",
    "load_registry_sql",
    "read_registry_file",
    "run_scheduler_in_thread",
]
