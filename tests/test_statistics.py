"""API module statistics: each function against a plain GROUP BY over the job tables (the aggregation
tables refreshed first, as the scheduled jobs do every minute), the window of final-state jobs, and the
refusals."""

from __future__ import annotations

from collections import Counter

import pytest

from job_helpers import dispatched_job, job_spec, register_queue, submit, update

COLUMNS = "cloud, computingsite, jobstatus, prodsourcelabel, processingtype, resource_type, gshare"
PRODUCTION = ("managed", "ptest", "rc_test", "rc_test2", "rc_alrb")


@pytest.fixture
def jobs(db):
    for cloud in ("CA", "DE"):
        db.execute("SELECT doma_pandameta.register_cloud(%s)", (cloud,))
    register_queue(db, "Q_CA", {"cloud": "CA"})
    register_queue(db, "Q_DE", {"cloud": "DE"})
    running = dispatched_job(db, "Q_CA", "running", processingType="simul")
    finished = dispatched_job(db, "Q_DE", "running", processingType="reprocessing")
    update(db, finished, "finished")
    submit(db, job_spec("Q_CA", processingType="simul"), job_spec("Q_DE", processingType="reprocessing"))
    submit(db, job_spec("Q_DE", prodSourceLabel="user", processingType="panda-client"))
    refresh(db)
    return {"running": running, "finished": finished}


def refresh(db):
    for procedure in ("update_jobsactive_stats", "update_jobsact_stats_by_gshare", "update_jobsdef_stats_by_gshare"):
        db.execute(f"CALL doma_panda.{procedure}()")


def job_rows(db, hours: int = 12):
    """(cloud, site, status, label, processingtype, resource_type, gshare) of every job counted."""
    return db.execute(f"""
        SELECT coalesce(sc.data ->> 'cloud', j.cloud), j.computingsite, j.jobstatus, j.prodsourcelabel, j.processingtype,
               j.resource_type, j.gshare
          FROM (SELECT {COLUMNS} FROM doma_panda.jobsactive4 UNION ALL SELECT {COLUMNS} FROM doma_panda.jobsdefined4
                UNION ALL SELECT {COLUMNS} FROM doma_panda.jobsarchived4
                 WHERE modificationtime > doma_panda.panda_now() - interval '{hours} hours') j
          LEFT JOIN doma_panda.schedconfig_json sc ON sc.panda_queue = j.computingsite""").fetchall()


def test_job_stats_by_cloud_counts_what_a_group_by_counts(api, db, jobs):
    rows = job_rows(db)
    for kind, labels in (("production", PRODUCTION), ("analysis", ("user", "panda"))):
        expected: dict = {}
        for (cloud, status), n in Counter((r[0], r[2]) for r in rows if r[3] in labels).items():
            expected.setdefault(cloud, {})[status] = n
        answer = api.get("/api/v1/statistics/job_stats_by_cloud", {"type": kind})
        assert answer.status_code == 200 and answer.json["success"], answer.json
        assert answer.json["data"] == expected and expected
    assert api.get("/api/v1/statistics/job_stats_by_cloud").json["data"]["CA"]["running"] == 1  # production by default
    assert api.get("/api/v1/statistics/job_stats_by_cloud").json["data"]["DE"]["finished"] == 1


def test_production_stats_by_cloud_and_processing_type(api, db, jobs):
    expected: dict = {}
    for (cloud, ptype, status), n in Counter((r[0], r[4], r[2]) for r in job_rows(db) if r[3] in PRODUCTION).items():
        expected.setdefault(cloud, {}).setdefault(ptype, {})[status] = n
    answer = api.get("/api/v1/statistics/production_job_stats_by_cloud_and_processing_type")
    assert answer.json["data"] == expected
    assert answer.json["data"]["DE"]["reprocessing"]["finished"] == 1 and "panda-client" not in str(answer.json["data"])


def test_stats_by_site_resource_and_share_are_zero_filled_and_windowed(api, db, jobs):
    rows = job_rows(db)
    site = api.get("/api/v1/statistics/job_stats_by_site_and_resource_type").json["data"]
    share = api.get("/api/v1/statistics/job_stats_by_site_share_and_resource_type", {"time_window": 720}).json["data"]
    for (queue, resource, status), n in Counter((r[1], r[5] or "NULL", r[2]) for r in rows).items():
        assert site[queue][resource][status] == n
    for (queue, gshare, resource, status), n in Counter(
        (r[1], r[6] or "NULL", r[5] or "NULL", r[2]) for r in rows
    ).items():
        assert share[queue][gshare][resource][status] == n
    for by_resource in site.values():
        for statuses in by_resource.values():
            assert {"assigned", "activated", "running", "finished", "failed"} <= set(statuses)
    # the finished job leaves the default window when it was modified 13 hours ago
    db.execute(
        "UPDATE doma_panda.jobsarchived4 SET modificationtime = modificationtime - interval '13 hours' "
        "WHERE pandaid = %s",
        (jobs["finished"],),
    )
    site = api.get("/api/v1/statistics/job_stats_by_site_and_resource_type").json["data"]
    assert all(statuses["finished"] == 0 for statuses in site["Q_DE"].values())
    site = api.get("/api/v1/statistics/job_stats_by_site_and_resource_type", {"time_window": 14 * 60}).json["data"]
    assert sum(statuses["finished"] for statuses in site["Q_DE"].values()) == 1


def test_refusals_name_the_parameter(api, jobs):
    answer = api.get("/api/v1/statistics/job_stats_by_cloud", {"type": "both"})
    assert answer.status_code == 200 and not answer.json["success"] and "type" in answer.json["message"]
    for window in (-1, 10081):
        answer = api.get("/api/v1/statistics/job_stats_by_site_share_and_resource_type", {"time_window": window})
        assert not answer.json["success"] and "time_window" in answer.json["message"]
    answer = api.get("/api/v1/statistics/job_stats_by_site_and_resource_type", {"time_window": "12h"})
    assert answer.status_code == 400 and answer.json["data"]["parameter"] == "time_window"
    assert api.get("/api/v1/statistics/job_stats_by_cloud", anonymous=True).status_code == 401


def test_empty_database_answers_empty_objects(api):
    for function in (
        "job_stats_by_cloud",
        "production_job_stats_by_cloud_and_processing_type",
        "job_stats_by_site_and_resource_type",
        "job_stats_by_site_share_and_resource_type",
    ):
        answer = api.get(f"/api/v1/statistics/{function}")
        assert answer.status_code == 200 and answer.json == {"success": True, "message": "", "data": {}}
