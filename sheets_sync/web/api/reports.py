"""Report endpoints: list, create (bind a spreadsheet), read, update, delete."""

from __future__ import annotations

from flask import Response

from sheets_sync.db.models import Report
from sheets_sync.web.api import bp
from sheets_sync.web.api.body import parse, send
from sheets_sync.web.api.schemas import ReportIn, ReportList, ReportOut, ReportPatch
from sheets_sync.web.auth import current_user_id
from sheets_sync.web.extensions import db, templates
from sheets_sync.web.services import reports as service


def report_out(report: Report) -> ReportOut:
    """The API view of ``report``."""
    return ReportOut(
        id=report.id,
        spreadsheet_id=report.spreadsheet_id,
        template_id=report.template_id,
        title=report.title,
        connection_ids=report.connection_ids,
        settings=report.settings,
        created_at=report.created_at,
        updated_at=report.updated_at,
    )


@bp.get("/reports")
def list_reports() -> tuple[Response, int]:
    """The user's reports, newest first."""
    found = service.list_reports(db.session, current_user_id())
    return send(ReportList(reports=[report_out(r) for r in found]))


@bp.post("/reports")
def create_report() -> tuple[Response, int]:
    """Bind a spreadsheet to a template, connections and settings."""
    body = parse(ReportIn)
    report = service.create_report(
        db.session,
        templates.gallery,
        current_user_id(),
        spreadsheet_id=body.spreadsheet_id,
        template_id=body.template_id,
        connection_ids=body.connection_ids,
        title=body.title,
        settings=body.settings,
    )
    db.session.commit()
    return send(report_out(report), 201)


@bp.get("/reports/<report_id>")
def get_report(report_id: str) -> tuple[Response, int]:
    """One report."""
    return send(report_out(service.get_report(db.session, current_user_id(), report_id)))


@bp.patch("/reports/<report_id>")
def update_report(report_id: str) -> tuple[Response, int]:
    """Change a report's template, connections, title or settings."""
    body = parse(ReportPatch)
    report = service.update_report(
        db.session,
        templates.gallery,
        current_user_id(),
        report_id,
        title=body.title,
        template_id=body.template_id,
        connection_ids=body.connection_ids,
        settings=body.settings,
    )
    db.session.commit()
    return send(report_out(report))


@bp.delete("/reports/<report_id>")
def delete_report(report_id: str) -> tuple[str, int]:
    """Delete a report, its schedule and its history (the spreadsheet is not touched)."""
    service.delete_report(db.session, current_user_id(), report_id)
    db.session.commit()
    return "", 204
