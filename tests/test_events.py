"""The event service in SQL (procedures/postgres/events.sql): ranges of a jobset created, acquired by the
consumer jobs' pilots (never twice, also with 32 concurrent pilots), reported, and settled when the job ends."""

from __future__ import annotations

import re
import threading
from collections import Counter

import psycopg
import pytest

from cli_helpers import run_cli
from conftest import url_for_database
from job_helpers import acquire, bigint_ids, call, expect_refusal, job_spec, register_queue, submit, update

QUEUE = "ES_QUEUE"
TASK = 4242
JOBSET = 9000001
DATASET = 77


def es_task(db: psycopg.Connection, task: int = TASK, status: str = "running", vo: str = "atlas") -> None:
    db.execute(
        "INSERT INTO doma_panda.jedi_tasks (jeditaskid, status, username, creationdate, modificationtime, vo, "
        "eventservice) VALUES (%s, %s, 'alice', now(), now(), %s, 1)",
        (task, status, vo),
    )
    db.execute(
        "INSERT INTO doma_panda.jedi_datasets (jeditaskid, datasetid, datasetname, type, creationtime, "
        "modificationtime, neventsused) VALUES (%s, %s, 'mc.evnt', 'input', now(), now(), 0)",
        (task, DATASET),
    )


def es_files(n_files: int, task: int = TASK) -> list[dict]:
    return [
        {
            "lfn": f"EVNT.{task}._{i:06d}.pool.root",
            "type": "input",
            "fileid": 1000 + i,
            "datasetid": DATASET,
            "jeditaskid": task,
            "guid": f"00000000-0000-0000-0000-{i:012d}",
            "scope": "mc23",
        }
        for i in range(n_files)
    ]


def es_jobs(
    db: psycopg.Connection, n_jobs: int, n_files: int = 2, task: int = TASK, jobset: int = JOBSET, queue: str = QUEUE
) -> list[int]:
    """n consumer jobs of one jobset, each listing the jobset's input files, dispatched ('running')."""
    specs = [
        job_spec(queue, jediTaskID=task, jobsetID=jobset, eventService=1, vo="atlas", files=es_files(n_files, task))
        for _ in range(n_jobs)
    ]
    pandaids = submit(db, *specs)
    acquired = acquire(db, queue, n_jobs)
    assert sorted(d["PandaID"] for d in acquired) == sorted(pandaids)
    assert all(d["eventService"] == "True" for d in acquired)
    for pandaid in pandaids:
        update(db, pandaid, "running", node="wn-1")
    return pandaids


def create_ranges(db, n_files: int, n_events: int, per_range: int, task: int = TASK, jobset: int = JOBSET) -> int:
    files = [{"fileid": 1000 + i, "datasetid": DATASET, "nevents": n_events} for i in range(n_files)]
    return call(
        db, "create_event_ranges", p_jeditaskid=task, p_jobsetid=jobset, p_files=files, p_n_events_per_range=per_range
    )


def ranges(db, pandaid: int, n: int = 10, **kw) -> list[dict]:
    return call(db, "acquire_event_ranges", p_pandaid=pandaid, p_jobsetid=kw.pop("jobset", JOBSET), p_n_ranges=n, **kw)


def statuses(db, task: int = TASK) -> Counter:
    return Counter(
        dict(
            db.execute(
                "SELECT doma_panda.event_status_name(status), count(*) FROM doma_panda.jedi_events "
                "WHERE jeditaskid = %s GROUP BY 1",
                (task,),
            ).fetchall()
        )
    )


@pytest.fixture
def es(db):
    register_queue(db, QUEUE)
    es_task(db)
    return db


def test_ranges_are_created_acquired_in_order_and_described(es):
    [job] = es_jobs(es, 1)
    assert create_ranges(es, 2, 25, 10) == 6  # 10 + 10 + 5 per file
    assert create_ranges(es, 2, 25, 10) == 0  # idempotent
    got = ranges(es, job, 4)
    assert [r["eventRangeID"] for r in got] == [
        f"{TASK}-{job}-1000-0-1",
        f"{TASK}-{job}-1000-10-1",
        f"{TASK}-{job}-1000-20-1",
        f"{TASK}-{job}-1001-0-1",
    ]
    assert got[2] == {
        "eventRangeID": f"{TASK}-{job}-1000-20-1",
        "startEvent": 20,
        "lastEvent": 24,
        "LFN": f"EVNT.{TASK}._000000.pool.root",
        "GUID": "00000000-0000-0000-0000-000000000000",
        "scope": "mc23",
    }
    assert call(es, "get_available_event_range_count", p_pandaid=job, p_jobsetid=JOBSET, p_jeditaskid=TASK) == 2
    scattered = ranges(es, job, 2, p_scattered=True)
    assert [r["startEvent"] for r in scattered] == [10, 20]
    assert ranges(es, job, 5) == []
    assert statuses(es) == {"sent": 6}


def test_bad_calls_are_refused_without_change(es):
    [job] = es_jobs(es, 1)
    create_ranges(es, 1, 10, 5)
    expect_refusal(es, "PD002", "acquire_event_ranges", p_pandaid=job, p_jobsetid=JOBSET + 1)
    expect_refusal(es, "PD002", "acquire_event_ranges", p_pandaid=job, p_jobsetid=JOBSET, p_n_ranges=0)
    expect_refusal(es, "PD003", "acquire_event_ranges", p_pandaid=999999999, p_jobsetid=JOBSET)
    expect_refusal(es, "PD005", "acquire_event_ranges", p_pandaid=job, p_jobsetid=JOBSET, p_requester_vo="cms")
    expect_refusal(
        es,
        "PD003",
        "create_event_ranges",
        p_jeditaskid=TASK,
        p_jobsetid=JOBSET,
        p_files=[{"fileid": 5, "datasetid": DATASET, "nevents": 3}],
        p_n_events_per_range=1,
    )
    expect_refusal(
        es,
        "PD002",
        "create_event_ranges",
        p_jeditaskid=TASK,
        p_jobsetid=JOBSET,
        p_files=[{"fileid": 1000, "datasetid": DATASET}],
        p_n_events_per_range=1,
    )
    [r] = ranges(es, job, 1)
    expect_refusal(es, "PD002", "update_single_event_range", p_event_range_id="1-2-3", p_event_range_status="finished")
    expect_refusal(
        es, "PD002", "update_single_event_range", p_event_range_id=r["eventRangeID"], p_event_range_status="done"
    )
    # the whole bulk call is refused when one element is malformed: the good one is not applied either
    expect_refusal(
        es,
        "PD002",
        "update_event_ranges",
        p_event_ranges=[
            {"eventRangeID": r["eventRangeID"], "eventStatus": "finished"},
            {"eventRangeID": r["eventRangeID"], "eventStatus": "finished", "coreCount": "eight"},
        ],
    )
    assert statuses(es) == {"sent": 1, "ready": 1}


def test_transitions_single_and_bulk(es):
    [job] = es_jobs(es, 1)
    create_ranges(es, 1, 40, 10)
    a, b, c, d = (r["eventRangeID"] for r in ranges(es, job, 4))
    assert call(es, "update_single_event_range", p_event_range_id=a, p_event_range_status="running") == {
        "Command": None
    }
    assert call(
        es,
        "update_single_event_range",
        p_event_range_id=a,
        p_event_range_status="finished",
        p_core_count=8,
        p_cpu_consumption_time=12.5,
        p_object_store_id=3,
    ) == {"Command": None}
    # illegal: finished -> running, and a range ID of another attempt
    message = expect_refusal(
        es, "PD004", "update_single_event_range", p_event_range_id=a, p_event_range_status="running"
    )
    assert "cannot go from finished to running" in message
    expect_refusal(
        es, "PD004", "update_single_event_range", p_event_range_id=b[:-1] + "7", p_event_range_status="finished"
    )
    result = call(
        es,
        "update_event_ranges",
        p_event_ranges=[
            {"eventRangeID": b, "eventStatus": "finished", "cpuConsumptionTime": 10},
            {"eventRangeID": c, "eventStatus": "fatal", "errorCode": 1305, "errorDiag": "payload crashed"},
            {"eventRangeID": a, "eventStatus": "failed"},  # illegal: already finished
            {"eventRangeID": d, "eventStatus": "running"},
        ],
    )
    assert result["Returns"] == [True, True, False, True]
    assert result["Commands"] == {str(job): None}
    assert "cannot go from finished to failed" in result["Errors"][a]
    unknown = call(
        es,
        "update_event_ranges",
        p_event_ranges=[{"eventRangeID": f"{TASK}-99999999-1000-0-1", "eventStatus": "finished"}],
    )
    assert unknown["Returns"] == [False] and unknown["Commands"] == {"99999999": "tobekilled"}
    assert statuses(es) == {"finished": 2, "fatal": 1, "running": 1}
    row = es.execute(
        "SELECT nevents, cpuconsumptiontime, actualcorecount FROM doma_panda.jobsactive4 WHERE pandaid = %s", (job,)
    ).fetchone()
    assert row == (20, 23, 8)  # two finished ranges of 10 events; 12.5 + 10 CPU seconds (rounded column)
    statuses_of_job = call(es, "get_event_range_statuses", p_job_task_ids=[{"task_id": TASK, "job_id": job}])
    assert statuses_of_job[str(job)][c] == {"status": "fatal", "error": 1305, "dialog": "payload crashed"}
    assert statuses_of_job[str(job)][a]["status"] == "finished"


def test_failed_ranges_are_retried_up_to_the_attempt_limit_then_fatal(es):
    es.execute(
        "INSERT INTO doma_panda.config (app, component, key, value, type, vo, descr) "
        "VALUES ('pandaserver', 'event', 'MAX_ATTEMPTS_EVENT_RANGE', '2', 'int', 'default', 'test')"
    )
    [job] = es_jobs(es, 1)
    create_ranges(es, 1, 5, 5)
    [first] = ranges(es, job, 1)
    call(es, "update_single_event_range", p_event_range_id=first["eventRangeID"], p_event_range_status="failed")
    assert statuses(es) == {"failed": 1}
    [second] = ranges(es, job, 1)
    assert second["eventRangeID"] == f"{TASK}-{job}-1000-0-2"
    call(es, "update_single_event_range", p_event_range_id=second["eventRangeID"], p_event_range_status="failed")
    assert statuses(es) == {"fatal": 1}
    assert ranges(es, job, 1) == []


def test_version_1_zip_files_and_version_2_unsent_ranges(es):
    [job] = es_jobs(es, 1)
    create_ranges(es, 1, 30, 10)
    [a] = ranges(es, job, 1)
    result = call(
        es,
        "update_event_ranges",
        p_version=1,
        p_event_ranges=[
            {
                "zipFile": {"lfn": "EVNT.zip", "objstoreID": 5, "fsize": 1234, "adler32": "0a0b0c0d"},
                "eventRanges": [{"eventRangeID": a["eventRangeID"], "eventStatus": "finished"}],
            }
        ],
    )
    assert result["Returns"] == [True]
    zip_row = es.execute(
        "SELECT f.lfn, f.type, f.fsize FROM doma_panda.jedi_events e JOIN doma_panda.filestable4 f "
        "ON f.row_id = e.ziprow_id WHERE e.job_processid = 0"
    ).fetchone()
    assert zip_row == ("EVNT.zip", "zipoutput", 1234)
    # version 2: the job reports a range of its jobset it was never sent; version 0 may not
    unsent = f"{TASK}-{job}-1000-10-0"
    assert call(es, "update_event_ranges", p_event_ranges=[{"eventRangeID": unsent, "eventStatus": "finished"}])[
        "Returns"
    ] == [False]
    assert call(
        es, "update_event_ranges", p_version=2, p_event_ranges=[{"eventRangeID": unsent, "eventStatus": "finished"}]
    )["Returns"] == [True]
    assert statuses(es) == {"finished": 2, "ready": 1}


def test_job_end_settles_its_ranges_and_the_jobs_count_their_events(es):
    job_a, job_b = es_jobs(es, 2)
    create_ranges(es, 1, 40, 10)
    done_a, open_a = (r["eventRangeID"] for r in ranges(es, job_a, 2))
    call(es, "update_single_event_range", p_event_range_id=done_a, p_event_range_status="finished")
    call(es, "update_single_event_range", p_event_range_id=open_a, p_event_range_status="running")
    update(es, job_a, "failed", pilot_error_code=1, pilot_error_diag="lost heartbeat")
    assert statuses(es) == {"done": 1, "ready": 3}
    assert es.execute("SELECT nevents FROM doma_panda.jobsarchived4 WHERE pandaid = %s", (job_a,)).fetchone() == (10,)
    # the range that job A did not finish goes to job B, at its second attempt
    got = ranges(es, job_b, 10)
    assert f"{TASK}-{job_b}-1000-10-2" in [r["eventRangeID"] for r in got] and len(got) == 3
    for r in got:
        call(es, "update_single_event_range", p_event_range_id=r["eventRangeID"], p_event_range_status="finished")
    update(es, job_b, "finished")
    assert statuses(es) == {"done": 4}
    assert es.execute("SELECT nevents FROM doma_panda.jobsarchived4 WHERE pandaid = %s", (job_b,)).fetchone() == (30,)
    assert ranges(es, job_b, 1) == []  # an ended job gets nothing


def test_job_end_of_a_killed_task_cancels_the_unprocessed_ranges(es):
    [job] = es_jobs(es, 1)
    create_ranges(es, 1, 30, 10)
    got = ranges(es, job, 2)
    call(es, "update_single_event_range", p_event_range_id=got[0]["eventRangeID"], p_event_range_status="finished")
    es.execute("UPDATE doma_panda.jedi_tasks SET status = 'aborting' WHERE jeditaskid = %s", (TASK,))
    call(es, "kill_jobs", p_pandaids=bigint_ids([job]), p_requester="alice", p_is_production=True)
    update(es, job, "failed", pilot_error_code=1)
    assert statuses(es) == {"done": 1, "cancelled": 2}


def test_32_concurrent_pilots_never_get_the_same_range(es, database_url):
    n_pilots = 32
    pilots = es_jobs(es, n_pilots, n_files=4)
    assert create_ranges(es, 4, 1000, 5) == 800
    handed: list[tuple[int, str]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(n_pilots)

    def pilot(pandaid: int) -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                start.wait()
                while True:
                    got = call(conn, "acquire_event_ranges", p_pandaid=pandaid, p_jobsetid=JOBSET, p_n_ranges=3)
                    if not got:
                        return
                    with lock:
                        handed.extend((pandaid, r["eventRangeID"]) for r in got)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=pilot, args=(p,)) for p in pilots]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    ids = [range_id for _, range_id in handed]
    assert len(ids) == 800
    keys = Counter("-".join(i.split("-")[2:4]) for i in ids)  # fileid-job_processid: the range itself
    assert len(keys) == 800 and max(keys.values()) == 1
    assert all(i.split("-")[1] == str(p) for p, i in handed)  # each ID names the pilot's job
    assert len({p for p, _ in handed}) > 1  # the work was shared
    assert statuses(es) == {"sent": 800}


def test_status_names_and_codes(db):
    # PanDA's EventServiceUtils codes, both directions
    names = [
        "ready",
        "sent",
        "running",
        "finished",
        "cancelled",
        "discarded",
        "done",
        "failed",
        "fatal",
        "merged",
        "corrupted",
        "reserved_fail",
        "reserved_get",
    ]
    got = db.execute(
        "SELECT n, doma_panda.event_status_code(n), doma_panda.event_status_name(doma_panda.event_status_code(n)) "
        "FROM unnest(%s::text[]) n",
        (names,),
    ).fetchall()
    assert got == [(name, code, name) for code, name in enumerate(names)]
    assert db.execute("SELECT doma_panda.event_status_code('nonsense')").fetchone() == (None,)


# `pandadb bench events` on tiny sizes: both scenarios run and print figures and the ratio (no timing asserted)
def test_bench_events_prints_both_scenarios_and_the_ratio(server_url, tmp_path):
    result = run_cli(
        "pandadb",
        "bench",
        "events",
        "--ranges",
        "20000",
        "--clients",
        "2",
        "--seconds",
        "0.5",
        "--database",
        "pandadb_bench_events_test",
        env={"PANDADB_URL": url_for_database(server_url, "postgres"), "PANDADB_HOME": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = dict(re.findall(r"^([ab]) \w+\s+([\d,]+) ranges/s", result.stdout, flags=re.MULTILINE))
    assert set(figures) == {"a", "b"}, result.stdout
    assert all(int(value.replace(",", "")) > 0 for value in figures.values()), "both scenarios acquired ranges"
    assert re.search(r"b/a = \d+\.\d\d", result.stdout)


def test_event_api_answers_and_refusals(es, api):
    [job] = es_jobs(es, 1)
    create_ranges(es, 1, 6, 2)
    prod = ("production",)
    acquire_body = {"job_id": job, "jobset_id": JOBSET, "task_id": TASK, "n_ranges": 2}
    assert api.post("/api/v1/event/acquire_event_ranges", acquire_body, groups=()).status_code == 403  # production role
    assert (
        api.post("/api/v1/event/acquire_event_ranges", acquire_body, vo="cms", groups=prod).status_code == 403
    )  # other VO
    answer = api.post("/api/v1/event/acquire_event_ranges", acquire_body, groups=prod)
    assert answer.status_code == 200 and answer.json["success"]
    first, second = (r["eventRangeID"] for r in answer.json["data"])
    count = api.get(
        "/api/v1/event/get_available_event_range_count",
        {"job_id": job, "jobset_id": JOBSET, "task_id": TASK},
        groups=prod,
    )
    assert count.json["data"] == 1
    single = api.post(
        "/api/v1/event/update_single_event_range",
        {"event_range_id": first, "event_range_status": "finished", "cpu_consumption_time": 1.5},
        groups=prod,
    )
    assert single.json == {"success": True, "message": "", "data": {"Command": None}}
    illegal = api.post(
        "/api/v1/event/update_single_event_range",
        {"event_range_id": first, "event_range_status": "running"},
        groups=prod,
    )
    assert (
        illegal.status_code == 200
        and not illegal.json["success"]
        and "cannot go from finished" in illegal.json["message"]
    )
    bulk = api.post(
        "/api/v1/event/update_event_ranges",
        {"event_ranges": f'[{{"eventRangeID": "{second}", "eventStatus": "failed", "errorCode": 65}}]'},
        groups=prod,
    )
    assert bulk.json["data"]["Returns"] == [True]
    assert api.post("/api/v1/event/update_event_ranges", {"event_ranges": "not json"}, groups=prod).status_code == 400
    bad_id = api.post(
        "/api/v1/event/update_single_event_range",
        {"event_range_id": "x", "event_range_status": "finished"},
        groups=prod,
    )
    assert (
        not bad_id.json["success"]
        and "eventRangeID" not in bad_id.json["message"]
        and "event_range_id" in bad_id.json["message"]
    )
    statuses_answer = api.get(
        "/api/v1/event/get_event_range_statuses", {"job_task_ids": f'[{{"task_id": {TASK}, "job_id": {job}}}]'}
    )
    assert statuses_answer.json["data"] == {str(job): {first: {"status": "finished", "error": None, "dialog": None}}}
    assert api.get("/api/v1/event/get_event_range_statuses", {"job_task_ids": "[1]"}).json["success"] is False
