"""`pandadb chaos`: a fault scenario end to end under load (api-kill over a real server), and the invariant
checker on databases where an invariant is broken on purpose (it must say FAIL)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pandadb.archive import run_archive
from pandadb.chaos import (
    archive_snapshot,
    check_invariants,
    create_old_archived_jobs,
    prepare_queue,
    run_chaos,
)
from pandadb.cli import cli
from pandadb.procedures import call

QUEUE = "CHAOS_UNIT"


def verdicts(checks) -> dict[str, bool]:
    return {check.name: check.passed for check in checks}


@pytest.fixture
def lifecycle(db):
    """Six jobs: two finished (acknowledged), one running, one sent, two activated; the PandaIDs and the acks."""
    pandaids = prepare_queue(db, QUEUE, 6)
    given = call(db, "acquire_jobs", p_site_name=QUEUE, p_n_jobs=4, p_request={"node": "wn-a"})
    ids = [job["PandaID"] for job in given]
    for pandaid in ids[:3]:
        call(db, "update_job", p_pandaid=pandaid, p_job_status="running", p_request={"node": "wn-a"})
    for pandaid in ids[:2]:
        call(db, "update_job", p_pandaid=pandaid, p_job_status="finished", p_request={"node": "wn-a"})
    return pandaids, ids, {pandaid: "finished" for pandaid in ids[:2]}


def test_the_invariants_hold_on_a_sound_database(db, lifecycle):
    pandaids, _, acked = lifecycle
    checks = check_invariants(db, pandaids, acked)
    assert all(verdicts(checks).values()), [c.line() for c in checks]
    assert len(checks) == 4 and all(c.line().startswith("PASS") for c in checks)


def test_a_job_in_two_tables_or_lost_fails(db, lifecycle):
    pandaids, ids, acked = lifecycle
    finished = ids[0]
    db.execute(
        "INSERT INTO doma_pandaarch.jobsarchived (pandaid, modificationtime, jobstatus) VALUES (%s, now(), 'finished')",
        (finished,),
    )
    db.execute("DELETE FROM doma_panda.jobsactive4 WHERE pandaid = %s", (ids[3],))
    [one_table] = [c for c in check_invariants(db, pandaids, acked) if c.name.startswith("every PandaID")]
    assert not one_table.passed
    assert "1 missing" in one_table.detail and str(ids[3]) in one_table.detail
    assert f"{finished} in doma_panda.jobsarchived4 + doma_pandaarch.jobsarchived" in one_table.detail


def test_a_job_dispatched_to_two_pilots_fails(db, lifecycle):
    pandaids, ids, acked = lifecycle
    assert verdicts(check_invariants(db, pandaids, acked))["none dispatched twice"]
    # the same pilot asking again (a recoverable acquire) is not a second dispatch ...
    db.execute(
        "INSERT INTO doma_panda.jobs_statuslog (pandaid, modificationtime, jobstatus, modificationhost) "
        "VALUES (%s, now(), 'sent', 'wn-a')",
        (ids[3],),
    )
    assert verdicts(check_invariants(db, pandaids, acked))["none dispatched twice"]
    # ... another pilot is
    db.execute(
        "INSERT INTO doma_panda.jobs_statuslog (pandaid, modificationtime, jobstatus, modificationhost) "
        "VALUES (%s, now(), 'sent', 'wn-b')",
        (ids[3],),
    )
    [dispatched] = [c for c in check_invariants(db, pandaids, acked) if c.name == "none dispatched twice"]
    assert not dispatched.passed and f"{ids[3]}: wn-a + wn-b" in dispatched.detail
    # a job two clients both received fails too, whatever the log says
    db.execute("DELETE FROM doma_panda.jobs_statuslog WHERE modificationhost = 'wn-b'")
    [dispatched] = [
        c
        for c in check_invariants(db, pandaids, acked, client_duplicates=[ids[1]])
        if c.name == "none dispatched twice"
    ]
    assert not dispatched.passed and "received by two clients" in dispatched.detail


def test_an_acknowledged_final_state_not_archived_fails(db, lifecycle):
    pandaids, ids, acked = lifecycle
    running, finished = ids[2], ids[0]
    for wrong in ({running: "finished"}, {finished: "failed"}):
        [ack] = [
            c
            for c in check_invariants(db, pandaids, {**acked, **wrong})
            if c.name == "every acknowledged final state archived"
        ]
        assert not ack.passed and f"1 of {len(acked) + (1 if running in wrong else 0)}" in ack.detail


def test_archive_rows_must_be_there_once_and_identical(db):
    old = create_old_archived_jobs(db, per_day=5, days_ago=(5, 6))
    snapshot = archive_snapshot(db, old)
    assert len(snapshot["doma_pandaarch.filestable_arch"]) == 20 and len(snapshot["doma_pandaarch.jobsarchived"]) == 10
    # before archival the archive lacks them
    [archive] = [c for c in check_invariants(db, old, {}, archive_snapshot=snapshot) if c.name.startswith("archive")]
    assert not archive.passed and "rows missing" in archive.detail
    run_archive(db)
    checks = check_invariants(db, old, {}, archive_snapshot=snapshot)
    assert all(verdicts(checks).values()), [c.line() for c in checks]
    # a changed archive row, then a duplicated one
    db.execute("UPDATE doma_pandaarch.metatable_arch SET metadata = '{}' WHERE pandaid = %s", (old[0],))
    [archive] = [c for c in check_invariants(db, old, {}, archive_snapshot=snapshot) if c.name.startswith("archive")]
    assert not archive.passed and "metatable_arch: 1 rows differ from the source" in archive.detail
    db.execute(
        "INSERT INTO doma_pandaarch.jobparamstable_arch SELECT * FROM doma_pandaarch.jobparamstable_arch "
        "WHERE pandaid = %s",
        (old[1],),
    )
    [archive] = [c for c in check_invariants(db, old, {}, archive_snapshot=snapshot) if c.name.startswith("archive")]
    assert f"jobparamstable_arch: 1 keys twice ({old[1]})" in archive.detail
    # a partition dropped without a passed verification
    db.execute("UPDATE doma_panda.tablepart4copying SET data_verif_passed = NULL WHERE table_name = 'metatable'")
    [archive] = [c for c in check_invariants(db, old, {}) if c.name.startswith("archive")]
    assert not archive.passed and "2 partitions dropped without a passed verification" in archive.detail


def test_db_restart_needs_the_runs_own_cluster(database_url):
    lines: list[str] = []
    with pytest.raises(ValueError, match="own cluster"):
        run_chaos(
            ["api-kill", "db-restart"], jobs=10, clients=1, seconds=5, database_url=database_url, echo=lines.append
        )
    assert lines == [], "refused before anything was set up"


def test_api_kill_under_load_keeps_the_invariants_and_prints_the_figures(database_url):
    lines: list[str] = []
    [result] = run_chaos(
        ["api-kill"],
        jobs=240,
        clients=4,
        seconds=40,
        echo=lines.append,
        database_url=database_url,
        workers=1,
        threads=4,
    )
    text = "\n".join(lines)
    assert result.passed, text
    assert result.requests >= 3 * 80 and result.fault_at is not None
    assert sum(result.failures.values()) > 0, "the clients saw the server die"
    assert result.failures["connection refused"] + result.failures["connection lost"] > 0, text
    # a request sent after the kill succeeds only once the restarted server listens (its start takes > 0.3 s)
    assert result.recovery_seconds is not None and result.recovery_seconds > 0.3 and result.down_seconds > 0.3
    assert result.acknowledged >= 240 - 20, text
    assert "kill -9 of the API server's process group" in text
    for figure in ("requests ", "failures seen ", "latency ", "recovery ", "final states acked "):
        assert f"   {figure}" in text, text
    assert text.count("     PASS  ") == 4 and "FAIL" not in text


def test_the_command_lists_its_scenarios():
    result = CliRunner().invoke(cli, ["chaos", "--help"])
    assert result.exit_code == 0
    for name in ("api-kill", "db-restart", "archive-kill", "--jobs", "--clients", "--seconds"):
        assert name in result.output
    assert CliRunner().invoke(cli, ["chaos", "no-such-scenario"]).exit_code == 2
