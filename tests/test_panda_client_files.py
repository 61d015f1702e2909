"""panda-client 2.2.0 from PyPI, unchanged, against one real server over HTTPS with an OIDC token of the
local issuer: set_user_secret / get_user_secrets, putFile / getFile (and putFile's sandbox reuse),
send_file_recovery_request; each returns what seed 001 promises.

The client finds the server by PANDA_URL_SSL and PANDACACHE_URL (read when pandaclient.Client is imported;
PANDA_BEHIND_REAL_LB keeps it from replacing 127.0.0.1 by a reverse-DNS name) and authenticates with
PANDA_AUTH=oidc, PANDA_AUTH_VO and the ID token in PANDA_AUTH_ID_TOKEN (it sends Authorization: Bearer and
Origin: <vo>); PANDA_VERIFY_HOST=off accepts the development certificate.
"""

from __future__ import annotations

import gzip

import pytest
from cryptography.fernet import Fernet
from panda_client_helpers import panda_client

from http_helpers import running_server


@pytest.fixture
def client(database_url, tmp_path):
    """pandaclient.Client for a real HTTPS server on this test's database, as user alice of VO atlas."""
    env = {
        "PANDADB_SECRETS_KEY": Fernet.generate_key().decode(),
        "PANDADB_FILE_STORE_HOST": "127.0.0.1",
        "PANDADB_FILE_STORE": str(tmp_path / "filestore"),
    }
    with (
        running_server(database_url, tmp_path / "home", tls=True, insecure=False, env=env) as server,
        panda_client(server.base_url, server.token(user="alice", vo="atlas"), tmp_path / "panda-config") as module,
    ):
        yield module, server


def test_secrets_files_and_file_recovery_with_the_real_client(client, tmp_path, monkeypatch):
    Client, server = client
    # user secrets: (0, (True, message)) then (0, (True, {name: value}))
    assert Client.set_user_secret("rucio_token", "s3cr3t") == (0, (True, "OK"))
    assert Client.set_user_secret("other", "x") == (0, (True, "OK"))
    assert Client.get_user_secrets() == (0, (True, {"rucio_token": "s3cr3t", "other": "x"}))
    assert Client.set_user_secret("other", None)[1][0] is True
    assert Client.get_user_secrets() == (0, (True, {"rucio_token": "s3cr3t"}))
    status, (success, message) = Client.set_user_secret("bad key/..", "x")
    assert status == 0 and success is False and "key" in message

    # putFile / getFile: a sandbox as pathena/prun upload it (a gzip file, from the working directory)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    content = gzip.compress(b"#!/bin/sh\necho hello\n" * 100)
    (work / "sources.client-test.tar.gz").write_bytes(content)
    assert Client.putFile("sources.client-test.tar.gz") == (0, "True")
    # the same sandbox again: the server finds it (validate_cache_file) and the client reuses it
    assert Client.putFile("sources.client-test.tar.gz", reuseSandbox=True) == (
        0,
        "NewFileName:sources.client-test.tar.gz",
    )
    assert Client.getFile("sources.client-test.tar.gz", output_path=str(tmp_path / "copy.tar.gz")) == (0, True)
    assert (tmp_path / "copy.tar.gz").read_bytes() == content
    # uploadGzippedFile (prun/pathena --goodRunListXML) puts a file by its absolute path: stored by its base name
    (work / "pre_abc.dat.gz").write_bytes(gzip.compress(b"<xml/>"))
    assert Client.putFile(str(work / "pre_abc.dat.gz"), useCacheSrv=True) == (0, "True")
    assert Client.getFile("pre_abc.dat.gz", output_path=str(tmp_path / "pre.gz")) == (0, True)
    assert gzip.decompress((tmp_path / "pre.gz").read_bytes()) == b"<xml/>"
    status, output = Client.getFile("no-such-file.tar.gz", output_path=str(tmp_path / "missing"))
    assert status == 404 and not (tmp_path / "missing").exists()

    # a file recovery request: (0, (True, data)) with the URL of the request's log
    status, (success, data) = Client.send_file_recovery_request(1234, dry_run=True)
    assert status == 0 and success is True and data["logFileURL"].startswith(server.base_url + "/cache/")
    with server.client() as http:
        assert http.get(data["logFileURL"].removeprefix(server.base_url)).status_code == 200
    status, (success, message) = Client.send_file_recovery_request(None)
    assert status == 0 and success is False and "task_id or dataset" in message
    assert "s3cr3t" not in server.log() and "Traceback" not in server.log()
