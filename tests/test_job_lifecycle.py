"""The job lifecycle as stored logic (procedures/postgres/jobs.sql): submit, activate, heartbeats and
transitions, kill, reassign, pilot commands, debug mode, status and description, task counters."""

from __future__ import annotations

import threading

import psycopg
import pytest

from pandadb.errors import ProcedureError

from job_helpers import (
    acquire,
    bigint_ids,
    call,
    dispatched_job,
    expect_refusal,
    job_row,
    job_spec,
    pilot_description_keys,
    pin_clock,
    register_queue,
    snapshot,
    statuses_logged,
    submit,
    update,
)

QUEUE = "TEST_QUEUE"


@pytest.fixture
def queue_db(db):
    for queue in (QUEUE, "Q_ELSEWHERE", "Q_RUN", "Q_DEBUG"):  # submit_jobs refuses unregistered queues
        register_queue(db, queue)
    return db


def test_full_lifecycle(queue_db):
    db = queue_db
    [pandaid] = submit(
        db,
        {
            "jobName": "life.1",
            "computingSite": QUEUE,
            "prodSourceLabel": "managed",
            "transformation": "/bin/echo",
            "jobParameters": "--events 10",
            "assignedPriority": 300,
            "maxAttempt": 3,
            "coreCount": 1,
            "minRamCount": 1500,
            "files": [
                {
                    "lfn": "in.1",
                    "type": "input",
                    "dataset": "data.in",
                    "scope": "data",
                    "fsize": 100,
                    "checksum": "ad:0001",
                    "GUID": "guid-in-1",
                },
                {
                    "lfn": "in.2",
                    "type": "input",
                    "dataset": "data.in",
                    "scope": "data",
                    "fsize": 200,
                    "checksum": "ad:0002",
                    "GUID": "guid-in-2",
                },
                {"lfn": "out.1", "type": "output", "dataset": "data.out", "scope": "user", "destinationSE": "SE1"},
                {"lfn": "log.1", "type": "log", "dataset": "data.log", "scope": "user", "GUID": "guid-log"},
            ],
        },
        submitter="alice",
    )
    # no status given: set up at once (inputs ready) -> activated, in the submitting transaction
    table, job = job_row(db, pandaid)
    assert (table, job["jobstatus"], job["produsername"], job["currentpriority"]) == (
        "jobsactive4",
        "activated",
        "alice",
        300,
    )
    assert (job["gshare"], job["resource_type"]) == ("Production", "SCORE")

    [description] = acquire(db, QUEUE, 1, node="wn-7", computing_element="ce-1", memory=2000)
    assert set(description) == pilot_description_keys()
    assert description["PandaID"] == pandaid
    assert description["inFiles"] == "in.1,in.2"
    assert description["GUID"] == "guid-in-1,guid-in-2"
    assert description["fsize"] == "100,200"
    assert description["checksum"] == "ad:0001,ad:0002"
    assert description["scopeIn"] == "data,data"
    assert description["realDatasetsIn"] == "data.in,data.in"
    assert description["outFiles"] == "out.1,log.1"
    assert (description["logFile"], description["logGUID"], description["scopeLog"]) == ("log.1", "guid-log", "user")
    assert description["jobPars"] == "--events 10"
    assert description["transformation"] == "/bin/echo"
    assert (description["minRamCount"], description["coreCount"], description["attemptNr"]) == (1500, 1, 0)

    update(db, pandaid, "starting", pilot_id="pilot-1", node="wn-7")
    assert update(db, pandaid, "running", max_rss=1000, max_pss=900) == {"StatusCode": 0, "command": "NULL"}
    for rss in (1100, 1200):
        assert update(db, pandaid, None, max_rss=rss)["command"] == "NULL"  # pure heartbeats
    answer = update(
        db,
        pandaid,
        "finished",
        start_time="2026-01-01 10:00:00",
        end_time="2026-01-01 11:00:00",
        pilot_timing="1|2|3|4|5",
        batch_id="batch-9",
        trans_exit_code="0",
        exe_error_code=0,
        n_events=10,
        n_input_files=2,
        cpu_consumption_time=3400,
        cpu_consumption_unit="s",
        cpu_conversion_factor=1.5,
        core_count=1,
        mean_core_count=1,
        max_rss=1300,
        max_vmem=3000,
        max_swap=10,
        max_pss=1250,
        avg_rss=800,
        avg_vmem=2000,
        avg_swap=5,
        avg_pss=700,
        tot_rchar=11,
        tot_wchar=12,
        tot_rbytes=13,
        tot_wbytes=14,
        rate_rchar=1,
        rate_wchar=2,
        rate_rbytes=3,
        rate_wbytes=4,
        cpu_architecture_level="x86-64-v3",
        job_metrics="nEvents=10 cores=1",
        job_output_report='{"out.1": "ok"}',
        pilot_log="all went well",
        meta_data='{"events": 10}',
        stdout="payload said hi",
        site_name=QUEUE,
    )
    assert answer == {"StatusCode": 0, "command": "NULL"}

    table, job = job_row(db, pandaid)
    assert (table, job["jobstatus"]) == ("jobsarchived4", "finished")
    expected = {
        "maxrss": 1300,
        "maxvmem": 3000,
        "maxswap": 10,
        "maxpss": 1250,
        "avgrss": 800,
        "avgvmem": 2000,
        "avgswap": 5,
        "avgpss": 700,
        "totrchar": 11,
        "totwchar": 12,
        "totrbytes": 13,
        "totwbytes": 14,
        "raterchar": 1,
        "ratewchar": 2,
        "raterbytes": 3,
        "ratewbytes": 4,
        "nevents": 10,
        "ninputfiles": 2,
        "cpuconsumptiontime": 3400,
        "cpuconsumptionunit": "s",
        "cpuconversion": 1.5,
        "actualcorecount": 1,
        "meancorecount": 1,
        "transexitcode": "0",
        "batchid": "batch-9",
        "pilotid": "pilot-1",
        "modificationhost": "wn-7",
        "computingelement": "ce-1",
        "pilottiming": "1|2|3|4|5",
        "cpu_architecture_level": "x86-64-v3",
        "jobmetrics": "nEvents=10 cores=1",
        "starttime": "2026-01-01T10:00:00",
        "endtime": "2026-01-01T11:00:00",
    }
    assert {key: job[key] for key in expected} == expected
    assert statuses_logged(db, pandaid) == ["defined", "activated", "sent", "starting", "running", "finished"]
    assert db.execute("SELECT metadata FROM doma_panda.metatable WHERE pandaid = %s", (pandaid,)).fetchall() == [
        ('{"events": 10}',)
    ]
    # parameters and metadata carry the job's archive time, so they are archived with its partition
    assert db.execute(
        """SELECT count(*) FROM doma_panda.jobparamstable p JOIN doma_panda.jobsarchived4 j USING (pandaid)
                          WHERE p.pandaid = %s AND p.modificationtime = j.modificationtime AND p.jobparameters = '--events 10'""",
        (pandaid,),
    ).fetchone() == (1,)
    assert db.execute("SELECT data FROM doma_panda.job_metrics WHERE pandaid = %s", (pandaid,)).fetchone() == (
        "nEvents=10 cores=1",
    )
    assert db.execute(
        "SELECT jobstatus, data FROM doma_panda.job_output_report WHERE pandaid = %s", (pandaid,)
    ).fetchone() == ("finished", '{"out.1": "ok"}')
    assert db.execute("SELECT stdout FROM doma_panda.jobsdebug WHERE pandaid = %s", (pandaid,)).fetchone() == (
        "payload said hi",
    )
    assert (
        "all went well"
        in db.execute(
            "SELECT message FROM doma_panda.pandalog WHERE pid = %s AND type = 'pilotLog'", (pandaid,)
        ).fetchone()[0]
    )
    assert dict(
        db.execute("SELECT lfn, status FROM doma_panda.filestable4 WHERE pandaid = %s", (pandaid,)).fetchall()
    ) == {"in.1": "ready", "in.2": "ready", "out.1": "ready", "log.1": "ready"}
    assert call(db, "get_job_status", p_pandaids=bigint_ids([pandaid])) == [
        {"job_id": pandaid, "status": "finished", "command": "NULL"}
    ]


def test_submit_puts_each_status_in_its_table_and_tags_shares(queue_db):
    db = queue_db
    statuses = ["defined", "assigned", "waiting", "pending", "activated", "throttled"]
    ids = submit(db, *[job_spec(QUEUE, jobStatus=status) for status in statuses])
    assert len(set(ids)) == 6
    tables = [job_row(db, pandaid)[0] for pandaid in ids]
    assert tables == ["jobsdefined4", "jobsdefined4", "jobswaiting4", "jobswaiting4", "jobsactive4", "jobsactive4"]
    [default_status, analysis, given_share, multicore, high_memory] = submit(
        db,
        {"computingSite": QUEUE},
        job_spec(QUEUE, prodSourceLabel="user"),
        job_spec(QUEUE, gshare="Test"),
        job_spec(QUEUE, coreCount=8, minRamCount=16000),
        job_spec(QUEUE, minRamCount=4000),
    )
    assert job_row(db, default_status)[1]["jobstatus"] == "activated"  # no status, no input: activated at once
    assert job_row(db, analysis)[1]["gshare"] == "Analysis"
    assert job_row(db, given_share)[1]["gshare"] == "Test"
    assert job_row(db, multicore)[1]["resource_type"] == "MCORE"
    assert job_row(db, high_memory)[1]["resource_type"] == "SCORE_HIMEM"
    assert db.execute("SELECT last_value >= %s FROM doma_panda.jobsdefined4_pandaid_seq", (max(ids),)).fetchone() == (
        True,
    )


BAD_SUBMISSIONS = [
    ([{"computingSite": QUEUE, "colour": "red", "size": 3}], ["unknown keys", "colour", "size"]),
    ([{"computingSite": QUEUE, "maxCpuCount": "lots"}], ["maxcpucount", "lots"]),
    ([{"computingSite": QUEUE, "jobName": "x" * 300}], ["jobname"]),
    ([{"computingSite": QUEUE, "jobName": {"nested": 1}}], ["jobname", "single value"]),
    ([{"computingSite": QUEUE, "jobStatus": "running"}], ["status", "running"]),
    ([{"computingSite": QUEUE, "gshare": "NoSuchShare"}], ["NoSuchShare"]),
    ([{"computingSite": QUEUE, "PandaID": 5}], ["PandaID"]),
    ([{"computingSite": QUEUE, "jobParameters": ["a", "b"]}], ["jobParameters"]),
    ([{"computingSite": QUEUE, "files": [{"type": "input"}]}], ["file 1", "lfn"]),
    ([{"computingSite": QUEUE, "files": [{"lfn": "a", "type": "sideways"}]}], ["sideways"]),
    ([{"computingSite": QUEUE, "files": [{"lfn": "a", "type": "input", "flavour": "x"}]}], ["flavour"]),
    ([{"computingSite": QUEUE, "files": [{"lfn": "a", "type": "input", "fsize": "big"}]}], ["fsize"]),
    ([{"computingSite": QUEUE}, {"computingSite": QUEUE, "priority": 1}], ["job spec 2", "priority"]),
    ([], ["non-empty"]),
    ({"computingSite": QUEUE}, ["JSON array"]),
]


def test_submit_refuses_bad_input_and_writes_nothing(queue_db):
    submit(queue_db, job_spec(QUEUE))  # something to keep unchanged
    before = snapshot(queue_db)
    for specs, words in BAD_SUBMISSIONS:
        message = expect_refusal(queue_db, "PD002", "submit_jobs", p_job_specs=specs, p_submitter="alice")
        for word in words:
            assert word in message, (specs, message)
    assert snapshot(queue_db) == before


def test_activate_waits_for_input_data(queue_db):
    db = queue_db
    [waiting, no_inputs] = submit(
        db,
        job_spec(
            QUEUE,
            jobStatus="defined",
            files=[{"lfn": "in.a", "type": "input", "status": "pending"}, {"lfn": "out.a", "type": "output"}],
        ),
        job_spec(QUEUE, jobStatus="assigned"),
    )
    result = call(db, "activate_jobs", p_pandaids=bigint_ids([waiting, no_inputs]))
    assert [r["activated"] for r in result] == [False, True]
    assert "1 input files" in result[0]["message"]
    assert job_row(db, waiting)[0] == "jobsdefined4"
    db.execute("UPDATE doma_panda.filestable4 SET status = 'ready' WHERE pandaid = %s", (waiting,))
    assert call(db, "activate_jobs", p_pandaids=bigint_ids([waiting]))[0]["activated"] is True
    assert job_row(db, waiting)[1]["jobstatus"] == "activated"
    before = snapshot(db)
    assert "not found" in expect_refusal(db, "PD003", "activate_jobs", p_pandaids=bigint_ids([999999]))
    assert "activated" in expect_refusal(db, "PD004", "activate_jobs", p_pandaids=bigint_ids([waiting]))
    assert expect_refusal(db, "PD002", "activate_jobs", p_pandaids=bigint_ids([]))
    several = call(db, "activate_jobs", p_pandaids=bigint_ids([999999, waiting]))
    assert [r["activated"] for r in several] == [False, False]
    assert snapshot(db) == before


def test_illegal_transitions_are_refused_with_the_database_unchanged(queue_db):
    db = queue_db
    register_queue(db, "Q_OTHER")
    sent = dispatched_job(db, QUEUE, "sent")
    running = dispatched_job(db, QUEUE, "running")
    holding = dispatched_job(db, QUEUE, "holding")
    finished = dispatched_job(db, QUEUE, "finished")
    failed = dispatched_job(db, QUEUE, "failed")
    [activated] = submit(db, job_spec("Q_OTHER"))
    [defined] = submit(db, job_spec(QUEUE, jobStatus="defined"))
    refusals = [
        ("PD004", running, "starting", {}),
        ("PD004", running, "sent", {}),
        ("PD004", running, "activated", {}),
        ("PD004", holding, "running", {}),
        ("PD004", holding, "starting", {}),
        ("PD004", sent, "sent", {}),
        ("PD004", finished, "running", {}),
        ("PD004", finished, "failed", {}),
        ("PD004", finished, None, {"max_rss": 1}),
        ("PD004", failed, "finished", {}),
        ("PD004", activated, "running", {}),
        ("PD004", defined, "starting", {}),
        ("PD004", running, "closed", {}),
        ("PD004", running, "running", {"attempt_nr": 7}),
        ("PD002", running, "exploded", {}),
        ("PD002", running, "running", {"max_rss": "a lot"}),
        ("PD002", running, "running", {"favourite_colour": "blue"}),
        ("PD002", running, "running", {"start_time": "the day before"}),
        ("PD003", 987654321, "running", {}),
    ]
    before = snapshot(db)
    for sqlstate, pandaid, status, request in refusals:
        message = expect_refusal(db, sqlstate, "update_job", p_pandaid=pandaid, p_job_status=status, p_request=request)
        if sqlstate == "PD004" and status and "attempt_nr" not in request and pandaid not in (finished, failed):
            current = job_row(db, pandaid)[1]["jobstatus"]
            assert f"{current} -> {status}" in message, message
    # the same final report again (its answer was lost) is acknowledged, and changes nothing either
    assert update(db, finished, "finished") == {"StatusCode": 0, "command": "NULL"}
    assert update(db, failed, "failed", pilot_error_code=1) == {"StatusCode": 0, "command": "NULL"}
    assert snapshot(db) == before


def test_heartbeats_refresh_the_job_and_carry_commands(queue_db):
    db = queue_db
    pin_clock(db, "2026-03-01 10:00:00")
    pandaid = dispatched_job(db, QUEUE, "running")
    pin_clock(db, "2026-03-01 10:20:00")
    assert update(db, pandaid, None, max_rss=10.0) == {"StatusCode": 0, "command": "NULL"}  # a float JSON encoder
    job = job_row(db, pandaid)[1]
    assert (job["modificationtime"], job["statechangetime"], job["maxrss"]) == (
        "2026-03-01T10:20:00",
        "2026-03-01T10:00:00",
        10,
    )
    assert job["starttime"] == "2026-03-01T10:00:00"
    assert call(db, "set_command", p_pandaid=pandaid, p_command="tobekilled") == {
        "job_id": pandaid,
        "command": "tobekilled",
    }
    assert update(db, pandaid, "running")["command"] == "tobekilled"
    assert call(db, "get_job_status", p_pandaids=bigint_ids([pandaid])) == [
        {"job_id": pandaid, "status": "running", "command": "tobekilled"}
    ]
    # the pilot obeys and reports the failure: an abort on request is recorded as cancelled
    update(db, pandaid, "failed", pilot_error_code=1144, pilot_error_diag="killed by the server")
    job = job_row(db, pandaid)[1]
    assert (job["jobstatus"], job["piloterrorcode"]) == ("cancelled", 1144)
    pin_clock(db, None)


def test_update_jobs_bulk_applies_each_job_independently(queue_db):
    db = queue_db
    first = dispatched_job(db, QUEUE, "running")
    second = dispatched_job(db, QUEUE, "running")
    results = call(
        db,
        "update_jobs_bulk",
        p_job_list=[
            {"job_id": second, "job_status": "finished", "n_events": 3},
            {"job_id": first, "job_status": "starting"},
            {"job_id": 424242, "job_status": "running"},
            {"job_id": "not-a-number"},
            {"job_id": first, "job_status": None, "max_rss": 77},
        ],
    )
    assert [r["success"] for r in results] == [True, False, False, False, True]
    assert results[0]["data"] == {"StatusCode": 0, "command": "NULL"}
    assert results[1]["data"]["sqlstate"] == "PD004" and "running -> starting" in results[1]["message"]
    assert results[2]["data"]["sqlstate"] == "PD003"
    assert results[3]["data"]["sqlstate"] == "PD002"
    assert job_row(db, second)[1]["jobstatus"] == "finished"
    assert (job_row(db, first)[1]["jobstatus"], job_row(db, first)[1]["maxrss"]) == ("running", 77)


def test_kill_cancels_queued_jobs_and_tells_pilots_of_running_ones(queue_db):
    db = queue_db
    running = dispatched_job(db, QUEUE, "running")
    [defined, waiting, activated, bobs] = submit(
        db,
        job_spec(QUEUE, jobStatus="defined"),
        job_spec(QUEUE, jobStatus="waiting"),
        job_spec("Q_ELSEWHERE"),
        job_spec("Q_ELSEWHERE", jobStatus="defined"),
    )
    db.execute(
        "UPDATE doma_panda.jobsdefined4 SET produsername = 'bob', produserid = 'bob' WHERE pandaid = %s", (bobs,)
    )

    before = snapshot(db)
    assert "alice may not kill" in expect_refusal(
        db, "PD005", "kill_jobs", p_pandaids=bigint_ids([bobs]), p_requester="alice", p_is_production=False
    )
    assert expect_refusal(
        db, "PD003", "kill_jobs", p_pandaids=bigint_ids([31337]), p_requester="alice", p_is_production=False
    )
    assert snapshot(db) == before

    results = call(
        db,
        "kill_jobs",
        p_pandaids=bigint_ids([defined, waiting, activated, running, bobs]),
        p_requester="alice",
        p_is_production=False,
    )
    assert [r["killed"] for r in results] == [True, True, True, True, False]
    assert "may not kill" in results[4]["message"] and set(results[4]) == {"job_id", "killed", "message"}
    for pandaid in (defined, waiting, activated):
        table, job = job_row(db, pandaid)
        assert (table, job["jobstatus"], job["taskbuffererrorcode"], job["taskbuffererrordiag"]) == (
            "jobsarchived4",
            "cancelled",
            100,
            "killed by alice",
        )
    table, job = job_row(db, running)
    assert (table, job["jobstatus"], job["commandtopilot"]) == ("jobsactive4", "running", "tobekilled")
    assert update(db, running, None)["command"] == "tobekilled"
    assert job_row(db, bobs)[0] == "jobsdefined4"
    # the production role may kill anyone's job; a final job cannot be killed again
    assert call(
        db, "kill_jobs", p_pandaids=bigint_ids([bobs]), p_requester="operator", p_is_production=True, p_kill_code=3
    )[0]["killed"]
    assert job_row(db, bobs)[1]["taskbuffererrorcode"] == 103
    assert "already cancelled" in expect_refusal(
        db, "PD004", "kill_jobs", p_pandaids=bigint_ids([bobs]), p_requester="operator", p_is_production=True
    )


def test_reassign_closes_the_job_and_queues_a_new_attempt(queue_db):
    db = queue_db
    [pandaid] = submit(
        db,
        job_spec(
            QUEUE,
            jediTaskID=77,
            attemptNr=1,
            maxAttempt=3,
            jobParameters="-x",
            files=[
                {"lfn": "in.r", "type": "input", "jeditaskid": 77, "datasetid": 1, "fileid": 5},
                {"lfn": "out.r", "type": "output", "GUID": "old-guid"},
            ],
        ),
    )
    [result] = call(db, "reassign_jobs", p_pandaids=bigint_ids([pandaid]))
    new_pandaid = result["new_job_id"]
    assert result["reassigned"] and new_pandaid > pandaid
    table, old = job_row(db, pandaid)
    assert (table, old["jobstatus"], old["taskbuffererrorcode"]) == ("jobsarchived4", "closed", 105)
    table, new = job_row(db, new_pandaid)
    assert (table, new["jobstatus"], new["attemptnr"], new["parentid"], new["computingsite"]) == (
        "jobsactive4",
        "activated",
        2,
        pandaid,
        QUEUE,
    )
    files = db.execute(
        "SELECT lfn, type, status, guid FROM doma_panda.filestable4 WHERE pandaid = %s ORDER BY row_id", (new_pandaid,)
    ).fetchall()
    assert [(f[0], f[1], f[2]) for f in files] == [("in.r", "input", "ready"), ("out.r", "output", "unknown")]
    assert files[1][3] != "old-guid"
    assert db.execute(
        "SELECT jobparameters FROM doma_panda.jobparamstable WHERE pandaid = %s", (new_pandaid,)
    ).fetchone() == ("-x",)
    assert db.execute(
        "SELECT oldpandaid, newpandaid, originpandaid, relationtype FROM doma_panda.jedi_job_retry_history "
        "WHERE jeditaskid = 77"
    ).fetchall() == [(pandaid, new_pandaid, pandaid, "retry")]
    running = dispatched_job(db, "Q_RUN", "running")
    before = snapshot(db)
    assert "only jobs not yet dispatched" in expect_refusal(
        db, "PD004", "reassign_jobs", p_pandaids=bigint_ids([running])
    )
    assert expect_refusal(db, "PD003", "reassign_jobs", p_pandaids=bigint_ids([123456789]))
    assert snapshot(db) == before


def test_set_command_and_debug_mode(queue_db):
    db = queue_db
    pandaid = dispatched_job(db, QUEUE, "running")
    assert call(db, "set_debug_mode", p_pandaid=pandaid, p_mode=True) == {"job_id": pandaid, "debug": True}
    assert job_row(db, pandaid)[1]["specialhandling"] == "dm"
    assert update(db, pandaid, None)["command"] == "debug"
    [queued] = submit(db, job_spec("Q_DEBUG", specialHandling="ao:xroot,po"))
    call(db, "set_debug_mode", p_pandaid=queued, p_mode=True)
    [description] = acquire(db, "Q_DEBUG", 1)
    assert (description["debug"], description["altStageOut"], description["putLogToOS"]) == ("True", "xroot", "True")
    call(db, "set_debug_mode", p_pandaid=queued, p_mode=False)
    assert job_row(db, queued)[1]["specialhandling"] == "ao:xroot,po"
    call(db, "set_debug_mode", p_pandaid=pandaid, p_mode=False)
    assert update(db, pandaid, None)["command"] == "NULL"

    update(db, pandaid, "finished")
    before = snapshot(db)
    assert expect_refusal(db, "PD004", "set_debug_mode", p_pandaid=pandaid, p_mode=True)
    assert expect_refusal(db, "PD004", "set_command", p_pandaid=pandaid, p_command="tobekilled")
    assert expect_refusal(db, "PD003", "set_command", p_pandaid=555555, p_command="tobekilled")
    assert expect_refusal(db, "PD002", "set_command", p_pandaid=queued, p_command="x" * 251)
    assert snapshot(db) == before


def test_status_and_description_including_the_archive(queue_db):
    db = queue_db
    [live] = submit(
        db,
        job_spec(
            QUEUE,
            jobParameters="--live",
            metadata="meta-live",
            files=[{"lfn": "f.live", "type": "input", "scope": "s"}],
        ),
    )
    archived_id = 10**12
    db.execute(
        """INSERT INTO doma_pandaarch.jobsarchived (pandaid, modificationtime, creationtime, jobstatus, computingsite)
                  VALUES (%s, '2025-01-01', '2025-01-01', 'finished', 'OLD_QUEUE')""",
        (archived_id,),
    )
    db.execute(
        """INSERT INTO doma_pandaarch.jobparamstable_arch (pandaid, modificationtime, jobparameters)
                  VALUES (%s, '2025-01-01', '--old')""",
        (archived_id,),
    )
    db.execute(
        """INSERT INTO doma_pandaarch.filestable_arch (row_id, pandaid, modificationtime, lfn, type)
                  VALUES (1, %s, '2025-01-01', 'f.old', 'input')""",
        (archived_id,),
    )

    [description, missing, not_in_live] = call(db, "get_description", p_pandaids=bigint_ids([live, 42, archived_id]))
    assert (missing, not_in_live) == (None, None)
    assert (description["pandaid"], description["jobParameters"], description["metadata"]) == (
        live,
        "--live",
        "meta-live",
    )
    assert [f["lfn"] for f in description["files"]] == ["f.live"]
    [live_again, archived] = call(
        db, "get_description", p_pandaids=bigint_ids([live, archived_id]), p_include_archive=True
    )
    assert live_again["pandaid"] == live
    assert (archived["computingsite"], archived["jobParameters"], [f["lfn"] for f in archived["files"]]) == (
        "OLD_QUEUE",
        "--old",
        ["f.old"],
    )
    assert call(db, "get_job_status", p_pandaids=bigint_ids([live, 42, archived_id])) == [
        {"job_id": live, "status": "activated", "command": "NULL"},
        {"job_id": 42, "status": "unknown", "command": "NULL"},
        {"job_id": archived_id, "status": "finished", "command": "NULL"},
    ]
    assert expect_refusal(db, "PD002", "get_job_status", p_pandaids=bigint_ids([]))
    assert "no job of 42, 43 is known" in expect_refusal(db, "PD003", "get_job_status", p_pandaids=bigint_ids([42, 43]))


def test_task_counters_follow_finished_and_failed_jobs(queue_db):
    db = queue_db
    task = 501
    db.execute(
        """INSERT INTO doma_panda.jedi_datasets (jeditaskid, datasetid, datasetname, type, creationtime, modificationtime,
                                                        nfilesfinished, nfilesfailed)
                  VALUES (%s, 1, 'ds.in', 'input', now(), now(), 0, 0)""",
        (task,),
    )
    for fileid in (1, 2):
        db.execute(
            """INSERT INTO doma_panda.jedi_dataset_contents (jeditaskid, datasetid, fileid, creationdate, lfn, type, status)
                      VALUES (%s, 1, %s, now(), %s, 'input', 'running')""",
            (task, fileid, f"task.in.{fileid}"),
        )
    ok = dispatched_job(
        db,
        QUEUE,
        "running",
        jediTaskID=task,
        files=[{"lfn": "task.in.1", "type": "input", "datasetID": 1, "fileID": 1}],
    )
    bad = dispatched_job(
        db,
        QUEUE,
        "running",
        jediTaskID=task,
        files=[{"lfn": "task.in.2", "type": "input", "datasetID": 1, "fileID": 2}],
    )
    update(db, ok, "finished")
    update(db, bad, "failed", exe_error_code=65, exe_error_diag="segfault")  # maxattempt 0: no retry
    assert db.execute(
        "SELECT nfilesfinished, nfilesfailed FROM doma_panda.jedi_datasets WHERE jeditaskid = %s", (task,)
    ).fetchone() == (1, 1)
    assert dict(
        db.execute(
            "SELECT fileid, status FROM doma_panda.jedi_dataset_contents WHERE jeditaskid = %s", (task,)
        ).fetchall()
    ) == {1: "finished", 2: "failed"}


def test_worker_status_and_worker_node(db):
    db.execute("SELECT doma_panda.register_harvester_instance('harv-1')")
    db.execute("""INSERT INTO doma_panda.harvester_workers (harvesterid, workerid, lastupdate, status)
                  VALUES ('harv-1', 7, now(), 'submitted')""")
    pin_clock(db, "2026-02-02 02:02:02")
    assert (
        call(
            db, "update_worker_status", p_harvester_id="harv-1", p_worker_id=7, p_status="started", p_node_id="node-a"
        )["updated"]
        == 1
    )
    call(db, "update_worker_status", p_harvester_id="harv-1", p_worker_id=7, p_status="finished")
    assert db.execute(
        "SELECT pilotstatus, nodeid, pilotstarttime, pilotendtime FROM doma_panda.harvester_workers"
    ).fetchone()[:2] == ("finished", "node-a")
    assert expect_refusal(
        db, "PD002", "update_worker_status", p_harvester_id="harv-1", p_worker_id=7, p_status="running"
    )
    assert expect_refusal(
        db, "PD003", "update_worker_status", p_harvester_id="harv-1", p_worker_id=8, p_status="started"
    )

    request = {
        "site": "SITE_A",
        "host_name": "slot3@wn12.example.org",
        "cpu_model": "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz",
        "n_logical_cpus": 64,
        "total_memory": 192000,
        "clock_speed": 2100.5,
        "panda_queue": "Q_A",
    }
    assert call(db, "update_worker_node", p_request=request)["new"] is True
    assert call(db, "update_worker_node", p_request={**request, "total_memory": 256000})["new"] is False
    row = db.execute(
        "SELECT host_name, cpu_model_normalized, total_memory, last_seen FROM doma_panda.worker_node"
    ).fetchall()
    assert [r[:3] for r in row] == [("wn12.example.org", "INTEL XEON GOLD 6130", 256000)]
    assert str(row[0][3]) == "2026-02-02 02:02:02"
    assert db.execute("SELECT panda_queue FROM doma_panda.worker_node_queue").fetchall() == [("Q_A",)]
    assert "cpu_model" in expect_refusal(db, "PD002", "update_worker_node", p_request={"site": "S", "host_name": "h"})
    assert "n_sockets" in expect_refusal(db, "PD002", "update_worker_node", p_request={**request, "n_sockets": "two"})
    assert "colour" in expect_refusal(db, "PD002", "update_worker_node", p_request={**request, "colour": 1})


def test_concurrent_activate_and_kill_leave_each_job_in_exactly_one_table(queue_db, database_url):
    db = queue_db
    ids = submit(db, *[job_spec(QUEUE, jobStatus="defined") for _ in range(30)])
    errors: list[BaseException] = []

    def run(function: str, **arguments) -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                for pandaid in ids:
                    try:
                        call(conn, function, p_pandaids=bigint_ids([pandaid]), **arguments)
                    except (psycopg.Error, ProcedureError) as error:
                        if error.sqlstate not in ("PD004",):  # the other thread got there first
                            raise
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=("activate_jobs",)),
        threading.Thread(target=run, args=("kill_jobs",), kwargs={"p_requester": "alice", "p_is_production": False}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for pandaid in ids:
        table, job = job_row(db, pandaid)  # asserts a single table
        assert (table, job["jobstatus"]) in {("jobsarchived4", "cancelled"), ("jobsactive4", "activated")}
        # every job was killed: either directly, or after its activation
        assert job["jobstatus"] == "cancelled"
