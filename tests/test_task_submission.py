"""Tasks, first half (issue 7): task_set_status, submit_task, refine_task(s), the Contents Feeder."""

from __future__ import annotations

import json
import re
import threading

import psycopg
import pytest
from panda_client_helpers import panda_client

from pandadb.errors import BadInput, IllegalTransition, NotAllowed, UnknownObject
from pandadb.procedures import call

from http_helpers import running_server


def insert_bare_task(db, jeditaskid: int, status: str = "registered") -> None:
    db.execute(
        "INSERT INTO doma_panda.jedi_tasks (jeditaskid, taskname, status, username, creationdate, modificationtime)"
        " VALUES (%s, 't', %s, 'alice', now(), now())",
        (jeditaskid, status),
    )


def test_task_set_status_changes_and_logs(db):
    insert_bare_task(db, 7001)
    assert call(db, "task_set_status", p_jeditaskid=7001, p_status="defined") == "registered"
    assert call(db, "task_set_status", p_jeditaskid=7001, p_status="broken", p_diagnostic="bad nEvents") == "defined"
    row = db.execute(
        "SELECT status, oldstatus, errordialog, endtime IS NOT NULL FROM doma_panda.jedi_tasks WHERE jeditaskid = 7001"
    ).fetchone()
    assert row == ("broken", "defined", "bad nEvents", True)
    log = db.execute(
        "SELECT status, reason FROM doma_panda.tasks_statuslog WHERE jeditaskid = 7001 ORDER BY modificationtime"
    ).fetchall()
    assert log == [("defined", None), ("broken", "bad nEvents")]
    with pytest.raises(BadInput):
        call(db, "task_set_status", p_jeditaskid=7001, p_status="nonsense")
    with pytest.raises(UnknownObject):
        call(db, "task_set_status", p_jeditaskid=99, p_status="defined")


# ---------------------------------------------------------------------------------------------
# submit, refine, contents (SQL level)
# ---------------------------------------------------------------------------------------------


def register_queue(db, name: str = "TASK_Q") -> None:
    call(db, "register_site", p_site_name=name)
    db.execute("SELECT doma_panda.register_panda_queue(%s, %s, '{}'::jsonb)", (name, name))


def noinput_params(name: str = "evgen", **extra) -> dict:
    params = {
        "taskName": name,
        "vo": "wlcg",
        "prodSourceLabel": "user",
        "noInput": True,
        "nEvents": 250,
        "nEventsPerJob": 100,
        "coreCount": 2,
        "ramCount": 1000,
        "walltime": 3600,
        "cpuTime": 10,
        "transPath": "https://example.org/run.sh",
        "architecture": "x86_64-el9",
        "maxAttempt": 4,
        "jobParameters": [
            {"type": "constant", "value": "--events 100"},
            {
                "type": "template",
                "param_type": "output",
                "dataset": "user.alice.evgen.out/",
                "value": "outputFile=user.alice.$JEDITASKID._${SN/P}.root",
            },
        ],
        "log": {
            "type": "template",
            "param_type": "log",
            "dataset": "user.alice.evgen.log/",
            "value": "user.alice.$JEDITASKID.${SN}.log.tgz",
        },
    }
    params.update(extra)
    return params


def input_params(name: str = "ana", dataset: str = "data.raw.1", **extra) -> dict:
    params = {
        "taskName": name,
        "vo": "wlcg",
        "prodSourceLabel": "user",
        "nFilesPerJob": 2,
        "transPath": "https://example.org/ana.sh",
        "jobParameters": [
            {
                "type": "template",
                "param_type": "input",
                "dataset": dataset,
                "value": '-i "${IN/T}"',
                "exclude": r"\.log\.tgz$",
            },
            {
                "type": "template",
                "param_type": "output",
                "dataset": "user.alice.ana.out/",
                "value": "user.alice.$JEDITASKID._${SN/P}.hist.root",
                "hidden": True,
            },
            {"type": "constant", "value": '-o "hist.root"'},
        ],
        "log": {
            "type": "template",
            "param_type": "log",
            "dataset": "user.alice.ana.log/",
            "value": "user.alice.$JEDITASKID.${SN}.log.tgz",
        },
    }
    params.update(extra)
    return params


def submit(db, params: dict, user: str = "alice", production: bool = False) -> dict:
    return call(
        db, "submit_task", p_task_params=params, p_requester=user, p_requester_vo="wlcg", p_is_production=production
    )


def task_row(db, task_id: int) -> dict:
    cur = db.execute("SELECT * FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task_id,))
    names = [d.name for d in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def status_path(db, task_id: int) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT status FROM doma_panda.tasks_statuslog WHERE jeditaskid = %s ORDER BY modificationtime", (task_id,)
        )
    ]


def register_files(db, dataset: str, lfns: list[str], site: str = "TASK_Q", **kwargs) -> dict:
    files = [{"lfn": lfn, "size": 1000 + i, "checksum": f"ad:{i:08x}", "events": 50} for i, lfn in enumerate(lfns)]
    return call(db, "register_dataset_files", p_datasetname=dataset, p_site=site, p_files=files, **kwargs)


def test_submit_registers_the_task_and_answers_as_panda(db):
    answer = submit(db, noinput_params())
    task_id = answer["jediTaskID"]
    assert answer["returnCode"] == 0 and answer["message"] == f"succeeded. new jediTaskID={task_id}"
    row = task_row(db, task_id)
    assert (row["status"], row["username"], row["vo"], row["prodsourcelabel"], row["taskname"]) == (
        "registered",
        "alice",
        "wlcg",
        "user",
        "evgen",
    )
    stored = json.loads(
        db.execute("SELECT taskparams FROM doma_panda.jedi_taskparams WHERE jeditaskid = %s", (task_id,)).fetchone()[0]
    )
    assert stored["nEvents"] == 250 and stored["userName"] == "alice"
    assert status_path(db, task_id) == ["registered"]


def test_duplicate_task_name_returns_code_2_with_the_existing_id_until_the_first_is_final(db):
    first = submit(db, noinput_params("dup"))["jediTaskID"]
    again = submit(db, noinput_params("dup"))
    assert again["returnCode"] == 2 and again["jediTaskID"] == first and f"jediTaskID={first}" in again["message"]
    assert db.execute("SELECT count(*) FROM doma_panda.jedi_tasks WHERE taskname = 'dup'").fetchone()[0] == 1
    # another user may use the name; once the first task is final the name is free again
    assert submit(db, noinput_params("dup"), user="bob")["returnCode"] == 0
    call(db, "task_set_status", p_jeditaskid=first, p_status="broken")
    assert submit(db, noinput_params("dup"))["returnCode"] == 0


def test_submit_refusals_name_the_parameter_and_write_nothing(db):
    cases = [
        ({"vo": "wlcg"}, BadInput, "taskName"),
        (noinput_params(prodSourceLabel="bogus"), BadInput, "prodSourceLabel"),
        (noinput_params(taskPriority="high"), BadInput, "taskPriority"),
        (noinput_params(taskName="x" * 300), BadInput, "taskName"),
        (noinput_params(prodSourceLabel="managed"), NotAllowed, "production role"),
    ]
    for params, error, word in cases:
        with pytest.raises(error) as refused:
            submit(db, params)
        assert word in refused.value.message
    assert db.execute("SELECT count(*) FROM doma_panda.jedi_tasks").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM doma_panda.jedi_taskparams").fetchone()[0] == 0
    # the production role may submit managed tasks, for another user
    answer = submit(db, noinput_params(prodSourceLabel="managed", userName="prodsys"), user="boss", production=True)
    assert task_row(db, answer["jediTaskID"])["username"] == "prodsys"


def test_refine_and_feed_a_noinput_task(db):
    register_queue(db)
    task_id = submit(db, noinput_params(site="TASK_Q", includedSite=["TASK_Q"], skipScout=False))["jediTaskID"]
    assert call(db, "refine_task", p_jeditaskid=task_id)["status"] == "defined"
    row = task_row(db, task_id)
    rules = dict(rule.split("=") for rule in row["splitrule"].split(","))
    assert rules["NE"] == "100" and rules["US"] == "2" and rules["LS"] == "1"
    assert (row["corecount"], row["ramcount"], row["ramunit"], row["walltime"], row["cputime"], row["cputimeunit"]) == (
        2,
        1000,
        "MBPerCore",
        3600,
        10,
        "HS06sPerEvent",
    )
    assert (row["taskpriority"], row["currentpriority"], row["site"], row["tasktype"]) == (1000, 1000, "TASK_Q", "anal")
    assert row["gshare"] is not None and row["resource_type"] == doma_resource_type(db, 2, 2000)
    datasets = db.execute(
        "SELECT type, datasetname, streamname, status FROM doma_panda.jedi_datasets "
        "WHERE jeditaskid = %s ORDER BY datasetid",
        (task_id,),
    ).fetchall()
    assert datasets == [
        ("pseudo_input", "pseudo_dataset", "IN", "defined"),
        ("output", "user.alice.evgen.out/", "OUTPUT0", "defined"),
        ("log", "user.alice.evgen.log/", "LOG", "defined"),
    ]
    template = db.execute(
        "SELECT jobparamstemplate FROM doma_panda.jedi_jobparams_template WHERE jeditaskid = %s", (task_id,)
    ).fetchone()[0]
    assert template == "--events 100 outputFile=${OUTPUT0}"
    names = db.execute(
        "SELECT outtype, filenametemplate, serialnr FROM doma_panda.jedi_output_template "
        "WHERE jeditaskid = %s ORDER BY outtempid",
        (task_id,),
    ).fetchall()
    assert names == [
        ("output", f"user.alice.{task_id}._${{SN/P}}.root", 1),
        ("log", f"user.alice.{task_id}.${{SN}}.log.tgz", 1),
    ]

    assert call(db, "feed_task_contents", p_jeditaskid=task_id)["status"] == "ready"
    files = db.execute(
        "SELECT lfn, type, status, nevents, startevent, endevent, firstevent, maxattempt "
        "FROM doma_panda.jedi_dataset_contents WHERE jeditaskid = %s ORDER BY fileid",
        (task_id,),
    ).fetchall()
    assert files == [
        ("pseudo_lfn.000001", "pseudo_input", "ready", 100, 0, 99, 1, 4),
        ("pseudo_lfn.000002", "pseudo_input", "ready", 100, 100, 199, 101, 4),
        ("pseudo_lfn.000003", "pseudo_input", "ready", 50, 200, 249, 201, 4),
    ]
    counters = db.execute(
        "SELECT status, nfiles, nfilestobeused, nevents FROM doma_panda.jedi_datasets "
        "WHERE jeditaskid = %s AND type = 'pseudo_input'",
        (task_id,),
    ).fetchone()
    assert counters == ("ready", 3, 3, 250)
    assert status_path(db, task_id) == ["registered", "defined", "ready"]
    with pytest.raises(IllegalTransition):
        call(db, "refine_task", p_jeditaskid=task_id)


def doma_resource_type(db, cores: int, ram: int) -> str:
    return db.execute("SELECT doma_panda.job_resource_type(%s, %s)", (cores, ram)).fetchone()[0]


@pytest.mark.parametrize(
    "extra, word",
    [
        ({"nEventsPerJob": -5}, "nEventsPerJob"),
        ({"coreCount": "many"}, "coreCount"),
        ({"jobParameters": "run.sh"}, "jobParameters"),
        ({"log": None}, "log"),
        ({"nEvents": None, "pfnList": None}, "noInput"),
        ({"site": "NO_SUCH_QUEUE"}, "site"),
        ({"ramCountUnit": "GB"}, "ramCountUnit"),
        ({"noInput": False}, "no input dataset"),
    ],
)
def test_bad_parameters_break_the_task_naming_the_parameter(db, extra, word):
    params = {k: v for k, v in noinput_params(**extra).items() if v is not None}
    task_id = submit(db, params)["jediTaskID"]
    result = call(db, "refine_task", p_jeditaskid=task_id)
    assert result["status"] == "broken" and word in result["errorDialog"]
    assert status_path(db, task_id) == ["registered", "broken"]
    assert (
        db.execute("SELECT count(*) FROM doma_panda.jedi_datasets WHERE jeditaskid = %s", (task_id,)).fetchone()[0] == 0
    )
    assert (
        db.execute(
            "SELECT count(*) FROM doma_panda.jedi_jobparams_template WHERE jeditaskid = %s", (task_id,)
        ).fetchone()[0]
        == 0
    )


def test_input_task_waits_pending_for_missing_input_then_gets_the_catalogue_files(db):
    task_id = submit(db, input_params(nFiles=3))["jediTaskID"]
    assert call(db, "refine_tasks", p_max_tasks=10) == {"refined": 1, "broken": 0}
    assert call(db, "feed_contents", p_max_tasks=10, p_retry_seconds=0) == {"ready": 0, "pending": 1, "broken": 0}
    row = task_row(db, task_id)
    assert (
        row["status"] == "pending" and "data.raw.1" in row["errordialog"] and "replica catalogue" in row["errordialog"]
    )
    register_files(db, "data.raw.1", ["f1.root", "f2.root", "f2.log.tgz", "f3.root", "f4.root"])
    assert call(db, "feed_contents", p_max_tasks=10, p_retry_seconds=0) == {"ready": 1, "pending": 0, "broken": 0}
    files = db.execute(
        "SELECT lfn, scope, status, fsize, checksum, nevents, keeptrack FROM doma_panda.jedi_dataset_contents "
        "WHERE jeditaskid = %s ORDER BY fileid",
        (task_id,),
    ).fetchall()
    # catalogue order, the exclude filter, at most nFiles
    assert [f[0] for f in files] == ["f1.root", "f2.root", "f3.root"]
    assert files[0][1:] == ("data", "ready", 1000, "ad:00000000", 50, 1)
    assert db.execute(
        "SELECT status, nfiles, nevents, state FROM doma_panda.jedi_datasets WHERE jeditaskid = %s AND type = 'input'",
        (task_id,),
    ).fetchone() == ("ready", 3, 150, "open")
    row = task_row(db, task_id)
    assert row["status"] == "ready" and row["errordialog"] is None
    assert status_path(db, task_id) == ["registered", "defined", "pending", "ready"]
    assert dict(r.split("=") for r in row["splitrule"].split(","))["NF"] == "2"
    assert (
        db.execute(
            "SELECT jobparamstemplate FROM doma_panda.jedi_jobparams_template WHERE jeditaskid = %s", (task_id,)
        ).fetchone()[0]
        == '-i "${IN/T}" -o "hist.root"'
    )


def test_two_refiners_and_two_feeders_at_once_handle_each_task_once(db, database_url):
    ids = [submit(db, noinput_params(f"conc{i}"))["jediTaskID"] for i in range(12)]
    barrier = threading.Barrier(2)
    results: list = []

    def worker(step: str, function: str) -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            barrier.wait()
            for _ in range(4):
                results.append((step, call(conn, function, p_max_tasks=3)))

    for step, function in (("refine", "refine_tasks"), ("feed", "feed_contents")):
        threads = [threading.Thread(target=worker, args=(step, function)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(r["refined"] for s, r in results if s == "refine") == 12
    assert sum(r["ready"] for s, r in results if s == "feed") == 12
    for task_id in ids:
        assert status_path(db, task_id) == ["registered", "defined", "ready"]
    assert (
        db.execute("SELECT count(*) FROM doma_panda.jedi_datasets WHERE jeditaskid = ANY(%s)", (ids,)).fetchone()[0]
        == 36
    )
    assert (
        db.execute(
            "SELECT count(*) FROM doma_panda.jedi_dataset_contents WHERE jeditaskid = ANY(%s)", (ids,)
        ).fetchone()[0]
        == 36
    )


# ---------------------------------------------------------------------------------------------
# REST task/submit and task/get_status (in-process), then panda-client over real HTTPS
# ---------------------------------------------------------------------------------------------


def test_task_submit_api_answers_as_panda(api, db):
    answer = api.post(
        "/api/v1/task/submit", {"task_parameters": noinput_params("api")}, user="alice", vo="wlcg", groups=()
    )
    assert answer.status_code == 200 and answer.json["success"], answer.json
    task_id = answer.json["data"]
    assert re.search(r"jediTaskID=(\d+)", answer.json["message"]).group(1) == str(task_id)
    assert task_row(db, task_id)["username"] == "alice"
    # the parameters as a JSON string (the seed's type) and the parent task
    child = api.post(
        "/api/v1/task/submit",
        {"task_parameters": json.dumps(noinput_params("child")), "parent_tid": task_id},
        user="alice",
        vo="wlcg",
        groups=(),
    )
    assert child.json["success"] and task_row(db, child.json["data"])["parent_tid"] == task_id
    duplicate = api.post(
        "/api/v1/task/submit", {"task_parameters": noinput_params("api")}, user="alice", vo="wlcg", groups=()
    )
    assert duplicate.status_code == 200 and duplicate.json["success"] is False and duplicate.json["data"] == 2
    assert f"jediTaskID={task_id}" in duplicate.json["message"]
    status = api.get("/api/v1/task/get_status", {"task_id": task_id}, user="alice", vo="wlcg", groups=())
    assert status.json["success"] and status.json["data"] == "registered"


def test_task_submit_api_refusals_leave_the_database_unchanged(api, db):
    missing = api.post("/api/v1/task/submit", {}, user="alice", vo="wlcg", groups=())
    assert (
        missing.status_code == 400 and missing.json["success"] is False and "task_parameters" in missing.json["message"]
    )
    not_json = api.post("/api/v1/task/submit", {"task_parameters": "{not json"}, user="alice", vo="wlcg", groups=())
    assert not_json.status_code == 400 and not_json.json["success"] is False
    bad = api.post("/api/v1/task/submit", {"task_parameters": {"vo": "wlcg"}}, user="alice", vo="wlcg", groups=())
    assert bad.status_code == 200 and bad.json["success"] is False and "taskName" in bad.json["message"]
    managed = api.post(
        "/api/v1/task/submit",
        {"task_parameters": noinput_params(prodSourceLabel="managed")},
        user="alice",
        vo="wlcg",
        groups=(),
    )
    assert managed.status_code == 403 and managed.json["success"] is False and "production" in managed.json["message"]
    assert db.execute("SELECT count(*) FROM doma_panda.jedi_tasks").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM doma_panda.tasks_statuslog").fetchone()[0] == 0
    unknown = api.get("/api/v1/task/get_status", {"task_id": 424242}, user="alice", vo="wlcg", groups=())
    assert unknown.json["success"] is False and "424242" in unknown.json["message"]
    # with the production role the same managed task is accepted
    accepted = api.post(
        "/api/v1/task/submit",
        {"task_parameters": noinput_params(prodSourceLabel="managed")},
        user="alice",
        vo="wlcg",
        groups=("production",),
    )
    assert accepted.json["success"] and task_row(db, accepted.json["data"])["prodsourcelabel"] == "managed"


def test_panda_client_insert_task_params_over_https(module_database_url, services_home, tmp_path):
    """panda-client 2.2.0's Client.insertTaskParams against a real server over HTTPS with an OIDC token of the
    local issuer (PANDA_AUTH=oidc, PANDA_AUTH_VO, PANDA_AUTH_ID_TOKEN); the answer carries the jediTaskID the
    way prun parses it, a duplicate gets code 2, and the task is then refined and fed."""
    with running_server(module_database_url, services_home, tls=True, insecure=False) as server:
        token = server.token(user="carol", vo="wlcg", groups=())
        with panda_client(server.base_url, token, tmp_path, vo="wlcg") as client:
            status, output = client.insertTaskParams(noinput_params("via-panda-client"))
            assert status == 0 and isinstance(output, tuple), (status, output, server.log()[-6000:])
            code, message = output
            assert code == 0, message
            task_id = int(re.search(r"jediTaskID=(\d+)", message).group(1))
            status, (code, message) = client.insertTaskParams(noinput_params("via-panda-client"))
            assert (status, code) == (0, 2) and f"jediTaskID={task_id}" in message
    with psycopg.connect(module_database_url, autocommit=True) as conn:
        assert task_row(conn, task_id)["username"] == "carol"
        assert call(conn, "refine_task", p_jeditaskid=task_id)["status"] == "defined"
        assert call(conn, "feed_task_contents", p_jeditaskid=task_id)["status"] == "ready"


def test_refine_maps_secondary_inputs_merge_build_and_split_flags(db):
    params = input_params(
        "rich",
        dataset="data.a,data.b",
        mergeOutput=True,
        buildSpec={"prodSourceLabel": "panda"},
        includedSite="Q1",
        excludedSite=["Q2"],
        ipConnectivity="http",
        allowInputLAN="only",
        nGBPerJob="MAX",
        disableAutoRetry=1,
        waitInput=True,
        skipScout=True,
        taskPriority=700,
    )
    params["jobParameters"].append(
        {"type": "template", "param_type": "input", "dataset": "db.release", "value": "--dbrFile=${DBR}"}
    )
    task_id = submit(db, params)["jediTaskID"]
    assert call(db, "refine_task", p_jeditaskid=task_id)["status"] == "defined"
    row = task_row(db, task_id)
    rules = dict(rule.split("=") for rule in row["splitrule"].split(","))
    assert {k: rules.get(k) for k in ("NF", "US", "LS", "IP", "IL", "MO", "UB", "DR", "WI", "NG")} == {
        "NF": "2",
        "US": "1",
        "LS": "3",
        "IP": "2",
        "IL": "2",
        "MO": "1",
        "UB": "1",
        "DR": "1",
        "WI": "1",
        "NG": None,
    }
    assert (row["taskpriority"], row["currentpriority"]) == (700, 700)
    datasets = db.execute(
        "SELECT datasetid, type, datasetname, streamname, masterid FROM doma_panda.jedi_datasets "
        "WHERE jeditaskid = %s ORDER BY datasetid",
        (task_id,),
    ).fetchall()
    master = datasets[0][0]
    assert [d[1:] for d in datasets] == [
        ("input", "data.a", "IN", None),
        ("input", "data.b", "IN", master),
        ("output", "user.alice.ana.out/", "OUTPUT0", None),
        ("tmpl_output", "user.alice.ana.out/", "OUTPUT0", None),
        ("input", "db.release", "DBR", master),
        ("log", "user.alice.ana.log/", "LOG", None),
        ("tmpl_log", "user.alice.ana.log/", "LOG", None),
        ("lib", "user.alice.ana.log.lib", "LIB", None),
    ]
    assert (
        db.execute(
            "SELECT jobparamstemplate FROM doma_panda.jedi_jobparams_template WHERE jeditaskid = %s", (task_id,)
        ).fetchone()[0]
        == '-i "${IN/T}" -o "hist.root" --dbrFile=${DBR}'
    )


def test_files_given_with_the_task_are_registered_and_fed(db):
    params = input_params("given", dataset="user.alice.given", site=None)
    params["jobParameters"][0]["files"] = [{"lfn": "g1.root", "size": 10, "events": 5}, {"lfn": "g2.root", "size": 20}]
    params["jobParameters"][0]["site"] = "SITE_X"
    task_id = submit(db, params)["jediTaskID"]
    call(db, "refine_task", p_jeditaskid=task_id)
    assert call(db, "feed_task_contents", p_jeditaskid=task_id) == {
        "jediTaskID": task_id,
        "status": "ready",
        "errorDialog": None,
        "nFiles": 2,
    }
    assert [f["sites"] for f in call(db, "get_dataset_files", p_datasetname="user.alice.given")] == [
        ["SITE_X"],
        ["SITE_X"],
    ]
    bad = input_params("given-bad", dataset="user.alice.bad")
    bad["jobParameters"][0]["files"] = [{"lfn": "b1.root", "size": "huge"}]
    bad_id = submit(db, bad)["jediTaskID"]
    result = call(db, "refine_task", p_jeditaskid=bad_id)
    assert result["status"] == "broken" and "size" in result["errorDialog"]
    assert call(db, "get_dataset_files", p_datasetname="user.alice.bad") is None


def test_pending_tasks_are_retried_after_the_retry_interval(db):
    db.execute("SET pandadb.clock = '2026-11-30 10:00:00'")
    task_id = submit(db, input_params("later", dataset="data.late"))["jediTaskID"]
    call(db, "refine_task", p_jeditaskid=task_id)
    assert call(db, "feed_contents", p_max_tasks=10, p_retry_seconds=60) == {"ready": 0, "pending": 1, "broken": 0}
    register_files(db, "data.late", ["l1.root"])
    db.execute("SET pandadb.clock = '2026-11-30 10:00:30'")
    assert call(db, "feed_contents", p_max_tasks=10, p_retry_seconds=60) == {"ready": 0, "pending": 0, "broken": 0}
    db.execute("SET pandadb.clock = '2026-11-30 10:01:00'")
    assert call(db, "feed_contents", p_max_tasks=10, p_retry_seconds=60) == {"ready": 1, "pending": 0, "broken": 0}
    # a task pending for another reason (e.g. brokerage) is not the feeder's
    call(db, "task_set_status", p_jeditaskid=task_id, p_status="pending", p_diagnostic="no queue")
    db.execute("SET pandadb.clock = '2026-11-30 11:00:00'")
    assert call(db, "feed_contents", p_max_tasks=10, p_retry_seconds=0) == {"ready": 0, "pending": 0, "broken": 0}
    with pytest.raises(IllegalTransition):
        call(db, "feed_task_contents", p_jeditaskid=task_id)


def test_concurrent_submissions_of_one_name_register_one_task(db, database_url):
    barrier = threading.Barrier(4)
    answers: list = []

    def worker() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            barrier.wait()
            answers.append(submit(conn, noinput_params("race")))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a["returnCode"] for a in answers) == [0, 2, 2, 2]
    assert len({a["jediTaskID"] for a in answers}) == 1
    assert db.execute("SELECT count(*) FROM doma_panda.jedi_tasks WHERE taskname = 'race'").fetchone()[0] == 1


def test_bad_file_filters_break_at_refinement_and_feeding_errors_break_only_their_task(db):
    params = input_params("badregex")
    params["jobParameters"][0]["include"] = "(unclosed"
    task_id = submit(db, params)["jediTaskID"]
    result = call(db, "refine_task", p_jeditaskid=task_id)
    assert result["status"] == "broken" and "include/exclude" in result["errorDialog"]
    # parameters spoiled after refinement: the feeder breaks that task and feeds the others
    spoiled = submit(db, noinput_params("spoiled"))["jediTaskID"]
    fine = submit(db, noinput_params("fine"))["jediTaskID"]
    call(db, "refine_tasks", p_max_tasks=10)
    db.execute(
        "UPDATE doma_panda.jedi_taskparams SET taskparams = jsonb_set(taskparams::jsonb, '{maxAttempt}', '\"x\"')::text "
        "WHERE jeditaskid = %s",
        (spoiled,),
    )
    assert call(db, "feed_contents", p_max_tasks=10, p_retry_seconds=0) == {"ready": 1, "pending": 0, "broken": 1}
    row = task_row(db, spoiled)
    assert row["status"] == "broken" and row["errordialog"].startswith("contents feeder: maxAttempt")
    assert task_row(db, fine)["status"] == "ready"
