"""A caller only sees and changes its own VO's jobs (issue: reliability, VO isolation), and only its own jobs
unless it has the production role: decided in SQL (procedures/postgres/job_access.sql), answered 403."""

from __future__ import annotations

from http_helpers import table_counts
from job_helpers import job_spec, register_queue, submit

ATLAS_USER = {"user": "alice", "vo": "atlas", "groups": ()}
ATLAS_COLLEAGUE = {"user": "carol", "vo": "atlas", "groups": ()}
ATLAS_PRODUCTION = {"user": "prodsys", "vo": "atlas", "groups": ("production",)}
CMS_PRODUCTION = {"user": "cmsprod", "vo": "cms", "groups": ("production",)}


def alices_job(db) -> int:
    register_queue(db, "VO_Q")
    [pandaid] = submit(
        db,
        job_spec(
            "VO_Q", prodSourceLabel="user", prodUserName="alice", prodUserID="alice", VO="atlas", jobStatus="activated"
        ),
    )
    return pandaid


def test_another_vos_production_role_cannot_touch_a_job(api, db, database_url):
    pandaid = alices_job(db)
    before = table_counts(database_url)
    for path, body in [
        ("/api/v1/job/kill", {"job_ids": [pandaid]}),
        ("/api/v1/job/reassign", {"job_ids": [pandaid]}),
        ("/api/v1/job/set_command", {"job_id": pandaid, "command": "tobekilled"}),
        ("/api/v1/job/set_debug_mode", {"job_id": pandaid, "mode": True}),
    ]:
        answer = api.post(path, body, **CMS_PRODUCTION)
        assert answer.status_code == 403, (path, answer.text)
        assert "belongs to VO atlas" in answer.json["message"] and answer.json["data"]["sqlstate"] == "PD005"
    assert table_counts(database_url) == before
    # reads: another VO's job is unknown to the caller
    unseen = api.get("/api/v1/job/get_status", {"job_ids": str(pandaid)}, **CMS_PRODUCTION)
    assert unseen.status_code == 200 and unseen.json["success"] is False and "in VO cms" in unseen.json["message"]
    seen = api.get("/api/v1/job/get_status", {"job_ids": f"{pandaid},999999"}, **ATLAS_USER)
    assert [entry["status"] for entry in seen.json["data"]] == ["activated", "unknown"]


def test_own_jobs_or_the_production_role_of_the_vo(api, db):
    pandaid = alices_job(db)
    refused = api.post("/api/v1/job/reassign", {"job_ids": [pandaid]}, **ATLAS_COLLEAGUE)
    assert refused.status_code == 403 and "only its owner or the production role" in refused.json["message"]
    own = api.post("/api/v1/job/reassign", {"job_ids": [pandaid]}, **ATLAS_USER)
    assert own.status_code == 200 and own.json["data"][0]["reassigned"] is True, own.text
    new_pandaid = own.json["data"][0]["new_job_id"]
    killed = api.post("/api/v1/job/kill", {"job_ids": [new_pandaid]}, **ATLAS_PRODUCTION)
    assert killed.status_code == 200 and killed.json["data"][0]["killed"] is True


def test_a_queue_serves_its_vo_only(api, db):
    db.execute("SELECT doma_pandameta.register_cloud('ATLAS_CLOUD', 'atlas resources', 'online', 'atlas')")
    register_queue(db, "ATLAS_Q", {"cloud": "ATLAS_CLOUD"})
    [pandaid] = submit(db, job_spec("ATLAS_Q", prodSourceLabel="managed"))
    refused = api.post("/api/v1/pilot/acquire_jobs", {"site_name": "ATLAS_Q", "n_jobs": 5}, **CMS_PRODUCTION)
    assert refused.status_code == 403 and "serves VO atlas" in refused.json["message"]
    assert db.execute("SELECT jobstatus FROM doma_panda.jobsactive4 WHERE pandaid = %s", (pandaid,)).fetchone() == (
        "activated",
    )
    mine = api.post("/api/v1/pilot/acquire_jobs", {"site_name": "ATLAS_Q", "n_jobs": 5}, **ATLAS_PRODUCTION)
    assert [job["PandaID"] for job in mine.json["data"]["jobs"]] == [pandaid]


def test_jobs_of_another_vo_are_not_handed_out_at_a_shared_queue(api, db):
    register_queue(db, "SHARED_Q")  # no VO: open to every VO
    [cms_job] = submit(db, job_spec("SHARED_Q", VO="cms"))
    [atlas_job] = submit(db, job_spec("SHARED_Q", VO="atlas"))
    got = api.post("/api/v1/pilot/acquire_jobs", {"site_name": "SHARED_Q", "n_jobs": 5}, **ATLAS_PRODUCTION)
    assert [job["PandaID"] for job in got.json["data"]["jobs"]] == [atlas_job]
    assert db.execute("SELECT jobstatus FROM doma_panda.jobsactive4 WHERE pandaid = %s", (cms_job,)).fetchone() == (
        "activated",
    )


def test_an_unregistered_queue_is_refused_naming_it(api):
    answer = api.post("/api/v1/pilot/acquire_jobs", {"site_name": "NO_SUCH_QUEUE"}, **ATLAS_PRODUCTION)
    assert answer.status_code == 200 and answer.json["success"] is False
    assert "NO_SUCH_QUEUE is not registered" in answer.json["message"] and answer.json["data"]["sqlstate"] == "PD003"
