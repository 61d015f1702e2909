"""The API envelope {"success", "message", "data"} and the mapping of failures onto it.

  request validation error           -> 400 (413 for an oversized body), success false
  authentication / authorization     -> 401 / 403, success false
  ProcedureError (PD002..PD005, ...)  -> 200, success false, the procedure's own message (PanDA's convention)
  database unreachable               -> 503, success false
  anything unexpected                -> 500, success false, a generic message (traceback in the log only)
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import falcon
import psycopg
import psycopg_pool

from pandadb.procedures import ProcedureError
from services.auth import AuthError
from services.spec import ValidationError

logger = logging.getLogger("pandadb.services")


class EnvelopeError(Exception):
    """Answer with `status` and success false; raised for transport-level refusals (size, JSON, HTTPS)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def envelope(success: bool, message: str = "", data: Any = None) -> dict[str, Any]:
    return {"success": success, "message": message, "data": data}


def write(resp: falcon.Response, status: int, body: dict[str, Any]) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.text = json.dumps(body, default=str)


def _on_envelope_error(req, resp, error: EnvelopeError, params) -> None:
    for name, value in error.headers.items():
        resp.set_header(name, value)
    write(resp, error.status, envelope(False, error.message))


def _on_validation_error(req, resp, error: ValidationError, params) -> None:
    write(resp, 400, envelope(False, error.message, {"parameter": error.parameter}))


def _on_auth_error(req, resp, error: AuthError, params) -> None:
    if error.status == 401:
        resp.set_header("WWW-Authenticate", 'Bearer realm="pandadb"')
    write(resp, error.status, envelope(False, error.message))


def _on_procedure_error(req, resp, error: ProcedureError, params) -> None:
    if not error.is_input_error:  # not raised by call_function today; kept safe
        _on_unexpected(req, resp, error, params)
        return
    req.context.procedure_sqlstate = error.sqlstate
    write(resp, 200, envelope(False, error.message, {"sqlstate": error.sqlstate}))


def _on_http_error(req, resp, error: falcon.HTTPError, params) -> None:
    for name, value in (error.headers or {}).items():
        resp.set_header(name, value)
    message = error.title or "error"
    if error.description:
        message = f"{message}: {error.description}"
    if isinstance(error, falcon.HTTPNotFound):
        message = f"no API function at {req.path}; see /api/v1/openapi.json"
    elif isinstance(error, falcon.HTTPMethodNotAllowed):
        message = f"{req.method} is not allowed on {req.path} (allowed: {', '.join(error.headers.get('Allow', '').split(', '))})"
    write(resp, error.status_code, envelope(False, message))


def _on_database_unavailable(req, resp, error: Exception, params) -> None:
    logger.error("database unavailable on %s %s: %s", req.method, req.path, error)
    write(resp, 503, envelope(False, "the database is unavailable; retry later"))


def _on_unexpected(req, resp, error: Exception, params) -> None:
    incident = uuid.uuid4().hex[:12]
    logger.error("unexpected error (incident %s) on %s %s", incident, req.method, req.path, exc_info=error)
    write(resp, 500, envelope(False, f"internal server error (incident {incident}); the server log has the details"))


def install_error_handlers(app: falcon.App) -> None:
    # the most specific class wins, whatever the order of registration
    app.add_error_handler(Exception, _on_unexpected)
    app.add_error_handler(falcon.HTTPError, _on_http_error)
    app.add_error_handler(EnvelopeError, _on_envelope_error)
    app.add_error_handler(ValidationError, _on_validation_error)
    app.add_error_handler(AuthError, _on_auth_error)
    app.add_error_handler(ProcedureError, _on_procedure_error)
    app.add_error_handler(psycopg_pool.PoolTimeout, _on_database_unavailable)
    app.add_error_handler(psycopg.OperationalError, _on_database_unavailable)
