"""The service's CLI commands: db upgrade/current, keys generate, dev-token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from cryptography.fernet import Fernet

from sheets_sync.cli import main
from sheets_sync.db import make_engine
from sheets_sync.db.migrate import alembic_config
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
    head = ScriptDirectory.from_config(alembic_config(make_engine(database_url))).get_current_head()
    assert f"database at revision {head}" in upgraded.output
    assert runner.invoke(main, ["db", "current"]).output.strip() == head


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


def test_serve_answers_http_with_a_migrated_database(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "SHEETS_SYNC_DATA_DIR": str(tmp_path / "service"),
        "SHEETS_SYNC_SECRET_KEY": "serve-test-secret",
    }
    env.pop("DATABASE_URL", None)
    env.pop("SHEETS_SYNC_DATABASE_URL", None)
    command = [sys.executable, "-m", "sheets_sync.cli", "serve", "--port", str(port), "--dev-login"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"{base}/internal/health", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the service did not start within 60 s"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        token = DevTokens("serve-test-secret").issue("dev@example.com")
        me = requests.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert me.json()["email"] == "dev@example.com"
        assert (tmp_path / "service" / "sheets-sync.db").is_file()
        assert (tmp_path / "service" / "encryption.key").stat().st_mode & 0o077 == 0
    finally:
        server.terminate()
        server.wait(timeout=10)
