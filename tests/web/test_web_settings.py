"""Typed settings checked at start-up: production refuses to start without its secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from sheets_sync.errors import ConfigError
from sheets_sync.secrets import generate_key
from sheets_sync.web import create_app
from sheets_sync.web.settings import load_settings

PRODUCTION_SECRETS = {
    "SHEETS_SYNC_SECRET_KEY": "s" * 32,
    "SHEETS_SYNC_GOOGLE_CLIENT_ID": "123-abc.apps.googleusercontent.com",
    "SHEETS_SYNC_ENCRYPTION_KEYS": generate_key(),
}


def test_local_defaults_need_no_secret(tmp_path: Path) -> None:
    settings = load_settings({"SHEETS_SYNC_DATA_DIR": str(tmp_path)})
    assert settings.env == "local"
    assert not settings.production
    assert settings.sqlalchemy_url == f"sqlite:///{(tmp_path / 'sheets-sync.db').resolve()}"
    assert settings.should_migrate_on_start


def test_production_without_secrets_stops_with_the_missing_variables() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"SHEETS_SYNC_ENV": "production"})
    message = str(caught.value)
    assert "SHEETS_SYNC_SECRET_KEY" in message
    assert "SHEETS_SYNC_GOOGLE_CLIENT_ID" in message
    assert "SHEETS_SYNC_ENCRYPTION_KEYS" in message
    assert "\n" not in message
    settings = load_settings({"SHEETS_SYNC_ENV": "production", **PRODUCTION_SECRETS})
    assert settings.production
    assert not settings.should_migrate_on_start


@pytest.mark.parametrize("variable", ["GAE_ENV", "GAE_APPLICATION"])
def test_app_engine_forces_production(variable: str) -> None:
    with pytest.raises(ConfigError, match="production start needs"):
        load_settings({variable: "standard", "SHEETS_SYNC_ENV": "local"})
    settings = load_settings({variable: "s~acme", **PRODUCTION_SECRETS})
    assert settings.production
    assert settings.on_app_engine


def test_dev_login_cannot_be_enabled_on_app_engine_or_in_production() -> None:
    with pytest.raises(ConfigError, match="SHEETS_SYNC_DEV_LOGIN cannot be enabled"):
        load_settings(
            {"GAE_ENV": "standard", "SHEETS_SYNC_DEV_LOGIN": "true", **PRODUCTION_SECRETS}
        )
    with pytest.raises(ConfigError, match="SHEETS_SYNC_DEV_LOGIN cannot be enabled"):
        load_settings(
            {"SHEETS_SYNC_ENV": "production", "SHEETS_SYNC_DEV_LOGIN": "1", **PRODUCTION_SECRETS}
        )
    with pytest.raises(ConfigError, match="needs SHEETS_SYNC_SECRET_KEY"):
        load_settings({"SHEETS_SYNC_DEV_LOGIN": "1"})


def test_secrets_never_print() -> None:
    settings = load_settings({"SHEETS_SYNC_ENV": "production", **PRODUCTION_SECRETS})
    shown = repr(settings) + str(settings.model_dump())
    assert PRODUCTION_SECRETS["SHEETS_SYNC_SECRET_KEY"] not in shown
    assert PRODUCTION_SECRETS["SHEETS_SYNC_ENCRYPTION_KEYS"] not in shown


def test_values_are_parsed_and_checked() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql://app@db/sheets",
            "SHEETS_SYNC_ALLOWED_DOMAINS": "Acme.example, acme.co.uk",
            "SHEETS_SYNC_REFRESH_WORKERS": "4",
        }
    )
    assert settings.sqlalchemy_url == "postgresql://app@db/sheets"
    assert settings.allowed_domains == ("acme.example", "acme.co.uk")
    assert settings.refresh_workers == 4
    with pytest.raises(ConfigError, match="SHEETS_SYNC_REFRESH_WORKERS"):
        load_settings({"SHEETS_SYNC_REFRESH_WORKERS": "many"})
    with pytest.raises(ConfigError, match="not a domain"):
        load_settings({"SHEETS_SYNC_ALLOWED_DOMAINS": "acme"})
    with pytest.raises(ConfigError, match="SHEETS_SYNC_ENV"):
        load_settings({"SHEETS_SYNC_ENV": "staging"})


def test_production_app_refuses_a_database_behind_the_code(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "SHEETS_SYNC_ENV": "production",
            "SHEETS_SYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
            **PRODUCTION_SECRETS,
        }
    )
    with pytest.raises(ConfigError, match="run `sheets-sync db upgrade` first"):
        create_app(settings)


def test_bad_database_url_is_one_clear_line(tmp_path: Path) -> None:
    settings = load_settings({"SHEETS_SYNC_DATABASE_URL": "mysql://x@y/z"})
    with pytest.raises(ConfigError, match="use SQLite or PostgreSQL"):
        create_app(settings)
    settings = load_settings({"SHEETS_SYNC_DATABASE_URL": "not a url"})
    with pytest.raises(ConfigError, match="not a database URL"):
        create_app(settings)


def test_settings_built_directly_still_detect_app_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    from sheets_sync.web.settings import Settings

    monkeypatch.setenv("GAE_APPLICATION", "s~acme")
    monkeypatch.setenv("SHEETS_SYNC_ENV", "local")
    settings = Settings()
    assert (settings.env, settings.on_app_engine) == ("production", True)
    with pytest.raises(ConfigError, match="production start needs"):
        create_app(settings)
