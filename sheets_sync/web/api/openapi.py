"""The OpenAPI 3.1 document of the sidebar API, served at ``/api/openapi.json``.

Operations are declared here as data; request and response schemas come from the pydantic
models the handlers use. A test checks that every ``/api`` route is documented and every
documented operation exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask import Response, jsonify
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

import sheets_sync
from sheets_sync.web.api import bp
from sheets_sync.web.api import connection_schemas as cs
from sheets_sync.web.api import schemas as s

_ID = {"type": "string", "pattern": "^[0-9a-f]{32}$"}


@dataclass(frozen=True)
class Operation:
    """One documented method on one path."""

    summary: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    query: dict[str, str] = field(default_factory=dict)
    public: bool = False


OPERATIONS: dict[str, dict[str, Operation]] = {
    "/openapi.json": {"get": Operation("This document", None, public=True)},
    "/me": {"get": Operation("The signed-in user", s.Me)},
    "/templates": {
        "get": Operation(
            "Template gallery",
            s.TemplateList,
            query={"audience": "executive, manager or analyst", "cadence": "e.g. weekly"},
        )
    },
    "/templates/{template_id}": {"get": Operation("One template", s.TemplateOut, errors=(404,))},
    "/connections": {
        "get": Operation("List connections", s.ConnectionList),
        "post": Operation(
            "Create a connection", s.ConnectionOut, 201, s.ConnectionIn, (400, 409, 422)
        ),
    },
    "/connections/{connection_id}": {
        "get": Operation("One connection", s.ConnectionOut, errors=(404,)),
        "patch": Operation(
            "Rename a connection or change its options and secrets",
            s.ConnectionOut,
            body=s.ConnectionPatch,
            errors=(400, 404, 422),
        ),
        "delete": Operation("Delete a connection", None, 204, errors=(404, 409)),
    },
    "/connections/{connection_id}/test": {
        "post": Operation("Test a connection", s.CheckOut, errors=(404,)),
    },
    "/reports": {
        "get": Operation("List reports", s.ReportList),
        "post": Operation(
            "Bind a spreadsheet to a template and connections",
            s.ReportOut,
            201,
            s.ReportIn,
            (400, 404, 409, 422),
        ),
    },
    "/reports/{report_id}": {
        "get": Operation("One report", s.ReportOut, errors=(404,)),
        "patch": Operation(
            "Change a report", s.ReportOut, body=s.ReportPatch, errors=(400, 404, 422)
        ),
        "delete": Operation("Delete a report and its history", None, 204, errors=(404,)),
    },
    "/reports/{report_id}/refresh": {
        "post": Operation("Refresh now (returns at once)", s.RunOut, 202, errors=(404, 409, 422)),
    },
    "/reports/{report_id}/runs": {
        "get": Operation(
            "Refresh history, newest first",
            s.RunList,
            errors=(404, 422),
            query={"limit": "1 to 100, default 20"},
        ),
    },
    "/runs/{run_id}": {
        "get": Operation("Status and progress of a refresh", s.RunOut, errors=(404,))
    },
    # Connecting accounts (docs/oauth.md).
    "/oauth/{provider}/authorize": {
        "post": Operation(
            "A one-time link starting the Google, Salesforce or HubSpot sign-in",
            cs.AuthorizeOut,
            body=cs.AuthorizeIn,
            errors=(400, 404, 422, 503),
        ),
    },
    "/google/authorization": {
        "get": Operation("Whether reports can be written as the user", cs.GoogleAuthorizationOut),
        "delete": Operation("Revoke the user's Google authorisation", None, 204),
    },
    "/templates/{template_id}/copy": {
        "post": Operation(
            "Create a spreadsheet from a template and bind it to a report",
            cs.CopyOut,
            201,
            cs.CopyIn,
            (400, 404, 409, 422),
        ),
    },
    "/uploads": {
        "get": Operation("The user's uploaded files", cs.UploadList),
        "post": Operation(
            "Upload a CSV or XLSX file (multipart/form-data, field 'file')",
            cs.UploadOut,
            201,
            errors=(400, 413, 422),
        ),
    },
}

# The schedule endpoints declare their operations beside their handlers and models.
from sheets_sync.web.api.schedules import operations as _schedule_operations  # noqa: E402

OPERATIONS.update(_schedule_operations())

_ERROR_TEXT = {
    400: "The body is not the expected JSON",
    401: "Not signed in, or the identity token is invalid or expired",
    403: "Signed in, but not allowed",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state",
    422: "A value is not acceptable",
    413: "The file is too large",
    503: "Not configured on this service",
}


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    """Every model the document refers to: bodies as validated, responses as serialised."""
    found: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {
        "ErrorBody": (s.ErrorBody, "serialization")
    }
    for methods in OPERATIONS.values():
        for op in methods.values():
            if op.response is not None:
                found[op.response.__name__] = (op.response, "serialization")
            if op.body is not None:
                found[op.body.__name__] = (op.body, "validation")
    return list(found.values())


def _operation(path: str, method: str, op: Operation) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": op.summary}
    if op.response is not None:
        ok["content"] = {"application/json": {"schema": _ref(op.response)}}
    elif op.public:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {str(op.status): ok}
    codes = op.errors if op.public else (401, 403, *op.errors)
    for code in sorted(set(codes)):
        responses[str(code)] = {
            "description": _ERROR_TEXT[code],
            "content": {"application/json": {"schema": _ref(s.ErrorBody)}},
        }
    document: dict[str, Any] = {
        "operationId": method + "_" + re.sub(r"[^a-z0-9]+", "_", path).strip("_"),
        "summary": op.summary,
        "responses": responses,
    }
    params = [
        {
            "name": name[1:-1],
            "in": "path",
            "required": True,
            "schema": _ID if name.endswith("_id}") else {"type": "string"},
        }
        for name in path.split("/")
        if name.startswith("{")
    ]
    if "{template_id}" in path:
        params = [
            {"name": "template_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ]
    params += [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": text,
            "schema": {"type": "string"},
        }
        for name, text in op.query.items()
    ]
    if params:
        document["parameters"] = params
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    if op.public:
        document["security"] = []
    return document


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


@cache
def openapi_spec() -> dict[str, Any]:
    """The whole OpenAPI document (built once; it depends on code only)."""
    _, defs = models_json_schema(
        _models(),
        ref_template="#/components/schemas/{model}",
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sheets-sync sidebar API",
            "version": sheets_sync.__version__,
            "description": "The API the Google Sheets add-on's sidebar calls. Errors are "
            '{"error": {"code", "message"}}; the message is written for the user.',
        },
        "servers": [{"url": "/api"}],
        "security": [{"googleIdToken": []}],
        "paths": {
            path: {method: _operation(path, method, op) for method, op in methods.items()}
            for path, methods in OPERATIONS.items()
        },
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "googleIdToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "The user's Google identity token "
                    "(ScriptApp.getIdentityToken with the openid scope).",
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """Serve the OpenAPI document (no sign-in needed)."""
    return jsonify(openapi_spec())
