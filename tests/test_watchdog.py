"""The job watchdog (procedures/postgres/watchdog.sql): the timeout rules of seed 004 section 12.1.3,
each checked with a pinned clock just before and just after its timeout."""

from __future__ import annotations

from datetime import datetime, timedelta

from job_helpers import acquire, call, dispatched_job, job_row, job_spec, pin_clock, register_queue, submit, update

T0 = datetime(2026, 1, 1, 0, 0, 0)
RULES = {
    "pending_timeout",
    "defined_timeout",
    "assigned_timeout",
    "throttled_timeout",
    "activated_hp_timeout",
    "activated_timeout",
    "sent_timeout",
    "lost_heartbeat",
    "running_timeout",
    "holding_hp_timeout",
    "holding_timeout",
    "transferring_timeout",
}


def at(db, minutes: float) -> str:
    """Pin the clock at T0 + minutes; returns the time as PostgreSQL prints it."""
    when = (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")
    pin_clock(db, when)
    return when


def watchdog(db, minutes: float) -> dict[str, int]:
    """Run the watchdog at T0 + minutes; returns only the rules that ended jobs."""
    at(db, minutes)
    result = call(db, "run_watchdog")
    assert set(result) == RULES
    return {rule: n for rule, n in result.items() if n}


def ended(db, pandaid: int) -> dict:
    table, job = job_row(db, pandaid)
    assert table == "jobsarchived4", f"job {pandaid} is still {job['jobstatus']}"
    return job


def test_queued_jobs_expire_and_are_closed(db):
    register_queue(db, "Q_PAUSED", {"status": "paused"})
    register_queue(db, "Q_NO_REASSIGN", {"catchall": "something,disableReassign"})
    at(db, 0)
    ids = dict(
        zip(
            ["pending", "defined", "assigned", "activated", "throttled"],
            submit(
                db,
                *[
                    job_spec("Q_WATCH", jobStatus=status)
                    for status in ("pending", "defined", "assigned", "activated", "throttled")
                ],
            ),
            strict=False,
        )
    )
    protected = submit(db, job_spec("Q_PAUSED", jobStatus="defined"), job_spec("Q_NO_REASSIGN", jobStatus="activated"))

    assert watchdog(db, 59) == {}
    assert watchdog(db, 61) == {"pending_timeout": 1}
    job = ended(db, ids["pending"])
    assert (job["jobstatus"], job["taskbuffererrorcode"], job["taskbuffererrordiag"]) == (
        "closed",
        102,
        "expired in pending. status unchanged since 2026-01-01 00:00:00",
    )
    assert watchdog(db, 239) == {}
    assert watchdog(db, 241) == {"defined_timeout": 1}
    assert watchdog(db, 719) == {}
    assert watchdog(db, 721) == {"assigned_timeout": 1}
    assert watchdog(db, 2879) == {}
    assert watchdog(db, 2881) == {"activated_timeout": 1}
    assert watchdog(db, 10079) == {}
    assert watchdog(db, 10081) == {"throttled_timeout": 1}
    for status, pandaid in ids.items():
        job = ended(db, pandaid)
        assert (job["jobstatus"], job["taskbuffererrorcode"]) == ("closed", 102)
        assert job["taskbuffererrordiag"].startswith(f"expired in {status}.")
        assert job["modificationtime"] > "2026-01-01T00:59"
    # paused queues and queues with disableReassign keep their jobs whatever their age
    assert watchdog(db, 100000) == {}
    assert [job_row(db, pandaid)[0] for pandaid in protected] == ["jobsdefined4", "jobsactive4"]
    pin_clock(db, None)


def test_dispatched_jobs_without_news_fail(db):
    register_queue(db, "Q_UPS", {"workflow": "pull_ups"})
    db.execute("""INSERT INTO doma_panda.config (app, component, key, value, type, vo, descr)
                  VALUES ('pandaserver', 'watchdog', 'HEARTBEAT_TIMEOUT_pull_ups', '30', 'int', 'default', 'test')""")
    at(db, 0)
    sent = dispatched_job(db, "Q_SENT", "sent")
    running = dispatched_job(db, "Q_RUN", "running", maxAttempt=2, attemptNr=0)
    starting = dispatched_job(db, "Q_START", "starting")
    long_running = dispatched_job(db, "Q_LONG", "running")
    ups_running = dispatched_job(db, "Q_UPS", "running")
    ups_transferring = dispatched_job(db, "Q_UPS", "sent")
    update(db, ups_transferring, "transferring", job_sub_status="stage_out")
    plain_transferring = dispatched_job(db, "Q_UPS", "transferring")

    assert watchdog(db, 29) == {}
    assert watchdog(db, 31) == {"sent_timeout": 1, "lost_heartbeat": 2}
    job = ended(db, sent)
    [(requeued, attempt)] = db.execute(
        "SELECT pandaid, attemptnr FROM doma_panda.jobsactive4 WHERE parentid = %s AND jobstatus = 'activated'", (sent,)
    ).fetchall()
    assert (job["jobstatus"], job["jobdispatchererrorcode"], job["jobdispatchererrordiag"]) == (
        "failed",
        102,
        f"Sent job didn't receive reply from pilot within 30 min: re-queued as job {requeued}",
    )
    assert attempt == 1  # the job never ran: it is tried again, whatever its maxattempt (0 here)
    for pandaid in (ups_running, ups_transferring):
        job = ended(db, pandaid)
        assert (job["jobstatus"], job["jobdispatchererrorcode"], job["jobdispatchererrordiag"]) == (
            "failed",
            100,
            "lost heartbeat : 2026-01-01 00:00:00",
        )
    assert (
        job_row(db, plain_transferring)[0] == "jobsactive4"
    )  # no own stage-out: the transferring rule, not heartbeats

    at(db, 100)
    update(db, running, None, max_rss=1)
    update(db, long_running, None)
    assert watchdog(db, 121) == {"lost_heartbeat": 1}
    assert ended(db, starting)["jobdispatchererrorcode"] == 100
    at(db, 200)
    update(db, long_running, None)
    assert watchdog(db, 221) == {"lost_heartbeat": 1}
    job = ended(db, running)
    assert (job["jobdispatchererrorcode"], job["jobdispatchererrordiag"], job["endtime"]) == (
        100,
        "lost heartbeat : 2026-01-01 01:40:00",
        "2026-01-01T01:40:00",
    )
    # the failure went through the retry module: a new attempt is queued
    [retry] = db.execute(
        "SELECT pandaid, attemptnr FROM doma_panda.jobsactive4 WHERE parentid = %s", (running,)
    ).fetchall()
    assert retry[1] == 1

    at(db, 30239)
    update(db, long_running, None)
    # and the queued retries expired: the failed running job's and the sent job's new attempt
    assert watchdog(db, 30241) == {"running_timeout": 1, "activated_timeout": 2}
    job = ended(db, long_running)
    assert (job["jobdispatchererrorcode"], job["jobdispatchererrordiag"]) == (
        105,
        "timeout in running : status unchanged since 2026-01-01 00:00:00",
    )
    assert ended(db, retry[0])["jobstatus"] == "closed"
    pin_clock(db, None)


def test_holding_transferring_and_high_priority_jobs(db):
    db.execute("SELECT doma_pandameta.register_cloud('CLD')")
    db.execute("UPDATE doma_pandameta.cloudconfig SET transtimelo = 2, transtimehi = 1 WHERE name = 'CLD'")
    at(db, 0)
    holding_hp = dispatched_job(db, "Q_H1", "holding", currentPriority=900)
    holding = dispatched_job(db, "Q_H2", "holding", currentPriority=100)
    transferring = dispatched_job(db, "Q_X1", "transferring", cloud="CLD", currentPriority=100)
    transferring_hp = dispatched_job(db, "Q_X2", "transferring", cloud="CLD", currentPriority=900)
    [idle_queue_job] = submit(db, job_spec("Q_IDLE", currentPriority=900))
    [busy_queue_job] = submit(db, job_spec("Q_BUSY", currentPriority=900))
    at(db, 200)  # a job starts at Q_BUSY
    [starter] = submit(db, job_spec("Q_BUSY", prodSourceLabel="user"))
    assert [d["PandaID"] for d in acquire(db, "Q_BUSY", 1, prod_source_label="user")] == [starter]
    update(db, starter, "running")

    assert watchdog(db, 179) == {}
    assert watchdog(db, 181) == {"holding_hp_timeout": 1}
    job = ended(db, holding_hp)
    assert (job["jobstatus"], job["jobdispatchererrorcode"], job["jobdispatchererrordiag"]) == (
        "failed",
        103,
        "timeout in holding : last heartbeat at 2026-01-01 00:00:00",
    )
    assert watchdog(db, 241) == {"activated_hp_timeout": 1}
    job = ended(db, idle_queue_job)
    assert (job["jobstatus"], job["taskbuffererrorcode"]) == ("closed", 102)
    assert job_row(db, busy_queue_job)[0] == "jobsactive4"  # a job started there within 2 hours
    # the starter stopped heartbeating long ago, and nothing started at Q_BUSY for two hours any more
    assert watchdog(db, 1439) == {"lost_heartbeat": 1, "activated_hp_timeout": 1}
    assert ended(db, busy_queue_job)["jobstatus"] == "closed"
    assert watchdog(db, 1441) == {"transferring_timeout": 1}
    job = ended(db, transferring_hp)
    assert (job["jobdispatchererrorcode"], job["jobdispatchererrordiag"]) == (
        104,
        "timeout in transferring : last heartbeat at 2026-01-01 00:00:00",
    )
    assert watchdog(db, 2879) == {}
    assert watchdog(db, 2881) == {"transferring_timeout": 1}
    assert ended(db, transferring)["jobdispatchererrorcode"] == 104
    assert watchdog(db, 4319) == {}
    assert watchdog(db, 4321) == {"holding_timeout": 1}
    assert ended(db, holding)["jobdispatchererrorcode"] == 103
    pin_clock(db, None)
