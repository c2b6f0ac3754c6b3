"""The OAuth clients the settings configure: Google (writing as the user), Salesforce, HubSpot.

Scopes are the narrowest that work (see docs/oauth.md for why each one is there). Endpoints
come from the settings so the tests can point every flow at a local emulator.
"""

from __future__ import annotations

from sheets_sync.web.services.oauth import OAuthClient, OAuthNotConfigured
from sheets_sync.web.settings import Settings

PROVIDERS = ("google", "salesforce", "hubspot")
SALESFORCE_SCOPES = ("api", "refresh_token")


def oauth_client(settings: Settings, provider: str, *, sandbox: bool = False) -> OAuthClient:
    """The OAuth client of ``provider``, or :class:`OAuthNotConfigured` naming the settings."""
    if provider == "google":
        return _google(settings)
    if provider == "salesforce":
        return _salesforce(settings, sandbox)
    if provider == "hubspot":
        return _hubspot(settings)
    raise OAuthNotConfigured(
        f"{provider!r} cannot be connected through OAuth; choose one of {', '.join(PROVIDERS)}.",
        "oauth_unknown_provider",
    )


def _missing(label: str, *variables: str) -> OAuthNotConfigured:
    return OAuthNotConfigured(
        f"Connecting {label} is not set up on this service: the administrator must set "
        f"{' and '.join(variables)} (see docs/oauth.md)."
    )


def _google(settings: Settings) -> OAuthClient:
    client_id = settings.google_oauth_client_id or settings.google_client_id
    if not client_id or not settings.google_oauth_client_secret:
        raise _missing(
            "Google", "SHEETS_SYNC_GOOGLE_OAUTH_CLIENT_ID", "SHEETS_SYNC_GOOGLE_OAUTH_CLIENT_SECRET"
        )
    return OAuthClient(
        provider="google",
        label="Google",
        client_id=client_id,
        client_secret=settings.google_oauth_client_secret.get_secret_value(),
        authorize_url=settings.google_auth_uri,
        token_url=settings.google_token_uri,
        scopes=tuple(settings.google_oauth_scopes.split()),
        # Offline access is what gives a refresh token, so scheduled refreshes can run while
        # the user is away.
        extra_params={"access_type": "offline"},
    )


def _salesforce(settings: Settings, sandbox: bool) -> OAuthClient:
    if not settings.salesforce_client_id or not settings.salesforce_client_secret:
        raise _missing(
            "Salesforce", "SHEETS_SYNC_SALESFORCE_CLIENT_ID", "SHEETS_SYNC_SALESFORCE_CLIENT_SECRET"
        )
    host = (settings.salesforce_sandbox_url if sandbox else settings.salesforce_login_url).rstrip(
        "/"
    )
    return OAuthClient(
        provider="salesforce",
        label="Salesforce",
        client_id=settings.salesforce_client_id,
        client_secret=settings.salesforce_client_secret.get_secret_value(),
        authorize_url=f"{host}/services/oauth2/authorize",
        token_url=f"{host}/services/oauth2/token",
        scopes=SALESFORCE_SCOPES,
        verify=settings.salesforce_ca_bundle or True,
    )


def _hubspot(settings: Settings) -> OAuthClient:
    if not settings.hubspot_client_id or not settings.hubspot_client_secret:
        raise _missing(
            "HubSpot", "SHEETS_SYNC_HUBSPOT_CLIENT_ID", "SHEETS_SYNC_HUBSPOT_CLIENT_SECRET"
        )
    return OAuthClient(
        provider="hubspot",
        label="HubSpot",
        client_id=settings.hubspot_client_id,
        client_secret=settings.hubspot_client_secret.get_secret_value(),
        authorize_url=settings.hubspot_auth_uri,
        token_url=settings.hubspot_api_url.rstrip("/") + "/oauth/v1/token",
        scopes=tuple(settings.hubspot_oauth_scopes.split()),
        # HubSpot's authorization-code flow has no PKCE; the state check still applies.
        pkce=False,
    )
