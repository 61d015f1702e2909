"""Job search over the live and archived job tables (filters, fields, sort, paging, visibility) and a job's
status history from jobs_statuslog (procedures/postgres/job_search.sql, REST job/search, job/get_status_history)."""

from __future__ import annotations

import pytest
from psycopg.types.json import Jsonb

from job_helpers import acquire, call, expect_refusal, snapshot, update

QUEUE = "SEARCH_QUEUE"


@pytest.fixture
def jobs(db, api):
    """Six jobs of alice and bob (VO atlas) through the API, one of another VO, and a finished one."""
    db.execute("SELECT doma_panda.register_site('SEARCH_SITE')")
    for queue in (QUEUE, "SEARCH_OTHER"):
        db.execute("SELECT doma_panda.register_panda_queue(%s, 'SEARCH_SITE', %s)", (queue, Jsonb({})))
    ids = {}
    for user, names, queue in (("alice", ["a1", "a2", "a3"], QUEUE), ("bob", ["b1", "b2"], "SEARCH_OTHER")):
        answer = api.post(
            "/api/v1/job/submit",
            {
                "jobs": [
                    {
                        "jobName": name,
                        "computingSite": queue,
                        "prodSourceLabel": "user",
                        "assignedPriority": 10 - position,
                        "jobStatus": "defined" if name == "a3" else None,
                    }
                    for position, name in enumerate(names)
                ]
            },
            user=user,
            groups=(),
        )
        assert answer.json["success"], answer.json
        ids.update({entry["jobName"]: entry["PandaID"] for entry in answer.json["data"]})
    cms = api.post(
        "/api/v1/job/submit",
        {"jobs": [{"jobName": "c1", "computingSite": "SEARCH_OTHER", "prodSourceLabel": "user"}]},
        user="alice",
        vo="cms",
        groups=(),
    )
    ids["c1"] = cms.json["data"][0]["PandaID"]
    # a1 runs and finishes: it moves to jobsarchived4
    [description] = acquire(db, QUEUE, 1)
    assert description["PandaID"] == ids["a1"]
    update(db, ids["a1"], "running", node="wn-1")
    update(db, ids["a1"], "finished")
    return ids


def search(api, body, user="alice", groups=(), vo="atlas"):
    response = api.post("/api/v1/job/search", body, user=user, groups=groups, vo=vo)
    assert response.status_code == 200, response.text
    return response.json


def test_filters_fields_sort_and_paging(api, jobs, db):
    mine = search(
        api,
        {"parameters": ["PandaID", "jobName", "jobStatus"], "sort": [{"parameter": "jobName", "direction": "desc"}]},
    )
    assert mine["success"], mine
    assert mine["data"]["total"] == 3  # alice's atlas jobs only: not bob's, not her cms job
    assert [job["jobname"] for job in mine["data"]["jobs"]] == ["a3", "a2", "a1"]
    assert set(mine["data"]["jobs"][0]) == {"pandaid", "jobname", "jobstatus"}
    assert {job["jobname"]: job["jobstatus"] for job in mine["data"]["jobs"]} == {
        "a1": "finished",
        "a2": "activated",
        "a3": "defined",
    }

    everyone = search(
        api,
        {
            "search": [{"parameter": "jobstatus", "operator": "in", "values": ["activated", "defined"]}],
            "parameters": ["pandaid", "produsername"],
            "sort": [{"parameter": "assignedpriority"}],
            "per_page": 2,
            "page": 2,
        },
        user="prodsys",
        groups=("production",),
    )
    assert everyone["data"]["total"] == 4 and everyone["data"]["page"] == 2
    assert [job["pandaid"] for job in everyone["data"]["jobs"]] == [jobs["b2"], jobs["b1"]]  # priorities 8, 9, 9, 10

    like = search(
        api,
        {
            "search": [
                {"parameter": "jobname", "operator": "like", "value": "b%"},
                {"parameter": "modificationtime", "operator": "gt", "value": "2000-01-01 00:00:00"},
            ],
            "parameters": ["jobname"],
        },
        user="prodsys",
        groups=("production",),
    )
    assert sorted(job["jobname"] for job in like["data"]["jobs"]) == ["b1", "b2"]
    assert call(
        db, "search_jobs", p_query={"search": [{"parameter": "jobname", "value": "c1"}], "parameters": ["vo"]}
    ) == {"total": 1, "page": 1, "per_page": 100, "jobs": [{"vo": "cms"}]}  # a SQL caller sees every VO
    # every field by default, the archive on request
    everything = search(api, {"search": [{"parameter": "pandaid", "value": jobs["a1"]}], "include_archive": True})
    [job] = everything["data"]["jobs"]
    assert len(job) > 100 and (job["pandaid"], job["jobstatus"], job["computingsite"]) == (
        jobs["a1"],
        "finished",
        QUEUE,
    )


@pytest.mark.parametrize(
    "body, words",
    [
        ({"search": [{"parameter": "colour", "value": 1}]}, ["colour", "not a job column"]),
        ({"search": [{"parameter": "pandaid", "operator": "near", "value": 1}]}, ["near"]),
        ({"search": [{"parameter": "pandaid", "operator": "in", "value": 1}]}, ["needs values"]),
        ({"search": [{"parameter": "pandaid", "value": "abc"}]}, ["does not fit"]),
        ({"parameters": ["pandaid", "nope"]}, ["nope"]),
        ({"sort": [{"parameter": "pandaid", "direction": "sideways"}]}, ["sort[0]"]),
        ({"per_page": 10001}, ["per_page"]),
    ],
)
def test_bad_queries_are_refused_naming_the_parameter(api, jobs, body, words):
    answer = search(api, body)
    assert answer["success"] is False
    for word in words:
        assert word in answer["message"], answer["message"]


def test_status_history(api, jobs, db):
    history = api.get("/api/v1/job/get_status_history", {"job_id": jobs["a1"]}, user="alice", groups=()).json
    assert history["success"], history
    assert [entry["status"] for entry in history["data"]] == ["defined", "activated", "sent", "running", "finished"]
    assert history["data"][0]["computingsite"] == QUEUE and history["data"][-2]["host"] == "wn-1"
    before = snapshot(db)
    not_mine = api.get("/api/v1/job/get_status_history", {"job_id": jobs["b1"]}, user="alice", groups=())
    assert not_mine.status_code == 403 and "not yours" in not_mine.json["message"]
    production = api.get(
        "/api/v1/job/get_status_history", {"job_id": jobs["b1"]}, user="prodsys", groups=("production",)
    )
    assert [entry["status"] for entry in production.json["data"]] == ["defined", "activated"]
    unknown = api.get("/api/v1/job/get_status_history", {"job_id": 987654321}, user="alice", groups=()).json
    assert unknown["success"] is False and unknown["data"]["sqlstate"] == "PD003"
    assert "not found" in expect_refusal(db, "PD003", "get_job_status_history", p_pandaid=987654321)
    assert snapshot(db) == before
