"""Errors as JSON for the API: ``{"error": {"code": ..., "message": ...}}``.

Messages are written for the person using the sidebar; internal details go to the log only.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from sheets_sync.errors import SheetsSyncError
from sheets_sync.web.identity import AuthError
from sheets_sync.web.services.errors import ServiceError

log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    400: ("bad_request", "The request could not be read; send JSON with the documented fields."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("too_large", "The request is too large."),
    415: ("unsupported_media_type", "Send the request body as JSON (application/json)."),
}


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    """A JSON error body with ``status``."""
    return jsonify({"error": {"code": code, "message": message}}), status


def register_api_errors(app: Flask, prefix: str = "/api/") -> None:
    """Answer errors under ``prefix`` with JSON; other paths keep Flask's HTML pages."""

    @app.errorhandler(AuthError)
    def _auth(err: AuthError) -> tuple[Response, int]:
        return error_response(err.status, err.code, str(err))

    @app.errorhandler(ServiceError)
    def _service(err: ServiceError) -> tuple[Response, int]:
        return error_response(err.status, err.code, str(err))

    @app.errorhandler(SheetsSyncError)
    def _domain(err: SheetsSyncError) -> tuple[Response, int]:
        return error_response(422, "invalid_input", str(err))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Any:
        if not request.path.startswith(prefix):
            return err
        status = err.code or 500
        code, message = _HTTP_MESSAGES.get(status, ("http_error", err.description or ""))
        return error_response(status, code, message)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(
            500,
            "internal_error",
            "Something went wrong on our side; try again, and contact the administrator if it "
            "keeps happening.",
        )
