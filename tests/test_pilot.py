"""The real pilot against the real server and stored logic: run, heartbeat with metrics, report, obey kill."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

PANDAPILOT = str(Path(sys.executable).parent / "pandapilot")


@pytest.fixture
def queue(module_database_url, request):
    name = "PILOT_" + request.node.name.upper().replace("TEST_", "")[:40]
    with psycopg.connect(module_database_url, autocommit=True) as conn:
        conn.execute("SELECT doma_panda.register_site('PILOT_SITE')")
        conn.execute("SELECT doma_panda.register_panda_queue(%s, 'PILOT_SITE', %s)", (name, Jsonb({})))
    return name


@pytest.fixture
def token_file(api_server, tmp_path):
    path = tmp_path / "token"
    path.write_text(api_server.token(user="pilot-atlas", vo="atlas", groups=("pilot",)))
    return path


def submit(api_server, queue: str, *jobs: tuple[str, str]) -> list[int]:
    """Submit activated jobs (name, shell command) through the API; returns their PandaIDs."""
    specs = [
        {
            "jobName": name,
            "computingSite": queue,
            "prodSourceLabel": "managed",
            "jobStatus": "activated",
            "transformation": "/bin/sh",
            "jobParameters": f"-c '{command}'",
        }
        for name, command in jobs
    ]
    with api_server.client(headers=api_server.headers(user="prodsys", groups=("production",))) as client:
        envelope = client.post("/api/v1/job/submit", json={"jobs": specs}).json()
    assert envelope["success"], envelope
    return [job["PandaID"] for job in envelope["data"]]


def pilot_command(api_server, queue: str, token_file: Path, workdir: Path, *extra: str) -> list[str]:
    return [
        PANDAPILOT,
        "--url",
        api_server.base_url,
        "--queue",
        queue,
        "--token-file",
        str(token_file),
        "--vo",
        "atlas",
        "--heartbeat",
        "0.5",
        "--workdir",
        str(workdir),
        *extra,
    ]


def archived(database_url: str, pandaid: int) -> dict | None:
    with psycopg.connect(database_url) as conn:
        conn.row_factory = psycopg.rows.dict_row
        return conn.execute("SELECT * FROM doma_panda.jobsarchived4 WHERE pandaid = %s", (pandaid,)).fetchone()


def test_pilot_runs_jobs_reports_metrics_and_exit_codes(api_server, queue, token_file, tmp_path):
    ok_id, failing_id = submit(
        api_server,
        queue,
        ("pilot.ok", "echo hello from payload; python3 -c \"x = bytearray(50_000_000); import time; time.sleep(2)\""),
        ("pilot.fails", "echo about to fail >&2; exit 3"),
    )
    result = subprocess.run(
        pilot_command(api_server, queue, token_file, tmp_path), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "2 jobs run by 1 pilot(s): 1 finished, 1 failed, 0 killed by the server" in result.stdout

    ok = archived(api_server.database_url, ok_id)
    assert ok["jobstatus"] == "finished"
    assert ok["transexitcode"] == "0"
    assert ok["maxrss"] and ok["maxrss"] > 40_000, "the heartbeat's measured RSS (kB) of a 50 MB payload"
    assert ok["starttime"] is not None and ok["endtime"] >= ok["starttime"]
    assert ok["modificationhost"] or ok["pilotid"]
    assert (tmp_path / f"PanDA_Pilot-{ok_id}" / "payload.stdout").read_text().strip() == "hello from payload"

    failed = archived(api_server.database_url, failing_id)
    assert failed["jobstatus"] == "failed"
    assert failed["exeerrorcode"] == 3 and failed["transexitcode"] == "3"

    with psycopg.connect(api_server.database_url) as conn:
        transitions = [
            row[0]
            for row in conn.execute(
                "SELECT jobstatus FROM doma_panda.jobs_statuslog WHERE pandaid = %s ORDER BY modificationtime, jobstatus",
                (ok_id,),
            )
        ]
    assert {"sent", "starting", "running", "finished"} <= set(transitions)


def test_pilot_obeys_a_kill_from_the_server(api_server, queue, token_file, tmp_path):
    (pandaid,) = submit(api_server, queue, ("pilot.long", "sleep 120"))
    pilot = subprocess.Popen(
        pilot_command(api_server, queue, token_file, tmp_path, "--max-jobs", "1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with psycopg.connect(api_server.database_url) as conn:
                row = conn.execute(
                    "SELECT jobstatus FROM doma_panda.jobsactive4 WHERE pandaid = %s", (pandaid,)
                ).fetchone()
            if row and row[0] == "running":
                break
            time.sleep(0.2)
        else:
            pytest.fail("the pilot never reported the job running")
        with api_server.client(headers=api_server.headers(user="prodsys", groups=("production",))) as client:
            killed = client.post("/api/v1/job/kill", json={"job_ids": [pandaid]}).json()
        assert killed["success"], killed
        out, err = pilot.communicate(timeout=60)
    finally:
        if pilot.poll() is None:
            pilot.kill()
    assert pilot.returncode == 0, err
    assert "1 jobs run by 1 pilot(s): 0 finished, 0 failed, 1 killed by the server" in out
    assert f"{pandaid} killed" in out
    job = archived(api_server.database_url, pandaid)
    assert job is not None and job["jobstatus"] in ("failed", "cancelled")
    assert job["piloterrorcode"] == 1144
    assert job["endtime"] - job["starttime"] < timedelta(seconds=60), "killed long before the payload would end"


def test_concurrent_pilots_run_each_job_exactly_once(api_server, queue, token_file, tmp_path):
    ids = submit(api_server, queue, *[(f"pilot.many.{i}", f"echo {i}") for i in range(8)])
    result = subprocess.run(
        pilot_command(api_server, queue, token_file, tmp_path, "--pilots", "4"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    reported = [int(line.split()[0]) for line in result.stdout.splitlines()[1:] if line.strip()]
    assert sorted(reported) == sorted(ids), "each job run once, by exactly one pilot"
    for pandaid in ids:
        assert archived(api_server.database_url, pandaid)["jobstatus"] == "finished"


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("127.0.0.1:9", "is not a server URL"),
        ("http://127.0.0.1:9", "cannot reach http://127.0.0.1:9"),
    ],
)
def test_pilot_errors_are_one_line_saying_what_to_do(url, fragment, token_file, tmp_path):
    result = subprocess.run(
        [PANDAPILOT, "--url", url, "--queue", "Q", "--token-file", str(token_file), "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert fragment in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_pilot_without_no_verify_tls_names_the_option(secure_api_server, queue, token_file, tmp_path):
    result = subprocess.run(
        [
            PANDAPILOT,
            "--url",
            secure_api_server.base_url,
            "--queue",
            queue,
            "--token-file",
            str(token_file),
            "--vo",
            "atlas",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--no-verify-tls" in lines[0], result.stderr


def test_pilot_for_an_unregistered_queue_says_so(api_server, token_file, tmp_path):
    result = subprocess.run(
        pilot_command(api_server, "NO_SUCH_QUEUE", token_file, tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "NO_SUCH_QUEUE is not registered" in result.stderr and "Traceback" not in result.stderr
