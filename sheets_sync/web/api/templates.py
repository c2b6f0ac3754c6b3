"""Template gallery endpoints."""

from __future__ import annotations

from flask import Response, request

from sheets_sync.web.api import bp
from sheets_sync.web.api.body import send
from sheets_sync.web.api.schemas import TemplateList, TemplateOut
from sheets_sync.web.extensions import templates


@bp.get("/templates")
def list_templates() -> tuple[Response, int]:
    """The gallery, optionally filtered by ``?audience=`` and ``?cadence=``."""
    entries = templates.gallery.entries(
        audience=request.args.get("audience") or None,
        cadence=request.args.get("cadence") or None,
    )
    return send(TemplateList(templates=[TemplateOut.model_validate(e) for e in entries]))


@bp.get("/templates/<template_id>")
def get_template(template_id: str) -> tuple[Response, int]:
    """One template's audience, use case, tabs and metrics."""
    gallery = templates.gallery
    return send(TemplateOut.model_validate(gallery.describe(gallery.get(template_id))))
