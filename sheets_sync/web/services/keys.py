"""Re-encrypting every stored secret under the newest key (``sheets-sync keys rotate``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sheets_sync.db.models import Connection, User
from sheets_sync.secrets import KeyRing

# Every column that holds a Fernet token; a new encrypted column must be added here.
ENCRYPTED_COLUMNS = (
    (Connection, Connection.secrets_encrypted),
    (User, User.google_token_encrypted),
)


@dataclass(frozen=True)
class RotationResult:
    """How many stored secrets were re-encrypted, and how many already used the newest key."""

    rotated: int
    current: int


def rotate_secrets(factory: sessionmaker[Session], keyring: KeyRing) -> RotationResult:
    """Re-encrypt every stored secret under the keyring's newest key, in one transaction.

    Either all secrets are rotated or none is (a value no configured key opens stops the
    rotation with :class:`~sheets_sync.secrets.SecretsError`), so the oldest key may be retired
    once this returns.
    """
    rotated = current = 0
    with factory() as session, session.begin():
        for model, column in ENCRYPTED_COLUMNS:
            rows = session.scalars(select(model).where(column.is_not(None)).with_for_update())
            for row in rows:
                token = getattr(row, column.key)
                if keyring.is_current(token):
                    current += 1
                    continue
                setattr(row, column.key, keyring.rotate(token))
                rotated += 1
    return RotationResult(rotated, current)
