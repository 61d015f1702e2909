"""GET /status_summary/ (seed 003): the PanDA monitor's number of jobs per job status of each active PanDA queue.

Outside /api/v1 and without the {success, message, data} envelope: the answer is seed 003's own
dictionary, always with all its keys:

    GET_parameters  the query-string parameters as received (a repeated parameter comma-joined)
    query           the filters applied ("JOBS INCLUDE: modificationtime__range": [start, end], ...)
    nrecords        the number of rows of data
    data            one row per (computingsite, mcp_cloud) with the queue's properties and a count per job status
    timestamp       when the response was made (UTC, ISO format)
    errors          {} / {"lookup": "Job for this query has not been found. "} / {"<parameter>": "<message>"}
    warnings        {"missingoptionalparameter": "Missing optional GET parameter starttime. ...", ...}

HTTP status: 200 rows found; 404 no job matches; 400 anything else (invalid parameter, and, as the
seed's catch-all, any other failure). Public and read-only like the monitor's API: no token is asked
for (the stored function is STABLE, it cannot write).

Everything else (parameter rules, window, filters, warnings, the lookup error) is decided by one call of
doma_panda.status_summary (procedures/postgres/status_summary.sql); this module only translates.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import falcon
import falcon.uri
import psycopg
import psycopg_pool

from pandadb.errors import ProcedureError
from services.database import Database
from services.envelope import incident_answer, refusal_answer, unavailable_answer, write

PATH = "/status_summary/"

# a procedure's PD002 message starts with the parameter it is about: "nhours: must be ..."
_PARAMETER_PREFIX = re.compile(r"^([A-Za-z_]+): ")

QUEUE_PARAMETERS = ("corecount", "cloud", "atlas_site", "status")
PARAMETER_DESCRIPTIONS = {
    "nhours": "Window of job modificationtime: the last N hours (a whole number >= 1; default 12). "
    "Has priority over starttime/endtime.",
    "starttime": "Start of the window, %Y-%m-%dT%H:%M:%S (UTC); alone: up to now.",
    "endtime": "End of the window, %Y-%m-%dT%H:%M:%S (UTC); alone: from 12 hours before it.",
    "mcp_cloud": "Job property: the jobs' cloud (the cloud the task was submitted to).",
    "computingsite": "Job property: the PanDA queue the job ran at.",
    "jobstatus": "Job property: the job status.",
    "corecount": "Queue property (schedconfig): corecount, whole numbers (no wildcard).",
    "cloud": "Queue property (schedconfig): the topology cloud of the queue.",
    "atlas_site": "Queue property (schedconfig): the site of the queue.",
    "status": "Queue property (schedconfig): the queue status (online, offline, test, brokeroff, ...).",
}
FILTER_SYNTAX = (
    " Comma-separated values; '*' is a wildcard (not for corecount, nhours, starttime, endtime); "
    "'-value' leaves value out; 'NULL' / '-NULL' keep / leave out rows where the field is NULL."
)


def get_parameters(req: falcon.Request) -> dict[str, str]:
    """request.GET as the seed echoes it: name -> text (a repeated parameter's values comma-joined)."""
    parsed = falcon.uri.parse_query_string(req.query_string, keep_blank=True, csv=False)
    return {name: ",".join(value) if isinstance(value, list) else value for name, value in parsed.items()}


def _error_key(message: str) -> str:
    match = _PARAMETER_PREFIX.match(message)
    return match.group(1) if match else "badrequest"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None).isoformat()


class StatusSummaryResource:
    """Serves GET /status_summary/ (and /status_summary)."""

    def __init__(self, database: Database):
        self._database = database

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        parameters = get_parameters(req)
        body: dict[str, Any] = {
            "GET_parameters": parameters,
            "query": {},
            "nrecords": 0,
            "data": [],
            "timestamp": None,
            "errors": {},
            "warnings": {},
        }
        try:
            result = self._database.call("status_summary", p_filters=parameters)
            for key in ("query", "nrecords", "data", "errors", "warnings"):
                body[key] = result[key]
            status = 200 if result["nrecords"] else 404
        except ProcedureError as error:  # the procedure refused a parameter (PD002) or its value
            refusal_answer(req, error)
            body["errors"] = {_error_key(error.message): error.message}
            status = 400
        except (psycopg_pool.PoolTimeout, psycopg.OperationalError) as error:
            body["errors"] = {"database": unavailable_answer(req, error)}
            status = 400
        except Exception as error:  # seed 003: 400 is the catch-all for all other errors
            body["errors"] = {"server": incident_answer(req, error)}
            status = 400
        body["timestamp"] = _now()
        write(resp, status, body)


def openapi_path_item() -> dict[str, Any]:
    """The OpenAPI description of GET /status_summary/ (public, seed 003's response, no envelope)."""
    response_schema = {
        "type": "object",
        "required": ["GET_parameters", "query", "nrecords", "data", "timestamp", "errors", "warnings"],
        "properties": {
            "GET_parameters": {"type": "object", "additionalProperties": {"type": "string"}},
            "query": {"type": "object", "description": "the filters applied, Django QuerySet style"},
            "nrecords": {"type": "integer"},
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "description": (
                        "computingsite, mcp_cloud, atlas_site, cloud, corecount and a count per job status: pending, "
                        "defined, waiting, assigned, throttled, activated, sent, starting, running, holding, merging, "
                        "transferring, finished, failed, cancelled"
                    ),
                },
            },
            "timestamp": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
            "warnings": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    content = {"application/json": {"schema": response_schema}}
    parameters = []
    for name, description in PARAMETER_DESCRIPTIONS.items():
        if name not in ("nhours", "starttime", "endtime"):
            description += FILTER_SYNTAX
        parameters.append(
            {"name": name, "in": "query", "required": False, "description": description, "schema": {"type": "string"}}
        )
    return {
        "get": {
            "operationId": "status_summary",
            "tags": ["monitor"],
            "summary": "Number of jobs per job status of each active PanDA queue (PanDA monitor API, seed 003).",
            "description": "Public, read-only. Not enveloped: the response is the status_summary dictionary. "
            "Also served at /status_summary (no trailing slash).",
            "security": [],
            "parameters": parameters,
            "responses": {
                "200": {"description": "job records satisfying the parameters were found", "content": content},
                "404": {"description": "no job satisfies the parameters (errors.lookup)", "content": content},
                "400": {"description": "invalid parameter, or any other error (errors says which)", "content": content},
            },
        }
    }
