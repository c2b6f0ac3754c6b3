"""Internal endpoints blueprint, mounted at ``/internal``: the health check.

The scheduler's cron dispatch endpoint and Cloud Tasks refresh handler share the ``/internal``
prefix in their own blueprint, :mod:`sheets_sync.web.scheduling`.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from sheets_sync.web.extensions import db

bp = Blueprint("internal", __name__, url_prefix="/internal")


@bp.get("/health")
def health() -> tuple[Response, int]:
    """200 when the database answers, 503 otherwise (for load balancers and uptime checks)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ok"}), 200
