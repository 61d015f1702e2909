"""One pilot: acquire a job, stage a work directory, run the payload, heartbeat, obey, report; repeat.

Statuses reported: starting (work directory made) -> running (payload started, then every
heartbeat) -> finished | failed. A 'tobekilled' command in any answer kills the payload; the
job is then reported failed with the pilot error code for a server kill.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pilot.client import PandaClient, ServerError
from pilot.payload import Payload

log = logging.getLogger("pandapilot")

PILOT_ERROR_KILLED_BY_SERVER = 1144  # PanDA pilot: "job killed by the PanDA server"
PILOT_ERROR_PAYLOAD_NOT_STARTED = 1305  # the payload could not be executed
KILL_COMMANDS = {"tobekilled", "softkill"}


@dataclass
class PilotOptions:
    queue: str
    work_root: Path
    lifetime: float = 3600.0
    max_jobs: int = 0  # 0 = no limit
    heartbeat_interval: float = 5.0
    resource_type: str | None = None
    prod_source_label: str | None = None
    memory: int | None = None
    disk_space: int | None = None
    idle_exit: bool = True  # stop when the server has no job for us


def utc_timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class Pilot:
    def __init__(self, client: PandaClient, options: PilotOptions, pilot_id: str, stop: threading.Event):
        self.client = client
        self.options = options
        self.pilot_id = pilot_id
        self.stop = stop
        self.node = socket.gethostname()
        self.jobs_done: list[tuple[int, str]] = []

    def run(self) -> list[tuple[int, str]]:
        deadline = time.monotonic() + self.options.lifetime
        while not self.stop.is_set() and time.monotonic() < deadline:
            if self.options.max_jobs and len(self.jobs_done) >= self.options.max_jobs:
                break
            job = self.client.acquire_job(
                self.options.queue, node=self.node, resource_type=self.options.resource_type,
                prod_source_label=self.options.prod_source_label, memory=self.options.memory,
                disk_space=self.options.disk_space,
            )
            if job is None:
                if self.options.idle_exit:
                    log.info("%s: no job for %s, exiting", self.pilot_id, self.options.queue)
                    break
                self.stop.wait(min(30.0, max(0.0, deadline - time.monotonic())))
                continue
            self.jobs_done.append((int(job["PandaID"]), self.run_job(job, deadline)))
        return self.jobs_done

    def _identity(self) -> dict:
        return {"node": self.node, "pilot_id": self.pilot_id, "site_name": self.options.queue}

    def run_job(self, job: dict, deadline: float) -> str:
        panda_id = int(job["PandaID"])
        payload = Payload(job, self.options.work_root)
        self.client.update_job(panda_id, "starting", **self._identity())
        try:
            payload.start()
        except (OSError, ValueError) as error:
            return self._report_final(payload, "failed", pilot_error_code=PILOT_ERROR_PAYLOAD_NOT_STARTED,
                                      pilot_error_diag=f"payload could not start: {error}")
        log.info("%s: running job %s in %s", self.pilot_id, panda_id, payload.work_dir)
        answer = self.client.update_job(panda_id, "running", start_time=utc_timestamp(payload.start_time), **self._identity())
        self._obey(answer, payload)
        while True:
            exit_code = payload.wait(timeout=self.options.heartbeat_interval)
            if exit_code is not None:
                break
            payload.sample()
            if time.monotonic() > deadline or self.stop.is_set():
                payload.kill()
                continue
            try:
                answer = self.client.update_job(panda_id, "running", **payload.metrics.as_update_fields(), **self._identity())
            except ServerError as error:  # a missed heartbeat is not fatal; the watchdog allows for it
                log.warning("%s: heartbeat of %s failed: %s", self.pilot_id, panda_id, error)
                continue
            self._obey(answer, payload)
        if payload.killed:
            return self._report_final(payload, "failed", pilot_error_code=PILOT_ERROR_KILLED_BY_SERVER,
                                      pilot_error_diag="job killed on request of the PanDA server", trans_exit_code=str(exit_code))
        if exit_code == 0:
            return self._report_final(payload, "finished", trans_exit_code="0", exe_error_code=0)
        return self._report_final(payload, "failed", trans_exit_code=str(exit_code), exe_error_code=exit_code,
                                  exe_error_diag=f"payload exited with code {exit_code}")

    def _obey(self, answer: dict, payload: Payload) -> None:
        if str(answer.get("command", "NULL")).lower() in KILL_COMMANDS:
            log.info("%s: server asks to kill job %s", self.pilot_id, payload.job["PandaID"])
            payload.kill()

    def _report_final(self, payload: Payload, status: str, **fields) -> str:
        payload.sample()
        end_time = payload.end_time or time.time()
        self.client.update_job(
            int(payload.job["PandaID"]), status, start_time=utc_timestamp(payload.start_time),
            end_time=utc_timestamp(end_time), pilot_log=payload.log_excerpt(), **payload.metrics.as_update_fields(),
            **self._identity(), **fields,
        )
        log.info("%s: job %s %s", self.pilot_id, payload.job["PandaID"], status)
        return status
