"""Typed, validated options of a Salesforce source (one entry of a config's ``sources:``).

Secrets may be given inline or, better, as ``<key>_env: VARIABLE`` naming an environment
variable (``client_secret_env: SFDC_CLIENT_SECRET``); they are never echoed in messages.

Auth methods (``auth``):

- ``refresh_token`` (default): ``client_id``, ``client_secret`` (optional for PKCE apps),
  ``refresh_token`` from the web-server OAuth flow;
- ``jwt``: ``client_id`` (connected app consumer key), ``username``, ``private_key`` (PEM text)
  or ``private_key_file``;
- ``password``: ``username``, ``password``, ``security_token``.

``login_url`` is ``https://login.salesforce.com`` (production), ``https://test.salesforce.com``
(sandbox) or a My Domain URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.common.options import number, secret
from sheets_sync.errors import ConfigError

KIND = "salesforce"
AUTH_METHODS = ("refresh_token", "jwt", "password")
REQUIRED = {
    "refresh_token": ("client_id", "refresh_token"),
    "jwt": ("client_id", "username"),
    "password": ("username", "password", "security_token"),
}
SECRETS = ("client_secret", "refresh_token", "password", "security_token", "private_key")
KNOWN = {
    "auth",
    "login_url",
    "client_id",
    "client_secret",
    "refresh_token",
    "username",
    "password",
    "security_token",
    "private_key",
    "private_key_file",
    "api_version",
    "page_size",
    "bulk_threshold",
    "bulk_poll_seconds",
    "bulk_timeout_seconds",
    "objects",
    "custom_fields",
    "lead_status_map",
    "ca_bundle",
    "timeout_seconds",
    "max_attempts",
    "max_retry_after",
    "retry_base_delay",
}


@dataclass(frozen=True)
class SalesforceSettings:
    """Validated options; ``secrets`` hold resolved secret values (never printed)."""

    auth: str
    login_url: str
    client_id: str | None
    username: str | None
    private_key_file: str | None
    api_version: str
    page_size: int
    bulk_threshold: int
    bulk_poll_seconds: float
    bulk_timeout_seconds: float
    objects: tuple[str, ...] | None
    custom_fields: Mapping[str, Any]
    lead_status_map: Mapping[str, str]
    ca_bundle: str | None
    timeout_seconds: float
    max_attempts: int
    max_retry_after: float
    retry_base_delay: float
    secrets: Mapping[str, str] = field(repr=False, default_factory=dict)

    def secret(self, key: str) -> str | None:
        """The resolved value of secret ``key`` (inline or from its ``_env`` variable)."""
        return self.secrets.get(key)


def parse_settings(name: str, options: Mapping[str, Any]) -> SalesforceSettings:
    """Validate ``options`` (no I/O); raise :class:`ConfigError` naming the bad option."""
    allowed = KNOWN | {f"{k}_env" for k in SECRETS} | {"type", "name"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ConfigError(
            f"salesforce source {name!r}: unknown option(s) {', '.join(unknown)}; "
            f"known options: {', '.join(sorted(KNOWN))}"
        )
    auth = str(options.get("auth", "refresh_token"))
    if auth not in AUTH_METHODS:
        raise ConfigError(
            f"salesforce source {name!r}: auth must be one of {', '.join(AUTH_METHODS)}"
        )
    secrets = {k: v for k in SECRETS if (v := secret(KIND, name, options, k)) is not None}
    present = {**{k: options.get(k) for k in ("client_id", "username")}, **secrets}
    missing = [k for k in REQUIRED[auth] if not present.get(k)]
    if auth == "jwt" and not (secrets.get("private_key") or options.get("private_key_file")):
        missing.append("private_key or private_key_file")
    if missing:
        raise ConfigError(f"salesforce source {name!r}: auth {auth!r} needs {', '.join(missing)}")
    login_url = str(options.get("login_url", "https://login.salesforce.com")).rstrip("/")
    if not login_url.startswith("https://"):
        raise ConfigError(f"salesforce source {name!r}: login_url must start with https://")
    version = str(options.get("api_version", "59.0")).lstrip("v")
    objects = options.get("objects")
    if objects is not None and (
        not isinstance(objects, list | tuple) or not all(isinstance(o, str) for o in objects)
    ):
        raise ConfigError(f"salesforce source {name!r}: objects must be a list of object names")
    status_map = options.get("lead_status_map") or {}
    if not isinstance(status_map, Mapping):
        raise ConfigError(
            f"salesforce source {name!r}: lead_status_map must map Lead Status values to stages"
        )
    return SalesforceSettings(
        auth=auth,
        login_url=login_url,
        client_id=options.get("client_id"),
        username=options.get("username"),
        private_key_file=options.get("private_key_file"),
        api_version=version,
        page_size=int(number(KIND, name, options, "page_size", 2000, 1, 2000)),
        bulk_threshold=int(number(KIND, name, options, "bulk_threshold", 50000, 1, 1e12)),
        bulk_poll_seconds=number(KIND, name, options, "bulk_poll_seconds", 2.0, 0.0, 60.0),
        bulk_timeout_seconds=number(
            KIND, name, options, "bulk_timeout_seconds", 3600.0, 0.1, 86400.0
        ),
        objects=tuple(objects) if objects is not None else None,
        custom_fields=options.get("custom_fields") or {},
        lead_status_map={str(k): str(v) for k, v in status_map.items()},
        ca_bundle=options.get("ca_bundle"),
        timeout_seconds=number(KIND, name, options, "timeout_seconds", 120.0, 1.0, 3600.0),
        max_attempts=int(number(KIND, name, options, "max_attempts", 5, 1, 20)),
        max_retry_after=number(KIND, name, options, "max_retry_after", 120.0, 0.0, 3600.0),
        retry_base_delay=number(KIND, name, options, "retry_base_delay", 1.0, 0.0, 60.0),
        secrets=secrets,
    )
