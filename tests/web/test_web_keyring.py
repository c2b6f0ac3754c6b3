"""The key ring: newest key encrypts, any key decrypts, errors never show keys or values."""

from __future__ import annotations

import pytest

from sheets_sync.errors import ConfigError
from sheets_sync.secrets import KeyRing, SecretsError, generate_key, load_keyring


def test_newest_key_encrypts_and_older_keys_still_decrypt() -> None:
    old, new = generate_key(), generate_key()
    token = KeyRing([old]).encrypt("hunter2")
    ring = KeyRing([new, old])
    assert ring.decrypt(token) == "hunter2"
    assert not ring.is_current(token)
    rotated = ring.rotate(token)
    assert ring.is_current(rotated)
    assert KeyRing([new]).decrypt(rotated) == "hunter2"
    assert KeyRing([new]).decrypt_json(ring.encrypt_json({"a": 1})) == {"a": 1}


def test_wrong_key_and_bad_keys_fail_with_one_clear_line() -> None:
    token = KeyRing([generate_key()]).encrypt("hunter2")
    with pytest.raises(SecretsError) as caught:
        KeyRing([generate_key()]).decrypt(token)
    assert "hunter2" not in str(caught.value)
    bad = "not-a-fernet-key-but-secret-looking"
    with pytest.raises(ConfigError) as config_error:
        KeyRing([generate_key(), bad])
    assert "key #2" in str(config_error.value)
    assert bad not in str(config_error.value)
    with pytest.raises(ConfigError, match="keys generate"):
        load_keyring(None, None)


def test_keys_can_come_from_a_secret_manager_version() -> None:
    key = generate_key()
    asked: list[str] = []

    def reader(name: str) -> str:
        asked.append(name)
        return f" {key} ,\n"

    name = "projects/acme/secrets/sheets-sync-keys/versions/latest"
    ring = load_keyring(None, name, reader=reader)
    assert asked == [name]
    assert KeyRing([key]).decrypt(ring.encrypt("x")) == "x"

    def denied(name: str) -> str:
        raise PermissionError("403")

    with pytest.raises(ConfigError, match="secretAccessor"):
        load_keyring(None, name, reader=denied)
