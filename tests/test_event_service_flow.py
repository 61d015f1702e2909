"""An event-service job set run to the end by real pilots over the real server: the consumer jobs of one
jobset (eventService, submitted through job/submit), their event ranges created with create_event_ranges (the
job generator's contract), three concurrent `pandapilot` processes acquiring ranges over HTTP, running a payload
per range and reporting them; every range is processed exactly once and ends 'done'."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

PANDAPILOT = str(Path(sys.executable).parent / "pandapilot")
QUEUE = "ES_FLOW_QUEUE"
TASK, JOBSET, DATASET = 5151, 7000001, 31
N_FILES, N_EVENTS, PER_RANGE, N_JOBS = 2, 12, 3, 3


def test_event_service_jobset_runs_to_done_with_real_pilots(api_server, tmp_path):
    db_url = api_server.database_url
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SELECT doma_panda.register_site('ES_SITE')")
        conn.execute("SELECT doma_panda.register_panda_queue(%s, 'ES_SITE', %s)", (QUEUE, Jsonb({})))
        conn.execute(
            "INSERT INTO doma_panda.jedi_tasks (jeditaskid, status, username, creationdate, modificationtime, vo, "
            "eventservice) VALUES (%s, 'running', 'prodsys', now(), now(), 'atlas', 1)",
            (TASK,),
        )
        conn.execute(
            "INSERT INTO doma_panda.jedi_datasets (jeditaskid, datasetid, datasetname, type, creationtime, "
            "modificationtime, nevents) VALUES (%s, %s, 'mc.evnt', 'input', now(), now(), %s)",
            (TASK, DATASET, N_FILES * N_EVENTS),
        )
    files = [
        {
            "lfn": f"EVNT._{i:06d}.pool.root",
            "type": "input",
            "fileID": 100 + i,
            "datasetID": DATASET,
            "GUID": f"guid-{i}",
            "scope": "mc23",
        }
        for i in range(N_FILES)
    ]
    payload = 'echo "$EVENT_RANGE_ID $INPUT_LFN $FIRST_EVENT $LAST_EVENT" > "processed.$EVENT_RANGE_ID"'
    specs = [
        {
            "jobName": f"es.consumer.{n}",
            "computingSite": QUEUE,
            "prodSourceLabel": "managed",
            "jobStatus": "activated",
            "jediTaskID": TASK,
            "jobsetID": JOBSET,
            "eventService": 1,
            "transformation": "/bin/sh",
            "jobParameters": f"-c '{payload}'",
            "files": files,
        }
        for n in range(N_JOBS)
    ]
    with api_server.client(headers=api_server.headers(user="prodsys", groups=("production",))) as client:
        envelope = client.post("/api/v1/job/submit", json={"jobs": specs}).json()
    assert envelope["success"], envelope
    pandaids = [job["PandaID"] for job in envelope["data"]]
    with psycopg.connect(db_url, autocommit=True) as conn:
        created = conn.execute(
            "SELECT doma_panda.create_event_ranges(%s, %s, %s, %s)",
            (
                TASK,
                JOBSET,
                Jsonb([{"fileid": 100 + i, "datasetid": DATASET, "nevents": N_EVENTS} for i in range(N_FILES)]),
                PER_RANGE,
            ),
        ).fetchone()[0]
    assert created == N_FILES * N_EVENTS // PER_RANGE

    token = tmp_path / "token"
    token.write_text(api_server.token(user="pilot-atlas", vo="atlas", groups=("pilot",)))
    workdir = tmp_path / "work"
    result = subprocess.run(
        [
            PANDAPILOT,
            "--url",
            api_server.base_url,
            "--queue",
            QUEUE,
            "--token-file",
            str(token),
            "--vo",
            "atlas",
            "--heartbeat",
            "0.5",
            "--workdir",
            str(workdir),
            "--pilots",
            str(N_JOBS),
            "--max-jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    with psycopg.connect(db_url, autocommit=True) as conn:
        jobs = dict(
            conn.execute(
                "SELECT pandaid, jobstatus FROM doma_panda.jobsarchived4 WHERE pandaid = ANY(%s)", (pandaids,)
            ).fetchall()
        )
        events = conn.execute(
            "SELECT doma_panda.event_status_name(status), pandaid, fileid, def_min_eventid, "
            "def_max_eventid, attemptnr FROM doma_panda.jedi_events WHERE jeditaskid = %s",
            (TASK,),
        ).fetchall()
        nevents = conn.execute(
            "SELECT sum(nevents) FROM doma_panda.jobsarchived4 WHERE pandaid = ANY(%s)", (pandaids,)
        ).fetchone()[0]
    finished_jobs = [p for p, status in jobs.items() if status == "finished"]
    assert finished_jobs, (jobs, result.stdout, result.stderr[-2000:])
    assert all(status in ("finished", "failed") for status in jobs.values()) and len(jobs) == N_JOBS
    assert Counter(e[0] for e in events) == {"done": created}
    assert all(e[1] in finished_jobs for e in events)  # every range belongs to the job that processed it
    assert nevents == N_FILES * N_EVENTS  # each job counted the events of the ranges it finished

    # each range was run exactly once, by the pilot of the job it was sent to, with its own input and events
    outputs = sorted(workdir.glob("PanDA_Pilot-*/processed.*"))
    assert len(outputs) == created
    seen = Counter()
    for path in outputs:
        range_id, lfn, first, last = path.read_text().split()
        task, pandaid, fileid, _, _ = range_id.split("-")
        assert int(task) == TASK and path.parent.name == f"PanDA_Pilot-{pandaid}"
        assert lfn == f"EVNT._{int(fileid) - 100:06d}.pool.root" and int(last) - int(first) + 1 == PER_RANGE
        seen[(fileid, first)] += 1
    assert len(seen) == created and max(seen.values()) == 1


def test_event_service_task_submitted_over_http_runs_to_done_with_real_pilots(api_server, tmp_path):
    """task/submit with eventService and nEventsPerRange -> Task Refiner, Contents Feeder, Job Generator (which hands
    the jobs to event_service_jobs_generated: consumers of the task's jobset and their ranges) -> pilots run the ranges
    -> every range done, the task done."""
    server = api_server
    with psycopg.connect(server.database_url, autocommit=True) as conn:
        conn.execute("SELECT doma_panda.register_site('ES_TASK_SITE')")
        conn.execute(
            "SELECT doma_panda.register_panda_queue('ES_TASK_Q', 'ES_TASK_SITE', %s)", (Jsonb({"corecount": 1}),)
        )
    payload = 'echo "$EVENT_RANGE_ID $FIRST_EVENT $LAST_EVENT" > "processed.$EVENT_RANGE_ID"'
    params = {
        "taskName": "es.task.flow",
        "vo": "wlcg",
        "prodSourceLabel": "managed",
        "transPath": "/bin/sh",
        "maxAttempt": 2,
        "noInput": True,
        "nEvents": 8,
        "nEventsPerJob": 4,
        "skipScout": True,
        "eventService": 1,
        "nEventsPerRange": 2,
        "site": "ES_TASK_Q",
        "log": {
            "type": "template",
            "param_type": "log",
            "dataset": "user.alice.es.task.flow.log/",
            "value": "user.alice.$JEDITASKID.${SN}.log.tgz",
        },
        "jobParameters": [{"type": "constant", "value": f"-c '{payload}'"}],
    }
    with server.client(headers=server.headers(user="alice", vo="wlcg", groups=("production",))) as client:
        answer = client.post("/api/v1/task/submit", json={"task_parameters": params}).json()
    assert answer["success"], answer
    task = answer["data"]

    token = tmp_path / "token"
    token.write_text(server.token(user="pilot-wlcg", vo="wlcg", groups=("pilot",)))
    for _ in range(3):
        with psycopg.connect(
            server.database_url, autocommit=True
        ) as conn:  # the task steps, as the scheduler runs them
            conn.execute("SELECT doma_panda.refine_tasks(100)")
            conn.execute("SELECT doma_panda.feed_contents(100, 0)")
            conn.execute("CALL doma_panda.run_task_progress()")
            conn.execute("CALL doma_panda.run_job_generator()")
        result = subprocess.run(
            [
                PANDAPILOT,
                "--url",
                server.base_url,
                "--queue",
                "ES_TASK_Q",
                "--token-file",
                str(token),
                "--vo",
                "wlcg",
                "--heartbeat",
                "0.5",
                "--workdir",
                str(tmp_path / "work"),
                "--pilots",
                "2",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]

    with psycopg.connect(server.database_url, autocommit=True) as conn:
        status = conn.execute("SELECT status FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)).fetchone()[0]
        jobs = conn.execute(
            "SELECT jobstatus, eventservice, jobsetid FROM doma_panda.jobsarchived4 WHERE jeditaskid = %s", (task,)
        ).fetchall()
        events = conn.execute(
            "SELECT doma_panda.event_status_name(status), def_min_eventid, def_max_eventid "
            "FROM doma_panda.jedi_events WHERE jeditaskid = %s ORDER BY fileid, def_min_eventid",
            (task,),
        ).fetchall()
    assert status == "done", (status, jobs, events)
    assert jobs == [("finished", 1, task)] * 2  # two consumers (nEventsPerJob 4 of nEvents 8) of the task's jobset
    assert [e[0] for e in events] == ["done"] * 4 and all(e[2] - e[1] + 1 == 2 for e in events)
    processed = sorted(p.name for p in (tmp_path / "work").glob("PanDA_Pilot-*/processed.*"))
    assert len(processed) == 4 and len({name.split("-")[2:4].__str__() for name in processed}) == 4


def test_concurrent_pilots_over_http_never_get_the_same_range(api_server):
    """The smaller HTTP check of the 32-pilot SQL test: 8 pilots of one jobset acquire ranges through the real server."""
    import threading

    queue, task, jobset, n_pilots = "ES_HTTP_QUEUE", 5252, 7000002, 8
    with psycopg.connect(api_server.database_url, autocommit=True) as conn:
        conn.execute("SELECT doma_panda.register_site('ES_HTTP_SITE')")
        conn.execute("SELECT doma_panda.register_panda_queue(%s, 'ES_HTTP_SITE', %s)", (queue, Jsonb({})))
        conn.execute(
            "INSERT INTO doma_panda.jedi_tasks (jeditaskid, status, username, creationdate, modificationtime, vo) "
            "VALUES (%s, 'running', 'prodsys', now(), now(), 'atlas')",
            (task,),
        )
    files = [
        {
            "lfn": "EVNT.http.pool.root",
            "type": "input",
            "fileID": 500,
            "datasetID": DATASET,
            "GUID": "g",
            "scope": "mc23",
        }
    ]
    specs = [
        {
            "jobName": f"es.http.{n}",
            "computingSite": queue,
            "prodSourceLabel": "managed",
            "jobStatus": "activated",
            "jediTaskID": task,
            "jobsetID": jobset,
            "eventService": 1,
            "transformation": "/bin/true",
            "files": files,
        }
        for n in range(n_pilots)
    ]
    headers = api_server.headers(user="pilot-atlas", groups=("pilot",))
    with api_server.client(headers=headers) as client:
        assert client.post("/api/v1/job/submit", json={"jobs": specs}).json()["success"]
        jobs = client.post("/api/v1/pilot/acquire_jobs", json={"site_name": queue, "n_jobs": n_pilots}).json()["data"][
            "jobs"
        ]
    assert len(jobs) == n_pilots
    with psycopg.connect(api_server.database_url, autocommit=True) as conn:
        assert (
            conn.execute(
                "SELECT doma_panda.create_event_ranges(%s, %s, %s, 1)",
                (task, jobset, Jsonb([{"fileid": 500, "datasetid": DATASET, "nevents": 200}])),
            ).fetchone()[0]
            == 200
        )
    handed: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(n_pilots)

    def pilot(job: dict) -> None:
        try:
            with api_server.client(headers=headers) as client:
                start.wait()
                while True:
                    answer = client.post(
                        "/api/v1/event/acquire_event_ranges",
                        json={"job_id": job["PandaID"], "jobset_id": jobset, "task_id": task, "n_ranges": 5},
                    ).json()
                    assert answer["success"], answer
                    if not answer["data"]:
                        return
                    handed.extend(r["eventRangeID"] for r in answer["data"])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=pilot, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(handed) == 200 and len({"-".join(i.split("-")[2:4]) for i in handed}) == 200
