"""Connecting accounts: OAuth links, the user's Google authorisation, template copies, uploads.

- ``POST /api/oauth/{provider}/authorize``: a one-time link starting the Google, Salesforce or
  HubSpot flow (see :mod:`sheets_sync.web.oauth` for the browser side);
- ``GET, DELETE /api/google/authorization``: what the user granted; revoke it;
- ``POST /api/templates/{template_id}/copy``: a new spreadsheet from a template, as the user;
- ``GET, POST /api/uploads``: the user's CSV/XLSX files for file connections.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, request

from sheets_sync.db.models import User
from sheets_sync.web.api import bp
from sheets_sync.web.api.body import parse, send
from sheets_sync.web.api.connection_schemas import (
    AuthorizeIn,
    AuthorizeOut,
    CopyIn,
    CopyOut,
    GoogleAuthorizationOut,
    UploadList,
    UploadOut,
)
from sheets_sync.web.api.reports import report_out
from sheets_sync.web.auth import current_user_id
from sheets_sync.web.extensions import db, keys, templates
from sheets_sync.web.services.connections import get_connection, user_upload_dir
from sheets_sync.web.services.destinations import copy_template
from sheets_sync.web.services.errors import InvalidInput
from sheets_sync.web.services.oauth import STATE_TTL, begin_authorization
from sheets_sync.web.services.oauth_clients import oauth_client
from sheets_sync.web.services.oauth_google import google_authorization, revoke_google
from sheets_sync.web.services.uploads import list_uploads, save_upload
from sheets_sync.web.settings import Settings

# Multipart overhead allowed on top of the per-file limit.
UPLOAD_ENVELOPE_BYTES = 64 * 1024


def _settings() -> Settings:
    settings: Settings = current_app.config["SHEETS_SYNC"]
    return settings


def _user() -> User:
    user = db.session.get(User, current_user_id())
    assert user is not None  # the API signs the caller in before every handler
    return user


@bp.post("/oauth/<provider>/authorize")
def authorize(provider: str) -> tuple[Response, int]:
    """A one-time link that starts connecting ``provider`` in a new browser window."""
    body = parse(AuthorizeIn)
    settings = _settings()
    client = oauth_client(settings, provider, sandbox=body.sandbox)  # refuses unknown ones
    user = _user()
    params: dict[str, object] = {
        "redirect_uri": _base_url(settings) + f"/oauth/{provider}/callback",
        "sandbox": body.sandbox,
        "options": body.options,
    }
    if provider == "google":
        if not user.google_token_encrypted:
            # Consent on the first grant makes Google return a refresh token.
            params["authorize_params"] = {"prompt": "consent"}
    elif body.connection_id:
        params["connection_id"] = get_connection(db.session, user.id, body.connection_id).id
    elif body.name:
        params.update(name=body.name, label=body.label or body.name)
    else:
        raise InvalidInput(
            "Give the new connection a name, or the connection_id to re-authorise.",
            "invalid_request",
        )
    state = begin_authorization(db.session, keys.ring, user.id, client, params)
    db.session.commit()
    url = _base_url(settings) + f"/oauth/{provider}/start?state={state}"
    return send(AuthorizeOut(authorization_url=url, expires_in=int(STATE_TTL.total_seconds())))


@bp.get("/google/authorization")
def get_google_authorization() -> tuple[Response, int]:
    """Whether the service may write spreadsheets as the user."""
    granted = google_authorization(keys.ring, _user())
    return send(
        GoogleAuthorizationOut(
            authorized=granted is not None,
            scopes=(granted or {}).get("scopes", []),
            granted_at=(granted or {}).get("granted_at"),
        )
    )


@bp.delete("/google/authorization")
def delete_google_authorization() -> tuple[str, int]:
    """Revoke the user's Google authorisation at Google and forget the token."""
    revoke_google(_settings(), keys.ring, _user())
    db.session.commit()
    return "", 204


@bp.post("/templates/<template_id>/copy")
def copy(template_id: str) -> tuple[Response, int]:
    """Create a spreadsheet from the template in the user's Drive and bind it to a report."""
    body = parse(CopyIn)
    copied = copy_template(
        db.session,
        _settings(),
        keys.ring,
        templates.gallery,
        current_user_id(),
        template_id=template_id,
        connection_ids=body.connection_ids,
        title=body.title,
        report_settings=body.settings,
    )
    db.session.commit()
    return send(CopyOut(report=report_out(copied.report), url=copied.url), 201)


@bp.get("/uploads")
def uploads() -> tuple[Response, int]:
    """The user's uploaded files."""
    folder = user_upload_dir(Path(_settings().data_dir), current_user_id())
    return send(UploadList(files=[UploadOut(path=n, size=s) for n, s in list_uploads(folder)]))


@bp.post("/uploads")
def upload() -> tuple[Response, int]:
    """Store one CSV or XLSX file (multipart field ``file``) in the user's upload folder."""
    settings = _settings()
    # The app-wide 2 MB body limit is for JSON; uploads get the per-file limit plus envelope.
    request.max_content_length = settings.max_upload_bytes + UPLOAD_ENVELOPE_BYTES
    part = request.files.get("file")
    if part is None or not part.filename:
        raise InvalidInput(
            "Send the file as multipart/form-data in a field named 'file'.", "invalid_request"
        )
    folder = user_upload_dir(Path(settings.data_dir), current_user_id())
    name, size = save_upload(folder, part.filename, part.stream, settings.max_upload_bytes)
    return send(UploadOut(path=name, size=size), 201)


def _base_url(settings: Settings) -> str:
    return (settings.public_url or request.url_root).rstrip("/")
