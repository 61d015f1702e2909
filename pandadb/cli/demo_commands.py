"""`pandadb demo`: the whole system once, end to end, on the database PANDADB_URL / the embedded cluster.

Registers a demo cloud, site and queue; starts the API server; submits jobs through the API;
runs real pilots that acquire, run, heartbeat and report them; then shows the outcome from the
job tables and the monitor's status summary. Then a task: submitted through task/submit, refined,
fed, its scout jobs and then its avalanche generated and brokered to the demo queue, run by the
pilots, finalised; its path through tasks_statuslog is shown. Re-runnable: registrations are upserts,
jobs and tasks are new.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import httpx
import psycopg
from psycopg.types.json import Jsonb

from pandadb.db import resolve_database_url
from pandadb.migrations.runner import migrate_to_head
from pandadb.settings import load_settings
from pandadb.tokens import issue_token

DEMO_VO = "wlcg"
DEMO_CLOUD = "DEMO"
DEMO_SITE = "DEMO_SITE"
DEMO_QUEUE = "DEMO_QUEUE"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _register(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT doma_pandameta.register_cloud(%s, 'pandadb demo', 'online', %s)", (DEMO_CLOUD, DEMO_VO))
        conn.execute("SELECT doma_panda.register_site(%s, 'demo', 2)", (DEMO_SITE,))
        conn.execute(
            "SELECT doma_panda.register_panda_queue(%s, %s, %s)",
            (DEMO_QUEUE, DEMO_SITE, Jsonb({"cloud": DEMO_CLOUD, "status": "online", "corecount": 1})),
        )


def _start_server(url: str, home: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PANDADB_URL": url, "PANDADB_HOME": str(home)}
    server = subprocess.Popen(
        [
            str(BIN / "pandadb"),
            "serve",
            "--insecure",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "4",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise click.ClickException(
                f"the API server exited with {server.returncode}: try 'pandadb serve --insecure' to see why"
            )
        try:
            if httpx.get(f"{base}/server/panda/isAlive", timeout=1).text == "alive=yes":
                return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise click.ClickException("the API server did not answer within 40 s")


def _job_specs(n_jobs: int) -> list[dict]:
    """Short shell payloads; every fifth one fails, to show failures being reported too."""
    specs = []
    for i in range(n_jobs):
        command = f"echo demo job {i}; sleep 0.5; exit {1 if i % 5 == 4 else 0}"
        specs.append(
            {
                "jobName": f"pandadb.demo.{int(time.time())}.{i}",
                "computingSite": DEMO_QUEUE,
                "prodSourceLabel": "managed",
                "jobStatus": "activated",
                "transformation": "/bin/sh",
                "jobParameters": f"-c '{command}'",
                "cloud": DEMO_CLOUD,
                "vo": DEMO_VO,
            }
        )
    return specs


def _task_steps(url: str) -> None:
    """One round of the task steps, as the scheduled jobs run them."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT doma_panda.refine_tasks(100)")
        conn.execute("SELECT doma_panda.feed_contents(100, 0)")
        conn.execute("CALL doma_panda.run_task_progress()")
        conn.execute("CALL doma_panda.run_job_generator()")


def _run_pilots(base: str, token_file: Path, pilots: int, workdir: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(BIN / "pandapilot"),
            "--url",
            base,
            "--queue",
            DEMO_QUEUE,
            "--token-file",
            str(token_file),
            "--vo",
            DEMO_VO,
            "--pilots",
            str(pilots),
            "--heartbeat",
            "1",
            "--workdir",
            workdir,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _demo_task(url: str, base: str, home: Path, token_file: Path, pilots: int, workdir: str, n_events: int) -> int:
    """Submit a noInput task through the API and drive it to its end; returns its jediTaskID."""
    user = {"Authorization": f"Bearer {issue_token('demo-user', DEMO_VO, [], home=home)}", "Origin": DEMO_VO}
    params = {
        "taskName": f"user.demo.task.{int(time.time() * 1000)}",
        "vo": DEMO_VO,
        "prodSourceLabel": "user",
        "transPath": "/bin/sh",
        "noInput": True,
        "nEvents": n_events,
        "nEventsPerJob": 1,
        "nScoutJobs": 2,
        "jobParameters": [{"type": "constant", "value": "-c 'echo demo event ${SKIPEVENTS}; sleep 0.2'"}],
        "log": {
            "type": "template",
            "param_type": "log",
            "dataset": "user.demo.log/",
            "value": "user.demo.$JEDITASKID.${SN}.log.tgz",
        },
    }
    envelope = httpx.post(
        f"{base}/api/v1/task/submit", json={"task_parameters": params}, headers=user, timeout=60
    ).json()
    if not envelope.get("success"):
        raise click.ClickException(f"task/submit refused: {envelope.get('message')}")
    task = envelope["data"]
    click.echo(f"8. submitted task {task} through /api/v1/task/submit ({n_events} events, 1 per job, 2 scouts)")
    for _ in range(3):  # refine + contents + scouts; the avalanche; the end
        _task_steps(url)
        pilot = _run_pilots(base, token_file, pilots, workdir)
        if pilot.returncode != 0:
            raise click.ClickException(f"the pilots failed: {pilot.stderr.strip()[-500:]}")
    _task_steps(url)
    return task


def _show_task(url: str, task: int) -> None:
    with psycopg.connect(url) as conn:
        path = [
            r[0]
            for r in conn.execute(
                "SELECT status FROM doma_panda.tasks_statuslog WHERE jeditaskid = %s ORDER BY modificationtime", (task,)
            ).fetchall()
        ]
        jobs = conn.execute(
            "SELECT CASE WHEN specialhandling = 'sj' THEN 'scout' ELSE 'avalanche' END, jobstatus, count(*) "
            "FROM doma_panda.jobsarchived4 WHERE jeditaskid = %s GROUP BY 1, 2 ORDER BY 1 DESC, 2",
            (task,),
        ).fetchall()
        [(status, dialog)] = conn.execute(
            "SELECT status, errordialog FROM doma_panda.jedi_tasks WHERE jeditaskid = %s", (task,)
        ).fetchall()
    click.echo(f"9. task {task} in tasks_statuslog: {' -> '.join(path)}")
    click.echo("   its jobs: " + ", ".join(f"{n} {kind} {job_status}" for kind, job_status, n in jobs))
    click.echo(f"   task {task} is {status}: {dialog}")


@click.command("demo")
@click.option("--jobs", "n_jobs", default=20, show_default=True, help="jobs to submit")
@click.option("--pilots", default=4, show_default=True, help="concurrent pilots")
@click.option("--task-events", default=6, show_default=True, help="events (one job each) of the demo task; 0: no task")
def demo(n_jobs: int, pilots: int, task_events: int) -> None:
    """Register a demo queue, serve the API, submit jobs, run pilots, show the outcome."""
    settings = load_settings()
    url = resolve_database_url(start_embedded=True)
    click.echo(f"1. database {url}: migrating to head")
    migrate_to_head(url)
    click.echo(f"2. registering cloud {DEMO_CLOUD}, site {DEMO_SITE}, queue {DEMO_QUEUE}")
    _register(url)
    settings.home.mkdir(parents=True, exist_ok=True)
    server, base = _start_server(url, settings.home)
    try:
        click.echo(f"3. API server on {base}")
        production = {
            "Authorization": f"Bearer {issue_token('demo-prodsys', DEMO_VO, ['production'], home=settings.home)}",
            "Origin": DEMO_VO,
        }
        envelope = httpx.post(
            f"{base}/api/v1/job/submit", json={"jobs": _job_specs(n_jobs)}, headers=production, timeout=60
        ).json()
        if not envelope.get("success"):
            raise click.ClickException(f"job/submit refused: {envelope.get('message')}")
        pandaids = [job["PandaID"] for job in envelope["data"]]
        click.echo(
            f"4. submitted {len(pandaids)} jobs through /api/v1/job/submit: PandaIDs {pandaids[0]}..{pandaids[-1]}"
        )
        with tempfile.TemporaryDirectory(prefix="pandadb-demo-") as workdir:
            token_file = Path(workdir) / "token"
            token_file.write_text(issue_token("demo-pilot", DEMO_VO, ["pilot"], home=settings.home))
            click.echo(f"5. running {pilots} pilots on {DEMO_QUEUE} ...")
            pilot = _run_pilots(base, token_file, pilots, workdir)
            if pilot.returncode != 0:
                raise click.ClickException(f"the pilots failed: {pilot.stderr.strip()[-500:]}")
            click.echo("   " + pilot.stdout.splitlines()[0])
            summary = httpx.get(
                f"{base}/status_summary/", params={"computingsite": DEMO_QUEUE, "nhours": 1}, timeout=60
            ).json()
            task = (
                _demo_task(url, base, settings.home, token_file, pilots, workdir, task_events)
                if task_events > 0
                else None
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    with psycopg.connect(url) as conn:
        outcome = conn.execute(
            "SELECT jobstatus, count(*) FROM doma_panda.jobsarchived4 WHERE pandaid = ANY(%s) GROUP BY 1 ORDER BY 1",
            (pandaids,),
        ).fetchall()
    click.echo("6. outcome in doma_panda.jobsarchived4: " + ", ".join(f"{n} {status}" for status, n in outcome))
    rows = [{k: v for k, v in row.items() if v} for row in summary.get("data", [])]
    click.echo(f"7. GET /status_summary/?computingsite={DEMO_QUEUE}&nhours=1: {json.dumps(rows)}")
    if task is not None:
        _show_task(url, task)


commands = [demo]
