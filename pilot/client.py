"""The pilot's side of the PanDA REST API v1: one method per call it makes."""

from __future__ import annotations

import json
from typing import Any

import httpx


class ServerError(RuntimeError):
    """The server answered success=false or an HTTP error; the message is the server's."""


def transport_problem(url: str, error: Exception) -> str:
    """What went wrong reaching the server, and what to do about it, in one line."""
    text = str(error) or type(error).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return (
            f"the certificate of {url} is not trusted ({text.split(']')[-1].strip()}): use --no-verify-tls for "
            "the development certificate, or a CA bundle the server's certificate chains to"
        )
    if isinstance(error, httpx.TimeoutException):
        return f"{url} did not answer in time: is the server overloaded or unreachable?"
    return f"cannot reach {url} ({text}): is the server running (pandadb serve / make run) and the URL right?"


class PandaClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        vo: str | None = None,
        verify_tls: bool | str = True,
        timeout: float = 60.0,
    ):
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if vo:
            headers["Origin"] = vo
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, verify=verify_tls, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _post(self, function_path: str, body: dict[str, Any]) -> Any:
        try:
            response = self.http.post(f"/api/v1/{function_path}", json={k: v for k, v in body.items() if v is not None})
        except httpx.HTTPError as error:
            raise ServerError(transport_problem(str(self.http.base_url), error)) from error
        try:
            envelope = response.json()
        except ValueError as error:
            raise ServerError(
                f"{function_path}: HTTP {response.status_code}, not JSON: {response.text[:200]}"
            ) from error
        if response.status_code >= 400 or not envelope.get("success", False):
            raise ServerError(f"{function_path}: HTTP {response.status_code}: {envelope.get('message')}")
        return envelope.get("data")

    def acquire_job(self, site_name: str, **resources: Any) -> dict | None:
        """One job description, or None when the server has no job for us (StatusCode 20)."""
        data = self._post("pilot/acquire_jobs", {"site_name": site_name, **resources})
        if not data or data.get("StatusCode") != 0 or "PandaID" not in data:
            return None
        return data

    def update_job(self, job_id: int, job_status: str | None, **fields: Any) -> dict:
        """Report status/metrics; the answer carries the server's command for us (e.g. 'tobekilled')."""
        return self._post("pilot/update_job", {"job_id": job_id, "job_status": job_status, **fields}) or {}

    def acquire_event_ranges(self, job_id: int, jobset_id: int, task_id: int | None, n_ranges: int) -> list[dict]:
        """Event ranges of the job's jobset for us ([] when none is left or the job should stop)."""
        return (
            self._post(
                "event/acquire_event_ranges",
                {"job_id": job_id, "jobset_id": jobset_id, "task_id": task_id, "n_ranges": n_ranges},
            )
            or []
        )

    def update_event_ranges(self, event_ranges: list[dict]) -> dict:
        """Report ranges (version 0); the answer has Returns (per range) and Commands (per PandaID)."""
        return self._post("event/update_event_ranges", {"event_ranges": json.dumps(event_ranges), "version": 0}) or {}
