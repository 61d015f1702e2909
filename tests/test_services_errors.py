"""Mapping of stored-logic outcomes onto the envelope, in-process, with stand-in functions in this module's
database only.

The stand-ins replace real procedures in a throw-away database so that each outcome is certain:
a rule violation (PD003) -> 200 success:false with the procedure's message; an unexpected
database error -> 500 with a generic message, the details in the server log only; the
arguments (and the caller's identity) arrive with the declared names and SQL types.
The last test runs the real acquire_jobs: the role rule is decided in SQL and answered 403.
"""

from __future__ import annotations

import psycopg
import pytest

from job_helpers import job_spec, register_queue, submit

STAND_INS = """
DROP FUNCTION IF EXISTS doma_panda.set_command(bigint, text, text);
CREATE FUNCTION doma_panda.set_command(p_pandaid bigint, p_command text, p_requester_vo text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'job % not found: check the PandaID', p_pandaid USING ERRCODE = 'PD003';
END $$;

DROP FUNCTION IF EXISTS doma_panda.set_debug_mode(bigint, boolean, text);
CREATE FUNCTION doma_panda.set_debug_mode(p_pandaid bigint, p_mode boolean, p_requester_vo text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN to_jsonb(1 / 0);  -- a bug, not a rule: division_by_zero
END $$;

DROP FUNCTION IF EXISTS doma_panda.acquire_jobs(text, integer, jsonb, text, text, boolean);
CREATE FUNCTION doma_panda.acquire_jobs(p_site_name text, p_n_jobs integer, p_request jsonb,
                                        p_requester text DEFAULT NULL, p_requester_vo text DEFAULT NULL,
                                        p_is_production boolean DEFAULT true) RETURNS jsonb
LANGUAGE sql AS $$
    -- echo the arguments back as a job description; no job for queue EMPTY
    SELECT CASE WHEN p_site_name = 'EMPTY' THEN '[]'::jsonb
                ELSE jsonb_build_array(jsonb_build_object('PandaID', 42, 'site', p_site_name, 'n', p_n_jobs,
                                                          'request', p_request, 'requester', p_requester,
                                                          'vo', p_requester_vo, 'production', p_is_production)) END
$$;

DROP FUNCTION IF EXISTS doma_panda.kill_jobs(bigint[], text, boolean, integer, text);
CREATE FUNCTION doma_panda.kill_jobs(p_pandaids bigint[], p_requester text, p_is_production boolean,
                                     p_kill_code integer DEFAULT 9, p_requester_vo text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_agg(jsonb_build_object('job_id', id, 'requester', p_requester, 'production', p_is_production,
                                        'code', p_kill_code, 'vo', p_requester_vo))
      FROM unnest(p_pandaids) AS id
$$;
"""


@pytest.fixture(scope="module")
def stand_in_server(app_database_url, app_server):
    with psycopg.connect(app_database_url, autocommit=True) as conn:
        conn.execute(STAND_INS)
    return app_server


def test_rule_violation_is_200_with_the_procedures_message(stand_in_server):
    with stand_in_server.client(headers=stand_in_server.headers()) as client:
        response = client.post("/api/v1/job/set_command", json={"job_id": 77, "command": "tobekilled"})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is False
    assert body["message"] == "job 77 not found: check the PandaID"
    assert body["data"] == {"sqlstate": "PD003"}


def test_unexpected_error_is_500_generic_with_traceback_in_log_only(stand_in_server):
    with stand_in_server.client(headers=stand_in_server.headers()) as client:
        response = client.post("/api/v1/job/set_debug_mode", json={"job_id": 1, "mode": True})
    assert response.status_code == 500
    body = response.json()
    assert body["success"] is False and body["data"] is None
    assert "internal server error" in body["message"]
    assert "division" not in body["message"]
    incident = body["message"].split("incident ")[1].split(")")[0]
    log = stand_in_server.log()
    assert f"incident {incident}" in log
    assert "Traceback" in log and "division by zero" in log


def test_acquire_jobs_shapes_the_answer_and_passes_the_request(stand_in_server):
    production = stand_in_server.headers(user="pilot-atlas", groups=("pilot",))
    with stand_in_server.client(headers=production) as client:
        single = client.post(
            "/api/v1/pilot/acquire_jobs", json={"site_name": "Q1", "memory": 2000, "node": "wn1", "timeout": 30}
        ).json()
        bulk = client.post("/api/v1/pilot/acquire_jobs", json={"site_name": "Q1", "n_jobs": 3}).json()
        none = client.post("/api/v1/pilot/acquire_jobs", json={"site_name": "EMPTY"}).json()
        none_bulk = client.post("/api/v1/pilot/acquire_jobs", json={"site_name": "EMPTY", "n_jobs": 2}).json()
    assert single["success"] is True
    assert single["data"]["StatusCode"] == 0 and single["data"]["PandaID"] == 42
    assert single["data"]["n"] == 1
    assert single["data"]["request"] == {"memory": 2000, "node": "wn1"}  # timeout/site/n_jobs are not in p_request
    assert bulk["data"]["StatusCode"] == 0 and bulk["data"]["jobs"][0]["n"] == 3
    assert none["success"] is True and none["data"] == {"StatusCode": 20}
    assert none_bulk["data"] == {"StatusCode": 0, "jobs": []}


def test_acquire_jobs_passes_the_callers_identity(stand_in_server):
    user = stand_in_server.headers(user="ursula", groups=())
    with stand_in_server.client(headers=user) as client:
        answer = client.post("/api/v1/pilot/acquire_jobs", json={"site_name": "Q1", "prod_source_label": "user"}).json()
    assert answer["data"]["requester"] == "ursula" and answer["data"]["vo"] == "atlas"
    assert answer["data"]["production"] is False


def test_acquire_jobs_without_production_role_gets_own_user_jobs_only(api, db):
    """The rule lives in acquire_jobs (dispatch.sql); the service only passes who calls."""
    register_queue(db, "OWN_Q")
    [others] = submit(db, job_spec("OWN_Q", prodSourceLabel="user", prodUserID="somebody-else"))
    [own] = submit(db, job_spec("OWN_Q", prodSourceLabel="user", prodUserID="ursula"))
    managed = api.post(
        "/api/v1/pilot/acquire_jobs", {"site_name": "OWN_Q", "prod_source_label": "managed"}, user="ursula", groups=()
    )
    assert managed.status_code == 403 and "production role" in managed.json["message"]
    assert managed.json["data"]["sqlstate"] == "PD005"
    # asking for somebody else's jobs gives the caller's own
    mine = api.post(
        "/api/v1/pilot/acquire_jobs",
        {"site_name": "OWN_Q", "prod_source_label": "user", "prod_user_id": "somebody-else", "n_jobs": 5},
        user="ursula",
        groups=(),
    )
    assert mine.status_code == 200, mine.text
    assert [job["PandaID"] for job in mine.json["data"]["jobs"]] == [own]
    status = db.execute("SELECT jobstatus FROM doma_panda.jobsactive4 WHERE pandaid = %s", (others,)).fetchone()
    assert status == ("activated",)


def test_kill_passes_the_callers_identity(stand_in_server):
    with stand_in_server.client() as client:
        as_user = client.post(
            "/api/v1/job/kill", json={"job_ids": [5, 6]}, headers=stand_in_server.headers(user="ursula", groups=())
        ).json()
        as_production = client.post(
            "/api/v1/job/kill",
            json={"job_ids": "7", "code": 91},
            headers=stand_in_server.headers(user="prod", groups=("production",)),
        ).json()
    assert as_user["data"] == [
        {"job_id": 5, "requester": "ursula", "production": False, "code": 9, "vo": "atlas"},
        {"job_id": 6, "requester": "ursula", "production": False, "code": 9, "vo": "atlas"},
    ]
    assert as_production["data"] == [{"job_id": 7, "requester": "prod", "production": True, "code": 91, "vo": "atlas"}]
