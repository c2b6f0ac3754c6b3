"""Signing the caller in for a request: token from the header -> verified identity -> user row."""

from __future__ import annotations

from datetime import timedelta

from flask import g, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sheets_sync.db.models import User
from sheets_sync.db.types import utcnow
from sheets_sync.web.extensions import db, signin
from sheets_sync.web.identity import AuthError, Identity, is_dev_token

LAST_SEEN_RESOLUTION = timedelta(hours=1)


def bearer_token() -> str:
    """The token of the ``Authorization: Bearer`` header, or :class:`AuthError`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(
            "not_signed_in", "Sign in first: the request carries no Google identity token."
        )
    return token.strip()


def verify_caller(token: str) -> Identity:
    """Verify ``token`` as a development token (when enabled) or a Google identity token."""
    if is_dev_token(token):
        if signin.dev is None:
            raise AuthError("dev_login_disabled", "Development sign-in is not enabled here.")
        return signin.dev.verify(token)
    if signin.google is None:
        raise AuthError(
            "google_login_unconfigured",
            "Google sign-in is not configured; set SHEETS_SYNC_GOOGLE_CLIENT_ID.",
            503,
        )
    return signin.google.verify(token)


def user_for(session: Session, identity: Identity) -> User:
    """The user row of ``identity``, created on first sign-in; the e-mail follows Google's."""
    user = session.scalar(select(User).where(User.subject == identity.subject))
    if user is None:
        user = User(subject=identity.subject, email=identity.email)
        session.add(user)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:  # a parallel first request created it
            user = session.scalars(select(User).where(User.subject == identity.subject)).one()
    now = utcnow()
    # Write only when something changed or an hour passed: a write per API call would take a
    # database write lock on every sidebar poll.
    if user.email != identity.email or now - user.last_seen_at > LAST_SEEN_RESOLUTION:
        user.email = identity.email
        user.last_seen_at = now
    session.commit()
    return user


def sign_in() -> User:
    """Authenticate the current request and remember its user on ``g``."""
    user = user_for(db.session, verify_caller(bearer_token()))
    g.user = user
    return user


def current_user_id() -> str:
    """The signed-in user's id (the API blueprint signs every request in first)."""
    user: User = g.user
    return user.id
