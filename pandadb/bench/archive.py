"""`pandadb bench archive`: jobs/s archived by doma_panda.archive_old_partitions().

One scratch database (pandadb_bench_archive), one run:
  * --jobs archived jobs (each with 2 files, metadata and parameters) over --days old daily partitions
    for the procedure, and as many again over --days other old days for the reference;
  * reference: per table and day, a plain INSERT INTO <archive> SELECT ... FROM <live table> WHERE
    modificationtime in the day + DELETE of the same rows, one transaction per table and day;
  * procedure: CALL doma_panda.archive_old_partitions(), which copies, verifies and drops each
    partition, one transaction per step; measured first, on an empty archive;
  * the archive tables are emptied again, so that the reference starts from the same state.
Prints both rates (jobs with their files, metadata and parameters per second) and their ratio.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import click
import psycopg
from tqdm import tqdm

from pandadb.archive import candidates, run_archive
from pandadb.bench.common import load_in_chunks, scratch_database
from pandadb.db import scalar

DATABASE = "pandadb_bench_archive"
ARCHIVE_AFTER_DAYS = 3
TABLES = {  # live table -> archive table
    "jobsarchived4": "doma_pandaarch.jobsarchived",
    "filestable4": "doma_pandaarch.filestable_arch",
    "metatable": "doma_pandaarch.metatable_arch",
    "jobparamstable": "doma_pandaarch.jobparamstable_arch",
}

# job g of a set lives on day (first_day_ago + g % days) days ago, at a minute of that day
MODIFICATION_TIME = (
    "date_trunc('day', doma_panda.panda_now()) - make_interval(days => %(first_day_ago)s::int + (g %% %(days)s)::int)"
    " + make_interval(secs => (g * 7 %% 86400)::int)"
)
LOAD_SQL = {
    "jobsarchived4": f"""
        INSERT INTO doma_panda.jobsarchived4 (pandaid, modificationtime, creationtime, jobstatus, computingsite, prodsourcelabel,
                                              jeditaskid, produsername, jobname, currentpriority, cpuconsumptiontime, nevents)
        SELECT g + %(offset)s, {MODIFICATION_TIME}, {MODIFICATION_TIME} - interval '2 hours',
               (ARRAY['finished', 'finished', 'failed', 'cancelled'])[1 + g %% 4], 'BENCH_SITE_' || g %% 100, 'managed',
               1 + g %% 5000, 'user' || g %% 300, 'job_' || g, 1000 - g %% 1000, g %% 7200, g %% 500
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g""",
    "filestable4": f"""
        INSERT INTO doma_panda.filestable4 (row_id, pandaid, modificationtime, lfn, type, dataset, status, fsize, scope,
                                            jeditaskid, datasetid, fileid)
        SELECT (g + %(offset)s) * 2 + k, g + %(offset)s, {MODIFICATION_TIME}, 'file.' || g || '.' || k || '.root',
               (ARRAY['input', 'output'])[1 + k], 'bench.dataset.' || g %% 5000, 'ready', 1000000 + g, 'bench',
               1 + g %% 5000, k, g
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g, generate_series(0, 1) AS k""",
    "metatable": f"""
        INSERT INTO doma_panda.metatable (pandaid, modificationtime, metadata)
        SELECT g + %(offset)s, {MODIFICATION_TIME}, '{{"events": ' || g %% 500 || ', "files": 2}}'
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g""",
    "jobparamstable": f"""
        INSERT INTO doma_panda.jobparamstable (pandaid, modificationtime, jobparameters)
        SELECT g + %(offset)s, {MODIFICATION_TIME}, '--inputFile=file.' || g || '.0.root --maxEvents=' || g %% 500
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g""",
}


def drop_database(url: str) -> None:
    parts = urlsplit(url)
    with psycopg.connect(
        urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, "")), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def prepare_days(conn: psycopg.Connection, first_day_ago: int, days: int) -> None:
    """The daily partitions of every archived table for `days` days from `first_day_ago` days ago backwards."""
    for day in range(first_day_ago, first_day_ago + days):
        for table in TABLES:
            conn.execute(
                "SELECT doma_panda.create_partition_for_value(%s, (date_trunc('day', doma_panda.panda_now())"
                " - make_interval(days => %s))::text)",
                (f"doma_panda.{table}", day),
            )
    conn.commit()


def load_jobs(conn: psycopg.Connection, jobs: int, offset: int, first_day_ago: int, days: int, label: str) -> None:
    params = {"offset": offset, "first_day_ago": first_day_ago, "days": days}
    chunk = max(1, min(50_000, jobs))
    for table, sql in LOAD_SQL.items():
        load_in_chunks(conn, jobs, chunk, sql, f"{label}: {table}", params)


def column_list(conn: psycopg.Connection, table: str, archive: str) -> str:
    return scalar(conn, "SELECT doma_panda.archive_column_list(%s, %s)", (f"doma_panda.{table}", archive))


def reference_archive(conn: psycopg.Connection, first_day_ago: int, days: int) -> float:
    """INSERT ... SELECT + DELETE per table and day; returns seconds."""
    columns = {table: column_list(conn, table, archive) for table, archive in TABLES.items()}
    started = time.perf_counter()
    for day in range(first_day_ago, first_day_ago + days):
        for table, archive in TABLES.items():
            bounds = {"day": day}
            where = (
                "modificationtime >= date_trunc('day', doma_panda.panda_now()) - make_interval(days => %(day)s)"
                " AND modificationtime < date_trunc('day', doma_panda.panda_now()) - make_interval(days => %(day)s - 1)"
            )
            conn.execute(
                f"INSERT INTO {archive} ({columns[table]}) SELECT {columns[table]} FROM doma_panda.{table} WHERE {where}",
                bounds,
            )
            conn.execute(f"DELETE FROM doma_panda.{table} WHERE {where}", bounds)
            conn.commit()
    return time.perf_counter() - started


@click.command("archive")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1_000_000,
    show_default=True,
    help="archived jobs for each side (each with 2 files, metadata and parameters)",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="old daily partitions the jobs of each side are spread over",
)
@click.option("--keep", is_flag=True, help=f"keep the scratch database {DATABASE}")
def command(jobs: int, days: int, keep: bool) -> None:
    """Jobs/s archived by archive_old_partitions vs plain INSERT ... SELECT + DELETE."""
    url = scratch_database(DATABASE)
    # procedure: the older block of days; reference: the newer block, both past ARCHIVE_AFTER_DAYS
    reference_first_day = ARCHIVE_AFTER_DAYS + 1
    procedure_first_day = reference_first_day + days
    with psycopg.connect(url) as conn:
        click.echo(f"creating {2 * days * len(TABLES)} daily partitions ...")
        prepare_days(conn, reference_first_day, days)
        prepare_days(conn, procedure_first_day, days)
        load_jobs(conn, jobs, 0, procedure_first_day, days, "procedure data")
        load_jobs(conn, jobs, jobs, reference_first_day, days, "reference data")
        conn.execute("ANALYZE")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        click.echo(f"archive_old_partitions of {jobs} jobs over {days} days ...")
        older_than = procedure_first_day - 1
        with tqdm(total=len(candidates(conn, older_than)), unit="partition", desc="archive_old_partitions") as bar:
            started = time.perf_counter()
            run_archive(conn, older_than, lambda step: bar.update(1) if step["status"] == "dropped" else None)
            procedure_seconds = time.perf_counter() - started
        left = scalar(conn, "SELECT count(*) FROM doma_panda.jobsarchived4 WHERE pandaid <= %s", (jobs,))
        archived = scalar(conn, "SELECT count(*) FROM doma_pandaarch.jobsarchived WHERE pandaid <= %s", (jobs,))
        # the reference starts from the same empty archive as the procedure did
        conn.execute("TRUNCATE " + ", ".join(TABLES.values()))
        conn.execute("ANALYZE " + ", ".join(TABLES.values()))
    with psycopg.connect(url) as conn:
        click.echo(f"reference: INSERT ... SELECT + DELETE of {jobs} jobs over {days} days ...")
        reference_seconds = reference_archive(conn, reference_first_day, days)
    if left or archived != jobs:
        raise click.ClickException(f"archive_old_partitions left {left} jobs and archived {archived} of {jobs}")
    procedure_rate = jobs / procedure_seconds
    reference_rate = jobs / reference_seconds
    click.echo(f"archive_old_partitions (copy, verify, drop): {procedure_rate:,.0f} jobs/s ({procedure_seconds:.2f} s)")
    click.echo(f"reference INSERT ... SELECT + DELETE:        {reference_rate:,.0f} jobs/s ({reference_seconds:.2f} s)")
    click.echo(f"ratio archive_old_partitions / reference: {procedure_rate / reference_rate:.2f}")
    if not keep:
        drop_database(url)
