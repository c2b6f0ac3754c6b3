"""Secrets are unreadable in a database dump, and keys rotate without losing any secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, inspect, select, text

from sheets_sync.cli import main
from sheets_sync.db.models import Connection, User
from sheets_sync.secrets import KeyRing, SecretsError, generate_key
from sheets_sync.web import create_app
from sheets_sync.web.extensions import db, keys, runner
from sheets_sync.web.services.connections import source_options
from sheets_sync.web.settings import load_settings

TOKEN = "pat-na1-7f3c9e1a-SECRET-TOKEN"
REFRESH = "1//0gREFRESH-SECRET-VALUE"


def _dump(engine: Engine) -> str:
    """Every row of every table, as raw text."""
    lines = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                lines.append(f"{table}: {tuple(row)!r}")
    return "\n".join(lines)


def _store_secrets(app: Flask, client: FlaskClient, headers: dict[str, str]) -> str:
    body = {
        "type": "hubspot",
        "name": "hubspot",
        "options": {"portal_id": "4242"},
        "secrets": {"access_token": TOKEN},
    }
    created = client.post("/api/connections", headers=headers, json=body)
    assert created.status_code == 201
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        user.google_token_encrypted = keys.ring.encrypt(REFRESH)
        db.session.commit()
    return str(created.get_json()["id"])


def test_database_dump_holds_no_secret_plaintext(
    app: Flask, client: FlaskClient, ana: dict[str, str], database_url: str
) -> None:
    _store_secrets(app, client, ana)
    dump = _dump(db.engine_for(app))
    assert "portal_id" in dump  # the dump does contain the rows
    for secret in (TOKEN, REFRESH, "SECRET"):
        assert secret not in dump
    if database_url.startswith("sqlite:///"):
        raw = Path(database_url.removeprefix("sqlite:///")).read_bytes()
        assert b"SECRET" not in raw
        assert b"portal_id" in raw


def test_rotation_re_encrypts_under_the_newest_key(
    settings_values: dict[str, Any], ana: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old_key, new_key = settings_values["encryption_keys"], generate_key()
    app = create_app(load_settings(environ={}, **settings_values))
    connection_id = _store_secrets(app, app.test_client(), ana)
    runner.shutdown(app)
    db.engine_for(app).dispose()

    # The new key first, the old one still listed: old values decrypt, rotation rewrites them.
    env = {
        "SHEETS_SYNC_DATABASE_URL": settings_values["database_url"],
        "SHEETS_SYNC_DATA_DIR": settings_values["data_dir"],
        "SHEETS_SYNC_ENCRYPTION_KEYS": f"{new_key},{old_key}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2 secret(s); 0 already used the newest key" in result.output
    again = CliRunner().invoke(main, ["keys", "rotate"])
    assert "re-encrypted 0 secret(s); 2 already used the newest key" in again.output

    # With only the new key, every secret still opens; the old key alone opens none.
    only_new = create_app(
        load_settings(environ={}, **{**settings_values, "encryption_keys": new_key})
    )
    try:
        with only_new.app_context():
            connection = db.session.get(Connection, connection_id)
            assert connection is not None
            assert source_options(keys.ring, connection)["access_token"] == TOKEN
            user = db.session.scalars(select(User)).one()
            assert keys.ring.decrypt(user.google_token_encrypted or "") == REFRESH
            with pytest.raises(SecretsError, match="cannot be decrypted"):
                KeyRing([old_key]).decrypt(connection.secrets_encrypted or "")
    finally:
        runner.shutdown(only_new)
        db.engine_for(only_new).dispose()
