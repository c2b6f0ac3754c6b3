"""Typed, validated options of a Dynamics 365 / Dataverse source.

Auth is msal client credentials for an app registration that has an application user in the
environment: ``tenant_id``, ``client_id`` and either ``client_secret`` or a certificate
(``certificate_key`` PEM private key + ``certificate_thumbprint``, or ``certificate_file`` holding
both key and certificate). ``org_url`` is the environment (``https://ORG.crm.dynamics.com``); the
token scope is ``<org_url>/.default``. ``authority_host`` defaults to
``https://login.microsoftonline.com``. Secrets may be inline or ``<key>_env: VARIABLE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.common.options import check_known, names, number, secret
from sheets_sync.errors import ConfigError

KIND = "dynamics"
SECRETS = ("client_secret", "certificate_key")
DELETIONS = ("change_tracking", "reconcile")
KNOWN = {
    "org_url",
    "tenant_id",
    "client_id",
    *SECRETS,
    *(f"{k}_env" for k in SECRETS),
    "certificate_thumbprint",
    "certificate_file",
    "authority_host",
    "api_version",
    "page_size",
    "entities",
    "custom_fields",
    "deletions",
    "pipeline_name",
    "ca_bundle",
    "timeout_seconds",
    "max_attempts",
    "max_retry_after",
    "retry_base_delay",
    "requests_per_5_minutes",
}


@dataclass(frozen=True)
class DynamicsSettings:
    """Validated options; ``secrets`` hold resolved secret values (never printed)."""

    org_url: str
    tenant_id: str
    client_id: str
    certificate_thumbprint: str | None
    authority_host: str
    api_version: str
    page_size: int
    entities: tuple[str, ...] | None
    custom_fields: Mapping[str, Any]
    deletions: str
    pipeline_name: str
    ca_bundle: str | None
    timeout_seconds: float
    max_attempts: int
    max_retry_after: float
    retry_base_delay: float
    requests_per_5_minutes: int
    secrets: Mapping[str, str] = field(repr=False, default_factory=dict)

    def secret(self, key: str) -> str | None:
        """The resolved value of secret ``key``."""
        return self.secrets.get(key)

    @property
    def api_root(self) -> str:
        """``<org_url>/api/data/v<version>/``."""
        return f"{self.org_url}/api/data/v{self.api_version}/"

    @property
    def scope(self) -> str:
        """The token scope of the environment: ``<org_url>/.default``."""
        return f"{self.org_url}/.default"


def _https(name: str, options: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = options.get(key, default)
    if not value:
        raise ConfigError(f"dynamics source {name!r}: {key} is required")
    text = str(value).rstrip("/")
    if not text.startswith("https://"):
        raise ConfigError(f"dynamics source {name!r}: {key} must start with https://")
    return text


def parse_settings(name: str, options: Mapping[str, Any]) -> DynamicsSettings:
    """Validate ``options`` (no network I/O); raise :class:`ConfigError` naming the bad option."""
    check_known(KIND, name, options, KNOWN)
    secrets = {k: v for k in SECRETS if (v := secret(KIND, name, options, k)) is not None}
    cert_file = options.get("certificate_file")
    if cert_file:
        path = Path(str(cert_file))
        if not path.is_file():
            raise ConfigError(f"dynamics source {name!r}: certificate_file {path} does not exist")
        secrets.setdefault("certificate_key", path.read_text())
    for key in ("tenant_id", "client_id"):
        if not options.get(key):
            raise ConfigError(f"dynamics source {name!r}: {key} is required")
    has_cert = "certificate_key" in secrets
    if not secrets.get("client_secret") and not has_cert:
        raise ConfigError(
            f"dynamics source {name!r}: give client_secret, or certificate_key / "
            "certificate_file with certificate_thumbprint"
        )
    if has_cert and not secrets.get("client_secret") and not options.get("certificate_thumbprint"):
        raise ConfigError(
            f"dynamics source {name!r}: certificate auth needs certificate_thumbprint"
        )
    deletions = str(options.get("deletions", "change_tracking"))
    if deletions not in DELETIONS:
        raise ConfigError(
            f"dynamics source {name!r}: deletions must be one of {', '.join(DELETIONS)}"
        )

    def num(key: str, default: float, low: float, high: float) -> float:
        return number(KIND, name, options, key, default, low, high)

    return DynamicsSettings(
        org_url=_https(name, options, "org_url"),
        tenant_id=str(options["tenant_id"]),
        client_id=str(options["client_id"]),
        certificate_thumbprint=options.get("certificate_thumbprint"),
        authority_host=_https(name, options, "authority_host", "https://login.microsoftonline.com"),
        api_version=str(options.get("api_version", "9.2")).lstrip("v"),
        page_size=int(num("page_size", 5000, 1, 5000)),
        entities=names(KIND, name, options, "entities"),
        custom_fields=options.get("custom_fields") or {},
        deletions=deletions,
        pipeline_name=str(options.get("pipeline_name", "Opportunity Sales Process")),
        ca_bundle=options.get("ca_bundle"),
        timeout_seconds=num("timeout_seconds", 120.0, 1.0, 3600.0),
        max_attempts=int(num("max_attempts", 5, 1, 20)),
        max_retry_after=num("max_retry_after", 300.0, 0.0, 3600.0),
        retry_base_delay=num("retry_base_delay", 1.0, 0.0, 60.0),
        requests_per_5_minutes=int(num("requests_per_5_minutes", 5400, 1, 1_000_000)),
        secrets=secrets,
    )
