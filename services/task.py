"""API v1 module `task` (seed 000): submit a task (panda-client insertTaskParams) and read its status.

Each function is one stored-function call (procedures/postgres/task_submission.sql): what a task may
contain, who may submit which kind of task, duplicates: all decided there. The rest of the module (task
commands, details) follows with the task issue.
"""

from __future__ import annotations

from services.database import bigint_ids
from services.spec import INTEGER, OBJECT, Call, Param, Reply, endpoint


@endpoint("task", "POST", "Insert the task parameters to register a task. Requires a secure connection.", [
    Param("task_parameters", OBJECT, "Dictionary with all the required task parameters (the attributes of "
                                     "JediTaskSpec; a JSON object, or a string holding one)", required=True),
    Param("parent_tid", INTEGER, "Parent task ID"),
])
def submit(call: Call):
    identity = call.identity
    answer = call.database.call("submit_task", p_task_params=call.params["task_parameters"], p_requester=identity.user,
                                p_requester_vo=identity.vo, p_is_production=identity.is_production,
                                p_parent_tid=call.params["parent_tid"])
    # PanDA's answer: success with the new jediTaskID as data and "... jediTaskID=N" in the message (what
    # panda-client parses), or failure with the return code (2: duplication in JEDI) as data
    if answer["returnCode"] != 0:
        return Reply(False, answer["message"], answer["returnCode"])
    return Reply(True, answer["message"], answer["jediTaskID"])


@endpoint("task", "GET", "Gets the status of a task. Requires a secure connection.", [
    Param("task_id", INTEGER, "JEDI task ID", required=True),
])
def get_status(call: Call):
    return call.database.call("get_task_status", p_jeditaskids=bigint_ids([call.params["task_id"]]))
