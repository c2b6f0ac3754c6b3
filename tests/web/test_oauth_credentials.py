"""Credentials built from a stored Google grant, and where the service writes reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from google.auth.transport.requests import Request as GoogleRequest

from sheets_sync.db.models import Report, User
from sheets_sync.errors import DestinationError
from sheets_sync.secrets import KeyRing, generate_key
from sheets_sync.web.services.destinations import destination_choice
from sheets_sync.web.services.oauth_google import (
    GoogleReauthorizationNeeded,
    user_credentials,
)
from sheets_sync.web.services.runs import xlsx_destination
from sheets_sync.web.settings import Settings, load_settings
from tests.emulators.google_oauth.server import CLIENT_ID, CLIENT_SECRET, GoogleOAuthEmulator, Grant

DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"


@pytest.fixture
def oauth_server() -> Iterator[GoogleOAuthEmulator]:
    emulator = GoogleOAuthEmulator("1", "ana@acme.example").start()
    emulator.refresh_tokens["1//granted"] = Grant(["openid", "email", DRIVE_FILE])
    yield emulator
    emulator.stop()


def _settings(oauth_server: GoogleOAuthEmulator, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "google_oauth_client_id": CLIENT_ID,
        "google_oauth_client_secret": CLIENT_SECRET,
        "google_token_uri": oauth_server.token_uri,
        **overrides,
    }
    return load_settings(environ={}, check=False, **values)


def _user(ring: KeyRing, refresh_token: str = "1//granted") -> User:
    user = User(id="u" * 32, subject="1", email="ana@acme.example")
    user.google_token_encrypted = ring.encrypt_json(
        {"refresh_token": refresh_token, "scopes": ["openid", "email", DRIVE_FILE]}
    )
    return user


def test_credentials_refresh_with_only_the_granted_scopes(
    oauth_server: GoogleOAuthEmulator,
) -> None:
    ring = KeyRing([generate_key()])
    credentials = user_credentials(_settings(oauth_server), ring, _user(ring))
    credentials.refresh(GoogleRequest())
    assert credentials.token in oauth_server.access_tokens
    (_, form) = oauth_server.requests[-1]
    assert form["scope"] == DRIVE_FILE  # never a scope the user did not grant


def test_a_revoked_grant_asks_to_reauthorize(oauth_server: GoogleOAuthEmulator) -> None:
    ring = KeyRing([generate_key()])
    oauth_server.revoke_all()
    credentials = user_credentials(_settings(oauth_server), ring, _user(ring))
    with pytest.raises(GoogleReauthorizationNeeded, match="re-authorize Google"):
        credentials.refresh(GoogleRequest())


def test_other_refresh_failures_are_one_line_without_secrets(
    oauth_server: GoogleOAuthEmulator,
) -> None:
    ring = KeyRing([generate_key()])
    settings = _settings(oauth_server, google_oauth_client_secret="wrong-client-secret")
    credentials = user_credentials(settings, ring, _user(ring))
    with pytest.raises(DestinationError) as caught:
        credentials.refresh(GoogleRequest())
    assert not isinstance(caught.value, GoogleReauthorizationNeeded)
    assert "wrong-client-secret" not in str(caught.value)
    assert "1//granted" not in str(caught.value)


def test_a_user_who_never_authorised_is_told_to(oauth_server: GoogleOAuthEmulator) -> None:
    ring = KeyRing([generate_key()])
    user = User(id="u" * 32, subject="1", email="ana@acme.example")
    with pytest.raises(GoogleReauthorizationNeeded, match="not authorised"):
        user_credentials(_settings(oauth_server), ring, user)


def test_local_mode_writes_xlsx_and_production_writes_google_sheets(
    oauth_server: GoogleOAuthEmulator, tmp_path: Path
) -> None:
    ring = KeyRing([generate_key()])
    assert destination_choice(_settings(oauth_server), ring) is xlsx_destination
    for settings in (
        _settings(oauth_server, gsheets_locally=True),
        _settings(oauth_server, env="production"),
    ):
        chosen = destination_choice(settings, ring)
        assert chosen is not xlsx_destination
        # A report outside a session has no owner to write as: refused, not guessed.
        report = Report(id="r" * 32, user_id="u" * 32, spreadsheet_id="1Abc", template_id="x")
        with pytest.raises(Exception, match="owner"):
            chosen(report, tmp_path)
