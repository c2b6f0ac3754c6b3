"""The Salesforce and HubSpot emulators with their OAuth flows' endpoints, for connection tests.

The consent screen is simulated by :meth:`OAuthSalesforceEmulator.authorize`; the token
endpoint's ``authorization_code`` grant (client secret, redirect URI, single-use code, PKCE
S256 verifier checked) and ``/services/oauth2/revoke`` are served over the emulator's TLS
loopback server. Every other request goes to the emulator unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.emulators.hubspot import server as hs
from tests.emulators.hubspot.portal import Portal, seed
from tests.emulators.hubspot.server import HubSpotEmulator
from tests.emulators.loopback import Reply, Request
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.salesforce import server as sf


class OAuthSalesforceEmulator(SalesforceEmulator):
    """Salesforce plus ``authorization_code`` and ``revoke``."""

    auth_codes: dict[str, tuple[str, str]]
    revoked: list[str]

    def authorize(self, url: str) -> dict[str, str]:
        """Consent as the org's user; returns the query Salesforce redirects back with."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
            f"{self.base_url}/services/oauth2/authorize"
        ), url
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["client_id"] == sf.CLIENT_ID and query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        code = "aPrx" + secrets.token_urlsafe(12)
        if not hasattr(self, "auth_codes"):
            self.auth_codes, self.revoked = {}, []
        self.auth_codes[code] = (query["redirect_uri"], query["code_challenge"])
        return {"state": query["state"], "code": code}

    def route(self, request: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if request.path == "/services/oauth2/revoke":
            self.revoked.append(form.get("token", ""))
            return Reply(200, {})
        if request.path == "/services/oauth2/token" and form.get("grant_type") == (
            "authorization_code"
        ):
            return self._exchange(form)
        return super().route(request)

    def _exchange(self, form: dict[str, str]) -> Reply:
        redirect, challenge = self.auth_codes.pop(form.get("code", ""), ("", ""))
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        ok = (
            form.get("client_id") == sf.CLIENT_ID
            and form.get("client_secret") == sf.CLIENT_SECRET
            and redirect == form.get("redirect_uri")
            and base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge
        )
        if not ok:
            return Reply(
                400, {"error": "invalid_grant", "error_description": "authentication failure"}
            )
        return Reply(
            200,
            {
                "access_token": self.issue_token(),
                "refresh_token": sf.REFRESH_TOKEN,
                "instance_url": self.base_url,
                "token_type": "Bearer",
                "scope": "api refresh_token",
            },
        )


class OAuthHubSpotEmulator(HubSpotEmulator):
    """HubSpot plus the install flow's ``authorization_code`` grant and refresh-token delete."""

    methods = (*HubSpotEmulator.methods, "DELETE")

    def __init__(self) -> None:
        super().__init__(seed(Portal(), deals=5))
        self.auth_codes: dict[str, str] = {}
        self.revoked: list[str] = []

    @property
    def auth_uri(self) -> str:
        return self.base_url + "/oauth/authorize"

    def authorize(self, url: str) -> dict[str, str]:
        """Install the app in the portal; returns the query HubSpot redirects back with."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.auth_uri, url
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["client_id"] == hs.CLIENT_ID
        assert "crm.objects.deals.read" in query["scope"].split()
        code = secrets.token_hex(8)
        self.auth_codes[code] = query["redirect_uri"]
        return {"state": query["state"], "code": code}

    def route(self, request: Request) -> tuple[int, Any]:
        if request.method == "DELETE" and request.path.startswith("/oauth/v1/refresh-tokens/"):
            self.revoked.append(request.path.rsplit("/", 1)[1])
            return 204, b""
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if request.path == "/oauth/v1/token" and form.get("grant_type") == "authorization_code":
            redirect = self.auth_codes.pop(form.get("code", ""), None)
            if (
                redirect is None
                or redirect != form.get("redirect_uri")
                or form.get("client_secret") != hs.CLIENT_SECRET
            ):
                return 400, {"status": "BAD_AUTH_CODE", "message": "auth code not found"}
            return 200, {
                "access_token": "oauth-" + secrets.token_hex(8),
                "refresh_token": hs.REFRESH_TOKEN,
                "expires_in": 1800,
                "token_type": "bearer",
            }
        return super().route(request)
