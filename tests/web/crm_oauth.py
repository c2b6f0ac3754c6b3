"""The Salesforce emulator with the OAuth web-server flow's endpoints, for the connection tests.

The consent screen is simulated by :meth:`OAuthSalesforceEmulator.authorize`; the token
endpoint's ``authorization_code`` grant (client secret, redirect URI, single-use code, PKCE
S256 verifier checked) and ``/services/oauth2/revoke`` are served over the emulator's TLS
loopback server. Every other request goes to the emulator unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

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
