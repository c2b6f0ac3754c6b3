"""Getting a Salesforce session: OAuth refresh token, JWT bearer, or username + password + token.

:func:`login` returns a :class:`Token` (access token + instance URL). The OAuth grants post to
``<login_url>/services/oauth2/token`` through the connector's :class:`ApiSession`, so the token
endpoint gets the same timeout and retry policy as the API. Username/password logins go through
simple-salesforce's own SOAP login (``SalesforceLogin`` with the configured login URL).
Refusals become :class:`CredentialsError` messages saying what to fix; secrets never appear in
them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import jwt
import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin

from connectors.common.errors import CredentialsError, MalformedResponseError
from connectors.salesforce.settings import SalesforceSettings
from sheets_sync.errors import ConfigError

SERVICE = "Salesforce"

_GRANT_HINTS = {
    "invalid_grant": "the refresh token or user authorization expired or was revoked: "
    "reconnect Salesforce",
    "invalid_client_id": "the client_id (consumer key) is wrong: copy it from the connected app",
    "invalid_client": "the client_id / client_secret pair is wrong: copy them from the "
    "connected app",
    "unsupported_grant_type": "this grant is not enabled for the connected app",
    "inactive_user": "the Salesforce user is inactive: reactivate it or connect another user",
    "inactive_org": "the Salesforce org is locked or inactive",
}


@dataclass(frozen=True)
class Token:
    """A Salesforce session: the bearer token and the instance it belongs to."""

    access_token: str
    instance_url: str

    def __repr__(self) -> str:  # keeps the token out of logs and tracebacks
        return f"Token(instance_url={self.instance_url!r})"


def _jwt_assertion(settings: SalesforceSettings) -> str:
    key = settings.secret("private_key")
    if key is None and settings.private_key_file:
        try:
            key = Path(settings.private_key_file).read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(
                f"salesforce: cannot read private_key_file {settings.private_key_file!r}: "
                f"{err.strerror}"
            ) from err
    if not key:
        raise ConfigError("salesforce: auth 'jwt' needs private_key or private_key_file")
    claims = {
        "iss": settings.client_id,
        "sub": settings.username,
        "aud": settings.login_url,
        "exp": int(time.time()) + 180,
    }
    try:
        return jwt.encode(claims, key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as err:
        raise ConfigError("salesforce: the JWT private key is not a valid RSA PEM key") from err


def _grant_data(settings: SalesforceSettings) -> dict[str, str]:
    if settings.auth == "jwt":
        return {
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": _jwt_assertion(settings),
        }
    data = {
        "grant_type": "refresh_token",
        "client_id": str(settings.client_id),
        "refresh_token": str(settings.secret("refresh_token")),
    }
    if settings.secret("client_secret"):
        data["client_secret"] = str(settings.secret("client_secret"))
    return data


def _oauth_login(session: requests.Session, settings: SalesforceSettings) -> Token:
    url = f"{settings.login_url}/services/oauth2/token"
    response = session.post(url, data=_grant_data(settings))
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200:
        code = body.get("error", "") if isinstance(body, dict) else ""
        detail = body.get("error_description", "") if isinstance(body, dict) else ""
        hint = _GRANT_HINTS.get(code, "check the connected app and the credentials")
        raise CredentialsError(
            f"Salesforce refused the {settings.auth} login at {settings.login_url} "
            f"({response.status_code} {code}{': ' + detail if detail else ''}); {hint}",
            SERVICE,
            response.status_code,
        )
    if not isinstance(body, dict) or not body.get("access_token") or not body.get("instance_url"):
        raise MalformedResponseError(
            f"Salesforce token endpoint at {settings.login_url} answered without an access "
            "token or instance URL; check login_url points at a Salesforce login host",
            SERVICE,
        )
    return Token(body["access_token"], str(body["instance_url"]).rstrip("/"))


def _password_login(session: requests.Session, settings: SalesforceSettings) -> Token:
    try:
        session_id, instance = SalesforceLogin(
            username=settings.username,
            password=settings.secret("password"),
            security_token=settings.secret("security_token"),
            sf_version=settings.api_version,
            session=session,
            scratch_url=settings.login_url,
        )
    except SalesforceAuthenticationFailed as err:
        raise CredentialsError(
            f"Salesforce refused the username/password login at {settings.login_url} "
            f"({err.code}); check the username, password and security token (reset the token "
            "after a password change)",
            SERVICE,
            401,
        ) from err
    return Token(session_id, f"https://{instance}")


def login(session: requests.Session, settings: SalesforceSettings) -> Token:
    """Authenticate with the configured method and return a fresh :class:`Token`."""
    if settings.auth == "password":
        return _password_login(session, settings)
    return _oauth_login(session, settings)
