"""The job module as panda-client 2.2.0 speaks it, in-process on the test's database: serialized JobSpecs in
job/submit, the submission rules in SQL (production role, VO, queue), jobs set up at once or by the scheduled
activator, JobSpec-shaped descriptions over GET and POST, the offline script, analysis metadata, site specs,
the VOMS attributes, and PanDA's columns of mv_worker_node_summary."""

from __future__ import annotations

import json
import os

import pytest
from psycopg.types.json import Jsonb

os.environ.setdefault("PANDA_BEHIND_REAL_LB", "1")  # pandaclient.Client resolves no host when imported
from pandaclient import Client, MiscUtils  # noqa: E402
from pandaclient.FileSpec import FileSpec  # noqa: E402
from pandaclient.JobSpec import JobSpec  # noqa: E402

from http_helpers import table_counts  # noqa: E402
from job_helpers import call, job_row  # noqa: E402

QUEUE = "COMPAT_QUEUE"


@pytest.fixture
def queue_db(db):
    db.execute("SELECT doma_pandameta.register_cloud('CERN', 'test cloud', 'online', 'atlas')")
    db.execute("SELECT doma_panda.register_site('COMPAT_SITE')")
    db.execute(
        "SELECT doma_panda.register_panda_queue(%s, 'COMPAT_SITE', %s)",
        (QUEUE, Jsonb({"cloud": "CERN", "type": "analysis", "corecount": 8, "ddm_input": "x"})),
    )
    db.execute(
        "SELECT doma_panda.register_panda_queue('COMPAT_PROD', 'COMPAT_SITE', %s)", (Jsonb({"type": "production"}),)
    )
    return db


def spec(name: str, label: str = "user", queue: str = QUEUE, input_status: str | None = None) -> JobSpec:
    job = JobSpec()
    job.jobName = name
    job.jobDefinitionID = 3
    job.jobsetID = 42
    job.transformation = "/bin/echo"
    job.jobParameters = "hello"
    job.computingSite = queue
    job.prodSourceLabel = label
    job.metadata = [None, None, {"k": 1}]  # JobSpec.set_task_attribute's shape
    for lfn, kind in ((f"{name}.in", "input"), (f"{name}.out", "output")):
        file = FileSpec()
        file.lfn, file.type, file.dataset, file.scope = lfn, kind, "user.alice.ds", "user.alice"
        if kind == "input" and input_status:
            file.status = input_status
        job.addFile(file)
    return job


def serialized(*jobs: JobSpec) -> str:
    return MiscUtils.dump_jobs_json(list(jobs))


def test_serialized_jobspecs_are_submitted_set_up_and_answered_as_panda_does(api, queue_db):
    db = queue_db
    answer = api.post(
        "/api/v1/job/submit",
        {"jobs": serialized(spec("c.user"), spec("c.managed", "managed"), spec("c.waits", input_status="pending"))},
        user="alice",
        groups=("production",),
    )
    assert answer.status_code == 200 and answer.json["success"], answer.json
    (user_id, definition, jobset), (managed_id, _, name), (waiting_id, _, _) = answer.json["data"]
    assert (definition, jobset, name) == (3, {"jobsetID": 42}, "c.managed")

    table, job = job_row(db, user_id)
    assert (table, job["jobstatus"], job["vo"], job["cloud"], job["produsername"]) == (
        "jobsactive4",
        "activated",
        "atlas",
        "CERN",
        "alice",
    )
    assert (job["jobname"], job["transformation"], job["jobdefinitionid"], job["jobsetid"]) == (
        "c.user",
        "/bin/echo",
        3,
        42,
    )
    assert db.execute(
        "SELECT jobparameters FROM doma_panda.jobparamstable WHERE pandaid = %s", (user_id,)
    ).fetchone() == ("hello",)
    assert json.loads(
        db.execute("SELECT metadata FROM doma_panda.metatable WHERE pandaid = %s", (user_id,)).fetchone()[0]
    ) == [None, None, {"k": 1}]
    files = db.execute(
        "SELECT lfn, type, status, dataset, scope FROM doma_panda.filestable4 WHERE pandaid = %s ORDER BY row_id",
        (user_id,),
    ).fetchall()
    assert files == [
        ("c.user.in", "input", "ready", "user.alice.ds", "user.alice"),
        ("c.user.out", "output", "unknown", "user.alice.ds", "user.alice"),
    ]
    assert db.execute(
        "SELECT array_agg(jobstatus ORDER BY modiftime_extended) FROM doma_panda.jobs_statuslog WHERE pandaid = %s",
        (user_id,),
    ).fetchone()[0] == ["defined", "activated"]

    # an input that is not ready: assigned, until the scheduled activator finds it ready
    assert job_row(db, waiting_id)[1]["jobstatus"] == "assigned"
    assert call(db, "activate_defined_jobs", p_limit=10) == {"activated": 0, "assigned": 0}
    db.execute("UPDATE doma_panda.filestable4 SET status = 'ready' WHERE pandaid = %s", (waiting_id,))
    assert call(db, "activate_defined_jobs", p_limit=10) == {"activated": 1, "assigned": 0}
    assert job_row(db, waiting_id)[0:1] == ("jobsactive4",)
    assert job_row(db, managed_id)[1]["jobstatus"] == "activated"


def test_submission_rules_are_decided_in_sql(api, queue_db):
    db = queue_db
    before = table_counts(api.database_url)
    managed = api.post(
        "/api/v1/job/submit", {"jobs": serialized(spec("r.ok"), spec("r.managed", "managed"))}, user="bob", groups=()
    )
    assert managed.status_code == 403 and "production role" in managed.json["message"], managed.json
    unknown = api.post(
        "/api/v1/job/submit", {"jobs": serialized(spec("r.lost", queue="NO_SUCH_QUEUE"))}, user="bob", groups=()
    )
    assert unknown.status_code == 200 and unknown.json["success"] is False
    assert "NO_SUCH_QUEUE is not a registered PanDA queue" in unknown.json["message"]
    other_vo = spec("r.vo")
    other_vo.VO = "cms"
    refused = api.post("/api/v1/job/submit", {"jobs": serialized(other_vo)}, user="bob", groups=())
    assert refused.status_code == 403 and "VO cms" in refused.json["message"]
    broken = api.post("/api/v1/job/submit", {"jobs": [["only one value"]]}, user="bob", groups=())
    assert broken.status_code == 200 and "serialized JobSpec" in broken.json["message"]
    assert table_counts(api.database_url) == before

    # the object form still works, and a SQL caller (no identity) is trusted
    plain = api.post(
        "/api/v1/job/submit",
        {"jobs": [{"jobName": "r.obj", "computingSite": QUEUE, "prodSourceLabel": "user"}]},
        user="bob",
        groups=(),
    )
    assert plain.json["data"][0]["jobStatus"] == "activated" and plain.json["data"][0]["jobName"] == "r.obj"
    [trusted] = call(db, "submit_jobs", p_job_specs=[{"computingSite": "COMPAT_PROD", "prodSourceLabel": "managed"}])
    assert job_row(db, trusted["PandaID"])[1]["vo"] is None


def test_descriptions_are_jobspecs_over_get_and_post(api, queue_db):
    [[pandaid, _, _]] = api.post("/api/v1/job/submit", {"jobs": serialized(spec("d.one"))}, user="alice").json["data"]
    posted = api.post("/api/v1/job/get_description", {"job_ids": [pandaid, 123456789]}, user="alice")
    got = api.get("/api/v1/job/get_description_incl_archive", {"job_ids": f"{pandaid},123456789"}, user="alice")
    assert posted.status_code == got.status_code == 200
    assert posted.json["data"] == got.json["data"] and posted.json["data"][1] is None
    decoded = json.loads(json.dumps(posted.json), object_hook=Client.decode_special_cases)
    job, missing = MiscUtils.load_jobs(decoded["data"])
    assert missing is None
    assert (job.PandaID, job.jobName, job.jobStatus, job.computingSite, job.VO, job.jobParameters) == (
        pandaid,
        "d.one",
        "activated",
        QUEUE,
        "atlas",
        "hello",
    )
    assert job.creationTime.year >= 2020 and job.metadata == '[null, null, {"k": 1}]'
    assert [(f.lfn, f.type, f.PandaID) for f in job.Files] == [
        ("d.one.in", "input", pandaid),
        ("d.one.out", "output", pandaid),
    ]
    assert set(posted.json["data"][0]) == set(JobSpec._attributes) | {"Files"}

    script = api.get("/api/v1/job/generate_offline_execution_script", {"job_id": pandaid}, user="alice").json
    assert script["success"] and "/bin/echo hello" in script["data"]["script"]
    assert api.get("/api/v1/job/get_execution_script", {"job_id": pandaid}, user="alice").json == script


def test_metadata_of_analysis_jobs(api, queue_db):
    db = queue_db
    ids = [
        entry["PandaID"]
        for entry in call(
            db,
            "submit_jobs",
            p_job_specs=[
                {"computingSite": QUEUE, "prodSourceLabel": "user", "jediTaskID": 5, "jobStatus": "activated"}
                for _ in range(2)
            ],
        )
    ]
    for pandaid, metadata in zip(ids, ('{"events": 10}', "plain text"), strict=False):
        call(db, "acquire_jobs", p_site_name=QUEUE, p_n_jobs=1, p_request={})
        call(db, "update_job", p_pandaid=pandaid, p_job_status="finished", p_request={"meta_data": metadata})
    answer = api.get("/api/v1/job/get_metadata_for_analysis_jobs", {"task_id": 5}, user="alice").json
    assert answer["data"] == {str(ids[0]): {"events": 10}, str(ids[1]): "plain text"}
    empty = api.get("/api/v1/job/get_metadata_for_analysis_jobs", {"task_id": 6}, user="alice").json
    assert empty == {"success": True, "message": "No metadata found", "data": {}}


def test_site_specs_and_voms_attributes(api, queue_db):
    analysis = api.get("/api/v1/metaconfig/get_site_specs", {}, user="alice").json
    assert analysis["success"], analysis
    analysis = analysis["data"]
    assert list(analysis) == [QUEUE] and analysis[QUEUE]["cloud"] == "CERN" and analysis[QUEUE]["siteid"] == QUEUE
    assert "ddm_input" not in analysis[QUEUE]
    assert set(api.get("/api/v1/metaconfig/get_site_specs", {"type": "all"}, user="alice").json["data"]) == {
        QUEUE,
        "COMPAT_PROD",
    }
    wrong = api.get("/api/v1/metaconfig/get_site_specs", {"type": "grid"}, user="alice").json
    assert wrong["success"] is False and "type must be" in wrong["message"]
    voms = api.get("/api/v1/system/get_voms_attributes", {}, user="alice")
    assert voms.status_code == 200 and voms.json["data"] == {}


def test_worker_node_summary_has_pandas_columns(queue_db):
    db = queue_db
    db.execute(
        "INSERT INTO doma_panda.worker_node (site, host_name, cpu_model, n_logical_cpus, cpu_architecture_level, "
        "last_seen) VALUES ('S', 'h1', 'm', 48, 'x86-64-v3', now()), ('S', 'h2', 'm', 16, 'x86-64-v2', now())"
    )
    db.execute(
        "INSERT INTO doma_panda.worker_node_queue (site, host_name, panda_queue, last_seen) "
        "VALUES ('S', 'h1', 'Q', now()), ('S', 'h2', 'Q', now())"
    )
    db.execute("REFRESH MATERIALIZED VIEW doma_panda.mv_worker_node_summary")
    rows = db.execute(
        "SELECT panda_queue, cpu_architecture_level, total_logical_cpus, pct_within_pq "
        "FROM doma_panda.mv_worker_node_summary ORDER BY 2"
    ).fetchall()
    assert [(r[0], r[1], r[2], float(r[3])) for r in rows] == [
        ("Q", "x86-64-v2", 16, 25.0),
        ("Q", "x86-64-v3", 48, 75.0),
    ]
