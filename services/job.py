"""API v1 module `job` (seed 000): submit, inspect, kill and steer jobs.

Each function is one stored-function call (procedures/postgres/jobs.sql, job_commands.sql); who may kill which
job, which transitions are legal, what a job spec may contain: all decided there.
"""

from __future__ import annotations

import shlex

from services.auth import AuthError
from services.database import bigint_ids
from services.spec import ARRAY, BOOLEAN, INTEGER, OBJECT, STRING, Call, Param, Reply, endpoint

TIMEOUT = Param("timeout", INTEGER, "The timeout value in seconds (accepted for compatibility)", default=60)
JOB_IDS = Param("job_ids", ARRAY, "List of PanDA job IDs (a JSON array; in a query string also repeated or "
                                  "comma-separated)", required=True, items=INTEGER)
PRODUCTION_SOURCE_LABELS = {"managed"}


@endpoint("job", "GET", "Gets the status for a job and command to the pilot if any.", [JOB_IDS, TIMEOUT])
def get_status(call: Call):
    return call.database.call("get_job_status", p_pandaids=bigint_ids(call.params["job_ids"]))


@endpoint("job", "GET", "Gets the description of a job from the main/active schema: job attributes, job parameters "
                        "and related file attributes.", [JOB_IDS, TIMEOUT])
def get_description(call: Call):
    return call.database.call("get_description", p_pandaids=bigint_ids(call.params["job_ids"]), p_include_archive=False)


@endpoint("job", "GET", "Gets the description of a job, also looking into the secondary/archive schema.",
          [JOB_IDS, TIMEOUT])
def get_description_incl_archive(call: Call):
    return call.database.call("get_description", p_pandaids=bigint_ids(call.params["job_ids"]), p_include_archive=True)


@endpoint("job", "GET", "Gets the execution script for a job: the transformation with its job parameters, "
                        "to rerun it by hand.", [Param("job_id", INTEGER, "PanDA job ID", required=True), TIMEOUT])
def get_execution_script(call: Call):
    job_id = call.params["job_id"]
    descriptions = call.database.call("get_description", p_pandaids=bigint_ids([job_id]), p_include_archive=True) or [None]
    description = descriptions[0]
    if not description:
        return Reply(False, f"job {job_id} was not found", None)
    fields = {key.lower(): value for key, value in description.items()}
    transformation = fields.get("transformation") or ""
    parameters = fields.get("jobparameters") or ""
    inputs = [f.get("lfn") for f in fields.get("files") or [] if isinstance(f, dict) and f.get("type") == "input"]
    lines = ["#!/bin/bash", f"# PanDA job {job_id}: {fields.get('jobname') or ''}".rstrip(),
             f"# input files: {' '.join(filter(None, inputs)) or 'none'}", "set -e"]
    if transformation.startswith(("http://", "https://")):
        script_name = transformation.rsplit("/", 1)[-1] or "transformation"
        lines += [f"curl -fsSL -o {shlex.quote(script_name)} {shlex.quote(transformation)}",
                  f"chmod +x {shlex.quote(script_name)}", f"./{shlex.quote(script_name)} {parameters}"]
    else:
        lines.append(f"{transformation} {parameters}".strip())
    return {"script": "\n".join(lines) + "\n"}


@endpoint("job", "POST", "Kills the jobs with the given PanDA IDs: your own jobs, or any job with the production role.", [
    Param("job_ids", ARRAY, "List of PanDA job IDs", required=True, items=INTEGER),
    Param("code", INTEGER, "The kill code (2 expire, 3 aborted, 7 retry by server, 8 rebrokerage, 9 force kill, "
                           "91 kill user jobs with prod role, ...); 9 when omitted"),
])
def kill(call: Call):
    arguments = {"p_pandaids": bigint_ids(call.params["job_ids"]), "p_requester": call.identity.user,
                 "p_is_production": call.identity.is_production}
    if call.params["code"] is not None:
        arguments["p_kill_code"] = call.params["code"]
    return call.database.call("kill_jobs", **arguments)


@endpoint("job", "POST", "Reassigns a list of jobs.", [
    Param("job_ids", ARRAY, "List of PanDA job IDs", required=True, items=INTEGER),
])
def reassign(call: Call):
    return call.database.call("reassign_jobs", p_pandaids=bigint_ids(call.params["job_ids"]))


@endpoint("job", "POST", "Sets a command to the pilot for a job.", [
    Param("job_id", INTEGER, "PanDA job ID", required=True),
    Param("command", STRING, "The command for the pilot, e.g. tobekilled", required=True),
], production=True)
def set_command(call: Call):
    return call.database.call("set_command", p_pandaid=call.params["job_id"], p_command=call.params["command"])


@endpoint("job", "POST", "Sets the debug mode for a job.", [
    Param("job_id", INTEGER, "PanDA job ID", required=True),
    Param("mode", BOOLEAN, "True to set debug mode, False to unset it", required=True),
], production=True)
def set_debug_mode(call: Call):
    return call.database.call("set_debug_mode", p_pandaid=call.params["job_id"], p_mode=call.params["mode"])


@endpoint("job", "POST", "Submits jobs: a list of job specs (job-table column names, jobParameters, files); "
                         "returns their PandaIDs.", [
    Param("jobs", ARRAY, "List of job specs (or a JSON string holding it)", required=True, items=OBJECT),
])
def submit(call: Call):
    jobs = call.params["jobs"]
    if not jobs:
        return Reply(False, "No jobs were submitted", None)
    if not call.identity.is_production:
        for spec in jobs:
            label = next((value for key, value in spec.items() if key.lower() == "prodsourcelabel"), None)
            if label in PRODUCTION_SOURCE_LABELS:
                raise AuthError(403, f"submitting prodSourceLabel={label} jobs requires the production role "
                                     f"(a token group {call.identity.vo}/production)")
    return call.database.call("submit_jobs", p_job_specs=jobs, p_submitter=call.identity.user)
