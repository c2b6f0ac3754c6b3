"""Where a report is written: a local .xlsx file, or Google Sheets as the report's owner.

:func:`destination_choice` is what the app factory hands to the run environment. In production
(and locally with ``SHEETS_SYNC_GSHEETS_LOCALLY``) every report is written to its Google
spreadsheet with the owner's own OAuth credentials, so the writes use their quota and reach only
files they can open. :func:`copy_template` creates a new spreadsheet from a template with the
same credentials and binds it to a new report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, object_session

from sheets_sync.db.models import Report, User
from sheets_sync.destinations.gsheets import GoogleSheetsDestination
from sheets_sync.destinations.gsheets.settings import GoogleSheetsSettings
from sheets_sync.document import Tab, Theme, Workbook
from sheets_sync.secrets import KeyRing
from sheets_sync.web.services.connections import get_connection
from sheets_sync.web.services.errors import NotFound
from sheets_sync.web.services.oauth_google import user_credentials
from sheets_sync.web.services.reports import create_report, validate_settings
from sheets_sync.web.services.runs import xlsx_destination
from sheets_sync.web.services.templates import Gallery
from sheets_sync.web.settings import Settings

DestinationFor = Callable[[Report, Path], Mapping[str, Any]]


@dataclass(frozen=True)
class CopiedReport:
    """A report bound to a spreadsheet just created from its template."""

    report: Report
    url: str


def writes_to_google(settings: Settings) -> bool:
    """Whether reports go to Google Sheets (production, or local when configured)."""
    return settings.production or settings.gsheets_locally


def destination_choice(settings: Settings, keyring: KeyRing) -> DestinationFor:
    """The function giving a report's destination options, for the run environment."""
    if not writes_to_google(settings):
        return xlsx_destination

    def google_sheets(report: Report, data_dir: Path) -> dict[str, Any]:
        session = object_session(report)
        user = session.get(User, report.user_id) if session is not None else None
        if user is None:
            raise NotFound("The owner of this report no longer exists.", "user_not_found")
        return gsheets_options(settings, keyring, user, report.spreadsheet_id)

    return google_sheets


def gsheets_options(
    settings: Settings, keyring: KeyRing, user: User, spreadsheet_id: str | None
) -> dict[str, Any]:
    """``destination`` options of a refresh config writing as ``user``.

    The credentials object goes in as is (never serialised): it refreshes with the user's
    token and only the scopes they granted.
    """
    return {
        "type": "gsheets",
        "options": {
            "spreadsheet_id": spreadsheet_id,
            "credentials": user_credentials(settings, keyring, user),
            "sheets_endpoint": settings.sheets_endpoint,
            "drive_endpoint": settings.drive_endpoint,
            # Per-user quota is counted per user id, never per e-mail (ids are not personal).
            "user_key": user.id,
        },
    }


def copy_template(
    session: Session,
    settings: Settings,
    keyring: KeyRing,
    gallery: Gallery,
    user_id: str,
    *,
    template_id: str,
    connection_ids: Sequence[str],
    title: str | None = None,
    report_settings: Mapping[str, Any] | None = None,
) -> CopiedReport:
    """Create a spreadsheet from ``template_id`` in the user's Drive and bind it to a report.

    Everything that can be refused is checked before the spreadsheet is created, so a refused
    request leaves nothing behind in the user's Drive.
    """
    template = gallery.get(template_id)
    clean = validate_settings(report_settings or {})
    for connection_id in connection_ids:
        get_connection(session, user_id, connection_id)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Sign in again: your account was not found.", "user_not_found")
    name = title or clean.get("title") or template.name
    options = gsheets_options(settings, keyring, user, None)["options"]
    destination = GoogleSheetsDestination(
        None,
        credentials=options["credentials"],
        settings=GoogleSheetsSettings(
            sheets_endpoint=settings.sheets_endpoint,
            drive_endpoint=settings.drive_endpoint,
            user_key=user.id,
        ),
    )
    skeleton = Workbook(
        title=name,
        tabs=[Tab(name=tab.name) for tab in template.tabs],
        theme=Theme(title=name),
        timezone=str(clean.get("timezone") or "UTC"),
        template_id=template.id,
    )
    created = destination.create(skeleton)
    report = create_report(
        session,
        gallery,
        user_id,
        spreadsheet_id=created.spreadsheet_id,
        template_id=template.id,
        connection_ids=connection_ids,
        title=name,
        settings=clean,
    )
    return CopiedReport(report, created.url)
