"""Never a 500 for the values a fuzzer's default strategies rarely make: every parameter of every endpoint
(from the same declarations the server validates with) is sent, in turn, as JSON nested 5,000 deep, as
NaN / Infinity / 1e400, and as integers beyond 64 bits, in-process against the real app and database.
Schemathesis (test_services_fuzz.py) covers the ordinary values over real HTTP."""

from __future__ import annotations

import json

import pytest

DEEP = "[" * 5000 + "]" * 5000
HOSTILE_JSON_VALUES = {
    "deep": DEEP,
    "nan": "NaN",
    "infinity": "-Infinity",
    "overflow": "1e400",
    "huge_integer": str(2**70),
    "huge_negative": str(-(2**70)),
}
HOSTILE_QUERY_VALUES = {
    "deep": DEEP,
    "nan": "NaN",
    "infinity": "Infinity",
    "overflow": "1e400",
    "huge_integer": str(2**70),
}


def declared_endpoints():
    from services.app import all_endpoints

    return [spec for spec in all_endpoints() if spec.params and not spec.multipart]


def test_hostile_values_never_get_a_server_error(app_server):
    endpoints = declared_endpoints()
    assert len(endpoints) > 60
    server_errors, sent = [], 0
    headers = {**app_server.headers(user="hostile", groups=("production",)), "Content-Type": "application/json"}
    with app_server.client(headers=headers) as client:
        for spec in endpoints:
            for param in spec.params:
                values = HOSTILE_QUERY_VALUES if spec.method == "GET" else HOSTILE_JSON_VALUES
                for kind, value in values.items():
                    if spec.method == "GET":
                        response = client.get(spec.path, params={param.name: value})
                    else:
                        # the raw JSON text: NaN, 1e400 and the nesting reach the server's parser as sent
                        response = client.post(spec.path, content=f'{{"{param.name}": {value}}}'.encode())
                    sent += 1
                    if response.status_code >= 500:
                        server_errors.append(
                            f"{spec.method} {spec.path} {param.name}={kind}: {response.status_code} "
                            f"{response.text[:160]}"
                        )
    assert sent > 1000
    assert server_errors == [], "\n".join(server_errors[:20])
    assert '"status": 500' not in app_server.log() and "Traceback" not in app_server.log()


@pytest.mark.parametrize("text", ["NaN", "Infinity", "1e400", DEEP])
def test_the_parser_itself_refuses_or_marks_them(text):
    from services.spec import NonFinite, load_json

    if text == DEEP:
        with pytest.raises(ValueError, match="nested deeper"):
            load_json(text)
    else:
        assert isinstance(load_json(text), NonFinite)
        assert isinstance(load_json(json.dumps({"x": 1})), dict)
