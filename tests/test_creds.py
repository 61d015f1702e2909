"""API module creds: user secrets encrypted at rest and per user; permissions from
doma_pandameta.users.gridpref; key pairs, proxies and access tokens from configured stores; token keys
from doma_pandameta.proxykey; refusals that say what is not configured."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from api_helpers import in_process_api

KEY = Fernet.generate_key().decode()


@pytest.fixture
def creds_api(database_url, api_home, tmp_path):
    stores = {name: tmp_path / name for name in ("keys", "proxies", "tokens")}
    for path in stores.values():
        path.mkdir()
    service = in_process_api(
        database_url,
        api_home,
        secrets_keys=(KEY,),
        key_pair_dir=stores["keys"],
        proxy_cache_dir=stores["proxies"],
        token_cache_dir=stores["tokens"],
    )
    service.captured.attach()
    yield service, stores
    service.captured.detach()
    service.database.close()


def grant(db, user: str, gridpref: str) -> None:
    db.execute(
        "INSERT INTO doma_pandameta.users (id, name, gridpref) VALUES (nextval('doma_pandameta.users_id_seq'), %s, %s)",
        (user, gridpref),
    )


def secrets_of(api, user: str, keys=None) -> dict:
    answer = api.get("/api/v1/creds/get_user_secrets", {"keys": keys} if keys else None, user=user)
    assert answer.status_code == 200 and answer.json["success"], answer.json
    return json.loads(answer.json["data"])


def test_secrets_are_encrypted_at_rest_per_user_and_never_logged(creds_api, db):
    api, _ = creds_api
    for user, key, value in (("alice", "rucio", "s3cr3t-alice"), ("alice", "other", "x"), ("bob", "rucio", "bobs")):
        answer = api.post("/api/v1/creds/set_user_secrets", {"key": key, "value": value}, user=user)
        assert answer.status_code == 200 and answer.json["success"] and answer.json["data"] == "OK", answer.json
    assert secrets_of(api, "alice") == {"rucio": "s3cr3t-alice", "other": "x"}
    assert secrets_of(api, "alice", ["rucio"]) == {"rucio": "s3cr3t-alice"}
    assert secrets_of(api, "bob") == {"rucio": "bobs"}  # a user only sees their own
    assert secrets_of(api, "carol") == {}
    stored = db.execute("SELECT string_agg(data, ' ') FROM doma_panda.secrets").fetchone()[0]
    assert "s3cr3t" not in stored and "bobs" not in stored and '"rucio"' in stored
    assert "s3cr3t" not in api.log()
    # a null value deletes the secret, a null key all of them
    api.post("/api/v1/creds/set_user_secrets", {"key": "other", "value": None}, user="alice")
    assert secrets_of(api, "alice") == {"rucio": "s3cr3t-alice"}
    api.post("/api/v1/creds/set_user_secrets", {}, user="alice")
    assert secrets_of(api, "alice") == {} and secrets_of(api, "bob") == {"rucio": "bobs"}


def test_secret_refusals_leave_the_database_unchanged(creds_api, db, api_home, database_url):
    api, _ = creds_api
    api.post("/api/v1/creds/set_user_secrets", {"key": "k", "value": "v"}, user="alice")
    before = db.execute("SELECT owner, data FROM doma_panda.secrets").fetchall()
    answer = api.post("/api/v1/creds/set_user_secrets", {"key": "../bad key", "value": "v"}, user="alice")
    assert answer.status_code == 200 and not answer.json["success"] and "key" in answer.json["message"]
    answer = api.post("/api/v1/creds/set_user_secrets", {"key": "k", "value": ["not", "text"]}, user="alice")
    assert answer.status_code == 400 and answer.json["data"]["parameter"] == "value"
    answer = api.post("/api/v1/creds/set_user_secrets", {"key": "k", "value": "v", "extra": 1}, user="alice")
    assert answer.status_code == 400 and answer.json["data"]["parameter"] == "extra"
    assert api.post("/api/v1/creds/set_user_secrets", {"key": "k", "value": "v"}, anonymous=True).status_code == 401
    answer = api.post("/api/v1/creds/set_user_secrets", {"key": "big", "value": "v" * (48 * 1024 + 1024)}, user="alice")
    assert not answer.json["success"] and "too large" in answer.json["message"]
    assert api.post("/api/v1/creds/set_user_secrets", {"key": "fits", "value": "v" * 48 * 1024}, user="bob").json[
        "success"
    ]
    db.execute("DELETE FROM doma_panda.secrets WHERE owner = 'bob'")
    assert db.execute("SELECT owner, data FROM doma_panda.secrets").fetchall() == before
    # a server without a secrets key says what to configure; one with another key cannot decrypt
    bare = in_process_api(database_url, api_home)
    try:
        answer = bare.post("/api/v1/creds/set_user_secrets", {"key": "k2", "value": "v"}, user="alice")
        assert not answer.json["success"] and "PANDADB_SECRETS_KEY" in answer.json["message"]
    finally:
        bare.database.close()
    other = in_process_api(database_url, api_home, secrets_keys=(Fernet.generate_key().decode(),))
    try:
        answer = other.get("/api/v1/creds/get_user_secrets", user="alice")
        assert not answer.json["success"] and "cannot be decrypted" in answer.json["message"]
    finally:
        other.database.close()
    # key rotation: the new key first, the old one still decrypts
    rotated = in_process_api(database_url, api_home, secrets_keys=(Fernet.generate_key().decode(), KEY))
    try:
        assert secrets_of(rotated, "alice") == {"k": "v"}
    finally:
        rotated.database.close()
    assert db.execute("SELECT owner, data FROM doma_panda.secrets").fetchall() == before


def test_key_pair_proxy_and_access_token_need_the_permission_and_the_store(creds_api, db):
    api, stores = creds_api
    (stores["keys"] / "pub").write_text("PUBLIC")
    (stores["keys"] / "priv").write_text("PRIVATE")
    (stores["proxies"] / "alice").write_text("PROXY-ALICE")
    (stores["proxies"] / "alice.production").write_text("PROXY-ALICE-PROD")
    (stores["tokens"] / "harvester").write_text("ACCESS-TOKEN\n")
    pair = {"public_key_name": "pub", "private_key_name": "priv"}
    answer = api.get("/api/v1/creds/get_key_pair", pair, user="alice")
    assert answer.status_code == 403 and "gridpref" in answer.json["message"]
    assert api.get("/api/v1/creds/get_proxy", user="alice").status_code == 403
    grant(db, "alice", "pk")
    assert api.get("/api/v1/creds/get_key_pair", pair, user="alice").json["data"] == {
        "public_key": "PUBLIC",
        "private_key": "PRIVATE",
    }
    answer = api.get("/api/v1/creds/get_key_pair", {**pair, "private_key_name": "missing"}, user="alice")
    assert not answer.json["success"] and "missing" in answer.json["message"]
    answer = api.get("/api/v1/creds/get_key_pair", {**pair, "public_key_name": "../etc/passwd"}, user="alice")
    assert answer.status_code == 400 and answer.json["data"]["parameter"] == "public_key_name"
    assert api.get("/api/v1/creds/get_proxy", user="alice").json["data"] == {"user_proxy": "PROXY-ALICE"}
    assert api.get("/api/v1/creds/get_proxy", {"role": "production"}, user="alice").json["data"] == {
        "user_proxy": "PROXY-ALICE-PROD"
    }
    answer = api.get("/api/v1/creds/get_proxy", {"dn": "/DC=ch/CN=nobody"}, user="alice")
    assert not answer.json["success"] and "not found" in answer.json["message"]
    answer = api.get("/api/v1/creds/get_access_token", {"client_name": "harvester"}, user="alice")
    assert answer.json["data"] == {"user_proxy": "ACCESS-TOKEN"}
    # a client with token keys wants one of them
    db.execute(
        "INSERT INTO doma_pandameta.proxykey (id, dn, credname, expires, origin, myproxy) VALUES "
        "(nextval('doma_pandameta.proxykey_id_seq'), 'harvester', 'key-1', now() + interval '1 day', 'o', 'm')"
    )
    answer = api.get("/api/v1/creds/get_access_token", {"client_name": "harvester"}, user="alice")
    assert answer.status_code == 403 and "token_key" in answer.json["message"]
    answer = api.get("/api/v1/creds/get_access_token", {"client_name": "harvester", "token_key": "key-1"}, user="alice")
    assert answer.json["data"] == {"user_proxy": "ACCESS-TOKEN"}


def test_token_key_from_the_key_store(creds_api, db):
    api, _ = creds_api
    assert api.get("/api/v1/creds/get_token_key", {"client_name": "harvester"}, user="bob").status_code == 403
    grant(db, "bob", "t")
    answer = api.get("/api/v1/creds/get_token_key", {"client_name": "harvester"}, user="bob")
    assert answer.status_code == 200 and not answer.json["success"] and "missing" in answer.json["message"]
    db.execute(
        "INSERT INTO doma_pandameta.proxykey (id, dn, credname, expires, origin, myproxy) VALUES "
        "(nextval('doma_pandameta.proxykey_id_seq'), 'harvester', 'old', now() + interval '1 hour', 'o', 'm'), "
        "(nextval('doma_pandameta.proxykey_id_seq'), 'harvester', 'new', now() + interval '2 days', 'o', 'm'), "
        "(nextval('doma_pandameta.proxykey_id_seq'), 'harvester', 'expired', now() - interval '1 hour', 'o', 'm')"
    )
    assert api.get("/api/v1/creds/get_token_key", {"client_name": "harvester"}, user="bob").json["data"] == {
        "tokenKey": "new"
    }
    assert api.get("/api/v1/creds/get_token_key", user="bob").status_code == 400


def test_unconfigured_stores_say_what_to_set(api, db):
    grant(db, "alice", "pkt")
    for path, params, setting in (
        ("get_key_pair", {"public_key_name": "a", "private_key_name": "b"}, "PANDADB_KEY_PAIR_DIR"),
        ("get_proxy", None, "PANDADB_PROXY_CACHE_DIR"),
        ("get_access_token", {"client_name": "c"}, "PANDADB_TOKEN_CACHE_DIR"),
    ):
        answer = api.get(f"/api/v1/creds/{path}", params, user="alice")
        assert answer.status_code == 200 and not answer.json["success"] and setting in answer.json["message"]
