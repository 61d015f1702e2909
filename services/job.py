"""API v1 module `job` (seed 000): submit, inspect, kill and steer jobs.

Each function is one stored-function call (procedures/postgres/jobs.sql, job_commands.sql, job_spec.sql,
job_search.sql); who may submit or kill which job, which transitions are legal, what a job spec may contain:
all decided there.
"""

from __future__ import annotations

import shlex

from services.database import bigint_ids
from services.spec import ARRAY, BOOLEAN, INTEGER, OBJECT, STRING, Call, Param, Reply, endpoint, timeout_param

TIMEOUT = timeout_param()
JOB_IDS = Param(
    "job_ids",
    ARRAY,
    "List of PanDA job IDs (a JSON array; in a query string also repeated or comma-separated)",
    required=True,
    items=INTEGER,
)


@endpoint("job", "GET", "Gets the status for a job and command to the pilot if any.", [JOB_IDS, TIMEOUT])
def get_status(call: Call):
    return call.database.call(
        "get_job_status", p_pandaids=bigint_ids(call.params["job_ids"]), p_requester_vo=call.identity.vo
    )


@endpoint(
    "job",
    "GET",
    "Gets the description of a job from the main/active schema: job attributes, job parameters "
    "and related file attributes, as PanDA JobSpec dicts (JobSpec attribute names, 'Files' with "
    "FileSpec names; null for an unknown job). Also as POST, as panda-client's getJobStatus sends it.",
    [JOB_IDS, TIMEOUT],
    also_post=True,
)
def get_description(call: Call):
    return call.database.call("get_job_specs", p_pandaids=bigint_ids(call.params["job_ids"]), p_include_archive=False)


@endpoint(
    "job",
    "GET",
    "Gets the description of a job, also looking into the secondary/archive schema (JobSpec dicts "
    "as get_description). Also as POST, as panda-client's getFullJobStatus sends it.",
    [JOB_IDS, TIMEOUT],
    also_post=True,
)
def get_description_incl_archive(call: Call):
    return call.database.call("get_job_specs", p_pandaids=bigint_ids(call.params["job_ids"]), p_include_archive=True)


@endpoint(
    "job",
    "GET",
    "Gets the metadata of the finished analysis jobs of a task: {PandaID: metadata}.",
    [Param("task_id", INTEGER, "JEDI task ID", required=True)],
)
def get_metadata_for_analysis_jobs(call: Call):
    metadata = call.database.call("get_metadata_for_analysis_jobs", p_task_id=call.params["task_id"])
    if not metadata:
        return Reply(True, "No metadata found", {})
    return metadata


OFFLINE_SCRIPT_PARAMS = [
    Param("job_id", INTEGER, "PanDA job ID", required=True),
    Param("days", INTEGER, "Accepted for compatibility (the archive is always searched)"),
    TIMEOUT,
]


@endpoint(
    "job",
    "GET",
    "Gets the execution script for a job: the transformation with its job parameters, to rerun it by hand.",
    OFFLINE_SCRIPT_PARAMS,
)
def generate_offline_execution_script(call: Call):
    return get_execution_script.handler(call)


@endpoint(
    "job",
    "GET",
    "Gets the execution script for a job (the former name of generate_offline_execution_script).",
    OFFLINE_SCRIPT_PARAMS,
)
def get_execution_script(call: Call):
    job_id = call.params["job_id"]
    descriptions = call.database.call("get_description", p_pandaids=bigint_ids([job_id]), p_include_archive=True) or [
        None
    ]
    description = descriptions[0]
    if not description:
        return Reply(False, f"job {job_id} was not found", None)
    fields = {key.lower(): value for key, value in description.items()}
    transformation = fields.get("transformation") or ""
    parameters = fields.get("jobparameters") or ""
    inputs = [f.get("lfn") for f in fields.get("files") or [] if isinstance(f, dict) and f.get("type") == "input"]
    lines = [
        "#!/bin/bash",
        f"# PanDA job {job_id}: {fields.get('jobname') or ''}".rstrip(),
        f"# input files: {' '.join(filter(None, inputs)) or 'none'}",
        "set -e",
    ]
    if transformation.startswith(("http://", "https://")):
        script_name = transformation.rsplit("/", 1)[-1] or "transformation"
        lines += [
            f"curl -fsSL -o {shlex.quote(script_name)} {shlex.quote(transformation)}",
            f"chmod +x {shlex.quote(script_name)}",
            f"./{shlex.quote(script_name)} {parameters}",
        ]
    else:
        lines.append(f"{transformation} {parameters}".strip())
    return {"script": "\n".join(lines) + "\n"}


@endpoint(
    "job",
    "POST",
    "Kills the jobs with the given PanDA IDs: your own jobs, or any job with the production role.",
    [
        Param("job_ids", ARRAY, "List of PanDA job IDs", required=True, items=INTEGER),
        Param(
            "code",
            INTEGER,
            "The kill code (2 expire, 3 aborted, 7 retry by server, 8 rebrokerage, 9 force kill, "
            "91 kill user jobs with prod role, ...); 9 when omitted",
        ),
    ],
)
def kill(call: Call):
    arguments = {
        "p_pandaids": bigint_ids(call.params["job_ids"]),
        "p_requester": call.identity.user,
        "p_is_production": call.identity.is_production,
        "p_requester_vo": call.identity.vo,
    }
    if call.params["code"] is not None:
        arguments["p_kill_code"] = call.params["code"]
    return call.database.call("kill_jobs", **arguments)


@endpoint(
    "job",
    "POST",
    "Reassigns a list of jobs: your own, or any job of your VO with the production role.",
    [
        Param("job_ids", ARRAY, "List of PanDA job IDs", required=True, items=INTEGER),
    ],
)
def reassign(call: Call):
    return call.database.call(
        "reassign_jobs",
        p_pandaids=bigint_ids(call.params["job_ids"]),
        p_requester=call.identity.user,
        p_requester_vo=call.identity.vo,
        p_is_production=call.identity.is_production,
    )


@endpoint(
    "job",
    "POST",
    "Sets a command to the pilot for a job.",
    [
        Param("job_id", INTEGER, "PanDA job ID", required=True),
        Param("command", STRING, "The command for the pilot, e.g. tobekilled", required=True),
    ],
    production=True,
)
def set_command(call: Call):
    return call.database.call(
        "set_command",
        p_pandaid=call.params["job_id"],
        p_command=call.params["command"],
        p_requester_vo=call.identity.vo,
    )


@endpoint(
    "job",
    "POST",
    "Sets the debug mode for a job.",
    [
        Param("job_id", INTEGER, "PanDA job ID", required=True),
        Param("mode", BOOLEAN, "True to set debug mode, False to unset it", required=True),
    ],
    production=True,
)
def set_debug_mode(call: Call):
    return call.database.call(
        "set_debug_mode", p_pandaid=call.params["job_id"], p_mode=call.params["mode"], p_requester_vo=call.identity.vo
    )


@endpoint(
    "job",
    "POST",
    "Submits jobs: a list of job specs, each a JSON object (job-table column names, "
    "jobParameters, metadata, files) or a serialized JobSpec as panda-client sends it (its "
    "attribute values in order, the file states last); returns their PandaIDs. Jobs without a "
    "status are activated at once when their inputs are ready, else assigned.",
    [
        Param("jobs", ARRAY, "List of job specs (or a JSON string holding it)", required=True, items=(OBJECT, ARRAY)),
    ],
)
def submit(call: Call):
    jobs = call.params["jobs"]
    if not jobs:
        return Reply(False, "No jobs were submitted", None)
    identity = call.identity
    return call.database.call(
        "submit_jobs",
        p_job_specs=jobs,
        p_submitter=identity.user,
        p_is_production=identity.is_production,
        p_vo=identity.vo,
    )


@endpoint(
    "job",
    "POST",
    "Searches jobs (active and archived) with filters, chosen fields, sort and paging; answers "
    "{total, page, per_page, jobs}. You see the jobs of your VO you submitted (all of them with "
    "the production role).",
    [
        Param(
            "search",
            ARRAY,
            "Filters, all must hold: {parameter: job column, operator: eq|neq|gt|ge|lt|le|like|not like|"
            "in|not in|is null|is not null, value: v, or values: [v, ...] for in / not in}",
            items=OBJECT,
        ),
        Param("parameters", ARRAY, "The job columns to return (default: all)", items=STRING),
        Param("sort", ARRAY, "Sort keys: {parameter: job column, direction: asc|desc}; PandaID last", items=OBJECT),
        Param("page", INTEGER, "Page number, from 1", default=1),
        Param("per_page", INTEGER, "Jobs per page (1 to 10000)", default=100),
        Param("include_archive", BOOLEAN, "Also search the archive schema (doma_pandaarch)", default=False),
    ],
)
def search(call: Call):
    identity = call.identity
    query = {name: value for name, value in call.params.items() if value is not None}
    return call.database.call(
        "search_jobs",
        p_query=query,
        p_requester=identity.user,
        p_requester_vo=identity.vo,
        p_is_production=identity.is_production,
    )


@endpoint(
    "job",
    "GET",
    "Gets the status history of a job (jobs_statuslog): its transitions in order, with time, queue and host.",
    [Param("job_id", INTEGER, "PanDA job ID", required=True)],
)
def get_status_history(call: Call):
    identity = call.identity
    return call.database.call(
        "get_job_status_history",
        p_pandaid=call.params["job_id"],
        p_requester=identity.user,
        p_requester_vo=identity.vo,
        p_is_production=identity.is_production,
    )
