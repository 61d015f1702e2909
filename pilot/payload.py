"""Running one job's payload: work directory, the process, its measured metrics."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil


@dataclass
class PayloadMetrics:
    """Peak and total figures of the payload's process tree, in update_job's parameter names and units."""

    cpu_consumption_time: int = 0  # seconds
    max_rss: int = 0  # kB
    max_pss: int = 0  # kB
    max_vmem: int = 0  # kB
    max_swap: int = 0  # kB
    tot_rchar: int = 0
    tot_wchar: int = 0
    tot_rbytes: int = 0
    tot_wbytes: int = 0
    _cpu_seconds_by_pid: dict[int, float] = field(default_factory=dict, repr=False)
    _io_by_pid: dict[int, tuple[int, int, int, int]] = field(default_factory=dict, repr=False)

    def sample(self, root: psutil.Process) -> None:
        try:
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        rss = pss = vms = swap = 0
        for process in processes:
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    self._cpu_seconds_by_pid[process.pid] = (
                        times.user + times.system + times.children_user + times.children_system
                    )
                    memory = process.memory_info()
                    rss += memory.rss
                    vms += memory.vms
                    try:
                        full = process.memory_full_info()
                        pss += getattr(full, "pss", 0)
                        swap += getattr(full, "swap", 0)
                    except psutil.Error:
                        pass
                    try:
                        io = process.io_counters()
                        self._io_by_pid[process.pid] = (io.read_chars, io.write_chars, io.read_bytes, io.write_bytes)
                    except (psutil.Error, AttributeError):
                        pass
            except psutil.Error:
                continue
        self.cpu_consumption_time = int(round(sum(self._cpu_seconds_by_pid.values())))
        self.max_rss = max(self.max_rss, rss // 1024)
        self.max_pss = max(self.max_pss, pss // 1024)
        self.max_vmem = max(self.max_vmem, vms // 1024)
        self.max_swap = max(self.max_swap, swap // 1024)
        totals = [sum(values[i] for values in self._io_by_pid.values()) for i in range(4)]
        self.tot_rchar, self.tot_wchar, self.tot_rbytes, self.tot_wbytes = totals

    def as_update_fields(self) -> dict[str, int]:
        return {name: value for name, value in vars(self).items() if not name.startswith("_")}


def payload_command(job: dict) -> list[str]:
    """transformation + jobPars, as PanDA's job description gives them."""
    transformation = job.get("transformation") or ""
    if not transformation or transformation == "NULL":
        raise ValueError("job has no transformation")
    parameters = job.get("jobPars") or ""
    return [*shlex.split(transformation), *shlex.split(parameters if parameters != "NULL" else "")]


class Payload:
    """One running payload in its own work directory and process group."""

    def __init__(self, job: dict, work_root: Path, env: dict[str, str] | None = None, name: str = "payload"):
        """`env`: extra environment of the process (an event range's, for event-service jobs); `name`: of
        its stdout/stderr files in the job's work directory."""
        self.job = job
        self.extra_env = env or {}
        self.work_dir = work_root / f"PanDA_Pilot-{job['PandaID']}"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = self.work_dir / f"{name}.stdout"
        self.stderr_path = self.work_dir / f"{name}.stderr"
        self.metrics = PayloadMetrics()
        self.process: subprocess.Popen | None = None
        self.killed = False
        self.start_time = time.time()
        self.end_time: float | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "PandaID": str(self.job["PandaID"]),
            "PANDA_JOB_WORKDIR": str(self.work_dir),
            **self.extra_env,
        }
        self.process = subprocess.Popen(
            payload_command(self.job),
            cwd=self.work_dir,
            env=env,
            start_new_session=True,
            stdout=self.stdout_path.open("wb"),
            stderr=self.stderr_path.open("wb"),
        )

    def sample(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                self.metrics.sample(psutil.Process(self.process.pid))
            except psutil.Error:
                pass

    def wait(self, timeout: float) -> int | None:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.end_time = self.end_time or time.time()
        return code

    def kill(self) -> None:
        """Obey 'tobekilled': terminate the whole process group, then kill it."""
        self.killed = True
        if self.process and self.process.poll() is None:
            for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 0)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                if self.wait(grace) is not None:
                    break

    def log_excerpt(self, max_bytes: int = 4000) -> str:
        chunks = []
        for path in (self.stdout_path, self.stderr_path):
            if path.exists():
                data = path.read_bytes()[-max_bytes:]
                chunks.append(f"== {path.name}\n{data.decode(errors='replace')}")
        return "\n".join(chunks)[-max_bytes:]
