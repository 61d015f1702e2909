"""Input the services must refuse cleanly and outages they must answer quickly (issue: reliability):
deep nesting, numbers out of the range of the column behind a parameter, NaN / Infinity, impossible
times, a database that does not answer. Never a 500, never a write; a 503 with Retry-After, not a hang."""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from api_helpers import in_process_api
from http_helpers import table_counts
from job_helpers import job_spec, register_queue, submit


def post_text(api, path: str, text: str, **who):
    return api.client.simulate_post(
        path, body=text, protocol="https", headers={**api.headers(**who), "Content-Type": "application/json"}
    )


def test_a_deeply_nested_body_is_400_not_500(api):
    deep = '{"job_id": 1, "job_metrics": ' + "[" * 5000 + "]" * 5000 + "}"
    answer = post_text(api, "/api/v1/pilot/update_job", deep)
    assert answer.status_code == 400, answer.text
    assert "nested deeper" in answer.json["message"]
    moderately = '{"jobs": ' + "[" * 150 + "]" * 150 + "}"
    assert post_text(api, "/api/v1/job/submit", moderately).status_code == 400


@pytest.mark.parametrize(
    "body, parameter, fragment",
    [
        ({"site_name": "Q", "n_jobs": 2147483648}, "n_jobs", "between"),
        ({"job_id": 1, "attempt_nr": 40000}, "attempt_nr", "between 0 and 32767"),
        ({"job_id": 1, "n_input_files": -1}, "n_input_files", "between"),
        ({"job_id": 1, "max_rss": 1e30}, "max_rss", "between"),
        ({"job_id": 1, "start_time": "99999-12-31 00:00:00"}, "start_time", "YYYY-MM-DD HH:MM:SS"),
        ({"job_id": 1, "end_time": "2026-02-30 10:00:00"}, "end_time", "YYYY-MM-DD HH:MM:SS"),
    ],
)
def test_values_out_of_their_columns_range_are_400_naming_the_parameter(api, body, parameter, fragment):
    path = "/api/v1/pilot/acquire_jobs" if "site_name" in body else "/api/v1/pilot/update_job"
    answer = api.post(path, body)
    assert answer.status_code == 400, answer.text
    assert answer.json["data"]["parameter"] == parameter
    assert fragment in answer.json["message"]


@pytest.mark.parametrize("spelling", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_400_naming_the_parameter(api, spelling):
    answer = post_text(api, "/api/v1/pilot/update_job", f'{{"job_id": 1, "max_rss": {spelling}}}')
    assert answer.status_code == 400, answer.text
    assert answer.json["data"]["parameter"] == "max_rss" and "finite" in answer.json["message"]
    inside = post_text(api, "/api/v1/job/submit", f'{{"jobs": [{{"jobName": "x", "minRamCount": {spelling}}}]}}')
    assert inside.status_code == 400 and inside.json["data"]["parameter"] == "jobs"


def test_nothing_is_written_by_refused_input(api, database_url):
    before = table_counts(database_url)
    post_text(api, "/api/v1/job/submit", '{"jobs": [{"jobName": "x", "computingSite": "Q", "maxDiskCount": NaN}]}')
    api.post("/api/v1/pilot/update_job", {"job_id": 1, "start_time": "99999-12-31 00:00:00"})
    assert table_counts(database_url) == before


def test_an_unreachable_database_is_a_quick_503_with_retry_after(api_home):
    # nothing listens on port 9: every connection attempt is refused
    service = in_process_api("postgresql://panda@127.0.0.1:9/none", api_home, checkout_timeout_s=1.0)
    try:
        started = time.monotonic()
        answer = service.get("/api/v1/job/get_status", {"job_ids": "1"})
        waited = time.monotonic() - started
    finally:
        service.database.close()
    assert answer.status_code == 503 and answer.headers["Retry-After"].isdigit()
    assert "retry later" in answer.json["message"]
    assert waited < 15, f"the request waited {waited:.1f}s for a database that is down"


def test_the_timeout_parameter_bounds_the_statements_of_a_request(api, db):
    register_queue(db, "SLOW_Q")
    [pandaid] = submit(db, job_spec("SLOW_Q"))
    # a stand-in get_job_status that stalls like a frozen database would
    db.execute("""CREATE OR REPLACE FUNCTION doma_panda.get_job_status(p_pandaids bigint[], p_requester_vo text DEFAULT NULL)
                  RETURNS jsonb LANGUAGE sql AS $$ SELECT to_jsonb(pg_sleep(5)) $$""")
    started = time.monotonic()
    answer = api.get("/api/v1/job/get_status", {"job_ids": str(pandaid), "timeout": "1"})
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"].isdigit()
    assert time.monotonic() - started < 5, "the statement was not cancelled at the request's timeout"
    # the connection went back to the pool usable, with the server's own timeout again
    assert api.get("/api/v1/job/get_status", {"job_ids": str(pandaid)}, user="alice").status_code == 200
    with psycopg.connect(api.database_url) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone()[0] != "1s"
    # a timeout beyond the server's own, or none at all, is the server's own (found by the fuzz test)
    for timeout in ("9223372036854775807", "0", "-5"):
        answer = api.get("/api/v1/job/get_description", {"job_ids": str(pandaid), "timeout": timeout})
        assert answer.status_code == 200, answer.text
    assert json.dumps(answer.json)  # an envelope, not an HTML error page


@pytest.mark.parametrize("text, fragment", [("a\\u0000b", "no NUL characters"), ("a\\ud874b", "valid Unicode")])
def test_text_postgresql_cannot_store_is_refused_inside_objects_too(api, database_url, text, fragment):
    before = table_counts(database_url)
    body = f'{{"task_parameters": {{"taskName": "t", "jobParameters": [{{"type": "constant", "value": "{text}"}}]}}}}'
    answer = post_text(api, "/api/v1/task/submit", body)
    assert answer.status_code == 400, answer.text
    assert answer.json["data"]["parameter"] == "task_parameters" and fragment in answer.json["message"]
    assert table_counts(database_url) == before
