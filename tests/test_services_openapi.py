"""The OpenAPI document served at /api/v1/openapi.json matches what the server accepts."""

from __future__ import annotations

from typing import Any

import pytest

from services.app import all_endpoints

SEED_000_FUNCTIONS = {
    "pilot": {
        "acquire_jobs",
        "get_job_status",
        "update_job",
        "update_jobs_bulk",
        "update_worker_status",
        "update_worker_node",
    },
    "job": {
        "get_status",
        "get_description",
        "get_description_incl_archive",
        "kill",
        "reassign",
        "set_command",
        "set_debug_mode",
        "submit",
    },
    "system": {"is_alive", "get_attributes"},
}


@pytest.fixture(scope="module")
def document(app_server) -> dict[str, Any]:
    with app_server.client() as client:
        response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def _sample(schema: dict[str, Any]) -> Any:
    """A value of the declared type (valid as far as the validator goes)."""
    kind = schema.get("type")
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        items = schema.get("items", {})
        if items.get("type") == "object" and "properties" in items:
            return [{name: _sample(items["properties"][name]) for name in items.get("required", [])}]
        return [_sample(items)]
    if kind == "object":
        return {}
    return "x"


def _api_operations(document):
    for path, methods in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in methods.items():
            yield path, method.upper(), operation


def _declared(operation) -> tuple[dict[str, dict], set[str]]:
    """(name -> schema, required names) of an operation's API parameters."""
    if "requestBody" in operation:
        # application/json, or multipart/form-data for the file uploads (whose servers take JSON for the rest)
        [media] = operation["requestBody"]["content"].values()
        schema = media["schema"]
        return schema["properties"], set(schema.get("required", []))
    params = [p for p in operation.get("parameters", []) if p["in"] == "query" and p["name"] != "attributes"]
    return {p["name"]: p["schema"] for p in params}, {p["name"] for p in params if p["required"]}


def _send(client, method, path, params, headers):
    if method == "GET":
        query = {
            k: (",".join(map(str, v)) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else v)
            for k, v in params.items()
        }
        return client.get(path, params=query, headers=headers)
    return client.post(path, json=params, headers=headers)


def test_document_lists_exactly_the_served_routes(document):
    assert document["openapi"].startswith("3.")
    documented = {(path, method) for path, method, _ in _api_operations(document)} - {("/api/v1/openapi.json", "GET")}
    served = {(spec.path, spec.method) for spec in all_endpoints()}
    served |= {(spec.path, "POST") for spec in all_endpoints() if spec.also_post}  # GET endpoints clients also POST to
    assert documented == served
    for module, functions in SEED_000_FUNCTIONS.items():
        for function in functions:
            assert f"/api/v1/{module}/{function}" in document["paths"], function
    assert document["paths"]["/server/panda/isAlive"]["get"]


def test_each_documented_route_exists_with_its_method_and_roles(app_server, document):
    production = app_server.headers(groups=("production",))
    plain_user = app_server.headers(user="nobody-special", groups=())
    with app_server.client() as client:
        for path, method, operation in _api_operations(document):
            if path == "/api/v1/openapi.json":
                continue
            other_method = "POST" if method == "GET" else "GET"
            if other_method.lower() not in document["paths"][path]:
                wrong_method = client.request(other_method, path, headers=production)
                assert wrong_method.status_code == 405, path
            declared, required = _declared(operation)
            if operation["x-requires-secure-connection"]:
                assert client.request(method, path).status_code == 401, path
                assert operation["security"] == [{"bearerAuth": []}]
            if operation["x-requires-production-role"]:
                response = _send(client, method, path, {name: _sample(declared[name]) for name in required}, plain_user)
                assert response.status_code == 403, (path, response.text)


def test_declared_required_parameters_are_enforced(app_server, document):
    headers = app_server.headers(groups=("production",))
    checked = 0
    with app_server.client() as client:
        for path, method, operation in _api_operations(document):
            declared, required = _declared(operation)
            complete = {name: _sample(declared[name]) for name in required}
            for missing in sorted(required):
                params = {name: value for name, value in complete.items() if name != missing}
                response = _send(client, method, path, params, headers)
                assert response.status_code == 400, (path, missing, response.text)
                assert f"missing required parameter '{missing}'" in response.json()["message"]
                checked += 1
            if declared and not operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get(
                "schema", {}
            ).get("additionalProperties", False):
                if path == "/api/v1/system/get_attributes":
                    continue
                response = _send(client, method, path, {**complete, "not_declared_anywhere": 1}, headers)
                assert response.status_code == 400, (path, response.text)
                assert "unknown parameter 'not_declared_anywhere'" in response.json()["message"]
            # a wrongly typed integer parameter, where there is one
            integer_params = [name for name, schema in declared.items() if schema.get("type") == "integer"]
            if integer_params:
                response = _send(client, method, path, {**complete, integer_params[0]: "not-a-number"}, headers)
                assert response.status_code == 400, (path, response.text)
                assert f"'{integer_params[0]}' must be an integer" in response.json()["message"]
    assert checked >= 20


def test_parameter_names_follow_seed_000(document):
    update_job = document["paths"]["/api/v1/pilot/update_job"]["post"]
    properties = update_job["requestBody"]["content"]["application/json"]["schema"]["properties"]
    for name in (
        "job_id",
        "job_status",
        "job_sub_status",
        "pilot_error_code",
        "cpu_consumption_time",
        "max_rss",
        "corrupted_files",
        "job_output_report",
        "meta_data",
        "stdout",
        "timeout",
    ):
        assert name in properties
    acquire = document["paths"]["/api/v1/pilot/acquire_jobs"]["post"]
    assert acquire["requestBody"]["content"]["application/json"]["schema"]["required"] == ["site_name"]
    get_status = document["paths"]["/api/v1/job/get_status"]["get"]
    job_ids = next(p for p in get_status["parameters"] if p["name"] == "job_ids")
    assert job_ids["in"] == "query" and job_ids["required"] is True and job_ids["schema"]["items"]["type"] == "integer"
    assert document["paths"]["/api/v1/system/is_alive"]["get"]["security"] == []
