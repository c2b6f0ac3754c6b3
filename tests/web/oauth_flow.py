"""Helpers of the OAuth tests: settings pointing at the emulators, and one browser round trip."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.emulators.google_oauth.server import CLIENT_ID, CLIENT_SECRET, GoogleOAuthEmulator
from tests.web.helpers import call

ANA_SUBJECT = "108000000000000000001"  # the subject of the ``ana`` fixture's identity token


def google_settings(emulator: GoogleOAuthEmulator) -> dict[str, Any]:
    """Service settings using ``emulator`` as Google's OAuth server."""
    return {
        "google_oauth_client_id": CLIENT_ID,
        "google_oauth_client_secret": CLIENT_SECRET,
        "google_auth_uri": emulator.auth_uri,
        "google_token_uri": emulator.token_uri,
        "google_revoke_uri": emulator.revoke_uri,
    }


def start_google(client: FlaskClient, headers: dict[str, str]) -> TestResponse:
    """Ask the API for a Google link and open it; returns the redirect to Google."""
    link = call(client, "POST", "/oauth/{provider}/authorize", headers, {}, provider="google")
    assert link.status_code == 200, link.get_json()
    opened = client.get(link.get_json()["authorization_url"])
    assert opened.status_code == 302, opened.get_data(as_text=True)
    return opened


def connect_google(
    client: FlaskClient,
    headers: dict[str, str],
    emulator: GoogleOAuthEmulator,
    granted: list[str] | None = None,
) -> TestResponse:
    """The whole browser round trip; returns the callback page."""
    answer = emulator.authorize(start_google(client, headers).headers["Location"], granted)
    return client.get("/oauth/google/callback", query_string=answer)
