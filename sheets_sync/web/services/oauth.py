"""The OAuth 2.0 authorization-code flow shared by Google, Salesforce and HubSpot.

A flow has three steps, each a function here:

1. :func:`begin_authorization` (the signed-in sidebar asks for it): records a pending state,
   server side, bound to the user, expiring after :data:`STATE_TTL`, with a fresh PKCE code
   verifier stored encrypted. Only the SHA-256 of the ``state`` value is stored.
2. :func:`start_authorization` (the browser window opens our ``/oauth/<provider>/start``): binds
   the pending state to that browser with a random nonce (kept in a first-party cookie, stored
   hashed) and returns the provider's authorization URL (state, S256 code challenge).
3. :func:`consume_state` then :func:`exchange_code` (the provider redirects back to the
   callback): the state is deleted as it is read, so it works once; its provider, expiry and
   browser nonce are checked; the code is exchanged with the code verifier.

Every refusal is an :class:`OAuthError` with a stable code and one line for the user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sheets_sync.db.models import OAuthState
from sheets_sync.db.types import utcnow
from sheets_sync.secrets import KeyRing
from sheets_sync.web.services.errors import ServiceError

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
HTTP_TIMEOUT_SECONDS = 30.0
RESTART = "start connecting again from the sidebar"


class OAuthError(ServiceError):
    """An authorisation that cannot go on; the message says what to do."""

    status = 400
    code = "oauth_failed"


class OAuthNotConfigured(OAuthError):
    """The service has no OAuth client for this provider."""

    status = 503
    code = "oauth_not_configured"


@dataclass(frozen=True)
class OAuthClient:
    """One provider's OAuth client: who we are to it and where its endpoints are."""

    provider: str
    label: str
    client_id: str
    client_secret: str | None = field(repr=False)
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    pkce: bool = True
    extra_params: Mapping[str, str] = field(default_factory=dict)
    verify: bool | str = True  # a CA bundle path for emulators; True means the system store


@dataclass(frozen=True)
class ConsumedState:
    """A state that passed every check, with what the flow stored when it began."""

    user_id: str
    provider: str
    code_verifier: str | None
    params: dict[str, Any]


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def code_challenge(verifier: str) -> str:
    """The S256 PKCE challenge of ``verifier`` (RFC 7636, section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def begin_authorization(
    session: Session,
    keyring: KeyRing,
    user_id: str,
    client: OAuthClient,
    params: Mapping[str, Any],
) -> str:
    """Record a pending authorisation for ``user_id``; returns the one-time ``state`` value.

    ``params`` must hold ``redirect_uri``, and may hold what the callback needs (the
    connection to re-authorise, a name and label, a Salesforce host). Expired states of the
    user are deleted on the way.
    """
    session.execute(
        delete(OAuthState).where(OAuthState.user_id == user_id, OAuthState.expires_at < utcnow())
    )
    state = secrets.token_urlsafe(32)
    # 64 random bytes give an 86-character verifier, inside RFC 7636's 43-128.
    verifier = secrets.token_urlsafe(64) if client.pkce else None
    session.add(
        OAuthState(
            id=_digest(state),
            user_id=user_id,
            provider=client.provider,
            verifier_encrypted=keyring.encrypt(verifier) if verifier else None,
            params=dict(params),
            expires_at=utcnow() + STATE_TTL,
        )
    )
    session.flush()
    return state


def start_authorization(
    session: Session,
    keyring: KeyRing,
    provider: str,
    client_for: Callable[[Mapping[str, Any]], OAuthClient],
    state: str,
    nonce: str,
) -> str:
    """Bind a pending state to the browser holding ``nonce``; returns the provider's URL.

    A state can be started once: a second start (another browser replaying the link) is
    refused, so only the browser that opened the link can finish the flow.
    """
    row = _pending(session, provider, state)
    # The client can depend on what the flow began with (a Salesforce sandbox host).
    client = client_for(row.params)
    taken = session.execute(
        update(OAuthState)
        .where(OAuthState.id == row.id, OAuthState.nonce_hash.is_(None))
        .values(nonce_hash=_digest(nonce))
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise OAuthError(
            f"This authorisation link was already opened; {RESTART}.", "oauth_state_used"
        )
    query: dict[str, str] = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": str(row.params["redirect_uri"]),
        "state": state,
    }
    if client.scopes:
        query["scope"] = " ".join(client.scopes)
    if client.pkce:
        if not row.verifier_encrypted:
            raise OAuthError(
                f"This authorisation has no PKCE code verifier; {RESTART}.",
                "oauth_verifier_missing",
            )
        query["code_challenge"] = code_challenge(keyring.decrypt(row.verifier_encrypted))
        query["code_challenge_method"] = "S256"
    query.update(client.extra_params)
    query.update({k: str(v) for k, v in row.params.get("authorize_params", {}).items()})
    separator = "&" if "?" in client.authorize_url else "?"
    return client.authorize_url + separator + urlencode(query)


def consume_state(
    session: Session, keyring: KeyRing, provider: str, state: str | None, nonce: str | None
) -> ConsumedState:
    """Check and delete the state the provider sent back; the caller commits at once.

    Refused: a missing, unknown or already used state; one of another provider; an expired
    one; one finished in another browser than the one that started it (nonce mismatch); one
    whose PKCE code verifier is missing.
    """
    if not state:
        raise OAuthError(
            f"The answer from the provider has no state parameter; {RESTART}.",
            "oauth_state_missing",
        )
    row = session.get(OAuthState, _digest(state))
    gone = session.execute(delete(OAuthState).where(OAuthState.id == _digest(state)))
    if row is None or getattr(gone, "rowcount", 0) != 1:
        raise OAuthError(
            f"This authorisation was already completed, has expired or was never started; "
            f"{RESTART}.",
            "oauth_state_invalid",
        )
    if row.provider != provider:
        raise OAuthError(
            f"This answer does not belong to the {provider} authorisation that was started; "
            f"{RESTART}.",
            "oauth_state_mismatch",
        )
    if row.expires_at < utcnow():
        raise OAuthError(
            f"This authorisation took too long and expired; {RESTART}.", "oauth_expired"
        )
    if (
        row.nonce_hash is None
        or not nonce
        or not hmac.compare_digest(row.nonce_hash, _digest(nonce))
    ):
        raise OAuthError(
            "This authorisation was finished in a different browser window than the one that "
            f"started it; {RESTART} and finish in the same window.",
            "oauth_state_mismatch",
        )
    verifier = keyring.decrypt(row.verifier_encrypted) if row.verifier_encrypted else None
    return ConsumedState(row.user_id, row.provider, verifier, dict(row.params))


def exchange_code(
    client: OAuthClient, code: str, consumed: ConsumedState, http: Any = None
) -> dict[str, Any]:
    """Exchange the authorization ``code`` for tokens at the provider's token endpoint."""
    if client.pkce and not consumed.code_verifier:
        raise OAuthError(
            f"This authorisation has no PKCE code verifier; {RESTART}.", "oauth_verifier_missing"
        )
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": str(consumed.params["redirect_uri"]),
        "client_id": client.client_id,
    }
    if client.client_secret:
        form["client_secret"] = client.client_secret
    if consumed.code_verifier:
        form["code_verifier"] = consumed.code_verifier
    return token_request(client, form, http)


def token_request(client: OAuthClient, form: Mapping[str, str], http: Any = None) -> dict[str, Any]:
    """POST ``form`` to the token endpoint; the provider's refusal becomes an OAuthError."""
    poster = http or requests
    try:
        response = poster.post(
            client.token_url,
            data=dict(form),
            headers={"Accept": "application/json"},
            timeout=HTTP_TIMEOUT_SECONDS,
            verify=client.verify,
        )
    except requests.RequestException as err:
        raise OAuthError(
            f"{client.label} could not be reached to finish the authorisation "
            f"({type(err).__name__}); try again in a minute.",
            "oauth_provider_unreachable",
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        # Only the provider's short error code is shown: never its free text or our form.
        reason = (
            str(body.get("error"))[:64] if isinstance(body, dict) and body.get("error") else None
        )
        raise OAuthError(
            f"{client.label} refused the authorisation ({reason or response.status_code}); "
            f"{RESTART}.",
            "oauth_exchange_failed",
        )
    return body


def revoke(
    url: str,
    method: str,
    label: str,
    data: Mapping[str, str] | None = None,
    verify: bool | str = True,
    http: Any = None,
) -> bool:
    """Ask a provider to revoke a token; best effort (returns whether it answered 2xx).

    A failed revocation is logged without the token: the local copy is deleted either way,
    and the user can still remove the app's access in the provider's settings.
    """
    caller = http or requests
    try:
        response = caller.request(
            method, url, data=dict(data or {}), timeout=HTTP_TIMEOUT_SECONDS, verify=verify
        )
    except requests.RequestException as err:
        log.warning("could not reach %s to revoke a token: %s", label, type(err).__name__)
        return False
    if not 200 <= response.status_code < 300:
        log.warning("%s answered %s to a token revocation", label, response.status_code)
        return False
    return True


def _pending(session: Session, provider: str, state: str) -> OAuthState:
    row = session.scalar(select(OAuthState).where(OAuthState.id == _digest(state)))
    if row is None or row.provider != provider:
        raise OAuthError(
            f"This authorisation link is not valid or was already used; {RESTART}.",
            "oauth_state_invalid",
        )
    if row.expires_at < utcnow():
        raise OAuthError(f"This authorisation link has expired; {RESTART}.", "oauth_expired")
    return row
