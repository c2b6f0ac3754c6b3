"""The key ring: newest key encrypts, any key decrypts, errors never show keys or values."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from sheets_sync.errors import ConfigError
from sheets_sync.secrets import (
    KeyRing,
    SecretsError,
    generate_key,
    load_keyring,
    read_secret_manager,
)


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


@pytest.fixture
def secret_manager() -> Iterator[tuple[str, list[str], dict[str, str]]]:
    """A loopback Secret Manager REST API holding ``secrets`` (name -> payload)."""
    secrets: dict[str, str] = {}
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            name = self.path.removeprefix("/v1/").removesuffix(":access")
            if name not in secrets:
                self.send_response(403)
                self.end_headers()
                return
            data = base64.b64encode(secrets[name].encode()).decode()
            body = json.dumps({"name": name, "payload": {"data": data}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1", paths, secrets
    server.shutdown()
    server.server_close()


def test_secret_manager_rest_api_is_read(
    secret_manager: tuple[str, list[str], dict[str, str]],
) -> None:
    url, paths, secrets = secret_manager
    name = "projects/acme/secrets/sheets-sync-keys/versions/3"
    new, old = generate_key(), generate_key()
    secrets[name] = f"{new},{old}"
    with requests.Session() as session:
        assert read_secret_manager(name, session, url) == f"{new},{old}"
        assert paths == [f"/v1/{name}:access"]
        ring = load_keyring(None, name, reader=lambda n: read_secret_manager(n, session, url))
        assert ring.size == 2
        with pytest.raises(ConfigError, match="answered 403"):
            read_secret_manager("projects/acme/secrets/other/versions/1", session, url)
        with pytest.raises(ConfigError, match="not a secret version name"):
            read_secret_manager("sheets-sync-keys", session, url)
