"""One pilot: acquire a job, stage a work directory, run the payload, heartbeat, obey, report; repeat.

Statuses reported: starting (work directory made) -> running (payload started, then every
heartbeat) -> finished | failed. A 'tobekilled' command in any answer kills the payload; the
job is then reported failed with the pilot error code for a server kill.

Event-service jobs (eventService 'True' in the job description) run range by range: the pilot
acquires a few event ranges of the job's jobset at a time (event/acquire_event_ranges), runs the
payload once per range with the range in its environment (EVENT_RANGE_ID, FIRST_EVENT, LAST_EVENT,
INPUT_LFN, INPUT_GUID, INPUT_SCOPE), reports each range running then finished or failed
(event/update_event_ranges), heartbeats the job between ranges, and ends the job when no range is
left: finished, or failed when every range it ran failed.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pilot.client import PandaClient, ServerError
from pilot.payload import Payload

log = logging.getLogger("pandapilot")

PILOT_ERROR_KILLED_BY_SERVER = 1144  # PanDA pilot: "job killed by the PanDA server"
PILOT_ERROR_LIFETIME_OVER = 1151  # the pilot stopped the payload itself (lifetime over, SIGTERM)
KILLED = "killed"  # what run_job returns for a job the server killed (reported to it as failed -> cancelled)
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
    event_ranges_per_call: int = 2  # event-service jobs: ranges acquired at a time


def utc_timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


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
                self.options.queue,
                node=self.node,
                resource_type=self.options.resource_type,
                prod_source_label=self.options.prod_source_label,
                memory=self.options.memory,
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
        if str(job.get("eventService")) == "True":
            return self.run_event_service_job(job, deadline)
        panda_id = int(job["PandaID"])
        payload = Payload(job, self.options.work_root)
        self.client.update_job(panda_id, "starting", **self._identity())
        try:
            payload.start()
        except (OSError, ValueError) as error:
            return self._report_final(
                payload,
                "failed",
                pilot_error_code=PILOT_ERROR_PAYLOAD_NOT_STARTED,
                pilot_error_diag=f"payload could not start: {error}",
            )
        log.info("%s: running job %s in %s", self.pilot_id, panda_id, payload.work_dir)
        answer = self.client.update_job(
            panda_id, "running", start_time=utc_timestamp(payload.start_time), **self._identity()
        )
        killed_by_server = self._obey(answer, payload)
        while True:
            exit_code = payload.wait(timeout=self.options.heartbeat_interval)
            if exit_code is not None:
                break
            payload.sample()
            if time.monotonic() > deadline or self.stop.is_set():
                payload.kill()
                continue
            try:
                answer = self.client.update_job(
                    panda_id, "running", **payload.metrics.as_update_fields(), **self._identity()
                )
            except ServerError as error:  # a missed heartbeat is not fatal; the watchdog allows for it
                log.warning("%s: heartbeat of %s failed: %s", self.pilot_id, panda_id, error)
                continue
            killed_by_server = self._obey(answer, payload) or killed_by_server
        if payload.killed and killed_by_server:
            self._report_final(
                payload,
                "failed",
                pilot_error_code=PILOT_ERROR_KILLED_BY_SERVER,
                pilot_error_diag="job killed on request of the PanDA server",
                trans_exit_code=str(exit_code),
            )
            return KILLED  # the server records it cancelled; the pilot's summary says killed, not failed
        if payload.killed:
            return self._report_final(
                payload,
                "failed",
                pilot_error_code=PILOT_ERROR_LIFETIME_OVER,
                pilot_error_diag="payload stopped: the pilot's lifetime ended or it was told to stop",
                trans_exit_code=str(exit_code),
            )
        if exit_code == 0:
            return self._report_final(payload, "finished", trans_exit_code="0", exe_error_code=0)
        return self._report_final(
            payload,
            "failed",
            trans_exit_code=str(exit_code),
            exe_error_code=exit_code,
            exe_error_diag=f"payload exited with code {exit_code}",
        )

    def run_event_service_job(self, job: dict, deadline: float) -> str:
        panda_id = int(job["PandaID"])
        jobset_id = int(job["jobsetID"])
        task_id = int(job["taskID"]) if str(job.get("taskID") or "NULL") not in ("NULL", "None") else None
        started = time.time()
        self.client.update_job(panda_id, "starting", **self._identity())
        answer = self.client.update_job(panda_id, "running", start_time=utc_timestamp(started), **self._identity())
        killed = self._kill_requested(answer)
        finished = failed = cpu_seconds = 0
        last: Payload | None = None
        while not killed and not self.stop.is_set() and time.monotonic() < deadline:
            ranges = self.client.acquire_event_ranges(panda_id, jobset_id, task_id, self.options.event_ranges_per_call)
            if not ranges:
                break
            for event_range in ranges:
                if killed or self.stop.is_set() or time.monotonic() > deadline:
                    # not run: reported failed, so the range goes back to the jobset for another pilot
                    self.client.update_event_ranges(
                        [
                            {
                                "eventRangeID": event_range["eventRangeID"],
                                "eventStatus": "failed",
                                "errorCode": PILOT_ERROR_KILLED_BY_SERVER,
                                "errorDiag": "not processed: the job is ending",
                            }
                        ]
                    )
                    continue
                last, exit_code, killed = self._run_event_range(job, event_range, deadline)
                cpu_seconds += last.metrics.cpu_consumption_time
                report = {
                    "eventRangeID": event_range["eventRangeID"],
                    "coreCount": 1,
                    "cpuConsumptionTime": last.metrics.cpu_consumption_time,
                }
                if exit_code == 0 and not last.killed:
                    finished += 1
                    report["eventStatus"] = "finished"
                else:
                    failed += 1
                    report.update(
                        eventStatus="failed",
                        errorCode=exit_code if exit_code is not None else -1,
                        errorDiag=f"payload of the range exited with {exit_code}",
                    )
                answer = self.client.update_event_ranges([report])
                killed = killed or self._kill_requested({"command": (answer.get("Commands") or {}).get(str(panda_id))})
                answer = self.client.update_job(
                    panda_id, "running", cpu_consumption_time=cpu_seconds, **self._identity()
                )
                killed = killed or self._kill_requested(answer)
        fields = {
            "start_time": utc_timestamp(started),
            "end_time": utc_timestamp(time.time()),
            "cpu_consumption_time": cpu_seconds,
            "pilot_log": last.log_excerpt() if last else "",
            **self._identity(),
        }
        if killed:
            status = "failed"
            fields.update(
                pilot_error_code=PILOT_ERROR_KILLED_BY_SERVER,
                pilot_error_diag="job killed on request of the PanDA server",
            )
        elif failed and not finished:
            status = "failed"
            fields.update(exe_error_code=1, exe_error_diag=f"all {failed} event ranges failed")
        else:
            status = "finished"
            fields.update(trans_exit_code="0", exe_error_code=0)
        self.client.update_job(panda_id, status, **fields)
        log.info(
            "%s: event-service job %s %s: %s ranges finished, %s failed",
            self.pilot_id,
            panda_id,
            status,
            finished,
            failed,
        )
        return KILLED if killed else status

    def _run_event_range(self, job: dict, event_range: dict, deadline: float) -> tuple[Payload, int | None, bool]:
        """Run the payload on one range, heartbeating the job; (payload, exit code, kill requested)."""
        panda_id = int(job["PandaID"])
        env = {
            "EVENT_RANGE_ID": event_range["eventRangeID"],
            "FIRST_EVENT": str(event_range["startEvent"]),
            "LAST_EVENT": str(event_range["lastEvent"]),
            "INPUT_LFN": str(event_range.get("LFN") or ""),
            "INPUT_GUID": str(event_range.get("GUID") or ""),
            "INPUT_SCOPE": str(event_range.get("scope") or ""),
        }
        payload = Payload(job, self.options.work_root, env=env, name=f"range-{event_range['eventRangeID']}")
        self.client.update_event_ranges([{"eventRangeID": event_range["eventRangeID"], "eventStatus": "running"}])
        try:
            payload.start()
        except (OSError, ValueError) as error:
            log.warning(
                "%s: payload of range %s could not start: %s", self.pilot_id, event_range["eventRangeID"], error
            )
            return payload, None, False
        killed = False
        while True:
            exit_code = payload.wait(timeout=self.options.heartbeat_interval)
            if exit_code is not None:
                return payload, exit_code, killed
            payload.sample()
            if time.monotonic() > deadline or self.stop.is_set():
                payload.kill()
                continue
            try:
                answer = self.client.update_job(panda_id, "running", **self._identity())
            except ServerError as error:
                log.warning("%s: heartbeat of %s failed: %s", self.pilot_id, panda_id, error)
                continue
            if self._kill_requested(answer):
                killed = True
                payload.kill()

    @staticmethod
    def _kill_requested(answer: dict) -> bool:
        return str((answer or {}).get("command", "NULL")).lower() in KILL_COMMANDS

    def _obey(self, answer: dict, payload: Payload) -> bool:
        """Kill the payload when the server says so; True when it did."""
        if str(answer.get("command", "NULL")).lower() in KILL_COMMANDS:
            log.info("%s: server asks to kill job %s", self.pilot_id, payload.job["PandaID"])
            payload.kill()
            return True
        return False

    def _report_final(self, payload: Payload, status: str, **fields) -> str:
        payload.sample()
        end_time = payload.end_time or time.time()
        self.client.update_job(
            int(payload.job["PandaID"]),
            status,
            start_time=utc_timestamp(payload.start_time),
            end_time=utc_timestamp(end_time),
            pilot_log=payload.log_excerpt(),
            **payload.metrics.as_update_fields(),
            **self._identity(),
            **fields,
        )
        log.info("%s: job %s %s", self.pilot_id, payload.job["PandaID"], status)
        return status
