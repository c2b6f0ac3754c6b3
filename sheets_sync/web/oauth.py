"""OAuth callbacks blueprint, mounted at ``/oauth``: the browser side of every OAuth flow.

The sidebar asks ``POST /api/oauth/<provider>/authorize`` (signed in) for a link and opens it
in a new window. That window then visits:

- ``GET /oauth/<provider>/start?state=...``: binds the pending state to this browser with a
  first-party cookie and redirects to the provider (state, PKCE challenge, scopes);
- ``GET /oauth/<provider>/callback?state=...&code=...``: checks and consumes the state, exchanges
  the code, and stores the tokens: Google's on the user, Salesforce's and HubSpot's on a
  connection. The page says what happened; the user closes it and goes back to the sidebar.

The pages are small HTML documents (the window is a person's browser, not the API client).
"""

from __future__ import annotations

import html
import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

from sheets_sync.db.models import User
from sheets_sync.web.extensions import db, keys
from sheets_sync.web.services.connections import user_upload_dir
from sheets_sync.web.services.errors import ServiceError
from sheets_sync.web.services.oauth import (
    STATE_TTL,
    OAuthError,
    consume_state,
    exchange_code,
    start_authorization,
)
from sheets_sync.web.services.oauth_clients import oauth_client
from sheets_sync.web.services.oauth_crm import complete_crm_authorization
from sheets_sync.web.services.oauth_google import store_google_token
from sheets_sync.web.settings import Settings

bp = Blueprint("oauth", __name__, url_prefix="/oauth")
NONCE_COOKIE = "sheets_sync_oauth_{provider}"


def _settings() -> Settings:
    settings: Settings = current_app.config["SHEETS_SYNC"]
    return settings


def _client_for(provider: str) -> Any:
    settings = _settings()
    return lambda params: oauth_client(settings, provider, sandbox=bool(params.get("sandbox")))


@bp.get("/<provider>/start")
def start(provider: str) -> WerkzeugResponse:
    """Bind the authorisation to this browser and send it to the provider."""
    nonce = secrets.token_urlsafe(32)
    url = start_authorization(
        db.session,
        keys.ring,
        provider,
        _client_for(provider),
        request.args.get("state", ""),
        nonce,
    )
    db.session.commit()
    response = redirect(url, 302)
    response.set_cookie(
        NONCE_COOKIE.format(provider=provider),
        nonce,
        max_age=int(STATE_TTL.total_seconds()),
        path=f"/oauth/{provider}/",
        secure=request.is_secure or _settings().production,
        httponly=True,
        # Lax: the provider's redirect back is a top-level GET, which still carries it.
        samesite="Lax",
    )
    return response


@bp.get("/<provider>/callback")
def callback(provider: str) -> tuple[str, int, dict[str, str]]:
    """Finish the authorisation: check the state, exchange the code, store the tokens."""
    session = db.session
    cookie = NONCE_COOKIE.format(provider=provider)
    try:
        consumed = consume_state(
            session, keys.ring, provider, request.args.get("state"), request.cookies.get(cookie)
        )
    finally:
        # The state is spent whatever happens next, refused or not: commit its deletion.
        session.commit()
    if request.args.get("error"):
        raise OAuthError(
            f"The authorisation was not granted ({request.args['error'][:64]}); start "
            "connecting again from the sidebar if you want to connect.",
            "oauth_denied",
        )
    code = request.args.get("code")
    if not code:
        raise OAuthError(
            "The provider sent no authorization code; start connecting again from the sidebar.",
            "oauth_code_missing",
        )
    settings = _settings()
    client = oauth_client(settings, provider, sandbox=bool(consumed.params.get("sandbox")))
    tokens = exchange_code(client, code, consumed)
    if provider == "google":
        user = session.get(User, consumed.user_id)
        if user is None:
            raise OAuthError("Your account no longer exists; sign in again.", "user_not_found")
        store_google_token(keys.ring, user, client, tokens)
        what = "Google is connected: reports can now be written to your spreadsheets."
    else:
        upload_dir = user_upload_dir(Path(settings.data_dir), consumed.user_id)
        connection = complete_crm_authorization(
            session, keys.ring, settings, client, consumed, tokens, upload_dir
        )
        what = f"{client.label} is connected as {connection.label!r}."
    session.commit()
    return _page("Connected", what + " You can close this window and go back to the sidebar.")


@bp.errorhandler(ServiceError)
def _refused(err: ServiceError) -> tuple[str, int, dict[str, str]]:
    db.session.rollback()
    return _page("Not connected", str(err), err.status)


def _page(title: str, message: str, status: int = 200) -> tuple[str, int, dict[str, str]]:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} - sheets-sync</title></head><body>"
        f'<main><h1>{html.escape(title)}</h1><p role="status">{html.escape(message)}</p>'
        "</main></body></html>"
    )
    # The URL carries the authorization code: never cache the page or send it as a referrer.
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": "default-src 'none'",
    }
    return body, status, headers
