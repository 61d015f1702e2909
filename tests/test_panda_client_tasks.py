"""panda-client 2.2.0 from PyPI, unchanged, drives a task through its own functions against ONE real server over
HTTPS (issue 8): insertTaskParams, getTaskStatus, getTaskParamsMap, getJediTaskDetails, getPandaIDsWithTaskID,
pauseTask, resumeTask, finishTask, retryTask, reactivateTask, increase_attempt_nr, reload_input, killTask,
get_files_in_datasets, getJobIDsJediTasksInTimeRange, get_job_descriptions; each returns what seed 001 (its
docstrings) promises. The engine's steps (refine, feed, generate, the command step) and the job ends are run
in SQL on the server's database between the calls, as the scheduled jobs and the pilots would.

The client is configured as in test_panda_client.py: PANDA_URL_SSL, PANDA_AUTH=oidc, PANDA_AUTH_VO and the
cached ID token of the local issuer under PANDA_CONFIG_ROOT.
"""

from __future__ import annotations

import json
import re

import psycopg
import pytest
from panda_client_helpers import panda_client
from psycopg.types.json import Jsonb
from task_helpers import end_job, status_path

from pandadb.procedures import call

from http_helpers import running_server

QUEUE = "CLIENT_TASK_QUEUE"


@pytest.fixture(scope="module")
def server(module_database_url, services_home):
    with psycopg.connect(module_database_url, autocommit=True) as conn:
        conn.execute("SELECT doma_pandameta.register_cloud('WLCG', 'test cloud', 'online', 'atlas')")
        conn.execute("SELECT doma_panda.register_site('CLIENT_TASK_SITE')")
        conn.execute(
            "SELECT doma_panda.register_panda_queue(%s, 'CLIENT_TASK_SITE', %s)",
            (
                QUEUE,
                Jsonb(
                    {
                        "cloud": "WLCG",
                        "corecount": 1,
                        "maxrss": 4000,
                        "maxtime": 200000,
                        "maxwdir": 20000,
                        "corepower": 12,
                    }
                ),
            ),
        )
    with running_server(module_database_url, services_home, tls=True, insecure=False) as running:
        yield running


@pytest.fixture(scope="module")
def client(server, tmp_path_factory):
    config_root = tmp_path_factory.mktemp("panda-config-tasks")
    token = server.token(user="alice", vo="atlas", groups=("production",))
    (config_root / ".token").write_text(json.dumps({"id_token": token}))
    with panda_client(server.base_url, None, config_root) as module:
        yield module


def task_params(name: str) -> dict:
    return {
        "taskName": name,
        "prodSourceLabel": "managed",
        "noInput": True,
        "nEvents": 300,
        "nEventsPerJob": 100,
        "skipScout": True,
        "maxAttempt": 3,
        "ramCount": 1000,
        "transPath": "https://example.org/run.sh",
        "jobParameters": [
            {"type": "constant", "value": "--events 100"},
            {
                "type": "template",
                "param_type": "output",
                "dataset": "user.alice.client.out/",
                "value": "outputFile=user.alice.$JEDITASKID._${SN/P}.root",
            },
        ],
        "log": {
            "type": "template",
            "param_type": "log",
            "dataset": "user.alice.client.log/",
            "value": "user.alice.$JEDITASKID.${SN}.log.tgz",
        },
    }


def live_jobs(db, task: int) -> list[int]:
    return [
        r[0]
        for r in db.execute(
            "SELECT pandaid FROM doma_panda.jobsactive4 WHERE jeditaskid = %s ORDER BY pandaid", (task,)
        ).fetchall()
    ]


def test_a_task_driven_by_panda_client(client, server):
    db = psycopg.connect(server.database_url, autocommit=True)
    try:
        drive(client, db)
    finally:
        db.close()


def drive(client, db):
    # submit and read back
    status, (code, message) = client.insertTaskParams(task_params("user.alice.client.task"))
    assert (status, code) == (0, 0), message
    task = int(re.search(r"jediTaskID=(\d+)", message).group(1))
    assert client.getTaskStatus(task) == (0, "registered")
    status, params = client.getTaskParamsMap(task)
    assert status == 0 and params["taskName"] == "user.alice.client.task" and params["nEvents"] == 300

    # the engine: refine, feed, generate (the scheduled steps)
    assert call(db, "refine_task", p_jeditaskid=task)["status"] == "defined"
    call(db, "feed_task_contents", p_jeditaskid=task)
    assert call(db, "generate_task_jobs", p_jeditaskid=task)["jobs"] == 3
    assert client.getTaskStatus(task) == (0, "running")

    status, pandaids = client.getPandaIDsWithTaskID(task)
    assert status == 0 and pandaids == live_jobs(db, task) and len(pandaids) == 3
    status, details = client.getJediTaskDetails({"jediTaskID": task}, True, True)
    assert status == 0 and details["jediTaskID"] == task and details["PandaID"] == pandaids
    assert details["taskParams"]["taskName"] == "user.alice.client.task" and details["statistics"] == {"activated": 3}
    status, datasets = client.get_files_in_datasets(task)
    assert status == 0 and len(datasets) == 1 and len(datasets[0]["files"]) == 3
    assert {f["status"] for f in datasets[0]["files"]} == {"running"} and set(datasets[0]["dataset"]) == {"name", "id"}
    status, outputs = client.get_files_in_datasets(task, dataset_types="output,log")
    assert status == 0 and [len(d["files"]) for d in outputs] == [3, 3]
    status, modified = client.getJobIDsJediTasksInTimeRange("2000-01-01 00:00:00", task_type="managed")
    assert status == 0 and modified == {str(task): pandaids}
    status, descriptions = client.get_job_descriptions(task)
    assert status == 0 and [d["PandaID"] for d in descriptions] == pandaids
    assert {d["jobStatus"] for d in descriptions} == {"activated"}

    # pause / resume
    assert client.pauseTask(task) == (0, (True, 0))
    assert client.getTaskStatus(task) == (0, "paused")
    status, (ok, why) = client.pauseTask(task)
    assert (status, ok) == (0, False) and "is paused" in why  # irrelevant task status
    assert client.resumeTask(task) == (0, (True, 0))
    assert client.getTaskStatus(task) == (0, "running")

    # one job finishes, then a hard finish kills the others; the command step ends the task
    end_job(db, pandaids[0], "finished")
    assert client.finishTask(task) == (0, (True, 0))
    assert live_jobs(db, task) == []
    db.execute("CALL doma_panda.run_task_commands()")
    assert client.getTaskStatus(task) == (0, "finished")
    status, unsuccessful = client.get_job_descriptions(task, unsuccessful_only=True)
    assert status == 0 and [d["jobStatus"] for d in unsuccessful] == ["cancelled", "cancelled"]

    # retry with new parameters: the files not finished are processed again
    status, (data, message) = client.retryTask(task, newParams={"ramCount": 2000})
    assert (status, data) == (0, 0) and "retry" in message
    assert client.getTaskStatus(task) == (0, "toretry")
    db.execute("CALL doma_panda.run_task_commands()")
    assert client.getTaskStatus(task) == (0, "ready")
    assert client.getTaskParamsMap(task)[1]["ramCount"] == 2000
    assert call(db, "generate_task_jobs", p_jeditaskid=task)["jobs"] == 2
    for pandaid in live_jobs(db, task):
        end_job(db, pandaid, "finished")
    assert client.getTaskStatus(task) == (0, "done")

    # reactivate (1: succeeded), more attempts, reload the input
    assert client.reactivateTask(task) == (0, (True, 1))
    assert client.getTaskStatus(task) == (0, "ready")
    assert client.increase_attempt_nr(task, increase=2) == (0, (True, 0))
    assert client.reload_input(task) == (0, (True, 0))
    assert client.getTaskStatus(task) == (0, "toincexec")
    db.execute("CALL doma_panda.run_task_commands()")
    assert client.getTaskStatus(task) == (0, "ready")

    # kill: aborting, then aborted; a second kill is refused (irrelevant task status)
    assert client.killTask(task) == (0, (True, 0))
    db.execute("CALL doma_panda.run_task_commands()")
    assert client.getTaskStatus(task) == (0, "aborted")
    status, (ok, why) = client.killTask(task)
    assert (status, ok) == (0, False) and "is aborted" in why
    status, (data, message) = client.retryTask(task)
    assert status == 0 and data == {"sqlstate": "PD004"} and "is aborted" in message  # the refusal, not 0
    assert status_path(db, task)[:5] == ["registered", "defined", "ready", "running", "paused"]
    assert status_path(db, task)[-2:] == ["aborting", "aborted"]
    # an unknown task
    status, (ok, why) = client.killTask(987654321)
    assert (status, ok) == (0, False) and "does not exist" in why
