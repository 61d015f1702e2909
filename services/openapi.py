"""The OpenAPI 3 document, generated from the Endpoint declarations the server validates with."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pandadb import __version__
from services.file_server import CACHE_PATH, cache_path_item
from services.spec import Endpoint, object_schema
from services.status_summary import PATH as STATUS_SUMMARY_PATH
from services.status_summary import openapi_path_item as status_summary_path_item

ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["success", "message", "data"],
    "properties": {
        "success": {"type": "boolean"},
        "message": {"type": "string", "description": "an error when success is false; may be ignored otherwise"},
        "data": {"description": "the data returned when the operation was successful"},
    },
}


def _responses(spec: Endpoint) -> dict[str, Any]:
    envelope = {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}
    responses: dict[str, Any] = {
        "200": {
            "description": "the call was made; success false carries the stored logic's refusal",
            "content": envelope,
        },
        "400": {
            "description": "invalid request: unknown or missing parameter, wrong type, body not JSON",
            "content": envelope,
        },
    }
    if spec.method == "POST":
        responses["413"] = {"description": "request body too large", "content": envelope}
    if spec.secure:
        responses["401"] = {"description": "no, invalid or expired bearer token", "content": envelope}
        responses["403"] = {
            "description": "plain HTTP, token without a group of the Origin VO, or missing role",
            "content": envelope,
        }
    responses["500"] = {"description": "unexpected server error (details in the server log only)", "content": envelope}
    responses["503"] = {"description": "the database is unavailable; retry later", "content": envelope}
    return responses


def _operation(spec: Endpoint) -> dict[str, Any]:
    notes = []
    if spec.secure:
        notes.append("Requires a secure connection" + (" and production role." if spec.production else "."))
    operation: dict[str, Any] = {
        "operationId": f"{spec.module}_{spec.name}",
        "tags": [spec.module],
        "summary": spec.summary,
        "description": " ".join([spec.summary, *notes]),
        "responses": _responses(spec),
        "x-requires-secure-connection": spec.secure,
        "x-requires-production-role": spec.production,
    }
    if spec.secure:
        operation["security"] = [{"bearerAuth": []}]
        parameters = [
            {
                "name": "Origin",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "the VO the caller acts for; the token must carry a group of it",
            }
        ]
    else:
        operation["security"] = []
        parameters = []
    if spec.method == "GET":
        for param in spec.params:
            parameters.append(
                {
                    "name": param.name,
                    "in": "query",
                    "required": param.required,
                    "description": param.description,
                    "schema": param.schema(),
                    **({"style": "form", "explode": True} if param.type == "array" else {}),
                }
            )
        if spec.extra_params:
            parameters.append(
                {
                    "name": "attributes",
                    "in": "query",
                    "required": False,
                    "style": "form",
                    "explode": True,
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                    "description": "any further parameters, echoed back",
                }
            )
    else:
        schema = object_schema(spec.params)
        if spec.extra_params:
            schema["additionalProperties"] = True
        media_type = "multipart/form-data" if spec.multipart else "application/json"
        operation["requestBody"] = {
            "required": any(p.required for p in spec.params),
            "content": {media_type: {"schema": schema}},
        }
    if parameters:
        operation["parameters"] = parameters
    return operation


def openapi_document(endpoints: list[Endpoint]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for spec in sorted(endpoints, key=lambda s: s.path):
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
        if spec.also_post:
            post = _operation(replace(spec, method="POST"))
            paths[spec.path]["post"] = {**post, "operationId": post["operationId"] + "_post"}
    paths["/server/panda/isAlive"] = {
        "get": {
            "operationId": "legacy_is_alive",
            "tags": ["system"],
            "security": [],
            "summary": "Liveness probe: answers the text alive=yes",
            "responses": {
                "200": {
                    "description": "alive",
                    "content": {"text/plain": {"schema": {"type": "string", "example": "alive=yes"}}},
                }
            },
        }
    }
    paths[STATUS_SUMMARY_PATH] = status_summary_path_item()
    paths[CACHE_PATH] = cache_path_item()
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "PanDA DB REST API",
            "version": f"v1 ({__version__})",
            "description": "PanDA REST API v1 over the PanDA DB stored logic. Responses are the envelope "
            "{success, message, data}. GET parameters go in the query string, POST parameters "
            "in a JSON body. Authenticate with an OIDC token (Authorization: Bearer) and the "
            "VO in the Origin header.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Envelope": ENVELOPE_SCHEMA},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
