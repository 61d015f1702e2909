"""API v1 module `event` (seed 000): what pilots of event-service jobs call to get and report event ranges.

Each function is one stored-function call (procedures/postgres/events.sql); the rules (transitions,
attempts, locking with SKIP LOCKED) live there. The caller's VO is passed so a pilot only touches jobs
of its own VO.
"""

from __future__ import annotations

from services.spec import (
    BOOLEAN,
    INTEGER,
    NUMBER,
    STRING,
    Call,
    Param,
    endpoint,
    json_encoded,
    timeout_param,
)


def _json_list(name: str, value):
    """The JSON-encoded list parameters of this module: a JSON text, or the list itself."""
    return json_encoded(name, value, list, "a JSON-encoded list")


def _vo(call: Call) -> str | None:
    return call.identity.vo if call.identity else None


@endpoint(
    "event",
    "GET",
    "Count of the event ranges of a jobset that can still be acquired.",
    [
        Param("job_id", INTEGER, "PanDA job ID", required=True),
        Param("jobset_id", INTEGER, "Jobset ID", required=True),
        Param("task_id", INTEGER, "JEDI task ID", required=True),
        timeout_param(60),
    ],
    production=True,
)
def get_available_event_range_count(call: Call):
    return call.database.call(
        "get_available_event_range_count",
        p_pandaid=call.params["job_id"],
        p_jobsetid=call.params["jobset_id"],
        p_jeditaskid=call.params["task_id"],
        p_requester_vo=_vo(call),
    )


@endpoint(
    "event",
    "GET",
    "Status of the event ranges of jobs: {job_id: {eventRangeID: {status, error, dialog}}}.",
    [
        Param(
            "job_task_ids",
            STRING,
            'JSON-encoded list of pairs [{"task_id": <task>, "job_id": <job>}, ...]',
            required=True,
        ),
    ],
)
def get_event_range_statuses(call: Call):
    pairs = _json_list("job_task_ids", call.params["job_task_ids"])
    return call.database.call("get_event_range_statuses", p_job_task_ids=pairs, p_requester_vo=_vo(call))


@endpoint(
    "event",
    "POST",
    "Acquires event ranges of the job's jobset for execution: each range is handed to one pilot "
    "only. data: [{eventRangeID, startEvent, lastEvent, LFN, GUID, scope}].",
    [
        Param("job_id", INTEGER, "PanDA job ID", required=True),
        Param("jobset_id", INTEGER, "Jobset ID", required=True),
        Param("task_id", INTEGER, "JEDI task ID"),
        Param("n_ranges", INTEGER, "The number of event ranges to retrieve", default=10),
        timeout_param(60),
        Param("scattered", BOOLEAN, "Spread the ranges over the files instead of consecutive ones"),
        Param("segment_id", INTEGER, "Only ranges of this segment (dataset ID)"),
    ],
    production=True,
)
def acquire_event_ranges(call: Call):
    return call.database.call(
        "acquire_event_ranges",
        p_pandaid=call.params["job_id"],
        p_jobsetid=call.params["jobset_id"],
        p_jeditaskid=call.params["task_id"],
        p_n_ranges=call.params["n_ranges"],
        p_scattered=bool(call.params["scattered"]),
        p_segment_id=call.params["segment_id"],
        p_requester_vo=_vo(call),
    )


@endpoint(
    "event",
    "POST",
    "Updates the status of one event range (running, finished, failed, fatal). "
    "data: {Command: the job's command to the pilot or null}.",
    [
        Param("event_range_id", STRING, "The eventRangeID", required=True),
        Param("event_range_status", STRING, "The new status: running, finished, failed or fatal", required=True),
        Param("core_count", INTEGER, "The number of cores used"),
        Param("cpu_consumption_time", NUMBER, "The CPU consumption time in seconds"),
        Param("object_store_id", INTEGER, "The object store ID"),
        timeout_param(60),
    ],
    production=True,
)
def update_single_event_range(call: Call):
    return call.database.call(
        "update_single_event_range",
        p_event_range_id=call.params["event_range_id"],
        p_event_range_status=call.params["event_range_status"],
        p_core_count=call.params["core_count"],
        p_cpu_consumption_time=call.params["cpu_consumption_time"],
        p_object_store_id=call.params["object_store_id"],
        p_requester_vo=_vo(call),
    )


@endpoint(
    "event",
    "POST",
    "Updates event ranges in bulk. data: {Returns: [true|false per range], Commands: "
    "{PandaID: command}, Errors: {eventRangeID: why refused}}.",
    [
        Param(
            "event_ranges",
            STRING,
            "JSON-encoded list of event ranges: version 0/2 [{eventRangeID, eventStatus, coreCount, "
            "cpuConsumptionTime, objstoreID, errorCode, errorDiag}], version 1 [{zipFile: {lfn, "
            "objstoreID, fsize, adler32}, eventRanges: [...]}]",
            required=True,
        ),
        timeout_param(120),
        Param(
            "version",
            INTEGER,
            "0 normal event service, 1 jumbo jobs with zip files, 2 fine-grained processing (ranges "
            "may be updated before being dispatched)",
            default=0,
        ),
    ],
    production=True,
)
def update_event_ranges(call: Call):
    ranges = _json_list("event_ranges", call.params["event_ranges"])
    return call.database.call(
        "update_event_ranges", p_event_ranges=ranges, p_version=call.params["version"], p_requester_vo=_vo(call)
    )
