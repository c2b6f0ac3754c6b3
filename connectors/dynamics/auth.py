"""Access tokens for the Dataverse Web API through msal client credentials.

:class:`TokenProvider` builds one ``msal.ConfidentialClientApplication`` lazily (msal contacts
the authority's OpenID configuration when constructed, so never in a source's ``__init__``),
sends msal's own HTTP through the connector's :class:`ApiSession` (counted, with timeouts),
and keeps msal's token cache between reads: a token is fetched once and reused until it expires
or the API refuses it, when :meth:`TokenProvider.renew` drops it and asks for a new one.
For a non-Microsoft authority host (a sovereign cloud proxy, or the test emulator) instance
discovery is switched off, as msal requires.
"""

from __future__ import annotations

from typing import Any

import msal

from connectors.common.errors import CredentialsError, PermissionDeniedError
from connectors.common.http import ApiSession
from connectors.dynamics.settings import DynamicsSettings

SERVICE = "Dynamics 365"
MICROSOFT_HOSTS = (
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
)


class TokenProvider:
    """Client-credentials tokens for one app registration, cached by msal."""

    def __init__(self, settings: DynamicsSettings) -> None:
        self.settings = settings
        self.cache = msal.TokenCache()
        self.acquired = 0
        self._app: msal.ConfidentialClientApplication | None = None

    def _credential(self) -> Any:
        s = self.settings
        if s.secret("client_secret"):
            return s.secret("client_secret")
        return {"private_key": s.secret("certificate_key"), "thumbprint": s.certificate_thumbprint}

    def _application(self, session: ApiSession) -> msal.ConfidentialClientApplication:
        if self._app is None:
            s = self.settings
            known = any(s.authority_host.endswith(h) for h in MICROSOFT_HOSTS)
            try:
                self._app = msal.ConfidentialClientApplication(
                    s.client_id,
                    client_credential=self._credential(),
                    authority=f"{s.authority_host}/{s.tenant_id}",
                    http_client=session,
                    token_cache=self.cache,
                    instance_discovery=None if known else False,
                    validate_authority=known,
                )
            except ValueError as err:
                raise CredentialsError(
                    f"{SERVICE}: the authority {s.authority_host}/{s.tenant_id} did not answer "
                    "its OpenID configuration; check tenant_id and authority_host",
                    SERVICE,
                ) from err
        return self._app

    def token(self, session: ApiSession) -> str:
        """A valid access token (from msal's cache when it has one)."""
        app = self._application(session)
        result = app.acquire_token_for_client(scopes=[self.settings.scope])
        if "access_token" not in result:
            raise _refusal(result, self.settings)
        if result.get("token_source") != "cache":
            self.acquired += 1
        return str(result["access_token"])

    def renew(self, session: ApiSession) -> str:
        """Drop cached tokens (the API refused them) and fetch a new one."""
        for item in list(self.cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            self.cache.remove_at(item)
        return self.token(session)


def _refusal(result: dict[str, Any], settings: DynamicsSettings) -> Exception:
    code = str(result.get("error") or "unknown_error")
    description = str(result.get("error_description") or "").split("\n")[0][:200]
    if code == "unauthorized_client" or "AADSTS700016" in description:
        return CredentialsError(
            f"{SERVICE}: app {settings.client_id} is not known in tenant {settings.tenant_id} "
            f"({code}); check client_id and tenant_id",
            SERVICE,
        )
    if code == "invalid_scope":
        return PermissionDeniedError(
            f"{SERVICE}: the token scope {settings.scope} was refused ({description}); check "
            "org_url names your environment",
            SERVICE,
        )
    return CredentialsError(
        f"{SERVICE}: the client credentials were refused ({code}: {description}); renew the "
        "client secret or certificate of the app registration",
        SERVICE,
    )
