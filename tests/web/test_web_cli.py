"""The service's CLI commands: db upgrade/current, keys generate, dev-token."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from sheets_sync.cli import main
from sheets_sync.web.identity import DevTokens


def test_db_upgrade_then_current(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHEETS_SYNC_DATABASE_URL", database_url)
    # Production settings without secrets: migrations need only the database URL.
    monkeypatch.setenv("SHEETS_SYNC_ENV", "production")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "current"]).output.strip() == "none"
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "database at revision 0001" in upgraded.output
    assert runner.invoke(main, ["db", "current"]).output.strip() == "0001"


def test_keys_generate_prints_a_fernet_key() -> None:
    key = CliRunner().invoke(main, ["keys", "generate"]).output.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"


def test_dev_token_is_signed_with_the_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETS_SYNC_SECRET_KEY", "local-secret")
    result = CliRunner().invoke(main, ["dev-token", "Dev@Example.com"])
    assert result.exit_code == 0, result.output
    identity = DevTokens("local-secret").verify(result.output.strip())
    assert identity.email == "dev@example.com"


def test_dev_token_is_refused_on_app_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETS_SYNC_SECRET_KEY", "local-secret")
    monkeypatch.setenv("GAE_ENV", "standard")
    result = CliRunner().invoke(main, ["dev-token", "dev@example.com"])
    assert result.exit_code == 1
    assert "SHEETS_SYNC_DEV_LOGIN cannot be enabled" in result.output
