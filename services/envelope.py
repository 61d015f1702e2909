"""The API envelope {"success", "message", "data"} and the mapping of failures onto it.

  request validation error           -> 400 (413 for an oversized body), success false
  authentication / authorization     -> 401 / 403, success false
  a refusal of the stored logic      -> HTTP_STATUS_OF_REFUSAL: NotAllowed (PD005, who you are) 403; every
                                        other refusal (PD001-PD004, bad values) 200 with success false and the
                                        procedure's own message (PanDA's convention); data.sqlstate says which
  database unreachable               -> 503, success false
  anything unexpected                -> 500, success false, a generic message (traceback in the log only)

`refusal_answer` and `unavailable_answer` are the same mappings for resources outside the envelope
(status_summary), so that every failure is logged and worded in one place.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import falcon
import psycopg
import psycopg_pool

from pandadb.errors import NotAllowed, ProcedureError
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


HTTP_STATUS_OF_REFUSAL: dict[type[ProcedureError], int] = {
    NotAllowed: 403,
    ProcedureError: 200,
}


def refusal_status(error: ProcedureError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS_OF_REFUSAL:
            return HTTP_STATUS_OF_REFUSAL[cls]
    return 200


def refusal_answer(req: falcon.Request, error: ProcedureError) -> int:
    """Record the refusal for the access log; its HTTP status."""
    req.context.procedure_sqlstate = error.sqlstate
    return refusal_status(error)


def _on_procedure_error(req, resp, error: ProcedureError, params) -> None:
    status = refusal_answer(req, error)
    write(resp, status, envelope(False, error.message, {"sqlstate": error.sqlstate}))


def unavailable_answer(req: falcon.Request, error: Exception) -> str:
    """Log an unreachable database; the message for the caller."""
    logger.error("database unavailable on %s %s: %s", req.method, req.path, error)
    return "the database is unavailable; retry later"


def incident_answer(req: falcon.Request, error: Exception) -> str:
    """Log an unexpected error with an incident number; the message for the caller."""
    incident = uuid.uuid4().hex[:12]
    logger.error("unexpected error (incident %s) on %s %s", incident, req.method, req.path, exc_info=error)
    return f"internal server error (incident {incident}); the server log has the details"


def _on_http_error(req, resp, error: falcon.HTTPError, params) -> None:
    headers = dict(error.headers or {})
    for name, value in headers.items():
        resp.set_header(name, value)
    message = error.title or "error"
    if error.description:
        message = f"{message}: {error.description}"
    if isinstance(error, falcon.HTTPNotFound):
        message = f"no API function at {req.path}; see /api/v1/openapi.json"
    elif isinstance(error, falcon.HTTPMethodNotAllowed):
        message = f"{req.method} is not allowed on {req.path} (allowed: {headers.get('Allow', '')})"
    write(resp, error.status_code, envelope(False, message))


RETRY_AFTER_SECONDS = 10


def _on_database_unavailable(req, resp, error: Exception, params) -> None:
    resp.set_header("Retry-After", str(RETRY_AFTER_SECONDS))
    write(resp, 503, envelope(False, unavailable_answer(req, error)))


def _on_unexpected(req, resp, error: Exception, params) -> None:
    write(resp, 500, envelope(False, incident_answer(req, error)))


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
