"""Who is calling: Google identity tokens from the add-on, and local development tokens.

The add-on sends ``Authorization: Bearer <token>`` where the token is the user's OpenID Connect
identity token (``ScriptApp.getIdentityToken()`` with the ``openid`` scope). The service checks
it with google-auth against Google's signing certificates: signature, issuer, audience (the
configured OAuth client id), expiry, a verified e-mail and, optionally, the Workspace domain
(the ``hd`` claim, which only Google sets; the e-mail's domain alone proves nothing).

For ``make demo``-style local use, :class:`DevTokens` signs short-lived tokens with the service's
secret key. The app factory refuses to start with development sign-in enabled in production or
on App Engine (see :meth:`sheets_sync.web.settings.Settings.check`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import google.auth.transport.requests
from google.auth import jwt as google_jwt
from google.auth import transport
from google.oauth2 import id_token
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from sheets_sync.errors import SheetsSyncError

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
DEV_TOKEN_PREFIX = "dev."
DEV_TOKEN_MAX_AGE = 12 * 3600
CLOCK_SKEW_SECONDS = 10
_MAX_AGE = re.compile(r"max-age=(\d+)")


class AuthError(SheetsSyncError):
    """The caller is not signed in (401) or not allowed (403); ``code`` is machine-readable."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Identity:
    """A verified caller: Google's stable subject id and e-mail address."""

    subject: str
    email: str
    domain: str | None = None


class CachingRequest(transport.Request):
    """A google-auth transport request that caches GET responses for their ``max-age``.

    Google rotates its signing certificates daily and says how long to cache them; fetching them
    on every API call would add a network round trip to each request.
    """

    def __init__(self, inner: transport.Request | None = None, default_ttl: float = 300) -> None:
        self._inner = inner or google.auth.transport.requests.Request()
        self._default_ttl = default_ttl
        self._cache: dict[str, tuple[float, transport.Response]] = {}
        self._lock = threading.Lock()

    def __call__(  # type: ignore[override]
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> transport.Response:
        if method != "GET" or body is not None:
            return self._inner(url, method=method, body=body, headers=headers, timeout=timeout)
        with self._lock:
            hit = self._cache.get(url)
            if hit and hit[0] > time.monotonic():
                return hit[1]
        response = self._inner(url, method="GET", headers=headers, timeout=timeout or 10)
        if response.status == 200:
            ttl = self._ttl(response.headers.get("Cache-Control", ""))
            with self._lock:
                self._cache[url] = (time.monotonic() + ttl, response)
        return response

    def _ttl(self, cache_control: str) -> float:
        match = _MAX_AGE.search(cache_control or "")
        return float(match.group(1)) if match else self._default_ttl


class GoogleTokenVerifier:
    """Checks Google identity tokens issued to ``client_id``."""

    def __init__(
        self,
        client_id: str,
        certs_url: str,
        allowed_domains: Sequence[str] = (),
        request: transport.Request | None = None,
    ) -> None:
        self.client_id = client_id
        self.certs_url = certs_url
        self.allowed_domains = tuple(d.lower() for d in allowed_domains)
        self._request = request or CachingRequest()

    def verify(self, token: str) -> Identity:
        """Return the caller's identity or raise :class:`AuthError` saying what to do."""
        try:
            claims = id_token.verify_token(
                token,
                self._request,
                audience=self.client_id,
                certs_url=self.certs_url,
                clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
            )
        except (ValueError, google.auth.exceptions.GoogleAuthError) as err:
            # google-auth has decided; the unverified claims only choose the wording.
            raise self._explain(token, err) from err
        if claims.get("iss") not in GOOGLE_ISSUERS:
            raise AuthError("invalid_token", "This sign-in token was not issued by Google.")
        return self._identity(claims)

    def _identity(self, claims: Mapping[str, Any]) -> Identity:
        email = str(claims.get("email") or "")
        if not email:
            raise AuthError(
                "email_missing",
                "Your sign-in token has no e-mail address; the add-on must request the "
                "openid and email scopes.",
            )
        if claims.get("email_verified") is not True:
            raise AuthError(
                "email_unverified",
                "Your Google account's e-mail address is not verified; verify it and try again.",
                403,
            )
        domain = claims.get("hd")
        if self.allowed_domains and (not domain or str(domain).lower() not in self.allowed_domains):
            raise AuthError(
                "domain_not_allowed",
                "This service only accepts accounts of "
                f"{', '.join(self.allowed_domains)}; sign in with one of them.",
                403,
            )
        return Identity(str(claims["sub"]), email.lower(), str(domain).lower() if domain else None)

    def _explain(self, token: str, err: Exception) -> AuthError:
        if isinstance(err, google.auth.exceptions.TransportError):
            return AuthError(
                "certs_unavailable",
                "Google's signing certificates could not be fetched; try again in a minute.",
                503,
            )
        try:
            claims = google_jwt.decode(token, verify=False)
        except (ValueError, google.auth.exceptions.GoogleAuthError):
            return AuthError("invalid_token", "The sign-in token is malformed; reopen the add-on.")
        exp = claims.get("exp")
        if isinstance(exp, int | float) and exp + CLOCK_SKEW_SECONDS < time.time():
            return AuthError(
                "token_expired", "Your sign-in has expired; close and reopen the add-on."
            )
        if claims.get("aud") != self.client_id:
            return AuthError(
                "wrong_audience",
                "This sign-in token was issued to another application; "
                "check SHEETS_SYNC_GOOGLE_CLIENT_ID matches the add-on's OAuth client.",
            )
        return AuthError(
            "invalid_signature", "The sign-in token's signature is not valid; reopen the add-on."
        )


class DevTokens:
    """Signed development sign-in tokens (local mode only)."""

    def __init__(self, secret_key: str, max_age: int = DEV_TOKEN_MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="sheets-sync-dev-login")
        self.max_age = max_age

    def issue(self, email: str) -> str:
        """A token that signs in as ``email`` for :attr:`max_age` seconds."""
        return DEV_TOKEN_PREFIX + self._serializer.dumps({"email": email.strip().lower()})

    def verify(self, token: str) -> Identity:
        """The identity inside a development token, or :class:`AuthError`."""
        body = token.removeprefix(DEV_TOKEN_PREFIX)
        try:
            data = self._serializer.loads(body, max_age=self.max_age)
        except SignatureExpired:
            raise AuthError(
                "token_expired", "The development token expired; run `sheets-sync dev-token`."
            ) from None
        except BadSignature:
            raise AuthError(
                "invalid_signature", "The development token's signature is not valid."
            ) from None
        email = str(data.get("email", "")) if isinstance(data, dict) else ""
        if "@" not in email:
            raise AuthError("invalid_token", "The development token names no e-mail address.")
        return Identity(subject=f"dev:{email}", email=email, domain=email.partition("@")[2])


def is_dev_token(token: str) -> bool:
    """Whether ``token`` has the development token's shape (never a Google JWT)."""
    return token.startswith(DEV_TOKEN_PREFIX)
