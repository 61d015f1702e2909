"""panda-client 2.2.0 from PyPI, unchanged, against the real server over HTTPS with an OIDC token of the local
issuer, and real pilots: hello, get_cert_attributes, submitJobs (JobSpec objects with files) -> the jobs run ->
getJobStatus / getFullJobStatus show them finished with their files, killJobs, setDebugMode; each returns
what seed 001 promises.

The client finds the server by PANDA_URL / PANDA_URL_SSL (read when pandaclient.Client is imported) and
authenticates with PANDA_AUTH=oidc, PANDA_AUTH_VO: with no token in the environment it runs its OIDC
login (openidc_utils), which first reads the cached ID token PANDA_CONFIG_ROOT/.token, and otherwise the
server's auth configuration /auth/<vo>_auth_config.json.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from panda_client_helpers import panda_client
from psycopg.types.json import Jsonb

from http_helpers import running_server

PANDAPILOT = str(Path(sys.executable).parent / "pandapilot")
QUEUE = "CLIENT_QUEUE"


@pytest.fixture(scope="module")
def server(module_database_url, services_home):
    with psycopg.connect(module_database_url, autocommit=True) as conn:
        conn.execute("SELECT doma_pandameta.register_cloud('WLCG', 'test cloud', 'online', 'atlas')")
        conn.execute("SELECT doma_panda.register_site('CLIENT_SITE')")
        conn.execute("SELECT doma_panda.register_panda_queue(%s, 'CLIENT_SITE', %s)", (QUEUE, Jsonb({"cloud": "WLCG"})))
    with running_server(module_database_url, services_home, tls=True, insecure=False) as running:
        yield running


@pytest.fixture(scope="module")
def client(server, tmp_path_factory):
    """pandaclient.Client configured for the server, with a production token of user alice (VO atlas) cached
    where its OIDC login looks for it."""
    config_root = tmp_path_factory.mktemp("panda-config")
    token = server.token(user="alice", vo="atlas", groups=("production",))
    (config_root / ".token").write_text(json.dumps({"id_token": token}))
    with panda_client(server.base_url, None, config_root) as module:
        yield module


def job_spec(name: str, command: str, label: str = "managed"):
    from pandaclient.FileSpec import FileSpec
    from pandaclient.JobSpec import JobSpec

    job = JobSpec()
    job.jobDefinitionID = 7
    job.jobName = name
    job.transformation = "/bin/sh"
    job.jobParameters = f"-c '{command}'"
    job.computingSite = QUEUE
    job.prodSourceLabel = label
    job.assignedPriority = 1000
    job.currentPriority = 1000
    job.jobsetID = 99
    job.coreCount = 1
    for lfn, kind in ((f"{name}.in", "input"), (f"{name}.out", "output"), (f"{name}.log.tgz", "log")):
        spec = FileSpec()
        spec.lfn = lfn
        spec.type = kind
        spec.dataset = f"user.alice.{kind}"
        spec.scope = "user.alice"
        if kind == "input":
            spec.GUID = f"guid-{name}"
            spec.fsize = 1234
            spec.checksum = "ad:0000abcd"
        job.addFile(spec)
    return job


def run_pilot(server, tmp_path: Path) -> str:
    token_file = tmp_path / "pilot-token"
    token_file.write_text(server.token(user="pilot-atlas", vo="atlas", groups=("pilot",)))
    result = subprocess.run(
        [
            PANDAPILOT,
            "--url",
            server.base_url,
            "--queue",
            QUEUE,
            "--token-file",
            str(token_file),
            "--vo",
            "atlas",
            "--no-verify-tls",
            "--heartbeat",
            "0.5",
            "--workdir",
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_hello_and_cert_attributes(client):
    assert client.hello() == (0, "")
    status, attributes = client.get_cert_attributes()
    # a dictionary of attributes: the GRST_CRED_* of an X.509 proxy, none with a token
    assert status == 0 and attributes == {}


def test_the_auth_configuration_the_oidc_login_reads(client, server, tmp_path):
    from pandaclient import openidc_utils

    oidc = openidc_utils.OpenIdConnect_Utils(f"{server.base_url}/auth/atlas_auth_config.json", token_dir=str(tmp_path))
    ok, config = oidc.fetch_page(f"{server.base_url}/auth/atlas_auth_config.json")
    assert ok, config
    assert config["vo"] == "atlas"
    assert {"audience", "client_id", "client_secret", "oidc_config_url"} <= set(config)
    assert config["audience"] == "pandadb"
    assert not oidc.fetch_page(f"{server.base_url}/auth/../etc_auth_config.json")[0]


def test_submit_run_and_read_back_jobs(client, server, tmp_path):
    managed = job_spec("client.managed", "echo managed > client.managed.out")
    analysis = job_spec("client.user", "echo user", label="user")
    status, answer = client.submitJobs([managed, analysis])
    assert status == 0, answer
    (managed_id, managed_definition, managed_name), (user_id, user_definition, user_jobset) = answer
    assert managed_id > 0 and user_id > managed_id
    assert (managed_definition, managed_name) == (7, "client.managed")
    assert (user_definition, user_jobset) == (7, {"jobsetID": 99})

    with psycopg.connect(server.database_url) as conn:
        rows = conn.execute(
            "SELECT pandaid, jobstatus, vo, cloud, produsername, creationhost FROM doma_panda.jobsactive4 "
            "WHERE pandaid = ANY(%s) ORDER BY pandaid",
            ([managed_id, user_id],),
        ).fetchall()
    assert [row[1:5] for row in rows] == [("activated", "atlas", "WLCG", "alice")] * 2  # no data to stage: activated
    assert all(row[5] for row in rows)  # submitJobs sets creationHost

    output = run_pilot(server, tmp_path)
    assert "2 jobs run by 1 pilot(s): 2 finished" in output, output

    status, jobs = client.getJobStatus([managed_id, user_id, 987654321])
    assert status == 0
    assert [type(job).__name__ for job in jobs[:2]] == ["JobSpec", "JobSpec"] and jobs[2] is None
    managed_job = jobs[0]
    assert (managed_job.PandaID, managed_job.jobStatus, managed_job.jobName) == (
        managed_id,
        "finished",
        "client.managed",
    )
    assert (managed_job.computingSite, managed_job.VO, managed_job.cloud, managed_job.prodUserName) == (
        QUEUE,
        "atlas",
        "WLCG",
        "alice",
    )
    assert managed_job.jobParameters == "-c 'echo managed > client.managed.out'"
    assert isinstance(managed_job.creationTime, datetime.datetime) and isinstance(
        managed_job.endTime, datetime.datetime
    )
    assert [(f.lfn, f.type) for f in managed_job.Files] == [
        ("client.managed.in", "input"),
        ("client.managed.out", "output"),
        ("client.managed.log.tgz", "log"),
    ]
    assert all(f.PandaID == managed_id for f in managed_job.Files)  # FileSpec takes its PandaID from its job
    input_file = managed_job.Files[0]
    assert (input_file.GUID, input_file.fsize, input_file.checksum, input_file.status) == (
        "guid-client.managed",
        1234,
        "ad:0000abcd",
        "ready",
    )

    status, full = client.getFullJobStatus([user_id])
    assert status == 0 and full[0].jobStatus == "finished" and full[0].prodSourceLabel == "user"
    assert [f.lfn for f in full[0].Files] == ["client.user.in", "client.user.out", "client.user.log.tgz"]


def test_kill_and_debug_mode(client, server):
    status, answer = client.submitJobs([job_spec("client.to_kill", "sleep 100")])
    assert status == 0
    [(pandaid, _, _)] = answer
    status, message = client.setDebugMode(pandaid, True, False)
    assert status == 0 and message is not None
    with psycopg.connect(server.database_url) as conn:
        assert conn.execute(
            "SELECT specialhandling FROM doma_panda.jobsactive4 WHERE pandaid = %s", (pandaid,)
        ).fetchone() == ("dm",)
    status, responses = client.killJobs([pandaid])
    assert status == 0 and len(responses) == 1 and responses[0]["killed"] is True
    status, [job] = client.getJobStatus([pandaid])
    assert status == 0 and job.jobStatus == "cancelled"
