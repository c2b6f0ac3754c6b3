"""CRM connections made through OAuth (Salesforce, HubSpot), and revoking CRM tokens.

When a Salesforce or HubSpot authorisation completes, :func:`complete_crm_authorization`
creates the connection it was started for, or re-authorises an existing one (its options stay,
its tokens are replaced). Tokens go only to ``connections.secrets_encrypted``.
:func:`revoke_connection_options` asks the vendor to revoke a connection's refresh token before the
connection is deleted, where the vendor allows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sheets_sync.db.models import Connection
from sheets_sync.secrets import KeyRing
from sheets_sync.web.services.connections import (
    create_connection,
    get_connection,
    update_connection,
)
from sheets_sync.web.services.oauth import ConsumedState, OAuthClient, OAuthError, revoke
from sheets_sync.web.settings import Settings


def crm_connection_fields(
    settings: Settings, client: OAuthClient, tokens: Mapping[str, Any], params: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The connector options and secrets of a connection from an OAuth token answer."""
    refresh_token = tokens.get("refresh_token")
    if not refresh_token:
        raise OAuthError(
            f"{client.label} did not return a refresh token; check that the app may ask for "
            "offline access (refresh_token scope) and connect again.",
            "oauth_no_refresh_token",
        )
    secrets = {"refresh_token": str(refresh_token), "client_secret": client.client_secret or ""}
    if client.provider == "salesforce":
        options: dict[str, Any] = {
            "auth": "refresh_token",
            "login_url": client.token_url.removesuffix("/services/oauth2/token"),
            "client_id": client.client_id,
        }
        if settings.salesforce_ca_bundle:
            options["ca_bundle"] = settings.salesforce_ca_bundle
    else:
        api = settings.hubspot_api_url.rstrip("/")
        options = {"auth": "oauth", "client_id": client.client_id}
        if api != "https://api.hubapi.com":
            options.update({"host": api, "oauth_host": api})
    options.update(params.get("options", {}))
    return options, secrets


def complete_crm_authorization(
    session: Session,
    keyring: KeyRing,
    settings: Settings,
    client: OAuthClient,
    consumed: ConsumedState,
    tokens: Mapping[str, Any],
    upload_dir: Path,
) -> Connection:
    """Create the connection the flow was started for, or replace the tokens of one."""
    options, secrets = crm_connection_fields(settings, client, tokens, consumed.params)
    connection_id = consumed.params.get("connection_id")
    if connection_id:
        connection = get_connection(session, consumed.user_id, str(connection_id))
        return update_connection(
            session,
            keyring,
            consumed.user_id,
            connection.id,
            upload_dir,
            options={**connection.options, **options},
            secrets=dict(secrets),
        )
    return create_connection(
        session,
        keyring,
        consumed.user_id,
        upload_dir,
        type=client.provider,
        name=str(consumed.params["name"]),
        label=consumed.params.get("label"),
        options=options,
        secrets=secrets,
    )


def revoke_connection_options(
    settings: Settings, connection_type: str, options: Mapping[str, Any], http: Any = None
) -> bool | None:
    """Revoke a deleted CRM connection's refresh token at the vendor; ``None``: nothing to do.

    ``options`` are the connection's options with its secrets (read before the delete).
    Salesforce: ``POST <login host>/services/oauth2/revoke``. HubSpot OAuth:
    ``DELETE /oauth/v1/refresh-tokens/<token>``. Private-app tokens and Dynamics client
    secrets belong to the customer's own app registration, so there is nothing to revoke.
    """
    token = options.get("refresh_token")
    if not token:
        return None
    verify = options.get("ca_bundle") or True
    if connection_type == "salesforce":
        host = str(options.get("login_url", settings.salesforce_login_url)).rstrip("/")
        return revoke(
            f"{host}/services/oauth2/revoke", "POST", "Salesforce", {"token": token}, verify, http
        )
    if connection_type == "hubspot":
        host = str(options.get("oauth_host", settings.hubspot_api_url)).rstrip("/")
        url = f"{host}/oauth/v1/refresh-tokens/{token}"
        return revoke(url, "DELETE", "HubSpot", None, verify, http)
    return None
