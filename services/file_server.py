"""API v1 module `file_server` (seed 000): the cache of user files (sandboxes), JEDI logs, HPO checkpoints
and the requests users hand in (file recovery, workflow, event picking); plus GET /cache/<file>, where
panda-client's getFile and the pilots read the cached files.

Which files exist, their owners, sizes, checksums and expiry are rows of the database
(procedures/postgres/file_server.sql: one call per API function); the bytes are on this host's disk
(services/file_store.py). Uploads are multipart/form-data POSTs as panda-client's putFile sends them
(the part `file`, whose filename must be a plain base name: 400 otherwise), streamed to disk under a size
limit (413 beyond): max_upload_bytes for sandboxes (sources.*) and HPO checkpoints, max_cache_file_bytes
for other cache files and logs.
"""

from __future__ import annotations

import json
import os
import zlib
from typing import Any

import falcon

from pandadb.errors import ProcedureError
from services import file_store
from services.envelope import EnvelopeError, envelope, refusal_answer, write
from services.file_store import check_file_name, host_of
from services.spec import (
    ARRAY,
    BOOLEAN,
    FILE,
    INTEGER,
    STRING,
    Call,
    Param,
    Reply,
    UploadedFile,
    ValidationError,
    endpoint,
)

CACHE_ROUTE = "/cache/{file_path:path}"
CACHE_PATH = "/cache/{file_path}"
ACCEPTED = "The request was accepted and will be processed in a few minutes"
FILE_PARAM = Param(
    "file",
    FILE,
    "the file to upload: a multipart/form-data part, stored under the last component of its filename",
    required=True,
)


def _url(call: Call, file_path: str) -> str:
    return f"{call.request.prefix}/cache/{file_path}"


def _limit(upload: UploadedFile, limit: int) -> None:
    if upload.size > limit:
        raise EnvelopeError(413, f"ERROR: upload failure. Exceeded size limit {upload.size}>{limit}")


def _store(
    call: Call, upload: UploadedFile, file_path: str, area: str, overwrite: bool, cache_checksum: str | None = None
) -> dict[str, Any]:
    """Record an upload under `file_path` (one call); its bytes are kept when the database took it."""
    file_store.reap(call.database, call.settings)
    outcome = call.database.call(
        "file_store_put",
        p_hostname=host_of(call.settings),
        p_file_path=file_path,
        p_area=area,
        p_owner=call.identity.user,
        p_vo=call.identity.vo,
        p_storage_key=upload.storage_key,
        p_file_size=upload.size,
        p_checksum=upload.adler32,
        p_overwrite=overwrite,
        p_cache_checksum=cache_checksum,
    )
    upload.kept = bool(outcome["stored"])
    return outcome


# -- JEDI logs -----------------------------------------------------------------------------------------


@endpoint(
    "file_server",
    "POST",
    "Uploads a JEDI log file and returns the URL to the file. If there is already a log "
    "file for the task, it will be overwritten.",
    [FILE_PARAM],
    production=True,
    multipart=True,
)
def upload_jedi_log(call: Call):
    upload = call.params["file"]
    _limit(upload, call.settings.max_cache_file_bytes)
    file_path = f"jedilog/{upload.filename}"
    _store(call, upload, file_path, "jedilog", overwrite=True)
    return _url(call, file_path)


@endpoint(
    "file_server",
    "POST",
    "Updates a JEDI log file, appending more content (zlib-compressed, as JEDI sends it) at the end of the file.",
    [FILE_PARAM],
    production=True,
    multipart=True,
)
def update_jedi_log(call: Call):
    upload = call.params["file"]
    limit = call.settings.max_cache_file_bytes
    decompressor = zlib.decompressobj()
    try:
        content = decompressor.decompress(upload.path.read_bytes(), limit + 1)
    except zlib.error as error:
        raise ValidationError("file", f"parameter 'file' must be zlib-compressed log content ({error})") from None
    if len(content) > limit or decompressor.unconsumed_tail:
        raise EnvelopeError(413, f"ERROR: upload failure. Exceeded size limit of {limit} bytes")
    outcome = call.database.call(
        "file_store_append",
        p_hostname=host_of(call.settings),
        p_file_path=upload.filename,
        p_owner=call.identity.user,
        p_vo=call.identity.vo,
        p_new_storage_key=file_store.new_storage_key(),
        p_added_bytes=len(content),
    )
    file_store.append(call.settings, outcome["storage_key"], content)
    return Reply(True, "", {"file_size": outcome["file_size"]})


@endpoint(
    "file_server",
    "GET",
    "Downloads the JEDI log file, if required at a particular offset: data is the content from the offset on.",
    [
        Param("log_name", STRING, "log file name", required=True),
        Param("offset", INTEGER, "offset in the file", default=0),
    ],
    secure=False,
)
def download_jedi_log(call: Call):
    log_name = check_file_name(call.params["log_name"], "log_name", allow_directory=True)
    offset = call.params["offset"]
    if offset < 0:
        raise ValidationError("offset", "parameter 'offset' must be >= 0")
    found = call.database.call("file_store_lookup", p_hostname=host_of(call.settings), p_file_path=log_name)
    if not found:
        return Reply(False, f"log_name: no log {log_name} on {host_of(call.settings)}")
    try:
        content = file_store.read_from(call.settings, found["storage_key"], offset, call.settings.max_cache_file_bytes)
    except FileNotFoundError:
        return Reply(False, f"log_name: the log {log_name} is not on this server's disk")
    return content.decode("utf-8", errors="replace")


# -- the user cache --------------------------------------------------------------------------------------


@endpoint(
    "file_server",
    "POST",
    "Uploads a file to the cache. When not touched, cache files are expired after some "
    "time. User caches get registered in the PanDA database and account towards user "
    "limits. An existing file is not overwritten unless its name ends with .__ow__.",
    [FILE_PARAM],
    multipart=True,
)
def upload_cache_file(call: Call):
    upload = call.params["file"]
    sandbox = upload.filename.startswith("sources.")
    _limit(upload, call.settings.max_upload_bytes if sandbox else call.settings.max_cache_file_bytes)
    checksum = None if upload.tail_checksum is None else str(upload.tail_checksum)
    outcome = _store(
        call, upload, upload.filename, "cache", overwrite=upload.filename.endswith(".__ow__"), cache_checksum=checksum
    )
    if not outcome["stored"]:
        return Reply(False, outcome["message"])
    return {
        "file_name": upload.filename,
        "file_size": upload.size,
        "checksum": upload.adler32,
        "url": _url(call, upload.filename),
    }


FILE_NAME = Param("file_name", STRING, "file name", required=True)


@endpoint(
    "file_server",
    "POST",
    "Touches a file in the cache directory. It avoids the file to expire and being "
    "deleted by server clean up processes.",
    [FILE_NAME],
)
def touch_cache_file(call: Call):
    name = check_file_name(call.params["file_name"], "file_name")
    return call.database.call("touch_cache_file", p_hostname=host_of(call.settings), p_file_name=name)


@endpoint(
    "file_server",
    "POST",
    "Deletes a file from the cache directory. As upstream, cache files are kept (they may "
    "be reused for re-brokerage) until they expire: this only says whether the file is "
    "there.",
    [FILE_NAME],
)
def delete_cache_file(call: Call):
    name = check_file_name(call.params["file_name"], "file_name")
    found = call.database.call("file_store_lookup", p_hostname=host_of(call.settings), p_file_path=name)
    return Reply(
        True, "kept until it expires (cache files may be reused for re-brokerage)" if found else "no such file", None
    )


@endpoint(
    "file_server",
    "POST",
    "Registers a file from the cache directory into the PanDA database, so that PanDA knows the server it's on.",
    [
        Param("user_name", STRING, "user that uploaded the file", required=True),
        FILE_NAME,
        Param("file_size", INTEGER, "file size", required=True),
        Param("checksum", STRING, "checksum", required=True),
    ],
    production=True,
)
def register_cache_file(call: Call):
    return call.database.call(
        "register_cache_file",
        p_is_production=call.identity.is_production,
        p_user_name=call.params["user_name"],
        p_file_name=check_file_name(call.params["file_name"], "file_name"),
        p_file_size=call.params["file_size"],
        p_checksum=call.params["checksum"],
        p_hostname=host_of(call.settings),
    )


@endpoint(
    "file_server",
    "POST",
    "Validates a cache file owned by the caller by checking the file metadata that was "
    "registered in the database; the message is FOUND:<host>:<file name> when the file "
    "can be reused.",
    [Param("file_size", INTEGER, "file size", required=True), Param("checksum", STRING, "checksum", required=True)],
)
def validate_cache_file(call: Call):
    found = call.database.call(
        "validate_cache_file",
        p_owner=call.identity.user,
        p_file_size=call.params["file_size"],
        p_checksum=call.params["checksum"],
    )
    return Reply(True, found, found)


# -- HPO checkpoints ------------------------------------------------------------------------------------


@endpoint(
    "file_server",
    "POST",
    "Uploads a HPO checkpoint file to the server; the file's name is <task ID>_<sub ID>.",
    [FILE_PARAM],
    multipart=True,
)
def upload_hpo_checkpoint(call: Call):
    upload = call.params["file"]
    _limit(upload, call.settings.max_upload_bytes)
    task_id, _, sub_id = upload.filename.partition("_")
    if not task_id or not sub_id or "_" in sub_id:
        raise ValidationError("file", "parameter 'file' must be named <task ID>_<sub ID>")
    file_path = f"hpo_cp_{task_id}_{sub_id}"
    _store(call, upload, file_path, "hpo", overwrite=True)
    return Reply(True, f"Successfully placed at {_url(call, file_path)}", _url(call, file_path))


@endpoint(
    "file_server",
    "POST",
    "Deletes a HPO checkpoint file from the server.",
    [Param("task_id", STRING, "JEDI task ID", required=True), Param("sub_id", STRING, "sub ID.", required=True)],
)
def delete_hpo_checkpoint(call: Call):
    call.database.call(
        "delete_hpo_checkpoint",
        p_hostname=host_of(call.settings),
        p_task_id=call.params["task_id"],
        p_sub_id=call.params["sub_id"],
    )
    return Reply(True, "", None)


# -- requests for the task engine ---------------------------------------------------------------------


@endpoint(
    "file_server",
    "POST",
    "Upload request to recover lost files. Either task_id or dataset needs to be "
    "specified. data.logFileURL is where the request's log will be.",
    [
        Param("task_id", INTEGER, "JEDI task ID."),
        Param("dry_run", BOOLEAN, "dry run flag.", default=False),
        Param("dataset", STRING, "the dataset name in which to recover files"),
        Param("files", ARRAY, "list of file names to recover", items=STRING),
        Param("no_child_retry", BOOLEAN, "flag to avoid retrying child tasks", default=False),
        Param("resurrect_datasets", BOOLEAN, "resurrect datasets when they were already deleted", default=False),
        Param("force", BOOLEAN, "force recovery even if there is no lost file", default=False),
        Param("reproduce_parent", BOOLEAN, "reproduce the parent task if the input files are gone", default=False),
        Param("reproduce_upto_nth_gen", INTEGER, "how many generations of parent tasks to reproduce", default=0),
    ],
)
def upload_file_recovery_request(call: Call):
    key, path = file_store.create_empty(call.settings)
    try:
        outcome = call.database.call(
            "submit_user_request",
            p_request_type="file_recovery",
            p_owner=call.identity.user,
            p_vo=call.identity.vo,
            p_is_production=call.identity.is_production,
            p_parameters=call.given(),
            p_hostname=host_of(call.settings),
            p_log_storage_key=key,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Reply(True, ACCEPTED, {"logFileURL": _url(call, outcome["log_file"]), "request_id": outcome["request_id"]})


@endpoint(
    "file_server",
    "POST",
    "Uploads a workflow request to the server, for the task engine to process. With "
    "dry_run the request is only checked (nothing is stored).",
    [
        Param("data", STRING, "workflow request data (JSON)", required=True),
        Param("dry_run", BOOLEAN, "only check the workflow request", default=False),
        Param("sync", BOOLEAN, "requests the workflow to be processed synchronously (it is queued)", default=False),
    ],
)
def upload_workflow_request(call: Call):
    try:
        workflow = json.loads(call.params["data"])
    except ValueError as error:
        raise ValidationError("data", f"parameter 'data' must be a JSON document ({error})") from None
    if call.params["dry_run"]:
        return Reply(True, "dry run: the workflow request is well-formed; nothing was stored", {"data": workflow})
    outcome = call.database.call(
        "submit_user_request",
        p_request_type="workflow",
        p_owner=call.identity.user,
        p_vo=call.identity.vo,
        p_is_production=call.identity.is_production,
        p_parameters={"data": workflow, "sync": call.params["sync"]},
    )
    return Reply(True, ACCEPTED, {"request_id": outcome["request_id"]})


EVENT_PICKING_PARAMS = [
    Param("run_event_list", STRING, "run and event list.", default=""),
    Param("data_type", STRING, "data type.", default=""),
    Param("stream_name", STRING, "stream name.", default=""),
    Param("dataset_name", STRING, "dataset name.", default=""),
    Param("ami_tag", STRING, "AMI tag.", default=""),
    Param("user_dataset_name", STRING, "user dataset name.", default=""),
    Param("locked_by", STRING, "locking agent.", default=""),
    Param("parameters", STRING, "parameters.", default=""),
    Param("input_file_list", STRING, "input file list.", default=""),
    Param("n_sites", STRING, "number of sites.", default=""),
    Param("user_task_name", STRING, "user task name.", default=""),
    Param("ei_api", STRING, "event index API.", default=""),
    Param("include_guids", BOOLEAN, "flag to indicate if GUIDs are included with the run-event list", default=False),
]


@endpoint(
    "file_server",
    "POST",
    "Uploads an event picking request to the server, for the task engine to process.",
    EVENT_PICKING_PARAMS,
)
def upload_event_picking_request(call: Call):
    outcome = call.database.call(
        "submit_user_request",
        p_request_type="event_picking",
        p_owner=call.identity.user,
        p_vo=call.identity.vo,
        p_is_production=call.identity.is_production,
        p_parameters=dict(call.params),
    )
    return Reply(True, ACCEPTED, {"request_id": outcome["request_id"]})


# -- GET /cache/<file> ------------------------------------------------------------------------------------


class CacheFileResource:
    """GET /cache/<file>: a stored file's bytes (public, as upstream's cache directory), 404 when the file is
    not kept on this host, 400 for names that are not plain file names."""

    def __init__(self, database: Any, settings: Any):
        self._database = database
        self._settings = settings

    def on_get(self, req: falcon.Request, resp: falcon.Response, file_path: str) -> None:
        try:
            name = check_file_name(file_path, "file_path", allow_directory=True)
        except ValidationError as error:
            write(resp, 400, envelope(False, error.message, {"parameter": "file_path"}))
            return
        try:
            found = self._database.call("file_store_lookup", p_hostname=host_of(self._settings), p_file_path=name)
        except ProcedureError as error:
            write(resp, refusal_answer(req, error), envelope(False, error.message))
            return
        try:
            # Falcon closes the stream once the response is sent
            handle = open(file_store.storage_path(self._settings, found["storage_key"]), "rb") if found else None  # noqa: SIM115
        except FileNotFoundError:
            handle = None
        if handle is None:
            write(resp, 404, envelope(False, f"no file {name} in the cache of this server"))
            return
        resp.content_type = "application/octet-stream"
        resp.set_header("Content-Disposition", f'attachment; filename="{name.rsplit("/", 1)[-1]}"')
        if found.get("checksum"):
            resp.set_header("X-Checksum", found["checksum"])
        resp.set_stream(handle, os.fstat(handle.fileno()).st_size)


def cache_path_item() -> dict[str, Any]:
    """The OpenAPI path item of GET /cache/{file_path}."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}
    return {
        "get": {
            "operationId": "cache_get_file",
            "tags": ["file_server"],
            "security": [],
            "summary": "Download a file of the file server's cache (as panda-client's getFile does)",
            "parameters": [
                {
                    "name": "file_path",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "the file's name (jedilog/<name> for JEDI logs)",
                }
            ],
            "responses": {
                "200": {
                    "description": "the file's bytes",
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                },
                "400": {"description": "not a plain file name", "content": error},
                "404": {"description": "no such file on this server", "content": error},
                "503": {"description": "the database is unavailable; retry later", "content": error},
            },
        }
    }
