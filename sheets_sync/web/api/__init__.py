"""The sidebar API blueprint, mounted at ``/api``.

Every endpoint except the OpenAPI document requires a signed-in caller (see
:mod:`sheets_sync.web.auth`); every handler passes the caller's user id to the service
functions, which filter every query by it.
"""

from __future__ import annotations

from flask import Blueprint, request

from sheets_sync.web.auth import sign_in

bp = Blueprint("api", __name__, url_prefix="/api")
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document"})


@bp.before_request
def _require_sign_in() -> None:
    if request.endpoint not in PUBLIC_ENDPOINTS:
        sign_in()


# Route modules register their handlers on ``bp`` when imported.
from sheets_sync.web.api import (  # noqa: E402
    connection_oauth,
    connections,
    me,
    openapi,
    reports,
    runs,
    schedules,
    templates,
)

__all__ = [
    "bp",
    "connection_oauth",
    "connections",
    "me",
    "openapi",
    "reports",
    "runs",
    "schedules",
    "templates",
]
