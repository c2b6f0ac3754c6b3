"""The user's Google authorisation: store, describe and revoke it, and build credentials from it.

The refresh token is stored only encrypted, in ``users.google_token_encrypted``, as JSON with
the scopes Google granted. :func:`user_credentials` turns it into
``google.oauth2.credentials.Credentials`` whose refresh failures read as one clear line: a
token revoked at Google (``invalid_grant``) raises :class:`GoogleReauthorizationNeeded`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import google.auth.exceptions
import google.auth.transport
from google.auth import jwt
from google.oauth2 import credentials as oauth2_credentials

from sheets_sync.db.models import User
from sheets_sync.db.types import utcnow
from sheets_sync.errors import DestinationError
from sheets_sync.secrets import KeyRing
from sheets_sync.web.services.oauth import OAuthClient, OAuthError, revoke
from sheets_sync.web.settings import Settings

DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"
SPREADSHEETS = "https://www.googleapis.com/auth/spreadsheets"
WRITE_SCOPES = (DRIVE_FILE, SPREADSHEETS)
REAUTHORIZE = "re-authorize Google in the sidebar (Settings > Google account)"


class GoogleReauthorizationNeeded(DestinationError):
    """Google no longer accepts the user's refresh token (revoked, expired or password reset)."""

    code = "google_reauthorization_needed"


def store_google_token(
    keyring: KeyRing, user: User, client: OAuthClient, tokens: Mapping[str, Any]
) -> list[str]:
    """Keep the refresh token Google returned for ``user``; returns the granted scopes.

    Refused: an answer for another Google account than the signed-in one, an answer without
    a scope that lets the service write spreadsheets, and (on a first grant) an answer
    without a refresh token.
    """
    granted = str(tokens.get("scope") or " ".join(client.scopes)).split()
    _check_account(user, tokens.get("id_token"))
    if not any(scope in granted for scope in WRITE_SCOPES):
        raise OAuthError(
            "Google did not grant access to the spreadsheets this service creates; connect "
            "Google again and leave the 'See, edit, create, and delete only the specific Google "
            "Drive files you use with this app' box ticked.",
            "oauth_scope_missing",
        )
    refresh_token = tokens.get("refresh_token")
    if not refresh_token:
        # A repeated consent may omit it; the one already stored stays valid then.
        if user.google_token_encrypted:
            return list(keyring.decrypt_json(user.google_token_encrypted)["scopes"])
        raise OAuthError(
            "Google did not return a refresh token; remove this app at "
            "myaccount.google.com/permissions and connect Google again.",
            "oauth_no_refresh_token",
        )
    user.google_token_encrypted = keyring.encrypt_json(
        {"refresh_token": refresh_token, "scopes": granted, "granted_at": utcnow().isoformat()}
    )
    return granted


def google_authorization(keyring: KeyRing, user: User) -> dict[str, Any] | None:
    """What the user granted (scopes, when), without the token; ``None`` when nothing is."""
    if not user.google_token_encrypted:
        return None
    stored = keyring.decrypt_json(user.google_token_encrypted)
    return {"scopes": list(stored.get("scopes", [])), "granted_at": stored.get("granted_at")}


def revoke_google(settings: Settings, keyring: KeyRing, user: User, http: Any = None) -> bool:
    """Revoke the user's token at Google and forget it; returns whether Google confirmed."""
    if not user.google_token_encrypted:
        return False
    token = keyring.decrypt_json(user.google_token_encrypted)["refresh_token"]
    user.google_token_encrypted = None
    return revoke(settings.google_revoke_uri, "POST", "Google", {"token": token}, http=http)


def user_credentials(settings: Settings, keyring: KeyRing, user: User) -> ReauthorizingCredentials:
    """Credentials that act as ``user`` with the scopes they granted.

    Raises :class:`GoogleReauthorizationNeeded` when the user never authorised the service.
    """
    if not user.google_token_encrypted:
        raise GoogleReauthorizationNeeded(
            "This report writes to Google Sheets as you, but you have not authorised the "
            f"service yet; {REAUTHORIZE}."
        )
    stored = keyring.decrypt_json(user.google_token_encrypted)
    client_secret = settings.google_oauth_client_secret
    return ReauthorizingCredentials(
        token=None,
        refresh_token=stored["refresh_token"],
        token_uri=settings.google_token_uri,
        client_id=settings.google_oauth_client_id or settings.google_client_id,
        client_secret=client_secret.get_secret_value() if client_secret else None,
        # Only the granted scopes: asking for more on refresh makes Google refuse it.
        scopes=[s for s in stored.get("scopes", []) if s.startswith("https://")],
    )


class ReauthorizingCredentials(oauth2_credentials.Credentials):  # type: ignore[misc]
    """User credentials whose refresh failure names the fix instead of a raw OAuth error."""

    def refresh(self, request: google.auth.transport.Request) -> None:
        """Get a new access token; a revoked grant becomes :class:`GoogleReauthorizationNeeded`."""
        try:
            super().refresh(request)
        except google.auth.exceptions.RefreshError as err:
            if "invalid_grant" in str(err):
                raise GoogleReauthorizationNeeded(
                    f"Google no longer accepts the service's access to your account; {REAUTHORIZE}."
                ) from None
            raise DestinationError(
                f"Google refused to renew the service's access ({type(err).__name__}); try again "
                f"later, or {REAUTHORIZE}."
            ) from None


def _check_account(user: User, id_token: Any) -> None:
    if not id_token or user.subject.startswith("dev:"):
        return
    # The ID token comes straight from Google's token endpoint over TLS, so OpenID Connect
    # allows reading it without checking its signature (Core 1.0, section 3.1.3.7).
    try:
        claims = jwt.decode(str(id_token), verify=False)
    except ValueError:
        raise OAuthError(
            "Google's answer carried an unreadable ID token; connect Google again.",
            "oauth_exchange_failed",
        ) from None
    if str(claims.get("sub")) != user.subject:
        raise OAuthError(
            f"You authorised {claims.get('email') or 'another Google account'} but are signed in "
            f"as {user.email}; connect Google again and choose {user.email}.",
            "oauth_wrong_account",
        )
