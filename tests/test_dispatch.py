"""Dispatch in pull mode (procedures/postgres/dispatch.sql, acquire_jobs): fitting, global-share and
priority order, the pilot's job description, concurrency."""

from __future__ import annotations

import random
import threading

import psycopg
import pytest

from job_helpers import (
    acquire,
    bigint_ids,
    call,
    expect_refusal,
    job_row,
    job_spec,
    pilot_description_keys,
    register_queue,
    snapshot,
    statuses_logged,
    submit,
    update,
)

QUEUE = "TEST_QUEUE"


@pytest.fixture
def queue_db(db):
    register_queue(db, QUEUE)
    return db


def test_acquire_marks_jobs_sent_and_describes_them_with_the_pilot_keys(queue_db):
    db = queue_db
    db.execute("SELECT doma_panda.register_harvester_instance('harv-1')")
    db.execute("""INSERT INTO doma_panda.harvester_workers (harvesterid, workerid, lastupdate, status, batchid)
                  VALUES ('harv-1', 11, now(), 'running', 'condor.42')""")
    db.execute("INSERT INTO doma_panda.ddm_endpoint (ddm_endpoint_name, site_name) VALUES ('EP_DISK', 'TEST_SITE')")
    db.execute(
        """INSERT INTO doma_panda.panda_ddm_relation (panda_site_name, ddm_endpoint_name, scope, default_read, default_write)
                  VALUES (%s, 'EP_DISK', 'default', 'Y', 'Y')""",
        (QUEUE,),
    )
    files = [
        {"lfn": "a.in", "type": "input", "dataset": "ds.a", "scope": "s1", "fsize": 1, "md5sum": "m1", "GUID": "g-a"},
        {
            "lfn": "b.in",
            "type": "input",
            "dataset": "ds.b",
            "scope": "s2",
            "fsize": 2,
            "checksum": "ad:2",
            "GUID": "g-b",
        },
        {
            "lfn": "c.out",
            "type": "output",
            "dataset": "ds.out",
            "scope": "s3",
            "destinationDBlockToken": "ddd:DISK,x",
            "destinationSE": "SE_A",
        },
        {"lfn": "c.log", "type": "log", "dataset": "ds.log", "scope": "s4", "GUID": "g-log"},
    ]
    [low, high] = submit(
        db,
        job_spec(QUEUE, currentPriority=10, jobParameters="low"),
        job_spec(
            QUEUE,
            currentPriority=900,
            jobParameters="--high",
            files=files,
            jediTaskID=12,
            coreCount=2,
            minRamCount=4000,
            specialHandling="wf,lc",
            cmtConfig="x86_64-el9",
        ),
    )
    descriptions = acquire(
        db, QUEUE, 5, node="wn-3", computing_element="ce.example.org", harvester_id="harv-1", worker_id=11
    )
    assert [d["PandaID"] for d in descriptions] == [high, low]
    for description in descriptions:
        assert set(description) == pilot_description_keys()
    d = descriptions[0]
    assert (d["inFiles"], d["GUID"], d["fsize"], d["checksum"], d["scopeIn"], d["realDatasetsIn"]) == (
        "a.in,b.in",
        "g-a,g-b",
        "1,2",
        "m1,ad:2",
        "s1,s2",
        "ds.a,ds.b",
    )
    assert (d["outFiles"], d["realDatasets"], d["scopeOut"], d["logFile"], d["logGUID"], d["scopeLog"]) == (
        "c.out,c.log",
        "ds.out,ds.log",
        "s3",
        "c.log",
        "g-log",
        "s4",
    )
    assert (d["destinationDBlockToken"], d["fileDestinationSE"]) == ("dst:DISK,NULL", "SE_A,NULL")
    assert (d["ddmEndPointIn"], d["ddmEndPointOut"]) == ("EP_DISK,EP_DISK", "EP_DISK,EP_DISK")
    assert (d["jobPars"], d["taskID"], d["coreCount"], d["minRamCount"], d["cmtConfig"]) == (
        "--high",
        12,
        2,
        4000,
        "x86_64-el9",
    )
    assert (d["loopingCheck"], d["writeToFile"], d["debug"], d["eventService"]) == (
        False,
        "tmpin_ds.a:a.in^tmpin_ds.b:b.in",
        "False",
        "False",
    )
    assert (descriptions[1]["inFiles"], descriptions[1]["loopingCheck"], descriptions[1]["coreCount"]) == ("", True, 1)

    for pandaid in (low, high):
        job = job_row(db, pandaid)[1]
        assert (
            job["jobstatus"],
            job["modificationhost"],
            job["computingelement"],
            job["schedulerid"],
            job["batchid"],
        ) == ("sent", "wn-3", "ce.example.org", "harv-1", "condor.42")
        assert statuses_logged(db, pandaid) == ["activated", "sent"]
    assert sorted(
        db.execute("SELECT harvesterid, workerid, pandaid FROM doma_panda.harvester_rel_jobs_workers").fetchall()
    ) == [("harv-1", 11, low), ("harv-1", 11, high)]
    assert acquire(db, QUEUE, 5) == []


def test_acquire_takes_only_jobs_that_fit(queue_db):
    db = queue_db
    register_queue(db, "Q_SMALL", {"corecount": 4})
    register_queue(db, "Q_DOWN", {"status": "offline"})
    register_queue(db, "Q_TESTING", {"status": "test"})
    [big_memory, big_disk, analysis, panda, eight_cores, other_task, bob, long_job, fits] = submit(
        db,
        job_spec(QUEUE, minRamCount=8000, currentPriority=90),
        job_spec(QUEUE, maxDiskCount=50000, currentPriority=80),
        job_spec(QUEUE, prodSourceLabel="user", currentPriority=70),
        job_spec(QUEUE, prodSourceLabel="panda", currentPriority=65),
        job_spec(QUEUE, coreCount=8, resource_type="MCORE", currentPriority=60),
        job_spec(QUEUE, jediTaskID=2, currentPriority=50),
        job_spec(QUEUE, currentPriority=40),
        job_spec(QUEUE, maxWalltime=7200, currentPriority=30),
        job_spec(QUEUE, minRamCount=1000, maxDiskCount=100, jediTaskID=1, currentPriority=1),
    )
    db.execute("UPDATE doma_panda.jobsactive4 SET produserid = 'bob', produsername = 'bob' WHERE pandaid = %s", (bob,))

    def picked(**request) -> list[int]:
        ids = [d["PandaID"] for d in acquire(db, QUEUE, 20, **request)]
        # give them back for the next question
        db.execute("UPDATE doma_panda.jobsactive4 SET jobstatus = 'activated' WHERE pandaid = ANY (%s)", (ids,))
        return ids

    assert big_memory not in picked(memory=4000) and fits in picked(memory=4000)
    assert big_disk not in picked(disk_space=1000)
    assert set(picked(prod_source_label="user")) == {analysis, panda}
    assert analysis not in picked(prod_source_label="managed")
    assert set(picked(job_type="user")) == {analysis, panda}
    assert picked(resource_type="MCORE") == [eight_cores]
    assert picked(task_id=1) == [fits]
    assert picked(prod_user_id="bob") == [bob]
    assert long_job not in picked(remaining_time=3600) and long_job in picked(remaining_time=10000)
    assert len(picked()) == 9
    # the queue's core count, queue status
    [mcore_job, score_job] = submit(db, job_spec("Q_SMALL", coreCount=8), job_spec("Q_SMALL", coreCount=4))
    assert [d["PandaID"] for d in acquire(db, "Q_SMALL", 5)] == [score_job]
    submit(db, job_spec("Q_DOWN"))
    assert acquire(db, "Q_DOWN", 5) == []
    [managed_test, test_label] = submit(db, job_spec("Q_TESTING"), job_spec("Q_TESTING", prodSourceLabel="ptest"))
    assert [d["PandaID"] for d in acquire(db, "Q_TESTING", 5)] == [test_label]
    assert "NO_SUCH_QUEUE is not registered" in expect_refusal(
        db, "PD003", "acquire_jobs", p_site_name="NO_SUCH_QUEUE", p_n_jobs=3, p_request={}
    )
    db.execute("UPDATE doma_panda.jobsactive4 SET commandtopilot = 'tobekilled' WHERE pandaid = %s", (fits,))
    assert fits not in picked()
    assert mcore_job and managed_test


def set_share_order_cache_seconds(db, seconds: int) -> None:
    db.execute(
        "UPDATE doma_panda.config SET value = %s WHERE app = 'pandaserver' AND component = 'dispatcher' "
        "AND key = 'SHARE_ORDER_CACHE_SECONDS' AND vo = 'default'",
        (str(seconds),),
    )
    assert db.execute("SELECT count(*) FROM doma_panda.config WHERE key = 'SHARE_ORDER_CACHE_SECONDS'").fetchone() == (
        1,
    )


def cached_share_order(db, queue: str) -> list[str] | None:
    row = db.execute(
        "SELECT data::text[] FROM doma_panda.cache WHERE main_key = 'dispatch_share_order' AND sub_key = %s", (queue,)
    ).fetchone()
    return row[0] if row else None


def test_global_share_furthest_below_target_is_served_first(queue_db):
    db = queue_db
    set_share_order_cache_seconds(db, 0)  # counted on every call: each acquire sees the jobs made running before it
    # Production 70 %, Analysis 25 %, Test 5 % (schema defaults)
    production = submit(db, *[job_spec(QUEUE, prodSourceLabel="managed", currentPriority=p) for p in (500, 900)])
    analysis = submit(db, *[job_spec(QUEUE, prodSourceLabel="user", currentPriority=p) for p in (100, 100, 300)])
    test = submit(db, job_spec(QUEUE, prodSourceLabel="test", currentPriority=999))
    # nothing runs yet: every share is at 0 %, the largest target (Production) is furthest below it
    [first] = acquire(db, QUEUE, 1)
    assert first["PandaID"] == production[1]
    update(db, first["PandaID"], "running")
    # now Production holds 100 % of the queue: Analysis (25 % below target) comes first, by priority then PandaID
    ids = [d["PandaID"] for d in acquire(db, QUEUE, 3)]
    assert ids == [analysis[2], analysis[0], analysis[1]]
    # Analysis 75 %, Production 25 %: Production is 45 % below, Test 5 %
    assert [d["PandaID"] for d in acquire(db, QUEUE, 2)] == [production[0], test[0]]
    assert call(db, "get_job_status", p_pandaids=bigint_ids(production + analysis + test))[0]["status"] == "sent"
    assert cached_share_order(db, QUEUE) is None  # nothing cached when the lifetime is 0


def test_the_share_order_is_cached_until_it_is_older_than_its_lifetime(queue_db):
    db = queue_db
    set_share_order_cache_seconds(db, 3600)
    production = submit(db, *[job_spec(QUEUE, prodSourceLabel="managed", currentPriority=p) for p in (500, 900)])
    analysis = submit(db, *[job_spec(QUEUE, prodSourceLabel="user", currentPriority=p) for p in (100, 300)])
    [first] = acquire(db, QUEUE, 1)
    assert first["PandaID"] == production[1]
    order = cached_share_order(db, QUEUE)
    assert order is not None and order.index("Production") < order.index("Analysis") and order[-1] == ""
    update(db, first["PandaID"], "running")
    # Production now holds the whole queue, but the cached order (younger than an hour) still serves it first
    [second] = acquire(db, QUEUE, 1)
    assert second["PandaID"] == production[0]
    assert cached_share_order(db, QUEUE) == order
    # once the cached order is older than its lifetime, the next caller counts again: Analysis is furthest below
    db.execute(
        "UPDATE doma_panda.cache SET last_update = last_update - interval '2 hours' "
        "WHERE main_key = 'dispatch_share_order' AND sub_key = %s",
        (QUEUE,),
    )
    fresh = db.execute(
        "SELECT array_agg(share_key ORDER BY rank) FROM doma_panda.dispatch_share_order(%s)", (QUEUE,)
    ).fetchone()[0]
    assert fresh[0] == "Analysis"
    assert [d["PandaID"] for d in acquire(db, QUEUE, 1)] == [analysis[1]]
    assert cached_share_order(db, QUEUE) == fresh


def test_a_stale_share_order_is_refreshed_by_one_caller_while_the_others_keep_the_old_one(queue_db, database_url):
    db = queue_db
    set_share_order_cache_seconds(db, 3600)
    submit(db, *[job_spec(QUEUE, prodSourceLabel=label) for label in ("managed", "managed", "user", "user")])
    acquire(db, QUEUE, 1)
    db.execute(
        "UPDATE doma_panda.cache SET last_update = last_update - interval '2 hours', data = '{Test,Production,Analysis,\"\"}' "
        "WHERE main_key = 'dispatch_share_order' AND sub_key = %s",
        (QUEUE,),
    )
    with psycopg.connect(database_url) as refresher:  # not autocommit: holds the cache row until it ends
        # the refresher counted again: Production holds the queue's one busy job, Analysis comes first
        [refreshed_pick] = refresher.execute("SELECT doma_panda.acquire_jobs(%s, 1, '{}')", (QUEUE,)).fetchone()[0]
        assert refreshed_pick["prodSourceLabel"] == "user"
        # the stale row is locked by the refresher: this caller does not wait and serves the old order (Production)
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SET lock_timeout = '2s'")
            [given] = other.execute("SELECT doma_panda.acquire_jobs(%s, 1, '{}')", (QUEUE,)).fetchone()[0]
            assert given["prodSourceLabel"] == "managed"
        refresher.commit()
    refreshed = cached_share_order(db, QUEUE)
    assert refreshed is not None and refreshed[0] == "Analysis"


def test_acquire_refuses_bad_requests_without_changes(queue_db):
    db = queue_db
    submit(db, job_spec(QUEUE))
    before = snapshot(db)
    for n_jobs, request, words in [
        (1, {"memory": "plenty"}, ["memory"]),
        (1, {"colour": "red"}, ["colour"]),
        (0, {}, ["n_jobs"]),
        (1, {"node": {"x": 1}}, ["node"]),
        (1, {"worker_id": 1.5}, ["worker_id"]),
    ]:
        message = expect_refusal(db, "PD002", "acquire_jobs", p_site_name=QUEUE, p_n_jobs=n_jobs, p_request=request)
        for word in words:
            assert word in message
    assert "site_name" in expect_refusal(db, "PD002", "acquire_jobs", p_site_name="", p_n_jobs=1, p_request={})
    assert snapshot(db) == before


def test_the_pick_is_an_index_range_with_skip_locked(queue_db):
    db = queue_db
    db.execute("SET enable_seqscan = off")  # a tiny table: ask which index the planner can use at all
    plan = "\n".join(
        r[0]
        for r in db.execute("""
        EXPLAIN SELECT j.pandaid FROM doma_panda.jobsactive4 j
         WHERE j.computingsite = 'TEST_QUEUE' AND j.jobstatus = 'activated' AND coalesce(j.gshare, '') = 'Production'
           AND j.minramcount <= 2000
         ORDER BY j.currentpriority DESC, j.pandaid LIMIT 5 FOR UPDATE OF j SKIP LOCKED""").fetchall()
    )
    assert "jobsactive4_dispatch_idx" in plan and "Sort" not in plan, plan


@pytest.mark.parametrize("n_pilots", [32, 64])
def test_concurrent_acquirers_never_share_a_job_and_take_them_all(queue_db, database_url, n_pilots):
    db = queue_db
    n_jobs = 480
    expected = set()
    for _ in range(0, n_jobs, 120):
        expected.update(
            submit(
                db,
                *[
                    job_spec(
                        QUEUE,
                        prodSourceLabel=random.choice(["managed", "user"]),
                        currentPriority=random.randrange(1000),
                    )
                    for _ in range(120)
                ],
            )
        )
    received: list[list[int]] = [[] for _ in range(n_pilots)]
    errors: list[BaseException] = []
    start = threading.Barrier(n_pilots)

    def pilot(index: int) -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                start.wait()
                empty_answers = 0
                rng = random.Random(index)
                while empty_answers < 2:
                    got = [d["PandaID"] for d in acquire(conn, QUEUE, rng.choice([1, 1, 2, 5]), node=f"wn-{index}")]
                    received[index].extend(got)
                    empty_answers = empty_answers + 1 if not got else 0
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=pilot, args=(i,)) for i in range(n_pilots)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    everything = [pandaid for ids in received for pandaid in ids]
    assert len(everything) == len(set(everything)), "a job was given to two pilots"
    assert set(everything) == expected
    assert db.execute("SELECT jobstatus, count(*) FROM doma_panda.jobsactive4 GROUP BY 1").fetchall() == [
        ("sent", n_jobs)
    ]
    assert db.execute("SELECT count(*) FROM doma_panda.jobs_statuslog WHERE jobstatus = 'sent'").fetchone() == (n_jobs,)
    # each job's node is the pilot that received it
    nodes = dict(db.execute("SELECT pandaid, modificationhost FROM doma_panda.jobsactive4").fetchall())
    assert all(nodes[pandaid] == f"wn-{index}" for index, ids in enumerate(received) for pandaid in ids)


def test_acquire_locks_only_the_jobs_it_gives(queue_db, database_url):
    db = queue_db
    # jobs in two shares (Production via managed, Analysis via user): the walk over the shares must stop
    # at the first job, leaving every other activated job free for concurrent pilots
    submit(
        db,
        *[
            job_spec(QUEUE, prodSourceLabel=label, currentPriority=p)
            for label in ("managed", "user")
            for p in (1, 2, 3)
        ],
    )
    with psycopg.connect(database_url) as pilot:  # not autocommit: its transaction keeps the locks
        [given] = pilot.execute("SELECT doma_panda.acquire_jobs(%s, 1, '{}')", (QUEUE,)).fetchone()[0]
        free = [
            r[0]
            for r in db.execute("""SELECT pandaid FROM doma_panda.jobsactive4
                                             WHERE jobstatus = 'activated' FOR UPDATE SKIP LOCKED""").fetchall()
        ]
        assert len(free) == 5 and given["PandaID"] not in free
        pilot.rollback()
    assert db.execute("SELECT count(*) FROM doma_panda.jobsactive4 WHERE jobstatus = 'activated'").fetchone() == (6,)


def test_a_worker_that_asks_again_gets_the_jobs_it_was_given(db):
    """A lost answer (server killed after the commit) does not strand the jobs until the sent timeout: the same
    harvester worker asking again gets them, described again; another worker does not."""
    register_queue(db, "AGAIN_Q")
    db.execute("SELECT doma_panda.register_harvester_instance('HARV_AGAIN')")
    ids = submit(db, job_spec("AGAIN_Q"), job_spec("AGAIN_Q"), job_spec("AGAIN_Q"))
    worker = {"harvester_id": "HARV_AGAIN", "worker_id": 7, "node": "wn-7"}
    first = acquire(db, "AGAIN_Q", 2, **worker)
    assert len(first) == 2
    again = acquire(db, "AGAIN_Q", 2, **worker)
    assert [job["PandaID"] for job in again] == [job["PandaID"] for job in first]
    assert again[0].keys() == first[0].keys()
    other = acquire(db, "AGAIN_Q", 5, harvester_id="HARV_AGAIN", worker_id=8)
    assert [job["PandaID"] for job in other] == [
        pandaid for pandaid in ids if pandaid not in {j["PandaID"] for j in first}
    ]
    # once the worker reports, the jobs are no longer re-delivered: it gets new ones (none left here)
    for job in first:
        update(db, job["PandaID"], "starting", node="wn-7")
    assert acquire(db, "AGAIN_Q", 2, **worker) == []
    sent_log = db.execute(
        "SELECT pandaid, count(*) FROM doma_panda.jobs_statuslog WHERE jobstatus = 'sent' GROUP BY pandaid"
    ).fetchall()
    assert all(count == 1 for _, count in sent_log)  # handed again is not dispatched again
