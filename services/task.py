"""API v1 module `task` (seed 000): submit a task (panda-client insertTaskParams) and read its status.

Each function is one stored-function call (procedures/postgres/task_submission.sql): what a task may
contain, who may submit which kind of task, duplicates: all decided there. The rest of the module (task
commands, details) follows with the task issue.
"""

from __future__ import annotations

from services.database import bigint_ids, text_array
from services.spec import (
    ARRAY,
    BOOLEAN,
    DATETIME,
    INT32_MAX,
    INTEGER,
    OBJECT,
    STRING,
    Call,
    Param,
    Reply,
    ValidationError,
    endpoint,
)


@endpoint(
    "task",
    "POST",
    "Insert the task parameters to register a task. Requires a secure connection.",
    [
        Param(
            "task_parameters",
            OBJECT,
            "Dictionary with all the required task parameters (the attributes of "
            "JediTaskSpec; a JSON object, or a string holding one)",
            required=True,
        ),
        Param("parent_tid", INTEGER, "Parent task ID"),
    ],
)
def submit(call: Call):
    identity = call.identity
    answer = call.database.call(
        "submit_task",
        p_task_params=call.params["task_parameters"],
        p_requester=identity.user,
        p_requester_vo=identity.vo,
        p_is_production=identity.is_production,
        p_parent_tid=call.params["parent_tid"],
    )
    # PanDA's answer: success with the new jediTaskID as data and "... jediTaskID=N" in the message (what
    # panda-client parses), or failure with the return code (2: duplication in JEDI) as data
    if answer["returnCode"] != 0:
        return Reply(False, answer["message"], answer["returnCode"])
    return Reply(True, answer["message"], answer["jediTaskID"])


@endpoint(
    "task",
    "GET",
    "Gets the status of a task. Requires a secure connection.",
    [
        Param("task_id", INTEGER, "JEDI task ID", required=True),
    ],
)
def get_status(call: Call):
    return call.database.call("get_task_status", p_jeditaskids=bigint_ids([call.params["task_id"]]))


# --- task commands and reads (issue 8): procedures/postgres/task_commands.sql, task_reads.sql ------------------
# Every command is one stored function that decides who may (the task's owner or the production role, as seed
# 000 states per function; never another VO's task) and from which task status (PD004 otherwise, the database
# unchanged). The answer is PanDA's: success with the return code as data (0: request registered) and the
# diagnostic as message; a refusal is success false with the reason (403 for PD005).

TASK_ID = Param("task_id", INTEGER, "JEDI Task ID", required=True, minimum=1)


def _command(call: Call, function: str, code: int = 0, task_parameter: str = "task_id", **arguments):
    identity = call.identity
    answer = call.database.call(
        function,
        p_jeditaskid=call.params[task_parameter],
        p_requester=identity.user,
        p_requester_vo=identity.vo,
        p_is_production=identity.is_production,
        **arguments,
    )
    return Reply(True, answer["message"], code)


@endpoint(
    "task",
    "POST",
    "Retry a given task e.g. in exhausted state (failed, finished, exhausted, broken -> toretry -> "
    "ready). Requires a secure connection without a production role to retry own tasks and with a "
    "production role to retry others' tasks.",
    [
        TASK_ID,
        Param(
            "new_parameters",
            OBJECT,
            "a json dictionary with the new parameters for rerunning the task, merged with the "
            "existing ones (a JSON object, or a string holding one)",
        ),
        Param("no_child_retry", BOOLEAN, "if True, the child tasks are not retried", default=False),
        Param("discard_events", BOOLEAN, "if True, events will be discarded", default=False),
        Param("disable_staging_mode", BOOLEAN, "if True, the task skips staging state", default=False),
        Param("keep_gshare_priority", BOOLEAN, "if True, the task keeps current gshare and priority", default=False),
        Param(
            "ignore_hard_exhausted",
            BOOLEAN,
            "if True, the task ignores the limits for hard exhausted state",
            default=False,
        ),
    ],
)
def retry(call: Call):
    return _command(
        call,
        "retry_task",
        p_new_parameters=call.params["new_parameters"],
        p_no_child_retry=call.params["no_child_retry"],
        p_discard_events=call.params["discard_events"],
        p_disable_staging_mode=call.params["disable_staging_mode"],
        p_keep_gshare_priority=call.params["keep_gshare_priority"],
        p_ignore_hard_exhausted=call.params["ignore_hard_exhausted"],
    )


@endpoint(
    "task",
    "POST",
    "Resume a given task: a paused or throttled task goes back to its previous active state; a "
    "task in staging state goes on. Requires a secure connection and production role.",
    [TASK_ID],
    production=True,
)
def resume(call: Call):
    return _command(call, "resume_task")


@endpoint(
    "task",
    "POST",
    "Release a given task: the avalanche for a task in scouting state, or the task skips the "
    "scouting state. Requires a secure connection and production role.",
    [TASK_ID],
    production=True,
)
def release(call: Call):
    return _command(call, "release_task")


@endpoint(
    "task",
    "POST",
    "Reassign a given task to a site, nucleus or cloud (exactly one). Requires a secure connection.",
    [
        TASK_ID,
        Param("site", STRING, "site name"),
        Param("cloud", STRING, "cloud name"),
        Param("nucleus", STRING, "nucleus name"),
        Param("soft", BOOLEAN, "soft reassign: only jobs not yet at a pilot are killed", default=False),
        Param("mode", STRING, "soft/nokill reassign"),
    ],
)
def reassign(call: Call):
    return _command(
        call,
        "reassign_task",
        p_site=call.params["site"],
        p_cloud=call.params["cloud"],
        p_nucleus=call.params["nucleus"],
        p_soft=call.params["soft"],
        p_mode=call.params["mode"],
    )


@endpoint(
    "task", "POST", "Pause a given task. Requires a secure connection and production role.", [TASK_ID], production=True
)
def pause(call: Call):
    return _command(call, "pause_task")


@endpoint(
    "task",
    "POST",
    "Kill a given task (aborting, its live jobs killed, then aborted). Requires a secure connection.",
    [
        TASK_ID,
        Param("broadcast", BOOLEAN, "broadcast kill command to pilots to kill the jobs", default=False),
    ],
)
def kill(call: Call):
    return _command(call, "kill_task", p_broadcast=call.params["broadcast"])


@endpoint(
    "task",
    "POST",
    "Kills all unfinished jobs in a task. Requires a secure connection.",
    [
        TASK_ID,
        Param("code", INTEGER, "PanDA's kill code (default 9, force kill)", default=9, minimum=0, maximum=INT32_MAX),
    ],
)
def kill_unfinished_jobs(call: Call):
    return _command(call, "kill_unfinished_jobs", p_kill_code=call.params["code"])


@endpoint(
    "task",
    "POST",
    "Finish a given task (finishing, then done or finished). Requires a secure connection.",
    [
        TASK_ID,
        Param("soft", BOOLEAN, "soft finish: no new jobs, the running ones end", default=False),
        Param("broadcast", BOOLEAN, "broadcast finish command to pilots", default=False),
    ],
)
def finish(call: Call):
    return _command(call, "finish_task", p_soft=call.params["soft"], p_broadcast=call.params["broadcast"])


@endpoint(
    "task",
    "POST",
    "Reactivate a given task, i.e. recycle a finished/done task: it generates new jobs and then "
    "goes to done/finished (data 1: succeeded). Requires a secure connection and production role.",
    [
        TASK_ID,
        Param("keep_attempt_nr", BOOLEAN, "keep the original attempt number", default=False),
        Param("trigger_job_generation", BOOLEAN, "trigger the job generation", default=False),
    ],
    production=True,
)
def reactivate(call: Call):
    return _command(
        call,
        "reactivate_task",
        code=1,
        p_keep_attempt_nr=call.params["keep_attempt_nr"],
        p_trigger_job_generation=call.params["trigger_job_generation"],
    )


@endpoint(
    "task",
    "POST",
    "Avalanche a given task (scouting -> scouted). Requires a secure connection and production role.",
    [TASK_ID],
    production=True,
)
def avalanche(call: Call):
    return _command(call, "avalanche_task")


@endpoint(
    "task",
    "POST",
    "Request to reload the input for a given task. Requires a secure connection and production role.",
    [
        TASK_ID,
        Param("ignore_hard_exhausted", BOOLEAN, "ignore the limits for hard exhausted", default=False),
    ],
    production=True,
)
def reload_input(call: Call):
    return _command(call, "reload_input", p_ignore_hard_exhausted=call.params["ignore_hard_exhausted"])


@endpoint(
    "task",
    "GET",
    "Gets a map of the jumbo-job-enabled tasks to their datasets, filtering by the last modification "
    "time (now - from_offset to now - to_offset, in days). Requires a secure connection.",
    [
        Param("from_offset", INTEGER, "days back where the window starts", required=True, minimum=0, maximum=36500),
        Param("to_offset", INTEGER, "days back where the window ends", default=0, minimum=0, maximum=36500),
    ],
)
def get_jumbo_job_datasets(call: Call):
    return call.database.call(
        "get_jumbo_job_datasets",
        p_from_offset=call.params["from_offset"],
        p_to_offset=call.params["to_offset"],
        p_requester_vo=call.identity.vo,
    )


@endpoint(
    "task",
    "POST",
    "Enable job cloning for a given task. Requires secure connection and production role.",
    [
        Param("jedi_task_id", INTEGER, "JEDI Task ID", required=True, minimum=1),
        Param("mode", STRING, "mode of operation, runonce or storeonce"),
        Param("multiplicity", INTEGER, "number of clones to be created for each target", minimum=1, maximum=1000),
        Param("num_sites", INTEGER, "number of sites to be used for each target", minimum=1, maximum=1000),
    ],
    production=True,
)
def enable_job_cloning(call: Call):
    return _command(
        call,
        "enable_job_cloning",
        task_parameter="jedi_task_id",
        p_mode=call.params["mode"],
        p_multiplicity=call.params["multiplicity"],
        p_num_sites=call.params["num_sites"],
    )


@endpoint(
    "task",
    "POST",
    "Disable job cloning for a given task. Requires secure connection and production role.",
    [
        Param("jedi_task_id", INTEGER, "JEDI Task ID", required=True, minimum=1),
    ],
    production=True,
)
def disable_job_cloning(call: Call):
    return _command(call, "disable_job_cloning", task_parameter="jedi_task_id")


@endpoint(
    "task",
    "POST",
    "Increase possible task attempts. Requires secure connection and production role.",
    [
        TASK_ID,
        Param("increase", INTEGER, "number of attempts to increase", required=True, minimum=0, maximum=1000),
    ],
    production=True,
)
def increase_attempts(call: Call):
    return _command(call, "increase_task_attempts", p_increase=call.params["increase"])


@endpoint(
    "task",
    "GET",
    "Get the details of a given task: inDS, outDS, PandaID, file counters; task parameters with "
    "include_parameters, job statistics with include_status. Requires secure connection.",
    [
        TASK_ID,
        Param(
            "include_parameters",
            BOOLEAN,
            "flag to include task parameter information (Previously fullFlag)",
            default=False,
        ),
        Param("include_status", BOOLEAN, "flag to include status information (Previously withTaskInfo)", default=False),
    ],
)
def get_details(call: Call):
    return call.database.call(
        "get_task_details",
        p_jeditaskid=call.params["task_id"],
        p_include_parameters=call.params["include_parameters"],
        p_include_status=call.params["include_status"],
        p_requester_vo=call.identity.vo,
    )


@endpoint(
    "task",
    "POST",
    "Change a task attribute within the list of valid attributes (\"ramCount\", \"wallTime\", "
    "\"cpuTime\", \"coreCount\"). Requires a secure connection and production role.",
    [
        TASK_ID,
        Param("attribute_name", STRING, "attribute to change", required=True),
        Param("value", INTEGER, "value to set to the attribute", required=True, minimum=0, maximum=INT32_MAX),
    ],
    production=True,
)
def change_attribute(call: Call):
    return _command(
        call, "change_task_attribute", p_attribute_name=call.params["attribute_name"], p_value=call.params["value"]
    )


@endpoint(
    "task",
    "POST",
    "Change the modification time for a task to now() + positive_hour_offset. Requires a secure "
    "connection and production role.",
    [
        TASK_ID,
        Param(
            "positive_hour_offset",
            INTEGER,
            "number of hours to add to the current time",
            required=True,
            minimum=0,
            maximum=87600,
        ),
    ],
    production=True,
)
def change_modification_time(call: Call):
    return _command(call, "change_task_modification_time", p_positive_hour_offset=call.params["positive_hour_offset"])


@endpoint(
    "task",
    "POST",
    "Change the priority of a given task (and of its queued jobs). Requires a secure connection and production role.",
    [
        TASK_ID,
        Param("priority", INTEGER, "new priority for the task", required=True, minimum=-100000, maximum=100000),
    ],
    production=True,
)
def change_priority(call: Call):
    return _command(call, "change_task_priority", p_priority=call.params["priority"])


@endpoint(
    "task",
    "POST",
    "Change the split rule for a task (a two-letter code such as NF, or its parameter name). "
    "Requires a secure connection and production role.",
    [
        TASK_ID,
        Param("attribute_name", STRING, "split rule attribute to change", required=True),
        Param("value", INTEGER, "value to set to the attribute", required=True, minimum=0, maximum=INT32_MAX),
    ],
    production=True,
)
def change_split_rule(call: Call):
    return _command(
        call, "change_task_split_rule", p_attribute_name=call.params["attribute_name"], p_value=call.params["value"]
    )


def _optional_integer(call: Call, name: str) -> int | None:
    """A string parameter holding an integer, or nothing: panda-client sends absent values as "None"."""
    value = call.params[name]
    if value is None or value.strip() in ("", "None", "null"):
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise ValidationError(name, f"parameter '{name}' must be an integer") from None


def _optional_text(value: str | None) -> str | None:
    return None if value is None or value.strip() in ("", "None", "null") else value


@endpoint(
    "task",
    "GET",
    "Get the tasks with modificationtime > since: {jediTaskID: [PandaID, ...]} with full, "
    "{jediTaskID: status} without. Requires a secure connection.",
    [
        Param("since", STRING, "time in the format %Y-%m-%d %H:%M:%S", required=True, format=DATETIME),
        Param("dn", STRING, "user DN (the task owner; the caller when absent)"),
        Param("full", BOOLEAN, "flag to include full task information (the PandaIDs)", default=False),
        Param("min_task_id", STRING, "minimum task ID"),
        Param("prod_source_label", STRING, "task type (e.g. user)", default="user"),
    ],
)
def get_tasks_modified_since(call: Call):
    identity = call.identity
    return call.database.call(
        "get_tasks_modified_since",
        p_since=call.params["since"],
        p_requester=identity.user,
        p_requester_vo=identity.vo,
        p_dn=_optional_text(call.params["dn"]),
        p_full=call.params["full"],
        p_min_task_id=_optional_integer(call, "min_task_id"),
        p_prod_source_label=_optional_text(call.params["prod_source_label"]),
    )


@endpoint(
    "task",
    "GET",
    "Get the caller's tasks modified since a time as JediTaskSpec dictionaries with file counters, "
    "filtered by task attributes. Requires a secure connection.",
    [
        Param("since", STRING, "time in the format %Y-%m-%d %H:%M:%S (any time when absent)", format=DATETIME),
        Param("filters", OBJECT, "{JediTaskSpec attribute: value} equality conditions (a JSON object or its text)"),
        Param("n_tasks", INTEGER, "maximum number of tasks", default=500, minimum=1, maximum=10000),
    ],
)
def get_tasks_detailed_info_since(call: Call):
    identity = call.identity
    return call.database.call(
        "get_tasks_detailed_info_since",
        p_requester=identity.user,
        p_requester_vo=identity.vo,
        p_since=call.params["since"],
        p_filters=call.params["filters"],
        p_n_tasks=call.params["n_tasks"],
    )


@endpoint(
    "task",
    "GET",
    "Get the files in the datasets associated to a given task, filtered by dataset types: "
    "[{\"dataset\": {\"name\", \"id\"}, \"files\": [{\"lfn\", \"scope\", \"id\", "
    "\"status\"}, ...]}, ...]. Requires a secure connection.",
    [
        TASK_ID,
        Param("dataset_types", ARRAY, "list of dataset types, defaults to input and pseudo_input", items=STRING),
    ],
)
def get_datasets_and_files(call: Call):
    return call.database.call(
        "get_task_datasets_and_files",
        p_jeditaskid=call.params["task_id"],
        p_dataset_types=text_array(call.params["dataset_types"] or []),
        p_requester_vo=call.identity.vo,
    )


@endpoint(
    "task",
    "GET",
    "Gets the task parameters of a task (the task parameters map). Requires a secure connection.",
    [TASK_ID],
)
def get_task_parameters(call: Call):
    return call.database.call(
        "get_task_parameters", p_jeditaskid=call.params["task_id"], p_requester_vo=call.identity.vo
    )


@endpoint("task", "GET", "Gets the PanDA IDs of the jobs of a task. Requires a secure connection.", [TASK_ID])
def get_job_ids(call: Call):
    return call.database.call("get_task_job_ids", p_jeditaskid=call.params["task_id"], p_requester_vo=call.identity.vo)


@endpoint(
    "task",
    "GET",
    "Gets the job descriptions (JobSpec dictionaries) of the jobs of a task. Requires a secure connection.",
    [
        TASK_ID,
        Param("unsuccessful_only", BOOLEAN, "only failed, cancelled or closed jobs", default=False),
    ],
)
def get_job_descriptions(call: Call):
    return call.database.call(
        "get_task_job_descriptions",
        p_jeditaskid=call.params["task_id"],
        p_unsuccessful_only=call.params["unsuccessful_only"],
        p_requester_vo=call.identity.vo,
    )


@endpoint(
    "task",
    "GET",
    "Gets the detailed information of a task (JediTaskSpec dictionary with task parameters, "
    "datasets and job statistics). Requires a secure connection.",
    [TASK_ID],
)
def get_detailed_info(call: Call):
    return call.database.call(
        "get_task_detailed_info", p_jeditaskid=call.params["task_id"], p_requester_vo=call.identity.vo
    )


@endpoint(
    "task",
    "GET",
    "Gets the detailed information of the parent task of a given task. Requires a secure connection.",
    [TASK_ID],
)
def get_parent_detailed_info(call: Call):
    return call.database.call(
        "get_parent_task_detailed_info", p_jeditaskid=call.params["task_id"], p_requester_vo=call.identity.vo
    )
