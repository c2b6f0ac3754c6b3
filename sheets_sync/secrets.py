"""Encryption at rest for tokens and other credentials, with rotatable keys.

A :class:`KeyRing` holds one or more Fernet keys, newest first. New values are always encrypted
with the newest key; values written under any older key still decrypt, so a key can be added
without downtime and :meth:`KeyRing.rotate` (run for every stored value by ``sheets-sync keys
rotate``) re-encrypts old values before the oldest key is retired.

The keys come from ``SHEETS_SYNC_ENCRYPTION_KEYS`` (comma-separated) or from a Google Secret
Manager secret version named by ``SHEETS_SYNC_ENCRYPTION_KEYS_SECRET`` whose payload is the same
comma-separated list, read through Secret Manager's REST API with google-auth. Neither a key
nor a plaintext ever appears in an error message.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sheets_sync.errors import ConfigError, SheetsSyncError

SecretReader = Callable[[str], str]
SECRET_MANAGER_URL = "https://secretmanager.googleapis.com/v1"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
_SECRET_VERSION = re.compile(r"projects/[^/]+/secrets/[^/]+/versions/[^/]+")


class SecretsError(SheetsSyncError):
    """A stored secret cannot be decrypted with the configured keys."""


def generate_key() -> str:
    """A new random Fernet key (urlsafe base64 text), for ``sheets-sync keys generate``."""
    return Fernet.generate_key().decode("ascii")


def parse_keys(text: str) -> list[str]:
    """Split a comma-separated key list, newest first, dropping blanks."""
    return [part.strip() for part in text.split(",") if part.strip()]


class KeyRing:
    """Encrypts with the newest key and decrypts with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ConfigError(
                "no encryption key configured; set SHEETS_SYNC_ENCRYPTION_KEYS to the output "
                "of `sheets-sync keys generate`"
            )
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                # The key itself must never be echoed; its position is enough to find it.
                raise ConfigError(
                    f"encryption key #{position} is not a Fernet key (32 url-safe base64 bytes); "
                    "generate one with `sheets-sync keys generate`"
                ) from None
        self._multi = MultiFernet(fernets)
        self._newest = fernets[0]
        self.size = len(fernets)

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` with the newest key; returns a Fernet token as text."""
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token written under any configured key."""
        try:
            return self._multi.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise SecretsError(
                "a stored secret cannot be decrypted with the configured keys; was a key removed "
                "from SHEETS_SYNC_ENCRYPTION_KEYS before `sheets-sync keys rotate` ran?"
            ) from None

    def encrypt_json(self, value: Any) -> str:
        """Encrypt a JSON-serialisable value."""
        return self.encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True))

    def decrypt_json(self, token: str) -> Any:
        """Decrypt a value written by :meth:`encrypt_json`."""
        return json.loads(self.decrypt(token))

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the newest key (the plaintext never leaves this call)."""
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise SecretsError(
                "a stored secret cannot be decrypted with the configured keys, so it cannot be "
                "rotated; add its key back to SHEETS_SYNC_ENCRYPTION_KEYS"
            ) from None

    def is_current(self, token: str) -> bool:
        """Whether ``token`` was written under the newest key."""
        try:
            self._newest.decrypt(token.encode("ascii"))
        except InvalidToken:
            return False
        return True


def read_secret_manager(name: str, session: Any = None, base_url: str = SECRET_MANAGER_URL) -> str:
    """Read a Secret Manager secret version (``projects/P/secrets/S/versions/V``) as text.

    Calls the REST API's ``:access`` method with the service's default credentials (the App
    Engine service account needs the Secret Manager Secret Accessor role). ``session`` replaces
    the authorised HTTP session (tests point it at a loopback server).
    """
    if not _SECRET_VERSION.fullmatch(name):
        raise ConfigError(
            f"SHEETS_SYNC_ENCRYPTION_KEYS_SECRET {name!r} is not a secret version name like "
            "projects/my-project/secrets/sheets-sync-keys/versions/latest"
        )
    if session is None:
        import google.auth
        from google.auth.transport.requests import AuthorizedSession

        credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
        session = AuthorizedSession(credentials)
    response = session.get(f"{base_url}/{name}:access", timeout=10)
    if response.status_code != 200:
        raise ConfigError(
            f"Secret Manager answered {response.status_code} for {name!r}; check the name and "
            "that the service account has the Secret Manager Secret Accessor role"
        )
    try:
        data = response.json()["payload"]["data"]
        return base64.b64decode(data).decode("utf-8")
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"Secret Manager returned no readable payload for {name!r}") from None


def load_keyring(
    keys: str | None,
    secret_name: str | None = None,
    reader: SecretReader = read_secret_manager,
) -> KeyRing:
    """Build the key ring from the configured keys, or from the named Secret Manager secret."""
    if keys:
        return KeyRing(parse_keys(keys))
    if secret_name:
        try:
            payload = reader(secret_name)
        except SheetsSyncError:
            raise
        except Exception as err:
            raise ConfigError(
                f"cannot read encryption keys from Secret Manager {secret_name!r}: "
                f"{type(err).__name__}; check the name and the service account's "
                "secretAccessor role"
            ) from err
        return KeyRing(parse_keys(payload))
    return KeyRing([])
