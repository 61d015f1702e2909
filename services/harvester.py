"""API v1 module `harvester` (seed 000): what Harvester instances call to report workers, metrics, dialogs and
statistics, to heartbeat and to take their commands; and what operators call to sweep a queue's workers and set
target slots.

Each function is one stored-function call (procedures/postgres/harvester.sql); the rules (registered
instance, worker transitions, commands handed once) live there.
"""

from __future__ import annotations

from services.database import bigint_ids, text_array
from services.spec import (
    ARRAY,
    INTEGER,
    OBJECT,
    STRING,
    Call,
    Param,
    endpoint,
    json_encoded,
    timeout_param,
)

HARVESTER_ID = Param("harvester_id", STRING, "harvester id, e.g. harvester_central_A", required=True)


@endpoint(
    "harvester",
    "POST",
    "Update the details for a list of workers (WorkerSpec dictionaries). data: a list with "
    "true (stored) or false (a final worker may not change status) per worker.",
    [
        HARVESTER_ID,
        Param(
            "workers",
            ARRAY,
            "list of worker dictionaries with the fields of a WorkerSpec (workerID, status, batchID, "
            "computingSite, ... and pandaid_list)",
            required=True,
            items=OBJECT,
        ),
    ],
)
def update_workers(call: Call):
    return call.database.call(
        "update_workers", p_harvester_id=call.params["harvester_id"], p_workers=call.params["workers"]
    )


@endpoint(
    "harvester",
    "POST",
    "Update the service metrics for a harvester instance.",
    [
        HARVESTER_ID,
        Param(
            "metrics",
            ARRAY,
            "list of triplets [creation_time, harvester_host, metrics (JSON text)]",
            required=True,
            items=ARRAY,
        ),
    ],
)
def update_service_metrics(call: Call):
    return call.database.call(
        "update_service_metrics", p_harvester_id=call.params["harvester_id"], p_metrics=call.params["metrics"]
    )


@endpoint(
    "harvester",
    "POST",
    "Add messages for a harvester instance.",
    [
        HARVESTER_ID,
        Param(
            "dialogs",
            ARRAY,
            "list of dialog dictionaries (diagID, moduleName, identifier, creationTime, messageLevel, diagMessage)",
            required=True,
            items=OBJECT,
        ),
    ],
)
def add_dialogs(call: Call):
    return call.database.call(
        "add_harvester_dialogs", p_harvester_id=call.params["harvester_id"], p_dialogs=call.params["dialogs"]
    )


@endpoint(
    "harvester",
    "POST",
    "Send a heartbeat for harvester and optionally update the instance data (startTime, "
    "sw_version, commit_stamp). User and host are taken from the request.",
    [
        HARVESTER_ID,
        Param(
            "data",
            OBJECT,
            "metadata dictionary to be updated (a JSON object, or its JSON text), e.g. {\"startTime\": ..., "
            "\"sw_version\": ..., \"commit_stamp\": ...}",
            required=True,
        ),
    ],
)
def heartbeat(call: Call):
    return call.database.call(
        "harvester_heartbeat",
        p_harvester_id=call.params["harvester_id"],
        p_owner=call.identity.user if call.identity else None,
        p_hostname=call.request.remote_addr,
        p_data=call.params["data"],
    )


@endpoint(
    "harvester",
    "POST",
    "Report statistics for the workers managed by a harvester instance at a PanDA queue.",
    [
        HARVESTER_ID,
        Param("panda_queue", STRING, "Name of the PanDA queue", required=True),
        Param(
            "statistics", STRING, "JSON dictionary {job type: {resource type: {worker status: count}}}", required=True
        ),
    ],
)
def report_worker_statistics(call: Call):
    statistics = json_encoded("statistics", call.params["statistics"], dict, "a JSON dictionary")
    return call.database.call(
        "report_worker_statistics",
        p_harvester_id=call.params["harvester_id"],
        p_panda_queue=call.params["panda_queue"],
        p_statistics=statistics,
    )


@endpoint(
    "harvester",
    "POST",
    "Retrieves the new commands for a harvester instance; each command is handed once.",
    [
        HARVESTER_ID,
        Param("n_commands", INTEGER, "The number of commands to retrieve", required=True),
        timeout_param(30),
    ],
    production=True,
)
def acquire_commands(call: Call):
    return call.database.call(
        "acquire_harvester_commands", p_harvester_id=call.params["harvester_id"], p_n_commands=call.params["n_commands"]
    )


@endpoint(
    "harvester",
    "POST",
    "Acknowledges the list of command IDs. data: {acknowledged: the IDs acknowledged now}.",
    [
        Param("command_ids", ARRAY, "A list of command IDs to acknowledge", required=True, items=INTEGER),
        timeout_param(30),
    ],
    production=True,
)
def acknowledge_commands(call: Call):
    return call.database.call("acknowledge_harvester_commands", p_command_ids=bigint_ids(call.params["command_ids"]))


@endpoint(
    "harvester",
    "POST",
    "Send a command to harvester to kill the workers in a PanDA queue, filtered by status, "
    "CE or submission host (empty list: no filter).",
    [
        Param("panda_queue", STRING, "Name of the PanDA queue", required=True),
        Param("status_list", ARRAY, "list of worker statuses to be considered", required=True),
        Param("ce_list", ARRAY, "list of the Computing Elements to be considered", required=True),
        Param("submission_host_list", ARRAY, "list of the harvester submission hosts to be considered", required=True),
    ],
    production=True,
)
def add_sweep_command(call: Call):
    return call.database.call(
        "add_sweep_command",
        p_panda_queue=call.params["panda_queue"],
        p_status_list=text_array(call.params["status_list"]),
        p_ce_list=text_array(call.params["ce_list"]),
        p_submission_host_list=text_array(call.params["submission_host_list"]),
    )


@endpoint(
    "harvester",
    "POST",
    "Set the target number of slots for a PanDA queue (optionally per global share and "
    "resource type, until an expiration date); a negative number removes it.",
    [
        Param("panda_queue", STRING, "Name of the PanDA queue", required=True),
        Param("slots", INTEGER, "Number of slots to set", required=True),
        Param("global_share", STRING, "Global share the slots apply to (default: the whole queue)"),
        Param("resource_type", STRING, "Resource type the slots apply to (default: the whole queue)"),
        Param("expiration_date", STRING, "The expiration date of the slots, %Y-%m-%d %H:%M:%S (default: never)"),
    ],
    production=True,
)
def add_target_slots(call: Call):
    return call.database.call(
        "add_target_slots",
        p_panda_queue=call.params["panda_queue"],
        p_slots=call.params["slots"],
        p_global_share=call.params["global_share"],
        p_resource_type=call.params["resource_type"],
        p_expiration_date=call.params["expiration_date"],
    )
