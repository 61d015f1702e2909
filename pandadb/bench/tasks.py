"""`pandadb bench tasks`: how fast the Job Generator turns a task's input files into jobs.

Measured in one run, on one database, for the same job rows:
  (a) raw:       a plain INSERT ... SELECT of the generated job rows, their files and job parameters into
                 copies of jobsactive4, filestable4 and jobparamstable (same columns, same indexes)
  (b) generator: doma_panda.generate_task_jobs steps (brokerage, splitting, naming, job parameters, files,
                 status log, task file bookkeeping) until the task's input is used up
and prints jobs/s for each and the ratio b/a. The task has --files input files split by nFilesPerJob.
"""

from __future__ import annotations

import json
import time
from typing import Any

import click
import psycopg
from tqdm import tqdm

from pandadb.bench.common import load_in_chunks, scratch_database

TASK = 1


def _value(conn: psycopg.Connection, sql: str, params: tuple) -> Any:
    """The first column of the one row a query returns."""
    row = conn.execute(sql, params).fetchone()
    if row is None:
        raise click.ClickException(f"no row for {sql}")
    return row[0]


LOAD_FILES_SQL = """
INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, guid, type, status,
                                              fsize, scope, attemptnr, maxattempt, nevents, proc_status)
SELECT %(task)s, %(dataset)s, nextval('doma_panda.jedi_dataset_cont_fileid_seq'), now() AT TIME ZONE 'UTC',
       'data.bench._' || lpad(g::text, 7, '0') || '.root', md5(g::text), 'input', 'ready', 1000000, 'data', 0, 3, 100, 'ready'
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""


def prepare(url: str, files: int, files_per_job: int) -> None:
    """A queue, a refined 'ready' task (skipScout) with its datasets, templates and input files."""
    with psycopg.connect(url) as conn:
        conn.execute("SELECT doma_panda.register_site('BENCH_SITE')")
        conn.execute("SELECT doma_panda.register_panda_queue('BENCH_TASKS', 'BENCH_SITE', '{\"corecount\": 1}'::jsonb)")
        # one queue takes every job of the run: the "too many activated" skip rule would make the task pending
        conn.execute(
            "UPDATE doma_panda.config SET value = '1000000000' WHERE app = 'jedi' AND key = 'BROKER_QUEUED_CUTOFF'"
        )
        conn.execute(
            "INSERT INTO doma_panda.jedi_tasks (jeditaskid, taskname, status, username, creationdate, modificationtime, "
            "prodsourcelabel, vo, taskpriority, currentpriority, transpath, corecount, splitrule, ramcount, ramunit) "
            "VALUES (%s, 'bench.task', 'ready', 'bench', now(), now(), 'managed', 'wlcg', 500, 500, '/bin/true', 1, "
            "%s, 1000, 'MBPerCore')",
            (TASK, f"NF={files_per_job},US=1"),
        )
        conn.execute(
            "INSERT INTO doma_panda.jedi_taskparams (jeditaskid, taskparams) VALUES (%s, %s)",
            (TASK, json.dumps({"taskName": "bench.task", "skipScout": True})),
        )
        ids = {}
        for name, dtype, stream in (
            ("data.bench", "input", "IN"),
            ("bench.out", "output", "OUTPUT0"),
            ("bench.log", "log", "LOG"),
        ):
            ids[dtype] = _value(
                conn,
                "INSERT INTO doma_panda.jedi_datasets (jeditaskid, datasetid, datasetname, type, creationtime, modificationtime, "
                "status, streamname, nfiles, nfilesused, nfilesfinished, nfilesfailed) VALUES (%s, "
                "nextval('doma_panda.jedi_datasets_id_seq'), %s, %s, now(), now(), 'ready', %s, %s, 0, 0, 0) RETURNING datasetid",
                (TASK, name, dtype, stream, files if dtype == "input" else 0),
            )
        for dtype, template in (
            ("output", "bench.$JEDITASKID._${SN/P}.root"),
            ("log", "bench.$JEDITASKID.log._${SN}.tgz"),
        ):
            conn.execute(
                "INSERT INTO doma_panda.jedi_output_template (jeditaskid, datasetid, outtempid, filenametemplate, serialnr) "
                "VALUES (%s, %s, nextval('doma_panda.jedi_output_template_id_seq'), %s, 1)",
                (TASK, ids[dtype], template),
            )
        conn.execute(
            "INSERT INTO doma_panda.jedi_jobparams_template (jeditaskid, jobparamstemplate) "
            "VALUES (%s, '-i ${IN} -o ${OUTPUT0} --seed ${RNDMSEED}')",
            (TASK,),
        )
        conn.commit()
        load_in_chunks(conn, files, 100_000, LOAD_FILES_SQL, "input files", {"task": TASK, "dataset": ids["input"]})
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE doma_panda.jedi_dataset_contents")


def measure_generator(url: str, files: int, jobs_per_step: int) -> tuple[int, float]:
    """(jobs, seconds) of generate_task_jobs steps until no input is left."""
    jobs = 0
    with (
        psycopg.connect(url, autocommit=True) as conn,
        tqdm(total=files, desc="input files used", unit="files", unit_scale=True) as bar,
    ):
        start = time.perf_counter()
        while True:
            result = _value(conn, "SELECT doma_panda.generate_task_jobs(%s, %s)", (TASK, jobs_per_step))
            if not result["jobs"]:
                if result.get("status") == "pending":
                    raise click.ClickException(f"the task went pending: {result['reason']}")
                break
            jobs += result["jobs"]
            used = _value(
                conn,
                "SELECT nfilesused FROM doma_panda.jedi_datasets WHERE jeditaskid = %s AND type = 'input'",
                (TASK,),
            )
            bar.update(used - bar.n)
        return jobs, time.perf_counter() - start


def measure_raw(url: str) -> tuple[int, float]:
    """(jobs, seconds) of a plain INSERT ... SELECT of the generated rows into indexed copies of the job tables."""
    with psycopg.connect(url) as conn:
        for table in ("jobsactive4", "filestable4", "jobparamstable"):
            conn.execute(f"CREATE TABLE bench_raw_{table} (LIKE doma_panda.{table} INCLUDING ALL)")
        conn.commit()
        click.echo("measuring a raw INSERT ... SELECT of the same job rows, files and parameters ...")
        start = time.perf_counter()
        jobs = conn.execute(
            "INSERT INTO bench_raw_jobsactive4 SELECT * FROM doma_panda.jobsactive4 WHERE jeditaskid = %s", (TASK,)
        ).rowcount
        conn.execute(
            "INSERT INTO bench_raw_filestable4 SELECT * FROM doma_panda.filestable4 WHERE jeditaskid = %s", (TASK,)
        )
        conn.execute(
            "INSERT INTO bench_raw_jobparamstable SELECT p.* FROM doma_panda.jobparamstable p "
            "JOIN doma_panda.jobsactive4 j ON j.pandaid = p.pandaid WHERE j.jeditaskid = %s",
            (TASK,),
        )
        conn.commit()
        return jobs, time.perf_counter() - start


@click.command("tasks")
@click.option("--files", default=100_000, show_default=True, help="input files of the task")
@click.option("--files-per-job", default=1, show_default=True, help="nFilesPerJob of the task")
@click.option(
    "--jobs-per-step", default=10_000, show_default=True, help="jobs generated in one generate_task_jobs call"
)
@click.option(
    "--database", default="pandadb_bench_tasks", show_default=True, help="scratch database (dropped and recreated)"
)
def command(files: int, files_per_job: int, jobs_per_step: int, database: str) -> None:
    """Jobs/s generated from a task: generate_task_jobs vs a plain INSERT ... SELECT of the same job rows, same run."""
    url = scratch_database(database)
    prepare(url, files, files_per_job)
    click.echo(f"measuring b generate_task_jobs over {files} input files, {jobs_per_step} jobs per step ...")
    jobs, generator_seconds = measure_generator(url, files, jobs_per_step)
    raw_jobs, raw_seconds = measure_raw(url)
    if raw_jobs != jobs:
        raise click.ClickException(f"the reference copied {raw_jobs} jobs, the generator made {jobs}")
    raw = jobs / raw_seconds
    generator = jobs / generator_seconds
    click.echo(f"\nfiles={files} files_per_job={files_per_job} jobs={jobs} jobs_per_step={jobs_per_step}")
    click.echo(f"a raw        {raw:>12,.0f} jobs/s")
    click.echo(f"b generator  {generator:>12,.0f} jobs/s   b/a = {generator / raw:.2f}")
