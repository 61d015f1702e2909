"""`pandapilot`: run one or several pilots against a PanDA server."""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from pilot.client import PandaClient, ServerError
from pilot.pilot import KILLED, Pilot, PilotOptions


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", required=True, help="server base URL, e.g. https://127.0.0.1:25443")
@click.option("--queue", required=True, help="the PanDA queue (site_name) to take jobs from")
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False), help="file holding an OIDC bearer token")
@click.option("--vo", default=None, help="the VO sent as Origin (default: PANDA_AUTH_VO or none)")
@click.option("--pilots", default=1, show_default=True, help="concurrent pilots (threads), for load")
@click.option("--lifetime", default=3600.0, show_default=True, help="seconds a pilot keeps taking jobs")
@click.option("--max-jobs", default=0, show_default=True, help="jobs per pilot (0: until none come or lifetime ends)")
@click.option("--heartbeat", "heartbeat_interval", default=5.0, show_default=True, help="seconds between heartbeats")
@click.option("--workdir", type=click.Path(file_okay=False), help="where job work directories go (default: a temp dir)")
@click.option("--resource-type", default=None, help="resource type of this slot (SCORE, MCORE, ...)")
@click.option("--prod-source-label", default=None, help="only jobs with this prodSourceLabel (managed, user, test ...)")
@click.option("--memory", type=int, default=None, help="memory of the slot in MB")
@click.option("--disk-space", type=int, default=None, help="disk of the slot in MB")
@click.option("--wait-for-jobs", is_flag=True, help="keep polling when no job comes, until the lifetime ends")
@click.option("--no-verify-tls", is_flag=True, help="accept the server's self-signed development certificate")
@click.option("-v", "--verbose", is_flag=True)
def main(
    url,
    queue,
    token_file,
    vo,
    pilots,
    lifetime,
    max_jobs,
    heartbeat_interval,
    workdir,
    resource_type,
    prod_source_label,
    memory,
    disk_space,
    wait_for_jobs,
    no_verify_tls,
    verbose,
) -> None:
    """Acquire jobs from QUEUE, run them, heartbeat with measured metrics, obey kill commands, report."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter(
            f"{url!r} is not a server URL: give http://host:port or https://host:port", param_hint="--url"
        )
    token = Path(token_file).read_text().strip() if token_file else os.environ.get("PANDA_AUTH_TOKEN")
    vo = vo or os.environ.get("PANDA_AUTH_VO")
    work_root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="pandapilot-"))
    options = PilotOptions(
        queue=queue,
        work_root=work_root,
        lifetime=lifetime,
        max_jobs=max_jobs,
        heartbeat_interval=heartbeat_interval,
        resource_type=resource_type,
        prod_source_label=prod_source_label,
        memory=memory,
        disk_space=disk_space,
        idle_exit=not wait_for_jobs,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def one_pilot(index: int) -> list[tuple[int, str]]:
        client = PandaClient(url, token=token, vo=vo, verify_tls=not no_verify_tls)
        try:
            return Pilot(client, options, f"pilot-{uuid.uuid4().hex[:8]}-{index}", stop).run()
        finally:
            client.close()

    try:
        with ThreadPoolExecutor(max_workers=pilots) as pool:
            results = [job for jobs in pool.map(one_pilot, range(pilots)) for job in jobs]
    except ServerError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    counts = {kind: sum(1 for _, status in results if status == kind) for kind in ("finished", "failed", KILLED)}
    click.echo(
        f"{len(results)} jobs run by {pilots} pilot(s): {counts['finished']} finished, {counts['failed']} failed, "
        f"{counts[KILLED]} killed by the server"
    )
    for panda_id, status in results:
        click.echo(f"  {panda_id} {status}")


if __name__ == "__main__":
    main()
