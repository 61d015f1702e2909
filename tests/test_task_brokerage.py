"""Job brokerage (issue 7, seed 004 chapter 12): candidates, skip reasons, weights, pending when every queue is skipped."""

from __future__ import annotations

from task_helpers import generate, make_task, status_path, task_jobs, task_status

from pandadb.procedures import call

from job_helpers import job_spec, register_queue, submit


def broker(db, task: int, scout: bool = False) -> dict:
    return call(db, "broker_task", p_jeditaskid=task, p_is_scout=scout, p_job_events=100, p_job_bytes=1_000_000)


def test_candidates_filters_and_weights(db):
    register_queue(db, "BUSY", {"corecount": 1, "maxrss": 4000})
    register_queue(db, "IDLE", {"corecount": 1, "maxrss": 4000})
    register_queue(db, "MCORE8", {"corecount": 8, "maxrss": 32000})
    register_queue(db, "SMALLMEM", {"corecount": 1, "maxrss": 1000})
    register_queue(db, "OFF", {"status": "offline"})
    register_queue(db, "SHORT", {"maxtime": 3600})
    register_queue(db, "NOWAN", {"wnconnectivity": "none#IPv4"})
    register_queue(db, "TINYDISK", {"maxwdir": 100})
    register_queue(db, "ANY_TEST_QUEUE", {})
    # BUSY: 20 running, 4 activated, 8 assigned -> manyAssigned 2: (20+1) / ((4+8+10) x 2)
    submit(
        db,
        *[job_spec("BUSY", jobStatus="activated") for _ in range(24)],
        *[job_spec("BUSY", jobStatus="assigned") for _ in range(8)],
    )
    db.execute(
        "UPDATE doma_panda.jobsactive4 SET jobstatus = 'running' WHERE pandaid IN"
        " (SELECT pandaid FROM doma_panda.jobsactive4 WHERE computingsite = 'BUSY' ORDER BY pandaid LIMIT 20)"
    )
    task = make_task(db, ramcount=1500, ramunit="MBPerCore", params={"ipConnectivity": "http"})
    result = broker(db, task, scout=True)
    selected = {c["panda_queue"]: c for c in result["selected"]}
    assert list(selected) == ["BUSY", "IDLE"]  # best weight first
    # (0 + 1) / 10, and the 4 input files are nowhere in the replica catalogue: x 1 / (4 / 100 + 1)
    assert abs(float(selected["IDLE"]["weight"]) - 0.1 / 1.04) < 1e-9
    assert abs(float(selected["BUSY"]["weight"]) - 21 / 44 / 1.04) < 1e-9
    skipped = result["skipped"]
    assert "corecount" in skipped["MCORE8"] and "maxrss" in skipped["SMALLMEM"]
    assert skipped["OFF"] == "status=offline"
    assert skipped["SHORT"] == "maxtime under 24 hours for scouts" and "ipConnectivity" in skipped["NOWAN"]
    assert skipped["TINYDISK"] == "disk over maxwdir"
    assert "ANY_TEST_QUEUE" not in skipped and "ANY_TEST_QUEUE" not in selected  # 'test' queues only when named
    # includedSite / excludedSite / site
    named = make_task(db, params={"includedSite": ["ANY_TEST*", "IDLE"], "excludedSite": "IDLE"})
    assert [c["panda_queue"] for c in broker(db, named)["selected"]] == ["ANY_TEST_QUEUE"]
    assert broker(db, named)["skipped"] == {"IDLE": "excludedSite"}
    multicore = make_task(db, corecount=8)
    assert [c["panda_queue"] for c in broker(db, multicore)["selected"]] == ["MCORE8"]


def test_every_queue_skipped_task_pending_then_retried_after_an_hour(db):
    register_queue(db, "CROWDED", {})
    submit(db, *[job_spec("CROWDED", jobStatus="activated") for _ in range(25)])  # 25 activated > max(2 x 0, 20)
    task = make_task(db, n_files=2, params={"skipScout": True})
    result = generate(db, task)
    assert (result["jobs"], result["status"]) == (0, "pending")
    assert (
        "too many activated"
        in db.execute("SELECT errordialog FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)).fetchone()[0]
    )
    assert {
        s
        for _, s, _, _ in db.execute(
            "SELECT fileid, status, pandaid, attemptnr FROM doma_panda.jedi_dataset_contents WHERE jeditaskid = %s",
            (task,),
        ).fetchall()
    } == {"ready"}
    assert generate(db, task)["reason"] == "pending"  # within the hour: left alone
    db.execute("DELETE FROM doma_panda.jobsactive4 WHERE computingsite = 'CROWDED'")
    db.execute(
        "SELECT set_config('pandadb.clock', to_char(now() AT TIME ZONE 'UTC' + interval '61 minutes', 'YYYY-MM-DD HH24:MI:SS'), false)"
    )
    assert generate(db, task)["jobs"] == 2
    assert task_status(db, task) == "running" and len(task_jobs(db, task)) == 2
    assert status_path(db, task) == ["pending", "ready", "running"]


def test_data_availability_weight_prefers_the_queue_holding_the_input(db):
    register_queue(db, "HAS_DATA", {})
    register_queue(db, "NO_DATA", {})
    task = make_task(db, n_files=4, params={"skipScout": True})
    files = db.execute(
        "SELECT scope, lfn, fsize FROM doma_panda.jedi_dataset_contents WHERE jeditaskid = %s ORDER BY fileid", (task,)
    ).fetchall()
    for scope, lfn, size in files:  # the replica catalogue's tables (replicas.sql fills them)
        db.execute(
            "INSERT INTO doma_panda.pandadb_files (scope, lfn, guid, fsize, creationtime) VALUES (%s, %s, md5(%s), %s, now())",
            (scope, lfn, lfn, size),
        )
        db.execute(
            "INSERT INTO doma_panda.pandadb_file_replicas (scope, lfn, site, creationtime) VALUES (%s, %s, 'HAS_DATA', now())",
            (scope, lfn),
        )
    result = broker(db, task)
    weights = {c["panda_queue"]: float(c["weight"]) for c in result["selected"]}
    assert list(weights) == ["HAS_DATA", "NO_DATA"]
    assert weights["HAS_DATA"] == 0.2  # 0.1 x (T + T) / (T x 1)
    assert abs(weights["NO_DATA"] - 0.1 / 1.04) < 1e-9  # 0.1 x T / (T x (4 / 100 + 1))
    assert [c["missing_files"] for c in result["selected"]] == [0, 4]


def test_scouts_skip_inactive_queues_and_every_job_skips_too_many_transferring(db):
    register_queue(db, "STALE", {})
    register_queue(db, "MOVING", {"transferringlimit": 1})
    register_queue(db, "FINE", {})
    [stale] = submit(db, job_spec("STALE", jobStatus="activated"))
    db.execute(
        "UPDATE doma_panda.jobsactive4 SET statechangetime = now() AT TIME ZONE 'UTC' - interval '3 hours' WHERE pandaid = %s",
        (stale,),
    )
    submit(db, *[job_spec("MOVING", jobStatus="activated") for _ in range(2)])
    db.execute("UPDATE doma_panda.jobsactive4 SET jobstatus = 'transferring' WHERE computingsite = 'MOVING'")
    task = make_task(db)
    scouts = broker(db, task, scout=True)
    assert [c["panda_queue"] for c in scouts["selected"]] == ["FINE"]
    assert scouts["skipped"]["STALE"].startswith("inactive") and scouts["skipped"]["MOVING"].startswith(
        "too many transferring"
    )
    assert {c["panda_queue"] for c in broker(db, task)["selected"]} == {"FINE", "STALE"}  # the avalanche may use STALE
