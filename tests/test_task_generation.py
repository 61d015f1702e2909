"""Job Generator (issue 7): splitting, scouts then avalanche, job attributes, and two generators at once."""

from __future__ import annotations

import threading

import psycopg
import pytest
from task_helpers import end_job, generate, make_task, progress, status_path, task_files, task_jobs, task_status

from pandadb.procedures import call

from job_helpers import register_queue


@pytest.fixture
def queue_db(db):
    register_queue(
        db, "GEN_QUEUE", {"corecount": 1, "maxrss": 4000, "maxtime": 200000, "maxwdir": 20000, "corepower": 12}
    )
    return db


def job_inputs(db, pandaid: int) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT lfn FROM doma_panda.filestable4 WHERE pandaid = %s AND type IN ('input', 'pseudo_input')"
            " ORDER BY row_id",
            (pandaid,),
        ).fetchall()
    ]


def job_parameters(db, pandaid: int) -> str:
    return db.execute("SELECT jobparameters FROM doma_panda.jobparamstable WHERE pandaid = %s", (pandaid,)).fetchone()[
        0
    ]


def test_n_files_per_job_avalanche_jobs_files_and_parameters(queue_db):
    db = queue_db
    task = make_task(db, n_files=5, split="NF=2", params={"skipScout": True})
    result = generate(db, task)
    assert (result["jobs"], result["status"], result["scouts"], result["sites"]) == (
        3,
        "running",
        False,
        {"GEN_QUEUE": 3},
    )
    jobs = task_jobs(db, task)
    assert [len(job_inputs(db, j["pandaid"])) for j in jobs] == [2, 2, 1]
    first = jobs[0]
    assert (
        first["jobstatus"],
        first["computingsite"],
        first["transformation"],
        first["currentpriority"],
        first["gshare"],
        first["attemptnr"],
        first["maxattempt"],
        first["specialhandling"],
    ) == ("activated", "GEN_QUEUE", "/bin/sh", 500, "Production", 1, 3, None)
    outputs = db.execute(
        "SELECT lfn, type FROM doma_panda.filestable4 WHERE pandaid = %s AND type IN ('output', 'log')"
        " ORDER BY type DESC",
        (first["pandaid"],),
    ).fetchall()
    assert outputs == [(f"user.alice.{task}._000001.out.root", "output"), (f"user.alice.{task}.log._1.tgz", "log")]
    assert job_parameters(db, first["pandaid"]) == (
        f"-i data.{task}._0000.root,data.{task}._0001.root -o user.alice.{task}._000001.out.root --seed 1"
    )
    assert job_parameters(db, jobs[2]["pandaid"]).endswith("._000003.out.root --seed 3")
    assert {status for _, status, _, _ in task_files(db, task)} == {"running"}
    assert task_files(db, task)[0][2] == first["pandaid"]
    counters = db.execute(
        "SELECT type, nfilesused, nfiles FROM doma_panda.jedi_datasets WHERE jeditaskid = %s ORDER BY datasetid",
        (task,),
    ).fetchall()
    assert counters == [("input", 5, 5), ("output", 0, 3), ("log", 0, 3)]
    assert status_path(db, task) == ["running"]
    # nothing left: a second step generates nothing
    assert generate(db, task)["jobs"] == 0


def test_n_events_per_job_groups_files_by_events(queue_db):
    db = queue_db
    task = make_task(db, n_files=5, events_per_file=100, split="NE=250", params={"skipScout": True})
    assert generate(db, task)["jobs"] == 3
    assert [len(job_inputs(db, j["pandaid"])) for j in task_jobs(db, task)] == [2, 2, 1]


def test_no_input_task_pseudo_files_one_job_per_chunk_with_events(queue_db):
    db = queue_db
    task = make_task(
        db,
        n_files=3,
        events_per_file=50,
        no_input=True,
        split="NE=50",
        params={"skipScout": True},
        template="gen --skip ${SKIPEVENTS} --first ${FIRSTEVENT} --n ${MAXEVENTS} -o ${OUTPUT0}",
    )
    assert generate(db, task)["jobs"] == 3
    jobs = task_jobs(db, task)
    assert (
        job_parameters(db, jobs[1]["pandaid"])
        == f"gen --skip 50 --first 51 --n 50 -o user.alice.{task}._000002.out.root"
    )
    # pseudo inputs are no physical files for the pilot
    description = call(db, "acquire_jobs", p_site_name="GEN_QUEUE", p_n_jobs=1, p_request={})[0]
    assert description["inFiles"] in ("", None, "NULL")


def test_job_sizing_from_queue_walltime_when_no_split_rule(db):
    # cpuTime 10 HS06s/event, 100 events/file, 10 HS06 x 1 core x 0.9: 111 s per file; maxtime 400 s -> 3 files a job
    register_queue(db, "SHORT_QUEUE", {"maxtime": 400, "corepower": 10})
    task = make_task(db, n_files=7, split=None, params={"skipScout": True}, cputime=10, cputimeunit="HS06sPerEvent")
    assert generate(db, task)["jobs"] == 3
    jobs = task_jobs(db, task)
    assert [len(job_inputs(db, j["pandaid"])) for j in jobs] == [3, 3, 1]
    assert jobs[0]["maxwalltime"] == 334  # 10 x 300 / (1 x 10 x 0.9) + 0


def test_scouts_first_then_avalanche_after_half_the_scouts(queue_db):
    db = queue_db
    task = make_task(db, n_files=6, split="NF=1", params={"nScoutJobs": 2}, ramcount=1000, ramunit="MBPerCore")
    result = generate(db, task)
    assert (result["jobs"], result["status"], result["scouts"]) == (2, "scouting", True)
    scouts = task_jobs(db, task)
    assert [j["specialhandling"] for j in scouts] == ["sj", "sj"]
    assert scouts[0]["currentpriority"] == 600  # scouts first (section 2.12)
    assert generate(db, task)["jobs"] == 0  # scouting: no more jobs until the scouts report
    end_job(db, scouts[0]["pandaid"], "finished", max_pss=2_048_000, n_events=100, tot_rbytes=10_240_000, tot_wbytes=0)
    step = progress(db, task)
    assert step["status"] == "scouted"
    assert step["tuned"]["ramCount"] == 2200  # 2000 MB x 1.1 (SCOUT_RAMCOUNT_MARGIN 10)
    assert db.execute("SELECT ramcount FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)).fetchone()[0] == 2200
    avalanche = generate(db, task)
    assert (avalanche["jobs"], avalanche["status"], avalanche["scouts"]) == (4, "running", False)
    assert status_path(db, task) == ["scouting", "scouted", "running"]
    new_jobs = [j for j in task_jobs(db, task) if j["specialhandling"] is None]
    assert len(new_jobs) == 4 and new_jobs[0]["minramcount"] == 2200


def test_fixed_ram_unit_is_not_overwritten_and_exhausted_on_low_cpu_efficiency(queue_db):
    db = queue_db
    task = make_task(
        db, n_files=2, params={"nScoutJobs": 1, "minCpuEfficiency": 50}, ramcount=1000, ramunit="MBPerCoreFixed"
    )
    generate(db, task)
    [scout] = task_jobs(db, task)
    db.execute("SELECT set_config('pandadb.clock', '2026-01-01 10:00:00', false)")
    db.execute("UPDATE doma_panda.jobsactive4 SET jobstatus = 'sent' WHERE pandaid = %s", (scout["pandaid"],))
    call(db, "update_job", p_pandaid=scout["pandaid"], p_job_status="running", p_request={})
    db.execute("SELECT set_config('pandadb.clock', '2026-01-01 11:00:00', false)")
    call(
        db,
        "update_job",
        p_pandaid=scout["pandaid"],
        p_job_status="finished",
        p_request={"max_pss": 4_096_000, "cpu_consumption_time": 360},
    )  # 10% efficiency
    step = progress(db, task)
    assert step["status"] == "exhausted"
    assert (
        "minCpuEfficiency"
        in db.execute("SELECT errordialog FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)).fetchone()[0]
    )
    assert db.execute("SELECT ramcount FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)).fetchone()[0] == 1000


def test_generate_jobs_per_share_takes_the_share_lock(queue_db, database_url):
    db = queue_db
    task = make_task(db, n_files=2, params={"skipScout": True})
    with psycopg.connect(database_url) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(hashtext('pandadb.generate_jobs'), hashtext('Production'))")
        result = call(db, "generate_jobs", p_gshare="Production")
        assert result["skipped_shares"] == ["Production"] and result["tasks"] == []
    result = call(db, "generate_jobs", p_gshare="Production")
    assert [t["jeditaskid"] for t in result["tasks"]] == [task] and result["tasks"][0]["jobs"] == 2
    db.execute("CALL doma_panda.run_job_generator()")  # nothing left: a no-op
    assert len(task_jobs(db, task)) == 2


def test_two_generators_at_once_never_duplicate_jobs_or_files(queue_db, database_url):
    db = queue_db
    db.execute("UPDATE doma_panda.config SET value = '1000' WHERE app = 'jedi' AND key = 'BROKER_QUEUED_CUTOFF'")
    tasks = [make_task(db, n_files=40, split="NF=1", params={"skipScout": True}) for _ in range(3)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def generator() -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                barrier.wait()
                for _ in range(3):
                    for task in tasks:
                        call(conn, "generate_task_jobs", p_jeditaskid=task, p_max_jobs=7)
                    conn.execute("CALL doma_panda.run_job_generator(2, 5)")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=generator) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # every file in at most one live job, every job's files its own
    per_file = db.execute(
        """SELECT f.jeditaskid, f.fileid, count(*) FROM doma_panda.filestable4 f
                             WHERE f.type = 'input' AND f.jeditaskid = ANY(%s) GROUP BY 1, 2 HAVING count(*) > 1""",
        (tasks,),
    ).fetchall()
    assert per_file == []
    for task in tasks:
        running = db.execute(
            """SELECT count(*) FROM doma_panda.jedi_dataset_contents c JOIN doma_panda.filestable4 f
                                ON f.jeditaskid = c.jeditaskid AND f.fileid = c.fileid AND f.pandaid = c.pandaid
                                WHERE c.jeditaskid = %s AND c.type = 'input' AND c.status = 'running'""",
            (task,),
        ).fetchone()[0]
        jobs = len(task_jobs(db, task))
        assert running == jobs and jobs > 0
        assert (
            db.execute(
                "SELECT nfilesused FROM doma_panda.jedi_datasets WHERE jeditaskid = %s AND type = 'input'", (task,)
            ).fetchone()[0]
            == jobs
        )
        serials = db.execute(
            "SELECT lfn FROM doma_panda.filestable4 WHERE jeditaskid = %s AND type = 'output'", (task,)
        ).fetchall()
        assert len(serials) == len(set(serials)) == jobs
        assert task_status(db, task) == "running"


def test_secondary_input_one_file_goes_to_every_job_and_stays_shared(queue_db):
    db = queue_db
    task = make_task(db, n_files=3, split="NF=1", params={"skipScout": True}, template="-i ${IN} --db ${DBR}")
    master = db.execute(
        "SELECT datasetid FROM doma_panda.jedi_datasets WHERE jeditaskid = %s AND type = 'input'", (task,)
    ).fetchone()[0]
    db.execute(
        """INSERT INTO doma_panda.jedi_datasets (jeditaskid, datasetid, datasetname, type, creationtime, modificationtime,
                  status, streamname, masterid, nfiles) VALUES (%s, 999001, 'ddo.db', 'input', now(), now(), 'ready', 'DBR', %s, 1)""",
        (task, master),
    )
    db.execute(
        """INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, type, status, fsize)
                  VALUES (%s, 999001, 999002, now(), 'DBRelease-1.tar.gz', 'input', 'ready', 10)""",
        (task,),
    )
    assert generate(db, task)["jobs"] == 3
    jobs = task_jobs(db, task)
    assert [job_inputs(db, j["pandaid"])[-1] for j in jobs] == ["DBRelease-1.tar.gz"] * 3
    assert job_parameters(db, jobs[1]["pandaid"]) == f"-i data.{task}._0001.root --db DBRelease-1.tar.gz"
    end_job(db, jobs[0]["pandaid"], "finished")
    assert db.execute(
        "SELECT status, pandaid FROM doma_panda.jedi_dataset_contents WHERE fileid = 999002"
    ).fetchone() == ("ready", None)
    assert (
        db.execute(
            "SELECT nfilesfinished FROM doma_panda.jedi_datasets WHERE jeditaskid = %s AND datasetid = %s",
            (task, master),
        ).fetchone()[0]
        == 1
    )


def test_exhausted_when_scouts_run_too_short_once_configured(queue_db):
    db = queue_db
    db.execute(
        "INSERT INTO doma_panda.config (app, component, key, value, type, vo, descr) "
        "VALUES ('jedi', 'jedi', 'SCOUT_SHORT_EXECTIME_evgen', '5', 'int', 'default', 'minutes')"
    )
    short = make_task(db, n_files=4, params={"nScoutJobs": 2}, processingtype="evgen")
    other = make_task(db, n_files=4, params={"nScoutJobs": 2}, processingtype="reco")
    for task in (short, other):
        generate(db, task)
        for job in task_jobs(db, task):
            end_job(db, job["pandaid"], "finished")  # a few milliseconds each
    assert progress(db, short)["status"] == "exhausted"
    assert (
        "SCOUT_SHORT_EXECTIME"
        in db.execute("SELECT errordialog FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (short,)).fetchone()[0]
    )
    assert progress(db, other)["status"] == "scouted"  # the limit is per activity
