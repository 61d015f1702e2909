"""Harvester (procedures/postgres/harvester.sql, services/harvester.py): a harvester-driven flow over the API
(register, heartbeat, workers, pilots acquiring jobs for workers, workers ending, statistics, a sweep command
handed and acknowledged once to two concurrent callers), and the rules in SQL."""

from __future__ import annotations

import threading

import psycopg

from pandadb.procedures import text_array

from job_helpers import call, expect_refusal, job_spec, register_queue, submit

QUEUE = "HARV_QUEUE"
HARVESTER = "harvester_test_A"
PROD = ("production",)


def ok(answer) -> object:
    assert answer.status_code == 200, answer.text
    assert answer.json["success"], answer.json
    return answer.json["data"]


def worker(worker_id: int, status: str, **fields) -> dict:
    return {
        "workerID": worker_id,
        "status": status,
        "computingSite": QUEUE,
        "queueName": QUEUE,
        "batchID": f"b{worker_id}",
        "computingElement": "ce1.example.org",
        "submissionHost": "sub1",
        "resourceType": "SCORE",
        "jobType": "managed",
        "nCore": 1,
        "submitTime": "2026-11-30 10:00:00",
        "syncLevel": 0,
        **fields,
    }


def test_harvester_flow_over_the_api(api, db):
    register_queue(db, QUEUE)
    call(db, "register_harvester_instance", p_harvester_id=HARVESTER, p_description="test")
    post = lambda path, body, **kw: api.post(f"/api/v1/harvester/{path}", body, **kw)  # noqa: E731

    # heartbeat: owner is the caller, host the request's address, versions from the data
    ok(
        post(
            "heartbeat",
            {"harvester_id": HARVESTER, "data": '{"sw_version": "0.5.1", "commit_stamp": "abc"}'},
            user="harv",
        )
    )
    assert db.execute(
        "SELECT owner, sw_version, commit_stamp, hostname IS NOT NULL FROM doma_panda.harvester_instances "
        "WHERE harvester_id = %s",
        (HARVESTER,),
    ).fetchone() == ("harv", "0.5.1", "abc", True)
    # an unregistered instance is refused, naming the problem
    ok(post("heartbeat", {"harvester_id": HARVESTER, "data": {"startTime": "2026-11-30 09:00:00"}}, user="harv"))
    assert post("heartbeat", {"harvester_id": HARVESTER}).status_code == 400  # data is required (seed 000)
    unknown = post("heartbeat", {"harvester_id": "nobody", "data": {}})
    assert unknown.status_code == 200 and not unknown.json["success"] and "not registered" in unknown.json["message"]

    # workers submitted, then pilots acquire jobs for them
    assert ok(
        post(
            "update_workers",
            {
                "harvester_id": HARVESTER,
                "workers": [worker(1, "submitted"), worker(2, "submitted", submitTime="02-NOV-26 00:02:18")],
            },
        )
    ) == [True, True]
    assert db.execute("SELECT submittime::text FROM doma_panda.harvester_workers WHERE workerid = 2").fetchone() == (
        "2026-11-02 00:02:18",
    )
    pandaids = submit(db, job_spec(QUEUE), job_spec(QUEUE))
    for worker_id in (1, 2):
        acquired = ok(
            api.post(
                "/api/v1/pilot/acquire_jobs",
                {"site_name": QUEUE, "harvester_id": HARVESTER, "worker_id": worker_id},
                groups=PROD,
            )
        )
        assert acquired["PandaID"] in pandaids
        ok(
            api.post(
                "/api/v1/pilot/update_worker_status",
                {"harvester_id": HARVESTER, "worker_id": worker_id, "status": "started", "node_id": f"wn{worker_id}"},
                groups=PROD,
            )
        )
    relations = db.execute(
        "SELECT workerid, pandaid FROM doma_panda.harvester_rel_jobs_workers ORDER BY workerid"
    ).fetchall()
    assert [w for w, _ in relations] == [1, 2] and sorted(p for _, p in relations) == sorted(pandaids)
    assert ok(
        post(
            "update_workers",
            {
                "harvester_id": HARVESTER,
                "workers": [worker(1, "running", pandaid_list=[pandaids[0]]), worker(2, "running")],
            },
        )
    ) == [True, True]
    # one row per worker; the pilot's status survives the harvester's update
    rows = db.execute(
        "SELECT workerid, status, pilotstatus, nodeid FROM doma_panda.harvester_workers ORDER BY workerid"
    ).fetchall()
    assert rows == [(1, "running", "started", "wn1"), (2, "running", "started", "wn2")]
    assert call(db, "acquire_harvester_commands", p_harvester_id=HARVESTER, p_n_commands=5) == []

    # update_ups_stats counts the live workers; the harvester reports its own statistics too
    db.execute("CALL doma_panda.update_ups_stats()")
    assert db.execute(
        "SELECT status, n_workers FROM doma_panda.harvester_worker_stats WHERE harvester_id = %s", (HARVESTER,)
    ).fetchall() == [("running", 2)]
    assert (
        ok(
            post(
                "report_worker_statistics",
                {
                    "harvester_id": HARVESTER,
                    "panda_queue": QUEUE,
                    "statistics": '{"managed": {"SCORE": {"running": 2, "submitted": 3}}}',
                },
            )
        )
        == 2
    )
    assert sorted(
        db.execute("SELECT jobtype, resourcetype, status, n_workers FROM doma_panda.harvester_worker_stats").fetchall()
    ) == [("managed", "SCORE", "running", 2), ("managed", "SCORE", "submitted", 3)]
    ok(
        post(
            "update_service_metrics",
            {"harvester_id": HARVESTER, "metrics": [["2026-11-30 10:00:00.123", "harv-host", '{"cpu_pc": 15.2}']]},
        )
    )
    assert (
        ok(
            post(
                "add_dialogs",
                {
                    "harvester_id": HARVESTER,
                    "dialogs": [
                        {
                            "diagID": 1,
                            "moduleName": "submitter",
                            "identifier": "x",
                            "creationTime": "2026-11-30 10:00:00",
                            "messageLevel": "ERROR",
                            "diagMessage": "m" * 600,
                        }
                    ],
                },
            )
        )
        == 1
    )
    assert db.execute("SELECT length(diagmessage) FROM doma_panda.harvester_dialogs").fetchone() == (500,)
    assert db.execute("SELECT metrics FROM doma_panda.harvester_metrics").fetchone() == ('{"cpu_pc": 15.2}',)

    # operators: the sweep command needs the production role; it is handed once to two concurrent callers
    assert (
        post(
            "add_sweep_command",
            {"panda_queue": QUEUE, "status_list": ["running"], "ce_list": [], "submission_host_list": []},
            groups=(),
        ).status_code
        == 403
    )
    sweep = ok(
        post(
            "add_sweep_command",
            {"panda_queue": QUEUE, "status_list": ["running"], "ce_list": [], "submission_host_list": []},
            groups=PROD,
        )
    )
    assert sweep["harvesters"] == [HARVESTER] and len(sweep["command_ids"]) == 1
    results: list[object] = []
    start = threading.Barrier(2)

    def harvester_agent() -> None:
        start.wait()
        got = ok(post("acquire_commands", {"harvester_id": HARVESTER, "n_commands": 10}, groups=PROD))
        acked = (
            ok(post("acknowledge_commands", {"command_ids": [c["command_id"] for c in got]}, groups=PROD))
            if got
            else None
        )
        results.append((got, acked))

    agents = [threading.Thread(target=harvester_agent) for _ in range(2)]
    for agent in agents:
        agent.start()
    for agent in agents:
        agent.join(60)
    handed = [c for got, _ in results for c in got]
    assert len(results) == 2 and len(handed) == 1
    assert handed[0]["command"] == "KILL_WORKERS" and handed[0]["params"]["computingSite"] == [QUEUE]
    assert [acked for got, acked in results if got] == [{"acknowledged": sweep["command_ids"]}]
    assert ok(post("acknowledge_commands", {"command_ids": sweep["command_ids"]}, groups=PROD)) == {"acknowledged": []}

    # workers end; a final worker keeps its status; jobs finish
    assert ok(
        post("update_workers", {"harvester_id": HARVESTER, "workers": [worker(1, "finished"), worker(2, "cancelled")]})
    ) == [True, True]
    assert ok(post("update_workers", {"harvester_id": HARVESTER, "workers": [worker(1, "running")]})) == [False]
    assert db.execute("SELECT count(*) FROM doma_panda.harvester_workers WHERE endtime IS NOT NULL").fetchone() == (2,)
    ok(
        api.post(
            "/api/v1/pilot/update_worker_status",
            {"harvester_id": HARVESTER, "worker_id": 1, "status": "finished"},
            groups=PROD,
        )
    )
    db.execute("CALL doma_panda.update_ups_stats()")
    assert db.execute("SELECT count(*) FROM doma_panda.harvester_worker_stats WHERE status = 'running'").fetchone() == (
        0,
    )

    # target slots
    ok(
        post(
            "add_target_slots",
            {
                "panda_queue": QUEUE,
                "slots": 100,
                "global_share": "Production",
                "resource_type": "SCORE",
                "expiration_date": "2099-01-01 00:00:00",
            },
            groups=PROD,
        )
    )
    ok(post("add_target_slots", {"panda_queue": QUEUE, "slots": 7}, groups=PROD))
    bad_share = post("add_target_slots", {"panda_queue": QUEUE, "slots": 1, "global_share": "NoSuchShare"}, groups=PROD)
    assert not bad_share.json["success"] and "NoSuchShare" in bad_share.json["message"]
    assert (
        api.post("/api/v1/harvester/add_target_slots", {"panda_queue": QUEUE, "slots": "many"}, groups=PROD).status_code
        == 400
    )


def test_worker_rules_and_brokerage_inputs_in_sql(db):
    register_queue(db, QUEUE)
    call(db, "register_harvester_instance", p_harvester_id=HARVESTER)
    expect_refusal(db, "PD003", "update_workers", p_harvester_id="unregistered", p_workers=[worker(1, "submitted")])
    # one bad worker refuses the call: nothing written
    message = expect_refusal(
        db,
        "PD002",
        "update_workers",
        p_harvester_id=HARVESTER,
        p_workers=[worker(1, "submitted"), worker(2, "exploded")],
    )
    assert "worker 2" in message and "exploded" in message
    message = expect_refusal(
        db,
        "PD002",
        "update_workers",
        p_harvester_id=HARVESTER,
        p_workers=[worker(3, "submitted", submitTime="yesterday")],
    )
    assert "submitTime" in message
    expect_refusal(
        db, "PD002", "update_workers", p_harvester_id=HARVESTER, p_workers=[worker(4, "submitted", nCore="x")]
    )
    assert db.execute("SELECT count(*) FROM doma_panda.harvester_workers").fetchone() == (0,)
    call(
        db,
        "update_workers",
        p_harvester_id=HARVESTER,
        p_workers=[worker(1, "submitted"), worker(2, "running"), worker(3, "finished"), worker(4, "running")],
    )
    expect_refusal(
        db, "PD002", "update_workers", p_harvester_id=HARVESTER, p_workers=[{"workerID": 99}]
    )  # new: needs status
    assert call(db, "update_workers", p_harvester_id=HARVESTER, p_workers=[{"workerID": 4, "nodeID": "wn9"}]) == [True]
    assert db.execute("SELECT status, nodeid FROM doma_panda.harvester_workers WHERE workerid = 4").fetchone() == (
        "running",
        "wn9",
    )

    # brokerage inputs (chapter 12): nBatchJob = submitted + running workers; numSlots most specific, unexpired
    def capacity(*a):
        return db.execute("SELECT * FROM doma_panda.harvester_queue_capacity(%s, %s, %s)", (QUEUE, *a)).fetchone()  # noqa: E731

    assert capacity(None, None) == (None, 3)
    call(db, "add_target_slots", p_panda_queue=QUEUE, p_slots=10)
    call(db, "add_target_slots", p_panda_queue=QUEUE, p_slots=20, p_global_share="Production")
    call(
        db,
        "add_target_slots",
        p_panda_queue=QUEUE,
        p_slots=30,
        p_global_share="Production",
        p_resource_type="MCORE",
        p_expiration_date="2000-01-01 00:00:00",
    )
    assert capacity("Production", "MCORE") == (20, 3)  # the MCORE entry has expired
    assert capacity("Analysis", "SCORE") == (10, 3)
    call(db, "add_target_slots", p_panda_queue=QUEUE, p_slots=15)  # replaces
    call(db, "add_target_slots", p_panda_queue=QUEUE, p_slots=-1, p_global_share="Production")  # removes
    assert capacity("Production", "SCORE") == (15, 3)
    assert db.execute("SELECT count(*) FROM doma_panda.harvester_slots").fetchone() == (2,)
    expect_refusal(db, "PD003", "add_target_slots", p_panda_queue="NO_QUEUE", p_slots=1)
    expect_refusal(db, "PD002", "add_target_slots", p_panda_queue=QUEUE, p_slots=1, p_expiration_date="soon")

    # sweep: no instance has workers matching the filters -> no command
    assert call(
        db,
        "add_sweep_command",
        p_panda_queue=QUEUE,
        p_status_list=text_array(["idle"]),
        p_ce_list=text_array([]),
        p_submission_host_list=text_array([]),
    ) == {"harvesters": [], "command_ids": []}
    expect_refusal(
        db,
        "PD002",
        "add_sweep_command",
        p_panda_queue=QUEUE,
        p_status_list=text_array(["bogus"]),
        p_ce_list=text_array([]),
        p_submission_host_list=text_array([]),
    )


def test_concurrent_updates_of_one_worker_keep_one_row(db, database_url):
    register_queue(db, QUEUE)
    call(db, "register_harvester_instance", p_harvester_id=HARVESTER)
    call(db, "update_workers", p_harvester_id=HARVESTER, p_workers=[worker(7, "submitted")])
    errors: list[BaseException] = []

    def reporter(n: int) -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                for i in range(15):
                    if n % 2:
                        call(
                            conn, "update_workers", p_harvester_id=HARVESTER, p_workers=[worker(7, "running", nJobs=i)]
                        )
                    else:
                        call(conn, "update_worker_status", p_harvester_id=HARVESTER, p_worker_id=7, p_status="started")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=reporter, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert db.execute(
        "SELECT count(*), max(status), max(pilotstatus) FROM doma_panda.harvester_workers WHERE workerid = 7"
    ).fetchone() == (1, "running", "started")
