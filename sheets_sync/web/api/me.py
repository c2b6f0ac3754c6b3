"""Who the API thinks the caller is."""

from __future__ import annotations

from flask import Response, g

from sheets_sync.web.api import bp
from sheets_sync.web.api.body import send
from sheets_sync.web.api.schemas import Me


@bp.get("/me")
def me() -> tuple[Response, int]:
    """The signed-in user."""
    return send(Me(id=g.user.id, email=g.user.email))
