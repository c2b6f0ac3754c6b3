"""Typed, validated options of a HubSpot source (one entry of a config's ``sources:``).

Auth (``auth``):

- ``private_app`` (default): ``access_token`` (or ``access_token_env``), a private app token;
- ``oauth``: ``client_id``, ``client_secret`` and ``refresh_token`` from the OAuth install flow;
  access tokens are fetched from ``oauth_host`` and renewed when the API answers 401.

Secrets may be inline or ``<key>_env: VARIABLE``; they never appear in messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.common.options import check_known, names, number, secret
from sheets_sync.errors import ConfigError

KIND = "hubspot"
AUTH_METHODS = ("private_app", "oauth")
SECRETS = ("access_token", "client_secret", "refresh_token")
KNOWN = {
    "auth",
    "host",
    "oauth_host",
    "client_id",
    *SECRETS,
    *(f"{k}_env" for k in SECRETS),
    "objects",
    "custom_fields",
    "lifecycle_map",
    "ca_bundle",
    "timeout_seconds",
    "max_attempts",
    "max_retry_after",
    "retry_base_delay",
    "burst_limit",
    "search_per_second",
    "search_page_size",
    "search_result_cap",
}


@dataclass(frozen=True)
class HubSpotSettings:
    """Validated options; ``secrets`` hold resolved secret values (never printed)."""

    auth: str
    host: str
    oauth_host: str
    client_id: str | None
    objects: tuple[str, ...] | None
    custom_fields: Mapping[str, Any]
    lifecycle_map: Mapping[str, str]
    ca_bundle: str | None
    timeout_seconds: float
    max_attempts: int
    max_retry_after: float
    retry_base_delay: float
    burst_limit: int
    search_per_second: int
    search_page_size: int
    search_result_cap: int
    secrets: Mapping[str, str] = field(repr=False, default_factory=dict)

    def secret(self, key: str) -> str | None:
        """The resolved value of secret ``key``."""
        return self.secrets.get(key)


def _host(name: str, options: Mapping[str, Any], key: str) -> str:
    value = str(options.get(key, "https://api.hubapi.com")).rstrip("/")
    if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ConfigError(f"hubspot source {name!r}: {key} must be an https:// URL")
    return value


def parse_settings(name: str, options: Mapping[str, Any]) -> HubSpotSettings:
    """Validate ``options`` (no I/O); raise :class:`ConfigError` naming the bad option."""
    check_known(KIND, name, options, KNOWN)
    auth = str(options.get("auth", "private_app"))
    if auth not in AUTH_METHODS:
        raise ConfigError(f"hubspot source {name!r}: auth must be one of {', '.join(AUTH_METHODS)}")
    secrets = {k: v for k in SECRETS if (v := secret(KIND, name, options, k)) is not None}
    needed = ("access_token",) if auth == "private_app" else ("client_secret", "refresh_token")
    missing = [k for k in needed if k not in secrets]
    if auth == "oauth" and not options.get("client_id"):
        missing.insert(0, "client_id")
    if missing:
        raise ConfigError(f"hubspot source {name!r}: auth {auth!r} needs {', '.join(missing)}")
    lifecycle = options.get("lifecycle_map") or {}
    if not isinstance(lifecycle, Mapping):
        raise ConfigError(
            f"hubspot source {name!r}: lifecycle_map must map lifecycle stages to lead stages"
        )

    def num(key: str, default: float, low: float, high: float) -> float:
        return number(KIND, name, options, key, default, low, high)

    return HubSpotSettings(
        auth=auth,
        host=_host(name, options, "host"),
        oauth_host=_host(name, options, "oauth_host"),
        client_id=options.get("client_id"),
        objects=names(KIND, name, options, "objects"),
        custom_fields=options.get("custom_fields") or {},
        lifecycle_map={str(k).lower(): str(v) for k, v in lifecycle.items()},
        ca_bundle=options.get("ca_bundle"),
        timeout_seconds=num("timeout_seconds", 60.0, 1.0, 3600.0),
        max_attempts=int(num("max_attempts", 5, 1, 20)),
        max_retry_after=num("max_retry_after", 120.0, 0.0, 3600.0),
        retry_base_delay=num("retry_base_delay", 1.0, 0.0, 60.0),
        burst_limit=int(num("burst_limit", 90, 1, 100000)),
        search_per_second=int(num("search_per_second", 4, 1, 10000)),
        search_page_size=int(num("search_page_size", 200, 1, 200)),
        search_result_cap=int(num("search_result_cap", 10000, 1, 10000)),
        secrets=secrets,
    )
