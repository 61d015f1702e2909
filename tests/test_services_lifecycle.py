"""A job's life through HTTP against the real stored logic, and its refusals as success:false."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

from http_helpers import table_counts


@pytest.fixture
def queue(app_database_url, request):
    """A PanDA queue of this test's own (the tests of this module share one database and server)."""
    name = "SVC_" + request.node.name.upper().replace("TEST_", "")[:40]
    with psycopg.connect(app_database_url, autocommit=True) as conn:
        conn.execute("SELECT doma_panda.register_site('SVC_SITE')")
        conn.execute("SELECT doma_panda.register_panda_queue(%s, 'SVC_SITE', %s)", (name, Jsonb({})))
    return name


def _spec(name: str, queue: str, **fields) -> dict:
    return {
        "jobName": name,
        "computingSite": queue,
        "prodSourceLabel": "managed",
        "transformation": "/bin/true",
        "jobParameters": "--events 10",
        "jobStatus": "activated",
        "assignedPriority": 100,
        **fields,
    }


def _post(client, path: str, body: dict) -> dict:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_submit_acquire_run_finish_through_http(app_server, queue):
    production = app_server.headers(user="prodsys", groups=("production",))
    pilot = app_server.headers(user="pilot-atlas", groups=("pilot",))
    with app_server.client(headers=production) as client:
        submitted = _post(client, "/api/v1/job/submit", {"jobs": [_spec("svc.lifecycle.1", queue)]})
    assert submitted["success"] is True, submitted
    (job,) = submitted["data"]
    pandaid = job["PandaID"]
    assert job["jobName"] == "svc.lifecycle.1" and job["jobStatus"] == "activated"

    with app_server.client(headers=pilot) as client:
        acquired = _post(
            client,
            "/api/v1/pilot/acquire_jobs",
            {"site_name": queue, "prod_source_label": "managed", "node": "wn01.example.org"},
        )
        assert acquired["success"] is True, acquired
        description = acquired["data"]
        assert description["StatusCode"] == 0
        assert int(description["PandaID"]) == pandaid
        assert description["jobPars"] == "--events 10"

        nothing_left = _post(client, "/api/v1/pilot/acquire_jobs", {"site_name": queue, "prod_source_label": "managed"})
        assert nothing_left["data"] == {"StatusCode": 20}

        running = _post(
            client,
            "/api/v1/pilot/update_job",
            {"job_id": pandaid, "job_status": "running", "node": "wn01.example.org", "core_count": 1},
        )
        assert running["success"] is True, running
        assert running["data"]["StatusCode"] == 0 and running["data"]["command"] == "NULL"

        heartbeat = _post(client, "/api/v1/pilot/update_job", {"job_id": pandaid, "max_rss": 123456})
        assert heartbeat["success"] is True, heartbeat

        finished = _post(
            client,
            "/api/v1/pilot/update_job",
            {
                "job_id": pandaid,
                "job_status": "finished",
                "n_events": 10,
                "cpu_consumption_time": 42,
                "start_time": "2026-01-01 10:00:00",
                "end_time": "2026-01-01 10:05:00",
                "exe_error_code": 0,
                "trans_exit_code": "0",
                "meta_data": "{\"ok\": true}",
                "timeout": 30,
            },
        )
        assert finished["success"] is True, finished

        status = client.get("/api/v1/pilot/get_job_status", params={"job_ids": str(pandaid)}).json()
        assert status["success"] is True
        assert status["data"][0]["job_id"] == pandaid and status["data"][0]["status"] == "finished"
        job_status = client.get("/api/v1/job/get_status", params=[("job_ids", str(pandaid))]).json()
        assert job_status["data"][0]["status"] == "finished"

        described = client.get("/api/v1/job/get_description_incl_archive", params={"job_ids": str(pandaid)}).json()
        assert described["success"] is True and described["data"][0] is not None
        script = client.get("/api/v1/job/get_execution_script", params={"job_id": str(pandaid)}).json()
        assert script["success"] is True and "/bin/true --events 10" in script["data"]["script"]

    with psycopg.connect(app_server.database_url) as conn:
        row = conn.execute(
            "SELECT jobstatus, nevents, cpuconsumptiontime FROM doma_panda.jobsarchived4 WHERE pandaid = %s", (pandaid,)
        ).fetchone()
    assert row == ("finished", 10, 42)


def test_refusals_of_the_stored_logic_are_success_false_and_change_nothing(app_server, queue):
    production = app_server.headers(user="prodsys", groups=("production",))
    with app_server.client(headers=production) as client:
        before = table_counts(app_server.database_url)
        unknown_job = _post(client, "/api/v1/pilot/update_job", {"job_id": 987654321, "job_status": "running"})
        assert unknown_job["success"] is False and "987654321" in unknown_job["message"]
        unknown_keys = _post(client, "/api/v1/job/submit", {"jobs": [_spec("svc.bad.1", queue, noSuchColumn=1)]})
        assert unknown_keys["success"] is False and "nosuchcolumn" in unknown_keys["message"].lower()
        wrong_type = _post(client, "/api/v1/job/submit", {"jobs": [_spec("svc.bad.2", queue, assignedPriority="high")]})
        assert wrong_type["success"] is False and "assignedpriority" in wrong_type["message"].lower()
        command = _post(client, "/api/v1/job/set_command", {"job_id": 987654321, "command": "tobekilled"})
        assert command["success"] is False
        worker = _post(
            client, "/api/v1/pilot/update_worker_status", {"worker_id": 1, "harvester_id": "h1", "status": "exploded"}
        )
        assert worker["success"] is False and "started" in worker["message"]
        described = client.get("/api/v1/job/get_description", params={"job_ids": "987654321"}).json()
        assert described["success"] is True and described["data"] == [None]
        assert table_counts(app_server.database_url) == before

        # an illegal transition: a finished job cannot run again
        (job,) = _post(client, "/api/v1/job/submit", {"jobs": [_spec("svc.transition", queue)]})["data"]
        pandaid = job["PandaID"]
        _post(client, "/api/v1/pilot/acquire_jobs", {"site_name": queue, "prod_source_label": "managed"})
        assert _post(client, "/api/v1/pilot/update_job", {"job_id": pandaid, "job_status": "finished"})["success"]
        after_finish = table_counts(app_server.database_url)
        again = _post(client, "/api/v1/pilot/update_job", {"job_id": pandaid, "job_status": "running"})
        assert again["success"] is False and again["data"]["sqlstate"] == "PD004"
        assert table_counts(app_server.database_url) == after_finish
    assert '"status": 500' not in app_server.log()


def test_kill_own_job_and_not_someone_elses(app_server, queue):
    alice = app_server.headers(user="alice", groups=())
    bob = app_server.headers(user="bob", groups=())
    with app_server.client() as client:
        submitted = client.post(
            "/api/v1/job/submit", headers=alice, json={"jobs": [_spec("svc.user.1", queue, prodSourceLabel="user")]}
        ).json()
        assert submitted["success"] is True, submitted
        pandaid = submitted["data"][0]["PandaID"]
        managed = client.post("/api/v1/job/submit", headers=alice, json={"jobs": [_spec("svc.user.2", queue)]})
        assert managed.status_code == 403
        by_bob = client.post("/api/v1/job/kill", headers=bob, json={"job_ids": [pandaid]})
        # one id: the refusal is raised, and a refusal because of who asks (PD005) is a 403
        assert by_bob.status_code == 403
        assert by_bob.json()["success"] is False and by_bob.json()["data"]["sqlstate"] == "PD005"
        by_bob_bulk = client.post("/api/v1/job/kill", headers=bob, json={"job_ids": [pandaid, 987654321]}).json()
        assert by_bob_bulk["success"] is True and [r["killed"] for r in by_bob_bulk["data"]] == [False, False]
        by_alice = client.post("/api/v1/job/kill", headers=alice, json={"job_ids": [pandaid]}).json()
        assert by_alice["data"][0]["killed"] is True, by_alice
        status = client.get("/api/v1/job/get_status", headers=alice, params={"job_ids": str(pandaid)}).json()
        assert status["data"][0]["status"] == "cancelled"


def test_bulk_update_and_worker_calls(app_server, queue):
    production = app_server.headers(user="prodsys", groups=("production",))
    pilot = app_server.headers(user="pilot-atlas", groups=("pilot",))
    with app_server.client() as client:
        jobs = client.post(
            "/api/v1/job/submit",
            headers=production,
            json={"jobs": [_spec("svc.bulk.1", queue), _spec("svc.bulk.2", queue)]},
        ).json()["data"]
        ids = [job["PandaID"] for job in jobs]
        acquired = client.post(
            "/api/v1/pilot/acquire_jobs",
            headers=pilot,
            json={"site_name": queue, "prod_source_label": "managed", "n_jobs": 5},
        ).json()
        assert acquired["data"]["StatusCode"] == 0
        assert sorted(int(job["PandaID"]) for job in acquired["data"]["jobs"]) == sorted(ids)
        bulk = client.post(
            "/api/v1/pilot/update_jobs_bulk",
            headers=pilot,
            json={
                "job_list": [
                    {"job_id": ids[0], "job_status": "running"},
                    {"job_id": 987654321, "job_status": "running"},
                    {"job_id": ids[1], "job_status": "starting"},
                ]
            },
        ).json()
        assert bulk["success"] is True, bulk
        assert [result["success"] for result in bulk["data"]] == [True, False, True]
        node = client.post(
            "/api/v1/pilot/update_worker_node",
            headers=pilot,
            json={
                "site": "SVC_SITE",
                "host_name": "slot1@wn01.example.org",
                "cpu_model": "AMD EPYC 7351 16-Core Processor",
                "n_logical_cpus": 64,
                "total_memory": 256000,
            },
        ).json()
        assert node["success"] is True, node
    with psycopg.connect(app_server.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM doma_panda.worker_node WHERE site = 'SVC_SITE'").fetchone()[0] == 1


def test_concurrent_pilots_never_get_the_same_job(app_server, queue):
    from concurrent.futures import ThreadPoolExecutor

    production = app_server.headers(user="prodsys", groups=("production",))
    with app_server.client(headers=production) as client:
        jobs = _post(client, "/api/v1/job/submit", {"jobs": [_spec(f"svc.concurrent.{i}", queue) for i in range(16)]})[
            "data"
        ]
    submitted = {job["PandaID"] for job in jobs}

    def pilot(number: int) -> list[int]:
        got = []
        with app_server.client(headers=app_server.headers(user=f"pilot{number}", groups=("pilot",))) as client:
            while True:
                data = _post(
                    client, "/api/v1/pilot/acquire_jobs", {"site_name": queue, "prod_source_label": "managed"}
                )["data"]
                if data["StatusCode"] != 0:
                    return got
                got.append(int(data["PandaID"]))

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(pilot, range(6)))
    acquired = [pandaid for result in results for pandaid in result]
    assert len(acquired) == len(set(acquired)) == len(submitted)
    assert set(acquired) == submitted
