"""Who is calling: Google identity tokens verified against locally published certificates."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sheets_sync.web import create_app
from sheets_sync.web.extensions import db, runner
from sheets_sync.web.identity import DevTokens
from sheets_sync.web.settings import load_settings
from tests.web.google_certs import CertsServer, SigningKey


def _me(client: FlaskClient, token: str) -> tuple[int, dict[str, Any]]:
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.get_json()


def test_valid_token_signs_in_and_creates_the_user_once(
    client: FlaskClient, google_key: SigningKey
) -> None:
    status, body = _me(client, google_key.token(email="Ana@Acme.Example"))
    assert status == 200
    assert body["email"] == "ana@acme.example"
    again_status, again = _me(client, google_key.token())
    assert again_status == 200
    assert again["id"] == body["id"]
    # The subject identifies the user; a changed Google e-mail address follows along.
    renamed = _me(client, google_key.token(email="ana.new@acme.example"))[1]
    assert (renamed["id"], renamed["email"]) == (body["id"], "ana.new@acme.example")


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}, "token_expired"),
        ({"aud": "someone-else.apps.googleusercontent.com"}, "wrong_audience"),
        ({"iss": "https://evil.example"}, "invalid_token"),
    ],
    ids=["expired", "wrong-audience", "wrong-issuer"],
)
def test_rejected_tokens_are_401_with_a_reason(
    client: FlaskClient, google_key: SigningKey, claims: dict[str, Any], code: str
) -> None:
    status, body = _me(client, google_key.token(**claims))
    assert status == 401
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_forged_signature_is_rejected(client: FlaskClient) -> None:
    # Signed with a key whose certificate is not published, once under a published key id
    # (the signature check fails) and once under an unknown key id.
    impostor = SigningKey("key-2026-a")
    status, body = _me(client, impostor.token())
    assert (status, body["error"]["code"]) == (401, "invalid_signature")
    unknown = SigningKey("key-unknown")
    status, body = _me(client, unknown.token())
    assert (status, body["error"]["code"]) == (401, "invalid_signature")


def test_tampered_claims_break_the_signature(client: FlaskClient, google_key: SigningKey) -> None:
    import base64
    import json

    header, payload, signature = google_key.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "ceo@acme.example"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    status, body = _me(client, f"{header}.{forged}.{signature}")
    assert (status, body["error"]["code"]) == (401, "invalid_signature")


def test_unverified_email_is_403(client: FlaskClient, google_key: SigningKey) -> None:
    status, body = _me(client, google_key.token(email_verified=False))
    assert (status, body["error"]["code"]) == (403, "email_unverified")


def test_missing_or_malformed_header_is_401(client: FlaskClient) -> None:
    assert client.get("/api/me").status_code == 401
    response = client.get("/api/me", headers={"Authorization": "Basic abc"})
    assert response.get_json()["error"]["code"] == "not_signed_in"
    status, body = _me(client, "not-a-jwt")
    assert (status, body["error"]["code"]) == (401, "invalid_token")


def test_certificates_are_fetched_once_and_cached(
    client: FlaskClient, google_key: SigningKey, certs_server: CertsServer
) -> None:
    before = certs_server.hits
    for _ in range(3):
        assert _me(client, google_key.token())[0] == 200
    assert certs_server.hits - before <= 1


@pytest.fixture
def domain_app(settings_values: dict[str, Any]) -> Any:
    app = create_app(load_settings(environ={}, **settings_values, allowed_domains="acme.example"))
    yield app
    runner.shutdown(app)
    db.engine_for(app).dispose()


def test_allowed_domains_use_googles_hd_claim(domain_app: Flask, google_key: SigningKey) -> None:
    client = domain_app.test_client()
    assert _me(client, google_key.token())[0] == 200
    status, body = _me(client, google_key.token(hd="other.example", email="x@other.example"))
    assert (status, body["error"]["code"]) == (403, "domain_not_allowed")
    # A consumer account whose e-mail merely ends in the domain has no hd claim: refused.
    status, body = _me(client, google_key.token(hd=None, sub="9", email="eve@acme.example"))
    assert (status, body["error"]["code"]) == (403, "domain_not_allowed")


def test_dev_tokens_work_only_when_enabled(settings_values: dict[str, Any]) -> None:
    tokens = DevTokens(settings_values["secret_key"])
    token = tokens.issue("dev@localhost.test")
    disabled = create_app(load_settings(environ={}, **settings_values))
    try:
        status, body = _me(disabled.test_client(), token)
        assert (status, body["error"]["code"]) == (401, "dev_login_disabled")
    finally:
        runner.shutdown(disabled)
        db.engine_for(disabled).dispose()
    enabled = create_app(load_settings(environ={}, **settings_values, dev_login=True))
    try:
        client = enabled.test_client()
        status, body = _me(client, token)
        assert (status, body["email"]) == (200, "dev@localhost.test")
        forged = DevTokens("another-secret").issue("dev@localhost.test")
        status, body = _me(client, forged)
        assert (status, body["error"]["code"]) == (401, "invalid_signature")
    finally:
        runner.shutdown(enabled)
        db.engine_for(enabled).dispose()
