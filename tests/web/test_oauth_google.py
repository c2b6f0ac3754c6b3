"""The Google OAuth web flow: offline access, narrow scopes, single-use state, PKCE."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from sheets_sync.db.models import OAuthState, User
from sheets_sync.db.types import utcnow
from sheets_sync.web import create_app
from sheets_sync.web.extensions import db, runner
from sheets_sync.web.settings import load_settings
from tests.emulators.google_oauth.server import GoogleOAuthEmulator
from tests.web.helpers import call
from tests.web.oauth_flow import ANA_SUBJECT, connect_google, google_settings, start_google

DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"


@pytest.fixture
def google() -> Iterator[GoogleOAuthEmulator]:
    emulator = GoogleOAuthEmulator(ANA_SUBJECT, "ana@acme.example").start()
    yield emulator
    emulator.stop()


@pytest.fixture
def settings_values(settings_values: dict[str, Any], google: GoogleOAuthEmulator) -> dict[str, Any]:
    return {**settings_values, **google_settings(google)}


def _stored_token(app: Flask) -> str | None:
    with app.app_context():
        return db.session.scalars(select(User.google_token_encrypted)).one()


def _message(page: Any) -> str:
    return str(page.get_data(as_text=True))


def test_the_flow_stores_an_encrypted_refresh_token(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    redirect = start_google(client, ana)
    query = {k: v[0] for k, v in parse_qs(urlsplit(redirect.headers["Location"]).query).items()}
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"  # the first grant
    assert query["scope"].split() == ["openid", "email", DRIVE_FILE]
    assert query["code_challenge_method"] == "S256"
    assert "sheets_sync_oauth_google" in redirect.headers["Set-Cookie"]
    assert "HttpOnly" in redirect.headers["Set-Cookie"]

    answer = google.authorize(redirect.headers["Location"])
    page = client.get("/oauth/google/callback", query_string=answer)
    assert page.status_code == 200, _message(page)
    assert "Google is connected" in _message(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"

    exchange = next(form for path, form in google.requests if path == "/token")
    assert len(exchange["code_verifier"]) >= 43
    (refresh_token,) = google.refresh_tokens
    stored = _stored_token(app)
    assert stored and refresh_token not in stored
    status = call(client, "GET", "/google/authorization", ana).get_json()
    assert status["authorized"] is True and DRIVE_FILE in status["scopes"]
    with app.app_context():  # the state is gone once used
        assert db.session.scalars(select(OAuthState)).all() == []


def test_a_replayed_state_is_refused(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    answer = google.authorize(start_google(client, ana).headers["Location"])
    assert client.get("/oauth/google/callback", query_string=answer).status_code == 200
    replay = client.get("/oauth/google/callback", query_string=answer)
    assert replay.status_code == 400
    assert "already completed" in _message(replay)
    assert len([p for p, _ in google.requests if p == "/token"]) == 1  # no second exchange


def test_a_state_that_was_never_issued_is_refused(
    client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    answer = google.authorize(start_google(client, ana).headers["Location"])
    forged = client.get("/oauth/google/callback", query_string={**answer, "state": "forged"})
    assert forged.status_code == 400 and "never started" in _message(forged)
    missing = client.get("/oauth/google/callback", query_string={"code": answer["code"]})
    assert missing.status_code == 400 and "no state parameter" in _message(missing)
    assert not [p for p, _ in google.requests if p == "/token"]


def test_a_callback_in_another_browser_is_refused_and_spends_the_state(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    answer = google.authorize(start_google(client, ana).headers["Location"])
    attacker = app.test_client()  # no nonce cookie: a different browser
    refused = attacker.get("/oauth/google/callback", query_string=answer)
    assert refused.status_code == 400
    assert "different browser window" in _message(refused)
    # The state is single use even when refused: the real window cannot reuse it either.
    again = client.get("/oauth/google/callback", query_string=answer)
    assert again.status_code == 400
    assert _stored_token(app) is None


def test_a_link_opened_twice_is_refused(
    client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    link = call(client, "POST", "/oauth/{provider}/authorize", ana, {}, provider="google")
    url = link.get_json()["authorization_url"]
    assert client.get(url).status_code == 302
    second = client.get(url)
    assert second.status_code == 400 and "already opened" in _message(second)


def test_an_expired_state_is_refused(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    answer = google.authorize(start_google(client, ana).headers["Location"])
    with app.app_context():
        db.session.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    page = client.get("/oauth/google/callback", query_string=answer)
    assert page.status_code == 400 and "expired" in _message(page)
    assert _stored_token(app) is None


def test_a_missing_code_verifier_is_refused(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    answer = google.authorize(start_google(client, ana).headers["Location"])
    with app.app_context():
        db.session.execute(update(OAuthState).values(verifier_encrypted=None))
        db.session.commit()
    page = client.get("/oauth/google/callback", query_string=answer)
    assert page.status_code == 400 and "PKCE code verifier" in _message(page)
    assert not [p for p, _ in google.requests if p == "/token"]


def test_the_emulated_token_endpoint_refuses_a_code_without_verifier(
    google: GoogleOAuthEmulator, client: FlaskClient, ana: dict[str, str]
) -> None:
    import requests

    from tests.emulators.google_oauth.server import CLIENT_ID, CLIENT_SECRET

    answer = google.authorize(start_google(client, ana).headers["Location"])
    reply = requests.post(
        google.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": "http://localhost/oauth/google/callback",
        },
        timeout=30,
    )
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_request"


def test_unticked_drive_scope_stores_nothing(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    page = connect_google(client, ana, google, granted=["openid", "email"])
    assert page.status_code == 400 and "leave the" in _message(page)
    assert _stored_token(app) is None


def test_another_google_account_is_refused(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    google.subject, google.email = "108000000000000000999", "someone@else.example"
    page = connect_google(client, ana, google)
    assert page.status_code == 400
    assert "someone@else.example" in _message(page) and "ana@acme.example" in _message(page)
    assert _stored_token(app) is None


def test_a_repeated_grant_keeps_the_token_when_google_omits_it(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    assert connect_google(client, ana, google).status_code == 200
    first = _stored_token(app)
    google.omit_refresh_token = True
    redirect = start_google(client, ana)
    assert "prompt=consent" not in redirect.headers["Location"]
    answer = google.authorize(redirect.headers["Location"])
    assert client.get("/oauth/google/callback", query_string=answer).status_code == 200
    assert _stored_token(app) == first


def test_revoking_tells_google_and_forgets_the_token(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    assert connect_google(client, ana, google).status_code == 200
    assert call(client, "DELETE", "/google/authorization", ana).status_code == 204
    assert all(grant.revoked for grant in google.refresh_tokens.values())
    assert call(client, "GET", "/google/authorization", ana).get_json()["authorized"] is False
    assert _stored_token(app) is None


def test_google_states_belong_to_their_user(
    client: FlaskClient, ana: dict[str, str], bob: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    assert connect_google(client, ana, google).status_code == 200
    assert call(client, "GET", "/google/authorization", bob).get_json()["authorized"] is False


def test_an_unconfigured_provider_answers_503(
    settings_values: dict[str, Any], ana: dict[str, str]
) -> None:
    values = {k: v for k, v in settings_values.items() if k != "google_oauth_client_secret"}
    app = create_app(load_settings(environ={}, **values))
    try:
        reply = call(
            app.test_client(), "POST", "/oauth/{provider}/authorize", ana, {}, provider="google"
        )
        assert reply.status_code == 503
        assert "SHEETS_SYNC_GOOGLE_OAUTH_CLIENT_SECRET" in reply.get_json()["error"]["message"]
        unknown = call(
            app.test_client(), "POST", "/oauth/{provider}/authorize", ana, {}, provider="myspace"
        )
        assert unknown.get_json()["error"]["code"] == "oauth_unknown_provider"
    finally:
        runner.shutdown(app)
        db.engine_for(app).dispose()


def test_a_declined_consent_stores_nothing_and_spends_the_state(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    answer = google.authorize(start_google(client, ana).headers["Location"])
    declined = {"state": answer["state"], "error": "access_denied"}
    page = client.get("/oauth/google/callback", query_string=declined)
    assert page.status_code == 400 and "access_denied" in _message(page)
    late = client.get("/oauth/google/callback", query_string=answer)
    assert late.status_code == 400
    assert _stored_token(app) is None


def test_pending_states_hold_no_usable_secret(
    app: Flask, client: FlaskClient, ana: dict[str, str], google: GoogleOAuthEmulator
) -> None:
    answer = google.authorize(start_google(client, ana).headers["Location"])
    with app.app_context():
        (row,) = db.session.scalars(select(OAuthState)).all()
        stored = " ".join(str(getattr(row, column.key)) for column in OAuthState.__table__.columns)
    assert client.get("/oauth/google/callback", query_string=answer).status_code == 200
    verifier = next(form for path, form in google.requests if path == "/token")["code_verifier"]
    assert answer["state"] not in stored
    assert verifier not in stored
    assert client.get_cookie("sheets_sync_oauth_google", path="/oauth/google/").value not in stored


def test_a_refused_exchange_is_one_line_without_secrets(
    app: Flask,
    client: FlaskClient,
    ana: dict[str, str],
    google: GoogleOAuthEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.emulators.google_oauth import server

    real_secret = server.CLIENT_SECRET
    monkeypatch.setattr(server, "CLIENT_SECRET", "rotated-at-google")  # ours is now stale
    page = connect_google(client, ana, google)
    assert page.status_code == 400
    assert "Google refused the authorisation (invalid_client)" in _message(page)
    assert real_secret not in _message(page)
    assert _stored_token(app) is None
