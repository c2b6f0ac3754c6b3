"""Reports: a spreadsheet bound to a template, the user's connections and report settings.

``settings`` holds the ``report:`` keys of a refresh config (title, timezone, date_range,
comparison, granularity, currency, currency_rates, raw_data_max_rows, theme colours and font),
validated by the same model as YAML configs. Keys that name server files (``custom_metrics``,
``theme.logo``) are refused: a report cannot make the service read a path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sheets_sync.config import RefreshConfig, ReportConfig, parse_config
from sheets_sync.db.models import Connection, Report, ReportConnection
from sheets_sync.secrets import KeyRing
from sheets_sync.web.services.connections import get_connection, source_options
from sheets_sync.web.services.errors import Conflict, InvalidInput, NotFound
from sheets_sync.web.services.record_stores import delete_report_records
from sheets_sync.web.services.templates import Gallery

# Google spreadsheet ids are URL-safe base64-ish strings; local reports may use any short slug.
_SPREADSHEET_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_REFUSED_SETTINGS = ("template", "custom_metrics")


def get_report(session: Session, user_id: str, report_id: str) -> Report:
    """The user's report ``report_id``, or :class:`NotFound`."""
    report = session.scalar(select(Report).where(Report.id == report_id, Report.user_id == user_id))
    if report is None:
        raise NotFound("This report does not exist or was deleted.", "report_not_found")
    return report


def list_reports(session: Session, user_id: str) -> list[Report]:
    """The user's reports, newest first."""
    return list(
        session.scalars(
            select(Report)
            .where(Report.user_id == user_id)
            .order_by(Report.created_at.desc(), Report.id)
        )
    )


def create_report(
    session: Session,
    gallery: Gallery,
    user_id: str,
    *,
    spreadsheet_id: str,
    template_id: str,
    connection_ids: Sequence[str],
    title: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Report:
    """Bind ``spreadsheet_id`` to a template and connections; one report per spreadsheet."""
    if not _SPREADSHEET_ID.match(spreadsheet_id):
        raise InvalidInput(
            "The spreadsheet id must be the id from the spreadsheet's URL "
            "(letters, digits, - and _).",
            "invalid_spreadsheet_id",
        )
    template = gallery.get(template_id)
    clean = validate_settings(settings or {})
    report = Report(
        user_id=user_id,
        spreadsheet_id=spreadsheet_id,
        template_id=template.id,
        title=title or clean.get("title") or template.name,
        settings=clean,
    )
    report.links = _links(session, user_id, connection_ids)
    session.add(report)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            "This spreadsheet already has a report; refresh or change that one instead.",
            "spreadsheet_already_bound",
        ) from None
    return report


def update_report(
    session: Session,
    gallery: Gallery,
    user_id: str,
    report_id: str,
    *,
    title: str | None = None,
    template_id: str | None = None,
    connection_ids: Sequence[str] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Report:
    """Change a report's title, template, connections or settings (``None`` keeps them)."""
    report = get_report(session, user_id, report_id)
    if template_id is not None:
        report.template_id = gallery.get(template_id).id
    if settings is not None:
        report.settings = validate_settings(settings)
    if title is not None:
        report.title = title
    if connection_ids is not None:
        report.links.clear()
        session.flush()  # the old links must be gone before the same pairs are inserted again
        report.links.extend(_links(session, user_id, connection_ids))
    session.flush()
    return report


def delete_report(session: Session, user_id: str, report_id: str) -> None:
    """Delete a report with its schedule, runs, cursors and cached records (the spreadsheet
    itself stays)."""
    session.delete(get_report(session, user_id, report_id))
    delete_report_records(session, report_id)
    session.flush()


def validate_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Check report settings with the refresh config's own model; return them as given."""
    refused = [k for k in _REFUSED_SETTINGS if k in settings]
    theme = settings.get("theme")
    if isinstance(theme, Mapping) and "logo" in theme:
        refused.append("theme.logo")
    if refused:
        raise InvalidInput(
            f"settings.{refused[0]} cannot be set on a report; "
            + (
                "choose the template with template_id."
                if refused[0] == "template"
                else "it names a file on the server."
            ),
            "invalid_settings",
        )
    try:
        ReportConfig.model_validate(dict(settings))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p not in ("str", "CustomRange"))
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"settings.{where}: {message}.", "invalid_settings") from None
    return dict(settings)


def report_connections(report: Report) -> list[Connection]:
    """The connections a report reads, in order."""
    return [link.connection for link in report.links]


def refresh_config(
    report: Report,
    keyring: KeyRing,
    upload_dir: Path,
    state_dir: Path,
    destination: Mapping[str, Any],
) -> RefreshConfig:
    """The refresh config of ``report``: its settings, its connections' sources, a destination.

    Secrets are decrypted into the source options only here, in memory, for the refresh.
    """
    sources = [
        {"type": c.type, "name": c.name, "options": source_options(keyring, c)}
        for c in report_connections(report)
    ]
    if not sources:
        raise InvalidInput(
            "This report has no connections; add at least one before refreshing.",
            "no_connections",
        )
    data = {
        "report": {**report.settings, "template": report.template_id, "title": report.title},
        "sources": sources,
        "destination": dict(destination),
        "state_dir": str(state_dir),
    }
    # File sources resolve their relative paths against the user's upload folder.
    return parse_config(data, origin=f"report {report.title!r}", base_dir=upload_dir)


def _links(session: Session, user_id: str, connection_ids: Sequence[str]) -> list[ReportConnection]:
    if len(set(connection_ids)) != len(connection_ids):
        raise InvalidInput("A connection is listed twice.", "duplicate_connection")
    links = []
    for position, connection_id in enumerate(connection_ids):
        connection = get_connection(session, user_id, connection_id)
        links.append(
            ReportConnection(connection_id=connection.id, connection=connection, position=position)
        )
    return links
