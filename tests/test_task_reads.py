"""The `task` API module in-process (issue 8): the reads (procedures/postgres/task_reads.sql) in the shapes
panda-client 2.2.0 parses, and the command endpoints' answers and refusals (200 success false for an illegal
transition or unknown task, 403 for another user's task or a missing production role, 400 for bad parameters)."""

from __future__ import annotations

import json

import pytest
from task_helpers import end_job, generate, make_task, task_jobs, task_status

from pandadb.errors import NotAllowed, UnknownObject
from pandadb.procedures import call, text_array

from job_helpers import register_queue

WLCG = {"vo": "wlcg"}


@pytest.fixture
def tasks(db):
    """A running task with 3 jobs (one finished, one failed), a child task of it, a jumbo task."""
    register_queue(
        db, "READ_QUEUE", {"corecount": 1, "maxrss": 4000, "maxtime": 200000, "maxwdir": 20000, "corepower": 12}
    )
    task = make_task(db, n_files=4, split="NF=1", params={"skipScout": True, "maxAttempt": 1}, reqid=45)
    generate(db, task, max_jobs=3)
    jobs = task_jobs(db, task)
    end_job(db, jobs[0]["pandaid"], "finished")
    end_job(db, jobs[1]["pandaid"], "failed")
    child = make_task(db, n_files=1, parent_tid=task)
    jumbo = make_task(db, n_files=1, usejumbo="Y")
    return db, task, child, jumbo, [j["pandaid"] for j in jobs]


def test_reads_in_sql(tasks):
    db, task, child, jumbo, pandaids = tasks
    details = call(db, "get_task_details", p_jeditaskid=task, p_include_parameters=True, p_include_status=True)
    assert (details["jediTaskID"], details["status"], details["PandaID"]) == (task, "running", pandaids)
    assert details["inDS"] == f"data.in{task}" and details["outDS"] == f"user.alice.{task}.out,user.alice.{task}.log"
    assert details["taskParams"]["maxAttempt"] == 1
    assert details["statistics"] == {"finished": 1, "failed": 1, "activated": 1}
    assert (details["nFiles"], details["nFilesFinished"], details["nFilesFailed"], details["pctFinished"]) == (
        4,
        1,
        1,
        25,
    )
    assert details["task"]["jediTaskID"] == task and details["task"]["reqID"] == 45
    plain = call(db, "get_task_details", p_jeditaskid=task)
    assert "taskParams" not in plain and "statistics" not in plain
    assert call(db, "get_task_job_ids", p_jeditaskid=task) == pandaids
    with pytest.raises(NotAllowed):
        call(db, "get_task_job_ids", p_jeditaskid=task, p_requester_vo="atlas")
    with pytest.raises(UnknownObject):
        call(db, "get_task_parameters", p_jeditaskid=1)
    files = call(db, "get_task_datasets_and_files", p_jeditaskid=task, p_dataset_types=None)
    assert len(files) == 1 and files[0]["dataset"] == {"name": f"data.in{task}", "id": files[0]["dataset"]["id"]}
    assert [f["status"] for f in files[0]["files"]] == ["finished", "failed", "running", "ready"]
    assert set(files[0]["files"][0]) == {"lfn", "scope", "id", "status"}
    outputs = call(db, "get_task_datasets_and_files", p_jeditaskid=task, p_dataset_types=text_array(["output", "log"]))
    assert [d["dataset"]["name"] for d in outputs] == [f"user.alice.{task}.out", f"user.alice.{task}.log"]
    descriptions = call(db, "get_task_job_descriptions", p_jeditaskid=task)
    assert [d["PandaID"] for d in descriptions] == pandaids
    assert [
        d["jobStatus"] for d in call(db, "get_task_job_descriptions", p_jeditaskid=task, p_unsuccessful_only=True)
    ] == ["failed"]
    info = call(db, "get_task_detailed_info", p_jeditaskid=task)
    assert (info["jediTaskID"], info["taskName"], info["userName"], info["jobStatistics"]["finished"]) == (
        task,
        f"user.alice.task{task}",
        "alice",
        1,
    )
    assert [d["type"] for d in info["datasets"]] == ["input", "output", "log"]
    assert call(db, "get_parent_task_detailed_info", p_jeditaskid=child)["jediTaskID"] == task
    with pytest.raises(UnknownObject, match="no parent"):
        call(db, "get_parent_task_detailed_info", p_jeditaskid=task)
    assert call(db, "get_jumbo_job_datasets", p_from_offset=1) == {str(jumbo): [f"data.in{jumbo}"]}
    since = "2000-01-01 00:00:00"
    modified = call(
        db, "get_tasks_modified_since", p_since=since, p_requester="alice", p_full=True, p_prod_source_label="managed"
    )
    assert modified[str(task)] == pandaids and modified[str(child)] == []
    assert call(
        db,
        "get_tasks_modified_since",
        p_since=since,
        p_requester="alice",
        p_min_task_id=child,
        p_prod_source_label="managed",
    ) == {str(jumbo): "ready"}
    assert call(db, "get_tasks_modified_since", p_since=since, p_requester="bob") == {}
    listed = call(db, "get_tasks_detailed_info_since", p_requester="alice", p_filters={"reqID": "45"})
    assert [t["jediTaskID"] for t in listed] == [task] and listed[0]["nFilesFinished"] == 1
    assert len(call(db, "get_tasks_detailed_info_since", p_requester="alice", p_n_tasks=2)) == 2


def test_the_task_module_in_process(api, tasks):
    db, task, child, jumbo, pandaids = tasks
    # reads
    answer = api.get(
        "/api/v1/task/get_details", {"task_id": task, "include_parameters": "True", "include_status": "False"}, **WLCG
    )
    assert answer.status_code == 200 and answer.json["success"] and answer.json["data"]["PandaID"] == pandaids
    assert api.get("/api/v1/task/get_status", {"task_id": task}, **WLCG).json["data"] == "running"
    assert api.get("/api/v1/task/get_task_parameters", {"task_id": task}, **WLCG).json["data"]["maxAttempt"] == 1
    assert api.get("/api/v1/task/get_job_ids", {"task_id": task}, **WLCG).json["data"] == pandaids
    files = api.get(
        "/api/v1/task/get_datasets_and_files", {"task_id": task, "dataset_types": "input,pseudo_input"}, **WLCG
    )
    assert files.json["data"][0]["dataset"]["name"] == f"data.in{task}"
    modified = api.get(
        "/api/v1/task/get_tasks_modified_since",
        {
            "since": "2000-01-01 00:00:00",
            "dn": "None",
            "full": "True",
            "min_task_id": "None",
            "prod_source_label": "managed",
        },
        **WLCG,
    )
    assert modified.status_code == 200 and modified.json["data"][str(task)] == pandaids
    bad = api.get("/api/v1/task/get_tasks_modified_since", {"since": "yesterday"}, **WLCG)
    assert bad.status_code == 400 and "since" in bad.json["message"]
    assert (
        api.get(
            "/api/v1/task/get_tasks_modified_since", {"since": "2000-01-01 00:00:00", "min_task_id": "x"}, **WLCG
        ).status_code
        == 400
    )
    detailed = api.get(
        "/api/v1/task/get_tasks_detailed_info_since", {"filters": json.dumps({"jediTaskID": str(task)})}, **WLCG
    )
    assert [t["jediTaskID"] for t in detailed.json["data"]] == [task]
    assert (
        api.get("/api/v1/task/get_job_descriptions", {"task_id": task, "unsuccessful_only": "True"}, **WLCG).json[
            "data"
        ][0]["jobStatus"]
        == "failed"
    )
    assert api.get("/api/v1/task/get_detailed_info", {"task_id": task}, **WLCG).json["data"]["jediTaskID"] == task
    assert (
        api.get("/api/v1/task/get_parent_detailed_info", {"task_id": child}, **WLCG).json["data"]["jediTaskID"] == task
    )
    assert api.get("/api/v1/task/get_jumbo_job_datasets", {"from_offset": 1}, **WLCG).json["data"] == {
        str(jumbo): [f"data.in{jumbo}"]
    }
    assert api.get("/api/v1/task/get_job_ids", {"task_id": task}, vo="atlas").status_code == 403  # another VO's task

    # commands: PanDA's answer, refusals
    paused = api.post("/api/v1/task/pause", {"task_id": task}, **WLCG)
    assert (paused.status_code, paused.json["success"], paused.json["data"]) == (200, True, 0)
    assert task_status(db, task) == "paused"
    again = api.post("/api/v1/task/pause", {"task_id": task}, **WLCG)
    assert (again.status_code, again.json["success"]) == (200, False) and "is paused" in again.json["message"]
    assert api.post("/api/v1/task/resume", {"task_id": task}, user="alice", groups=(), **WLCG).status_code == 403
    assert api.post("/api/v1/task/resume", {"task_id": task}, **WLCG).json["success"]
    assert task_status(db, task) == "running"
    assert api.post("/api/v1/task/kill", {"task_id": task}, user="bob", groups=(), **WLCG).status_code == 403
    assert task_status(db, task) == "running"
    unknown = api.post("/api/v1/task/kill", {"task_id": 987654321}, **WLCG)
    assert (unknown.status_code, unknown.json["success"]) == (200, False) and "does not exist" in unknown.json[
        "message"
    ]
    for path, body in (
        ("change_attribute", {"task_id": task, "attribute_name": "ramCount", "value": 2500}),
        ("change_priority", {"task_id": task, "priority": 600}),
        ("change_split_rule", {"task_id": task, "attribute_name": "NF", "value": 2}),
        ("change_modification_time", {"task_id": task, "positive_hour_offset": 1}),
        ("increase_attempts", {"task_id": task, "increase": 2}),
        ("enable_job_cloning", {"jedi_task_id": task, "mode": "runonce", "multiplicity": 2}),
        ("disable_job_cloning", {"jedi_task_id": task}),
        ("reassign", {"task_id": task, "site": "READ_QUEUE", "mode": "nokill"}),
        ("kill_unfinished_jobs", {"task_id": task}),
    ):
        answer = api.post(f"/api/v1/task/{path}", body, **WLCG)
        assert (path, answer.status_code, answer.json["success"]) == (path, 200, True), answer.json
    bad = api.post("/api/v1/task/change_attribute", {"task_id": task, "attribute_name": "nFiles", "value": 1}, **WLCG)
    assert (bad.status_code, bad.json["success"]) == (200, False) and bad.json["message"].startswith("attribute_name")
    assert api.post("/api/v1/task/increase_attempts", {"task_id": task}, **WLCG).status_code == 400  # increase required
    assert (
        api.post("/api/v1/task/release", {"task_id": task}, **WLCG).json["success"] is False
    )  # running: no scouting to release
    assert api.post("/api/v1/task/avalanche", {"task_id": task}, **WLCG).json["success"] is False
    finished = api.post("/api/v1/task/finish", {"task_id": task, "soft": True}, user="alice", groups=(), **WLCG)
    assert finished.json["success"] and task_status(db, task) == "finishing"
    db.execute("CALL doma_panda.run_task_commands()")
    assert task_status(db, task) == "finished"
    retried = api.post(
        "/api/v1/task/retry",
        {"task_id": task, "new_parameters": '{"maxAttempt": 3}', "no_child_retry": True},
        user="alice",
        groups=(),
        **WLCG,
    )
    assert retried.json["success"] and task_status(db, task) == "toretry"
    db.execute("CALL doma_panda.run_task_commands()")
    assert task_status(db, task) == "ready"
    assert api.post("/api/v1/task/reload_input", {"task_id": task}, **WLCG).json["success"]
    assert api.post("/api/v1/task/kill", {"task_id": task, "broadcast": True}, **WLCG).json["success"]
    assert task_status(db, task) == "aborting"
    done = make_task(db, n_files=1, status="done")
    reactivated = api.post("/api/v1/task/reactivate", {"task_id": done, "keep_attempt_nr": True}, **WLCG)
    assert (reactivated.json["success"], reactivated.json["data"]) == (True, 1) and task_status(db, done) == "ready"
