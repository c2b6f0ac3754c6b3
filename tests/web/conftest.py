"""Fixtures of the service tests: an app per backend, signing keys, signed-in clients, and
Google's OAuth server and Sheets on loopback for the tests that write as the user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sheets_sync.secrets import generate_key
from sheets_sync.web import create_app
from sheets_sync.web.extensions import runner
from sheets_sync.web.settings import load_settings
from tests.db.databases import BACKENDS, database_url_for, pg_database  # noqa: F401
from tests.emulators.google_oauth.server import GoogleOAuthEmulator
from tests.emulators.sheets.server import SheetsEmulator
from tests.web.google_certs import CLIENT_ID, CertsServer, SigningKey
from tests.web.oauth_flow import ANA_SUBJECT


@pytest.fixture(scope="session")
def google_key() -> SigningKey:
    """The key whose certificate the certs server publishes."""
    return SigningKey("key-2026-a")


@pytest.fixture(scope="session")
def certs_server(google_key: SigningKey) -> Iterator[CertsServer]:
    """A loopback server publishing ``google_key``'s certificate."""
    server = CertsServer(google_key)
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once per backend."""
    yield from database_url_for(request, tmp_path)


@pytest.fixture
def settings_values(tmp_path: Path, database_url: str, certs_server: CertsServer) -> dict[str, Any]:
    """Settings of a local service on the test database, trusting the local certs server."""
    return {
        "database_url": database_url,
        "data_dir": str(tmp_path / "data"),
        "google_client_id": CLIENT_ID,
        "google_certs_url": certs_server.url,
        "encryption_keys": generate_key(),
        "secret_key": "test-secret-key-for-dev-tokens",
        "refresh_workers": 2,
    }


@pytest.fixture
def app(settings_values: dict[str, Any]) -> Iterator[Flask]:
    """A local-mode app on the test database."""
    app = create_app(load_settings(environ={}, **settings_values))
    yield app
    runner.shutdown(app)
    from sheets_sync.web.extensions import db

    db.engine_for(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def ana(google_key: SigningKey) -> dict[str, str]:
    """Headers signing in as Ana (acme.example)."""
    return {"Authorization": f"Bearer {google_key.token()}"}


@pytest.fixture
def bob(google_key: SigningKey) -> dict[str, str]:
    """Headers signing in as Bob, another user."""
    token = google_key.token(sub="108000000000000000002", email="bob@other.example", hd=None)
    return {"Authorization": f"Bearer {token}"}


# Google's OAuth server and Sheets on loopback, for the tests that write as the user: the Sheets
# emulator accepts only the access tokens the OAuth emulator issued.


@pytest.fixture
def issued_tokens() -> set[str]:
    """Access tokens the OAuth emulator issued: the only ones the Sheets emulator accepts."""
    return set()


@pytest.fixture
def google(issued_tokens: set[str]) -> Iterator[GoogleOAuthEmulator]:
    """Google's OAuth server, granting for the ``ana`` user."""
    emulator = GoogleOAuthEmulator(ANA_SUBJECT, "ana@acme.example", issued_tokens).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def sheets(issued_tokens: set[str]) -> Iterator[SheetsEmulator]:
    """The Sheets and Drive APIs, accepting only tokens Google issued."""
    emulator = SheetsEmulator(tokens=issued_tokens, keep_bodies=False).start()
    yield emulator
    emulator.stop()
