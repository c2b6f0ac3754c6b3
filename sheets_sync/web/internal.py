"""Cron and task handlers blueprint, mounted at ``/internal``.

Only the health check exists so far. The scheduler's dispatch endpoint (called by App Engine
cron, accepted only with the ``X-Appengine-Cron`` header that App Engine strips from outside
requests) and the refresh task handler (accepted only with Cloud Tasks' ``X-CloudTasks-*``
headers) will be added here; the task handler calls
:func:`sheets_sync.web.services.runs.execute_run` with the run id, exactly as the local thread
pool does.
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
