"""Helpers of the task tests: a refined task built by SQL (the interface the Job Generator reads), and the
steps of the task flow called by name."""

from __future__ import annotations

import itertools
import json
from typing import Any

import psycopg

from pandadb.procedures import call

__all__ = ["end_job", "generate", "make_task", "progress", "task_jobs", "task_files", "task_status", "status_path"]

_ids = itertools.count(910_000)


def make_task(
    db: psycopg.Connection,
    *,
    n_files: int = 4,
    events_per_file: int | None = 100,
    file_size: int = 1_000_000,
    no_input: bool = False,
    split: str | None = "NF=1",
    params: dict | None = None,
    status: str = "ready",
    template: str = "-i ${IN} -o ${OUTPUT0} --seed ${RNDMSEED}",
    **columns: Any,
) -> int:
    """Insert a refined task ('ready' by default) with a master input (or pseudo_input) dataset of n_files files
    (status ready), an output and a log dataset with file name templates, and a job-parameter template."""
    task = next(_ids)
    row = {
        "jeditaskid": task,
        "taskname": f"user.alice.task{task}",
        "status": status,
        "username": "alice",
        "creationdate": "now",
        "modificationtime": "now",
        "prodsourcelabel": "managed",
        "vo": "wlcg",
        "taskpriority": 500,
        "currentpriority": 500,
        "transpath": "/bin/sh",
        "corecount": 1,
        "splitrule": split,
    }
    row.update(columns)
    names = ", ".join(row)
    values = ", ".join("now() AT TIME ZONE 'UTC'" if v == "now" else "%s" for v in row.values())
    db.execute(
        f"INSERT INTO doma_panda.jedi_tasks ({names}) VALUES ({values})", [v for v in row.values() if v != "now"]
    )
    db.execute(
        "INSERT INTO doma_panda.jedi_taskparams (jeditaskid, taskparams) VALUES (%s, %s)",
        (task, json.dumps({"taskName": row["taskname"], **(params or {})})),
    )
    in_type = "pseudo_input" if no_input else "input"
    in_id, out_id, log_id = (
        db.execute("SELECT nextval('doma_panda.jedi_datasets_id_seq')").fetchone()[0] for _ in range(3)
    )
    for datasetid, name, dtype, stream in (
        (in_id, f"data.in{task}", in_type, "IN"),
        (out_id, f"user.alice.{task}.out", "output", "OUTPUT0"),
        (log_id, f"user.alice.{task}.log", "log", "LOG"),
    ):
        db.execute(
            """INSERT INTO doma_panda.jedi_datasets (jeditaskid, datasetid, datasetname, type, creationtime,
                      modificationtime, status, streamname, nfiles, nfilesused, nfilesfinished, nfilesfailed)
                      VALUES (%s, %s, %s, %s, now(), now(), 'ready', %s, %s, 0, 0, 0)""",
            (task, datasetid, name, dtype, stream, n_files if datasetid == in_id else 0),
        )
    for datasetid, tmpl in (
        (out_id, "user.alice.$JEDITASKID._${SN/P}.out.root"),
        (log_id, "user.alice.$JEDITASKID.log._${SN}.tgz"),
    ):
        db.execute(
            """INSERT INTO doma_panda.jedi_output_template (jeditaskid, datasetid, outtempid, filenametemplate, serialnr)
                      VALUES (%s, %s, nextval('doma_panda.jedi_output_template_id_seq'), %s, 1)""",
            (task, datasetid, tmpl),
        )
    for i in range(n_files):
        lfn = f"pseudo.{task}.{i}" if no_input else f"data.{task}._{i:04d}.root"
        start = i * (events_per_file or 0)
        db.execute(
            """INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, guid,
                      type, status, fsize, scope, attemptnr, maxattempt, nevents, startevent, endevent, firstevent)
                      VALUES (%s, %s, nextval('doma_panda.jedi_dataset_cont_fileid_seq'), now(), %s, gen_random_uuid()::text,
                              %s, 'ready', %s, 'data', 0, %s, %s, %s, %s, %s)""",
            (
                task,
                in_id,
                lfn,
                in_type,
                0 if no_input else file_size,
                (params or {}).get("maxAttempt", 3),
                events_per_file,
                start if no_input else None,
                start + events_per_file - 1 if no_input and events_per_file else None,
                start + 1 if no_input else None,
            ),
        )
    db.execute(
        "INSERT INTO doma_panda.jedi_jobparams_template (jeditaskid, jobparamstemplate) VALUES (%s, %s)",
        (task, template),
    )
    return task


def generate(db: psycopg.Connection, task: int, max_jobs: int | None = None) -> dict:
    return call(db, "generate_task_jobs", p_jeditaskid=task, p_max_jobs=max_jobs)


def progress(db: psycopg.Connection, task: int) -> dict | None:
    return call(db, "task_progress_step", p_jeditaskid=task)


def task_status(db: psycopg.Connection, task: int) -> str:
    return db.execute("SELECT status FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)).fetchone()[0]


def status_path(db: psycopg.Connection, task: int) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT status FROM doma_panda.tasks_statuslog WHERE jeditaskid = %s ORDER BY modificationtime", (task,)
        ).fetchall()
    ]


def task_jobs(db: psycopg.Connection, task: int, table: str = "jobsactive4") -> list[dict]:
    db.row_factory = psycopg.rows.dict_row
    try:
        return db.execute(
            f"SELECT * FROM doma_panda.{table} WHERE jeditaskid = %s ORDER BY pandaid", (task,)
        ).fetchall()
    finally:
        db.row_factory = psycopg.rows.tuple_row


def task_files(db: psycopg.Connection, task: int, types: tuple[str, ...] = ("input", "pseudo_input")) -> list[tuple]:
    """(fileid, status, pandaid, attemptnr) of the task's files of these types, by fileid."""
    return db.execute(
        "SELECT fileid, status, pandaid, attemptnr FROM doma_panda.jedi_dataset_contents"
        " WHERE jeditaskid = %s AND type = ANY(%s) ORDER BY fileid",
        (task, list(types)),
    ).fetchall()


def end_job(db: psycopg.Connection, pandaid: int, status: str = "finished", **request: Any) -> dict:
    """Dispatch-free end of an activated job: sent -> running -> final, as a pilot would report it."""
    db.execute("UPDATE doma_panda.jobsactive4 SET jobstatus = 'sent' WHERE pandaid = %s", (pandaid,))
    call(db, "update_job", p_pandaid=pandaid, p_job_status="running", p_request={})
    return call(db, "update_job", p_pandaid=pandaid, p_job_status=status, p_request=request)
