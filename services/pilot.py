"""API v1 module `pilot` (seed 000): what pilots and harvester call to get and report jobs.

Each function is one stored-function call (procedures/postgres/dispatch.sql, jobs.sql,
workers.sql); the rules live there. Here: parameter declarations, role-dependent inputs and
the shape of the answer.
"""

from __future__ import annotations

from services.database import bigint_ids
from services.spec import (
    ARRAY,
    BOOLEAN,
    DATETIME,
    INT16_MAX,
    INT32_MAX,
    INT64_MAX,
    INTEGER,
    NUMBER,
    STRING,
    Call,
    Param,
    Reply,
    endpoint,
    timeout_param,
)

TIMEOUT = timeout_param()

# The parameters of update_job, declared once: also the keys of each element of update_jobs_bulk's job_list.
UPDATE_JOB_PARAMS = (
    Param("job_id", INTEGER, "PanDA job ID", required=True),
    Param(
        "job_status",
        STRING,
        "Job status (running, starting, transferring, holding, finished, failed); omitted for a pure heartbeat",
    ),
    Param("job_sub_status", STRING, "Job sub status"),
    Param("start_time", STRING, "Job start time in format %Y-%m-%d %H:%M:%S", format=DATETIME),
    Param("end_time", STRING, "Job end time in format %Y-%m-%d %H:%M:%S", format=DATETIME),
    Param("pilot_timing", STRING, "String with pilot timings"),
    Param("site_name", STRING, "PanDA queue name"),
    Param("node", STRING, "Identifier for worker node/slot"),
    Param("scheduler_id", STRING, "Scheduler ID, such as harvester instance"),
    Param("pilot_id", STRING, "Pilot ID"),
    Param("batch_id", STRING, "Batch ID"),
    Param("trans_exit_code", STRING, "Transformation exit code"),
    Param("pilot_error_code", STRING, "Pilot error code"),
    Param("pilot_error_diag", STRING, "Pilot error message"),
    Param("exe_error_code", INTEGER, "Execution error code", minimum=-INT32_MAX, maximum=INT32_MAX),
    Param("exe_error_diag", STRING, "Execution error message"),
    Param("n_events", INTEGER, "Number of events", minimum=0),
    Param("n_input_files", INTEGER, "Number of input files", minimum=0, maximum=INT32_MAX),
    Param("attempt_nr", INTEGER, "Job attempt number", minimum=0, maximum=INT16_MAX),
    Param("cpu_consumption_time", INTEGER, "CPU consumption time", minimum=0),
    Param("cpu_consumption_unit", STRING, "CPU consumption unit"),
    Param("cpu_conversion_factor", NUMBER, "CPU conversion factor", minimum=0, maximum=99999.9999),
    Param("core_count", INTEGER, "Number of cores of the job", minimum=0, maximum=INT32_MAX),
    Param("mean_core_count", NUMBER, "Mean core count", minimum=0, maximum=999999.99),
    Param("max_rss", NUMBER, "Measured max RSS memory", minimum=0, maximum=INT64_MAX),
    Param("max_vmem", NUMBER, "Measured max virtual memory", minimum=0, maximum=INT64_MAX),
    Param("max_swap", NUMBER, "Measured max swap memory", minimum=0, maximum=INT64_MAX),
    Param("max_pss", NUMBER, "Measured max PSS memory", minimum=0, maximum=INT64_MAX),
    Param("avg_rss", NUMBER, "Measured average RSS", minimum=0, maximum=INT64_MAX),
    Param("avg_vmem", NUMBER, "Measured average virtual memory", minimum=0, maximum=INT64_MAX),
    Param("avg_swap", NUMBER, "Measured average swap memory", minimum=0, maximum=INT64_MAX),
    Param("avg_pss", NUMBER, "Measured average PSS", minimum=0, maximum=INT64_MAX),
    Param("tot_rchar", NUMBER, "Measured total read characters", minimum=0, maximum=INT64_MAX),
    Param("tot_wchar", NUMBER, "Measured total written characters", minimum=0, maximum=INT64_MAX),
    Param("tot_rbytes", NUMBER, "Measured total read bytes", minimum=0, maximum=INT64_MAX),
    Param("tot_wbytes", NUMBER, "Measured total written bytes", minimum=0, maximum=INT64_MAX),
    Param("rate_rchar", NUMBER, "Measured rate for read characters", minimum=0, maximum=INT64_MAX),
    Param("rate_wchar", NUMBER, "Measured rate for written characters", minimum=0, maximum=INT64_MAX),
    Param("rate_rbytes", NUMBER, "Measured rate for read bytes", minimum=0, maximum=INT64_MAX),
    Param("rate_wbytes", NUMBER, "Measured rate for written bytes", minimum=0, maximum=INT64_MAX),
    Param("corrupted_files", STRING, "List of corrupted files in comma separated format"),
    Param("cpu_architecture_level", STRING, "CPU architecture level (e.g. x86-64-v3)"),
    Param("job_metrics", STRING, "Job metrics"),
    Param("job_output_report", STRING, "Job output report"),
    Param("pilot_log", STRING, "Pilot log excerpt"),
    Param("meta_data", STRING, "Job metadata"),
    Param("stdout", STRING, "Standard output"),
    TIMEOUT,
)

NO_JOB_STATUS_CODE = 20  # PanDA protocol: SC_NoJobs


@endpoint(
    "pilot",
    "POST",
    "Acquire jobs for the pilot: the jobs are reserved, their status updated, and returned.",
    [
        Param("site_name", STRING, "The PanDA queue name", required=True),
        TIMEOUT,
        Param("memory", INTEGER, "Memory limit for the job"),
        Param("disk_space", INTEGER, "Disk space limit for the job"),
        Param("prod_source_label", STRING, "prodSourceLabel, e.g. user, managed, unified"),
        Param("node", STRING, "Identifier of the worker node/slot"),
        Param("computing_element", STRING, "Computing element"),
        Param("prod_user_id", STRING, "User ID of the job"),
        Param("get_proxy_key", BOOLEAN, "Flag to request a proxy key"),
        Param("task_id", INTEGER, "JEDI task ID of the job"),
        Param(
            "n_jobs",
            INTEGER,
            "Number of jobs for bulk requests; when given, data is {StatusCode, jobs: [...]}",
            maximum=INT32_MAX,
        ),
        Param("background", BOOLEAN, "Background flag"),
        Param("resource_type", STRING, "Resource type of the job, e.g. SCORE, MCORE"),
        Param("harvester_id", STRING, "Harvester ID, used to update the worker entry"),
        Param("worker_id", INTEGER, "Worker ID, used to update the worker entry"),
        Param("scheduler_id", STRING, "Scheduler, e.g. harvester ID"),
        Param("job_type", STRING, "Job type, e.g. user, unified"),
        Param("via_topic", BOOLEAN, "Topic for message broker"),
        Param("remaining_time", INTEGER, "Remaining walltime in seconds"),
    ],
)
def acquire_jobs(call: Call):
    request = call.given("site_name", "n_jobs", "timeout")
    identity = call.identity
    n_jobs = call.params["n_jobs"]
    # without the production/pilot role a caller may only run their own user jobs: decided by acquire_jobs
    jobs = (
        call.database.call(
            "acquire_jobs",
            p_site_name=call.params["site_name"],
            p_n_jobs=n_jobs if n_jobs is not None else 1,
            p_request=request,
            p_requester=identity.user,
            p_requester_vo=identity.vo,
            p_is_production=identity.is_production,
        )
        or []
    )
    if n_jobs is not None:
        return {"StatusCode": 0, "jobs": jobs}
    if not jobs:
        return Reply(True, "No jobs in PanDA", {"StatusCode": NO_JOB_STATUS_CODE})
    return {**jobs[0], "StatusCode": 0}


@endpoint(
    "pilot",
    "GET",
    "Gets the status for a list of jobs.",
    [
        Param(
            "job_ids",
            ARRAY,
            "list of job IDs (repeat the parameter, or comma-separated, or a JSON array)",
            required=True,
            items=INTEGER,
        ),
        TIMEOUT,
    ],
)
def get_job_status(call: Call):
    return call.database.call(
        "get_job_status", p_pandaids=bigint_ids(call.params["job_ids"]), p_requester_vo=call.identity.vo
    )


@endpoint(
    "pilot",
    "POST",
    "Updates the details for a job, stores the metadata and excerpts from the pilot log.",
    UPDATE_JOB_PARAMS,
    production=True,
)
def update_job(call: Call):
    return call.database.call(
        "update_job",
        p_pandaid=call.params["job_id"],
        p_job_status=call.params["job_status"],
        p_request=call.given("job_id", "job_status", "timeout"),
    )


@endpoint(
    "pilot",
    "POST",
    "Bulk method to update the details for jobs: each element is applied as update_job.",
    [
        Param(
            "job_list",
            ARRAY,
            "list of job dictionaries to update, with the keys of update_job's parameters",
            required=True,
            element=UPDATE_JOB_PARAMS,
        ),
        Param("harvester_id", STRING, "Harvester ID"),
    ],
    production=True,
)
def update_jobs_bulk(call: Call):
    job_list = [{key: value for key, value in job.items() if key != "timeout"} for job in call.params["job_list"]]
    return call.database.call("update_jobs_bulk", p_job_list=job_list)


@endpoint(
    "pilot",
    "POST",
    "Updates the status of a worker with the information seen by the pilot.",
    [
        Param("worker_id", INTEGER, "The worker ID", required=True),
        Param("harvester_id", STRING, "The harvester ID", required=True),
        Param("status", STRING, "The status of the worker: 'started' or 'finished'", required=True),
        TIMEOUT,
        Param("node_id", STRING, "The node ID"),
    ],
    production=True,
)
def update_worker_status(call: Call):
    return call.database.call(
        "update_worker_status",
        p_harvester_id=call.params["harvester_id"],
        p_worker_id=call.params["worker_id"],
        p_status=call.params["status"],
        p_node_id=call.params["node_id"],
    )


@endpoint(
    "pilot",
    "POST",
    "Updates a worker node in the worker node map: adds it, or refreshes its last_seen time.",
    [
        Param("site", STRING, "Site name (not the PanDA queue)", required=True),
        Param("host_name", STRING, "Host name; in the format slot@worker_node the slot is parsed out", required=True),
        Param("cpu_model", STRING, "CPU model, e.g. AMD EPYC 7351", required=True),
        Param("panda_queue", STRING, "PanDA queue the worker node is associated to"),
        Param("n_logical_cpus", INTEGER, "Number of logical CPUs: n_sockets * cores_per_socket * threads_per_core"),
        Param("n_sockets", INTEGER, "Number of sockets"),
        Param("cores_per_socket", INTEGER, "Number of cores per socket"),
        Param("threads_per_core", INTEGER, "Number of threads per core"),
        Param("cpu_architecture", STRING, "CPU architecture, e.g. x86_64"),
        Param("cpu_architecture_level", STRING, "CPU architecture level, e.g. x86-64-v3"),
        Param("clock_speed", NUMBER, "Clock speed in MHz"),
        Param("total_memory", INTEGER, "Total memory in MB"),
        Param("total_local_disk", INTEGER, "Total disk space in GB"),
        TIMEOUT,
    ],
    production=True,
)
def update_worker_node(call: Call):
    return call.database.call("update_worker_node", p_request=call.given("timeout"))
