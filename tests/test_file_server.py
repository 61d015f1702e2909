"""API module file_server and GET /cache/<file>: uploads streamed to the file store under size limits with
their checksums recorded, path tricks refused with 4xx, logs, HPO checkpoints, the users' requests, and
expiry by the scheduled job (rows at once, bytes by the next upload of the host)."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import pytest

from pandadb.scheduler import read_registry_file

from api_helpers import in_process_api

HOST = "files.example.org"


@pytest.fixture
def files(database_url, api_home, tmp_path):
    service = in_process_api(
        database_url,
        api_home,
        file_store_root=tmp_path / "store-root",
        file_store_host=HOST,
        max_upload_bytes=4096,
        max_cache_file_bytes=1024,
    )
    service.captured.attach()
    yield service
    service.captured.detach()
    service.database.close()


def upload(api, function: str, name: str, content: bytes, user: str = "alice", groups=("production",)):
    with api.http_client() as client:
        return client.post(
            f"/api/v1/file_server/{function}",
            files={"file": (name, content, "application/octet-stream")},
            headers=api.headers(user=user, groups=groups),
        )


def stored_bytes(root: Path) -> list[bytes]:
    return sorted(p.read_bytes() for p in (root / "store").glob("*")) if (root / "store").exists() else []


def rows(db, table="doma_panda.pandadb_file_store"):
    return db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()


def test_upload_and_download_a_cache_file_with_its_checksum_recorded(files, db, tmp_path):
    content = gzip.compress(b"print('hello')\n" * 20)
    answer = upload(files, "upload_cache_file", "sources.abc.tar.gz", content)
    assert answer.status_code == 200 and answer.json()["success"], answer.text
    assert answer.json()["data"]["checksum"] == f"ad:{zlib.adler32(content):08x}"
    row = db.execute(
        "SELECT owner, vo, file_size, checksum, area, expiretime > now() FROM doma_panda.pandadb_file_store "
        "WHERE hostname = %s AND file_path = 'sources.abc.tar.gz'",
        (HOST,),
    ).fetchone()
    assert row == ("alice", "atlas", len(content), f"ad:{zlib.adler32(content):08x}", "cache", True)
    crc = struct.unpack("II", content[-8:])[0]
    assert db.execute("SELECT username, filesize, checksum FROM doma_pandameta.usercacheusage").fetchall() == [
        ("alice", len(content), str(crc))
    ]
    with files.http_client() as client:
        got = client.get("/cache/sources.abc.tar.gz")  # public, as upstream's cache directory
    assert got.status_code == 200 and got.content == content
    # a second upload under the same name is refused and the first kept; .__ow__ names are overwritten
    again = upload(files, "upload_cache_file", "sources.abc.tar.gz", b"other")
    assert not again.json()["success"] and "overwrite" in again.json()["message"]
    assert stored_bytes(tmp_path / "store-root") == [content]
    # validate_cache_file finds it for its owner (what putFile(reuseSandbox=True) asks), not for others
    body = {"file_size": len(content), "checksum": crc}
    answer = files.post("/api/v1/file_server/validate_cache_file", body)
    assert answer.json()["success"] if callable(answer.json) else answer.json["success"]
    assert answer.json["message"] == f"FOUND:{HOST}:sources.abc.tar.gz"
    answer = files.post("/api/v1/file_server/validate_cache_file", body, user="bob")
    assert not answer.json["success"] and answer.json["message"].startswith("NOT FOUND")
    # touch restarts the lifetime; delete keeps the file (upstream: reused for re-brokerage)
    db.execute("UPDATE doma_panda.pandadb_file_store SET expiretime = now() + interval '1 minute'")
    assert files.post("/api/v1/file_server/touch_cache_file", {"file_name": "sources.abc.tar.gz"}).json["success"]
    assert db.execute("SELECT expiretime > now() + interval '1 day' FROM doma_panda.pandadb_file_store").fetchone()[0]
    answer = files.post("/api/v1/file_server/touch_cache_file", {"file_name": "nothing.here"})
    assert not answer.json["success"] and "file_name" in answer.json["message"]
    assert files.post("/api/v1/file_server/delete_cache_file", {"file_name": "sources.abc.tar.gz"}).json["success"]
    assert len(rows(db)) == 1


def test_size_limits_and_path_tricks_are_refused_with_4xx_and_nothing_kept(files, db, tmp_path):
    root = tmp_path / "store-root"
    assert upload(files, "upload_cache_file", "big.txt", b"x" * 1025).status_code == 413  # other files: 1024
    assert upload(files, "upload_cache_file", "sources.big.tgz", b"x" * 4097).status_code == 413  # sandboxes: 4096
    assert upload(files, "upload_cache_file", "sources.ok.tgz", b"x" * 4096).status_code == 200
    for name in ("..", ".hidden", "a\\b", "", "dir/", "/tmp/.."):
        answer = upload(files, "upload_cache_file", name, b"data")
        assert answer.status_code == 400, (name, answer.text)
    with files.http_client() as client:
        headers = files.headers()
        assert (
            client.post("/api/v1/file_server/upload_cache_file", json={"file": "x"}, headers=headers).status_code == 400
        )
        answer = client.post("/api/v1/file_server/upload_cache_file", files={"other": ("a.txt", b"1")}, headers=headers)
        assert answer.status_code == 400
        answer = client.post(
            "/api/v1/file_server/upload_cache_file",
            data={"file": "text, not a file"},
            files={"x": ("a", b"")},
            headers=headers,
        )
        assert answer.status_code == 400 and answer.json()["data"]["parameter"] in ("file", "x")
        for path in ("/cache/..%2F..%2Fetc%2Fpasswd", "/cache/.hidden", "/cache/a%00b"):
            assert client.get(path).status_code == 400, path
        assert client.get("/cache/not.there").status_code == 404
        assert client.post("/api/v1/file_server/upload_cache_file", files={"file": ("a.txt", b"1")}).status_code == 401
    assert [r[1] for r in rows(db)] == ["sources.ok.tgz"]
    assert stored_bytes(root) == [b"x" * 4096]  # nothing of the refused uploads stays on disk
    # a path names the file by its last component, as in PanDA (putFile sends the local path it is given)
    for name, stored in (("../escape.txt", "escape.txt"), ("/etc/passwd", "passwd"), ("dir/file.txt", "file.txt")):
        answer = upload(files, "upload_cache_file", name, b"data")
        assert answer.status_code == 200 and answer.json()["data"]["file_name"] == stored, (name, answer.text)
    assert sorted(r[1] for r in rows(db)) == ["escape.txt", "file.txt", "passwd", "sources.ok.tgz"]
    assert stored_bytes(root) == [b"data"] * 3 + [b"x" * 4096]  # all inside the store


def test_jedi_logs_upload_update_and_download_at_an_offset(files, db):
    assert upload(files, "upload_jedi_log", "task.log", b"log", groups=()).status_code == 403  # production role
    answer = upload(files, "upload_jedi_log", "123.log", b"first version")
    assert answer.json()["data"].endswith("/cache/jedilog/123.log")
    upload(files, "upload_jedi_log", "123.log", b"second version")  # overwritten
    with files.http_client() as client:
        assert client.get("/cache/jedilog/123.log").content == b"second version"
    for part in (b"line one\n", b"line two\n"):
        answer = upload(files, "update_jedi_log", "tid123.out", zlib.compress(part))
        assert answer.status_code == 200 and answer.json()["success"], answer.text
    answer = files.get("/api/v1/file_server/download_jedi_log", {"log_name": "tid123.out", "offset": 5})
    assert answer.json["data"] == "one\nline two\n"
    assert upload(files, "update_jedi_log", "tid123.out", b"not zlib").status_code == 400
    assert files.get("/api/v1/file_server/download_jedi_log", {"log_name": "../x", "offset": 0}).status_code == 400
    answer = files.get("/api/v1/file_server/download_jedi_log", {"log_name": "none.out"})
    assert answer.status_code == 200 and not answer.json["success"]


def test_hpo_checkpoints(files, db):
    answer = upload(files, "upload_hpo_checkpoint", "42_7", b"checkpoint")
    assert answer.json()["success"] and answer.json()["data"].endswith("/cache/hpo_cp_42_7")
    assert upload(files, "upload_hpo_checkpoint", "noids", b"c").status_code == 400
    assert files.post("/api/v1/file_server/delete_hpo_checkpoint", {"task_id": "42", "sub_id": "7"}).json["success"]
    answer = files.post("/api/v1/file_server/delete_hpo_checkpoint", {"task_id": "42", "sub_id": "7"})
    assert not answer.json["success"] and rows(db) == []
    assert rows(db, "doma_panda.pandadb_file_removals")[0][2] == "hpo_cp_42_7"


def test_register_cache_file_needs_the_production_role(files, db):
    body = {"user_name": "carol", "file_name": "sources.c.tgz", "file_size": 10, "checksum": "123"}
    assert files.post("/api/v1/file_server/register_cache_file", body, groups=()).status_code == 403
    assert files.post("/api/v1/file_server/register_cache_file", {**body, "file_size": "ten"}).status_code == 400
    assert files.post("/api/v1/file_server/register_cache_file", body).json["success"]
    assert db.execute(
        "SELECT username, filename, hostname, checksum FROM doma_pandameta.usercacheusage"
    ).fetchall() == [("carol", "sources.c.tgz", HOST, "123")]


def test_requests_for_the_task_engine(files, db):
    answer = files.post("/api/v1/file_server/upload_file_recovery_request", {"task_id": 1234, "dry_run": True})
    assert answer.json["success"] and answer.json["message"].startswith("The request was accepted")
    url = answer.json["data"]["logFileURL"]
    with files.http_client() as client:
        assert client.get(url.split("://testserver", 1)[-1]).status_code == 200  # the (empty) log is there
    answer = files.post("/api/v1/file_server/upload_file_recovery_request", {"dry_run": False})
    assert not answer.json["success"] and "task_id or dataset" in answer.json["message"]
    answer = files.post(
        "/api/v1/file_server/upload_workflow_request", {"data": "{not json", "dry_run": False, "sync": False}
    )
    assert answer.status_code == 400 and answer.json["data"]["parameter"] == "data"
    assert files.post("/api/v1/file_server/upload_workflow_request", {"data": '{"a": 1}', "dry_run": True}).json[
        "success"
    ]
    assert files.post("/api/v1/file_server/upload_workflow_request", {"data": '{"a": 1}'}).json["success"]
    answer = files.post(
        "/api/v1/file_server/upload_event_picking_request",
        {"run_event_list": "100 1\n100 2", "dataset_name": "data.x", "include_guids": True},
    )
    assert answer.json["success"]
    requests = db.execute(
        "SELECT request_type, owner, parameters FROM doma_panda.pandadb_user_requests ORDER BY request_id"
    ).fetchall()
    assert [r[0] for r in requests] == ["file_recovery", "workflow", "event_picking"]
    assert requests[0][2] == {"task_id": 1234, "dry_run": True} and requests[1][2]["data"] == {"a": 1}
    assert requests[2][2]["run_event_list"] == "100 1\n100 2" and requests[2][1] == "alice"


def test_the_scheduled_expiry_removes_rows_at_once_and_bytes_with_the_next_upload(files, db, tmp_path):
    root = tmp_path / "store-root"
    for name in ("old.txt", "young.txt"):
        upload(files, "upload_cache_file", name, name.encode())
    db.execute(
        "UPDATE doma_panda.pandadb_file_store SET expiretime = now() - interval '1 minute' WHERE file_path = 'old.txt'"
    )
    [command] = [job["command"] for job in read_registry_file() if job["name"] == "expire_file_store"]
    assert db.execute(command).fetchone()[0] == 1  # the registry's command, as pg_cron runs it
    assert [r[1] for r in rows(db)] == ["young.txt"]
    assert db.execute("SELECT filename FROM doma_pandameta.usercacheusage").fetchall() == [("young.txt",)]
    with files.http_client() as client:
        assert client.get("/cache/old.txt").status_code == 404
    upload(files, "upload_cache_file", "next.txt", b"next")  # each upload first removes what the database expired
    assert stored_bytes(root) == [b"next", b"young.txt"]
    assert rows(db, "doma_panda.pandadb_file_removals") == []
