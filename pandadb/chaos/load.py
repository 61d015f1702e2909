"""The load of a scenario: pilot clients over HTTP."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

import httpx

# ------------------------------------------------------------------------------------------------
# the load: pilot clients over HTTP


class Load:
    """`clients` pilot threads: acquire_jobs -> update_job running -> update_job finished, retrying what fails
    (as pilots do, honouring a short Retry-After), until the queue is drained or `stop()`."""

    def __init__(self, base_url: str, headers: dict[str, str], queue: str, clients: int, jobs_per_acquire: int = 1):
        self.base_url = base_url
        self.headers = headers
        self.queue = queue
        self.clients = clients
        self.jobs_per_acquire = jobs_per_acquire
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.requests = 0
        self.succeeded = 0
        self.failures: Counter = Counter()
        self.latencies: list[float] = []
        self.slowest_failure = 0.0
        self.acknowledged: dict[int, str] = {}
        self.received_by: dict[int, int] = {}
        self.duplicates: set[int] = set()
        self.fault_time: float | None = None
        self.first_success_after_fault: float | None = None
        self.threads = [threading.Thread(target=self._pilot, args=(index,), daemon=True) for index in range(clients)]
        self.started = 0.0

    def start(self) -> None:
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()

    def mark_fault(self) -> float:
        with self.lock:
            self.fault_time = time.monotonic()
            self.first_success_after_fault = None
        return self.fault_time

    def running(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def stop(self, timeout: float = 30) -> None:
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.1, deadline - time.monotonic()))

    def wait(self, until: float) -> None:
        """Wait until every client is done (queue drained) or the monotonic time `until`."""
        for thread in self.threads:
            thread.join(max(0.0, until - time.monotonic()))

    # -- one request -------------------------------------------------------------------------------
    def _post(self, client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The envelope of a 200 answer, or None after counting the failure (and pausing a little)."""
        kind = None
        retry_after = 0.0
        sent = time.monotonic()
        try:
            response = client.post(path, json=body)
            if response.status_code == 200:
                answer = response.json()
            else:
                kind = f"HTTP {response.status_code}"
                retry_after = float(response.headers.get("Retry-After") or 0)
        except httpx.ConnectError:
            kind = "connection refused"
        except httpx.TimeoutException:
            kind = "timeout"
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            kind = "connection lost"
        except httpx.TransportError as error:
            kind = type(error).__name__
        except ValueError:
            kind = "bad JSON"
        refused = kind is None and not answer.get("success")
        latency = time.monotonic() - sent
        if kind is not None and kind.startswith("HTTP"):
            kind += f" ({path.rsplit('/', 1)[-1]})"
        with self.lock:
            self.requests += 1
            self.latencies.append(latency)
            if kind is not None:
                self.slowest_failure = max(self.slowest_failure, latency)
            if refused:
                self.failures["200 refused (success false)"] += 1
            elif kind is None:
                self.succeeded += 1
                if self.fault_time is not None and self.first_success_after_fault is None and sent > self.fault_time:
                    self.first_success_after_fault = time.monotonic()
            else:
                self.failures[kind] += 1
        if kind is not None:
            # a pilot waits before it tries again: Retry-After (capped, this is a test) or a short backoff
            time.sleep(min(retry_after, 0.5) if retry_after else random.uniform(0.05, 0.2))
            return None
        return answer

    def _until_answered(self, client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        while not self.stopping.is_set():
            answer = self._post(client, path, body)
            if answer is not None:
                return answer
        return None

    # -- the pilot loop ----------------------------------------------------------------------------
    def _pilot(self, index: int) -> None:
        node = f"chaos-{self.queue.lower()}-{index}"
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=httpx.Timeout(10, connect=2)) as client:
            while not self.stopping.is_set():
                answer = self._until_answered(
                    client,
                    "/api/v1/pilot/acquire_jobs",
                    {"site_name": self.queue, "n_jobs": self.jobs_per_acquire, "node": node},
                )
                if answer is None:
                    return
                if not answer.get("success"):
                    time.sleep(0.1)
                    continue
                jobs = (answer.get("data") or {}).get("jobs") or []
                if not jobs:
                    return  # the queue is drained
                with self.lock:
                    for job in jobs:
                        pandaid = int(job["PandaID"])
                        owner = self.received_by.setdefault(pandaid, index)
                        if owner != index:
                            self.duplicates.add(pandaid)
                for job in jobs:
                    self._run_job(client, int(job["PandaID"]), node)

    def _run_job(self, client: httpx.Client, pandaid: int, node: str) -> None:
        for status in ("running", "finished"):
            answer = self._until_answered(
                client, "/api/v1/pilot/update_job", {"job_id": pandaid, "job_status": status, "node": node}
            )
            if answer is None:
                return
            if not answer.get("success"):
                # e.g. a repeated report whose first answer was lost: the job already moved on; not acknowledged
                if status == "running":
                    continue
                return
            if status == "finished":
                with self.lock:
                    self.acknowledged[pandaid] = status
