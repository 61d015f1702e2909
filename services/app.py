"""The Falcon (WSGI) application: routes, request parsing, auth and role checks, envelope.

    /api/v1/<module>/<function>   one route per declared Endpoint (services.pilot, .job, .system)
    /api/v1/openapi.json          the OpenAPI 3 document generated from the same declarations
    /server/panda/isAlive         text "alive=yes"
    /status_summary/              the monitor's job counts per queue and status (seed 003; services.status_summary)
    /cache/<file>                 the file server's files, as panda-client's getFile reads them (services.file_server)

Per request: the access-log middleware times it; the auth middleware refuses plain HTTP on
"secure connection" endpoints (unless insecure mode), verifies the bearer token, the Origin VO
and the production role; the resource reads the parameters (query string for GET, JSON body for
POST), validates them against the declaration, calls the handler and writes the envelope.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from typing import Any

import falcon
import falcon.uri

from pandadb.db import resolve_database_url
from services import creds, event, file_server, harvester, job, metaconfig, pilot, statistics, system, task
from services.auth import AuthError, TokenVerifier, bearer_token, identify
from services.auth_config import PATH as AUTH_CONFIG_PATH
from services.auth_config import AuthConfigResource
from services.database import Database
from services.envelope import EnvelopeError, envelope, install_error_handlers, write
from services.file_store import UploadTooLarge, discard, receive_upload
from services.openapi import openapi_document
from services.settings import ServiceSettings, load_service_settings
from services.spec import Call, Endpoint, Reply, endpoints_of, load_json, validate
from services.status_summary import StatusSummaryResource

API_MODULES = (pilot, job, system, statistics, creds, file_server, task, event, harvester, metaconfig)
access_logger = logging.getLogger("pandadb.access")


def all_endpoints() -> list[Endpoint]:
    return [spec for module in API_MODULES for spec in endpoints_of(module)]


class AccessLog:
    """One JSON line per request: time, method, path, status, duration_ms, user, vo, remote address."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()
        req.context.identity = None

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool) -> None:
        identity = getattr(req.context, "identity", None)
        started = getattr(req.context, "started", time.perf_counter())
        record = {
            "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
            "method": req.method,
            "path": req.path,
            "status": resp.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "user": identity.user if identity else None,
            "vo": identity.vo if identity else None,
            "remote": req.remote_addr,
        }
        sqlstate = getattr(req.context, "procedure_sqlstate", None)
        if sqlstate:
            record["sqlstate"] = sqlstate
        access_logger.info(json.dumps(record))


class Authentication:
    """Secure-connection, token, VO and role checks for the endpoint a request is routed to."""

    def __init__(self, settings: ServiceSettings, verifier: TokenVerifier):
        self._settings = settings
        self._verifier = verifier

    def _is_https(self, req: falcon.Request) -> bool:
        if self._settings.trust_forwarded_proto:
            return req.forwarded_scheme == "https"
        return req.scheme == "https"

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict) -> None:
        spec: Endpoint | None = getattr(resource, "spec", None)
        if spec is None or not spec.secure:
            return
        if not self._settings.insecure and not self._is_https(req):
            raise EnvelopeError(403, f"{spec.module}/{spec.name} requires a secure connection: use HTTPS")
        claims = self._verifier.verify(bearer_token(req.get_header("Authorization")))
        identity = identify(claims, req.get_header("Origin"))
        req.context.identity = identity
        if spec.production and not identity.is_production:
            raise AuthError(
                403,
                f"{spec.module}/{spec.name} requires the production role: a token group "
                f"{identity.vo}/production or {identity.vo}/pilot",
            )


DRAIN_LIMIT_BYTES = 16 * 1024 * 1024
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def _drain(stream) -> None:
    """Read and drop what is left of a refused body (up to a cap), so the client gets to read our 413
    instead of a connection reset while it is still sending."""
    remaining = DRAIN_LIMIT_BYTES
    while remaining > 0:
        chunk = stream.read(min(65536, remaining))
        if not chunk:
            return
        remaining -= len(chunk)


class EndpointResource:
    """Serves one declared Endpoint."""

    def __init__(self, spec: Endpoint, database: Database, settings: ServiceSettings):
        self.spec = spec
        self._database = database
        self._settings = settings
        self._has_timeout = any(param.name == "timeout" for param in spec.params)
        responder = self._respond
        if spec.method == "GET":
            self.on_get = responder
        if spec.method == "POST" or spec.also_post:
            self.on_post = responder

    def _multipart_parameters(self, req: falcon.Request) -> dict[str, Any]:
        """The parts of a multipart/form-data POST: file parts streamed to the file store (at most
        max_upload_bytes each, the whole request too), text parts as parameters."""
        if req.query_string:
            raise EnvelopeError(
                400,
                f"parameters of {self.spec.module}/{self.spec.name} go in the multipart body "
                "of the POST, not in the query string",
            )
        limit = self._settings.max_upload_bytes
        # the file's bytes plus the multipart framing and a few text parts
        if req.content_length is not None and req.content_length > limit + MULTIPART_OVERHEAD_BYTES:
            _drain(req.bounded_stream)
            raise EnvelopeError(
                413,
                f"request body of {req.content_length} bytes exceeds the upload limit of {limit} bytes",
                {"Connection": "close"},
            )
        parameters: dict[str, Any] = {}
        req.context.uploads = uploads = []
        try:
            for part in req.get_media():
                if part.name in parameters:
                    raise EnvelopeError(400, f"parameter '{part.name}' is given twice")
                if part.filename is not None:
                    upload = receive_upload(part.filename, part.stream, self._settings, limit, part.name or "file")
                    uploads.append(upload)
                    parameters[part.name] = upload
                else:
                    parameters[part.name] = part.get_text()
        except UploadTooLarge as error:
            raise EnvelopeError(413, str(error), {"Connection": "close"}) from None
        return parameters

    def _raw_parameters(self, req: falcon.Request) -> dict[str, Any]:
        if self.spec.multipart and (req.content_type or "").lower().startswith("multipart/form-data"):
            return self._multipart_parameters(req)
        # otherwise a JSON body as on every POST: its parameters are validated as usual (a file parameter
        # cannot be given in JSON, so an upload endpoint answers 400 naming it)
        query = falcon.uri.parse_query_string(req.query_string, keep_blank=True, csv=False)
        if req.method == "GET":
            return query
        if query:
            raise EnvelopeError(
                400,
                f"parameters of {self.spec.module}/{self.spec.name} go in the JSON body "
                f"of the POST, not in the query string ({', '.join(query)})",
            )
        limit = self._settings.max_body_bytes
        # a chunked body has no Content-Length: read the raw (server-dechunked) stream, still bounded
        stream = req.bounded_stream if req.content_length is not None else req.stream
        if req.content_length is not None and req.content_length > limit:
            _drain(stream)
            raise EnvelopeError(
                413,
                f"request body of {req.content_length} bytes exceeds the limit of {limit} bytes",
                {"Connection": "close"},
            )
        body = stream.read(limit + 1)
        if len(body) > limit:
            _drain(stream)
            raise EnvelopeError(413, f"request body exceeds the limit of {limit} bytes", {"Connection": "close"})
        if not body.strip():
            return {}
        try:
            document = load_json(body)
        except ValueError as error:  # UnicodeDecodeError is one
            raise EnvelopeError(400, f"the request body is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise EnvelopeError(400, "the request body must be a JSON object of parameter names to values")
        return document

    def _respond(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            self._handle(req, resp)
        finally:
            for upload in getattr(req.context, "uploads", ()):
                discard(upload)  # the bytes of an upload the handler did not keep

    def _handle(self, req: falcon.Request, resp: falcon.Response) -> None:
        raw = self._raw_parameters(req)
        req.context.sent_parameters = {name for name, value in raw.items() if value is not None}
        params = validate(self.spec, raw, from_query=req.method == "GET")
        # seed 000's `timeout` parameters bound the request's statements (the server's timeout otherwise)
        database = self._database.with_statement_timeout(params.get("timeout") if self._has_timeout else None)
        call = Call(params=params, caller=req.context.identity, database=database, request=req, settings=self._settings)
        result = self.spec.handler(call)
        if isinstance(result, Reply):
            write(resp, 200, envelope(result.success, result.message, result.data))
        else:
            write(resp, 200, envelope(True, "", result))


class OpenApiResource:
    def __init__(self, document: dict[str, Any]):
        self._text = json.dumps(document, indent=1)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_JSON
        resp.text = self._text


class IsAliveResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "alive=yes"


class PandaApp(falcon.App):
    """The Falcon app, plus the database whose pool the server closes when a worker exits."""

    database: Database


def create_app(settings: ServiceSettings | None = None, database: Database | None = None) -> PandaApp:
    """The WSGI application.

    `database` is what the resources call (tests pass one on their own database); by default one is
    made from the settings, and its pool opens on the first request (post-fork under gunicorn)."""
    settings = settings or load_service_settings()
    if database is None:
        database = Database(
            settings.database_url or resolve_database_url(),
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            statement_timeout_ms=settings.statement_timeout_ms,
            checkout_timeout_s=settings.checkout_timeout_s,
            connect_timeout_s=settings.connect_timeout_s,
        )
    app = PandaApp(middleware=[AccessLog(), Authentication(settings, TokenVerifier(settings.issuers))])
    app.req_options.strip_url_path_trailing_slash = True
    install_error_handlers(app)
    endpoints = all_endpoints()
    for spec in endpoints:
        app.add_route(spec.path, EndpointResource(spec, database, settings))
    app.add_route("/api/v1/openapi.json", OpenApiResource(openapi_document(endpoints)))
    app.add_route("/server/panda/isAlive", IsAliveResource())
    # public, no envelope; with strip_url_path_trailing_slash this also serves /status_summary/
    app.add_route("/status_summary", StatusSummaryResource(database))
    app.add_route(AUTH_CONFIG_PATH, AuthConfigResource(settings))  # public: what panda-client's OIDC login reads
    app.add_route(file_server.CACHE_ROUTE, file_server.CacheFileResource(database, settings))
    app.database = database
    return app
