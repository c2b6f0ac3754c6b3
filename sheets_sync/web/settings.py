"""Typed settings of the web service, read from the environment and checked at start-up.

Every setting is an environment variable prefixed ``SHEETS_SYNC_`` (``DATABASE_URL`` is also read
unprefixed, as Cloud SQL guides and Heroku-style hosts set it). :func:`load_settings` validates
them once; the app factory receives the resulting frozen :class:`Settings` and nothing reads the
environment afterwards.

Two environments exist. ``local`` (the default) is for a developer's machine: SQLite, migrations
applied at start, reports written to ``.xlsx`` files, an optional development sign-in.
``production`` is chosen by ``SHEETS_SYNC_ENV=production`` and forced whenever App Engine's
``GAE_ENV`` or ``GAE_APPLICATION`` variables are present; it refuses to start without its secrets
and never accepts the development sign-in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sheets_sync.errors import ConfigError

Environment = Literal["local", "production"]
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


def on_app_engine(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the process runs on App Engine (its runtime sets GAE_ENV and GAE_APPLICATION)."""
    env = os.environ if environ is None else environ
    return bool(env.get("GAE_ENV") or env.get("GAE_APPLICATION"))


class Settings(BaseSettings):
    """Every knob of the service; secrets are :class:`SecretStr` so they never print."""

    model_config = SettingsConfigDict(
        env_prefix="SHEETS_SYNC_",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    env: Environment = Field(default="local", description="local or production.")
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("SHEETS_SYNC_DATABASE_URL", "DATABASE_URL", "database_url"),
        description="SQLAlchemy URL; empty means a SQLite file in data_dir.",
    )
    data_dir: Path = Field(
        default=Path(".sheets-sync/service"),
        description="Folder for the SQLite file, local report workbooks and uploads.",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs sessions and development tokens."
    )
    encryption_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated Fernet keys, newest first; encrypts tokens at rest.",
    )
    encryption_keys_secret: str | None = Field(
        default=None,
        description="Secret Manager version holding the keys, e.g. "
        "projects/P/secrets/sheets-sync-keys/versions/latest.",
    )
    google_client_id: str | None = Field(
        default=None, description="OAuth client id the add-on's identity tokens are issued to."
    )
    google_certs_url: str = Field(
        default=GOOGLE_CERTS_URL, description="Where Google's token-signing certificates are."
    )
    allowed_domains: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated Workspace domains allowed to sign in (any if empty).",
    )
    dev_login: bool = Field(
        default=False, description="Accept development sign-in tokens (local only)."
    )
    refresh_workers: int = Field(
        default=2, ge=1, le=32, description="Threads running refreshes in local mode."
    )
    migrate_on_start: bool | None = Field(
        default=None,
        description="Apply migrations at start (default: yes in local, no in production).",
    )
    on_app_engine: bool = Field(
        default=False, description="Set from GAE_ENV / GAE_APPLICATION; not read from a variable."
    )
    # OAuth clients (see docs/oauth.md). Endpoints are settings so tests can use emulators.
    public_url: str | None = Field(
        default=None, description="The service's public base URL; OAuth redirect URIs use it."
    )
    google_oauth_client_id: str | None = Field(
        default=None, description="Web OAuth client id (defaults to google_client_id)."
    )
    google_oauth_client_secret: SecretStr | None = Field(
        default=None, description="Web OAuth client secret."
    )
    google_auth_uri: str = Field(default="https://accounts.google.com/o/oauth2/v2/auth")
    google_token_uri: str = Field(default="https://oauth2.googleapis.com/token")
    google_revoke_uri: str = Field(default="https://oauth2.googleapis.com/revoke")
    google_oauth_scopes: str = Field(
        default="openid email https://www.googleapis.com/auth/drive.file",
        description="Space-separated scopes of the Google web flow.",
    )
    sheets_endpoint: str = Field(default="https://sheets.googleapis.com")
    drive_endpoint: str = Field(default="https://www.googleapis.com/drive/v3/")
    gsheets_locally: bool = Field(
        default=False, description="Write to Google Sheets in local mode too (needs OAuth)."
    )
    salesforce_client_id: str | None = Field(default=None)
    salesforce_client_secret: SecretStr | None = Field(default=None)
    salesforce_login_url: str = Field(default="https://login.salesforce.com")
    salesforce_sandbox_url: str = Field(default="https://test.salesforce.com")
    salesforce_ca_bundle: str | None = Field(
        default=None, description="CA bundle for Salesforce hosts (tests' emulator only)."
    )
    hubspot_client_id: str | None = Field(default=None)
    hubspot_client_secret: SecretStr | None = Field(default=None)
    hubspot_auth_uri: str = Field(default="https://app.hubspot.com/oauth/authorize")
    hubspot_api_url: str = Field(default="https://api.hubapi.com")
    hubspot_oauth_scopes: str = Field(
        default="oauth crm.objects.contacts.read crm.objects.companies.read "
        "crm.objects.deals.read crm.objects.owners.read",
        description="Space-separated scopes of the HubSpot app.",
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest uploaded CSV/XLSX file."
    )
    # Scheduled refreshes (docs/scheduling.md).
    tasks_queue: str | None = Field(
        default=None,
        pattern=r"^projects/[^/]+/locations/[^/]+/queues/[A-Za-z0-9-]+$",
        description="Cloud Tasks queue receiving refreshes, projects/P/locations/L/queues/Q; "
        "unset: refreshes run in this process's threads.",
    )
    tasks_endpoint: str | None = Field(
        default=None, description="Cloud Tasks API endpoint override (an emulator in tests)."
    )
    tasks_handler_url: str | None = Field(
        default=None,
        description="Deliver tasks as HTTP tasks to this URL instead of App Engine tasks.",
    )
    tasks_service_account: str | None = Field(
        default=None, description="Service account whose OIDC token signs HTTP tasks."
    )
    tasks_audience: str | None = Field(
        default=None,
        description="Require task calls to carry a Google OIDC token for this audience.",
    )
    refresh_max_attempts: int = Field(
        default=3, ge=1, le=10, description="Tries of a scheduled refresh, the first included."
    )
    refresh_retry_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="Delay before the first retry (then doubled)."
    )
    run_lease_seconds: float = Field(
        default=300.0, ge=1, le=3600, description="How long a silent worker holds a run."
    )

    @model_validator(mode="before")
    @classmethod
    def _detect_app_engine(cls, data: Any) -> Any:
        # Also when Settings() is built directly: App Engine always means production.
        if isinstance(data, dict):
            data.setdefault("on_app_engine", on_app_engine())
            if data["on_app_engine"]:
                data["env"] = "production"
        return data

    @field_validator("allowed_domains", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(d.strip().lower() for d in value.split(",") if d.strip())
        return value

    @field_validator("allowed_domains")
    @classmethod
    def _check_domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [d for d in value if not _DOMAIN.match(d)]
        if bad:
            raise ValueError(f"{', '.join(bad)} is not a domain like example.com")
        return value

    @property
    def production(self) -> bool:
        """Whether the service runs in production mode."""
        return self.env == "production"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sheets-sync.db').resolve()}"

    @property
    def should_migrate_on_start(self) -> bool:
        """Whether the app factory applies migrations (local default; production uses the CLI)."""
        return (not self.production) if self.migrate_on_start is None else self.migrate_on_start

    def check(self) -> None:
        """Refuse a configuration that must not start; each problem is named with its variable."""
        problems: list[str] = []
        if self.dev_login and (self.production or self.on_app_engine):
            problems.append(
                "SHEETS_SYNC_DEV_LOGIN cannot be enabled in production or on App Engine; unset it"
            )
        if self.production:
            missing = [
                var
                for var, value in (
                    ("SHEETS_SYNC_SECRET_KEY", self.secret_key),
                    ("SHEETS_SYNC_GOOGLE_CLIENT_ID", self.google_client_id),
                )
                if not value
            ]
            if not (self.encryption_keys or self.encryption_keys_secret):
                missing.append("SHEETS_SYNC_ENCRYPTION_KEYS or SHEETS_SYNC_ENCRYPTION_KEYS_SECRET")
            if missing:
                problems.append(
                    f"production start needs {', '.join(missing)}; see docs/service.md#settings"
                )
        if self.dev_login and not self.secret_key:
            problems.append("SHEETS_SYNC_DEV_LOGIN needs SHEETS_SYNC_SECRET_KEY to sign dev tokens")
        if problems:
            raise ConfigError("invalid service settings: " + "; ".join(problems))


def load_settings(
    environ: Mapping[str, str] | None = None, *, check: bool = True, **overrides: object
) -> Settings:
    """Read settings from ``environ`` (default: the process environment) and check them.

    ``overrides`` take precedence over the environment (tests and the CLI use them). Production
    is forced on App Engine whatever ``SHEETS_SYNC_ENV`` says. ``check=False`` skips the start-up
    checks, for maintenance commands that need only the database or the keys.
    """
    env = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {
        key.removeprefix("SHEETS_SYNC_").lower(): value
        for key, value in env.items()
        if key.startswith("SHEETS_SYNC_")
    }
    if "database_url" not in values and env.get("DATABASE_URL"):
        values["database_url"] = env["DATABASE_URL"]
    values.pop("on_app_engine", None)
    values.update({k: v for k, v in overrides.items()})
    gae = on_app_engine(env)
    values["on_app_engine"] = gae
    if gae:
        values["env"] = "production"
    try:
        settings = Settings.model_validate(values)
    except ValidationError as err:
        problems = [
            f"SHEETS_SYNC_{'.'.join(str(p) for p in e['loc']).upper()}: "
            f"{e['msg'].removeprefix('Value error, ')}"
            for e in err.errors()
        ]
        raise ConfigError("invalid service settings: " + "; ".join(problems)) from None
    if check:
        settings.check()
    return settings
