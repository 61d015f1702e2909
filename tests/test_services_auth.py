"""Services auth: tokens, VO, roles, secure connections, and the token CLI; in-process, and once over real HTTPS."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pandadb.tokens import LOCAL_ISSUER
from services.settings import load_issuers

from api_helpers import in_process_api
from cli_helpers import run_cli

WHOAMI = "/api/v1/system/get_user_attributes"


def test_is_alive_needs_no_token(app_server):
    with app_server.client() as client:
        legacy = client.get("/server/panda/isAlive")
        assert legacy.status_code == 200 and legacy.text == "alive=yes"
        assert legacy.headers["content-type"].startswith("text/plain")
        v1 = client.get("/api/v1/system/is_alive")
        assert v1.status_code == 200
        assert v1.json() == {"success": True, "message": "", "data": None}


def test_valid_token_identifies_the_caller(app_server):
    with app_server.client() as client:
        response = client.get(WHOAMI, headers=app_server.headers(user="bob", vo="atlas", groups=("production",)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["data"]["user"] == "bob"
    assert body["data"]["vo"] == "atlas"
    assert body["data"]["is_production_user"] is True
    assert set(body["data"]["groups"]) == {"atlas", "atlas/production"}


@pytest.mark.parametrize(
    "headers, fragment",
    [
        ({}, "authentication required"),
        ({"Authorization": "Basic dXNlcjpwYXNz", "Origin": "atlas"}, "Bearer"),
        ({"Authorization": "Bearer not-a-jwt", "Origin": "atlas"}, "not a valid JWT"),
    ],
)
def test_missing_or_malformed_token_is_401(app_server, headers, fragment):
    with app_server.client() as client:
        response = client.get(WHOAMI, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["success"] is False and fragment in body["message"]


def test_expired_token_is_401(app_server):
    expired = app_server.token(user="carol", groups=("production",), lifetime=-3600)
    with app_server.client() as client:
        response = client.get(WHOAMI, headers={"Authorization": f"Bearer {expired}", "Origin": "atlas"})
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


def test_token_signed_by_another_key_is_401(app_server):
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {
            "iss": LOCAL_ISSUER,
            "aud": "pandadb",
            "sub": "mallory",
            "groups": ["atlas", "atlas/production"],
            "exp": 4102444800,
        },
        stranger_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        algorithm="RS256",
    )
    with app_server.client() as client:
        response = client.get(WHOAMI, headers={"Authorization": f"Bearer {forged}", "Origin": "atlas"})
    assert response.status_code == 401
    assert "signature" in response.json()["message"]


def test_symmetric_algorithm_with_the_public_key_is_refused(app_server):
    # the classic "alg confusion" attack: HS256 keyed with the issuer's public key
    public_pem = (app_server.home / "auth" / "issuer_public_key.pem").read_bytes()
    header = json.dumps({"alg": "HS256", "typ": "JWT"}).encode()
    payload = json.dumps(
        {"iss": LOCAL_ISSUER, "aud": "pandadb", "sub": "mallory", "groups": ["atlas"], "exp": 4102444800}
    ).encode()
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = b64(header) + b"." + b64(payload)
    signature = b64(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    forged = (signing_input + b"." + signature).decode()
    with app_server.client() as client:
        response = client.get(WHOAMI, headers={"Authorization": f"Bearer {forged}", "Origin": "atlas"})
    assert response.status_code == 401


def test_wrong_audience_or_issuer_is_401(app_server):
    private_pem = (app_server.home / "auth" / "issuer_private_key.pem").read_bytes()
    for claims, fragment in (
        ({"iss": LOCAL_ISSUER, "aud": "someone-else"}, "audience"),
        ({"iss": "https://evil.example.org", "aud": "pandadb"}, "not trusted"),
    ):
        token = jwt.encode(
            {**claims, "sub": "x", "groups": ["atlas"], "exp": 4102444800}, private_pem, algorithm="RS256"
        )
        with app_server.client() as client:
            response = client.get(WHOAMI, headers={"Authorization": f"Bearer {token}", "Origin": "atlas"})
        assert response.status_code == 401
        assert fragment in response.json()["message"].lower()


def test_wrong_vo_is_403_and_missing_origin_is_401(app_server):
    token = app_server.token(user="dave", vo="atlas", groups=("production",))
    with app_server.client() as client:
        wrong_vo = client.get(WHOAMI, headers={"Authorization": f"Bearer {token}", "Origin": "cms"})
        no_origin = client.get(WHOAMI, headers={"Authorization": f"Bearer {token}"})
    assert wrong_vo.status_code == 403
    assert "no group of VO 'cms'" in wrong_vo.json()["message"]
    assert no_origin.status_code == 401
    assert "Origin" in no_origin.json()["message"]


def test_missing_production_role_is_403_and_nothing_is_written(app_server):
    plain_user = app_server.headers(user="erin", groups=())
    with app_server.client() as client:
        response = client.post(
            "/api/v1/job/set_command", json={"job_id": 1, "command": "tobekilled"}, headers=plain_user
        )
        assert response.status_code == 403
        assert "production role" in response.json()["message"]
        # a production role of ANOTHER VO does not count either
        other_vo_production = app_server.headers(user="erin", vo="atlas", groups=("cms/production",))
        response = client.post(
            "/api/v1/pilot/update_job", json={"job_id": 1, "job_status": "running"}, headers=other_vo_production
        )
        assert response.status_code == 403
        # the pilot group gives the production role
        pilot = app_server.headers(user="pilot1", groups=("pilot",))
        response = client.get(WHOAMI, headers=pilot)
        assert response.json()["data"]["is_production_user"] is True


def test_secure_endpoints_refuse_plain_http_without_insecure(app_server):
    with app_server.client(scheme="http") as client:
        response = client.get(WHOAMI, headers=app_server.headers())
        assert response.status_code == 403
        assert "HTTPS" in response.json()["message"]
        spoofed = client.get(WHOAMI, headers={**app_server.headers(), "X-Forwarded-Proto": "https"})
        assert spoofed.status_code == 403
        # non-secure endpoints still answer over plain HTTP
        assert client.get("/api/v1/system/is_alive").json()["success"] is True


def test_forwarded_proto_is_believed_only_when_configured(app_database_url, api_home):
    proxied = in_process_api(app_database_url, api_home, trust_forwarded_proto=True)
    try:
        with proxied.http_client(scheme="http", headers=proxied.headers()) as client:
            assert client.get(WHOAMI, headers={"X-Forwarded-Proto": "https"}).status_code == 200
            assert client.get(WHOAMI, headers={"X-Forwarded-Proto": "http"}).status_code == 403
            assert client.get(WHOAMI).status_code == 403
    finally:
        proxied.database.close()


def test_https_server_accepts_tokens(secure_api_server):
    assert secure_api_server.base_url.startswith("https://")
    with secure_api_server.client() as client:
        response = client.get(WHOAMI, headers=secure_api_server.headers(user="frank"))
        assert response.status_code == 200
        assert response.json()["data"]["user"] == "frank"
        assert client.get(WHOAMI).status_code == 401


def test_token_issue_cli_makes_tokens_the_server_accepts(app_server):
    result = run_cli(
        "pandadb",
        "token",
        "issue",
        "--user",
        "grace",
        "--vo",
        "atlas",
        "--groups",
        "production,atlas/analysis",
        "--lifetime",
        "600",
        env={"PANDADB_HOME": str(app_server.home)},
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["groups"] == ["atlas", "atlas/production", "atlas/analysis"]
    assert 590 <= claims["exp"] - claims["iat"] <= 600
    with app_server.client() as client:
        response = client.get(WHOAMI, headers={"Authorization": f"Bearer {token}", "Origin": "atlas"})
    assert response.status_code == 200
    assert response.json()["data"]["user"] == "grace"
    refused = run_cli(
        "pandadb",
        "token",
        "issue",
        "--user",
        "grace",
        "--vo",
        "atlas",
        "--lifetime",
        "0",
        env={"PANDADB_HOME": str(app_server.home)},
    )
    assert refused.returncode != 0


def test_access_log_has_one_json_line_per_request(app_server):
    with app_server.client() as client:
        client.get(WHOAMI, headers=app_server.headers(user="logged-user", vo="atlas"))
        client.get(WHOAMI)
    records = [json.loads(line) for line in app_server.log().splitlines() if line.startswith("{")]
    mine = [r for r in records if r["path"] == WHOAMI and r["user"] == "logged-user"]
    assert mine and mine[-1]["status"] == 200 and mine[-1]["vo"] == "atlas" and mine[-1]["method"] == "GET"
    assert isinstance(mine[-1]["duration_ms"], (int, float)) and mine[-1]["remote"] == "127.0.0.1"
    assert mine[-1]["time"].endswith("+00:00")
    assert any(r["path"] == WHOAMI and r["status"] == 401 and r["user"] is None for r in records)


def test_configured_issuer_with_jwks(app_database_url, api_home, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "iam-jwks.json").write_text(
        json.dumps({"keys": [{**jwk, "kid": "iam-1", "use": "sig", "alg": "RS256"}]})
    )
    (tmp_path / "issuers.json").write_text(
        json.dumps(
            {
                "issuers": [
                    {"issuer": "https://iam.example.org/", "audience": "panda-client", "jwks_file": "iam-jwks.json"}
                ]
            }
        )
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    iam_token = jwt.encode(
        {
            "iss": "https://iam.example.org/",
            "aud": "panda-client",
            "sub": "f00-ba4",
            "name": "Iris IAM",
            "groups": ["/atlas", "/atlas/production"],
            "exp": 4102444800,
        },
        private_pem,
        algorithm="RS256",
        headers={"kid": "iam-1"},
    )
    iam = in_process_api(app_database_url, api_home, issuers=load_issuers(tmp_path / "issuers.json"))
    try:
        with iam.http_client() as client:
            accepted = client.get(WHOAMI, headers={"Authorization": f"Bearer {iam_token}", "Origin": "atlas"})
            assert accepted.status_code == 200, accepted.text
            assert accepted.json()["data"]["user"] == "Iris IAM"
            assert accepted.json()["data"]["is_production_user"] is True
            # the local issuer is not trusted when an issuers file is configured without it
            local = client.get(WHOAMI, headers=iam.headers())
            assert local.status_code == 401 and "not trusted" in local.json()["message"]
    finally:
        iam.database.close()
