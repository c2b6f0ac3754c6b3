"""A loopback emulator of Google's OAuth 2.0 authorization server, for the service's tests.

The authorization endpoint (where a person consents) is simulated in-process by
:meth:`GoogleOAuthEmulator.authorize`, which checks the query the service built and returns
the code Google would redirect back with. The token and revoke endpoints are a real HTTP
server on 127.0.0.1, so the service talks to them exactly as it would to Google:

- ``POST /token`` with ``authorization_code`` (client secret, redirect URI, single-use code and
  the PKCE S256 ``code_verifier`` are all checked) or ``refresh_token`` (a scope outside the
  grant is ``invalid_scope``; a revoked token is ``invalid_grant``);
- ``POST /revoke`` with ``token``.

Access tokens it issues are added to ``access_tokens``; share that set with the Sheets
emulator so that only tokens this server issued can write spreadsheets.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "web-client.apps.googleusercontent.example"
CLIENT_SECRET = "web-client-secret-4f1c"


@dataclass
class Grant:
    """What a person granted, as one refresh token or one pending authorization code."""

    scopes: list[str]
    redirect_uri: str = ""
    challenge: str | None = None
    revoked: bool = False


@dataclass
class GoogleOAuthEmulator:
    """Google's OAuth token and revoke endpoints, plus a simulated consent screen."""

    subject: str
    email: str
    access_tokens: set[str] = field(default_factory=set)
    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    omit_refresh_token: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> GoogleOAuthEmulator:
        """Serve on a free loopback port in a daemon thread."""
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        """Base URL of the server."""
        assert self._server is not None, "start() the emulator first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    @property
    def revoke_uri(self) -> str:
        return self.url + "/revoke"

    auth_uri = "https://accounts.google.example/o/oauth2/v2/auth"

    # --- the consent screen, simulated -------------------------------------------------------
    def authorize(self, url: str, granted: list[str] | None = None) -> dict[str, str]:
        """Check an authorization URL as Google would and consent; returns the redirect query.

        ``granted`` narrows the consent (granular consent lets people untick scopes).
        """
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.auth_uri, url
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["client_id"] == CLIENT_ID
        assert query["response_type"] == "code"
        assert query.get("code_challenge_method") == "S256", "PKCE S256 is required"
        assert query.get("code_challenge"), "PKCE challenge missing"
        scopes = query["scope"].split()
        code = "4/" + secrets.token_urlsafe(16)
        with self._lock:
            self.codes[code] = Grant(
                granted if granted is not None else scopes,
                query["redirect_uri"],
                query["code_challenge"],
            )
        return {"state": query["state"], "code": code}

    def revoke_all(self) -> None:
        """Revoke every refresh token, as when the user removes the app's access."""
        with self._lock:
            for grant in self.refresh_tokens.values():
                grant.revoked = True

    # --- endpoints ---------------------------------------------------------------------------
    def handle(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append((path, form))
            if path == "/token":
                return self._token(form)
            if path == "/revoke":
                grant = self.refresh_tokens.get(form.get("token", ""))
                if grant is None:
                    return 400, {"error": "invalid_token"}
                grant.revoked = True
                return 200, {}
            return 404, {"error": "not_found"}

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        if form.get("grant_type") == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)  # a code works once
            if grant is None or grant.redirect_uri != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
            verifier = form.get("code_verifier")
            if not verifier:
                return 400, {
                    "error": "invalid_request",
                    "error_description": "Missing code verifier.",
                }
            digest = hashlib.sha256(verifier.encode("ascii")).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Invalid code verifier.",
                }
            answer = self._access(grant.scopes)
            if not self.omit_refresh_token:
                refresh = "1//" + secrets.token_urlsafe(24)
                self.refresh_tokens[refresh] = Grant(grant.scopes)
                answer["refresh_token"] = refresh
            if "openid" in grant.scopes:
                answer["id_token"] = _unsigned_jwt(
                    {
                        "iss": "https://accounts.google.com",
                        "aud": CLIENT_ID,
                        "sub": self.subject,
                        "email": self.email,
                    }
                )
            return 200, answer
        if form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
            asked = form.get("scope", "").split()
            if any(scope not in grant.scopes for scope in asked):
                return 400, {"error": "invalid_scope", "error_description": "Bad Request"}
            return 200, self._access(asked or grant.scopes)
        return 400, {"error": "unsupported_grant_type"}

    def _access(self, scopes: list[str]) -> dict[str, Any]:
        token = "ya29." + secrets.token_urlsafe(16)
        self.access_tokens.add(token)
        return {
            "access_token": token,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": " ".join(scopes),
        }


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.{part({'sig': 'none'})}"


class _Handler(BaseHTTPRequestHandler):
    emulator: GoogleOAuthEmulator

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(body).items()}
        status, answer = self.emulator.handle(urlsplit(self.path).path, form)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
