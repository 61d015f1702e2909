"""Bad input over real HTTP: 400/413 with a message naming the problem, never a 500, nothing written."""

from __future__ import annotations

import pytest

from services.pilot import update_job
from services.spec import ValidationError, validate

from http_helpers import table_counts


@pytest.fixture(scope="module")
def counts_before(app_server):
    return table_counts(app_server.database_url)


BAD_REQUESTS = [
    # (method, path, query or json body, expected status, fragment of the message)
    (
        "POST",
        "/api/v1/pilot/update_job",
        {"job_id": "abc", "job_status": "running"},
        400,
        "'job_id' must be an integer",
    ),
    ("POST", "/api/v1/pilot/update_job", {"job_status": "running"}, 400, "missing required parameter 'job_id'"),
    ("POST", "/api/v1/pilot/update_job", {"job_id": 1, "jobStatus": "running"}, 400, "unknown parameter 'jobStatus'"),
    ("POST", "/api/v1/pilot/update_job", {"job_id": 1, "n_events": [1]}, 400, "'n_events' must be an integer"),
    ("POST", "/api/v1/pilot/update_job", {"job_id": 1, "max_rss": "lots"}, 400, "'max_rss' must be a number"),
    ("POST", "/api/v1/pilot/update_job", {"job_id": True}, 400, "'job_id' must be an integer"),
    ("POST", "/api/v1/pilot/update_job", {"job_id": 2**64}, 400, "'job_id' is out of the 64-bit integer range"),
    ("POST", "/api/v1/pilot/update_job", {"job_id": 1, "pilot_log": {"a": 1}}, 400, "'pilot_log' must be a string"),
    ("POST", "/api/v1/pilot/acquire_jobs", {"site_name": "Q", "n_jobs": "two"}, 400, "'n_jobs' must be an integer"),
    ("POST", "/api/v1/pilot/acquire_jobs", {"n_jobs": 1}, 400, "missing required parameter 'site_name'"),
    (
        "POST",
        "/api/v1/pilot/update_jobs_bulk",
        {"job_list": [{"job_id": 1}, {"job_status": "running"}]},
        400,
        "missing required parameter 'job_list[1].job_id'",
    ),
    (
        "POST",
        "/api/v1/pilot/update_jobs_bulk",
        {"job_list": [{"job_id": 1, "bogus": 2}]},
        400,
        "unknown parameter 'job_list[0].bogus'",
    ),
    ("POST", "/api/v1/pilot/update_jobs_bulk", {"job_list": {"job_id": 1}}, 400, "'job_list' must be an array"),
    (
        "POST",
        "/api/v1/pilot/update_worker_status",
        {"worker_id": "w1", "harvester_id": "h", "status": "started"},
        400,
        "'worker_id' must be an integer",
    ),
    ("POST", "/api/v1/job/set_debug_mode", {"job_id": 1, "mode": "maybe"}, 400, "'mode' must be a boolean"),
    ("POST", "/api/v1/job/kill", {"job_ids": [1, "x"]}, 400, "'job_ids[1]' must be an integer"),
    ("POST", "/api/v1/job/submit", {"jobs": "[{not json"}, 400, "'jobs' must be a JSON array"),
    ("POST", "/api/v1/job/submit", {"jobs": [1, 2]}, 400, "'jobs[0]' must be a JSON object"),
    ("GET", "/api/v1/pilot/get_job_status", {"job_ids": "abc"}, 400, "'job_ids[0]' must be an integer"),
    ("GET", "/api/v1/pilot/get_job_status", {}, 400, "missing required parameter 'job_ids'"),
    ("GET", "/api/v1/job/get_status", {"job_ids": "1", "verbose": "1"}, 400, "unknown parameter 'verbose'"),
    ("GET", "/api/v1/job/get_description", {"job_ids": "1", "timeout": "soon"}, 400, "'timeout' must be an integer"),
]


@pytest.mark.parametrize(
    "method, path, params, status, fragment",
    BAD_REQUESTS,
    ids=[f"{r[1].rsplit('/', 1)[-1]}-{i}" for i, r in enumerate(BAD_REQUESTS)],
)
def test_bad_parameters_are_refused_before_the_database(
    app_server, counts_before, method, path, params, status, fragment
):
    with app_server.client(headers=app_server.headers()) as client:
        if method == "GET":
            response = client.get(path, params=params)
        else:
            response = client.post(path, json=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert fragment in body["message"]


def test_body_transport_errors(app_server, counts_before):
    with app_server.client(headers=app_server.headers()) as client:
        not_json = client.post("/api/v1/job/kill", content=b"job_ids=1,2", headers={"Content-Type": "application/json"})
        assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["message"]
        not_utf8 = client.post("/api/v1/job/kill", content=b'{"job_ids": "\xff\xfe"}')
        assert not_utf8.status_code == 400
        array_body = client.post("/api/v1/job/kill", json=[1, 2])
        assert array_body.status_code == 400 and "JSON object" in array_body.json()["message"]
        query_on_post = client.post("/api/v1/job/kill?job_ids=1", json={"job_ids": [1]})
        assert query_on_post.status_code == 400 and "JSON body" in query_on_post.json()["message"]
        oversized = client.post("/api/v1/pilot/update_job", json={"job_id": 1, "stdout": "x" * (1024 * 1024 + 10)})
        assert oversized.status_code == 413 and "limit" in oversized.json()["message"]

        def chunks():  # no Content-Length: the limit holds for chunked bodies too
            yield b'{"job_id": 1, "stdout": "'
            for _ in range(20):
                yield b"y" * 65536
            yield b'"}'

        chunked = client.post(
            "/api/v1/pilot/update_job", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert chunked.status_code == 413

        def small_chunks():  # a chunked body under the limit is read whole
            yield b'{"job_id": "not-'
            yield b'a-number"}'

        small = client.post(
            "/api/v1/pilot/update_job", content=small_chunks(), headers={"Content-Type": "application/json"}
        )
        assert small.status_code == 400 and "'job_id' must be an integer" in small.json()["message"]
        wrong_method = client.get("/api/v1/pilot/update_job")
        assert wrong_method.status_code == 405 and wrong_method.json()["success"] is False
        unknown = client.get("/api/v1/pilot/no_such_function")
        assert unknown.status_code == 404 and "openapi.json" in unknown.json()["message"]


def test_nothing_was_written_and_no_500(app_server, counts_before):
    # runs after the bad requests above (same module, same database)
    assert table_counts(app_server.database_url) == counts_before
    assert '"status": 500' not in app_server.log()
    assert "Traceback" not in app_server.log()


def test_get_parameters_are_converted_from_the_query_string():
    # in-process: the same declarations as the server, spellings of lists and scalars
    from services.job import get_status, set_debug_mode

    assert validate(get_status, {"job_ids": ["1", "2"]}, from_query=True)["job_ids"] == [1, 2]
    assert validate(get_status, {"job_ids": "3,4"})["job_ids"] == [3, 4]
    assert validate(get_status, {"job_ids": "[5, 6]"})["job_ids"] == [5, 6]
    assert validate(get_status, {"job_ids": "7", "timeout": "30"}) == {"job_ids": [7], "timeout": 30}
    assert validate(get_status, {"job_ids": "7"})["timeout"] == 60
    assert validate(set_debug_mode, {"job_id": "8", "mode": "False"}) == {"job_id": 8, "mode": False}
    checked = validate(update_job, {"job_id": 9, "trans_exit_code": 0, "cpu_conversion_factor": "1.5"})
    assert checked["trans_exit_code"] == "0" and checked["cpu_conversion_factor"] == 1.5
    with pytest.raises(ValidationError) as error:
        validate(update_job, {"job_id": 9, "start_time": None, "attempt_nr": 1.5})
    assert error.value.parameter == "attempt_nr"


def test_get_attributes_echoes_parameters_but_not_credentials(app_server):
    headers = app_server.headers()
    with app_server.client(headers=headers) as client:
        response = client.get("/api/v1/system/get_attributes", params={"anything": "goes", "n": "3"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["parameters"] == {"anything": "goes", "n": "3"}
    assert data["environment"]["REQUEST_METHOD"] == "GET"
    assert "HTTP_AUTHORIZATION" not in data["environment"]
    assert headers["Authorization"].split()[1] not in response.text


@pytest.mark.parametrize(
    "text, fragment",
    [("kill\u0000me", "must not contain NUL characters"), ("half \ud874 a pair", "not valid Unicode text")],
)
def test_text_postgresql_cannot_store_is_refused_with_400(app_server, text, fragment):
    """Found by the fuzz test: these reached the driver and came back as 500s."""
    import json as json_module

    body = json_module.dumps({"job_id": 1, "command": text})  # json escapes both as \\u sequences
    with app_server.client(headers={**app_server.headers(), "Content-Type": "application/json"}) as client:
        response = client.post("/api/v1/job/set_command", content=body)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"] and "'command'" in response.json()["message"]
